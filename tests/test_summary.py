"""The summary screen (领导驾驶舱): the figures a leader sees equal counts made independently from
the stored tables, each figure links to exactly what it counts, a past date shows the past,
missing data says so, and in a real browser the charts and county map draw with no request
leaving the app."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from streamlit.testing.v1 import AppTest

from geo.store import open_store
from tests.conftest import DEMO_PASSWORDS
from tests.test_app import run_app, texts
from tests.test_stats import BULLETIN_DAY, TODAY, expected, load

PAGE = "views/summary.py"
LEADER = {"name": "leader", "display_name": "盟林草局局长", "role": "leader", "counties": [], "disabled": False}


def screen(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def links(at: AppTest) -> list:
    return list(at.get("page_link"))


def as_int(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.fixture(scope="module")
def data(demo_master):
    return load(str(demo_master))


def test_the_screen_shows_the_independent_figures(monkeypatch, demo_path, data):
    at = run_app(monkeypatch, demo_path, PAGE, user=LEADER)
    assert not at.exception, at.exception
    m = screen(at)
    e = expected(data, TODAY)["all"]
    assert as_int(m["下发图斑"]) == e["total"]
    assert as_int(m["已核查"]) == e["verified"]
    assert as_int(m["违法图斑"]) == e["illegal"]
    assert as_int(m["已立案"]) == e["case_filed"]
    assert as_int(m["已处罚"]) == e["penalized"]
    assert as_int(m["已整改"]) == e["rectified"]
    assert as_int(m["已销号"]) == e["closed"]
    assert as_int(m["逾期"]) == e["overdue"]
    assert m["罚款（万元）"] == f"{e['fines_yuan'] / 1e4:,.2f}"
    assert m["违法面积（公顷）"] == f"{e['illegal_area_ha']:,.2f}"
    deltas = {x.label: x.delta for x in at.metric}
    assert deltas["已销号"] == f"销号率 {e['closed_pct']:g}%"
    assert as_int(m["公示牌"]) == len(data["signboard"])
    assert as_int(m["巡护次数"]) == len(data["patrol"])
    items = data["items"]
    assert as_int(m["已完成"]) == int((items["status"] == "done").sum())
    assert "领导驾驶舱" in texts(at)
    # the county ranking lists every county, best closure rate first
    table = next(d.value for d in at.dataframe if "销号率" in d.value.columns)
    assert len(table) == 6 and list(table["销号率"]) == sorted(table["销号率"], reverse=True)


def test_every_tile_links_to_exactly_what_it_counts(monkeypatch, demo_path):
    from geo.change import mapview as mv

    at = run_app(monkeypatch, demo_path, PAGE, user=LEADER)
    store = open_store(str(demo_path))
    tiles = list(zip(at.metric, links(at)))
    assert len(tiles) == len(at.metric) >= 20
    checked = 0
    for metric, link in tiles:
        query = dict(parse_qsl(link.proto.query_string))
        assert not link.proto.disabled
        if link.proto.label == "在地图上查看" and metric.label != "未销号图斑巡护覆盖":
            found = mv.candidates(store, mv.Filters.from_query(query), today=TODAY)
            if metric.label == "罚款（万元）":
                assert f"{found['fine_yuan'].fillna(0).sum() / 1e4:,.2f}" == metric.value
            elif metric.label == "违法面积（公顷）":
                assert f"{found['area_ha'].sum():,.2f}" == metric.value
            else:
                assert len(found) == as_int(metric.value), (metric.label, query)
            checked += 1
    assert checked == 10
    by_label = {m.label: dict(parse_qsl(l.proto.query_string)) for m, l in tiles}
    assert by_label["信息需更新"] == {"layer": "signboard", "status": "stale"}
    assert by_label["已摘牌"] == {"layer": "occupation", "status": "delisted"}
    assert by_label["已完成"] == {"status": "done"}


def test_batch_county_and_date_filters(monkeypatch, demo_path, data):
    at = run_app(monkeypatch, demo_path, PAGE, user=LEADER)
    bid = int(data["batches"].set_index("name")["id"]["2023年第1期草原变化图斑"])
    at.multiselect(key="sum_batch").set_value([bid])
    at.multiselect(key="sum_county").set_value(["152224"])
    at.run()
    e = expected(data, TODAY, batch_ids=[bid], counties=["152224"])["all"]
    m = screen(at)
    assert (as_int(m["下发图斑"]), as_int(m["已销号"]), as_int(m["违法图斑"])) == (e["total"], e["closed"], e["illegal"])
    query = dict(parse_qsl(links(at)[0].proto.query_string))
    assert query == {"batch": str(bid), "county": "152224"}
    # the same screen as it stood on the day of the bulletin
    at.multiselect(key="sum_county").set_value([])
    at.text_input(key="sum_asof_text").set_value(BULLETIN_DAY.isoformat())
    at.run()
    assert not at.exception
    e = expected(data, BULLETIN_DAY, as_of=BULLETIN_DAY, batch_ids=[bid])["all"]
    m = screen(at)
    assert (as_int(m["下发图斑"]), as_int(m["已核查"]), as_int(m["已销号"])) == (e["total"], e["verified"], e["closed"])
    assert "2023-12-09" in texts(at) and "历史口径" in texts(at)
    assert all(link.proto.disabled for link in links(at))  # the map shows today, not that day


def test_download_buttons_for_the_bulletin_and_ledger(monkeypatch, demo_path):
    at = run_app(monkeypatch, demo_path, PAGE, user=LEADER)
    labels = [b.proto.label for b in at.get("download_button")]
    assert any("通报" in x for x in labels) and any("台账" in x for x in labels)
    inspector = {"name": "tuquan_inspector", "display_name": "突泉县核查员", "role": "inspector",
                 "counties": ["152224"], "disabled": False}
    at = run_app(monkeypatch, demo_path, PAGE, user=inspector)
    assert not at.exception
    # an account limited to one county gets that county's documents
    assert len(list(at.get("download_button"))) == 3
    assert at.session_state["sum_report_filters"]["counties"] == ["152224"]
    assert [r for r in next(d.value for d in at.dataframe if "旗县市" in d.value.columns)["旗县市"]] == ["突泉县"]


def test_missing_data_says_no_data(monkeypatch, tmp_path):
    db = tmp_path / "empty.gpkg"
    open_store(str(db), create=True)
    at = run_app(monkeypatch, db, PAGE, user=LEADER)
    assert not at.exception
    m = screen(at)
    for name in ("下发图斑", "已核查", "已销号", "逾期", "罚款（万元）", "公示牌", "巡护次数", "未销号图斑巡护覆盖"):
        assert m[name] == "无数据", name
    assert "0" not in (m["已核查"], m["已销号"])


def test_english(monkeypatch, demo_path):
    at = run_app(monkeypatch, demo_path, PAGE, lang="en", user=LEADER)
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert "Closed" in labels and "Fines (10k yuan)" in labels
    assert not any("\u4e00" <= ch <= "\u9fff" for label in labels for ch in label if not label[0].isdigit())


# ------------------------------------------------------------------------------ in a browser
@pytest.mark.browser
def test_the_summary_screen_in_chromium(shared_dashboard, page, tmp_path):
    import docx

    from tests.browser import login, wait_drawn, wait_idle

    requests = []
    page.on("request", lambda r: requests.append(r.url))
    login(page, shared_dashboard.url, "leader", DEMO_PASSWORDS["leader"], path="summary")
    page.goto(shared_dashboard.url + "/summary")
    wait_idle(page)
    page.wait_for_selector("[data-testid='stMetric']")
    # three charts (funnel, trend, ageing) drawn by the bundled Vega, and the county map
    page.wait_for_function("document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] canvas, "
                           "[data-testid=\"stVegaLiteChart\"] svg.marks').length >= 3", timeout=30_000)
    page.locator('iframe[title="streamlit_folium.st_folium"]').scroll_into_view_if_needed()
    assert wait_drawn(page, minimum=6, prop="c") == 6  # one shaded polygon per county
    # a tile opens the map filtered to what it counts
    # (narrowed to the official batches: the demo's automatic-detection candidates are not counted)
    closed = page.locator("[data-testid='stPageLink-NavLink'][href$='&status=closed']")
    assert closed.count() == 1
    assert dict(parse_qsl(closed.get_attribute("href").split("?", 1)[1]))["batch"] == "1,2,3,4,5"
    # the bulletin downloads as a Word document in the shape of the seeds
    page.get_by_text("通报与台账").click()
    with page.expect_download(timeout=60_000) as dl:
        page.get_by_role("button", name="下载整改进展情况通报（Word）").click()
    path = tmp_path / "bulletin.docx"
    dl.value.save_as(path)
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "一、履行整改主体责任情况" in text and "四、下一步工作安排" in text
    closed.click()
    page.wait_for_url("**status=closed", timeout=30_000)
    wait_idle(page)
    assert page.get_by_role("heading", name="地图核查").count() == 1
    host = shared_dashboard.url
    external = [u for u in requests if not u.startswith((host, "data:", "blob:", "about:"))]
    assert external == [], f"the page reached outside the app: {external[:5]}"


@pytest.mark.browser
def test_the_map_page_loads_the_figure_tiles_element_types_out_of_sight(shared_dashboard, page):
    """The map (every role's first page) draws one hidden figure and page link, so that the
    summary's figure tiles need no code loaded on its first visit (dashboard/components/warmup.py):
    nothing of it is visible or in the page's own content, and the summary opened from the
    map then shows its own figures."""
    from tests.browser import login, wait_idle

    login(page, shared_dashboard.url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"])
    warm = page.locator(".st-key-frontend_warmup")
    warm.wait_for(state="attached", timeout=30_000)
    assert warm.locator("[data-testid='stMetric']").count() == 1
    assert warm.locator("[data-testid='stPageLink-NavLink']").count() == 1
    assert warm.is_hidden() and not warm.locator("[data-testid='stMetric']").is_visible()
    assert page.locator("[data-testid='stSidebar'] .st-key-frontend_warmup").count() == 1
    assert page.locator("[data-testid='stMain'] [data-testid='stMetric']").count() == 0
    page.locator("[data-testid='stSidebarNav'] a", has_text="领导驾驶舱").click()
    page.locator("[data-testid='stMain'] [data-testid='stMetricValue']").first.wait_for(timeout=30_000)
    wait_idle(page)
    assert page.locator(".st-key-frontend_warmup").count() == 0
    first = page.locator("[data-testid='stMain'] [data-testid='stMetric']").first
    assert first.is_visible() and "下发图斑" in first.inner_text()


def test_field_links_list_exactly_what_the_figures_count(demo_store):
    """Every signboard/occupation/restoration/patrol figure's link, applied by the field page's
    own filter, selects as many rows as the figure says."""
    from geo.stats import field as F
    from geo.stats.summary import link, summary

    fig = summary(demo_store, use_cache=False)
    boards = F.signboards(demo_store)
    checks = [
        ("signboards.stale", fig["signboards"]["stale"], "signboard", boards),
        ("signboards.damaged", fig["signboards"]["damaged"], "signboard", boards),
        ("signboards.level.village", fig["signboards"]["by_level"]["village"], "signboard", boards),
        ("occupation.delisted", fig["occupation"]["delisted"], "occupation",
         demo_store.read_layer("occupation", geometry=False)),
    ]
    for key, shown, layer, frame in checks:
        page, query = link(key)
        assert page == "field" and query["layer"] == layer
        assert len(F.filter_by_query(frame, layer, query)) == shown, key
