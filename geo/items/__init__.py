"""Rectification items (整改事项): the league's problem list with measures, leaders and deadlines,
imported from a spreadsheet, linked to the features they concern, with progress computed from
them (:mod:`.items`). Uses the engine, :mod:`geo.ingest` and the layers below them."""
