"""Evidence files (photos, PDFs): type sniffed from the bytes, never trusted from the name."""

from __future__ import annotations

from pathlib import Path

from geo.core.errors import ValidationError

MAX_BYTES = 25 * 1024 * 1024

_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)

ALLOWED = {"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"}


def sniff(data: bytes) -> str | None:
    """The MIME type of ``data`` from its first bytes, or ``None`` if it is not an allowed kind."""
    for magic, mime in _SIGNATURES:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check(name: str, data: bytes) -> str:
    """Validate one evidence file; return its sniffed MIME type."""
    if not data:
        raise ValidationError(
            f"evidence file '{name}' is empty", f"证据文件“{name}”为空", file=name
        )
    if len(data) > MAX_BYTES:
        raise ValidationError(
            f"evidence file '{name}' is {len(data) / 1e6:.1f} MB; the limit is "
            f"{MAX_BYTES / 1e6:.0f} MB",
            f"证据文件“{name}”大小 {len(data) / 1e6:.1f} MB，超过 {MAX_BYTES / 1e6:.0f} MB 上限",
            file=name,
        )
    mime = sniff(data)
    if mime is None:
        raise ValidationError(
            f"evidence file '{name}' is not a photo (JPEG/PNG/GIF/WebP) or a PDF; its content "
            "was checked, not its name",
            f"证据文件“{name}”不是照片（JPEG/PNG/GIF/WebP）或 PDF 文件（按文件内容判断，而非扩展名）",
            file=name,
        )
    return mime


def read_files(paths) -> list[tuple[str, bytes]]:
    out = []
    for p in paths or ():
        path = Path(p)
        try:
            out.append((path.name, path.read_bytes()))
        except OSError as ex:
            raise ValidationError(
                f"cannot read evidence file {path}: {ex.strerror}",
                f"无法读取证据文件 {path}：{ex.strerror}",
                file=str(path),
            ) from ex
    return out
