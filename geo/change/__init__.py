"""The change polygons (变化图斑) and their closure: the declaration and steps (:mod:`.layers`),
their rules as the engine calls them (:mod:`.rules`), closure requirements by cause
(:mod:`.closure`), the league/province review (:mod:`.review`, :mod:`.review_figures`),
escalation notices (:mod:`.escalation`), derived deadlines (:mod:`.deadlines`) and the map's
viewport queries (:mod:`.mapview`). Uses the engine and the layers below it; no other part of the
system."""
