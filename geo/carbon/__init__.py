"""The carbon sink (碳汇): the 小班 register declared in :mod:`.layers` and its rules
(:mod:`.carbon`: carbon stock by IPCC factors, land kind). Uses the engine and the layers below it."""
