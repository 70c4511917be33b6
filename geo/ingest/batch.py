"""A batch from file to store: :func:`prepare` (read and check, nothing written), then
:func:`commit` (one transaction: the batch row, its features and their import events, and the
remembered field mapping — all of it or none).

A large shapefile is read and checked :data:`CHUNK_ROWS` features at a time (memory then follows
the chunk, not the batch): what spans chunks — the CRS chosen, the unit of the reported areas,
numbers and shapes already seen earlier in the file — is carried from chunk to chunk
(:class:`_FileState`), so the report is the one a single read would give; the checked rows wait
on disk (:mod:`geo.ingest.staged`) and the commit stores them chunk by chunk in its one
transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core import crs as C
from geo.core.cells import neutralise_sheet, xlsx_frame
from geo.engine import official
from geo.declare import registry as S
from geo.core.errors import IngestError
from geo.ingest import dedupe as D
from geo.ingest import fieldmap as F
from geo.ingest import validate as V
from geo.ingest.archive import Limits, Upload
from geo.ingest.read import Loaded, load, load_chunks
from geo.ingest.staged import Staged
from geo.access.scope import unwrap
from geo.core.errors import GeoError
from geo.declare.registry import rules_of
from geo.engine.records import check_values
from geo.engine.write import check_counties

CHUNK_ROWS = 50_000  # features read and checked at a time by prepare()
AREA_TOLERANCE = 0.10  # relative difference between reported and computed area that is flagged
AREA_MIN_HA = 0.01
LEVELS = ("rejected", "duplicate", "repaired", "flag", "warning")
LEVEL_ZH = {"rejected": "拒收", "duplicate": "重复", "repaired": "已修复", "flag": "提示", "warning": "字段问题"}
FLAG_ZH = {"area_mismatch": "面积不符", "outside_counties": "不在辖区内", "county_mismatch": "与所填旗县不符",
           "repeat": "重复图斑"}


@dataclass
class Options:
    """What the person chose for this upload (the CLI arguments / the page's widgets)."""

    layer: str = "change"
    batch: str | None = None
    source: str | None = None
    kind: str | None = None
    issued_on: str | None = None
    verify_deadline: str | None = None
    rectify_deadline: str | None = None
    encoding: str | None = None
    crs: str | None = None
    gcj02: bool = False
    source_layer: str | None = None
    mapping: dict = field(default_factory=dict)
    purpose: str | None = None  # official / candidate / test / demo (geo.engine.official); None: by source

    def load_key(self) -> tuple:
        """What :func:`load` depends on (a changed mapping needs no re-read)."""
        return (V.FAMILY[self.layer], self.encoding or "", self.crs or "", bool(self.gcj02),
                self.source_layer or "", self.source or "")


@dataclass
class Report:
    """Everything the page shows and the CLI prints before (and after) anything is written."""

    loaded: Loaded  # (for a batch read in chunks: the first chunk, its first rows only)
    options: Options
    mapping: dict
    staged: Staged  # the rows that would be stored, ``number`` = feature no. in the file
    problems: pd.DataFrame  # feature, field, level, zh, en (+ label)
    counts: dict
    notes: list
    batches_seen: int
    duplicate_batches: dict = field(default_factory=dict)
    batch_id: int | None = None
    _more_problems: list = field(default_factory=list, repr=False)  # later chunks', until _finish()

    @property
    def layer(self) -> str:
        return self.options.layer

    @property
    def features(self) -> gpd.GeoDataFrame:
        """The rows that would be stored, as one frame (read back whole for a chunked batch:
        :attr:`staged` gives them a chunk at a time)."""
        return self.staged.frame()

    def extend(self, part: "Report") -> "Report":
        """This report followed by ``part``, the report of the file's next chunk."""
        if not self.staged.on_disk:
            self.loaded = _sample(self.loaded)
            self.staged.spill()  # (from now on on disk)
        for chunk in part.staged.chunks():
            self.staged.add(chunk, spill=True)
        self.counts = {k: self.counts[k] + part.counts[k] for k in self.counts}
        if len(part.problems):
            self._more_problems.append(part.problems)
        self.notes = self.notes + [n for n in part.notes if n not in self.notes]
        self.duplicate_batches.update(part.duplicate_batches)
        return self

    def _finish(self) -> "Report":
        """The problems of all chunks as one table (gathered once, not at every chunk)."""
        if self._more_problems:
            self.problems = pd.concat([self.problems, *self._more_problems], ignore_index=True)
            self._more_problems = []
        return self

    @property
    def to_store(self) -> int:
        return int(self.counts["to_store"])

    def refusal(self) -> IngestError | None:
        """Why nothing can be stored, or ``None`` when something can."""
        if self.to_store > 0:
            return None
        c = self.counts
        if c["duplicates"] and c["duplicates"] + c["rejected"] == c["read"]:
            held = "、".join(f"#{b}“{n}”" for b, n in self.duplicate_batches.items())
            held_en = ", ".join(f"#{b} '{n}'" for b, n in self.duplicate_batches.items())
            return IngestError(
                f"nothing to store: every feature of the file is already stored (batch {held_en}); nothing was written",
                f"没有可导入的要素：文件中的图斑均已入库（批次 {held}），本次未写入任何数据",
                batches=list(self.duplicate_batches))
        hint = self.loaded.crs_hint
        outside = (self.problems["en"].str.startswith("not in China")).sum() if len(self.problems) else 0
        if outside and outside == c["rejected"]:
            return IngestError(
                f"nothing to store: all {c['read']} features lie outside China with the CRS used "
                f"({self.loaded.crs.label}); choose the CRS the file was made in (--crs)"
                + (f"; the numbers look like {hint}" if hint else ""),
                f"没有可导入的要素：按所用坐标系（{self.loaded.crs.label_zh}），全部 {c['read']} 个要素都不在中国境内。"
                f"请选择数据实际使用的坐标系" + (f"（坐标看起来像 {hint}）" if hint else ""),
                option="crs", candidates=[hint] if hint else [])
        first = self.problems[self.problems["level"] == "rejected"].head(3)
        why = "；".join(first["zh"].tolist())
        why_en = "; ".join(first["en"].tolist())
        return IngestError(
            f"nothing to store: all {c['read']} features were rejected or are already stored ({why_en}); "
            "see the problem list, fix the file and upload again",
            f"没有可导入的要素：全部 {c['read']} 个要素被拒收或已入库（{why}）。请查看问题清单，修改文件后重新上传",
            rejected=c["rejected"], duplicates=c["duplicates"])

    def errors(self, lang: str = "zh") -> list[dict]:
        key = "zh" if lang == "zh" else "en"
        return [{"feature": int(r["feature"]), "field": r["field"], "level": r["level"], "message": r[key],
                 **({"label": r["label"]} if r.get("label") else {})}
                for r in self.problems.to_dict("records")]

    def summary(self, lang: str = "zh", dry_run: bool = False) -> dict:
        """The ``--json`` object."""
        lo = self.loaded
        c = self.counts
        return {
            "batch_id": self.batch_id,
            "dry_run": dry_run,
            "layer": self.layer,
            "file": lo.file_name,
            "file_sha256": lo.sha256,
            "source_layer": lo.dataset,
            "read": c["read"],
            "stored": c["to_store"] if self.batch_id is not None else 0,
            "to_store": c["to_store"],
            "repaired": c["repaired"],
            "rejected": c["rejected"],
            "duplicates": c["duplicates"],
            "flagged": c["flagged"],
            "repeats": c["repeats"],
            "encoding": lo.encoding.gdal if lo.encoding else None,
            "encoding_how": lo.encoding.how if lo.encoding else None,
            "crs": lo.crs.source_crs,
            "crs_how": lo.crs.how,
            "mapping": {k: v for k, v in self.mapping.items() if v},
            "notes": [n[0] if lang == "zh" else n[1] for n in self.notes],
            "errors": self.errors(lang),
        }

    def problem_table(self, lang: str = "zh") -> pd.DataFrame:
        zh = lang == "zh"
        p = self.problems
        cols = {"feature": "要素序号" if zh else "Feature", "label": "图斑编号" if zh else "Label",
                "field": "字段" if zh else "Field", "level": "类别" if zh else "Kind",
                "message": "说明" if zh else "Message"}
        if p.empty:
            return pd.DataFrame(columns=list(cols.values()))
        out = pd.DataFrame({
            "feature": p["feature"].astype(int),
            "label": p["label"].fillna("") if "label" in p else "",
            "field": p["field"].map(lambda f: _field_label(self.layer, f, zh)),
            "level": p["level"].map(lambda v: LEVEL_ZH.get(v, v) if zh else v),
            "message": p["zh" if zh else "en"],
        })
        return out.rename(columns=cols)

    def to_excel(self, lang: str = "zh") -> bytes:
        import io

        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="openpyxl") as xw:
            xlsx_frame(self.problem_table(lang)).to_excel(xw, sheet_name="问题清单" if lang == "zh" else "Problems", index=False)
            s = self.summary(lang)
            meta = pd.DataFrame([(k, json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v)
                                 for k, v in s.items() if k != "errors"], columns=["项目" if lang == "zh" else "Item",
                                                                                  "值" if lang == "zh" else "Value"])
            xlsx_frame(meta).to_excel(xw, sheet_name="概况" if lang == "zh" else "Summary", index=False)
            for ws in xw.sheets.values():  # a file's values quoted in the problems stay text
                neutralise_sheet(ws)
        return buf.getvalue()


def _sample(lo: Loaded, rows: int = 1000) -> Loaded:
    """A chunk's :class:`Loaded` cut to its first rows (the columns and sample values the page
    shows), so a report of a chunked batch does not hold the first chunk whole."""
    keep = slice(0, rows)
    return dataclasses.replace(lo, frame=lo.frame.iloc[keep], geoms=lo.geoms[keep], rejected=lo.rejected[keep],
                               repaired=lo.repaired[keep], problems=V.Problems())


@dataclass
class _FileState:
    """What the check of one chunk of a file hands to the next: the polygon numbers (per source)
    and shapes kept so far, with the number of the feature that holds each, and the unit of the
    reported areas as decided on the first chunk."""

    numbers: dict = field(default_factory=dict)
    shapes: dict = field(default_factory=dict)
    area_unit: tuple | None = None
    boxes: D.StoredBoxes = field(default_factory=D.StoredBoxes)  # stored boxes read so far
    early: dict = field(default_factory=dict)  # first feature → (neighbours, fingerprints) started


def _field_label(layer: str, name: str, zh: bool) -> str:
    if name == "geometry":
        return "图形" if zh else "geometry"
    try:
        f = S.layer(layer).field(name)
        return f.zh if zh else f.en
    except Exception:  # noqa: BLE001 - a file column, not a layer field
        return name


# ------------------------------------------------------------------------------ dates
def _date(value, what: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip().replace("/", "-")).isoformat()
    except ValueError:
        raise IngestError(f"{what} '{value}' is not a date (YYYY-MM-DD)",
                          f"日期“{value}”格式有误，应为 年-月-日（如 2024-06-30）", option=what) from None


def batch_dates(options: Options) -> dict:
    issued = _date(options.issued_on, "--issued-on")
    verify = _date(options.verify_deadline, "--verify-deadline")
    rectify = _date(options.rectify_deadline, "--rectify-deadline")
    if issued and verify and verify < issued:
        raise IngestError(f"the verification deadline {verify} is before the issue date {issued}",
                          f"核查期限 {verify} 早于下发日期 {issued}，请检查", option="verify_deadline")
    if verify and rectify and rectify < verify:
        raise IngestError(f"the rectification deadline {rectify} is before the verification deadline {verify}",
                          f"整改期限 {rectify} 早于核查期限 {verify}，请检查", option="rectify_deadline")
    return {"issued_on": issued, "verify_deadline": verify, "rectify_deadline": rectify}


# ------------------------------------------------------------------------------ the pipeline
def counties_of(store) -> gpd.GeoDataFrame:
    try:
        return store.read_layer("admin", where={"level": "county"}, columns=["code", "name"])
    except Exception:  # noqa: BLE001 - a store without admin units checks no jurisdiction
        return gpd.GeoDataFrame({"code": [], "name": []}, geometry=[], crs=4490)


def _load_args(options: Options, store, limits: Limits | None, counties: gpd.GeoDataFrame | None,
               on_frame) -> dict:
    store, _ = unwrap(store)
    profile = store.field_profile(options.source, options.layer) if options.source else None
    counties = counties_of(store) if counties is None else counties
    bbox = tuple(counties.total_bounds) if len(counties) else None
    return dict(layer=options.layer, limits=limits, encoding=options.encoding, crs=options.crs,
                gcj02=options.gcj02, source_layer=options.source_layer,
                remembered_encoding=(profile or {}).get("encoding"),
                remembered_crs=(profile or {}).get("crs"), counties_bbox=bbox, on_frame=on_frame)


def load_for(upload: Upload, options: Options, store, limits: Limits | None = None,
             counties: gpd.GeoDataFrame | None = None, on_frame=None) -> Loaded:
    """:func:`geo.ingest.read.load` with what the store remembers for the source."""
    return load(upload, **_load_args(options, store, limits, counties, on_frame))


def _convert(frame: pd.DataFrame, mapping: dict, layer: str):
    """The mapped fields' values, the conversion failures and the ``extra`` JSON of each row."""
    values, failures = F.convert(frame, mapping, layer)
    extra = F.extra_json(frame, [str(c) for c in frame.columns if mapping.get(str(c)) is None], failures)
    return mapping, values, failures, extra


class _Early:
    """Attribute conversion started while the geometries are still being read and repaired:
    the conversion is Python, the geometry work is GEOS and PROJ (which release the GIL), so on
    two cores they overlap. Used only if the mapping it assumed is the one finally checked."""

    def __init__(self, options: Options, store):
        self.options, self.store, self.future = options, store, None
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-attrs")

    def __call__(self, frame: pd.DataFrame) -> None:
        opts = self.options
        try:
            profile = self.store.field_profile(opts.source, opts.layer) if opts.source else None
            mapping = F.suggest([str(c) for c in frame.columns], opts.layer, (profile or {}).get("mapping"),
                                opts.mapping)
        except Exception:  # noqa: BLE001 - the check reports it, in its own order
            return
        self.future = self.pool.submit(_convert, frame, mapping, opts.layer)
        self.pool.shutdown(wait=False)

    def result(self, mapping: dict):
        if self.future is None:
            return None
        try:
            done = self.future.result()
        except Exception:  # noqa: BLE001 - recomputed (and reported) by the check itself
            return None
        return done if done[0] == mapping else None


def prepare(upload, options: Options, store, *, limits: Limits | None = None,
            chunk_rows: int | None = None) -> Report:
    """Read and check an upload for ``options.layer``: the whole report, nothing written.

    ``upload`` is an :class:`Upload`, a path, or a ``(file name, bytes)`` pair. A shapefile of
    more than ``chunk_rows`` (default :data:`CHUNK_ROWS`) features is read and checked a chunk
    at a time (see the module docstring); the report is the same.

    Raises
    ------
    IngestError
        The file as a whole is refused (see :func:`geo.ingest.read.load`), or it was already
        imported (same content) — naming the batch that holds it.
    """
    S.layer(options.layer)
    store, _ = unwrap(store)  # dedupe looks at the whole store; what it reports is only "already stored"
    if isinstance(upload, (str, Path)):
        upload = Upload.from_path(upload)
    elif isinstance(upload, tuple):
        upload = Upload.from_bytes(*upload)
    counties = counties_of(store)
    earlies: list[tuple[pd.DataFrame, _Early]] = []  # (a chunk's attribute table, its conversion)

    def on_frame(frame):  # (each chunk's attributes converted while its geometries are placed)
        early = _Early(options, store)
        earlies.append((frame, early))
        early(frame)

    def early_of(loaded: Loaded) -> _Early | None:
        found = next((e for f, e in earlies if f is loaded.frame), None)
        earlies[:] = [(f, e) for f, e in earlies if f is not loaded.frame]
        return found

    state, report = _FileState(), None
    ahead = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ingest-ahead")

    def started(chunks):
        """Each chunk of a change batch has its stored neighbours and fingerprints looked for as
        soon as it is read, while the chunk before it is still being finished."""
        try:
            for loaded in chunks:
                g = loaded.geoms[~loaded.rejected]
                if options.layer == "change" and loaded.total is not None and len(g):
                    state.early[loaded.first] = (ahead.submit(_near, store, options.layer, g, state.boxes),
                                                 ahead.submit(D.hash_variants, g))
                yield loaded
        finally:
            chunks.close()

    chunks = _ReadAhead(started(load_chunks(upload, chunk_rows=chunk_rows or CHUNK_ROWS,
                                            **_load_args(options, store, limits, counties, on_frame))))
    try:
        for loaded in chunks:
            early = early_of(loaded)
            if report is None:
                report = check(loaded, options, store, counties, early=early, state=state)
            else:
                report.extend(_Check(loaded, options, store, counties, early, state).run())
            del loaded
    finally:
        chunks.close()
        ahead.shutdown(wait=True)  # (nothing of this file is left running)
        state.early.clear()
    return report._finish()


class _ReadAhead:
    """The chunks of a file with the next one read while this one is checked: reading (GDAL,
    PROJ, GEOS) and checking (the stored neighbours, GEOS, SQLite) overlap on two cores, so a
    national batch costs about the larger of the two per chunk instead of their sum. (The commit
    reads its staged chunks back the same way.) Errors come in the file's order; at most two
    chunks are held at once."""

    _END = object()

    def __init__(self, chunks):
        self.chunks = chunks
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-read")
        self.ahead = self.pool.submit(self._pull)

    def _pull(self):
        try:
            return next(self.chunks)
        except StopIteration:
            return self._END

    def __iter__(self):
        return self

    def __next__(self):
        item = self.ahead.result()  # (a read error is raised here, when its chunk is due)
        if item is self._END:
            raise StopIteration
        self.ahead = self.pool.submit(self._pull)
        return item

    def close(self) -> None:
        """Wait for a read under way, then close the file (its temporary copy goes)."""
        self.ahead.exception()
        self.pool.shutdown(wait=True)
        self.chunks.close()


def check(loaded: Loaded, options: Options, store, counties: gpd.GeoDataFrame | None = None,
          early: _Early | None = None, state: _FileState | None = None) -> Report:
    """Map, check and deduplicate a :class:`Loaded` upload against the store (no writes).

    Raises
    ------
    IngestError
        The same file was already imported (naming the batch), a date or a mapping override
        is wrong.
    """
    batch_dates(options)  # wrong dates are refused before anything else
    store, _ = unwrap(store)  # dedupe looks at the whole store; what it reports is only "already stored"
    same = D.same_file(store, loaded.sha256, options.layer)
    if same is not None:
        raise IngestError(
            f"this file was already imported as batch #{same['id']} '{same['name']}' "
            f"(by {same.get('uploaded_by') or '?'} at {same.get('uploaded_at') or '?'}); nothing was written",
            f"该文件已于 {str(same.get('uploaded_at') or '')[:10]} 由 {same.get('uploaded_by') or '?'} "
            f"导入为批次 #{same['id']}“{same['name']}”，本次未写入任何数据",
            batch_id=int(same["id"]), batch=same["name"])
    return _Check(loaded, options, store, counties_of(store) if counties is None else counties, early,
                  state).run()


class _Check:
    """One check of a loaded upload: each step adds values (``out``), per-feature ``flags`` and
    ``problems``; :meth:`run` assembles the :class:`Report`."""


    def __init__(self, loaded: Loaded, options: Options, store, counties: gpd.GeoDataFrame,
                 early: _Early | None = None, state: _FileState | None = None):
        self.lo, self.opts, self.store, self.counties = loaded, options, store, counties
        self.early = early
        self.state = state if state is not None else _FileState()
        self.layer = options.layer
        self.names = set(S.layer(self.layer).names)
        self.n = len(loaded.frame)
        self.numbers = loaded.numbers
        self.keep = ~loaded.rejected
        self.live = np.flatnonzero(self.keep)
        self.geoms = loaded.geoms
        self.problems = V.Problems()
        self.problems.extend(loaded.problems)
        self.flags: list[dict] = [{"repaired": True} if r else {} for r in loaded.repaired]
        self.notes = list(loaded.notes)
        self.duplicate = np.zeros(self.n, dtype=bool)
        self.dup_batches: dict = {}
        self.repeat_of = np.full(self.n, -1, dtype="int64")
        seen = store.batches()
        self.batches_seen = int(pd.to_numeric(seen["id"]).max()) if len(seen) else 0
        self.bnames = dict(zip(pd.to_numeric(seen["id"]).astype(int).tolist(), seen["name"].tolist())) if len(seen) else {}
        profile = store.field_profile(options.source, self.layer) if options.source else None
        self.columns = [str(c) for c in loaded.frame.columns]
        self.mapping = F.suggest(self.columns, self.layer, (profile or {}).get("mapping"), options.mapping)

    def run(self) -> Report:
        lo, live = self.lo, self.live
        # The geometry work (shapely, pyproj and SQLite release the GIL) runs in two threads while
        # this one converts the attributes (pure Python): on two cores most of it overlaps.
        pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ingest")
        dedupe = self.layer == "change" and len(live)
        # longest first: stored neighbours and their overlaps, then the fingerprints
        early = self.state.early.pop(lo.first, None) if dedupe else None  # (started as it was read)
        f_near = (early[0] if early else pool.submit(_near, self.store, self.layer, self.geoms[live],
                                                     self.state.boxes)) if dedupe else None
        f_hash = (early[1] if early else pool.submit(D.hash_variants, self.geoms[live])) if dedupe else None
        f_area = pool.submit(C.areas_ha_mu, self.geoms[live]) \
            if (lo.family == "polygon" or (lo.family == "mixed" and "area_ha" in self.names)) and len(live) else None
        want_where = "county_code" in self.names and len(self.counties) and len(live)
        f_where = pool.submit(V.locate, self.geoms[live], self.counties) if want_where else None
        pool.shutdown(wait=False)
        self.attributes()
        by_no = self.stored_numbers() if dedupe else None  # (SQL, while the threads work)
        if f_where is not None:
            self.where(f_where.result()[0])
        if f_area is not None:
            self.area(*f_area.result())
        if self.layer == "patrol" and len(live):
            self.tracks()
        elif lo.family == "line" and "length_km" in self.names and len(live):  # a register's lines
            length = np.full(self.n, np.nan)
            length[live] = C.lengths_km(self.geoms[live])
            self.out["length_km"] = pd.Series(np.round(length, 3))
        self.register_rule()
        if f_near is not None:
            self.once(*f_near.result(), *f_hash.result(), by_no)
        return self.report()

    # -- the steps ----------------------------------------------------------------------
    def attributes(self) -> None:
        """The mapped fields' values, conversion warnings, ``extra`` and the batch's values."""
        lyr, frame, n = S.layer(self.layer), self.lo.frame, self.n
        done = self.early.result(self.mapping) if self.early is not None else None
        if done is None:
            done = _convert(frame, self.mapping, self.layer)
        _, values, failures, extra = done
        for col, bad in failures.items():
            field = self.mapping[col]
            ftype = lyr.field(field).type
            kind_zh = {S.DATE: "日期", S.REAL: "数值", S.INT: "整数", S.BOOL: "是/否", S.DATETIME: "时间"}.get(ftype, ftype)
            raw = frame[col].astype(object).tolist()
            for i in np.flatnonzero(bad):
                self.problems.add(self.numbers[i], field, "warning",
                                  f"列“{col}”的值“{raw[i]}”不是有效的{kind_zh}，已留空（原值保存在其他属性中）",
                                  f"column '{col}': '{raw[i]}' is not a valid {ftype}; left empty (kept in extra)")
        self.extra = extra
        self.out: dict[str, pd.Series] = dict(values)
        labels = next((values[k] for k in ("polygon_no", "name", "board_no", "project") if k in values), None)
        self.labels = labels.tolist() if labels is not None else [None] * n
        if "source" in self.names:
            src = self.out.get("source")
            if src is None:
                self.out["source"] = pd.Series([self.opts.source] * n, dtype=object)
            elif self.opts.source:
                self.out["source"] = src.where(src.notna(), self.opts.source)
        if "kind" in self.names:
            self.out["kind"] = pd.Series([self.opts.kind or "forest"] * n, dtype=object)
        if "source_file" in self.names:
            self.out["source_file"] = pd.Series([self.lo.file_name] * n, dtype=object)

    def register_rule(self) -> None:
        """Each feature of a register through its value lists and its ``validate`` rule (as a
        record added by hand or a list row): the values completed are kept, the flags added, and
        a feature refused is rejected with its reason."""

        lyr = S.layer(self.layer)
        rules = rules_of(lyr)
        validate = getattr(rules, "validate", None) if rules is not None else None
        if validate is None and not any(f.options for f in lyr.fields):
            return
        cols = {k: s.tolist() for k, s in self.out.items() if s is not None}
        changed: dict[str, dict[int, object]] = {}
        for i in self.live:
            if not self.keep[i]:
                continue
            values = {k: v[i] for k, v in cols.items()
                      if k in self.names and v[i] is not None and not (isinstance(v[i], float) and np.isnan(v[i]))
                      and v[i] is not pd.NA}
            try:
                new = check_values(lyr, values)  # value lists by key or label ("生土阻隔带" → soil)
                new = validate(self.store, new, None) if validate is not None else new
            except GeoError as err:
                self.keep[i] = False
                self.lo.rejected[i] = True
                self.problems.add(self.numbers[i], err.details.get("field") or "", "rejected", err.zh, err.en,
                                  label=self.labels[i])
                continue
            for k, v in new.items():
                if k == "flags":
                    self.flags[i].update(v or {})
                elif k in self.names and (k not in values or values[k] != v):
                    changed.setdefault(k, {})[i] = v
        for k, rows in changed.items():
            col = self.out.get(k)
            col = pd.Series([None] * self.n, dtype=object) if col is None else col.astype(object).copy()
            for i, v in rows.items():
                col.iat[i] = v
            self.out[k] = col

    def where(self, hit: np.ndarray) -> None:
        """County code from where each feature lies; flags for features outside every county or
        far from the county their attributes name."""
        live, n, counties = self.live, self.n, self.counties
        codes = counties["code"].to_numpy(dtype=object)
        cnames = counties["name"].to_numpy(dtype=object)
        file_code, file_name = self.out.get("county_code"), self.out.get("county")
        named = V.named_county(counties, file_name.iloc[live] if file_name is not None else None,
                               file_code.iloc[live] if file_code is not None else None, n=len(live))
        far = V.county_mismatch(self.geoms[live], named, hit, counties)
        code_col = np.asarray(file_code.tolist() if file_code is not None else [None] * n, dtype=object)
        name_col = np.asarray(file_name.tolist() if file_name is not None else [None] * n, dtype=object)
        inside = hit >= 0
        code_col[live[inside]] = codes[hit[inside]]
        blank = np.array([v is None for v in name_col[live[inside]]], dtype=bool)
        name_col[live[inside][blank]] = cnames[hit[inside][blank]]
        for k in np.flatnonzero(~inside):
            i = live[k]
            self.flags[i]["outside_counties"] = True
            self.problems.add(self.numbers[i], "geometry", "flag", "不在本库任何旗县范围内",
                              "outside every county of the store", label=self.labels[i])
        for k in np.flatnonzero(far):
            i = live[k]
            located = cnames[hit[k]] if hit[k] >= 0 else None
            said = cnames[named[k]]
            self.flags[i]["county_mismatch"] = {"named": said, "located": located}
            self.problems.add(self.numbers[i], "county", "flag",
                              f"属性中的旗县为“{said}”，但图斑位于{('“' + located + '”') if located else '其范围之外'}",
                              f"the attributes name {said}, but the polygon lies "
                              f"{'in ' + located if located else 'outside it'}", label=self.labels[i])
        self.out["county_code"] = pd.Series(code_col, dtype=object)
        if "county" in self.names:
            self.out["county"] = pd.Series(name_col, dtype=object)

    def area(self, ha: np.ndarray, mu: np.ndarray, crs_used: list) -> None:
        """Area recomputed in each polygon's own 3° Gauss-Krüger zone, compared with the file's."""
        live, n = self.live, self.n
        area_ha = np.full(n, np.nan)
        area_ha[live] = ha
        if self.lo.family == "mixed":  # points of a point-or-polygon layer have no area
            ha, mu = np.where(ha > 0, ha, np.nan), np.where(mu > 0, mu, np.nan)
            crs_used = [c if a > 0 else None for c, a in zip(crs_used, ha > 0)]
            area_ha[live] = ha
        for name, values, fill in (("area_ha", np.round(ha, 4), np.nan), ("area_mu", np.round(mu, 2), np.nan),
                                   ("area_crs", np.asarray(crs_used, dtype=object), None)):
            if name in self.names:
                col = np.full(n, fill, dtype=object if fill is None else "float64")
                col[live] = values
                self.out[name] = pd.Series(col, dtype=object if fill is None else "float64")
        if "area_reported_ha" not in self.out:
            return
        rep = pd.to_numeric(self.out["area_reported_ha"], errors="coerce").to_numpy(dtype="float64")
        if self.state.area_unit is None:  # decided on the first chunk, kept for the file
            self.state.area_unit = V.reported_unit(rep[live], area_ha[live])
        div, unit = self.state.area_unit
        if div != 1.0:
            rep = rep / div
            self.out["area_reported_ha"] = pd.Series(rep)
            col = next(c for c, f in self.mapping.items() if f == "area_reported_ha")
            self.notes.append((f"文件中的面积列“{col}”单位为{unit}，已换算为公顷",
                               f"the file's area column '{col}' is in {unit}; converted to hectares"))
        diff = np.abs(rep - area_ha)
        bad = self.keep & np.isfinite(rep) & (rep > 0) & (diff > AREA_TOLERANCE * area_ha) & (diff > AREA_MIN_HA)
        for i in np.flatnonzero(bad):
            ratio = rep[i] / area_ha[i]
            self.flags[i]["area_mismatch"] = {"reported_ha": round(float(rep[i]), 4),
                                              "computed_ha": round(float(area_ha[i]), 4), "ratio": round(float(ratio), 3)}
            self.problems.add(
                self.numbers[i], "area_reported_ha", "flag",
                f"上报面积 {rep[i]:.4f} 公顷，按图形计算为 {area_ha[i]:.4f} 公顷，相差 {abs(1 - ratio) * 100:.0f}%",
                f"reported {rep[i]:.4f} ha, computed {area_ha[i]:.4f} ha ({abs(1 - ratio) * 100:.0f}% apart)",
                label=self.labels[i])

    def tracks(self) -> None:
        """Patrol tracks: length in its GK zone; start, end, duration and speed from GPX times."""
        n, out = self.n, self.out
        length = np.full(n, np.nan)
        length[self.live] = C.lengths_km(self.geoms[self.live])
        out["length_km"] = pd.Series(np.round(length, 3))
        if self.lo.track_times:
            starts, ends, times_json = [None] * n, [None] * n, [None] * n
            for i, tt in enumerate(self.lo.track_times):
                ts = pd.to_datetime(pd.Series([t for t in (tt or []) if t is not None]), errors="coerce", utc=True).dropna()
                if len(ts):
                    starts[i] = ts.min().strftime("%Y-%m-%dT%H:%M:%SZ")
                    ends[i] = ts.max().strftime("%Y-%m-%dT%H:%M:%SZ")
                    times_json[i] = json.dumps([t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in ts])
            out.setdefault("started_at", pd.Series(starts, dtype=object))
            out.setdefault("ended_at", pd.Series(ends, dtype=object))
            out["times"] = pd.Series(times_json, dtype=object)
        st, en = out.get("started_at"), out.get("ended_at")
        if st is not None and en is not None:
            dur = pd.to_datetime(en, errors="coerce", utc=True) - pd.to_datetime(st, errors="coerce", utc=True)
            hours = dur.dt.total_seconds().to_numpy(dtype="float64") / 3600.0
            out["duration_h"] = pd.Series(np.round(hours, 2))
            with np.errstate(divide="ignore", invalid="ignore"):
                kmh = np.where(hours > 0, length / hours, np.nan)
            out["mean_kmh"] = pd.Series(np.round(kmh, 2))
        # one plausibility rule everywhere (geo.fieldwork.patrols): top speed between points, gaps, points
        # outside the jurisdiction
        rules = rules_of(S.layer(self.layer))
        assess = getattr(rules, "assess_track", None) if rules is not None else None
        if assess is None:
            return
        area = shapely.union_all(self.counties.geometry.values) if len(self.counties) else None
        times = self.lo.track_times or [None] * n
        plausible = [None] * n
        for i in self.live:
            res = assess(shapely.get_coordinates(self.geoms[i]), times[i] if i < len(times) else None, area=area)
            plausible[i] = res["plausible"]
            if res["reasons"]:
                self.flags[i]["implausible"] = res["reasons"]
                self.problems.add(self.numbers[i], "geometry", "flag", "轨迹不可信：" + "；".join(res["reasons"]),
                                  "implausible track", label=self.labels[i])
        out["plausible"] = pd.Series(plausible, dtype=object)

    def _duplicate(self, i, fid, bid, why_zh, why_en, field) -> None:
        self.duplicate[i] = True
        bid = None if bid is None or pd.isna(bid) else int(bid)
        bname = self.bnames.get(bid, "?")
        if bid is not None:
            self.dup_batches[bid] = bname
        self.problems.add(self.numbers[i], field, "duplicate",
                          f"{why_zh}：已在批次 #{bid}“{bname}”中（要素 #{fid}），不重复导入",
                          f"{why_en}: already stored in batch #{bid} '{bname}' (feature #{fid}); not imported again",
                          label=self.labels[i], batch_id=bid, feature_id=int(fid))

    def stored_numbers(self) -> pd.DataFrame | None:
        """Stored polygons with the same source and polygon number as a live row."""
        live, n, out = self.live, self.n, self.out
        nos = out.get("polygon_no")
        if nos is None:
            return None
        src = out["source"] if "source" in out else pd.Series([None] * n, dtype=object)
        return D.stored_by_number(self.store, self.layer, src.iloc[live].reset_index(drop=True),
                                  nos.iloc[live].reset_index(drop=True))

    def once(self, pairs: np.ndarray, near: gpd.GeoDataFrame, overlaps: pd.DataFrame, h1: list, h2: list,
             by_no: pd.DataFrame | None) -> None:
        """Change polygons: duplicates of stored ones (number, shape), within the file, repeats.
        ``overlaps``: the best substantial overlap of each live row with a stored polygon."""
        live, n, out = self.live, self.n, self.out
        src = out["source"] if "source" in out else pd.Series([None] * n, dtype=object)
        nos = out.get("polygon_no")
        if by_no is not None:
            for i, fid, bid in by_no.itertuples(index=False):
                self._duplicate(live[i], fid, bid, "图斑编号相同（同一来源）", "same source and polygon number", "polygon_no")
        for i, fid, bid in D.same_geometry(pairs, near, h1, h2).itertuples(index=False):
            if not self.duplicate[live[i]]:
                self._duplicate(live[i], fid, bid, "图形与已入库图斑完全相同", "the same geometry", "geometry")
        hashes = np.full(n, None, dtype=object)
        hashes[live] = h1
        out["geom_hash"] = pd.Series(hashes, dtype=object)
        # within the file: the first of a number or a shape is kept
        keys = pd.DataFrame({"s": src.astype(object).fillna("\0"),
                             "no": (nos if nos is not None else pd.Series([None] * n)).astype(object),
                             "h": hashes, "i": np.arange(n)})
        keys = keys[self.keep & ~self.duplicate]
        for cols, what, seen in ((["s", "no"], "polygon_no", self.state.numbers), (["h"], "geometry", self.state.shapes)):
            sub = keys[keys[cols[-1]].notna()]
            first = sub.groupby(cols, sort=False)["i"].transform("first")
            # the feature number holding each key: an earlier chunk's, else this chunk's first
            # (keys as one string each: half a million of them are kept for a national batch)
            key = sub["h"].tolist() if what == "geometry" else [f"{a}\x1f{b}" for a, b in zip(sub["s"], sub["no"])]
            held = np.fromiter(map(seen.get, key, itertools.repeat(-1)), dtype="int64", count=len(key))
            mine = self.numbers[first.to_numpy()] if len(sub) else np.zeros(0, "int64")
            holder = np.where(held >= 0, held, mine)
            again = (holder != self.numbers[sub["i"].to_numpy()]) if len(sub) else np.zeros(0, bool)
            fresh = held < 0  # (a key met again in this chunk maps to the same first holder)
            seen.update(zip(itertools.compress(key, fresh), holder[fresh].tolist()))
            for i, j, no in zip(sub["i"].to_numpy()[again], holder[again], sub["no"].to_numpy()[again]):
                self.duplicate[i] = True
                if what == "polygon_no":
                    zh = f"文件中图斑编号“{no}”重复出现（与第 {j} 个要素相同），只导入第一个"
                    en = f"polygon number '{no}' appears twice in the file (as feature {j}); only the first is imported"
                else:
                    zh = f"文件中图形重复（与第 {j} 个要素完全相同），只导入第一个"
                    en = f"the same geometry appears twice in the file (as feature {j}); only the first is imported"
                self.problems.add(self.numbers[i], what, "duplicate", zh, en, label=self.labels[i])
            keys = keys[~np.isin(keys["i"].to_numpy(), sub["i"].to_numpy()[again])]
        # repeats: substantial overlap with an earlier batch's polygon
        if len(overlaps):  # (a duplicate is not also a repeat)
            rep = overlaps[~self.duplicate[live][overlaps["i"].to_numpy(dtype="int64")]]
            for i, fid, bid, ov in rep[["i", "id", "batch_id", "overlap"]].itertuples(index=False):
                r = live[int(i)]
                self.repeat_of[r] = int(fid)
                bid = None if bid is None or pd.isna(bid) else int(bid)
                bname = self.bnames.get(bid, "?")
                self.flags[r]["repeat"] = {"of": int(fid), "batch_id": bid, "overlap": round(float(ov), 3)}
                self.problems.add(self.numbers[r], "geometry", "flag",
                                  f"与批次 #{bid}“{bname}”中的图斑 #{fid} 重叠 {ov * 100:.0f}%，作为重复图斑关联导入",
                                  f"overlaps feature #{fid} of batch #{bid} '{bname}' by {ov * 100:.0f}%; linked as a repeat",
                                  label=self.labels[r])
        if "repeat_of" in self.names:
            out["repeat_of"] = pd.Series(pd.array([None if v < 0 else int(v) for v in self.repeat_of], dtype="Int64"))

    # -- the result ---------------------------------------------------------------------
    def report(self) -> Report:
        n, flags = self.n, self.flags
        final = self.keep & ~self.duplicate
        rows = np.flatnonzero(final)
        data = {name: s.iloc[rows].reset_index(drop=True) for name, s in self.out.items()
                if name in self.names and s is not None}
        data["flags"] = pd.Series([json.dumps(flags[i], ensure_ascii=False, sort_keys=True) if flags[i] else None
                                   for i in rows], dtype=object)
        data["extra"] = pd.Series([self.extra[i] for i in rows], dtype=object)
        features = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(self.geoms[rows], crs=4490), crs=4490)
        features.insert(0, "number", self.numbers[rows])
        pr = pd.DataFrame(self.problems.rows)
        if pr.empty:
            pr = pd.DataFrame(columns=["feature", "field", "level", "zh", "en", "label"])
        else:
            if "label" not in pr:
                pr["label"] = None
            lab = pd.Series(self.labels, index=self.numbers)
            pr["label"] = pr["label"].where(pr["label"].notna(), pr["feature"].map(lab))
            order = {lv: k for k, lv in enumerate(LEVELS)}
            pr = pr.sort_values(["feature", "level"], key=lambda s: s.map(order) if s.name == "level" else s,
                                kind="stable").reset_index(drop=True)
        counts = {
            "read": n,
            "to_store": int(final.sum()),
            "repaired": int((self.lo.repaired & final).sum()),
            "rejected": int(self.lo.rejected.sum()),
            "duplicates": int((self.duplicate & self.keep).sum()),
            # features to store with a 提示 in the problem list: the count is of the list shown
            "flagged": int(np.isin(self.numbers[rows], pr.loc[pr["level"] == "flag", "feature"].to_numpy()).sum()),
            "repeats": int((self.repeat_of[rows] >= 0).sum()),
        }
        return Report(loaded=self.lo, options=self.opts, mapping=self.mapping, staged=Staged(features), problems=pr,
                      counts=counts, notes=self.notes, batches_seen=self.batches_seen,
                      duplicate_batches=self.dup_batches)


def _near(store, layer: str, geoms: np.ndarray, boxes: D.StoredBoxes | None = None):
    """Stored neighbours of the new polygons and each new polygon's best substantial overlap
    with one of them (one thread's work: the index query, the read, GEOS intersections)."""
    pairs, near = D.neighbours(store, layer, geoms, boxes)
    return pairs, near, D.repeats(pairs, near, geoms)


# ------------------------------------------------------------------------------ commit
def commit(report: Report, store, *, actor: str, access=None, options: Options | None = None) -> int:
    """Store a checked batch in one transaction; returns the new batch id.

    ``options`` may carry what was entered after the check (batch name, dates). The file hash is
    checked again inside the transaction, and if another batch was stored since the check the
    commit is refused (check again), so two people committing at once cannot import twice.

    Raises
    ------
    PermissionDenied
        ``access`` may not upload.
    IngestError
        No batch name, nothing to store, or the store changed since the check.
    """
    store, access = unwrap(store, access)
    if access is not None:
        access.check_upload()
    opts = options or report.options
    name = (opts.batch or "").strip()
    if not name:
        raise IngestError("a batch needs a name (e.g. 2023年第1期): give --batch",
                          "请填写批次名称（如“2023年第1期”）", option="batch")
    refusal = report.refusal()
    if refusal is not None:
        raise refusal
    dates = batch_dates(opts)
    lo = report.loaded
    layer = report.layer
    old = (store.field_profile(opts.source, layer) or {}) if opts.source else {}
    with store.transaction() as tx:
        if store.backend == "postgis":
            tx.execute("SELECT pg_advisory_xact_lock(4490001)")  # one batch import at a time
        elif store.backend == "gpkg":
            # a bigger page cache for this connection: 100k inserts into the geom_hash and R-tree
            # indexes otherwise re-read the same pages (about a quarter of the insert time)
            tx.execute("PRAGMA cache_size = -131072")
        again = tx.query_one("SELECT id, name FROM batches WHERE file_sha256 = ? AND layer = ?", [lo.sha256, layer])
        if again is not None:
            raise IngestError(
                f"this file was imported meanwhile as batch #{again[0]} '{again[1]}'; nothing was written",
                f"该文件刚刚已被导入为批次 #{again[0]}“{again[1]}”，本次未写入任何数据", batch_id=int(again[0]))
        top = tx.query_one("SELECT COALESCE(MAX(id), 0) FROM batches")[0]
        if int(top or 0) != report.batches_seen:
            raise IngestError(
                "another batch was stored since this file was checked; check it again before importing",
                "检查之后又有其他批次入库，为避免重复，请重新检查本文件后再导入", option="recheck")
        bid = store.add_batch(
            tx, name=name, layer=layer, source=opts.source, kind=opts.kind if layer == "change" else None,
            file_name=lo.file_name, file_sha256=lo.sha256, uploaded_by=actor,
            feature_count=int(len(report.staged)),
            field_mapping={k: v for k, v in report.mapping.items() if v},
            source_crs=lo.crs.source_crs, source_encoding=lo.encoding.gdal if lo.encoding else None,
            note="；".join(n[0] for n in report.notes) or None,
            purpose=opts.purpose or official.default_purpose(opts.source), **dates)
        # (a chunked batch: its spatial index built once, at the end; the next chunk read back
        # from disk while one is stored)
        parts = _ReadAhead(report.staged.chunks())
        try:
            with store.bulk_load(tx, layer):
                for part in parts:
                    features = part.drop(columns=["number"])
                    if "county_code" in features:
                        check_counties(access, layer, features["county_code"].dropna().unique().tolist())
                    if layer == "change" and opts.kind:
                        features["kind"] = opts.kind
                    store.insert_features(tx, layer, features, actor=actor, batch_id=bid,
                                          comment=f"批次导入：{name}")
                    del part, features
        finally:
            parts.close()
        if opts.source:
            # remember a CRS / encoding only when a person chose it (the file did not say)
            crs_keep = lo.crs.source_crs if lo.crs.how in ("override", "profile") else old.get("crs")
            enc_keep = (lo.encoding.encoding if lo.encoding and lo.encoding.how in ("override", "profile")
                        else old.get("encoding"))
            store.save_field_profile(tx, opts.source, layer, report.mapping, actor,
                                     encoding=enc_keep, crs=crs_keep)
    report.batch_id = bid
    return bid
