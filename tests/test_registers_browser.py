"""Every register page in Debian Chromium: it renders for the roles that use it, a record opens
from a link, an operation done on the page lands in the store and its history, the chief's view
opens from ``?chief=``, and an inspector sees only their county."""

from __future__ import annotations

import pytest

from geo.declare import registry as S
from tests.browser import choose, login, wait_idle
from tests.conftest import DEMO_PASSWORDS

pytestmark = pytest.mark.browser
TUQUAN, JALAID = "152224", "152223"
PAGES = [k for k, lyr in S.LAYERS.items() if lyr.group]


def _open(page, url):
    page.goto(url)
    wait_idle(page)


def _no_error(page):
    body = page.inner_text("body")
    assert "Traceback" not in body and "Error" not in body and "错误" not in body, body[:2000]
    return body


def test_every_register_page_renders(shared_dashboard, page):
    login(page, shared_dashboard.url, "staff", DEMO_PASSWORDS["staff"], path="chief")
    for key in PAGES:
        _open(page, f"{shared_dashboard.url}/r-{key}")
        page.get_by_role("heading", name=S.layer(key).zh).wait_for(timeout=60_000)
        body = _no_error(page)
        assert "记录" in body  # the counts above the list


def test_an_inspection_recorded_on_the_signboard_page_is_in_the_store(dashboard, page, demo_store):
    board = demo_store.read_layer("signboard", where={"status": "ok", "county_code": TUQUAN},
                                  columns=["board_no", "version"], geometry=False).iloc[0]
    fid = int(board["id"])
    login(page, dashboard.url, "admin", DEMO_PASSWORDS["admin"], path=f"r-signboard?id={fid}")
    page.get_by_role("heading", name=board["board_no"]).wait_for(timeout=60_000)
    page.get_by_role("tab", name="办理").click()
    wait_idle(page)
    page.get_by_text("登记检查").first.click()
    wait_idle(page)
    choose(page, "牌面状况 *", "损坏")
    form = page.locator("[data-testid='stForm']").filter(has_text="牌面状况").first
    form.get_by_role("button", name="登记检查").click()
    wait_idle(page)
    page.get_by_text("已办理").wait_for(timeout=30_000)
    feat = demo_store.get_feature("signboard", fid)
    assert feat["status"] == "damaged" and feat["version"] == int(board["version"]) + 1
    assert demo_store.history("signboard", fid)[-1]["action"] == "inspect"


def test_the_chiefs_view_opens_from_a_link_and_is_scoped(shared_dashboard, browser, shared_store):
    from geo.chief import chiefs

    people = chiefs.chiefs_list(shared_store)
    tuquan_chief = int(people[(people["level"] == "banner") & (people["county"] == "突泉县")]["holder_id"].iloc[0])
    jalaid_chief = int(people[(people["level"] == "banner") & (people["county"] == "扎赉特旗")]["holder_id"].iloc[0])
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    login(page, shared_dashboard.url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"], path=f"chief?chief={tuquan_chief}")
    page.get_by_text("待办变化图斑").wait_for()
    body = _no_error(page)
    assert "突泉县" in body and "责任区" in body
    # another county's chief: refused with the reason, nothing of theirs shown
    _open(page, f"{shared_dashboard.url}/chief?chief={jalaid_chief}")
    page.get_by_text("其他旗县").wait_for()
    assert "待办变化图斑" not in page.inner_text("body")
    # the inspector's register pages list only their county
    _open(page, f"{shared_dashboard.url}/r-post")
    page.get_by_role("heading", name="林长及护林员岗位").wait_for()
    shown = int(page.locator("[data-testid='stMetricValue']").first.inner_text().replace(",", ""))
    assert shown == shared_store.count("post", where={"county_code": TUQUAN})
    ctx.close()


def test_a_polygon_picked_on_the_map_is_linked_to_an_item(dashboard, page, demo_store):
    """Staff open a polygon on the map, see which rectification items it belongs to, and link it to
    one more; the link and its history event land in the store. An inspector sees the items but
    no form."""
    from geo.items import items as gitems

    items = demo_store.items()
    links = demo_store.item_links()
    linked = set(zip(links["item_id"].astype(int), links["feature_id"].astype(int))) if len(links) else set()
    open_items = items[items["status"] != "done"]
    frame = demo_store.read_layer("change", where={"county_code": TUQUAN}, columns=["status"], geometry=False)
    fid = next(int(f) for f in frame["id"] if not any((int(i), int(f)) in linked for i in open_items["id"]))
    item = open_items.iloc[0]
    name = f"{item['code']}　{item['problem']}" if item.get("code") else str(item["problem"])

    login(page, dashboard.url, "staff", DEMO_PASSWORDS["staff"], path=f"?id={fid}")
    page.get_by_role("tab", name="属性").click()
    wait_idle(page)
    page.get_by_text("未关联整改事项").wait_for()
    choose(page, "关联到整改事项", name)
    page.get_by_role("button", name="关联").click()
    page.get_by_text(f"已关联到“{name}”").wait_for(timeout=60_000)
    now, _ = gitems.items_of(demo_store, "change", fid)
    assert list(now["id"].astype(int)) == [int(item["id"])]
    import json

    last = demo_store.events("item", int(item["id"])).iloc[-1]
    assert last["action"] == "link" and last["actor"] == "staff" and fid in json.loads(last["fields"])["feature_ids"]

    ctx = page.context.browser.new_context(locale="zh-CN")
    other = ctx.new_page()
    try:
        login(other, dashboard.url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"], path=f"?id={fid}")
        other.get_by_role("tab", name="属性").click()
        wait_idle(other)
        other.get_by_text(name).first.wait_for()
        assert other.get_by_role("combobox", name="关联到整改事项").count() == 0
    finally:
        ctx.close()
