"""Reading an upload: find its datasets, pick the layer, decode its text right, place it in China.

:func:`load` turns an :class:`~geo.ingest.archive.Upload` into a :class:`Loaded` — the file's own
columns (exactly as named, decoded with the right encoding) and its geometries in EPSG:4490,
checked and repaired for the target layer — without touching the store. Reading goes through
pyogrio (Arrow when it can, which is fastest; the classic path for curved geometries) from a
private temporary folder that is removed before :func:`load` returns.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely

from geo.core.errors import IngestError
from geo.ingest import archive as A
from geo.ingest import coords
from geo.ingest import encoding as E
from geo.ingest import validate as V
from geo.ingest.refusal import gdal_refusal

LIBKML_BOILERPLATE = {"id": None, "timestamp": None, "begin": None, "end": None, "altitudeMode": None,
                      "tessellate": -1, "extrude": 0, "visibility": -1, "drawOrder": None, "icon": None,
                      "snippet": None}
FAMILY_WORDS = {"polygon": "面", "line": "线", "point": "点", "mixed": "点或面"}


@dataclass
class Loaded:
    """An upload read and placed: what :func:`geo.ingest.check` maps and checks."""

    file_name: str
    sha256: str
    size: int
    format: str  # shapefile, gpkg, geojson, kml, gpx, filegdb
    dataset: str  # the dataset/layer read, as people see it
    choices: list[str]  # every layer that could have been read
    frame: pd.DataFrame  # the file's columns, its own names, one row per feature
    geoms: np.ndarray  # EPSG:4490, checked for the layer; rejected ones may be anything
    rejected: np.ndarray
    repaired: np.ndarray
    problems: V.Problems
    family: str
    encoding: E.Guess | None
    crs: coords.CrsChoice
    notes: list[tuple[str, str]] = field(default_factory=list)
    crs_hint: str | None = None  # a CRS the numbers look like (for an all-outside refusal)
    track_times: list | None = None  # GPX tracks: the time of each point
    first: int = 1  # the number (1-based) of the first feature held: >1 for a later chunk
    total: int | None = None  # features in the whole file, when it is read in chunks

    @property
    def read(self) -> int:
        return len(self.frame)

    @property
    def numbers(self) -> np.ndarray:
        return np.arange(self.first, self.first + len(self.frame))


@contextmanager
def _gdal_config(**options):
    old = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(old)


def _gdal_error(ex: Exception, name: str) -> IngestError:
    """GDAL's complaint about ``name`` as a reason the person can read (no temp path, no English)."""
    return gdal_refusal(str(ex), name)


_GDAL_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
                pyogrio.errors.FieldError, pyogrio.errors.GeometryError, pyogrio.errors.FeatureError,
                pyogrio.errors.CRSError, RuntimeError)


# ------------------------------------------------------------------------------ staging
def _stage(upload: A.Upload, tmp: Path, limits: A.Limits, override_encoding: str | None) -> list[A.Dataset]:
    """Write the upload into ``tmp`` under names chosen here and list its datasets."""
    datasets: list[A.Dataset] = []
    groups: dict[str, dict[str, str]] = {}
    unsupported: list[str] = []
    for k, name in enumerate(upload.files):
        ext = A.ext_of(name)
        if ext in A.SHAPEFILE_PARTS:
            groups.setdefault(A.stem_of(name).lower(), {})[ext] = name
            continue
        if ext in (".zip", ".kmz"):
            dest = tmp / f"u{k}.zip"
            upload.write(name, dest)
            members = A.inspect_zip(dest, limits, name)
            if ext == ".kmz":
                kml = [m for m in members if m.ext == ".kml"]
                if not kml:
                    raise IngestError(f"'{name}' holds no KML document", f"KMZ 文件“{name}”中没有 KML 文档", file=name)
                doc = next((m for m in kml if m.name.lower().endswith("doc.kml")), kml[0])
                ds = A.Dataset("kml", name, "")
                ds.read_bytes["raw"] = (lambda d=dest, m=doc: A.read_member(d, m, limits.max_total_mb * A.MB))
                datasets.append(ds)
            else:
                datasets.extend(A.zip_datasets(dest, members, name, limits))
            continue
        if ext in A.SINGLE_FORMATS:
            kind = A.SINGLE_FORMATS[ext]
            dest = tmp / f"u{k}{ext}"
            upload.write(name, dest)
            ds = A.Dataset(kind, name, str(dest))
            ds.read_bytes["raw"] = (lambda d=dest: d.read_bytes())
            datasets.append(ds)
            continue
        unsupported.append(name)
    for k, (stem, parts) in enumerate(sorted(groups.items())):
        if ".shp" not in parts:
            if datasets:
                continue
            shown = "、".join(parts.values())
            raise IngestError(
                f"the shapefile set '{stem}' has no .shp file (only {', '.join(sorted(parts))}); the .shp "
                "holds the shapes — add it (with the .shx) and upload again",
                f"Shapefile“{stem}”缺少 .shp 文件（只有 {shown}）。.shp 存放图形，请把同名的 .shp（及 .shx）一起上传",
                file=stem, parts=sorted(parts))
        paths = {}
        for ext, name in parts.items():
            dest = tmp / f"s{k}{ext}"
            upload.write(name, dest)
            paths[ext] = dest
        ds = A.Dataset("shapefile", parts[".shp"], str(paths[".shp"]))
        for ext in (".dbf", ".cpg"):
            if ext in paths:
                ds.read_bytes[ext] = (lambda p=paths[ext]: p.read_bytes())
        if ".dbf" in paths:
            ds.read_bytes[".dbf_head"] = (lambda p=paths[".dbf"]: _head(p, A.DBF_HEAD))
        if ".shx" not in paths:
            ds.missing_shx = True
            ds.notes.append(("缺少 .shx 索引文件，已由 .shp 重建", "the .shx index is missing; rebuilt from the .shp"))
        if ".dbf" not in paths:
            ds.notes.append(("缺少 .dbf 属性表，只导入了图形", "the .dbf attribute table is missing; shapes only"))
        datasets.append(ds)
    if not datasets:
        shown = "、".join(unsupported)
        exts = sorted({A.ext_of(n) or n for n in unsupported})
        raise IngestError(
            f"unsupported file type {', '.join(exts)} ({', '.join(unsupported)}); upload one of: {A.SUPPORTED_EN}",
            f"不支持的文件类型 {'、'.join(exts)}（{shown}）。请上传：{A.SUPPORTED_ZH}",
            files=unsupported)
    # GDAL rebuilds a missing .shx beside the .shp, which it cannot do inside a zip: such a set
    # is copied out (its own parts only, under names chosen here, sizes already checked)
    for k, ds in enumerate(datasets):
        if ds.kind == "shapefile" and ds.missing_shx and ds.zip_parts:
            for ext, (zpath, member) in ds.zip_parts.items():
                if ext in (".shp", ".dbf", ".prj", ".cpg"):
                    (tmp / f"x{k}{ext}").write_bytes(A.read_member(zpath, member, limits.max_total_mb * A.MB))
            ds.path = str(tmp / f"x{k}.shp")
    # text formats whose bytes are not UTF-8 get a UTF-8 copy (GDAL reads them as UTF-8)
    for k, ds in enumerate(datasets):
        if ds.kind in ("kml", "gpx", "geojson") and "raw" in ds.read_bytes:
            _utf8_copy(ds, tmp / f"t{k}.{ds.kind}", override_encoding)
    return datasets


_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9_.:-]+)[\"']")


def _utf8_copy(ds: A.Dataset, dest: Path, override: str | None) -> None:
    """Give GDAL UTF-8. GDAL's XML reader (expat) reads only UTF-8, UTF-16 and Latin-1, so a KML
    or GPX declaring GB2312/GBK (common from Chinese tools), or an encoding nobody knows, is
    re-encoded into ``dest`` with its declaration rewritten; so is GeoJSON that is not UTF-8. The
    encoding is decided from the bytes (:func:`geo.ingest.encoding.decide`), the declaration
    being believed when the bytes fit it: a file saying GB2312 while holding UTF-8 reads right."""
    data = ds.part("raw") or b""
    utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    if not utf16 and b"\x00" in data[:65536]:
        kind = {"kml": "KML", "gpx": "GPX", "geojson": "GeoJSON"}[ds.kind]
        raise IngestError(
            f"'{ds.name}' is not a {kind} file: it holds binary data (damaged, or its extension does not "
            "match its content)",
            f"文件“{ds.name}”不是有效的 {kind} 文件：内容为二进制数据，可能已损坏，或扩展名与内容不符",
            file=ds.name)
    m = _XML_DECL.match(data[:400]) if ds.kind in ("kml", "gpx") else None
    declared, rewrite = None, False
    if m:
        try:
            declared = E.canonical(m.group(1).decode("ascii"), "the XML declaration")
        except IngestError:  # an encoding nobody knows: decided from the bytes, declaration replaced
            declared = None
        rewrite = declared not in ("utf-8", "ascii", "latin-1")
    if override:
        codec, how = E.canonical(override), "override"
    elif utf16:
        codec, how = "utf-16", "bom"
    else:
        guess = E.decide(E.text_samples(data), declared=declared, declared_how="declared", what="file")
        codec, how = ("utf-8", "ascii") if guess.how == "ascii" else (guess.encoding, guess.how)
    if codec == "utf-8" and not rewrite and ds.path:
        return  # GDAL reads the file as it is
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as ex:
        raise IngestError(
            f"'{ds.name}' is not valid {E.gdal_name(codec)} text; choose the right encoding with --encoding",
            f"文件“{ds.name}”不是有效的 {E.gdal_name(codec)} 编码文本，请在“高级选项”中选择正确的文字编码",
            option="encoding", file=ds.name) from ex
    if m:
        text = re.sub(r"^(\s*<\?xml[^>]*?encoding\s*=\s*[\"'])[A-Za-z0-9_.:-]+", r"\g<1>UTF-8", text, count=1)
    if codec != "utf-8":
        ds.notes.append((f"文件文字编码为 {E.gdal_name(codec)}，已转换为 UTF-8 读取",
                         f"the file's text is {E.gdal_name(codec)}; converted to UTF-8 to read it"))
        ds.read_bytes["encoding"] = lambda c=codec, h=how: (c, h)
    dest.write_bytes(text.encode("utf-8"))
    ds.path = str(dest)


# ------------------------------------------------------------------------------ layers
def _family_of(gtype) -> str | None:
    if gtype is None:
        return "table"
    t = str(gtype).lower()
    if "polygon" in t or "surface" in t:
        return "polygon"
    if "line" in t or "curve" in t:
        return "line"
    if "point" in t:
        return "point"
    return None  # unknown / geometry collection: could be anything


def _layers(datasets: list[A.Dataset]) -> list[tuple[str, A.Dataset, str, object]]:
    out = []
    for ds in datasets:
        config = {"LIBKML_LAUNDER_FIELD_NAMES": "NO"}
        if ds.missing_shx:
            config["SHAPE_RESTORE_SHX"] = "YES"
        try:
            with warnings.catch_warnings(), _gdal_config(**config):
                warnings.simplefilter("ignore")
                layers = pyogrio.list_layers(ds.path)
        except _GDAL_ERRORS as ex:
            raise _gdal_error(ex, ds.name) from ex
        for name, gtype in layers.tolist():
            if ds.kind == "shapefile" or len(layers) == 1:
                label = ds.name
            elif len(datasets) == 1:
                label = str(name)
            else:
                label = f"{ds.name} › {name}"
            out.append((label, ds, str(name), gtype))
    return out


def _pick(layers, wanted: str | None, family: str):
    if wanted:
        w = wanted.strip().lower()
        for lay in layers:
            label, ds, name, _ = lay
            if w in (label.lower(), name.lower(), ds.name.lower(), ds.name.lower().split(" › ")[-1]):
                return lay
        raise IngestError(
            f"--source-layer '{wanted}' is not in the file; its layers are: {', '.join(l[0] for l in layers)}",
            f"文件中没有图层“{wanted}”。可选图层：{'、'.join(l[0] for l in layers)}",
            option="source_layer", choices=[l[0] for l in layers])
    spatial = [l for l in layers if l[3] is not None]
    fit = [l for l in spatial if _family_of(l[3]) == family
           or (family == "mixed" and _family_of(l[3]) in ("point", "polygon"))]
    maybe = [l for l in spatial if _family_of(l[3]) is None]
    if len(fit) > 1 and family == "line":
        tracks = [l for l in fit if l[2].lower() == "tracks"]
        if len(tracks) == 1:
            return tracks[0]
    if len(fit) == 1:
        return fit[0]
    if not fit and len(maybe) == 1:
        return maybe[0]
    pool = fit or maybe
    if pool:
        raise IngestError(
            f"the file holds several layers that could be read ({', '.join(l[0] for l in pool)}); "
            "choose one with --source-layer",
            f"文件包含多个可导入的图层（{'、'.join(l[0] for l in pool)}），请选择要导入的图层",
            option="source_layer", choices=[l[0] for l in pool])
    have = "、".join(f"{l[0]}（{_gtype_zh(l[3])}）" for l in layers) or "无"
    have_en = ", ".join(f"{l[0]} ({'table' if l[3] is None else l[3]})" for l in layers) or "none"
    raise IngestError(
        f"the file has no layer of {'points or polygons' if family == 'mixed' else family + 's'} for this layer "
        f"(it has: {have_en}); check that you "
        "chose the right target layer and file",
        f"文件中没有可导入本图层的{FAMILY_WORDS[family]}图层（文件包含：{have}）。请确认目标图层和文件是否选对",
        option="source_layer", choices=[])


_GTYPES_ZH = {"point": "点", "multipoint": "多点", "linestring": "线", "multilinestring": "多线", "polygon": "面",
              "multipolygon": "多面", "geometrycollection": "混合图形", "unknown": "未知图形",
              "circularstring": "曲线", "compoundcurve": "曲线", "curvepolygon": "曲面", "multicurve": "多曲线",
              "multisurface": "多曲面", "tin": "TIN", "polyhedralsurface": "多面体表面"}


def _gtype_zh(gtype) -> str:
    """``LineString Z`` → ``线（含高程）``: a layer's geometry type as people read it."""
    if gtype is None:
        return "无图形的表"
    words = str(gtype).split()
    base = _GTYPES_ZH.get(words[0].lower(), str(gtype)) if words else str(gtype)
    dims = "".join(words[1:]).upper()
    return base + ("，含高程" if "Z" in dims else "，含测量值" if "M" in dims else "")


# ------------------------------------------------------------------------------ reading
def _read_kwargs(layer: str, encoding: str | None, limits: A.Limits, codec: str | None,
                 rows: tuple[int, int] | None = None) -> tuple[dict, bool]:
    """pyogrio arguments for reading a table (``rows``: ``(skip, count)`` of a chunk), and whether
    its text must be decoded here after. A multi-byte table is read as ISO-8859-1 (GDAL's cheapest
    recoding, byte for byte) and decoded once per distinct value: a batch's columns repeat the
    same few county, township and class names, so this is several times faster than iconv on
    every value."""
    kw = {"layer": layer, "max_features": limits.max_features + 1}
    if rows is not None:
        kw["skip_features"], kw["max_features"] = rows
    if encoding:
        kw["encoding"] = encoding
    redecode = codec is not None and codec not in ("utf-8", "latin-1", "ascii")
    if redecode:
        kw["encoding"] = "ISO-8859-1"
    return kw, redecode


def _read_table(path: str, layer: str, encoding: str | None, limits: A.Limits, name: str, restore_shx: bool,
                kind: str = "", codec: str | None = None, rows: tuple[int, int] | None = None):
    kw, redecode = _read_kwargs(layer, encoding, limits, codec, rows)
    if kind == "geojson":
        kw["DATE_AS_STRING"] = "YES"  # else "T0000" (a polygon number) becomes a time of day
    config = {"LIBKML_LAUNDER_FIELD_NAMES": "NO"}
    if restore_shx:
        config["SHAPE_RESTORE_SHX"] = "YES"
    with warnings.catch_warnings(), _gdal_config(**config):
        warnings.simplefilter("ignore")
        try:
            try:
                meta, table = pyogrio.read_arrow(path, **kw)
                gcol = meta.get("geometry_name") or "wkb_geometry"
                if gcol in table.column_names:
                    if _arrow_has_curves(table.column(gcol)):  # the classic path linearises curves;
                        raise NotImplementedError("curved geometries")  # Arrow passes them on
                    wkb = np.asarray(table.column(gcol).to_pylist(), dtype=object)
                    table = table.drop_columns([gcol])
                else:
                    wkb = np.full(table.num_rows, None, dtype=object)
                frame = table.to_pandas()
                if len(frame) != len(wkb):  # no attribute columns at all
                    frame = pd.DataFrame(index=pd.RangeIndex(len(wkb)))
            except (NotImplementedError, UnicodeDecodeError, pyogrio.errors.DataLayerError):
                meta, _fids, wkb, fields = pyogrio.raw.read(path, **kw)
                rows = len(wkb) if wkb is not None else (len(fields[0]) if len(fields) else 0)
                frame = pd.DataFrame({n: a for n, a in zip(meta["fields"], fields)}, index=pd.RangeIndex(rows))
                wkb = np.asarray(wkb if wkb is not None else [None] * rows, dtype=object)
        except _GDAL_ERRORS as ex:
            raise _gdal_error(ex, name) from ex
    if redecode:
        frame = _redecode(frame, codec)
    if len(frame) > limits.max_features:  # (counted whole only now, to name the number)
        raise too_many_features(name, _count(path, layer, force=True), limits)
    frame.index = pd.RangeIndex(len(frame))
    return meta, frame, wkb


def too_many_features(name: str, count: int | None, limits: A.Limits) -> IngestError:
    """The refusal of a file holding more features than ``limits`` allow (``count``: how many it
    declares, when it says without being read whole)."""
    if count is None:
        return IngestError(
            f"'{name}' holds more than {limits.max_features:,} features (the limit, setting "
            "upload_max_features); split the batch",
            f"“{name}”的要素超过上限 {limits.max_features:,} 个，未导入，请拆分批次后上传",
            file=name, limit=limits.max_features, option="upload_max_features")
    return IngestError(
        f"'{name}' holds {count:,} features, over the limit of {limits.max_features:,} (setting "
        "upload_max_features); nothing was stored; split the batch",
        f"“{name}”共有 {count:,} 个要素，超过上限 {limits.max_features:,} 个，未导入，请拆分批次后上传",
        file=name, features=count, limit=limits.max_features, option="upload_max_features")


def check_vertices(geoms: np.ndarray, numbers: np.ndarray, limits: A.Limits | None, tally: list | None,
                   name: str) -> None:
    """Refuse a file whose features hold more vertices than ``limits`` allow — one feature, or all
    of them together (``tally``: the running total over the chunks of one file) — before they
    are repaired, reprojected or stored."""
    if limits is None or not len(geoms):
        return
    counts = shapely.get_num_coordinates(geoms)
    worst = int(np.argmax(counts))
    if int(counts[worst]) > limits.max_feature_vertices:
        n = int(counts[worst])
        raise IngestError(
            f"'{name}': feature #{int(numbers[worst])} has {n:,} vertices, over the limit of "
            f"{limits.max_feature_vertices:,} for one feature (setting upload_max_feature_vertices); "
            "nothing was stored; simplify it first",
            f"“{name}”第 {int(numbers[worst])} 个要素有 {n:,} 个节点，超过单个要素上限 "
            f"{limits.max_feature_vertices:,} 个，未导入，请先化简图形",
            file=name, feature=int(numbers[worst]), vertices=n, limit=limits.max_feature_vertices,
            option="upload_max_feature_vertices")
    total = int(counts.sum()) + (tally[0] if tally else 0)
    if tally is not None:
        tally[0] = total
    if total > limits.max_vertices:
        partial = tally is not None and int(numbers[0]) > 1  # a later chunk: the features so far
        zh = f"前 {int(numbers[-1]):,} 个要素" if partial else ""
        en = f" in its first {int(numbers[-1]):,} features" if partial else ""
        raise IngestError(
            f"'{name}' holds {total:,} vertices{en}, over the limit of {limits.max_vertices:,} (setting "
            "upload_max_vertices); nothing was stored; split the batch or simplify it",
            f"“{name}”{zh}共有 {total:,} 个节点，超过上限 {limits.max_vertices:,} 个，未导入，请拆分批次或化简后上传",
            file=name, vertices=total, limit=limits.max_vertices, option="upload_max_vertices")


_CURVES = {8, 9, 10, 11, 12, 13, 14}


def _arrow_has_curves(column) -> bool:
    """True if any WKB in an Arrow binary column is a curve type, read from the buffers (the
    byte order and type code of each blob) without making Python objects."""
    for chunk in column.chunks:
        n = len(chunk)
        if n == 0:
            continue
        bufs = chunk.buffers()
        if len(bufs) < 3 or bufs[1] is None or bufs[2] is None:
            return _has_curves(np.asarray(chunk.to_pylist(), dtype=object))
        wide = str(chunk.type).startswith("large")
        offs = np.frombuffer(bufs[1], dtype="int64" if wide else "int32")[chunk.offset:chunk.offset + n + 1]
        data = np.frombuffer(bufs[2], dtype="uint8")
        start = offs[:-1].astype("int64")
        ok = (offs[1:] - offs[:-1]) >= 5
        if chunk.null_count:
            ok &= chunk.is_valid().to_numpy(zero_copy_only=False)
        start = start[ok]
        if not len(start):
            continue
        b = [data[start + k].astype("uint32") for k in range(5)]
        little = b[0] == 1
        code = np.where(little, b[1] | (b[2] << 8) | (b[3] << 16) | (b[4] << 24),
                        (b[1] << 24) | (b[2] << 16) | (b[3] << 8) | b[4])
        kind = (code & 0x0FFFFFFF) % 1000
        if np.isin(kind, list(_CURVES)).any():
            return True
    return False


def _has_curves(wkb: np.ndarray) -> bool:
    """True if any WKB is a curve type (CircularString … MultiSurface, ISO codes 8–14)."""
    for blob in wkb:
        t = V.wkb_type(blob) if blob is not None else None
        if t in _CURVES:
            return True
    return False


def _redecode(frame: pd.DataFrame, codec: str) -> pd.DataFrame:
    """Text that GDAL read as ISO-8859-1 (byte for byte, lossless) decoded with ``codec``, once
    per distinct value: column names and every text column."""
    import codecs

    def dec(text: str) -> str:
        return codecs.getincrementaldecoder(codec)(errors="replace").decode(text.encode("latin-1"), final=False)

    frame = frame.rename(columns={c: dec(c) for c in frame.columns if isinstance(c, str) and not c.isascii()})
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_datetime64_any_dtype(s.dtype):
            continue
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        values = np.asarray(uniques, dtype=object).tolist()  # (not iterated: Arrow-backed, slow)
        if all(not isinstance(u, str) or u.isascii() for u in values):
            continue
        table = np.array([dec(u) if isinstance(u, str) else u for u in values] + [None], dtype=object)
        frame[col] = pd.Series(table[codes], index=frame.index, dtype=object)
    return frame


def _drop_boilerplate(frame: pd.DataFrame) -> pd.DataFrame:
    """LIBKML adds styling columns (tessellate, extrude, …); drop them when they say nothing."""
    drop = []
    for col, default in LIBKML_BOILERPLATE.items():
        if col in frame.columns:
            s = frame[col]
            if s.isna().all() or (default is not None and (s == default).all()):
                drop.append(col)
    return frame.drop(columns=drop)


def _head(path: Path, n: int) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


def _dbf_encoding(ds: A.Dataset, override: str | None, hint: str | None) -> E.Guess | None:
    dbf = ds.part(".dbf_head") if ".dbf_head" in ds.read_bytes else ds.part(".dbf")
    if dbf is None:
        return E.Guess("utf-8", "ascii") if not override else E.Guess(E.canonical(override), "override")
    cpg_raw = ds.part(".cpg")
    declared, how = None, "cpg"
    if cpg_raw:
        text = cpg_raw.decode("ascii", "ignore").strip()
        if text:
            try:
                declared = E.canonical(text, ".cpg")
            except IngestError:
                declared = None
    try:
        n, hlen, rlen, ldid, _ = E.dbf_header(dbf)
    except ValueError as ex:
        raise IngestError(f"the attribute table (.dbf) of '{ds.name}' is damaged",
                          f"“{ds.name}”的属性表（.dbf）已损坏", file=ds.name) from ex
    if declared is None and ldid in E.LDID:
        declared, how = E.LDID[ldid], "ldid"
    samples = E.dbf_samples(dbf)
    guess = E.decide(samples, override=override, declared=declared, declared_how=how, hint=hint)
    if guess.how == "detected" and declared is None:
        guess.notes.append(("属性表没有 .cpg 编码说明文件；经检测为中文 GBK/GB18030 编码，已按 GB18030 读取",
                            "the attribute table has no .cpg; its text was detected as Chinese "
                            "GBK/GB18030 and read as GB18030"))
    return guess


def _gpx_times(ds: A.Dataset, n_tracks: int) -> list | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pts = pyogrio.read_dataframe(ds.path, layer="track_points", read_geometry=False,
                                         columns=["track_fid", "track_seg_id", "track_seg_point_id", "time"])
    except _GDAL_ERRORS:
        return None
    if pts.empty or "time" not in pts:
        return None
    pts = pts.sort_values(["track_fid", "track_seg_id", "track_seg_point_id"])
    out: list = [None] * n_tracks
    for fid, grp in pts.groupby("track_fid"):
        if 0 <= int(fid) < n_tracks:
            out[int(fid)] = grp["time"].tolist()
    return out


def load(upload: A.Upload, *, layer: str = "change", limits: A.Limits | None = None,
         encoding: str | None = None, crs: str | None = None, gcj02: bool = False,
         source_layer: str | None = None, remembered_encoding: str | None = None,
         remembered_crs: str | None = None, counties_bbox=None, on_frame=None) -> Loaded:
    """Read an upload for ``layer`` (see module docstring). Nothing is written to the store.

    ``on_frame(frame)``, if given, is called with the attribute table as soon as it is read,
    before the geometries are checked (a caller may start converting the attributes meanwhile).

    Raises
    ------
    IngestError
        The upload as a whole cannot be read safely: too big, a zip bomb or zip-slip archive,
        no dataset, several layers and none chosen, an encoding or CRS that cannot be told.
        ``details['option']`` names the choice that would resolve it, with ``choices`` /
        ``candidates`` where there are some.
    """
    return next(load_chunks(upload, layer=layer, limits=limits, encoding=encoding, crs=crs, gcj02=gcj02,
                            source_layer=source_layer, remembered_encoding=remembered_encoding,
                            remembered_crs=remembered_crs, counties_bbox=counties_bbox, on_frame=on_frame))


def load_chunks(upload: A.Upload, *, layer: str = "change", limits: A.Limits | None = None,
                encoding: str | None = None, crs: str | None = None, gcj02: bool = False,
                source_layer: str | None = None, remembered_encoding: str | None = None,
                remembered_crs: str | None = None, counties_bbox=None, on_frame=None,
                chunk_rows: int | None = None) -> Iterator[Loaded]:
    """:func:`load`, one :class:`Loaded` at a time of at most ``chunk_rows`` features when the
    file is a shapefile holding more (a national batch of 500,000 polygons is then never held
    whole); anything else, or a smaller file, is one :class:`Loaded`. A later chunk's ``first``
    is the number of its first feature; the CRS is chosen on the first chunk and kept for the
    rest, and the notes of the file as a whole come with the first. ``on_frame`` is called once
    per chunk. Raises as :func:`load` does (a chunk's error when that chunk is read)."""
    limits = limits or A.Limits()
    family = V.FAMILY[layer]
    upload.check_size(limits)
    sha = upload.sha256()
    with tempfile.TemporaryDirectory(prefix="forest-ingest-") as tmpdir:
        tmp = Path(tmpdir)
        datasets = _stage(upload, tmp, limits, encoding)
        layers = _layers(datasets)
        label, ds, layer_name, _gtype = _pick(layers, source_layer, family)
        notes = list(ds.notes)
        guess = None
        gdal_encoding = None
        if ds.kind == "shapefile":
            guess = _dbf_encoding(ds, encoding, remembered_encoding)
            gdal_encoding = guess.gdal
            notes.extend(guess.notes)
        elif "encoding" in ds.read_bytes:
            codec, how = ds.read_bytes["encoding"]()
            guess = E.Guess(codec, how)
        codec = guess.encoding if ds.kind == "shapefile" and guess else None
        place = dict(family=family, crs=crs, remembered_crs=remembered_crs, counties_bbox=counties_bbox,
                     label=label, gcj02=gcj02)
        choices = [l[0] for l in layers if l[3] is not None]
        whole = dict(file_name=upload.name, sha256=sha, size=upload.total_size, format=ds.kind, dataset=label,
                     choices=choices, family=family, encoding=guess)
        # (a shapefile's or GeoPackage's header says how many features it holds: refused here,
        # with the number, before any is read; other formats are cut off after the limit)
        declared = _count(ds, layer_name) if ds.kind in ("shapefile", "gpkg") and not ds.missing_shx else None
        if declared is not None and declared > limits.max_features:
            raise too_many_features(label, declared, limits)
        place.update(limits=limits, tally=[0])
        total = declared if chunk_rows and ds.kind == "shapefile" else None
        if total is not None and total > chunk_rows:
            yield from _chunks(ds, layer_name, gdal_encoding, limits, codec, on_frame, place, whole, notes,
                               total, chunk_rows)
            return
        split = _read_split(ds, layer_name, gdal_encoding, limits, label, codec, on_frame, place) \
            if ds.kind == "shapefile" and not ds.missing_shx else None
        if split is None:  # the classic way: one read, then the geometries
            meta, frame, wkb = _read_table(ds.path, layer_name, gdal_encoding, limits, label,
                                           restore_shx=ds.missing_shx, kind=ds.kind, codec=codec)
        else:
            meta, frame, placed, placing_error = split
        if ds.kind == "kml":
            frame = _drop_boilerplate(frame)
        times = _gpx_times(ds, len(frame)) if ds.kind == "gpx" and layer_name == "tracks" else None
    if len(frame) == 0:
        raise IngestError(f"'{label}' holds no features", f"“{label}”中没有任何要素（空图层）", file=label)
    if split is None:
        if on_frame is not None:
            on_frame(frame)
        placed = _place(wkb, meta, **place)
    elif placing_error is not None:
        raise placing_error
    geoms, rejected, repaired, problems, choice, more_notes, hint = placed
    notes.extend(more_notes)
    yield Loaded(frame=frame, geoms=geoms, rejected=rejected, repaired=repaired & ~rejected,
                 problems=problems, crs=choice, notes=notes, crs_hint=hint, track_times=times, **whole)


def _count(ds, layer: str, force: bool = False) -> int | None:
    """How many features a dataset's layer (``ds``: a dataset or its path) holds, when it can tell
    without reading them (``force``: count them if need be)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            n = pyogrio.read_info(getattr(ds, "path", ds), layer=layer, force_feature_count=force)["features"]
    except (*_GDAL_ERRORS, UnicodeDecodeError):  # (the read itself says what is wrong)
        return None
    return int(n) if n is not None and n >= 0 else None


def _chunks(ds, layer_name, gdal_encoding, limits, codec, on_frame, place, whole, notes, total, chunk_rows):
    """The chunks of a large shapefile, each read (both passes) and placed in turn."""
    label = whole["dataset"]
    for start in range(0, total, chunk_rows):
        rows = (start, min(chunk_rows, total - start))
        split = _read_split(ds, layer_name, gdal_encoding, limits, label, codec, on_frame, place, rows=rows)
        if split is None:  # the classic read of this chunk says what is wrong, or reads it
            meta, frame, wkb = _read_table(ds.path, layer_name, gdal_encoding, limits, label,
                                           restore_shx=False, kind=ds.kind, codec=codec, rows=rows)
            if on_frame is not None:
                on_frame(frame)
            placed = _place(wkb, meta, first=start + 1, **place)
        else:
            meta, frame, placed, error = split
            if error is not None:
                raise error
        geoms, rejected, repaired, problems, choice, more_notes, hint = placed
        place["choice"] = choice  # (later chunks are placed the same way)
        yield Loaded(frame=frame, geoms=geoms, rejected=rejected, repaired=repaired & ~rejected,
                     problems=problems, crs=choice, notes=(notes if start == 0 else []) + more_notes,
                     crs_hint=hint, first=start + 1, total=total, **whole)


def _place(wkb: np.ndarray, meta: dict, *, family: str, crs, remembered_crs, counties_bbox, label: str,
           gcj02: bool, first: int = 1, choice: coords.CrsChoice | None = None, limits: A.Limits | None = None,
           tally: list | None = None):
    """The geometries parsed, placed in EPSG:4490 and checked for the layer: ``(geoms, rejected,
    repaired, problems, crs choice, notes, crs hint)``. ``first``: the number of the first
    feature; ``choice``: the CRS already chosen (for a later chunk of a file); ``limits`` and
    ``tally``: the vertex limits, and the vertices of the file's earlier chunks."""
    notes = []
    numbers = np.arange(first, first + len(wkb))
    problems = V.Problems()
    geoms, rejected = V.parse_wkb(wkb, problems, numbers)
    check_vertices(geoms, numbers, limits, tally, label)
    if choice is None or choice.how == "none":
        choice = coords.choose(geoms, meta.get("crs"), override=crs, remembered=remembered_crs,
                               counties_bbox=counties_bbox, what=label)
        notes.extend(choice.notes)
    else:
        choice = coords.reuse(choice, geoms)
    raw_x = geoms
    geoms = geoms.copy()
    live = ~rejected
    if live.any():
        geoms = coords.to_cgcs2000(geoms, choice, gcj02=gcj02)
    if gcj02:
        notes.append(("已按 GCJ-02（火星坐标）转换为 CGCS2000", "converted from GCJ-02 to CGCS2000"))
    geoms, repaired = V.normalise(geoms, family, numbers, problems, rejected)
    V.outside_china(geoms, numbers, problems, rejected)
    hint = None
    if rejected.all() and (~shapely.is_missing(raw_x)).any():
        hint, swapped = coords.suggest_crs(*coords.centres(raw_x))
        if hint and swapped:
            hint += "（X/Y 对调）"
    return geoms, rejected, repaired & ~rejected, problems, choice, notes, hint


def _read_split(ds, layer: str, gdal_encoding, limits: A.Limits, label: str, codec, on_frame, place: dict,
                rows: tuple[int, int] | None = None):
    """A shapefile read in two passes at once: the geometries (.shp) here, then checked and
    placed, while another thread reads and decodes the attribute table (.dbf) — most of the work
    in both is in GDAL, GEOS and PROJ, so on two cores they overlap. Returns ``(meta, frame,
    placed, error placing the geometries)``, or None to read the classic way (anything unusual,
    and every read error: the classic read reports it, in its order)."""
    from concurrent.futures import ThreadPoolExecutor

    kw, redecode = _read_kwargs(layer, gdal_encoding, limits, codec, rows)

    def attributes():
        _meta, table = pyogrio.read_arrow(ds.path, read_geometry=False, **kw)
        frame = table.to_pandas()
        if redecode:
            frame = _redecode(frame, codec)
        frame.index = pd.RangeIndex(len(frame))
        if on_frame is not None and len(frame):
            on_frame(frame)
        return frame

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            meta, table = pyogrio.read_arrow(ds.path, columns=[], **kw)
            gcol = meta.get("geometry_name") or "wkb_geometry"
            if gcol not in table.column_names or table.num_rows > limits.max_features \
                    or _arrow_has_curves(table.column(gcol)):
                return None
            wkb = np.asarray(table.column(gcol).to_pylist(), dtype=object)
        except Exception:  # noqa: BLE001 - the classic read says what is wrong
            return None
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-dbf")
        future = pool.submit(attributes)
        pool.shutdown(wait=False)
        placed, error = None, None
        try:
            placed = _place(wkb, meta, first=1 + (rows[0] if rows else 0), **place)
        except IngestError as ex:
            error = ex
        except BaseException:
            future.exception()  # let the other pass finish with the files before they go
            raise
        try:
            frame = future.result()
        except Exception:  # noqa: BLE001
            return None
    if len(frame) != len(wkb) and len(frame.columns):
        return None
    if not len(frame.columns):
        frame = pd.DataFrame(index=pd.RangeIndex(len(wkb)))
    return meta, frame, placed, error
