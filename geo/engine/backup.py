"""Backups of a live store, and restoring them.

* GeoPackage: SQLite's online backup API copies the database page by page under its own locks,
  WAL content included, so the copy is consistent even while people keep working; a copy of the
  ``.gpkg`` file alone would miss what is still in ``-wal``. Restoring goes the other way through
  the same API, into the live file, so open connections simply see the restored content.
* PostGIS: ``pg_dump --format=custom`` of the store's schema, ``pg_restore --clean`` back.

Both leave a trace in the store's history (``events``, layer ``store``), under the name of who
did it: a backup, in the live store — the file written, its SHA-256, and how far the history it
holds goes (the number of events and the last event's id when the copy began); a restore, in the
restored store — the backup brought back (file, SHA-256, its own last event) and what it replaced
(the store's event count, last event id and time just before), so the history says which backup
replaced what, and when.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from geo.access.actors import system_name
from geo.core.errors import PermissionDenied, StoreError, ValidationError
from geo.access.scope import unwrap
from geo.core.timeutil import now_utc
from geo.store import Store, open_store

STORE_EVENTS = "store"  # the events layer of backups and restores


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def history_mark(store) -> dict:
    """How far a store's history goes: ``{events, last_event_id, last_event_at}``."""
    with store.transaction(write=False) as tx:
        n, last = tx.query_one("SELECT COUNT(*), MAX(id) FROM events")
        at = tx.query_one("SELECT at FROM events WHERE id = ?", [last])[0] if last is not None else None
    return {"events": int(n or 0), "last_event_id": int(last) if last is not None else None,
            "last_event_at": str(at) if at is not None else None}


def _record(store, actor: str, action: str, fields: dict) -> None:
    with store.transaction() as tx:
        store.add_events(tx, [(STORE_EVENTS, 0, now_utc(), actor, action, None, None,
                               json.dumps(fields, ensure_ascii=False, default=str), None, None, None)])


def backup(store: Store, out: str | os.PathLike, *, actor: str | None = None) -> Path:
    """Write a consistent copy of ``store`` to ``out`` (replaced whole, never half-written), and
    record it in the store's history under ``actor`` (default: the account of a scoped store,
    else the operating-system user, as ``system:<name>``)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    raw, access = unwrap(store)
    if access is not None and not access.is_admin:
        raise PermissionDenied("only administrators make backups", "只有系统管理员可以备份数据库")
    actor = actor or (access.user if access is not None else system_name())
    mark = history_mark(raw)
    if raw.backend == "gpkg":
        raw.backup(out)
    else:
        _pg_dump(raw, out)
    _record(raw, actor, "backup", {"file": out.name, "path": str(out.resolve()), "sha256": sha256_of(out),
                                   "size": out.stat().st_size, "holds": mark})
    return out


def restore(backup_file: str | os.PathLike, url: str, *, force: bool = False, actor: str | None = None) -> dict:
    """Make the store at ``url`` hold what ``backup_file`` holds, brought up to the current
    schema (a backup taken by an earlier version is migrated as its store would be on open), and
    record in it which backup replaced what, under ``actor`` (default: the operating-system
    user, as ``system:<name>``). Returns the recorded facts."""
    src = Path(backup_file)
    if not src.exists():
        raise ValidationError(f"backup file {src} does not exist", f"备份文件 {src} 不存在")
    replaced = _mark_of(url)
    _restore(backup_file, url, force=force)
    store = open_store(url)
    store.migrate()
    facts = {"file": src.name, "path": str(src.resolve()), "sha256": sha256_of(src), "size": src.stat().st_size,
             "holds": history_mark(store), "replaced": replaced}
    _record(store, actor or system_name(), "restore", facts)
    return facts


def _mark_of(url: str) -> dict | None:
    """How far the history of the store at ``url`` goes now, or None when there is none."""
    try:
        if url.startswith(("postgresql://", "postgres://")):
            store = open_store(url, create=False)
            if not store.exists():
                return None
        elif not Path(url).exists():
            return None
        else:
            store = open_store(url)
        return history_mark(store)
    except Exception:  # noqa: BLE001 - not a store whose history can be read: the restore says what is wrong
        return None


def _restore(backup_file: str | os.PathLike, url: str, *, force: bool) -> None:
    src = Path(backup_file)
    if url.startswith(("postgresql://", "postgres://")):
        store = open_store(url, create=False)
        if store.exists() and not force:
            raise ValidationError(
                "the database already holds a store; pass --force to replace it with the backup",
                "目标数据库中已有数据，如确需用备份覆盖请加 --force",
            )
        _pg_restore(store, src)
        return
    _check_gpkg_backup(src)
    target = Path(url)
    if target.exists() and not force:
        raise ValidationError(
            f"{target} exists; pass --force to replace it with the backup",
            f"{target} 已存在，如确需用备份覆盖请加 --force",
        )
    if not target.exists():
        tmp = target.with_suffix(".gpkg.part")
        shutil.copyfile(src, tmp)
        os.replace(tmp, target)
        return
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    live = sqlite3.connect(target, timeout=60)
    try:
        source.backup(live)
    except sqlite3.Error as ex:
        raise StoreError(f"restore failed, the store is unchanged: {ex}", f"恢复失败，数据库未改变：{ex}") from ex
    finally:
        live.close()
        source.close()


def _check_gpkg_backup(path: Path) -> None:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = con.execute("PRAGMA integrity_check").fetchone()[0]
            con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        finally:
            con.close()
    except sqlite3.Error as ex:
        raise ValidationError(f"{path} is not a backup of a forest store ({ex})",
                              f"{path} 不是本系统的数据库备份（{ex}）") from ex
    if ok != "ok":
        raise ValidationError(f"{path} is damaged: {ok}", f"备份文件 {path} 已损坏：{ok}")


def _pg_env_and_schema(store) -> tuple[list[str], str]:
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(store.url)
    with store.transaction(write=False) as tx:
        schema = tx.query_one("SELECT current_schema()")[0]
    args = []
    for key, flag in (("host", "--host"), ("port", "--port"), ("user", "--username"), ("dbname", "--dbname")):
        if params.get(key):
            args += [flag, str(params[key])]
    os.environ.setdefault("PGPASSWORD", params.get("password", "") or "")
    return args, schema


def _pg_dump(store, out: Path) -> Path:
    args, schema = _pg_env_and_schema(store)
    tmp = out.with_suffix(out.suffix + ".part")
    proc = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--schema", schema, "--file", str(tmp), *args],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"pg_dump failed: {proc.stderr.strip()}", f"PostGIS 备份失败：{proc.stderr.strip()}")
    os.replace(tmp, out)
    return out


def _pg_restore(store, src: Path) -> None:
    args, schema = _pg_env_and_schema(store)
    proc = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                           "--schema", schema, *args, str(src)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise StoreError(f"pg_restore failed (nothing restored): {proc.stderr.strip()}",
                         f"PostGIS 恢复失败（未做任何修改）：{proc.stderr.strip()}")
