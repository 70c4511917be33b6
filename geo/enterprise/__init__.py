"""Wood-processing enterprises (木材经营加工): the registers declared in :mod:`.layers`, their rules
(:mod:`.enterprises`: source-of-wood checks, the forest border), the yearly sample
(:mod:`.samples`) and check records (:mod:`.checks`). Uses the engine and the layers below it;
of the other parts only :mod:`geo.carbon` (the forest border comes from its 小班 layer)."""
