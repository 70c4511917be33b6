"""Fire prevention (森林草原防火): the domain rules of the registers declared in
:mod:`geo.fire.layers` — camera coverage (:mod:`.cameras`), hazards (:mod:`.hazards`), fire
breaks (:mod:`.breaks`), the bulletin paragraph (:mod:`.bulletin`) and the demo records
(:mod:`.demo`)."""
