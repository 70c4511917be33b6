"""Where the bulletin's settings are kept and how they are loaded: three layers, later ones winning —
the defaults, the ``[bulletin]`` table of ``forest.toml``, and what was saved in the app (the
store's ``report_settings`` table, so a bureau without access to the server's files can edit them).
What each setting means and which values it takes: :mod:`geo.core.bulletin_settings`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace

from geo.access.scope import unwrap
from geo.core.bulletin_settings import (  # noqa: F401  (what pages and reports read from here)
    CHOICES, DATE_KEYS, GENRES, KEYS, LABELS, TABLE_MODES, ReportSettings, clean, check_file_values,
)
from geo.core.config import Settings
from geo.core.errors import PermissionDenied
from geo.core.timeutil import now_utc
from geo.report.records import conflict

def stored(store) -> dict:
    """What was saved in the app."""
    raw = unwrap(store)[0]
    frame = raw.table("report_settings")
    return {k: (v or "") for k, v in zip(frame["key"], frame["value"]) if k in KEYS}


def load(store, settings: Settings) -> ReportSettings:
    """The settings in effect: defaults ← ``[bulletin]`` of the file ← saved in the app."""
    values = {k: v for k, v in (settings.bulletin or {}).items() if v not in (None, "")}
    if store is not None:
        values.update({k: v for k, v in stored(store).items() if v != ""})
    rs = replace(ReportSettings(), **values)
    if not rs.contact:
        rs = replace(rs, contact=settings.contact)
    return rs


def save(store, values: dict, *, actor: str, access=None, seen: dict | None = None) -> None:
    """Save settings in the store (an empty value removes the saved one, so the file's applies).
    Administrators, data staff and leaders of the whole jurisdiction may. A save that changes
    something writes one event (``report_setting``) with each changed key before and after.
    ``seen`` is what was saved when the form was shown (:func:`stored`): if the saved settings
    have changed since, the save is refused with who changed them and when, nothing written."""

    access = unwrap(store, access)[1]
    if access is not None and (access.role not in ("admin", "staff", "leader") or access.counties is not None):
        raise PermissionDenied(f"role '{access.role}' may not change the bulletin settings",
                               "只有系统管理员、数据管理员和全域领导账号可以修改通报设置")
    values = clean(values, "通报设置")
    raw = unwrap(store)[0]
    with raw.transaction() as tx:
        was = {k: v for k, v in tx.query("SELECT key, value FROM report_settings")}
        if seen is not None and any((was.get(k) or None) != (seen.get(k) or None) for k in KEYS):
            raise conflict(tx, "report_setting", "通报设置", "the bulletin settings")
        changes = {key: [was.get(key) or None, value or None] for key, value in values.items()
                   if (was.get(key) or None) != (value or None)}
        if not changes:
            return
        at = now_utc()
        for key in changes:
            value = values[key]
            tx.execute("DELETE FROM report_settings WHERE key = ?", [key])
            if value:
                tx.execute("INSERT INTO report_settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)",
                           [key, value, at, actor])
        # the history (geo.report.records.history): one event per save, each key before → after
        raw.add_events(tx, [("report_setting", 0, at, actor, "edit", None, None,
                             json.dumps({"before": {k: b for k, (b, _) in changes.items()},
                                         "after": {k: a for k, (_, a) in changes.items()}}, ensure_ascii=False),
                             None, None, None)])


def as_dict(rs: ReportSettings) -> dict:
    return asdict(rs)
