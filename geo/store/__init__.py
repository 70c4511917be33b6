"""Stores: one interface (:class:`Store`), a GeoPackage file or a PostGIS database behind it.

Uses :mod:`geo.declare` (the tables come from the declarations) and :mod:`geo.core`.
"""

from __future__ import annotations

import threading

from geo.core.errors import StoreError
from geo.store.base import Store, Tx
from geo.store.postgis import PostgisStore
from geo.store.gpkg import GpkgStore

_migrated: set[str] = set()
_lock = threading.Lock()


def _migrate_once(store: Store) -> Store:
    """Existing stores get what later versions added (columns, tables) the first time this
    process opens them."""
    with _lock:
        if store.url not in _migrated:
            store.migrate()
            _migrated.add(store.url)
    return store


def open_store(url: str, *, create: bool = False) -> Store:
    """Open the store at ``url``: a ``.gpkg`` path or a ``postgresql://`` URL.

    With ``create=True`` a missing store is created (schema included); otherwise a missing
    GeoPackage raises :class:`StoreError` telling the user how to build one.
    """
    url = str(url)
    if url.startswith(("postgresql://", "postgres://")):

        store: Store = PostgisStore(url)
        if create:
            store.init()
        elif store.exists():
            _migrate_once(store)
        return store
    if not url.lower().endswith(".gpkg"):
        raise StoreError(
            f"FOREST_DB must be a .gpkg path or a postgresql:// URL, not '{url}'",
            f"FOREST_DB 应为 .gpkg 文件路径或 postgresql:// 地址，而不是“{url}”",
        )

    store = GpkgStore(url)
    if create:
        store.init()
    elif not store.exists():
        raise StoreError(
            f"store {url} does not exist; build it with `python -m geo demo` or point FOREST_DB "
            "at an existing store",
            f"数据库 {url} 不存在：请先运行 `python -m geo demo` 生成示例库，或将 FOREST_DB "
            "指向已有数据库",
        )
    else:
        _migrate_once(store)
    return store


__all__ = ["Store", "Tx", "open_store"]
