"""The field mapping: which column of the file fills which field of the layer.

Pre-filled from the schema's ``aliases`` (plus each field's own name and Chinese label), then the
mapping remembered for the source (``field_profiles``), then what the person chose (``--map`` /
the page) — later ones win. A coded column with a ``_DESC`` twin ("1" / "1-林地") maps its text
twin; the code stays in ``extra``. Every column that maps to nothing is kept in ``extra``: nothing
in the file is lost.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import unicodedata

import numpy as np
import pandas as pd

from geo.declare import registry as S
from geo.core.errors import IngestError

# fields the store, the workflow or the batch fill; a file never maps to them
MANAGED = {"id", "status", "version", "created_at", "updated_at", "updated_by", "flags", "extra",
           "batch_id", "geom_hash", "repeat_of", "area_ha", "area_mu", "area_crs", "kind", "verdict",
           "change_ids"}
MANAGED_BY_LAYER = {
    "patrol": {"length_km", "duration_h", "mean_kmh", "plausible", "source_file", "times"},
    "zone": {"parent_id", "derived"},
}
_TRUE = {"是", "Y", "YES", "TRUE", "T", "1", "有", "需要", "√"}
_FALSE = {"否", "N", "NO", "FALSE", "F", "0", "无", "不需要", "×"}
DBF_NAME = 10
_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]?\s*(\d{1,2})\s*[-/.月]?\s*(\d{1,2})\s*日?(?:[ T].*)?$")


def mappable(layer: str) -> list[S.Field]:
    lyr = S.layer(layer)
    skip = MANAGED | MANAGED_BY_LAYER.get(layer, set())
    return [f for f in lyr.fields if f.name not in skip]


def _key(name: str) -> str:
    """How names are compared: full-width forms folded (（公顷） = (公顷)), no spaces, upper case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name))).upper()


def suggest(columns: list[str], layer: str, remembered: dict | None = None,
            overrides: dict | None = None) -> dict[str, str | None]:
    """The mapping ``{column: field or None}`` for these columns (see module docstring).

    Raises
    ------
    IngestError
        An override names a field the layer does not have (or that is filled automatically), a
        column the file does not have, or maps two columns to one field.
    """
    fields = mappable(layer)
    names = {f.name for f in fields}
    by_key: dict[str, str] = {}
    for c in columns:
        by_key.setdefault(_key(c), c)
    # a DBF cuts names to 10 characters: PAN_BHLX_DESC arrives as PAN_BHLX_D
    cut = {k: c for k, c in by_key.items() if len(k) == DBF_NAME}
    mapping: dict[str, str | None] = {c: None for c in columns}
    used: set[str] = set()

    def find(name: str):
        k = _key(name)
        return by_key.get(k) or (cut.get(k[:DBF_NAME]) if len(k) > DBF_NAME else None)

    for f in fields:
        for alias in (f.name, *f.aliases, f.zh):
            col = find(alias)
            if col is None or col in used:
                continue
            twin = find(_key(col) + "_DESC")
            if twin is not None and twin != col and twin not in used and mapping.get(twin) is None:
                col = twin
            mapping[col] = f.name
            used.add(col)
            break
    for source, strict in ((remembered or {}, False), (overrides or {}, True)):
        for col, field in source.items():
            if col not in mapping:
                if strict:
                    raise IngestError(
                        f"--map {col}={field}: the file has no column '{col}'; its columns are: "
                        f"{', '.join(columns)}",
                        f"字段对应“{col}={field}”有误：文件中没有列“{col}”。文件的列为：{'、'.join(columns)}",
                        option="map", column=col)
                continue
            field = field or None
            if field is not None and field not in names:
                if not strict:
                    continue
                lyr = S.layer(layer)
                raise IngestError(
                    f"--map {col}={field}: layer '{layer}' has no field '{field}' that a file can fill; "
                    f"choose one of: {', '.join(sorted(names))}",
                    f"字段对应“{col}={field}”有误：图层“{lyr.zh}”没有可导入的字段“{field}”。可选：{'、'.join(sorted(names))}",
                    option="map", field=field)
            if field is not None:
                for other, f2 in list(mapping.items()):
                    if f2 == field and other != col:
                        mapping[other] = None
            mapping[col] = field
    seen: dict[str, str] = {}
    for col, field in mapping.items():
        if field is None:
            continue
        if field in seen:
            raise IngestError(
                f"columns '{seen[field]}' and '{col}' both map to field '{field}'; map one of them to nothing",
                f"列“{seen[field]}”和“{col}”都对应到了字段“{field}”，请只保留一个", option="map", field=field)
        seen[field] = col
    return mapping


def parse_overrides(items: list[str]) -> dict[str, str | None]:
    """``--map COLUMN=FIELD`` items (``COLUMN=`` maps the column to nothing: it stays in extra)."""
    out: dict[str, str | None] = {}
    for item in items or []:
        if "=" not in item:
            raise IngestError(
                f"--map '{item}' must look like COLUMN=FIELD (e.g. 图斑号=polygon_no)",
                f"字段对应“{item}”格式应为 列名=字段名（如 图斑号=polygon_no）", option="map")
        col, field = item.split("=", 1)
        out[col.strip()] = field.strip() or None
    return out


# ------------------------------------------------------------------------------ values
def _by_value(s: pd.Series, fn) -> pd.Series:
    """``fn`` applied once per distinct value (batch columns repeat a lot), as an object Series;
    missing values stay ``None``."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    table = np.empty(len(uniques) + 1, dtype=object)
    # (as plain objects first: iterating an Arrow-backed array costs a Python call per value)
    for k, u in enumerate(np.asarray(uniques, dtype=object).tolist()):
        table[k] = fn(u)
    table[-1] = None
    return pd.Series(table[codes], index=s.index, dtype=object)


def _blank(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.isna().to_numpy()
    return _by_value(s, lambda x: isinstance(x, str) and not x.strip()).fillna(True).to_numpy(dtype=bool)


def _text_of(x):
    if isinstance(x, str):
        return x.strip() or None
    if isinstance(x, (float, np.floating)):
        if math.isnan(x):
            return None
        return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (pd.Timestamp, dt.datetime, dt.date)):
        return x.strftime("%Y-%m-%d") if not isinstance(x, dt.datetime) or (x.hour, x.minute, x.second) == (0, 0, 0) \
            else x.isoformat()
    if isinstance(x, (bytes, bytearray)):
        return bytes(x).hex()
    return str(x)


def to_text(s: pd.Series) -> pd.Series:
    """Text values; integral numbers without a trailing ``.0`` (polygon numbers read as reals)."""
    return _by_value(s, _text_of)


def _date_of(x):
    if isinstance(x, (pd.Timestamp, dt.datetime, dt.date)):
        return x.strftime("%Y-%m-%d")
    text = _text_of(x)
    if text is None:
        return None
    m = _DATE.match(text)
    if not m:
        return False
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return False


def to_dates(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """ISO dates from dates, datetimes, ``yyyymmdd`` numbers/text, ``2023-4-15``, ``2023/04/15``,
    ``2023年4月15日``. Returns the values and a mask of those that could not be read."""
    out = _by_value(s, _date_of)
    bad = (out.to_numpy(dtype=object) == False)  # noqa: E712 - False marks "could not read"
    return out.where(~bad, None), bad


def to_numbers(s: pd.Series, integer: bool = False) -> tuple[pd.Series, np.ndarray]:
    blank = _blank(s)
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        num = s.astype("float64")
    else:
        cleaned = to_text(s).astype("string").str.replace(",", "", regex=False).str.replace("，", "", regex=False)
        num = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    bad = num.isna().to_numpy() & ~blank
    if integer:
        frac = num.notna() & (num % 1 != 0)
        bad |= frac.to_numpy()
        num = num.where(~frac)
        return num.astype("Int64"), bad
    return num, bad


def to_bools(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    def one(x):
        t = _text_of(x)
        if t is None:
            return None
        t = t.upper()
        return True if t in _TRUE else False if t in _FALSE else "?"

    out = _by_value(s, one)
    bad = (out.to_numpy(dtype=object) == "?")
    return out.where(~bad, None), bad


def convert(frame: pd.DataFrame, mapping: dict[str, str | None], layer: str):
    """Values of the mapped fields, and the values that could not be converted.

    Returns ``(values, failures)``: ``values`` is ``{field: Series}``; ``failures`` is
    ``{column: mask}`` of rows whose value does not fit the field's type (the value then stays
    in ``extra`` under its column name).
    """
    lyr = S.layer(layer)
    types = {f.name: f.type for f in lyr.fields}
    values: dict[str, pd.Series] = {}
    failures: dict[str, np.ndarray] = {}
    for col, field in mapping.items():
        if field is None:
            continue
        s = frame[col]
        t = types[field]
        if t == S.TEXT:
            values[field] = to_text(s)
            continue
        if t == S.DATE:
            v, bad = to_dates(s)
        elif t == S.REAL:
            v, bad = to_numbers(s)
        elif t == S.INT:
            v, bad = to_numbers(s, integer=True)
        elif t == S.BOOL:
            v, bad = to_bools(s)
        elif t == S.DATETIME:
            v = pd.to_datetime(to_text(s), errors="coerce")
            bad = v.isna().to_numpy() & ~_blank(s)
            v = v.astype(object).where(v.notna(), None)
        else:  # JSON
            v, bad = to_text(s), np.zeros(len(s), bool)
        values[field] = v
        if bad.any():
            failures[col] = bad
    return values, failures


def _jsonable(v):
    if v is None:
        return None
    if isinstance(v, float):
        return None if math.isnan(v) else (int(v) if v.is_integer() and abs(v) < 1e15 else v)
    if isinstance(v, np.generic):
        return _jsonable(v.item())
    if isinstance(v, (pd.Timestamp,)):
        return None if pd.isna(v) else v.isoformat()
    if v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, str):
        return v if v.strip() else None
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def extra_json(frame: pd.DataFrame, columns: list[str], failures: dict[str, np.ndarray]) -> list[str | None]:
    """Per row, a JSON object of the unmapped columns' values (and of values that did not fit
    their field), without empty ones; ``None`` when there is nothing. A batch's unmapped columns
    repeat a few values, so rows are grouped by their combination of values (codes combined in
    numpy) and each distinct combination is serialised once."""
    n = len(frame)
    cols = list(columns) + [c for c in failures if c not in columns]
    if n == 0 or not cols:
        return [None] * n
    combo = np.zeros(n, dtype=np.int64)
    tables = []  # per column: (codes, fragment per code)
    for c in cols:
        key = json.dumps(str(c), ensure_ascii=False) + ":"
        codes, uniques = pd.factorize(frame[c], use_na_sentinel=True)
        frags = []
        for u in uniques:
            v = _jsonable(u)
            frags.append(None if v is None else key + json.dumps(v, ensure_ascii=False, default=str))
        frags.append(None)  # code -1: missing
        codes = np.where(codes < 0, len(uniques), codes)
        if c in failures and c not in columns:
            codes = np.where(failures[c], codes, len(uniques))
        tables.append((codes, frags))
        # keep the combined key compact (at most n distinct values)
        combo, _ = pd.factorize(combo * (len(uniques) + 1) + codes)
        combo = combo.astype(np.int64)
    first = np.unique(combo, return_index=True)[1]
    texts = np.empty(len(first), dtype=object)
    for k, row in enumerate(first):
        parts = [frags[codes[row]] for codes, frags in tables]
        parts = [p for p in parts if p is not None]
        texts[combo[row]] = "{" + ",".join(parts) + "}" if parts else None
    return texts[combo].tolist()
