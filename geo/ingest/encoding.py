"""Text encodings of attribute tables: find the one that reads right, or say it cannot be told.

GDAL decodes a shapefile's DBF with its ``.cpg``, else with the DBF's language-driver byte (LDID),
else as ISO-8859-1 — so a GBK table with neither reads *without any error* as Latin-1 garbage
(``Í¼°ß±àºÅ`` for 图斑编号). Here the raw bytes are looked at before GDAL reads them:

1. a ``--encoding`` the user gave wins;
2. pure ASCII needs no decision;
3. bytes that decode as strict UTF-8 are UTF-8 (random GBK text practically never does);
4. a ``.cpg`` or LDID naming a multi-byte code page (936 GBK, 950 Big5, 932 Shift-JIS, 949) is
   believed when the bytes decode strictly with it;
5. bytes that decode strictly as GB18030 *and* read as Chinese (most characters in the GB2312
   set — Shift-JIS or Latin-1 bytes decoded as GBK give rare characters) are GB18030 (a
   superset of GBK and GB2312); a ``.cpg``/LDID naming a one-byte Latin code page does not
   overrule this (ArcGIS often writes LDID 0x57 "ANSI" on GBK tables);
6. a ``.cpg``/LDID naming a one-byte code page is believed otherwise;
7. anything else is refused with the candidates (ranked by charset-normalizer) and a sample of
   what each would show, so a person can pick the one that reads right.
"""

from __future__ import annotations

import codecs
import struct
from dataclasses import dataclass, field

import numpy as np

from geo.core.errors import IngestError

# LDID (DBF byte 29) → code page, as GDAL's shapefile driver reads it.
LDID = {
    0x01: "cp437", 0x02: "cp850", 0x03: "cp1252", 0x08: "cp865", 0x0A: "cp850", 0x0B: "cp437",
    0x0D: "cp437", 0x0E: "cp850", 0x0F: "cp437", 0x10: "cp850", 0x11: "cp437", 0x12: "cp850",
    0x13: "cp932", 0x14: "cp850", 0x15: "cp437", 0x16: "cp850", 0x17: "cp865", 0x18: "cp437",
    0x19: "cp437", 0x1A: "cp850", 0x1B: "cp437", 0x1C: "cp863", 0x1D: "cp850", 0x1F: "cp852",
    0x22: "cp852", 0x23: "cp852", 0x24: "cp860", 0x25: "cp850", 0x26: "cp866", 0x37: "cp850",
    0x40: "cp852", 0x4D: "gbk", 0x4E: "cp949", 0x4F: "cp950", 0x50: "cp874", 0x57: "cp1252",
    0x58: "cp1252", 0x59: "cp1252", 0x64: "cp852", 0x65: "cp866", 0x66: "cp865", 0x67: "cp861",
    0x6A: "cp737", 0x6B: "cp857", 0x6C: "cp863", 0x78: "cp950", 0x79: "cp949", 0x7A: "gbk",
    0x7B: "cp932", 0x7C: "cp874", 0x86: "cp737", 0x87: "cp852", 0x88: "cp857", 0xC8: "cp1250",
    0xC9: "cp1251", 0xCA: "cp1254", 0xCB: "cp1253", 0xCC: "cp1257",
}
# .cpg contents seen in the wild → codec
CPG = {"936": "gbk", "cp936": "gbk", "gbk": "gbk", "gb2312": "gb18030", "gb18030": "gb18030",
       "54936": "gb18030", "950": "cp950", "big5": "big5", "932": "cp932", "shift_jis": "shift_jis",
       "sjis": "shift_jis", "949": "cp949", "65001": "utf-8", "utf8": "utf-8", "utf-8": "utf-8",
       "1252": "cp1252", "ansi 1252": "cp1252", "88591": "latin-1", "8859_1": "latin-1",
       "iso-8859-1": "latin-1", "iso88591": "latin-1", "latin1": "latin-1"}
MULTIBYTE = {"gbk", "gb18030", "gb2312", "big5", "cp950", "cp932", "shift_jis", "cp949", "euc_kr",
             "euc_jp", "utf-8", "utf-16", "hz"}
# what a person may pick when nothing can be told, most likely first for a Chinese bureau
CANDIDATES = ("gb18030", "utf-8", "big5", "shift_jis", "cp949", "cp1252")
# names GDAL (iconv) understands, by Python codec name
_GDAL_NAMES = {"gb18030": "GB18030", "gbk": "GBK", "gb2312": "GB18030", "utf-8": "UTF-8",
               "big5": "BIG5", "cp950": "CP950", "shift_jis": "SHIFT_JIS", "cp932": "CP932",
               "cp949": "CP949", "euc_kr": "EUC-KR", "euc_jp": "EUC-JP", "cp1252": "CP1252",
               "latin-1": "ISO-8859-1", "iso8859-1": "ISO-8859-1", "ascii": "UTF-8"}
PLAUSIBLE_CHINESE = 0.7  # share of non-ASCII characters that must be in GB2312


@dataclass
class Guess:
    """The encoding chosen for a table and why (``how``: override, ascii, utf8, cpg, ldid,
    detected)."""

    encoding: str  # Python codec name
    how: str
    declared: str | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)  # (zh, en)

    @property
    def gdal(self) -> str:
        return gdal_name(self.encoding)


def canonical(name: str, argument: str = "--encoding") -> str:
    """The Python codec name of ``name`` (``GBK`` → ``gbk``), or an error naming the argument."""
    key = str(name).strip().lower()
    key = CPG.get(key, key)
    try:
        codec = codecs.lookup(key).name
    except LookupError:
        raise IngestError(
            f"{argument} '{name}' is not a known text encoding; use e.g. GBK, GB18030, UTF-8, BIG5",
            f"无法识别的字符编码“{name}”，请填写 GBK、GB18030、UTF-8、BIG5 等",
            option="encoding",
        ) from None
    return {"iso8859-1": "latin-1", "gb2312": "gb18030"}.get(codec, codec)


def gdal_name(codec: str) -> str:
    return _GDAL_NAMES.get(codec, codec.upper().replace("_", "-"))


# ------------------------------------------------------------------------------ DBF bytes
def dbf_header(data: bytes) -> tuple[int, int, int, int, list[tuple[bytes, str, int, int]]]:
    """``(records, header_len, record_len, ldid, fields)`` of a DBF; fields are
    ``(raw name, type, offset in record, length)``."""
    if len(data) < 32:
        raise ValueError("DBF too short")
    n, hlen, rlen = struct.unpack_from("<IHH", data, 4)
    ldid = data[29]
    fields, pos, off = [], 32, 1  # byte 0 of a record is the deletion flag
    while pos + 32 <= min(hlen, len(data)) and data[pos] != 0x0D:
        raw = data[pos:pos + 11].split(b"\x00", 1)[0]
        ftype = chr(data[pos + 11])
        length = data[pos + 16]
        fields.append((raw, ftype, off, length))
        off += length
        pos += 32
    return n, hlen, rlen, ldid, fields


def dbf_samples(data: bytes, max_values: int = 20000, max_records: int = 50000) -> list[bytes]:
    """The non-ASCII byte strings of a DBF: field names and the distinct values of its
    character fields (at most ``max_values``, from at most ``max_records`` records spread
    evenly over the table)."""
    n, hlen, rlen, _, fields = dbf_header(data)
    out = [raw for raw, *_ in fields if max(raw, default=0) >= 0x80]
    if n == 0 or rlen == 0:
        return out
    n = min(n, (len(data) - hlen) // rlen)
    if n <= 0:
        return out
    rec = np.frombuffer(data, dtype=np.uint8, count=n * rlen, offset=hlen).reshape(n, rlen)
    if n > max_records:
        rec = rec[np.linspace(0, n - 1, max_records).astype(int)]
    per_field = max(1, max_values // max(1, sum(1 for f in fields if f[1] in "CM")))
    for _raw, ftype, off, length in fields:
        if ftype not in "CMV" or off + length > rlen or length == 0:
            continue
        block = rec[:, off:off + length]
        high = (block >= 0x80).any(axis=1)
        if not high.any():
            continue
        rows = np.ascontiguousarray(block[high]).view(f"S{length}").ravel()
        uniq = np.unique(rows)
        if len(uniq) > per_field:
            uniq = uniq[np.linspace(0, len(uniq) - 1, per_field).astype(int)]
        out.extend(v.rstrip(b" \x00") for v in uniq.tolist())
    return out


def text_samples(data: bytes, limit: int = 400_000) -> list[bytes]:
    """Non-ASCII runs (with a little context) of a text file such as GeoJSON or KML."""
    arr = np.frombuffer(data[: limit * 4], dtype=np.uint8)
    high = np.flatnonzero(arr >= 0x80)
    if len(high) == 0:
        return []
    # split into runs separated by ASCII quote/angle characters
    cuts = np.flatnonzero(np.isin(arr, np.frombuffer(b'"<>\n,:', dtype=np.uint8)))
    starts = np.searchsorted(cuts, high, side="right")
    out, seen = [], set()
    for k in np.unique(starts)[:20000]:
        a = cuts[k - 1] + 1 if k > 0 else 0
        b = cuts[k] if k < len(cuts) else len(arr)
        piece = bytes(arr[a:b])
        if piece not in seen:
            seen.add(piece)
            out.append(piece)
    return out


# ------------------------------------------------------------------------------ deciding
def _decodes(samples: list[bytes], codec: str) -> bool:
    """True if every sample decodes strictly (a multi-byte character cut at the end of a
    fixed-width DBF field is forgiven)."""
    for s in samples:
        dec = codecs.getincrementaldecoder(codec)(errors="strict")
        try:
            dec.decode(s, final=False)
        except UnicodeDecodeError:
            return False
    return True


def chinese_share(samples: list[bytes]) -> float:
    """Share of the non-ASCII characters of the samples, decoded as GB18030, that are in the
    GB2312 set (common Simplified Chinese and full-width punctuation)."""
    total = common = 0
    for s in samples:
        text = codecs.getincrementaldecoder("gb18030")(errors="replace").decode(s, final=False)
        for ch in text:
            if ord(ch) < 0x80:
                continue
            total += 1
            try:
                ch.encode("gb2312")
                common += 1
            except UnicodeEncodeError:
                pass
    return common / total if total else 0.0


def _ranked(samples: list[bytes]) -> list[str]:
    """Candidate encodings, the one charset-normalizer likes best first."""
    order = list(CANDIDATES)
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(b"\n".join(samples[:2000]), cp_isolation=list(CANDIDATES)).best()
        if best is not None:
            name = canonical(best.encoding)
            if name in order:
                order.remove(name)
            order.insert(0, name)
    except Exception:  # noqa: BLE001 - a ranking hint only; never decisive
        pass
    return [c for c in order if _decodes(samples, c)] or order


def preview(samples: list[bytes], codec: str, n: int = 3) -> str:
    vals = [s.decode(codec, errors="replace").strip() for s in samples[:50]]
    vals = [v for v in vals if v][:n]
    return "、".join(vals)


def decide(samples: list[bytes], *, override: str | None = None, declared: str | None = None,
           declared_how: str = "cpg", hint: str | None = None, what: str = "attribute table") -> Guess:
    """Choose the encoding of a table from its non-ASCII byte samples (see module docstring).

    Parameters
    ----------
    samples : list of bytes
        Non-ASCII strings of the table (:func:`dbf_samples` / :func:`text_samples`).
    override : str, optional
        What the user chose (``--encoding``); always wins.
    declared : str, optional
        What the file says (``.cpg`` text or LDID code page), already a codec name.
    hint : str, optional
        The encoding remembered for this source, used when nothing else decides.

    Raises
    ------
    IngestError
        When the bytes fit no encoding well enough to be sure; ``details['candidates']`` lists
        ``(encoding, sample)`` pairs for the person to choose from.
    """
    if override:
        codec = canonical(override)
        return Guess(codec, "override")
    if not samples:
        return Guess(declared or "utf-8", "ascii", declared)
    if _decodes(samples, "utf-8"):
        return Guess("utf-8", "utf8", declared)
    if declared and declared in MULTIBYTE and _decodes(samples, declared):
        return Guess(declared, declared_how, declared)
    if _decodes(samples, "gb18030") and chinese_share(samples) >= PLAUSIBLE_CHINESE:
        g = Guess("gb18030", "detected", declared)
        if declared and declared != "gb18030":
            g.notes.append((f"文件声明的编码为 {declared}，但内容实为中文 GBK/GB18030 编码，已按 GB18030 读取",
                            f"the file declares {declared} but the text is Chinese GBK/GB18030; "
                            "read as GB18030"))
        return g
    if declared and declared not in MULTIBYTE and _decodes(samples, declared):
        return Guess(declared, declared_how, declared)
    if hint:
        try:
            codec = canonical(hint)
        except IngestError:
            codec = None
        if codec and _decodes(samples, codec):
            return Guess(codec, "profile", declared)
    ranked = _ranked(samples)
    cands = [(gdal_name(c), preview(samples, c)) for c in ranked]
    shown = "；".join(f"{n}：{p}" for n, p in cands[:4])
    raise IngestError(
        f"the text encoding of the {what} cannot be told for sure (no .cpg, and the bytes fit "
        f"no encoding well); choose one with --encoding (candidates: "
        f"{', '.join(n for n, _ in cands)}) — pick the one whose sample reads right",
        f"无法确定{'属性表' if what == 'attribute table' else '文件'}的文字编码（没有 .cpg 文件，内容也不符合常见中文编码）。"
        f"请选择正确的编码（可在“高级选项”中选择，或命令行加 --encoding），以样例文字读起来正确为准：{shown}",
        option="encoding",
        candidates=[n for n, _ in cands],
        samples={n: p for n, p in cands},
    )
