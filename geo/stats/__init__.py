"""The leaders' screen's figures: the summary now or as of a date (:mod:`.summary`), the change
polygons' rows it counts (:mod:`.state`), the other layers' figures (:mod:`.layers`), a chief's
open work (:mod:`.chief`) and the field page's lists (:mod:`.field`). Uses every part of the
system and the layers below them; never the reports, the demo or the CLI."""
