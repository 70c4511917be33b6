"""Batch files as real tools write them, built in code — for the tests, the benchmark and demos.

The traps are the point: GBK attribute tables without a ``.cpg``, zip entry names in GBK without
the UTF-8 flag (as Windows' "send to compressed folder" writes them), projected coordinates with
the Gauss-Krüger zone number in front and no ``.prj``, self-intersecting polygons.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from geo.core import crs as C

COUNTIES = [("152201", "乌兰浩特市"), ("152202", "阿尔山市"), ("152221", "科尔沁右翼前旗"),
            ("152222", "科尔沁右翼中旗"), ("152223", "扎赉特旗"), ("152224", "突泉县")]
CHANGE_TYPES = [("1", "1-林地变非林地"), ("2", "2-林地内部变化"), ("3", "3-非林地变林地")]
LAND = [("0111", "0111-乔木林地"), ("0131", "0131-灌木林地"), ("0150", "0150-宜林地")]
NOTES = ["建设项目使用林地", "毁林开垦", "采石采砂", "修建道路", "", "林木采伐"]


class _GbkName(zipfile.ZipInfo):
    """A zip entry whose name is stored in GBK without the UTF-8 flag (as Windows writes it)."""

    def _encodeFilenameFlags(self):  # noqa: N802 - zipfile's own hook
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def gbk_zip(files: dict[str, bytes], prefix: str = "", level: int = 6) -> bytes:
    """A zip of ``files`` with GBK-encoded entry names (no UTF-8 flag)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in files.items():
            info = _GbkName(prefix + name, date_time=(2023, 4, 15, 9, 30, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def shapefile_bytes(frame: gpd.GeoDataFrame, stem: str = "图斑", encoding: str = "GBK", cpg: bool = False,
                    prj: bool = True, ldid: int | None = 0, crs=None) -> dict[str, bytes]:
    """The files of a shapefile written with pyogrio, as ``{name: bytes}``.

    ``cpg=False`` drops the ``.cpg`` GDAL writes; ``ldid`` sets the DBF language-driver byte
    (0 = none, 0x4D = GBK, 0x57 = ANSI); ``prj=False`` drops the ``.prj``.
    """
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{stem}.shp"
        if crs is not None:
            frame = frame.set_crs(crs, allow_override=True)
        with warnings.catch_warnings():  # DBF names are cut to 10 characters, as in real files
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("ignore", UserWarning)  # no CRS: a file without .prj, on purpose
            pyogrio.write_dataframe(frame, path, encoding=encoding)
        out = {}
        for p in sorted(Path(tmp).iterdir()):
            ext = p.suffix.lower()
            if ext == ".cpg" and not cpg:
                continue
            if ext == ".prj" and not prj:
                continue
            data = p.read_bytes()
            if ext == ".dbf" and ldid is not None:
                data = data[:29] + bytes([ldid]) + data[30:]
            out[p.name] = data
    return out


def _blob(rng, cx, cy, r, k):
    ang = np.sort(rng.uniform(0, 2 * np.pi, k))
    rad = r * rng.uniform(0.6, 1.0, k)
    return np.column_stack([cx + rad * np.cos(ang) / np.cos(np.radians(cy)), cy + rad * np.sin(ang)])


def _inside(rng, counties: gpd.GeoDataFrame, n: int):
    """``n`` random points inside the counties, and the county row of each."""
    geoms = np.asarray(counties.geometry.values, dtype=object)
    b = counties.total_bounds
    xs, ys, rows = [], [], []
    tree = shapely.STRtree(geoms)
    while sum(len(x) for x in xs) < n:
        x = rng.uniform(b[0], b[2], 4 * n)
        y = rng.uniform(b[1], b[3], 4 * n)
        src, dst = tree.query(shapely.points(x, y), predicate="within")
        first = np.unique(src, return_index=True)
        xs.append(x[first[0]])
        ys.append(y[first[0]])
        rows.append(dst[first[1]])
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n], np.concatenate(rows)[:n]


def change_polygons(n: int, seed: int = 1, invalid: float = 0.04, box=(121.0, 45.6, 122.2, 46.6),
                    prefix: str = "152224", counties: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """``n`` change polygons in 兴安盟 with the columns of a 2023 national platform export
    (PAN_NO_TB, XIAN, PAN_BHLX/PAN_BHLX_DESC, Q_DI_LEI/Q_DI_LEI_DESC, QQYX_SJ, HQYX_SJ, MIAN_JI …);
    a share ``invalid`` of them self-intersect (bow ties). With ``counties`` (a frame with
    ``name`` and geometry) each polygon lies in the county its XIAN names."""
    rng = np.random.default_rng(seed)
    if counties is not None and len(counties):
        cx, cy, crow = _inside(rng, counties, n)
        names = counties["name"].to_numpy(dtype=object)[crow]
    else:
        cx = rng.uniform(box[0], box[2], n)
        cy = rng.uniform(box[1], box[3], n)
        names = None
    r = rng.uniform(0.0004, 0.0012, n)
    k = rng.integers(8, 16, n)
    coords, offsets = [], [0]
    bad = rng.random(n) < invalid
    for i in range(n):
        ring = _blob(rng, cx[i], cy[i], r[i], int(k[i]))
        if bad[i]:
            ring[[1, 3]] = ring[[3, 1]]  # crossing edges: a bow tie
        ring = np.vstack([ring, ring[:1]])
        coords.append(ring)
        offsets.append(offsets[-1] + len(ring))
    allc = np.concatenate(coords)
    rings = shapely.linearrings(allc, indices=np.repeat(np.arange(n), np.diff(offsets)))
    geoms = shapely.polygons(rings)
    county = rng.integers(0, len(COUNTIES), n)
    ct = rng.integers(0, len(CHANGE_TYPES), n)
    ld = rng.integers(0, len(LAND), n)

    ha, _mu, _c = C.areas_ha_mu(shapely.make_valid(geoms))
    frame = gpd.GeoDataFrame({
        "PAN_NO_TB": [f"{prefix}2023{i:07d}" for i in range(n)],
        "NIAN_DU": np.full(n, 2023, dtype="int32"),
        "XIAN": list(names) if names is not None else [COUNTIES[c][1] for c in county],
        "XIANG": rng.choice(["突泉镇", "六户镇", "东杜尔基镇", "水泉镇", "宝石镇"], n),
        "PAN_BHLX": [CHANGE_TYPES[c][0] for c in ct],
        "PAN_BHLX_DESC": [CHANGE_TYPES[c][1] for c in ct],
        "Q_DI_LEI": [LAND[c][0] for c in ld],
        "Q_DI_LEI_DESC": [LAND[c][1] for c in ld],
        "QQYX_SJ": np.full(n, "20220612"),
        "HQYX_SJ": np.full(n, "20230418"),
        "LIN_BAN": rng.integers(1, 300, n).astype(str),
        "MIAN_JI": np.round(ha * rng.normal(1.0, 0.01, n), 4),
        "BEIZHU": rng.choice(NOTES, n),
    }, geometry=geoms, crs=4490)
    return frame
