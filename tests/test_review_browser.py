"""The closure review in Debian Chromium: a county and the league in two browser contexts (county
applies, league samples, checks, sends one back, approves the rest; the county sees the reason and
re-submits), and each cause's requirements refused then satisfied through the map page's form."""

from __future__ import annotations

import time

import pytest

from geo.change import review as R
from geo.engine import workflow as W
from geo.access.auth import Access, reset_password
from geo.store import open_store
from tests.browser import choose, login, wait_idle
from tests.conftest import DEMO_PASSWORDS, Dashboard
from tests.helpers import jpeg, pdf
from tests.review_support import config

pytestmark = pytest.mark.browser
REVIEWER_PW = "Review-pass-12"
APPLY = "申请销号（→ 待审核）"


def _issued(store, n):
    frame = store.read_layer("change", where={"status": "issued", "county_code": "152224"}, columns=["version"],
                             geometry=False)
    return frame["id"].astype(int).tolist()[:n]


def _verified(store, fid, verdict, cause):
    W.transition(store, "change", fid, "verifying", actor="tuquan_inspector")
    W.transition(store, "change", fid, "verified", actor="tuquan_inspector", attachments=[("现场.jpg", jpeg())],
                 fields={"verdict": verdict, "verified_cause": cause or ""})


def _context(browser, url, user, password, path=""):
    ctx = browser.new_context(viewport={"width": 1600, "height": 1200}, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(45_000)
    login(page, url, user, password, path=path)
    return ctx, page


def _open(page, url, path):
    page.goto(f"{url}/{path}")
    wait_idle(page)


def _upload(page, path):
    page.locator("[data-testid='stFileUploaderDropzoneInput']").last.set_input_files(str(path))
    time.sleep(1)
    wait_idle(page)


def _see(page, text):
    """Wait for ``text``; on failure keep a screenshot (/tmp/review_browser_failed.png) to look at."""
    try:
        page.get_by_text(text).first.wait_for()
    except Exception:
        page.screenshot(path="/tmp/review_browser_failed.png", full_page=True)
        raise


def _submit(page, name="提交"):
    page.get_by_role("button", name=name, exact=True).click()
    wait_idle(page)


@pytest.fixture
def review_dashboard(demo_path, tmp_path):
    store = open_store(str(demo_path))
    reset_password(store, Access("admin", "admin"), "league_reviewer", REVIEWER_PW)
    env = config(tmp_path, '[review]\nlevels = ["league"]\nleague_share = 0.5\nleague_min = 1\n')
    d = Dashboard(demo_path, env=env).start()
    yield d, store, env
    d.stop()


def test_county_applies_league_samples_checks_sends_back_approves_county_resubmits(review_dashboard, browser, tmp_path,
                                                                                   monkeypatch):
    d, store, env = review_dashboard
    monkeypatch.setenv("FOREST_CONFIG", env["FOREST_CONFIG"])
    a, b = _issued(store, 2)
    for fid in (a, b):
        _verified(store, fid, "no_change", "植物季节性变化")
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(jpeg())
    county_ctx, county = _context(browser, d.url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"], f"?id={a}")
    league_ctx, league = _context(browser, d.url, "league_reviewer", REVIEWER_PW, "review")
    try:
        # the county applies for both, with their evidence
        for fid in (a, b):
            _open(county, d.url, f"?id={fid}")
            choose(county, "选择操作", APPLY)
            _submit(county)
            county.get_by_text("需要上传：现场照片").first.wait_for()
            _upload(county, photo)
            _submit(county)
            county.get_by_text("已办理：已核查 → 待审核").first.wait_for()
        assert {store.get_feature("change", f)["status"] for f in (a, b)} == {"applied"}
        # the league draws 突泉县's sample
        _open(league, d.url, "review")
        league.get_by_role("tab", name="抽样").click()
        league.locator(".st-key-rv_draw_152224 button").click()
        wait_idle(league)
        league.get_by_text("盟市审核抽样：突泉县").first.wait_for()
        draw = R.draws(store, level="league", county_code="152224")[0]
        covered = [p[0] for p in draw["population"]]
        assert {a, b} <= set(covered)
        # it checks every sampled polygon (but the first, which it sends back)
        back = a
        for fid in draw["sample"]:
            if fid == back:
                continue
            _open(league, d.url, f"review?id={fid}")
            league.get_by_label("复核意见（或上传照片）").fill("实地核查，与佐证材料一致")
            _submit(league, "登记复核")
            league.get_by_text("复核已登记").first.wait_for()
            assert store.get_feature("change", fid)["check_result"] == "pass"
        _open(league, d.url, f"review?id={back}")
        league.get_by_role("tab", name="审核").click()
        league.get_by_label("退回原因（必填）").fill("现场照片无坐标和拍摄时间，请补拍后重新上报")
        _submit(league, "退回旗县")
        league.get_by_text("已退回旗县").first.wait_for()
        # and approves the rest in one go
        league.get_by_text("批量审核通过").first.click()
        league.locator(".st-key-rv_bulk button").click()
        wait_idle(league)
        league.get_by_text("已通过").first.wait_for()
        rest = [f for f in covered if f != back]
        assert {store.get_feature("change", f)["status"] for f in rest} == {"closed"}
        feat = store.get_feature("change", back)
        assert (feat["status"], feat["returned_reason"]) == ("returned", "现场照片无坐标和拍摄时间，请补拍后重新上报")
        # landing on the map, the county is told what was sent back, with a link to only those
        n_back = store.count("change", where={"status": "returned", "county_code": "152224"})
        _open(county, d.url, "")
        _see(county, f"有 {n_back} 个图斑被退回")
        link = county.get_by_role("link", name="只看已退回的图斑")
        assert link.get_attribute("href").endswith("/?status=returned")
        _open(county, d.url, "?status=returned")  # (a Markdown link opens in a new tab: followed here)
        _see(county, f"符合条件 {n_back} 个")
        # the county sees the reason first, and re-submits
        _open(county, d.url, f"?id={back}")
        county.get_by_text("现场照片无坐标和拍摄时间，请补拍后重新上报").first.wait_for()
        choose(county, "选择操作", "补充材料重新申报（→ 待审核）")
        county.get_by_label("办理说明（必填：请说明原因）").fill("已补拍带坐标的现场照片")
        _upload(county, photo)
        _submit(county)
        county.get_by_text("已办理：已退回 → 待审核").first.wait_for()
        feat = store.get_feature("change", back)
        assert (feat["status"], feat["review_round"]) == ("applied", 2)
        # the league sees it as a re-submission
        _open(league, d.url, f"review?id={back}")
        league.get_by_text("重新申报（第 2 次申报）").first.wait_for()
        hist = store.history("change", back)
        assert [(e["to_status"], e["actor"]) for e in hist[-3:]] == [
            ("applied", "tuquan_inspector"), ("returned", "league_reviewer"), ("applied", "tuquan_inspector")]
    finally:
        county_ctx.close()
        league_ctx.close()


def test_each_cause_refused_then_satisfied_on_the_map_page(review_dashboard, browser, tmp_path, monkeypatch):
    d, store, env = review_dashboard
    monkeypatch.setenv("FOREST_CONFIG", env["FOREST_CONFIG"])
    logging, approved, no_change, illegal = _issued(store, 4)
    _verified(store, logging, "legal", "21 林木采伐_经审批")
    _verified(store, approved, "legal", "411 建设项目使用林地_经审批_永久")
    _verified(store, no_change, "no_change", None)
    _verified(store, illegal, "illegal", "51 毁林(湿)开垦-种植")
    W.transition(store, "change", illegal, "case_filed", actor="执法大队", fields={"case_no": "突林草罚立字〔2026〕第3号"})
    W.transition(store, "change", illegal, "penalized", actor="执法大队",
                 fields={"decision_no": "突林草罚决字〔2026〕第3号", "fine_yuan": "5000"})
    W.transition(store, "change", illegal, "rectifying", actor="tuquan_inspector", fields={"measure": "限期整改"})
    W.transition(store, "change", illegal, "rectified", actor="tuquan_inspector", attachments=[("整改后.jpg", jpeg())])
    W.transition(store, "change", illegal, "accepted", actor="盟林草局验收组", attachments=[("验收单.jpg", jpeg())])
    area = float(store.get_feature("change", logging)["area_ha"])
    photo, sheet = tmp_path / "现场照片.jpg", tmp_path / "许可证.pdf"
    photo.write_bytes(jpeg())
    sheet.write_bytes(pdf())
    ctx, page = _context(browser, d.url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"], f"?id={logging}")
    try:
        cases = [
            (logging, ["采伐许可证号", "许可采伐面积(公顷)"],
             lambda: (page.get_by_label("采伐许可证号 *").fill("突林采字〔2026〕第018号"),
                      page.get_by_label("许可采伐面积(公顷) *").fill(f"{area:.4f}"))),
            (approved, ["使用林地审核同意书文号", "审核同意书日期"],
             lambda: (page.get_by_label("使用林地审核同意书文号 *").fill("内林草审字〔2020〕88号"),
                      page.get_by_role("spinbutton", name="year, 审核同意书日期 *").click(),
                      page.keyboard.type("20200601"))),  # the date field's year, month and day segments
            (no_change, ["伪变化/无变化原因"],
             lambda: page.get_by_label("伪变化/无变化原因 *").fill("植物季节性变化")),
            (illegal, ["整改方式"], lambda: choose(page, "整改方式 *", "拆除")),
        ]
        for fid, named, fill in cases:
            _open(page, d.url, f"?id={fid}")
            choose(page, "选择操作", APPLY)
            page.get_by_text("按“").first.wait_for()  # the form says which rule applies
            _submit(page)
            refusal = page.locator("[data-testid='stAlert']").filter(has_text="需要").first
            refusal.wait_for()
            text = refusal.inner_text()
            for label_ in named:
                assert label_ in text, (fid, text)
            assert store.get_feature("change", fid)["status"] in ("verified", "accepted")
            fill()
            _upload(page, sheet if fid in (logging, approved, illegal) else photo)
            _submit(page)
            _see(page, "→ 待审核")
            assert store.get_feature("change", fid)["status"] == "applied", fid
        assert store.get_feature("change", illegal)["measure_kind"] == "拆除"
        assert store.get_feature("change", approved)["approval_date"] == "2020-06-01"
    finally:
        ctx.close()


def _options(page, label: str) -> list[str]:
    """The options of the selectbox labelled ``label`` (opened, read, closed)."""
    wait_idle(page)
    combo = page.get_by_role("combobox", name=label, exact=True).first
    box = page.locator("[data-testid='stSelectbox']").filter(has=combo).first
    box.get_by_role("button", name="Open").click()
    page.get_by_role("option").first.wait_for()
    names = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return names


def test_acceptance_is_not_offered_to_who_rectified_and_is_to_someone_else(dashboard, browser, tmp_path):
    """Separation of duties on the page: the inspector who recorded 整改完成 sees 验收通过 and 验收退回
    disabled with the reason, the form defaults to no backward step; the administrator accepts."""
    store = open_store(dashboard.db)
    fid = _issued(store, 1)[0]
    _verified(store, fid, "illegal", "51 毁林(湿)开垦-种植")
    W.transition(store, "change", fid, "case_filed", actor="执法大队", fields={"case_no": "突林草罚立字〔2026〕第9号"})
    W.transition(store, "change", fid, "penalized", actor="执法大队",
                 fields={"decision_no": "突林草罚决字〔2026〕第9号", "fine_yuan": "3000"})
    W.transition(store, "change", fid, "rectifying", actor="tuquan_inspector", fields={"measure": "恢复植被"})
    W.transition(store, "change", fid, "rectified", actor="tuquan_inspector", attachments=[("整改后.jpg", jpeg())])
    ctx, page = _context(browser, dashboard.url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"], f"?id={fid}")
    try:
        _see(page, "暂不可办理“验收通过”")
        page.get_by_text("暂不可办理“验收退回”").first.wait_for()
        assert "须由“整改完成”登记人以外的人员办理" in page.locator("[data-testid='stMain']").inner_text()
        assert page.get_by_role("combobox", name="选择操作", exact=True).count() == 0  # nothing else to offer
        page.screenshot(path=str(tmp_path / "same-account.png"), full_page=True)
    finally:
        ctx.close()
    photo = tmp_path / "验收单.jpg"
    photo.write_bytes(jpeg())
    ctx, page = _context(browser, dashboard.url, "admin", DEMO_PASSWORDS["admin"], f"?id={fid}")
    try:
        _see(page, "选择操作")
        options = _options(page, "选择操作")
        assert options[0] == "验收通过（→ 已验收）", options  # forward by default
        assert "验收退回（→ 整改中）" in options
        assert page.get_by_text("暂不可办理").count() == 0
        _upload(page, photo)
        _submit(page)
        _see(page, "→ 已验收")
        assert store.get_feature("change", fid)["status"] == "accepted"
    finally:
        ctx.close()
