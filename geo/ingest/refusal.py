"""Refusals people can read: every reason an upload is turned away names the person's own file,
says what is wrong in their language, and never shows an exception's class, a library's English
sentence or a path on the server.

Used at both edges — ``python -m geo ingest`` and the upload page — around the same code:

* :func:`named` — a refusal raised on purpose (:class:`~geo.core.errors.GeoError`), with the file's
  name put in front when the message does not say it, and any server path replaced by it;
* :func:`gdal_refusal` — GDAL could not open or read the file: its English sentence becomes a
  reason in Chinese (and a clean English one), the sentence itself kept only in ``details``;
* :func:`unexpected` — anything else (a bug, a library failing on a file nobody foresaw): a
  plain refusal naming the file, and the traceback in the server log for the administrator.
"""

from __future__ import annotations

import logging
import re

from geo.core.errors import GeoError, IngestError
from geo.ingest.archive import SUPPORTED_EN, SUPPORTED_ZH

log = logging.getLogger("geo.ingest")

# absolute paths (and GDAL's /vsizip/ paths) inside a message; a server path means nothing to
# the person and tells an attacker where things are
_PATH = re.compile(r"""(?<![^\s'"“‘(（:：=])(?:/vsi[a-z]+)?(?:/[^\s'"“”‘’()（）:：,，;；<>]+){2,}/?""")
_LINE = re.compile(r"line (\d+)", re.I)

_KIND_ZH = {".gpkg": "GeoPackage", ".geojson": "GeoJSON", ".json": "GeoJSON", ".kml": "KML", ".kmz": "KMZ",
            ".gpx": "GPX", ".shp": "Shapefile", ".dbf": "Shapefile", ".shx": "Shapefile", ".zip": "zip"}


def scrub(text: str, name: str) -> str:
    """``text`` with every server path replaced by the file's own ``name``."""
    return _PATH.sub(lambda _m: name, str(text))


def _kind(name: str) -> str:
    """The format a file's (last) extension names, e.g. ``KML`` for ``图斑.kml``."""
    exts = [e for e in re.findall(r"\.[A-Za-z0-9]+", name.lower()) if e in _KIND_ZH]
    return _KIND_ZH[exts[-1]] if exts else ""


def gdal_refusal(message: str, name: str) -> IngestError:
    """What GDAL's error ``message`` about the file ``name`` means for the person who sent it."""
    msg = scrub(str(message).split("\n")[0], name)[:300]
    low = msg.lower()
    kind = _kind(name)
    line = _LINE.search(msg)
    where_zh = f"（第 {line.group(1)} 行附近有误）" if line else ""
    where_en = f" (near line {line.group(1)})" if line else ""
    if "not recognized as" in low or "not a database" in low or "malformed" in low or "unsupported file format" in low:
        zh = (f"文件“{name}”的内容无法识别：不是有效的{f' {kind} ' if kind else '数据'}文件，可能已损坏，或扩展名与内容不符。"
              "请在 GIS 软件中打开确认后重新导出上传")
        en = (f"'{name}' could not be recognised: it is not a valid {kind or 'data'} file (damaged, or its "
              "extension does not match its content); open it in a GIS program, export it again and upload that")
    elif "parsing" in low or "not well-formed" in low or "mismatched tag" in low or "unterminated" in low \
            or "syntax error" in low or "xml" in low:
        zh = (f"文件“{name}”的格式有误{where_zh}，内容不完整或已损坏，无法读取。"
              "请重新导出该文件（或在 GIS 软件中打开后另存）再上传")
        en = (f"'{name}' is not well-formed{where_en}: incomplete or damaged; export it again (or open and "
              "save it in a GIS program) and upload that")
    elif ".shx" in low or ".dbf" in low or "corrupt" in low or "unreadable" in low or "failed to read" in low:
        zh = f"文件“{name}”已损坏或不完整（Shapefile 的 .shp/.shx/.dbf 不配套或被截断），无法读取。请重新导出后上传"
        en = (f"'{name}' is damaged or incomplete (the shapefile's .shp/.shx/.dbf do not match or are cut "
              "short); export it again and upload that")
    else:
        zh = f"文件“{name}”无法读取，可能已损坏或格式不受支持。请上传：{SUPPORTED_ZH}"
        en = f"'{name}' could not be read: it may be damaged or of a kind that is not supported; upload: {SUPPORTED_EN}"
    return IngestError(en, zh, file=name, gdal=msg)


def named(err: GeoError, name: str) -> GeoError:
    """``err`` with the file's ``name`` in its message (put in front if it is not there yet) and
    no server paths; the same class, exit code and details."""
    if not name:
        return err
    zh, en = scrub(err.zh, name), scrub(err.en, name)
    if name not in zh:
        zh = f"文件“{name}”未能导入：{zh}"
    if name not in en:
        en = f"'{name}' was not imported: {en}"
    details = {k: (scrub(v, name) if isinstance(v, str) else v) for k, v in err.details.items()}
    out = type(err)(en, zh, **details)
    out.__cause__ = err.__cause__ or err
    return out


def unexpected(ex: BaseException, name: str) -> IngestError:
    """A refusal for a failure nobody foresaw: the person learns that their file could not be
    processed and what to try; the administrator finds the traceback in the log."""
    log.error("ingest of %r failed unexpectedly", name, exc_info=ex)
    shown = name or "所选文件"
    return IngestError(
        f"'{name or 'the file'}' could not be processed, and nothing was written. The file may be damaged or "
        "hold something this system cannot read: open it in a GIS program (QGIS, ArcGIS), save it again as a "
        "shapefile or GeoPackage and upload that; if that does not help, give the file to an administrator "
        "(the server log has the details)",
        f"处理文件“{shown}”时出错，未写入任何数据。文件可能已损坏，或含有系统无法读取的内容："
        "请在 GIS 软件（如 QGIS、ArcGIS）中打开检查，另存为 Shapefile 或 GeoPackage 后重新上传；"
        "如仍不行，请把文件交给系统管理员（服务器日志中有详细记录）",
        file=name)
