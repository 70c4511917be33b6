"""Export a layer (or a selection of it) to GeoPackage, Shapefile, GeoJSON, KML or Excel.

Every exported feature carries ``id``, ``status`` and ``version`` so a script can find a feature
and move it (in KML, made for people's field apps such as 奥维, as 编号/状态/版本: a KML's fields
are named from the layer's label table, in the person's language, like the Excel sheet). A file is
named for what it holds — layer, scope and day, e.g. ``变化图斑_突泉县_2026-12-07.gpkg``
(:func:`file_name`); ``--out`` may be a folder, which then gets that name. Files are written to a temporary name beside the target and renamed into place, so a
failed export never leaves half a file, and an existing file is replaced whole or not at all.
In Excel, text that begins like a formula (``=``, ``+``, ``-``, ``@``) is a text cell, never a
formula (:mod:`geo.core.cells`).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.core.cells import neutralise_sheet, xlsx_frame
from geo.declare import registry as S
from geo.core.crs import crs_label
from geo.core.errors import ValidationError
from geo.store import Store
from geo.chief.chiefs import chief_columns
from geo.core.timeutil import today_local

FORMATS = {"gpkg": "GPKG", "shp": "ESRI Shapefile", "geojson": "GeoJSON", "kml": "KML", "xlsx": None}


# columns added to attributed layers' exports: the zone and its forest chief
ZONE_COLUMNS = {"zone_name": ("责任区", "Zone"), "zone_chief": ("责任区林长", "Zone chief")}


def selection(store: Store, layer: str, ids=None, where: dict | None = None, bbox=None):
    lyr = S.layer(layer)
    frame = store.read_layer(layer, ids=ids, where=where, bbox=bbox)
    if lyr.attributed and lyr.has("zones") and len(frame):

        frame = chief_columns(store, frame).drop(columns=["zones"])
    return lyr, frame


def labelled(frame: pd.DataFrame, lyr: S.Layer, lang: str = "zh") -> pd.DataFrame:
    """A copy with keyed values (status, verdict, level) turned into labels and Chinese headers."""
    out = pd.DataFrame(index=frame.index)
    out["编号" if lang == "zh" else "ID"] = frame["id"]
    for f in lyr.fields:
        if f.name not in frame.columns or f.name in ("flags", "extra", "times"):
            continue
        col = frame[f.name]
        if f.name in ("status", "verdict", "level", "kind", "actor_level"):
            kind = "status" if f.name == "status" else f.name
            col = col.map(lambda v, k=kind: S.label(k, v, lang) if pd.notna(v) else "")
        elif f.name == "area_crs":  # "CGCS2000 高斯-克吕格 3度带 第41带（中央经线 东经123°）· EPSG:4550"
            col = col.map(lambda v: crs_label(v, lang) if isinstance(v, str) else "")
        out[f.zh if lang == "zh" else f.en] = col
    for name, (zh, en) in ZONE_COLUMNS.items():
        if name in frame.columns:
            out[zh if lang == "zh" else en] = frame[name]
    return out


def safe_part(text) -> str:
    """``text`` usable in a file name on every system (no path separators or reserved characters)."""
    out = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "-", str(text or "")).strip(" .-")
    return out[:60] or "-"


def scope_label(store, frame: pd.DataFrame, lang: str = "zh") -> str:
    """Where the exported features lie, for the file name: one county's name; two or three named;
    every county of the store: the jurisdiction's name (its league/city unit) when ``store`` is
    given; else how many counties."""
    zh = lang == "zh"
    names = sorted({str(v) for v in frame["county"].dropna()}) if "county" in frame else []
    if len(names) == 1:
        return names[0]
    if store is not None and names:
        try:
            admin = store.read_layer("admin", columns=["name", "level"], geometry=False)
        except Exception:  # noqa: BLE001 - a store without admin units: counted below
            admin = pd.DataFrame(columns=["name", "level"])
        counties = set(admin.loc[admin["level"] == "county", "name"])
        tops = admin.loc[admin["level"].isin(["league", "city"]), "name"].tolist()
        if counties and counties <= set(names) and len(tops) == 1:
            return str(tops[0])
    if 1 < len(names) <= 3:
        return "、".join(names) if zh else "-".join(names)
    if names:
        return f"{len(names)}个旗县" if zh else f"{len(names)}-counties"
    return "全部" if zh else "all"


def file_name(lyr: S.Layer, fmt: str, *, scope: str | None = None, day=None, lang: str = "zh") -> str:
    """``变化图斑_突泉县_2026-12-07.gpkg``: the layer's name, the scope (:func:`scope_label`) and the
    day (the bureau's date), in the person's language."""
    what = lyr.zh if lang == "zh" else lyr.en.replace(" ", "_")
    day = (day or today_local()).isoformat() if not isinstance(day, str) else day
    parts = [safe_part(what)] + ([safe_part(scope)] if scope else []) + [day]
    return "_".join(parts) + f".{fmt}"


def _kml_frame(data: gpd.GeoDataFrame, lyr: S.Layer, lang: str) -> gpd.GeoDataFrame:
    """The KML's fields: a ``Name`` (the layer's label field) then the label table's columns
    (编号, 状态, … in Chinese), each name once."""
    table = labelled(pd.DataFrame(data.drop(columns=data.geometry.name)), lyr, lang)
    seen: dict[str, int] = {}
    cols = []
    for c in table.columns:
        seen[c] = seen.get(c, 0) + 1
        cols.append(c if seen[c] == 1 else f"{c}{seen[c]}")
    table.columns = cols
    for col in table.columns:
        if table[col].dtype == object:
            table[col] = table[col].map(lambda v: None if v is None or v != v else str(v))
    label = lyr.label_field if lyr.label_field in data else "id"
    table.insert(0, "Name", data[label].astype(str).where(data[label].notna(), data["id"].astype(str)).to_numpy())
    return gpd.GeoDataFrame(table, geometry=data.geometry.values, crs=data.crs)


def write(frame: gpd.GeoDataFrame, lyr: S.Layer, fmt: str, out: str | os.PathLike,
          lang: str = "zh", scope: str | None = None) -> Path:
    """Write ``frame`` to ``out`` in ``fmt``; ``out`` may be a folder (then the file is named by
    :func:`file_name`, with ``scope`` or the counties the features lie in)."""
    if fmt not in FORMATS:
        raise ValidationError(
            f"unknown export format '{fmt}'; choose one of {', '.join(FORMATS)}",
            f"不支持的导出格式“{fmt}”，可选：{'、'.join(FORMATS)}",
        )
    out = Path(out)
    if out.is_dir() or str(out).endswith(os.sep):
        out = out / file_name(lyr, fmt, scope=scope or scope_label(None, frame, lang), lang=lang)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        return _write_xlsx(frame, lyr, out, lang)
    data = frame.copy()
    for col in data.columns:
        if col != data.geometry.name and data[col].dtype == object:
            data[col] = data[col].map(lambda v: None if v is None or v != v else str(v))
    data["id"] = data["id"].astype("int64")
    if fmt == "kml":
        data = _kml_frame(data, lyr, lang)
    tmpdir = Path(tempfile.mkdtemp(prefix=".export-", dir=out.parent))
    try:
        target = tmpdir / out.name
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # shapefile field-name laundering
            kwargs = {"encoding": "UTF-8"} if fmt == "shp" else {}
            if fmt == "gpkg":
                kwargs["layer"] = lyr.table
            pyogrio.write_dataframe(data, target, driver=FORMATS[fmt], **kwargs)
        if fmt == "shp":
            for part in tmpdir.iterdir():
                os.replace(part, out.parent / part.name)
        else:
            os.replace(target, out)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return out


def _write_xlsx(frame, lyr, out: Path, lang: str) -> Path:
    table = labelled(pd.DataFrame(frame.drop(columns=frame.geometry.name)), lyr, lang)
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=out.parent)
    os.close(fd)
    try:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            sheet = lyr.zh if lang == "zh" else lyr.en[:31]
            xlsx_frame(table).to_excel(xw, sheet_name=sheet, index=False)
            ws = xw.sheets[sheet]
            neutralise_sheet(ws)  # text typed as "=…" is a text cell, never a formula
            ws.freeze_panes = "A2"
            ws.auto_filter.ref = ws.dimensions
            for i, col in enumerate(table.columns, start=1):
                values = [str(col)] + [str(v) for v in table[col].head(200).tolist()]
                width = min(max(len(v.encode("gbk", "replace")) for v in values) + 2, 48)
                ws.column_dimensions[ws.cell(1, i).column_letter].width = width
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return out
