"""Lists offices keep in Excel or CSV — rosters, problem lists, hotline exports, enterprise
registers — read into any register, with the same field mapping step as the upload.

Office spreadsheets are not tidy tables: a title row merged across the sheet ("突泉县林长名册"),
two header rows whose upper cells are merged over the lower ones ("林长" over "姓名 | 职务"), one
sheet per level, notes under the table. :func:`read` finds the header block (merged cells filled,
title rows skipped, two-level headers joined as "林长·姓名"), drops empty and note rows, and maps
columns to fields by the register's aliases; the sheet name may say what the rows have in common
(a register's ``sheet_defaults`` rule: "旗县级林长" → level banner).

:func:`import_file` checks every row first and writes nothing if any row is wrong: the refusal
lists the rows and why (Chinese and English). Otherwise all rows are stored in one transaction,
with a batch recording the file.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.engine.place import locate, measures, placed_many
from geo.engine.write import check_rows
from geo.declare import registry as S
from geo.core.errors import GeoError, IngestError, ValidationError
from geo.declare.registry import rules_of
from geo.access.scope import unwrap
from geo.core.timeutil import now_utc
from geo.ingest import fieldmap
from geo.engine.records import check_values, point
from geo.core.text import decode

LON = ("经度", "东经", "LON", "LONGITUDE", "LNG", "X坐标", "X")
LAT = ("纬度", "北纬", "LAT", "LATITUDE", "Y坐标", "Y")
WKT = ("WKT", "几何", "图形", "GEOMETRY", "SHAPE")
LONLAT = ("经纬度", "坐标", "经纬度坐标", "位置坐标", "GPS坐标", "定位", "LONLAT")  # one cell: "121.6,46.08"
MAX_ROWS = 200_000


@dataclass
class Preview:
    frame: pd.DataFrame  # one row per record, original column names (+ "_sheet")
    mapping: dict  # column -> field name or None
    sheets: list[str] = field(default_factory=list)
    lonlat: tuple[str, str] | None = None
    wkt: str | None = None  # a column of WKT geometries (EPSG:4490), for lines and polygons
    coords: str | None = None  # one column holding "longitude,latitude"


def _grid(ws) -> list[list]:
    """A sheet's values with every merged range's value copied into all its cells."""
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    for rng in ws.merged_cells.ranges:
        top = rows[rng.min_row - 1][rng.min_col - 1] if rng.min_row - 1 < len(rows) else None
        for r in range(rng.min_row - 1, min(rng.max_row, len(rows))):
            row = rows[r]
            while len(row) < rng.max_col:
                row.append(None)
            for c in range(rng.min_col - 1, rng.max_col):
                row[c] = top
    width = max((len(r) for r in rows), default=0)
    return [r + [None] * (width - len(r)) for r in rows]


def _text(v) -> str:
    return "" if v is None else re.sub(r"\s+", "", str(v))


def _is_label(v) -> bool:
    t = _text(v)
    return bool(t) and not re.fullmatch(r"[-+]?\d+(\.\d+)?", t)


def _table_from_grid(grid: list[list], merged_rows: set[int]) -> pd.DataFrame:
    width = len(grid[0]) if grid else 0
    if not width:
        return pd.DataFrame()
    filled = [sum(1 for v in r if _text(v)) for r in grid]
    most = max(filled) if filled else 0
    start = 0
    # title rows: one distinct value across the row (a merged title) or far fewer cells than the table
    while start < len(grid) and (len({_text(v) for v in grid[start] if _text(v)}) <= 1 or filled[start] < most * 0.5):
        start += 1
    if start >= len(grid):
        return pd.DataFrame()
    header = [grid[start]]
    # a second header row: all labels, and the row above had merged (repeated) cells over it
    if start + 1 < len(grid) and start in merged_rows and all(_is_label(v) or not _text(v) for v in grid[start + 1]) \
            and filled[start + 1] >= most * 0.5:
        header.append(grid[start + 1])
    names = []
    for c in range(width):
        parts = []
        for row in header:
            t = _text(row[c])
            if t and t not in parts:
                parts.append(t)
        name = "·".join(parts) or f"列{c + 1}"
        while name in names:
            name += "_"
        names.append(name)
    body = grid[start + len(header):]
    frame = pd.DataFrame(body, columns=names, dtype=object)
    blank = frame.map(lambda v: not _text(v)).all(axis=1)
    frame = frame[~blank]
    # note rows under the table: a single filled cell starting with 注/备注/说明/填表
    notes = frame.apply(lambda r: sum(1 for v in r if _text(v)) == 1 and re.match(r"^(注|备注|说明|填表|制表)", _text(
        next(v for v in r if _text(v)))) is not None, axis=1) if len(frame) else pd.Series(dtype=bool)
    return frame[~notes].reset_index(drop=True) if len(frame) else frame


def excel_frames(data: bytes, sheets: list[str] | None) -> tuple[pd.DataFrame, list[str]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), data_only=True, read_only=False)
    except Exception as ex:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise IngestError(f"not a readable Excel workbook ({type(ex).__name__})",
                          "无法读取该 Excel 文件（文件损坏或不是 .xlsx 格式）") from None
    frames, used = [], []
    for ws in wb.worksheets:
        if sheets and ws.title not in sheets:
            continue
        grid = _grid(ws)
        merged_rows = {r.min_row - 1 for r in ws.merged_cells.ranges if r.max_col > r.min_col}
        frame = _table_from_grid(grid, merged_rows)
        if frame.empty:
            continue
        frame["_sheet"] = ws.title
        frames.append(frame)
        used.append(ws.title)
    if not frames:
        raise IngestError("the workbook has no table with a header row", "表格中没有找到带表头的数据")
    cols: list[str] = []
    for f in frames:
        cols += [c for c in f.columns if c not in cols]
    return pd.concat([f.reindex(columns=cols) for f in frames], ignore_index=True), used


def csv_frame(data: bytes) -> pd.DataFrame:
    text = decode(data)
    if text is None:
        raise IngestError("the CSV is neither UTF-8 nor GBK text", "CSV 文件既不是 UTF-8 也不是 GBK 编码的文本")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=object, keep_default_na=False)
    except Exception as ex:  # noqa: BLE001
        raise IngestError(f"not a readable CSV ({type(ex).__name__})", "无法读取该 CSV 文件") from None
    frame.columns = [_text(c) or f"列{i + 1}" for i, c in enumerate(frame.columns)]
    return frame.replace({"": None})


def _find(columns, names) -> str | None:
    keys = {re.sub(r"\s+", "", str(c)).upper(): c for c in columns}
    for n in names:
        for k, c in keys.items():
            if k == n.upper() or k.split("·")[-1] == n.upper():
                return c
    return None


def read(path, layer: str, sheets: list[str] | None = None, overrides: dict | None = None) -> Preview:
    """The rows of an Excel/CSV file and the suggested mapping onto ``layer`` (nothing written)."""

    path = Path(path)
    lyr = S.layer(layer)
    try:
        data = path.read_bytes()
    except OSError:
        raise IngestError(f"cannot read {path.name}", f"无法读取文件“{path.name}”") from None
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame, used = excel_frames(data, sheets)
    elif suffix == ".csv":
        frame, used = csv_frame(data), []
    else:
        raise IngestError(f"{path.name}: use an Excel (.xlsx) or CSV file",
                          f"“{path.name}”不是可导入的表格：请使用 Excel（.xlsx）或 CSV 文件")
    if len(frame) > MAX_ROWS:
        raise IngestError(f"{len(frame)} rows is more than the {MAX_ROWS} a list may have",
                          f"表格共 {len(frame)} 行，超过上限 {MAX_ROWS} 行")
    columns = [c for c in frame.columns if c != "_sheet"]
    # mapping by the last part of a two-level header too ("林长·姓名" → 姓名)
    short = {c: c.split("·")[-1] for c in columns}
    lon, lat = _find(columns, LON), _find(columns, LAT)
    wkt = _find(columns, WKT) if lyr.spatial else None
    both = _find(columns, LONLAT) if not (lon and lat) and lyr.geometry in ("POINT", "GEOMETRY") else None
    plain = [c for c in columns if c not in (lon, lat, wkt, both)]
    by_short = fieldmap.suggest([short[c] for c in plain], layer) if plain else {}
    mapping = {c: by_short.get(short[c]) for c in plain}
    full = fieldmap.suggest(plain, layer) if plain else {}
    for c in plain:
        if mapping.get(c) is None and full.get(c):
            mapping[c] = full[c]
    for col, fld in (overrides or {}).items():
        if col not in mapping:
            raise IngestError(f"the file has no column '{col}'", f"文件中没有列“{col}”", option="map")
        if fld is not None:
            lyr.field(fld)
        mapping[col] = fld
    return Preview(frame=frame, mapping=mapping, sheets=used,
                   lonlat=(lon, lat) if (lon and lat and lyr.geometry in ("POINT", "GEOMETRY")) else None,
                   wkt=wkt, coords=both)


def _lonlat(text):
    """``(lon, lat)`` from one cell such as "121.6,46.08", "121.6 46.08" or "121.6，46.08"."""
    parts = [p for p in re.split(r"[,，;；\s/]+", str(text).strip()) if p]
    if len(parts) != 2:
        raise ValidationError(f"'{text}' is not 'longitude,latitude'", f"坐标“{text}”应为“经度,纬度”")
    return parts[0], parts[1]


def rows(preview: Preview, layer: str) -> tuple[list[dict], list, list[dict]]:
    """``(values per row, geometry per row, problems)`` — every row checked, nothing stored."""

    lyr = S.layer(layer)
    rules = rules_of(lyr)
    out, geoms, problems = [], [], []
    for i, rec in enumerate(preview.frame.to_dict("records")):
        values = {fld: rec[col] for col, fld in preview.mapping.items() if fld and _text(rec.get(col))}
        extra = {col: rec[col] for col, fld in preview.mapping.items() if not fld and _text(rec.get(col))}
        if rules is not None and hasattr(rules, "sheet_defaults") and rec.get("_sheet"):
            for k, v in rules.sheet_defaults(lyr.key, str(rec["_sheet"])).items():
                values.setdefault(k, v)
        where = f"{rec.get('_sheet') + ' ' if rec.get('_sheet') else ''}第 {i + 1} 行"
        try:
            values = check_values(lyr, values)
            geom = None
            if preview.wkt and _text(rec.get(preview.wkt)):
                geom = _shape(lyr, rec[preview.wkt])
            if geom is None and preview.lonlat:
                lo, la = rec.get(preview.lonlat[0]), rec.get(preview.lonlat[1])
                geom = point(lo, la) if _text(lo) and _text(la) else None
            elif preview.coords and _text(rec.get(preview.coords)):
                geom = point(*_lonlat(rec[preview.coords]))
            if extra:
                values["extra"] = extra
            out.append(values)
            geoms.append(geom)
        except GeoError as err:
            problems.append({"row": where, "message_zh": err.zh, "message_en": err.en})
    return out, geoms, problems


def import_file(store, layer: str, path, *, actor: str, access=None, sheets=None, overrides=None,
                dry_run: bool = False) -> dict:
    """Check every row of ``path`` and store them all in ``layer`` — or nothing, with the reasons."""
    raw, access = unwrap(store, access)
    lyr = S.layer(layer)
    preview = read(path, layer, sheets, overrides)
    values, geoms, problems = rows(preview, layer)
    rules = rules_of(lyr)
    if rules is not None and hasattr(rules, "validate"):  # each row under the register's own rule
        for i, v in enumerate(values):
            try:
                values[i] = rules.validate(raw, {**v, **measures(lyr, geoms[i])}, None)
            except GeoError as err:
                problems.append({"row": f"第 {i + 1} 条", "message_zh": err.zh, "message_en": err.en})
    if not problems and rules is not None and hasattr(rules, "prepare_rows"):
        values, more = rules.prepare_rows(raw, layer, values, actor=actor, access=access, dry_run=True)
        problems += more
    missing_required = [f.zh for f in lyr.fields if f.required and not any(v.get(f.name) for v in values)]
    if values and missing_required:
        problems.append({"row": "表头", "message_zh": f"没有对应到必填字段：{'、'.join(missing_required)}",
                         "message_en": "no column maps to a required field"})
    for i, v in enumerate(values):
        gap = [f.zh for f in lyr.fields if f.required and v.get(f.name) in (None, "")]
        if gap and not missing_required:
            problems.append({"row": f"第 {i + 1} 条", "message_zh": f"缺少必填项：{'、'.join(gap)}",
                             "message_en": "required fields are missing"})
    if lyr.spatial and not lyr.place_optional and any(g is None for g in geoms):
        problems.append({"row": "坐标", "message_zh": "缺少经纬度列或部分行没有坐标",
                         "message_en": "longitude/latitude columns are missing or empty in some rows"})
    report = {"file": Path(path).name, "layer": layer, "rows": len(preview.frame), "sheets": preview.sheets,
              "mapping": {c: f for c, f in preview.mapping.items()}, "problems": problems, "stored": 0}
    if problems:
        first = "；".join(f"{p['row']}：{p['message_zh']}" for p in problems[:5])
        more = f"等共 {len(problems)} 处" if len(problems) > 5 else ""
        raise ValidationError(f"{len(problems)} problem(s) in {Path(path).name}; nothing was imported",
                              f"“{Path(path).name}”有问题，未导入任何数据：{first}{more}", problems=problems)
    if dry_run or not values:
        return report
    at = now_utc()
    data = Path(path).read_bytes()
    with raw.transaction() as tx:
        if rules is not None and hasattr(rules, "prepare_rows"):
            values, _ = rules.prepare_rows(raw, layer, values, actor=actor, access=access, dry_run=False, tx=tx)
        geoms = list(geoms)
        for i, (v, g) in enumerate(zip(values, geoms)):
            geoms[i], values[i] = locate(raw, tx, lyr, v, g)
        for v, more in zip(values, placed_many(raw, tx, lyr, geoms, values)):
            v.update(more)
        check_rows(access, layer, [v.get("county_code") for v in values])
        frame = gpd.GeoDataFrame(pd.DataFrame(values), geometry=list(geoms) if geoms else None, crs=4490) \
            if values else None
        if "extra" in frame:
            frame["extra"] = frame["extra"].map(lambda e: e if isinstance(e, dict) else None)
        bid = raw.add_batch(tx, name=Path(path).stem, layer=layer, source="表格导入", file_name=Path(path).name,
                            file_sha256=hashlib.sha256(data).hexdigest(), uploaded_by=actor,
                            feature_count=len(values))
        ids = raw.insert_features(tx, layer, frame, actor=actor, at=at, action="create",
                                  comment=f"表格导入：{Path(path).name}", record_values=True)
        if rules is not None and hasattr(rules, "after_import"):
            rules.after_import(raw, tx, layer, ids, values, actor=actor, at=at)
    report.update(stored=len(ids), batch_id=bid, ids=[int(i) for i in ids])
    return report


_KINDS = {"POINT": (0,), "LINESTRING": (1, 5), "MULTIPOLYGON": (3, 6), "GEOMETRY": (0, 3, 6)}


def _shape(lyr: S.Layer, text):
    """A geometry from a WKT cell (EPSG:4490 longitude/latitude), of the register's kind."""
    import shapely

    try:
        geom = shapely.from_wkt(str(text).strip())
    except Exception:  # noqa: BLE001 - shapely raises several kinds
        raise ValidationError(f"'{str(text)[:40]}' is not a WKT geometry", f"“{str(text)[:40]}”不是有效的 WKT 图形") from None
    if geom is None or geom.is_empty or shapely.get_type_id(geom) not in _KINDS.get(lyr.geometry, ()):
        raise ValidationError(f"{lyr.en} needs a {lyr.geometry.lower()} geometry",
                              f"{lyr.zh}的图形类型不符（{getattr(geom, 'geom_type', '空')}）")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValidationError("WKT coordinates are not longitude/latitude", "WKT 坐标不是经纬度（应为 CGCS2000 经纬度）")
    if lyr.geometry == "MULTIPOLYGON" and shapely.get_type_id(geom) == 3:
        geom = shapely.MultiPolygon([geom])
    return geom


def _np(x):
    return np.asarray(x, dtype=object)
