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


@pytest.fixture
def demo_path(demo_master, tmp_path) -> Path:
    """A private copy of the demo store for a test that changes it."""
    from geo.store import open_store

    out = tmp_path / "demo.gpkg"
    open_store(str(demo_master)).backup(out)
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

    def start(self):
        import urllib.request

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "server.py"),
             "--server.port", str(self.port), "--server.address", "127.0.0.1"],
            cwd=str(ROOT), env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("dashboard did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def log(self) -> str:
        if self.proc is None or self.proc.stdout is None:
            return ""
        return self.proc.stdout.read().decode(errors="replace") if self.proc.poll() is not None else ""


@pytest.fixture
def dashboard(demo_path):
    d = Dashboard(demo_path).start()
    yield d
    d.stop()


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
