"""What leaders hand upward: the bulletin (整改进展情况通报, Word), the ledger (台账, Excel) and
the rectification plan (整改方案·问题清单, Word: each problem with its measures, responsible leader
and unit and deadline — the lines a progress bulletin leaves out).

All three are built from :func:`geo.stats.summary.summary` and the store for one scope — the counties and
batches asked for (an account limited to some counties gets only those), as things stand now or as
they stood at the end of a past day (``as_of``) — and written to a temporary file beside the target
that is renamed into place, so a failed report never leaves half a file.

Modules: :mod:`.bulletin` (content), :mod:`.layout` (the 公文 layout), :mod:`.problems` (section 二),
:mod:`.sections` (drafts of the editable sections; the hook registers add paragraphs through),
:mod:`.settings` (genre, provenance, 公文 details), :mod:`.records` (recorded actions, the bureau's own
section texts), :mod:`.ledger`, :mod:`.plan`, :mod:`.text` (numbers and dates).

Uses :mod:`geo.stats`, every part of the system and the layers below them.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from geo.core.config import Settings
from geo.core.errors import ValidationError
from geo.store import Store
from geo.report.bulletin import bulletin
from geo.report.plan import plan
from geo.report.ledger import ledger
from geo.docs.text import zh_date
from geo.core.timeutil import today_local

FORMATS = ("docx", "xlsx", "plan-docx")
SUFFIX = {"docx": "docx", "xlsx": "xlsx", "plan-docx": "docx"}


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValidationError(
            f"unknown report format '{fmt}'; choose one of {', '.join(FORMATS)}",
            f"不支持的报告格式“{fmt}”，可选：{'、'.join(FORMATS)}",
        )


def write_report(store: Store, fmt: str, out: str | os.PathLike, *, settings: Settings,
                 as_of: dt.date | None = None, batch_ids: list[int] | None = None,
                 counties: list[str] | None = None, internal: bool = False) -> Path:
    """Write the bulletin (``docx``), the ledger (``xlsx``) or the plan (``plan-docx``) to
    ``out``; return its path. ``internal``: the ledger keeps the store's own columns too."""
    _check(fmt)
    out = Path(out)
    if out.exists() and out.is_dir():
        raise ValidationError(f"{out} is a directory; give a file name", f"{out} 是文件夹，请给出文件名")
    out.parent.mkdir(parents=True, exist_ok=True)
    data = render(store, fmt, settings=settings, as_of=as_of, batch_ids=batch_ids, counties=counties,
                  internal=internal)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=f".{SUFFIX[fmt]}", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return out


def render(store: Store, fmt: str, *, settings: Settings, as_of: dt.date | None = None,
           batch_ids: list[int] | None = None, counties: list[str] | None = None,
           internal: bool = False) -> bytes:
    """The report's bytes (the dashboard's download buttons use this directly)."""
    _check(fmt)
    if fmt == "docx":

        return bulletin(store, settings=settings, as_of=as_of, batch_ids=batch_ids, counties=counties)
    if fmt == "plan-docx":

        return plan(store, settings=settings, as_of=as_of, batch_ids=batch_ids, counties=counties)

    return ledger(store, settings=settings, as_of=as_of, batch_ids=batch_ids, counties=counties,
                  internal=internal)


def file_name(fmt: str, settings: Settings, as_of: dt.date | None = None, scope: str = "") -> str:
    """A name a person recognises: ``兴安盟林业和草原局突泉县整改进展情况通报（2023年12月9日）.docx``."""

    day = zh_date(as_of or today_local())
    what = {"docx": "整改进展情况通报", "xlsx": "整改台账", "plan-docx": "整改方案（问题清单）"}[fmt]
    return f"{settings.org_name}{scope}{what}（{day}）.{SUFFIX[fmt]}"


__all__ = ["write_report", "render", "file_name", "FORMATS"]
