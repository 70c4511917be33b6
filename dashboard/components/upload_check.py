"""The upload page's read → check → commit, with every failure turned into a refusal that names
the person's file (:mod:`geo.ingest.refusal`) — so no file, however broken, crashes the page.

Kept apart from the page (and free of Streamlit) so that a test can feed files through exactly
what the page runs. ``cache`` is the page's ``st.session_state`` (any mutable mapping): a file
is read once, and checked again only when a choice that matters changes.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from typing import MutableMapping

from geo import ingest as I
from geo.core.errors import GeoError
from geo.ingest.refusal import named, unexpected

LOADED, REPORT = "up_loaded", "up_report"


@dataclass
class Checked:
    loaded: I.Loaded | None = None
    report: I.Report | None = None
    error: GeoError | None = None  # the refusal to show (its message names the file)


def check(files: list[tuple[str, bytes]], opts: I.Options, store, limits: I.Limits, digest: str,
          cache: MutableMapping, on_work=None) -> Checked:
    """Read (unless ``cache`` holds this file read with the same choices) and check ``files``.

    ``on_work``: a context-manager factory shown while reading or checking (a spinner)."""
    out = Checked()
    name = ""
    try:
        upload = I.Upload.from_files(files)
        name = upload.name
        key = (digest, opts.load_key(), opts.layer)
        cached = cache.get(LOADED)
        if cached is not None and cached[0] == key:
            out.loaded = cached[1]
        else:
            cache.pop(LOADED, None)
            cache.pop(REPORT, None)
            with _working(on_work):
                out.loaded = I.load_for(upload, opts, store, limits)
            cache[LOADED] = (key, out.loaded)
        rkey = (key, tuple(sorted(opts.mapping.items())), opts.source, opts.kind, opts.issued_on,
                opts.verify_deadline, opts.rectify_deadline, len(store.batches()))
        cached = cache.get(REPORT)
        if cached is not None and cached[0] == rkey:
            out.report = cached[1]
        else:
            with _working(on_work):
                out.report = I.check(out.loaded, opts, store)
            cache[REPORT] = (rkey, out.report)
    except GeoError as err:
        out.error = named(err, name or _first(files))
    except Exception as ex:  # noqa: BLE001 - no file may crash the page: a refusal naming it instead
        out.error = unexpected(ex, name or _first(files))
    return out


def refusal(report: I.Report) -> GeoError | None:
    """Why nothing in a checked file can be stored (naming the file), or None."""
    err = report.refusal()
    return named(err, report.loaded.file_name) if err is not None else None


def missing(opts: I.Options) -> GeoError | None:
    """What the person has still to choose before the batch can be stored (its source and what
    it counts as: the form assumes neither), as the refusal to show; None when both are chosen."""
    try:
        I.check_declared(opts)
    except GeoError as err:
        return err
    return None


def commit(report: I.Report, store, *, actor: str, access, opts: I.Options,
           accept_outside: int | None = None) -> tuple[int | None, GeoError | None]:
    """Store the checked batch: ``(batch id, None)``, or ``(None, the refusal)``. The page's
    rules first: source and purpose chosen (:func:`geo.ingest.check_declared`); rows outside the
    jurisdiction in an official batch confirmed by their number (``accept_outside``)."""
    name = report.loaded.file_name
    try:
        I.check_declared(opts)
        return I.commit(report, store, actor=actor, access=access, options=opts,
                        accept_outside=accept_outside), None
    except GeoError as err:
        return None, named(err, name)
    except Exception as ex:  # noqa: BLE001 - see check()
        return None, unexpected(ex, name)


def forget(cache: MutableMapping) -> None:
    for k in (LOADED, REPORT):
        cache.pop(k, None)


def _first(files) -> str:
    return str(files[0][0]) if files else ""


def _working(factory):
    return factory() if factory is not None else nullcontext()
