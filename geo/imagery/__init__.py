"""Imagery the bureau can use, beside its polygons.

* :mod:`~geo.imagery.scenes` — the scene register (GeoTIFF/COG files with date, sensor, band roles
  or a ready NDVI band, footprint in EPSG:4490); large scenes become COGs on the way in.
* :mod:`~geo.imagery.ndvi` — NDVI from a scene's bands, window by window.
* :mod:`~geo.imagery.zonal` — NDVI before/after per polygon for a whole batch at once.
* :mod:`~geo.imagery.detect` — candidate change polygons from an NDVI drop, registered as a batch.
* :mod:`~geo.imagery.chips` / :mod:`~geo.imagery.sheet` — before/after chips, the 图斑核查表.
* :mod:`~geo.imagery.regreen` — the re-greening check (回头看) of re-vegetated areas.
* :mod:`~geo.demo.imagery` — synthetic imagery over 兴安盟 for the demo store.

Offline basemap tiles built from GeoTIFFs live in :mod:`geo.imagery.basemap`.

Uses the engine, :mod:`geo.ingest` and the layers below them; of the other parts only
:mod:`geo.items` (the re-greening check turns its findings into items).
"""
