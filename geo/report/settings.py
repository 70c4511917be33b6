"""The bulletin's genre, provenance and 公文 details, as settings a bureau can change without code.

Three layers, later ones winning: the defaults here (a plain progress report of ``org_name``);
the ``[bulletin]`` table of ``forest.toml``; what was saved in the app (the store's
``report_settings`` table, so a bureau without access to the server's files can edit them).

Keys (all optional):

``genre``
    ``inspection`` — a 巡察整改进展情况通报 as in the seeds: it opens with where the feedback came
    from and is signed by the issuing body; ``progress`` (default) — a plain 整改进展情况通报.
``issuer``
    发文机关署名 and the title's first words, e.g. "中共兴安盟林业和草原局党组" (default ``org_name``).
``subject``
    what the bulletin is about, in the title: "兴安盟委第四轮（专项）巡察" (inspection) or
    "林长制" (progress, the default).
``authority``, ``team``, ``inspection_kind``, ``inspected``
    "根据{authority}统一部署", "{team}对{inspected}开展了{inspection_kind}" — e.g. "兴安盟委",
    "盟委第三巡察组", "专项巡察", "兴安盟林业和草原局党组".
``inspection_start``, ``inspection_end``, ``feedback_date``
    the inspection's dates and the day the feedback was given (YYYY-MM-DD).
``doc_number``, ``letterhead``, ``signer``
    发文字号 ("兴林草党字〔2023〕41号"), 发文机关标志 (default the issuer when a number is set) and
    签发人 (only for documents sent upward).
``recipients``, ``cc``, ``printer``, ``print_date``
    主送机关, 抄送机关 (版记), 印发机关 and 印发日期 (default the date of the bulletin).
``tables``
    ``attachment`` (default: the county tables as 附件 after the signature) or ``inline``.
``contact``
    the contact paragraph (default: ``contact`` of the settings).
"""

from __future__ import annotations

from dataclasses import asdict, replace

from geo.access.scope import unwrap
from geo.core.bulletin_settings import (  # noqa: F401  (what pages and reports read from here)
    CHOICES, DATE_KEYS, GENRES, KEYS, LABELS, TABLE_MODES, ReportSettings, clean, check_file_values,
)
from geo.core.config import Settings
from geo.core.errors import PermissionDenied
from geo.core.timeutil import now_utc

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


def save(store, values: dict, *, actor: str, access=None) -> None:
    """Save settings in the store (an empty value removes the saved one, so the file's applies).
    Administrators, data staff and leaders of the whole jurisdiction may."""

    access = unwrap(store, access)[1]
    if access is not None and (access.role not in ("admin", "staff", "leader") or access.counties is not None):
        raise PermissionDenied(f"role '{access.role}' may not change the bulletin settings",
                               "只有系统管理员、数据管理员和全域领导账号可以修改通报设置")
    values = clean(values, "通报设置")
    raw = unwrap(store)[0]
    with raw.transaction() as tx:
        for key, value in values.items():
            tx.execute("DELETE FROM report_settings WHERE key = ?", [key])
            if value:
                tx.execute("INSERT INTO report_settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)",
                           [key, value, now_utc(), actor])


def as_dict(rs: ReportSettings) -> dict:
    return asdict(rs)
