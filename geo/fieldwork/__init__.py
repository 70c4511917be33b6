"""Work in the field beside the change polygons: ranger and chief patrol tracks and their
plausibility and coverage (:mod:`.patrols`), restoration projects and their funds
(:mod:`.restoration`), illegal-occupation plots; declarations in :mod:`.layers`. Uses the engine,
:mod:`geo.ingest` and the layers below them."""
