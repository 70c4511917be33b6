"""Batch ingest: read, check and store a batch file — once and only once.

One code path for the upload page and ``python -m geo ingest``::

    upload = Upload.from_path("2023年第1期.zip")            # or Upload.from_bytes(name, data)
    report = prepare(upload, Options(layer="change", source="国家森林督查"), store)   # no writes
    report.counts, report.problems, report.features           # what the person reviews
    batch_id = commit(report, store, actor="staff", access=access)   # one transaction

Modules: :mod:`~geo.ingest.archive` (uploads, zip inspection), :mod:`~geo.ingest.encoding`
(text encodings), :mod:`~geo.ingest.coords` (CRS from the file or inferred),
:mod:`~geo.ingest.read` (formats and layers), :mod:`~geo.ingest.validate` (geometry, counties,
area), :mod:`~geo.ingest.fieldmap` (columns → fields), :mod:`~geo.ingest.dedupe` (duplicates and
repeats), :mod:`~geo.ingest.batch` (the report and the transaction), :mod:`~geo.ingest.refusal`
(refusals that name the file, in the person's language), :mod:`~geo.ingest.tables` (Excel/CSV lists
into a register). The command line is :mod:`geo.cli.ingest`.

Uses the engine and the layers below it; a layer's own rules (e.g. a patrol track's
plausibility) are called through its declaration's hooks.
"""

from __future__ import annotations

from geo.ingest.archive import Limits, Upload
from geo.ingest.batch import (Options, Report, check, check_declared, check_outside, commit, effective_purpose,
                              load_for, prepare)
from geo.ingest.fieldmap import mappable, parse_overrides, suggest
from geo.ingest.read import Loaded, load

__all__ = ["Limits", "Loaded", "Options", "Report", "Upload", "check", "check_declared", "check_outside", "commit",
           "effective_purpose", "load", "load_for", "mappable", "parse_overrides", "prepare", "suggest"]
