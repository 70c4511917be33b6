"""The store's non-spatial tables: their DDL (:data:`TABLES`, :data:`INDEXES`), the pre-counted
tables among them, and the column lists the store reads and writes them with.

Re-exported by :mod:`geo.store.base` (``from geo.store.base import TABLES`` keeps working).
"""

from __future__ import annotations

import re

from geo.declare import registry as S

# Non-spatial tables. Types are tokens the backend replaces: {pk} {int} {real} {text} {date}
# {ts} {bool} {blob}.
TABLES: dict[str, str] = {
    "meta": "key {text} PRIMARY KEY, value {text}",
    "batches": (
        "id {pk}, name {text} NOT NULL, layer {text} NOT NULL, source {text}, kind {text}, "
        "issued_on {date}, verify_deadline {date}, rectify_deadline {date}, file_name {text}, "
        "file_sha256 {text}, uploaded_by {text}, uploaded_at {ts}, feature_count {int}, "
        "field_mapping {text}, source_crs {text}, source_encoding {text}, note {text}, "
        "purpose {text}"  # official / demo / test / candidate (geo.engine.official): what counts in figures
    ),
    "events": (
        "id {pk}, layer {text} NOT NULL, feature_id {int} NOT NULL, at {ts} NOT NULL, "
        "actor {text} NOT NULL, action {text} NOT NULL, from_status {text}, to_status {text}, "
        "fields {text}, comment {text}, attachment_ids {text}, version {int}"
    ),
    "attachments": (
        "sha256 {text} PRIMARY KEY, name {text} NOT NULL, mime {text} NOT NULL, "
        "size {int} NOT NULL, created_at {ts}, created_by {text}, data {blob} NOT NULL"
    ),
    "items": (
        "id {pk}, code {text}, problem {text} NOT NULL, category {text}, measures {text}, "
        "leader {text}, unit {text}, deadline {date}, status {text} NOT NULL, "
        "progress_mode {text}, manual_progress {real}, note {text}, version {int} NOT NULL, "
        "created_at {ts}, updated_at {ts}, updated_by {text}, link_query {text}"
    ),
    "attachment_links": (
        "id {pk}, sha256 {text} NOT NULL, layer {text} NOT NULL, feature_id {int} NOT NULL"
    ),
    "item_links": (
        "item_id {int} NOT NULL, layer {text} NOT NULL, feature_id {int} NOT NULL, "
        "PRIMARY KEY (item_id, layer, feature_id)"
    ),
    "users": (
        "name {text} PRIMARY KEY, display_name {text}, role {text} NOT NULL, counties {text}, "
        "password_hash {text}, disabled {bool} NOT NULL, created_at {ts}, "
        "password_changed_at {ts}, lang {text}, version {int}"  # lang: the language the user chose (zh / en);
        # version: one more at each change of the account (the admin page's stale writes are refused)
    ),
    "change_cells": (
        "z {int} NOT NULL, gx {int} NOT NULL, gy {int} NOT NULL, batch_id {int} NOT NULL, "
        "county_code {text} NOT NULL, status {text} NOT NULL, verdict {text} NOT NULL, n {int} NOT NULL, "
        "PRIMARY KEY (z, gx, gy, batch_id, county_code, status, verdict)"
    ),
    # the earlier state of polygons another tool (QGIS, ogrinfo SQL) moved or re-filed: the store's
    # own writes keep change_cells right as they go; these rows let it catch up (cells.settle)
    "change_cells_moved": (
        "seq {pk}, id {int} NOT NULL, batch_id {int}, county_code {text}, status {text}, verdict {text}, "
        "cx {real}, cy {real}"
    ),
    "change_facts": (
        "batch_id {int} NOT NULL, county_code {text} NOT NULL, county {text} NOT NULL, status {text} NOT NULL, "
        "verdict {text} NOT NULL, deadline {text} NOT NULL, visited {int} NOT NULL, n {int} NOT NULL, "
        "fine_sum {real} NOT NULL, fine_n {int} NOT NULL, ha {real} NOT NULL, mu {real} NOT NULL, "
        "PRIMARY KEY (batch_id, county_code, county, status, verdict, deadline, visited)"
    ),
    "event_hours": (
        "h {text} NOT NULL, layer {text} NOT NULL, to_status {text} NOT NULL, n {int} NOT NULL, "
        "PRIMARY KEY (h, layer, to_status)"
    ),
    "sessions": (
        "token_hash {text} PRIMARY KEY, user_name {text} NOT NULL, created_at {ts}, "
        "expires_at {ts} NOT NULL, last_seen {ts}, ip {text}"
    ),
    # failed sign-ins of one account ("user:<name>") or one client address ("ip:<address>"): how many
    # in the current run (attempts in progress included) and the latest; one row per key, so a sign-in
    # counts itself with one statement (geo.access.sessions). (Stores made before it also hold
    # signin_failures, one row per failure, which nothing reads any more.)
    "signin_throttle": "key {text} PRIMARY KEY, n {int} NOT NULL, last_at {ts} NOT NULL",
    # the bulletin's settings, editable sections and the bureau's recorded actions (geo.report.records)
    "report_settings": "key {text} PRIMARY KEY, value {text}, updated_at {ts}, updated_by {text}",
    "report_texts": (
        "section {text} NOT NULL, scope {text} NOT NULL, body {text}, updated_at {ts}, updated_by {text}, "
        "PRIMARY KEY (section, scope)"
    ),
    "report_actions": (
        "id {pk}, on_date {date} NOT NULL, kind {text} NOT NULL, title {text} NOT NULL, doc_no {text}, "
        "county_code {text}, note {text}, created_at {ts}, created_by {text}"
    ),
    "field_profiles": (
        "source {text} NOT NULL, layer {text} NOT NULL, mapping {text}, encoding {text}, "
        "crs {text}, updated_at {ts}, updated_by {text}, PRIMARY KEY (source, layer)"
    ),
    # the imagery register (geo.imagery.scenes): footprint as WKT in EPSG:4490 plus its bounds
    "scenes": (
        "id {pk}, name {text} NOT NULL, path {text} NOT NULL, acquired_on {date} NOT NULL, "
        "sensor {text}, bands {text}, ndvi_band {int}, value_scale {real}, value_offset {real}, "
        "nodata {real}, footprint {text} NOT NULL, minx {real}, miny {real}, maxx {real}, maxy {real}, "
        "crs {text}, width {int}, height {int}, band_count {int}, dtype {text}, res_m {real}, "
        "cog {bool}, synthetic {bool}, file_sha256 {text}, size_bytes {int}, added_by {text}, "
        "added_at {ts}, note {text}"
    ),
}

# tables counted from the others (rebuild_cells): recounted, not migrated, when their layout changes
DERIVED_TABLES = ("change_cells", "change_facts", "event_hours", "change_cells_moved")


def table_columns(name: str) -> set[str]:
    """The column names a table of :data:`TABLES` is declared with."""
    return set(re.findall(r"(\w+) \{", TABLES[name]))


TOKEN_TYPES = {"int": S.INT, "real": S.REAL, "text": S.TEXT, "date": S.DATE, "ts": S.DATETIME, "bool": S.BOOL}


def table_fields(name: str) -> list[S.Field]:
    """The declared columns of a table of :data:`TABLES` that a migration can add (not keys)."""
    out = []
    for col, token, rest in re.findall(r"(\w+) \{(\w+)\}([^,]*)", TABLES[name]):
        if token in TOKEN_TYPES and "PRIMARY KEY" not in rest and "NOT NULL" not in rest:
            out.append(S.Field(col, TOKEN_TYPES[token], col, col))
    return out
# layer fields holding a random token each record has: a signboard's public link (its QR code,
# geo.chief.signboards), which cannot be guessed from its board number. New records get theirs from
# the register's ``validate`` rule; records stored before the field existed (or by another tool) get
# one from migrate, which also keeps in meta ``tokens_since:<layer>`` the day that first happened.
TOKEN_FIELDS = (("signboard", "public_token"),)
TOKEN_BYTES = 16


# a batch stored before batches had a purpose: automatic detection is a candidate, the rest official
BACKFILL_PURPOSE = ("UPDATE batches SET purpose = CASE WHEN source LIKE '自动检测%' THEN 'candidate' "
                    "ELSE 'official' END WHERE purpose IS NULL")


INDEXES = [
    "CREATE INDEX IF NOT EXISTS ix_events_feature ON events (layer, feature_id)",
    "CREATE INDEX IF NOT EXISTS ix_batches_sha ON batches (file_sha256)",
    "CREATE INDEX IF NOT EXISTS ix_item_links_feature ON item_links (layer, feature_id)",
    "CREATE INDEX IF NOT EXISTS ix_attachment_links_sha ON attachment_links (sha256)",
    "CREATE INDEX IF NOT EXISTS ix_change_batch ON change_polygons (batch_id)",
    "CREATE INDEX IF NOT EXISTS ix_change_no ON change_polygons (source, polygon_no)",
    # the closure review's steps (geo.change.review_figures reads them with this very predicate)
    "CREATE INDEX IF NOT EXISTS ix_events_review ON events (feature_id) WHERE layer = 'change' AND "
    "(to_status IN ('applied', 'returned', 'reviewed') OR from_status IN ('applied', 'reviewed'))",
]

# indexes an older store has and this one no longer keeps (dropped by migrate). ix_change_hash:
# no query looks a fingerprint up (a duplicate shape is found among a polygon's spatial
# neighbours), and keeping half a million random keys in order cost a national batch's import
# about a third of its storing time.
RETIRED_INDEXES = ["ix_change_hash"]

INT_COLUMNS = {"id", "version", "feature_count", "size", "item_id", "feature_id"}
REAL_COLUMNS = {"manual_progress"}

EVENT_COLS = (
    "layer",
    "feature_id",
    "at",
    "actor",
    "action",
    "from_status",
    "to_status",
    "fields",
    "comment",
    "attachment_ids",
    "version",
)


def column_sql(field: S.Field, types: dict) -> str:
    """``name TYPE [DEFAULT …]`` of a declared field in a backend's column ``types``; a constant
    default (:data:`geo.declare.registry.DEFAULTS`) lets a big table gain the column without a rewrite."""
    default = f" DEFAULT {S.DEFAULTS[field.name]}" if field.name in S.DEFAULTS else ""
    return f"{field.name} {types[field.type]}{default}"
