"""In Debian Chromium: an official batch with polygons outside the jurisdiction is stored only
after the confirmation naming their number; the patrol form on 公示牌·巡护·修复 → 巡护轨迹 refuses
an incomplete form in Chinese, then stores a track with its patroller and level, its speed spike
left out of the length and counted in the track's details."""

from __future__ import annotations

import pytest

from tests.browser import login, wait_idle
from tests.conftest import DEMO_PASSWORDS
from tests.test_field_import import far_batch, gpx
from tests.test_ingest_browser import pick

pytestmark = pytest.mark.browser


def no_error_page(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("This app has encountered an error").count() == 0


def test_an_official_batch_outside_the_jurisdiction_waits_for_its_confirmation(dashboard, page, tmp_path):
    from geo.store import open_store

    store = open_store(dashboard.db)
    before = (len(store.batches()), store.count("change"))
    path = tmp_path / "外地图斑.geojson"
    path.write_bytes(far_batch(3).files["外地图斑.geojson"])
    page.set_viewport_size({"width": 1600, "height": 2600})
    login(page, dashboard.url, "staff", DEMO_PASSWORDS["staff"], path="upload")
    page.get_by_role("heading", name="批次上传").wait_for()
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(path))
    wait_idle(page)
    page.get_by_text("检查结果").wait_for(timeout=60_000)
    page.get_by_label("批次名称").fill("外地批次")
    page.get_by_label("批次名称").press("Enter")
    wait_idle(page)
    pick(page, "来源", "国家森林督查")
    pick(page, "批次性质", "正式")
    page.get_by_text("有 3 个要素不在本辖区任何旗县范围内").wait_for(timeout=30_000)
    button = page.get_by_role("button", name="导入 3 个要素")
    assert button.is_disabled()
    assert (len(store.batches()), store.count("change")) == before  # nothing written
    page.screenshot(path=str(tmp_path / "upload_outside.png"), full_page=True)
    page.get_by_text("确认将这 3 个辖区外要素导入正式批次").click()
    wait_idle(page)
    button.click()
    wait_idle(page)
    page.get_by_text("已导入批次").wait_for(timeout=60_000)
    no_error_page(page)
    assert store.count("change") == before[1] + 3
    assert store.batches().iloc[-1]["purpose"] == "official"


def test_the_patrol_form_refuses_what_is_missing_then_stores_patroller_and_level(dashboard, page, tmp_path):
    from geo.store import open_store

    store = open_store(dashboard.db)
    before = store.count("patrol")
    track = tmp_path / "十一月巡护.gpx"
    track.write_bytes(gpx(name="T1"))
    page.set_viewport_size({"width": 1600, "height": 2400})
    login(page, dashboard.url, "staff", DEMO_PASSWORDS["staff"], path="field?layer=patrol")
    page.get_by_text("导入巡护轨迹").first.click()
    wait_idle(page)
    # nothing filled in: every missing choice named at once, in Chinese; nothing written
    page.get_by_role("button", name="检查").click()
    wait_idle(page)
    alert = page.locator("[data-testid='stAlertContentError']").first
    alert.wait_for()
    text = alert.inner_text()
    assert "请先选择轨迹文件" in text and "请选择林长层级" in text and "请选择巡护期间" in text
    assert store.count("patrol") == before

    name = "巴特尔·" + "很长的名字" * 8
    page.get_by_label("巡护人员").fill(name)
    pick(page, "林长层级", "护林员")
    period = page.locator("[data-testid='stDateInput']").filter(has_text="巡护期间").first
    period.locator("[data-type='year']").first.click()
    page.keyboard.type("20261101")
    period.locator("[data-type='year']").nth(1).click()
    page.keyboard.type("20261130")
    page.keyboard.press("Tab")
    page.screenshot(path=str(tmp_path / "patrol_form.png"), full_page=True)
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(track))
    wait_idle(page)
    page.get_by_role("button", name="检查").click()
    wait_idle(page)
    page.get_by_text("读取 1 条轨迹，可导入 1 条").wait_for(timeout=60_000)
    assert page.get_by_text("轨迹不可信段 1 处").count() >= 1  # the spike, in the list of hints
    assert store.count("patrol") == before  # a check writes nothing
    page.screenshot(path=str(tmp_path / "patrol_checked.png"), full_page=True)
    page.get_by_role("button", name="导入 1 条轨迹").click()
    wait_idle(page)
    page.get_by_text("已导入巡护轨迹批次").wait_for(timeout=60_000)
    no_error_page(page)
    stored = store.read_layer("patrol", geometry=False).sort_values("id").iloc[-1]
    assert stored["actor"] == name and stored["actor_level"] == "ranger"
    assert 2.1 < float(stored["length_km"]) < 2.5  # the 5.5-km spike and back is not walked
    assert store.batches().iloc[-1]["source"] == "巡护轨迹导入"
