"""Fire prevention (森林草原防火): the registers declared in :mod:`.layers` and their rules —
camera coverage (:mod:`.cameras`), hazards (:mod:`.hazards`), fire breaks (:mod:`.breaks`), the
bulletin paragraph (:mod:`.bulletin`). Uses the engine and the layers below it."""
