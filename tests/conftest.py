"""Shared fixtures: stores on both backends, the demo store, and a running dashboard."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORDS = {
    "admin": "admin-pass-1",
    "staff": "staff-pass-1",
    "leader": "leader-pass-1",
    "tuquan_inspector": "tuquan-pass-1",
    "jalaid_inspector": "jalaid-pass-1",
    "horqin_front_inspector": "front-pass-1",
    "horqin_mid_inspector": "mid-pass-1",
    "ulanhot_inspector": "ulanhot-pass-1",
    "arxan_inspector": "arxan-pass-1",
    "league_reviewer": "league-pass-1",
    "province_checker": "province-pass-1",
}


def pytest_report_header(config):
    import geopandas
    import pyogrio
    import shapely
    import streamlit

    return [
        f"geopandas {geopandas.__version__}, shapely {shapely.__version__}, pyogrio "
        f"{pyogrio.__version__} (GDAL {pyogrio.__gdal_version_string__}), streamlit {streamlit.__version__}",
        f"PostGIS test database: {'yes' if os.environ.get('FOREST_TEST_PG') else 'no (FOREST_TEST_PG unset)'}",
    ]


# ------------------------------------------------------------------------------ stores
def _pg_base() -> str | None:
    url = os.environ.get("FOREST_TEST_PG")
    if not url:
        if os.environ.get("FOREST_REQUIRE_PG"):
            pytest.fail("FOREST_TEST_PG is required by the test command but not set")
        pytest.skip("PostGIS not configured (run the suite with `make test`)")
    return url


def pg_schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema},public"


@pytest.fixture
def pg_url():
    import psycopg

    base = _pg_base()
    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    yield pg_schema_url(base, schema)
    with psycopg.connect(base, autocommit=True) as con:
        con.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def gpkg_url(tmp_path) -> str:
    return str(tmp_path / "store.gpkg")


@pytest.fixture(params=["gpkg", "postgis"])
def store_url(request, tmp_path):
    """An empty store URL on each backend (one test body, both backends)."""
    if request.param == "gpkg":
        yield str(tmp_path / "store.gpkg")
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def store(store_url):
    from geo.store import open_store

    return open_store(store_url, create=True)


# ------------------------------------------------------------------------------ demo data
@pytest.fixture(scope="session")
def demo_master(tmp_path_factory) -> Path:
    """The demo store, built once per test session (read-only: copy it to change it)."""
    from geo.demo import build as demo

    path = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    demo.build(str(path), log=lambda *a: None, passwords=DEMO_PASSWORDS)
    return path


@pytest.fixture(scope="session")
def demo_copy_source(demo_master, tmp_path_factory) -> Path:
    """The demo store as one self-contained file (SQLite's online backup, rollback journal: what
    ``Store.backup`` writes), made once and never opened afterwards: the private copies are byte
    copies of it (a few milliseconds, where a backup of the store takes about 0.4 s)."""
    from geo.store import open_store

    out = tmp_path_factory.mktemp("demo-copy") / "demo.gpkg"
    open_store(str(demo_master)).backup(out)
    return out


@pytest.fixture
def demo_path(demo_copy_source, tmp_path) -> Path:
    """A private copy of the demo store for a test that changes it."""
    out = tmp_path / "demo.gpkg"
    shutil.copyfile(demo_copy_source, out)
    return out


@pytest.fixture
def demo_store(demo_path):
    from geo.store import open_store

    return open_store(str(demo_path))


# ------------------------------------------------------------------------------ dashboard
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dashboard:
    def __init__(self, db: Path | str, env: dict | None = None):
        self.db = str(db)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "FOREST_DB": self.db, **(env or {})}
        self.proc = None
        self._out = None

    def start(self):
        import tempfile
        import urllib.request

        # the server's output goes to a file, not a pipe nobody reads while it runs: a server that
        # lives for a whole session (``shared_dashboard``) would block once a pipe's buffer is full
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - open as long as the server writes to it
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "server.py"),
             "--server.port", str(self.port), "--server.address", "127.0.0.1"],
            cwd=str(ROOT), env=self.env, stdout=self._out, stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.3)
        log = self.log()
        self.stop()
        raise RuntimeError("dashboard did not start\n" + log[-3000:])

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def log(self) -> str:
        """What the server printed so far."""
        if self._out is None:
            return ""
        self._out.seek(0)
        return self._out.read().decode(errors="replace")


@pytest.fixture
def dashboard(demo_path):
    """A private app server on a private copy of the demo (``demo_path``, also ``demo_store``), for a
    test that changes anything a later test could see: the store, through the page (an action on a
    polygon, an inspection, a link to an item, an import, a scene registered, a sample drawn) or
    directly (records added before the page is opened); a user's saved preference (the basemap);
    failed sign-ins (counted per account *and* per address, and every test comes from 127.0.0.1);
    state the server keeps in memory per address (the public board page's rate limit). A test that
    needs other server settings starts its own ``Dashboard(path, env=…)``. A test that only reads
    takes ``shared_dashboard``."""
    d = Dashboard(demo_path).start()
    yield d
    d.stop()


# The shared server's store is compared before and after each test that uses it. Not compared:
# ``sessions`` (every sign-in adds one, a sign-out removes it), the sign-in audit (events of the
# ``user`` layer; account changes are in ``users``), the tables counted from the others, and the
# GeoPackage's own bookkeeping (R-tree indexes, contents, the sequence of ids).
_NOT_COMPARED = {"sessions", "sqlite_sequence", "change_cells", "change_facts", "event_hours", "change_cells_moved"}


def store_state(db: str | Path) -> dict[str, tuple]:
    """A fingerprint of what a test could change in a GeoPackage store and a later test see: each
    table with versioned rows (every change to a record raises its version) by its count, highest
    id and sum of versions; ``events`` (appended to by every change) by its count and highest id;
    every other table row by row."""
    import hashlib
    import sqlite3

    con = sqlite3.connect(str(db), timeout=30)
    try:
        out = {}
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for name in tables:
            if name in _NOT_COMPARED or name.startswith(("rtree_", "gpkg_", "sqlite_")):
                continue
            q = f'"{name}"'
            cols = {r[1] for r in con.execute(f"PRAGMA table_info({q})")}
            if name == "events":
                out[name] = con.execute(f"SELECT COUNT(*), MAX(id) FROM {q} WHERE layer <> 'user'").fetchone()
            elif "version" in cols:
                out[name] = con.execute(f"SELECT COUNT(*), MAX(rowid), SUM(version) FROM {q}").fetchone()
            else:
                digest = hashlib.sha256()
                for row in con.execute(f"SELECT * FROM {q} ORDER BY rowid"):
                    digest.update(repr(row).encode())
                out[name] = (digest.hexdigest(),)
        return out
    finally:
        con.close()


class SharedDashboard:
    """The app server of this test process (one per xdist worker), on its own copy of the demo."""

    def __init__(self, source: Path, folder: Path):
        self.source, self.folder = source, folder
        self.app: Dashboard | None = None
        self.starts = 0

    def get(self) -> Dashboard:
        if self.app is None or not self.app.alive():
            self.stop()
            self.starts += 1
            path = self.folder / f"shared-{self.starts}.gpkg"
            shutil.copyfile(self.source, path)
            self.app = Dashboard(path).start()
        return self.app

    def stop(self) -> None:
        if self.app is not None:
            self.app.stop()
            self.app = None


@pytest.fixture(scope="session")
def shared_app_server(demo_copy_source, tmp_path_factory):
    shared = SharedDashboard(demo_copy_source, tmp_path_factory.mktemp("shared"))
    yield shared
    shared.stop()


@pytest.fixture
def shared_dashboard(shared_app_server):
    """The app server shared by the tests of this test process that only read, on a copy of the
    demo of its own (``shared_store``): it is started once, not once per test (each start, with
    the first page's imports, costs 5-10 s).

    A test may use it when it changes nothing another test could see: it signs in (right
    passwords only, each test in its own browser context: parallel sessions of one user are
    fine), opens pages, filters, picks, downloads, fills forms it does not submit, and signs out.
    It may not change the store (through the page or directly), save a preference of a user (the
    basemap), fail a sign-in (failures are counted per account *and* per address, and every test
    comes from 127.0.0.1: a few would slow down, then lock, everyone else's), use a route that
    counts requests per address in memory (``/board/…``), or need other server settings: those
    take ``dashboard`` (a private server on a private copy).

    Enforced for the store: it is compared before and after each test (:func:`store_state`); a
    test that changed it fails, and the server is started again on a fresh copy for the next test.
    (What a server holds only in memory cannot be compared: hence the rule on ``/board/…``.)"""
    app = shared_app_server.get()
    before = store_state(app.db)
    yield app
    if not app.alive():
        shared_app_server.stop()
        pytest.fail("the shared app server stopped during this test:\n" + app.log()[-3000:], pytrace=False)
    after = store_state(app.db)
    if after != before:
        shared_app_server.stop()  # the next test gets a fresh copy
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        pytest.fail(f"this test changed the shared app server's store ({', '.join(changed)}): "
                    "it needs the private `dashboard` fixture", pytrace=False)


@pytest.fixture
def shared_store(shared_dashboard):
    """The store ``shared_dashboard`` serves, for a test that reads what the page should show."""
    from geo.store import open_store

    return open_store(shared_dashboard.db)


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        if os.environ.get("FOREST_REQUIRE_BROWSER"):
            pytest.fail("Debian chromium is required by the test command but not installed")
        pytest.skip("chromium not installed (run the suite with `make test`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1600, "height": 1100}, locale="zh-CN")
    p = ctx.new_page()
    p.set_default_timeout(30_000)
    yield p
    ctx.close()
