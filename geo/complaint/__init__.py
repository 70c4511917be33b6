"""12345 hotline complaints (接诉即办): the register declared in :mod:`.layers` and its rules
(:mod:`.complaints`: placing a complaint from its address, assigning it to the zone's chief,
figures). Uses the engine and the layers below it."""
