"""The register engine at work: the one write path every change goes through (:mod:`.write`),
adding and placing records (:mod:`.records`, :mod:`.place`, :mod:`.values`), the steps of every
workflow (:mod:`.workflow`), register operations (:mod:`.operations`), records as of a past day
(:mod:`.asof`), each register's declared figures (:mod:`.figures`), which batches count
(:mod:`.official`), backups. Uses :mod:`geo.access`, :mod:`geo.store`, :mod:`geo.declare` and
:mod:`geo.core`; calls a part's rules only through the hooks its declaration names."""
