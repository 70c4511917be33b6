"""Texts people read for what the store keeps as codes and JSON: the fields of an account event
(``{"user": "li_si", "role": "inspector", "counties": ["152224"]}`` → ``账号：li_si；角色：核查员；
旗县：突泉县``). Keyed values (statuses, operations, …) are labelled by :func:`geo.declare.registry.label`."""

from __future__ import annotations

import json

from geo.access.auth import ROLE_LABELS
from geo.access.scope import unwrap

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


def county_names(store) -> dict[str, str]:
    """County code → name (152224 → 突泉县) of the jurisdiction, whatever the store's scope."""

    raw, _ = unwrap(store)
    frame = raw.read_layer("admin", where={"level": "county"}, columns=["code", "name"], geometry=False)
    return {str(c): str(n) for c, n in zip(frame["code"], frame["name"]) if n}


def scope_text(counties, lang: str = "zh", names: dict | None = None) -> str:
    """An account's counties as people read them: their names (突泉县、科尔沁右翼前旗), or 全部旗县
    for an account bound to none. A code the jurisdiction does not know is shown as it is."""

    zh = lang == "zh"
    names = names or {}
    codes = [str(c) for c in (counties or [])]
    if not codes:
        return "全部旗县" if zh else "all counties"
    return ("、" if zh else ", ").join(names.get(c, c) for c in codes)
