"""What the bulletin's settings are and which values they take (checked wherever they come from:
forest.toml, the app, the CLI); where they are kept and loaded is :mod:`geo.report.settings`.

The bulletin's genre, provenance and 公文 details, as settings a bureau can change without code.

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

import datetime as dt
from dataclasses import dataclass, fields

from geo.core.errors import ConfigError, ValidationError

GENRES = ("progress", "inspection")
TABLE_MODES = ("attachment", "inline")
DATE_KEYS = ("inspection_start", "inspection_end", "feedback_date", "print_date")


@dataclass(frozen=True)
class ReportSettings:
    genre: str = "progress"
    issuer: str = ""
    subject: str = ""
    authority: str = ""
    team: str = ""
    inspection_kind: str = "巡察"
    inspected: str = ""
    inspection_start: str = ""
    inspection_end: str = ""
    feedback_date: str = ""
    doc_number: str = ""
    letterhead: str = ""
    signer: str = ""
    recipients: str = ""
    cc: str = ""
    printer: str = ""
    print_date: str = ""
    tables: str = "attachment"
    contact: str = ""

    @property
    def inspection(self) -> bool:
        """The seeds' form applies when the genre says so and the provenance is there."""
        return self.genre == "inspection" and bool(self.team and self.feedback_date)

    def date(self, key: str) -> dt.date | None:
        value = getattr(self, key)
        return dt.date.fromisoformat(value) if value else None


KEYS = tuple(f.name for f in fields(ReportSettings))
LABELS = {  # for the app's form: (Chinese, English)
    "genre": ("通报类型", "Bulletin type"),
    "issuer": ("发文机关（署名）", "Issuing body (signature)"),
    "subject": ("通报事由（标题用）", "Subject (in the title)"),
    "authority": ("统一部署机关", "Deployed by"),
    "team": ("巡察组", "Inspection team"),
    "inspection_kind": ("巡察类型", "Kind of inspection"),
    "inspected": ("被巡察单位", "Inspected body"),
    "inspection_start": ("巡察开始日期", "Inspection from"),
    "inspection_end": ("巡察结束日期", "Inspection to"),
    "feedback_date": ("反馈日期", "Feedback given on"),
    "doc_number": ("发文字号", "Document number"),
    "letterhead": ("发文机关标志（版头）", "Letterhead"),
    "signer": ("签发人（上行文）", "Signed off by (upward documents)"),
    "recipients": ("主送机关", "Addressed to"),
    "cc": ("抄送机关", "Copied to"),
    "printer": ("印发机关", "Printed by"),
    "print_date": ("印发日期", "Printed on"),
    "tables": ("统计表位置", "Tables"),
    "contact": ("联系方式", "Contact paragraph"),
}
CHOICES = {"genre": {"progress": ("整改进展情况通报", "Progress report"),
                     "inspection": ("巡察整改进展情况通报", "Inspection follow-up report")},
           "tables": {"attachment": ("作为附件", "As attachments"), "inline": ("正文中", "In the text")}}


def clean(values: dict, where: str) -> dict:
    out = {}
    for key, value in values.items():
        if key not in KEYS:
            raise ValidationError(f"{where}: unknown bulletin setting '{key}'; known: {', '.join(KEYS)}",
                                  f"{where}：未知的通报设置“{key}”")
        if value is None:
            value = ""
        if isinstance(value, dt.date):
            value = value.isoformat()
        value = str(value).strip()
        if key in DATE_KEYS and value:
            try:
                value = dt.date.fromisoformat(value[:10]).isoformat()
            except ValueError:
                raise ValidationError(f"{where}: {key} must be a date (YYYY-MM-DD), not '{value}'",
                                      f"{where}：{LABELS[key][0]}应为日期（如 2023-08-17），而不是“{value}”") from None
        if key == "genre" and value and value not in GENRES:
            raise ValidationError(f"{where}: genre must be one of {GENRES}",
                                  f"{where}：通报类型只能是 {'、'.join(GENRES)}")
        if key == "tables" and value and value not in TABLE_MODES:
            raise ValidationError(f"{where}: tables must be one of {TABLE_MODES}",
                                  f"{where}：统计表位置只能是 {'、'.join(TABLE_MODES)}")
        out[key] = value
    return out


def check_file_values(values, path) -> dict:
    """The ``[bulletin]`` table of a settings file, checked (read by :mod:`geo.core.config`)."""
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: [bulletin] must be a table", f"配置文件 {path} 中 [bulletin] 应为表")
    try:
        return clean(values, str(path))
    except ValidationError as err:
        raise ConfigError(err.en, err.zh) from None
