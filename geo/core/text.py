"""Text from bytes whose encoding nobody declared: the one rule for a CSV list, a track file or a
zip member's name — UTF-8 (with or without its byte-order mark) first, then GB18030 (which
reads GBK and GB2312 too), else a refusal that says so. Attribute tables of shapefiles have their
own detection (:mod:`geo.ingest.encoding`), which weighs the whole table."""

from __future__ import annotations

from geo.core.errors import IngestError

CODECS = ("utf-8-sig", "gb18030")


def decode(data: bytes, codecs: tuple[str, ...] = CODECS) -> str | None:
    """``data`` decoded by the first of ``codecs`` that reads it whole, or None."""
    for codec in codecs:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return None


def decode_or_refuse(data: bytes, name: str) -> str:
    """``data`` as text, or an :class:`~geo.core.errors.IngestError` naming the file."""
    text = decode(data)
    if text is None:
        raise IngestError(f"{name}: not UTF-8 or GBK text", f"“{name}”既不是 UTF-8 也不是 GBK 编码的文本")
    return text
