"""A field value as people write it (form text, a CLI argument, a spreadsheet cell) in the field's
declared type, and value lists by key or label — the same conversion and the same refusals for
every layer and every way in."""

from __future__ import annotations

import datetime as dt
import math

from geo.core.errors import ValidationError
from geo.core.timeutil import as_date, to_utc_text
from geo.declare import registry as S


# the dates a form may hold: a date typed outside them is a slip (a year 20234, 0202), refused in
# Chinese by the write path — the pages' date pickers carry no bounds of their own (Streamlit's
# refusal of a date outside a picker's bounds is in English)
DATE_MIN, DATE_MAX = dt.date(1900, 1, 1), dt.date(2100, 12, 31)


def check_date(day: dt.date, zh: str, en: str, field: str | None = None) -> dt.date:
    """``day`` if it lies within :data:`DATE_MIN`..:data:`DATE_MAX`, else ValidationError naming
    the field (``zh``/``en``) and the range."""
    if DATE_MIN <= day <= DATE_MAX:
        return day
    raise ValidationError(f"{en}: {day.isoformat()} is outside {DATE_MIN.isoformat()} … {DATE_MAX.isoformat()}",
                          f"“{zh}”的日期 {day.isoformat()} 超出可填写的范围（{DATE_MIN.isoformat()} 至 "
                          f"{DATE_MAX.isoformat()}），未保存：请检查年份", field=field or en)


def coerce(lyr: S.Layer, name: str, value):
    """A field value from a form or the CLI (text) in the field's type, or ValidationError."""
    f = lyr.field(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if f.type == S.REAL:
            out = float(value)
            if math.isnan(out) or out < 0:
                raise ValueError
            return out
        if f.type == S.INT:
            return int(value)
        if f.type == S.DATE:
            day = as_date(value)
            if day is None:
                raise ValueError
            return check_date(day, f.zh, f.en, name).isoformat()
        if f.type == S.DATETIME:
            return to_utc_text(value)
        if f.type == S.BOOL:
            if isinstance(value, str):
                if value.lower() in ("1", "true", "yes", "是", "y"):
                    return True
                if value.lower() in ("0", "false", "no", "否", "n"):
                    return False
                raise ValueError
            return bool(value)
    except ValidationError:  # (a date out of range: its own message)
        raise
    except (TypeError, ValueError):
        kind = {S.REAL: "a number ≥ 0", S.INT: "a whole number", S.DATE: "a date YYYY-MM-DD",
                S.DATETIME: "a date and time", S.BOOL: "yes or no"}[f.type]
        kind_zh = {S.REAL: "不小于 0 的数字", S.INT: "整数", S.DATE: "日期（年-月-日）",
                   S.DATETIME: "日期时间", S.BOOL: "是或否"}[f.type]
        raise ValidationError(
            f"{f.en} ({name}) must be {kind}, not '{value}'",
            f"“{f.zh}”应为{kind_zh}，而不是“{value}”",
            field=name,
        ) from None
    if f.ref and isinstance(value, (list, tuple)):  # several records (a TEXT field with ``ref``): names or ids
        return "、".join(str(v).strip() for v in value if str(v).strip()) or None
    return str(value).strip()


def unfilled(values: dict, names) -> list[str]:
    """Those of ``names`` a form left empty (nothing, blank text, NaN) — every one of them, so a
    refusal names them all at once (a step's form, a register's add form)."""
    def empty(v) -> bool:
        return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v))
    return [n for n in names if empty(values.get(n))]


def check_values(lyr: S.Layer, values: dict) -> dict:
    """``values`` in their fields' types, with value lists and unknown names checked."""
    out = {}
    for name, value in values.items():
        f = lyr.field(name)
        v = coerce(lyr, name, value)
        if v is not None and f.options and v not in f.options:  # a list may say "满意" for satisfied
            v = next((o for o in f.options if v in (S.label(name, o, "zh"), S.label(name, o, "en"))), v)
        if v is not None and f.options and v not in f.options:
            v = option_key(f, v)
        if v is not None and f.options and v not in f.options:
            labels = "、".join(S.label(name, o) for o in f.options)
            raise ValidationError(f"{f.en} must be one of {', '.join(f.options)}, not '{v}'",
                                  f"“{f.zh}”只能是：{labels}（而不是“{v}”）", field=name)
        out[name] = v
    return out


def option_key(f: S.Field, value):
    """The key of a value-list entry written as people write it — its Chinese or English label
    ("打包" for ``bagging``), any case, spaces ignored — or ``value`` unchanged."""
    text = "".join(str(value).split()).lower()
    for key in f.options:
        pair = S.LABELS.get(f.name, {}).get(key)
        names = {str(key).lower(), *(("".join(p.split()).lower() for p in pair) if pair else ())}
        if pair:
            names.add("".join(pair[0].split()).rstrip("级"))  # "旗县" for 旗县级
        if text in names:
            return key
    return value
