"""How a register's values read to people: labels of keyed values, dates in the bureau's time
zone, yes/no, numbers — the same on the page, in exports and in the ledger."""

from __future__ import annotations

import json
import math

import pandas as pd

from geo.declare import registry as S
from geo.core.timeutil import fmt_local

def action_label(action: str, lang: str = "zh") -> str:
    """An event's action as people say it (geo.declare.registry.LABELS["action"], then the registers' operations)."""
    known = S.LABELS.get("action", {}).get(str(action))
    pair = known or _operation_labels().get(str(action))
    return (pair[0] if lang == "zh" else pair[1]) if pair else str(action)


def _operation_labels() -> dict[str, tuple[str, str]]:
    """Event actions named after a register's operations, labelled as the operation is."""
    return {op.key: (op.zh, op.en) for lyr in S.LAYERS.values() for op in lyr.operations}


def flag_texts(record: dict, lang: str = "zh") -> list[str]:
    """A record's flags (``flags``: key -> detail) as sentences, labelled by the register's
    ``labels["flag"]``; a detail that is a number or text follows the label."""
    flags = record.get("flags")
    if isinstance(flags, str):
        try:
            flags = json.loads(flags)
        except ValueError:
            flags = None
    if not isinstance(flags, dict):
        return []
    out = []
    for key, detail in flags.items():
        if detail in (None, False, {}, []):
            continue
        text = S.label("flag", key, lang)
        if isinstance(detail, (int, float, str)) and not isinstance(detail, bool):
            text += f"（{detail}）" if lang == "zh" else f" ({detail})"
        out.append(text)
    return out


def value_text(lyr: S.Layer, name: str, value, lang: str = "zh") -> str | None:
    """``value`` of field ``name`` as text for people (None when empty)."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    f = lyr.field(name) if lyr.has(name) else None
    if name == "status" or (f is not None and f.options) or name in S.LABELS:
        kind = "status" if name == "status" else name
        return S.label(kind, value, lang, layer=lyr.key)
    t = f.type if f is not None else None
    if t == S.DATETIME:
        return fmt_local(value)
    if t == S.BOOL or isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if t == S.JSON or isinstance(value, (list, dict)):
        data = json.loads(value) if isinstance(value, str) else value
        return json.dumps(data, ensure_ascii=False) if data not in (None, {}, []) else None
    if isinstance(value, float):
        digits = 2 if f is not None and f.unit in ("元", "亩", "公里", "万元") else 4
        return f"{value:,.{digits}f}".rstrip("0").rstrip(".")
    return str(value)


def record_rows(lyr: S.Layer, record: dict, lang: str = "zh") -> list[tuple[str, str]]:
    rows = []
    for f in lyr.fields:
        if f.internal:
            continue
        v = value_text(lyr, f.name, record.get(f.name), lang)
        if v is not None:
            label = f.label(lang) + (f"（{f.unit}）" if f.unit and f.unit not in f.zh else "")
            rows.append((label, v))
    flags = flag_texts(record, lang)
    if flags:
        rows.append(("提示" if lang == "zh" else "Flags", "；".join(flags) if lang == "zh" else "; ".join(flags)))
    return rows


def history_rows(lyr: S.Layer, events: list[dict], lang: str = "zh") -> pd.DataFrame:
    zh = lang == "zh"
    rows = []
    for e in events:
        fields = e.get("fields") or {}
        shown = "；".join(
            f"{lyr.field(k).label(lang) if lyr.has(k) else k}：{value_text(lyr, k, v, lang) or '—'}"
            for k, v in fields.items() if k not in ("batch_id", "zones"))
        rows.append({
            "时间" if zh else "When": fmt_local(e["at"]),
            "操作人" if zh else "Who": e["actor"],
            "操作" if zh else "Action": action_label(e["action"], lang),
            "状态" if zh else "Status": S.label("status", e.get("to_status"), lang, layer=lyr.key) if e.get("to_status") else "",
            "说明" if zh else "Comment": e.get("comment") or "",
            "内容" if zh else "Details": shown,
            "附件" if zh else "Files": len(e.get("attachment_ids") or []),
        })
    return pd.DataFrame(rows)


def table(lyr: S.Layer, frame: pd.DataFrame, lang: str = "zh", columns=None) -> pd.DataFrame:
    """A listing with labelled columns and readable values (ids kept as the first column)."""
    cols = [c for c in (columns or lyr.list_fields or [f.name for f in lyr.fields if not f.internal][:6])
            if c in frame.columns]
    out = pd.DataFrame({"ID": frame["id"].astype("int64")}) if "id" in frame else pd.DataFrame(index=frame.index)
    for c in cols:
        label = lyr.field(c).label(lang) if lyr.has(c) else c
        out[label] = [value_text(lyr, c, v, lang) or "" for v in frame[c].tolist()]
    return out
