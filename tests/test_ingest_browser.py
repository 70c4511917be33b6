"""The upload page in Debian Chromium: a staff member checks a zipped GBK shapefile, sees the
report, commits it once, and the store holds the batch."""

from __future__ import annotations

import time

import pytest

from tests.browser import login, wait_idle
from tests.conftest import DEMO_PASSWORDS
from tests.test_ingest import tb, zipped

pytestmark = pytest.mark.browser


def metric(page, label: str) -> str:
    box = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return box.locator("[data-testid='stMetricValue']").inner_text().strip()


def test_staff_uploads_a_gbk_zip_sees_the_report_and_commits_once(dashboard, page, tmp_path):
    from geo.store import open_store

    frame = tb(3, prefix="UI")
    frame.loc[2, "MIAN_JI"] *= 2  # one area mismatch to be flagged
    path = tmp_path / "2024年第9期.zip"
    path.write_bytes(zipped(frame, stem="2024年第9期图斑", prefix="森林督查/").files["2024年第9期图斑.zip"])
    store = open_store(dashboard.db)
    before = len(store.batches())

    page.set_viewport_size({"width": 1600, "height": 2400})  # the whole report in view
    login(page, dashboard.url, "staff", DEMO_PASSWORDS["staff"], path="upload")
    page.get_by_role("heading", name="批次上传").wait_for()
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(path))
    wait_idle(page)
    page.get_by_text("检查结果").wait_for(timeout=60_000)
    assert metric(page, "读取") == "3"
    assert metric(page, "可导入") == "3"
    assert metric(page, "拒收") == "0"
    assert metric(page, "有提示") == "1"
    assert page.get_by_text("GB18030").count() >= 1  # the GBK table was recognised
    assert len(store.batches()) == before  # nothing written yet

    # field mapping: BEIZHU (a remark, by default kept in "other attributes") → 整改措施 (measure)
    page.get_by_text("字段对应").click()
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for()
    grid.scroll_into_view_if_needed()
    time.sleep(0.5)
    box = grid.bounding_box()
    row_h = 35  # Streamlit's data grid row height; header first, BEIZHU is the 9th column of the file
    page.mouse.dblclick(box["x"] + box["width"] * 0.8, box["y"] + row_h * 9 + row_h / 2)
    time.sleep(1)  # the option list opens
    page.keyboard.type("整改措施")
    time.sleep(0.5)
    page.keyboard.press("Enter")
    time.sleep(0.5)
    wait_idle(page)  # the grid is drawn on a canvas: the edit shows in what gets stored, below

    page.get_by_label("批次名称").fill("2024年第9期")
    page.get_by_label("批次名称").press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="导入 3 个要素").click()
    wait_idle(page)
    page.get_by_text("已导入批次").wait_for(timeout=60_000)

    batches = store.batches()
    assert len(batches) == before + 1
    new = batches.iloc[-1]
    assert new["name"] == "2024年第9期" and new["uploaded_by"] == "staff" and new["source_encoding"] == "GB18030"
    stored = store.read_layer("change", where={"batch_id": int(new["id"])})
    assert sorted(stored["polygon_no"]) == ["UI0000", "UI0001", "UI0002"]
    assert set(stored["county"]) == {"突泉县"}
    assert set(stored["measure"]) == {"建设项目使用林地"}  # the edited mapping was applied
    profile = store.field_profile(new["source"], "change")
    assert profile["mapping"]["BEIZHU"] == "measure"  # and remembered for the source
