"""Adding a register is one package and touches no file of the project: the README's worked
example (防火取水点, a point register with a visit schedule) is written into a temporary folder,
named in ``FOREST_REGISTERS``, and is then a layer of the CLI, a sheet of the ledger, a part of
``stats --json`` and a page of the dashboard."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import openpyxl
import pytest

from tests.browser import login, wait_idle
from tests.conftest import DEMO_PASSWORDS, ROOT, Dashboard
from tests.test_cli import geo

TUQUAN = "152224"


def example_files() -> dict[str, str]:
    """``{"water/layers.py": source, …}`` from the README's section "Adding a register": each
    file is a line starting with its name in backticks; the next fenced Python block is its source."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Adding a register"):]
    section = section[:section.index("\n## ", 5)] if "\n## " in section[5:] else section
    files = {}
    for m in re.finditer(r"^`(water/[a-z_]+\.py)`.*?```python\n(.*?)```", section, re.S | re.M):
        files[m.group(1)] = m.group(2)
    return files


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("plugin")
    files = example_files()
    assert set(files) == {"water/__init__.py", "water/layers.py", "water/rules.py"}, sorted(files)
    for name, source in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(source, encoding="utf-8")
    return root


@pytest.fixture
def env(package) -> dict:
    return {"FOREST_REGISTERS": "water.layers", "PYTHONPATH": os.pathsep.join([str(package), str(ROOT)])}


def _tuquan_point(demo_store) -> tuple[float, float]:
    county = demo_store.read_layer("admin", where={"level": "county", "code": TUQUAN}, columns=["code"])
    p = county.geometry.iloc[0].representative_point()
    return p.x, p.y


def test_the_example_register_is_in_the_cli_the_figures_and_the_ledger(demo_path, demo_store, env, tmp_path):
    x, y = _tuquan_point(demo_store)
    added = geo("add", "--layer", "water_point", "--field", "name=永安水库取水点", "--field", "kind=蓄水池",
                "--field", "capacity_m3=800", "--lon", x, "--lat", y, "--actor", "tuquan_inspector", "--json",
                db=demo_path, env=env, check=0)
    fid = json.loads(added.stdout)["id"]
    # the value list by its label, placed in its county by where it lies; its own rule refuses
    listed = json.loads(geo("list", "--layer", "water_point", "--json", db=demo_path, env=env, check=0).stdout)
    assert [(r["name"], r["kind"], r["county_code"]) for r in listed] == [("永安水库取水点", "pond", TUQUAN)]
    bad = geo("add", "--layer", "water_point", "--field", "name=坏", "--field", "kind=tank", "--field",
              "last_visit_on=2099-01-01", "--lon", x, "--lat", y, "--system", "--json", db=demo_path, env=env)
    assert bad.returncode == 2 and json.loads(bad.stdout)["message"] == "巡查日期不能晚于今天"  # its own rule
    # its operation: a visit sets the date and the status
    geo("op", "--layer", "water_point", "--id", fid, "visit", "--field", "last_visit_on=2020-01-01",
        "--field", "condition=干涸", "--actor", "tuquan_inspector", "--json", db=demo_path, env=env, check=0)
    history = json.loads(geo("history", "--layer", "water_point", "--id", fid, "--json", db=demo_path, env=env,
                             check=0).stdout)
    assert [e["action"] for e in history] == ["create", "visit"] and history[-1]["to_status"] == "dry"
    # its figures: one point, overdue for a visit (2020 + 30 days), 800 m³
    figures = json.loads(geo("stats", "--json", db=demo_path, env=env, check=0).stdout)["registers"]["water_point"]
    assert (figures["points"]["total"], figures["due"]["total"], figures["capacity_m3"]["total"]) == (1, 1, 800)
    # its sheet in the ledger
    out = tmp_path / "台账.xlsx"
    geo("report", "--format", "xlsx", "--out", out, db=demo_path, env=env, check=0)
    book = openpyxl.load_workbook(out, read_only=True)
    sheet = next(ws for ws in book.worksheets if ws.title.startswith("防火取水点"))
    cells = {str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None}
    assert {"永安水库取水点", "蓄水池", "干涸"} <= cells


def test_without_the_variable_the_register_is_not_there(demo_path):
    out = geo("list", "--layer", "water_point", "--json", db=demo_path)
    assert out.returncode == 2


@pytest.mark.browser
def test_the_example_register_has_its_page(demo_path, demo_store, env, page):
    x, y = _tuquan_point(demo_store)
    added = geo("add", "--layer", "water_point", "--field", "name=永安水库取水点", "--field", "kind=pond", "--lon", x,
                "--lat", y, "--system", "--json", db=demo_path, env=env, check=0)
    fid = json.loads(added.stdout)["id"]
    app = Dashboard(demo_path, env=env).start()
    try:
        login(page, app.url, "staff", DEMO_PASSWORDS["staff"], path="r-water_point")
        page.get_by_role("heading", name="防火取水点").wait_for(timeout=60_000)
        wait_idle(page)
        assert "防火取水点" in page.inner_text("[data-testid='stSidebarNav']")  # in the 防火 section
        metric = page.locator("[data-testid='stMetric']").filter(has_text="记录").first
        assert metric.inner_text().split()[-1] == "1"
        page.goto(f"{app.url}/r-water_point?id={fid}")
        page.get_by_role("heading", name="永安水库取水点").wait_for(timeout=60_000)  # the record opens
        page.get_by_role("tab", name="办理").click()
        wait_idle(page)
        page.get_by_text("登记巡查").first.wait_for(timeout=30_000)  # its operation is offered
        assert "Traceback" not in page.inner_text("body")
    finally:
        app.stop()
