"""What leaders hand upward: the bulletin (整改进展情况通报, Word) and the ledger (台账, Excel).

Both are built from :func:`geo.stats.summary` and the store, as things stand now or as they
stood at the end of a past day (``as_of``), and written to a temporary file beside the target that
is renamed into place — a failed report never leaves half a file.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from geo.config import Settings
from geo.errors import ValidationError
from geo.store import Store

FORMATS = ("docx", "xlsx")


def write_report(store: Store, fmt: str, out: str | os.PathLike, *, settings: Settings,
                 as_of: dt.date | None = None, batch_ids: list[int] | None = None) -> Path:
    """Write the bulletin (``docx``) or the ledger (``xlsx``) to ``out``; return its path."""
    if fmt not in FORMATS:
        raise ValidationError(
            f"unknown report format '{fmt}'; choose one of {', '.join(FORMATS)}",
            f"不支持的报告格式“{fmt}”，可选：{'、'.join(FORMATS)}",
        )
    out = Path(out)
    if out.exists() and out.is_dir():
        raise ValidationError(f"{out} is a directory; give a file name", f"{out} 是文件夹，请给出文件名")
    out.parent.mkdir(parents=True, exist_ok=True)
    data = render(store, fmt, settings=settings, as_of=as_of, batch_ids=batch_ids)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=f".{fmt}", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return out


def render(store: Store, fmt: str, *, settings: Settings, as_of: dt.date | None = None,
           batch_ids: list[int] | None = None) -> bytes:
    """The report's bytes (the dashboard's download button uses this directly)."""
    if fmt == "docx":
        from geo.report.bulletin import bulletin

        return bulletin(store, settings=settings, as_of=as_of, batch_ids=batch_ids)
    if fmt == "xlsx":
        from geo.report.ledger import ledger

        return ledger(store, settings=settings, as_of=as_of, batch_ids=batch_ids)
    raise ValidationError(
        f"unknown report format '{fmt}'; choose one of {', '.join(FORMATS)}",
        f"不支持的报告格式“{fmt}”，可选：{'、'.join(FORMATS)}",
    )


def file_name(fmt: str, settings: Settings, as_of: dt.date | None = None) -> str:
    """A name a person recognises: ``兴安盟林业和草原局整改进展情况通报（2023年12月9日）.docx``."""
    from geo.report.text import zh_date
    from geo.timeutil import today_local

    day = zh_date(as_of or today_local())
    what = "整改进展情况通报" if fmt == "docx" else "整改台账"
    return f"{settings.org_name}{what}（{day}）.{fmt}"


__all__ = ["write_report", "render", "file_name", "FORMATS"]
