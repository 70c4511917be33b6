"""What was handed in, and whether an archive is safe to look into.

Nothing here extracts an archive. A zip is judged from its central directory — entry count,
declared sizes, compression ratio, nested archives, paths that would leave the folder, links,
encryption — before a byte of its content is read, and GDAL then reads the data in place through
``/vsizip/``. The only files written are the upload itself, under a name chosen here, inside a
private temporary folder that is removed afterwards (and, for a text format that has to be
re-encoded, one UTF-8 copy beside it).

Zip entry names written by Windows tools are GBK without the UTF-8 flag. Python shows them as
CP437 mojibake, and so does GDAL (it recodes them from CP437), so the CP437 form is the path GDAL
is given, and the GBK (or UTF-8) reading is the name people see.
"""

from __future__ import annotations

import hashlib
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable

from geo.core.errors import IngestError
from geo.core.text import decode

MB = 1024 * 1024
SHAPEFILE_PARTS = {".shp", ".shx", ".dbf", ".prj", ".cpg", ".sbn", ".sbx", ".qix", ".fix", ".qmd",
                   ".qpj", ".xml", ".atx", ".ain", ".aih", ".ixs", ".mxs", ".shp.xml"}
SINGLE_FORMATS = {".gpkg": "gpkg", ".geojson": "geojson", ".json": "geojson", ".kml": "kml",
                  ".gpx": "gpx"}
ARCHIVES = {".zip", ".kmz", ".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".z", ".cab",
            ".arj", ".lzh", ".zipx", ".jar"}
SUPPORTED_ZH = "压缩的 Shapefile（.zip）、Shapefile 文件组（.shp/.dbf/.shx/.prj）、GeoPackage（.gpkg）、GeoJSON、KML/KMZ、GPX"
SUPPORTED_EN = "zipped shapefile (.zip), a shapefile set (.shp/.dbf/.shx/.prj), GeoPackage (.gpkg), GeoJSON, KML/KMZ, GPX"


@dataclass(frozen=True)
class Limits:
    """What an upload may be. ``max_upload_mb`` is Streamlit's ``server.maxUploadSize``; the
    feature and vertex counts are the settings ``upload_max_features``, ``upload_max_vertices``
    (all features of the file together) and ``upload_max_feature_vertices`` (one feature), checked
    by :mod:`geo.ingest.read` before a geometry is repaired, reprojected or stored."""

    max_upload_mb: int = 200
    max_entries: int = 2000
    max_total_mb: int = 2048  # declared uncompressed size of everything in an archive
    max_ratio: float = 300.0  # uncompressed / compressed, for entries bigger than ratio_from_mb
    ratio_from_mb: float = 4.0
    max_features: int = 2_000_000
    max_vertices: int = 50_000_000
    max_feature_vertices: int = 1_000_000

    @classmethod
    def from_settings(cls, settings) -> "Limits":
        base = cls()
        return cls(max_upload_mb=int(settings.upload_max_mb),
                   max_features=int(getattr(settings, "upload_max_features", base.max_features)),
                   max_vertices=int(getattr(settings, "upload_max_vertices", base.max_vertices)),
                   max_feature_vertices=int(getattr(settings, "upload_max_feature_vertices",
                                                    base.max_feature_vertices)))


# ------------------------------------------------------------------------------ the upload
@dataclass
class Upload:
    """One upload: a single file, or the files of a shapefile set handed in together.

    ``files`` maps each file's own name to its bytes or to a path on disk (the CLI), so nothing
    big is copied into memory for a path.
    """

    files: dict[str, bytes | Path]
    name: str = ""

    def __post_init__(self):
        if not self.files:
            raise IngestError("no file was given", "没有选择文件")
        if not self.name:
            names = list(self.files)
            self.name = names[0] if len(names) == 1 else _common_stem(names)

    @classmethod
    def from_path(cls, path: str | Path) -> "Upload":
        """A file on disk; for one part of a shapefile set, the whole set beside it."""
        p = Path(path)
        if not p.exists():
            raise IngestError(f"file '{path}' does not exist", f"文件“{path}”不存在", path=str(path))
        if p.is_dir():
            if p.suffix.lower() == ".gdb":
                raise IngestError(
                    f"'{path}' is a FileGDB folder; zip it (the .gdb folder inside the zip) and upload the zip",
                    f"“{path}”是 FileGDB 文件夹：请把整个 .gdb 文件夹压缩为 zip 后上传", path=str(path))
            raise IngestError(
                f"'{path}' is a folder; give the .shp (its .dbf/.shx/.prj are taken with it) or a .zip",
                f"“{path}”是文件夹：请指定其中的 .shp 文件（同名 .dbf/.shx/.prj 会一并读取），或上传 .zip",
                path=str(path))
        if ext_of(p.name) in SHAPEFILE_PARTS:
            stem = stem_of(p.name).lower()
            files = {q.name: q for q in sorted(p.parent.iterdir())
                     if q.is_file() and stem_of(q.name).lower() == stem and ext_of(q.name) in SHAPEFILE_PARTS}
            return cls(files, name=p.name)
        return cls({p.name: p}, name=p.name)

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> "Upload":
        return cls({name: bytes(data)}, name=name)

    @classmethod
    def from_files(cls, items: Iterable[tuple[str, bytes]]) -> "Upload":
        files: dict[str, bytes | Path] = {}
        for name, data in items:
            files[Path(name).name] = bytes(data)
        return cls(files)

    def size(self, name: str) -> int:
        v = self.files[name]
        return v.stat().st_size if isinstance(v, Path) else len(v)

    @property
    def total_size(self) -> int:
        return sum(self.size(n) for n in self.files)

    def sha256(self) -> str:
        """The content hash: of the file, or of a set's files in name order (so the same set
        uploaded in any order hashes the same)."""
        if len(self.files) == 1:
            return _sha(next(iter(self.files.values())))
        h = hashlib.sha256()
        for name in sorted(self.files, key=lambda n: ext_of(n)):
            h.update(ext_of(name).encode() + b"\0" + _sha(self.files[name]).encode())
        return h.hexdigest()

    def check_size(self, limits: Limits) -> None:
        size = self.total_size
        if size > limits.max_upload_mb * MB:
            raise IngestError(
                f"the upload is {size / MB:.0f} MB, over the limit of {limits.max_upload_mb} MB "
                "(server.maxUploadSize in streamlit_config.toml); split the batch or ask an "
                "administrator to raise the limit",
                f"文件大小 {size / MB:.0f} MB，超过上传上限 {limits.max_upload_mb} MB。请拆分批次后上传，"
                "或请管理员调整上传上限（streamlit_config.toml 中的 server.maxUploadSize）",
                size_mb=round(size / MB, 1), limit_mb=limits.max_upload_mb)

    def write(self, name: str, dest: Path) -> None:
        v = self.files[name]
        if isinstance(v, Path):
            with open(v, "rb") as src, open(dest, "wb") as out:
                while chunk := src.read(4 * MB):
                    out.write(chunk)
        else:
            dest.write_bytes(v)


def _sha(v: bytes | Path) -> str:
    h = hashlib.sha256()
    if isinstance(v, Path):
        with open(v, "rb") as fh:
            while chunk := fh.read(4 * MB):
                h.update(chunk)
    else:
        h.update(v)
    return h.hexdigest()


def ext_of(name: str) -> str:
    low = name.lower()
    if low.endswith(".shp.xml"):
        return ".shp.xml"
    return PurePosixPath(low).suffix


def stem_of(name: str) -> str:
    ext = ext_of(name)
    return name[: len(name) - len(ext)] if ext else name


def _common_stem(names: list[str]) -> str:
    shp = [n for n in names if ext_of(n) == ".shp"]
    return shp[0] if shp else names[0]


# ------------------------------------------------------------------------------ zip inspection
@dataclass
class Member:
    """One zip entry: its ``info``, the ``name`` people see, and the ``gdal`` path inside."""

    info: zipfile.ZipInfo
    name: str
    gdal: str

    @property
    def ext(self) -> str:
        return ext_of(self.name)


def display_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as its author wrote it: UTF-8 if flagged, else GBK (or UTF-8 written
    without the flag), else what Python shows."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    return decode(raw, ("utf-8", "gb18030")) or info.filename


_DRIVE = re.compile(r"^[A-Za-z]:")


def inspect_zip(path: Path, limits: Limits, label: str) -> list[Member]:
    """The entries of a zip, after checking it is safe to read (nothing is extracted).

    Refuses: not a zip; more than ``max_entries`` entries; more than ``max_total_mb``
    uncompressed; an entry compressed more than ``max_ratio`` times (zip bomb); a nested
    archive; a path that is absolute or climbs out with ``..``; a symbolic link; encryption; a
    compression method GDAL cannot read. ``__MACOSX/`` resource forks are skipped.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as ex:
        raise IngestError(
            f"'{label}' is not a readable zip archive ({ex}); it may be damaged or not a zip at "
            "all — compress the files again (zip format) and upload that",
            f"“{label}”不是有效的 zip 压缩包（可能已损坏，或并非 zip 格式）。请重新用 zip 格式压缩后上传",
            file=label) from ex
    with zf:
        infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise IngestError(
            f"'{label}' holds {len(infos)} entries, more than the {limits.max_entries} allowed; "
            "upload only the batch's own files",
            f"压缩包“{label}”包含 {len(infos)} 个文件，超过上限 {limits.max_entries} 个。请只打包本批次的数据文件",
            file=label, entries=len(infos))
    total = sum(i.file_size for i in infos)
    if total > limits.max_total_mb * MB:
        raise IngestError(
            f"'{label}' would unpack to {total / MB:,.0f} MB, more than the {limits.max_total_mb} MB "
            "allowed (a zip bomb, or far too big a batch); it was not opened",
            f"压缩包“{label}”解压后将达 {total / MB:,.0f} MB，超过上限 {limits.max_total_mb} MB"
            "（疑似“压缩炸弹”或批次过大），已拒绝，未解压",
            file=label, uncompressed_mb=round(total / MB))
    out = []
    for info in infos:
        name = display_name(info)
        norm = name.replace("\\", "/")
        parts = [p for p in norm.split("/") if p not in ("", ".")]
        if norm.startswith("/") or _DRIVE.match(norm) or ".." in parts:
            raise IngestError(
                f"'{label}' contains the path '{name}', which points outside the archive's folder "
                "(zip-slip); it was refused — compress the data folder again without such paths",
                f"压缩包“{label}”中含有指向压缩包以外位置的路径“{name}”（路径穿越），已拒绝。请重新打包数据文件夹",
                file=label, entry=name)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise IngestError(
                f"'{label}' contains a symbolic link '{name}'; links are not accepted — zip the files themselves",
                f"压缩包“{label}”中含有符号链接“{name}”，不予接受。请直接打包数据文件本身",
                file=label, entry=name)
        if parts and parts[0] == "__MACOSX" or (parts and parts[-1].startswith("._")):
            continue
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            raise IngestError(
                f"'{label}' is password-protected ('{name}'); upload an archive without a password",
                f"压缩包“{label}”已加密（{name}），请上传未加密的压缩包", file=label, entry=name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise IngestError(
                f"'{label}' uses a compression method ({info.compress_type}) that cannot be read; "
                "compress it again as a standard zip (deflate)",
                f"压缩包“{label}”使用了不支持的压缩方式，请用标准 zip（deflate）格式重新压缩",
                file=label, entry=name)
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_from_mb * MB and ratio > limits.max_ratio:
            raise IngestError(
                f"'{label}': the entry '{name}' is compressed {ratio:,.0f} times "
                f"({info.compress_size:,} bytes → {info.file_size:,}); that is a zip bomb, not a "
                "batch — it was refused without unpacking",
                f"压缩包“{label}”中的“{name}”压缩比高达 {ratio:,.0f} 倍，属于“压缩炸弹”特征，已拒绝（未解压）",
                file=label, entry=name, ratio=round(ratio))
        if ext_of(name) in ARCHIVES:
            raise IngestError(
                f"'{label}' contains another archive '{name}'; nested archives are not opened — "
                "upload that inner file (or unpack it and zip the data files once)",
                f"压缩包“{label}”中还套有压缩包“{name}”，不予解开。请直接上传里面的数据文件（或解压后重新打包一次）",
                file=label, entry=name)
        out.append(Member(info, name, info.filename))
    return out


DBF_HEAD = 8 * MB  # enough of a table to tell its text encoding


def read_member(path: Path, member: Member, limit: int, head: int | None = None) -> bytes:
    """The bytes of one entry, never more than ``limit`` (nor than its declared size); with
    ``head``, only its first ``head`` bytes."""
    if head is not None:
        with zipfile.ZipFile(path) as zf, zf.open(member.info) as fh:
            return fh.read(min(head, limit))
    if member.info.file_size > limit:
        raise IngestError(
            f"'{member.name}' is {member.info.file_size / MB:,.0f} MB uncompressed, too big to check",
            f"“{member.name}”解压后 {member.info.file_size / MB:,.0f} MB，过大，无法检查", entry=member.name)
    with zipfile.ZipFile(path) as zf, zf.open(member.info) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise IngestError(f"'{member.name}' is larger than it claims", f"“{member.name}”的实际大小与声明不符",
                          entry=member.name)
    return data


# ------------------------------------------------------------------------------ datasets
@dataclass
class Dataset:
    """One readable vector dataset found in the upload."""

    kind: str  # shapefile, gpkg, geojson, kml, gpx, filegdb
    name: str  # as people see it
    path: str  # what GDAL opens
    read_bytes: dict = field(default_factory=dict)  # part ext → callable returning its bytes
    notes: list[tuple[str, str]] = field(default_factory=list)
    missing_shx: bool = False  # a shapefile without its index: GDAL rebuilds it
    zip_parts: dict = field(default_factory=dict)  # shapefile in a zip: part ext → (zip path, Member)

    def part(self, ext: str) -> bytes | None:
        fn = self.read_bytes.get(ext)
        return fn() if fn else None


def _vsizip(zip_path: Path, inner: str) -> str:
    return f"/vsizip/{zip_path.as_posix()}/{inner}"


def zip_datasets(zip_path: Path, members: list[Member], label: str, limits: Limits) -> list[Dataset]:
    """The datasets inside an inspected zip: shapefile sets (at the root or in subfolders),
    GeoPackages, GeoJSON, KML, GPX and FileGDB folders."""
    cap = limits.max_total_mb * MB
    out: list[Dataset] = []
    groups: dict[tuple[str, str], dict[str, Member]] = {}
    gdb: dict[str, str] = {}
    for m in members:
        parts = m.name.replace("\\", "/").split("/")
        gparts = m.gdal.replace("\\", "/").split("/")
        gdb_idx = next((i for i, p in enumerate(parts[:-1]) if p.lower().endswith(".gdb")), None)
        if gdb_idx is not None:
            gdb["/".join(parts[: gdb_idx + 1])] = "/".join(gparts[: gdb_idx + 1])
            continue
        ext = m.ext
        if ext in SHAPEFILE_PARTS:
            folder = "/".join(parts[:-1])
            groups.setdefault((folder, stem_of(parts[-1]).lower()), {})[ext] = m
        elif ext in SINGLE_FORMATS:
            kind = SINGLE_FORMATS[ext]
            ds = Dataset(kind, f"{label} › {m.name}", _vsizip(zip_path, m.gdal))
            ds.read_bytes["raw"] = (lambda mm=m: read_member(zip_path, mm, cap))
            out.append(ds)
    for (folder, _stem_key), parts in sorted(groups.items()):
        if ".shp" not in parts:
            continue
        shp = parts[".shp"]
        ds = Dataset("shapefile", f"{label} › {shp.name}", _vsizip(zip_path, shp.gdal))
        for ext in (".dbf", ".cpg", ".prj"):
            if ext in parts:
                ds.read_bytes[ext] = (lambda mm=parts[ext]: read_member(zip_path, mm, cap))
        if ".dbf" in parts:
            ds.read_bytes[".dbf_head"] = (lambda mm=parts[".dbf"]: read_member(zip_path, mm, cap, head=DBF_HEAD))
        ds.zip_parts = {ext: (zip_path, m) for ext, m in parts.items()}
        if ".shx" not in parts:
            ds.missing_shx = True
            ds.notes.append(("缺少 .shx 索引文件，已由 .shp 重建", "the .shx index is missing; rebuilt from the .shp"))
        out.append(ds)
    for name, gpath in sorted(gdb.items()):
        out.append(Dataset("filegdb", f"{label} › {name}", _vsizip(zip_path, gpath)))
    if not out:
        _refuse_nothing(label, [m.name for m in members], [g for g in groups.values() if ".shp" not in g])
    return out


def _refuse_nothing(label: str, names: list[str], orphan_sets: list) -> None:
    if orphan_sets:
        parts = sorted(orphan_sets[0])
        names_shown = "、".join(m.name for m in orphan_sets[0].values())
        raise IngestError(
            f"'{label}' has a shapefile set without its .shp file ({', '.join(parts)} only); the "
            ".shp holds the shapes — add it (with the .shx) and upload again",
            f"“{label}”中的 Shapefile 缺少 .shp 文件（只有 {names_shown}）。.shp 存放图形，"
            "请把同名的 .shp（及 .shx）一起打包后重新上传",
            file=label, parts=parts)
    shown = ", ".join(names[:8]) + (" …" if len(names) > 8 else "")
    raise IngestError(
        f"no vector data in '{label}' (it holds: {shown or 'nothing'}); upload one of: {SUPPORTED_EN}",
        f"“{label}”中没有可读取的矢量数据（包含：{shown or '无'}）。请上传：{SUPPORTED_ZH}",
        file=label, entries=names[:50])
