"""Texts people read for what the store keeps as codes and JSON: the fields of an account event
(``{"user": "li_si", "role": "inspector", "counties": ["152224"]}`` → ``账号：li_si；角色：核查员；
旗县：突泉县``). Keyed values (statuses, operations, …) are labelled by :func:`geo.declare.registry.label`."""

from __future__ import annotations

import json
from geo.access.auth import ROLE_LABELS

_KEYS = {"user": ("账号", "Account"), "role": ("角色", "Role"), "counties": ("旗县", "Counties"),
         "ip": ("登录地址", "Address")}


def audit_text(fields, lang: str = "zh", county_names: dict | None = None) -> str:
    """One line for the fields of an account event (JSON text or a dict); ``""`` for none."""

    if fields is None or fields == "" or (isinstance(fields, float) and fields != fields):
        return ""
    if isinstance(fields, str):
        try:
            fields = json.loads(fields)
        except ValueError:
            return fields
    if not isinstance(fields, dict):
        return str(fields)
    zh = lang == "zh"
    names = county_names or {}
    parts = []
    for key, value in fields.items():
        if key == "role":
            value = ROLE_LABELS.get(value, (value, value))[0 if zh else 1]
        elif key == "counties":
            value = ("、" if zh else ", ").join(names.get(c, c) for c in value or []) or ("全部" if zh else "all")
        label = _KEYS.get(key, (key, key))[0 if zh else 1]
        parts.append(f"{label}{'：' if zh else ': '}{value}")
    return ("；" if zh else "; ").join(parts)
