"""The upload page in Debian Chromium: a staff member checks a zipped GBK shapefile, sees the
report and the preview map, changes the field mapping in its form, types a deadline, commits
once, and the store holds the batch; a broken file or a GB2312 KML never breaks the page."""

from __future__ import annotations

import pytest

from tests.browser import login, map_frame, wait_drawn, wait_idle
from tests.conftest import DEMO_PASSWORDS
from tests.test_ingest import tb, zipped

pytestmark = pytest.mark.browser


def metric(page, label: str) -> str:
    box = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return box.locator("[data-testid='stMetricValue']").inner_text().strip()


def pick(page, label: str, option: str) -> None:
    """Choose ``option`` in the select box ``label`` by typing it (the list of a box with many
    options is drawn only as far as it is scrolled)."""
    box = page.get_by_role("combobox", name=label, exact=True).first
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=True).first.click()
    wait_idle(page)


def test_staff_uploads_a_gbk_zip_sees_the_report_and_commits_once(dashboard, page, tmp_path):
    from geo.store import open_store

    frame = tb(3, prefix="UI")
    frame.loc[2, "MIAN_JI"] *= 2  # one area mismatch to be flagged
    frame_bounds = tuple(frame.total_bounds)
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

    # field mapping: BEIZHU (a remark, by default kept in "other attributes") → 整改措施 (measure),
    # in the mapping form: one select box per column of the file, titled with the column's name
    page.get_by_text("字段对应").first.click()
    wait_idle(page)
    pick(page, "BEIZHU", "整改措施")
    page.get_by_role("button", name="应用字段对应").click()
    wait_idle(page)
    page.get_by_text("检查结果").wait_for(timeout=60_000)

    # the preview: over the county outlines, fitted to the batch
    map_frame(page)
    assert wait_drawn(page, 3) == 3  # the batch's polygons
    leaflet = page.frame(url=lambda u: "streamlit_folium" in u)
    view = leaflet.evaluate("""() => { let counties = [], batch = null;
        window.map.eachLayer(l => { const p = l.feature && l.feature.properties;
          if (p && p.n && p.s === undefined && !l.feature.features) counties.push(p.n); });
        const b = window.map.getBounds();
        return {counties: counties, zoom: window.map.getZoom(),
                box: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]}; }""")
    assert "突泉县" in view["counties"], view["counties"]
    minx, miny, maxx, maxy = frame_bounds
    w, s, e, n = view["box"]
    assert w <= minx and s <= miny and e >= maxx and n >= maxy  # the whole batch is in view
    assert view["zoom"] >= 12  # and the view is the batch's, not the league's

    # a deadline typed into the date box (its placeholder reads 年-月-日)
    box = page.locator("[data-testid='stDateInput']").filter(has_text="核查期限").first
    assert "年" in box.locator("[data-placeholder='true']").first.evaluate(
        "e => getComputedStyle(e, '::after').content")
    box.locator("[data-type='year']").click()
    page.keyboard.type("20300630")
    page.keyboard.press("Tab")
    wait_idle(page)

    page.get_by_label("批次名称").fill("2024年第9期")
    page.get_by_label("批次名称").press("Enter")
    wait_idle(page)
    # neither the source nor what the batch counts as is assumed: until both are chosen, the
    # button waits and the page names them
    assert page.get_by_role("button", name="导入 3 个要素").is_disabled()
    assert page.get_by_text("请先选择来源和批次性质再导入").count() == 1
    pick(page, "来源", "国家森林督查")
    pick(page, "批次性质", "正式")
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
    assert new["verify_deadline"] == "2030-06-30"  # the typed deadline


def test_a_broken_file_and_a_gb2312_kml_on_the_page(shared_dashboard, page, tmp_path):
    from tests.test_ingest_hostile import EXCEPTION_NAME, SERVER_PATH, kml_bytes

    broken = tmp_path / "损坏的图斑.gpkg"
    broken.write_bytes(b"not a geopackage" * 40)
    kml = tmp_path / "突泉县图斑.kml"
    kml.write_bytes(kml_bytes("GB2312", "gb2312"))
    login(page, shared_dashboard.url, "staff", DEMO_PASSWORDS["staff"], path="upload")
    page.get_by_role("heading", name="批次上传").wait_for()
    picker = page.locator("[data-testid='stFileUploader'] input[type='file']")
    picker.set_input_files(str(broken))
    wait_idle(page)
    alert = page.locator("[data-testid='stAlertContentError']").first
    alert.wait_for(timeout=60_000)
    text = alert.inner_text()
    assert "损坏的图斑.gpkg" in text and not EXCEPTION_NAME.search(text) and not SERVER_PATH.search(text)
    assert page.locator("[data-testid='stException']").count() == 0
    page.locator("[data-testid='stFileChipDeleteBtn'] button").first.click()
    wait_idle(page)
    picker.set_input_files(str(kml))
    wait_idle(page)
    page.get_by_text("检查结果").wait_for(timeout=60_000)
    assert metric(page, "可导入") == "2"
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("This app has encountered an error").count() == 0
