"""The carbon page in Chromium: the synthetic demo 小班 said to be synthetic, the figures, and a
county choropleth whose six counties are drawn with their figures in the tooltips (as text)."""

from __future__ import annotations

from tests.browser import login, wait_idle
from tests.conftest import DEMO_PASSWORDS


def test_the_carbon_page_shows_the_county_choropleth_and_its_figures(shared_dashboard, page):
    login(page, shared_dashboard.url, "leader", DEMO_PASSWORDS["leader"], "r-subcompartment")
    page.get_by_text("当前小班为合成演示数据").first.wait_for()
    for label in ("碳储量（万吨碳）", "年碳汇（万吨CO₂/年）", "违法图斑碳损失（吨碳）", "扣除后碳储量（万吨碳）"):
        page.get_by_text(label, exact=True).first.wait_for()
    page.get_by_text("各旗县碳储量").first.wait_for()
    frame = None
    for _ in range(60):  # the choropleth's iframe (returned_objects=[]: it never reruns the page)
        frame = next((f for f in page.frames if "streamlit_folium" in f.url and f.evaluate(
            "() => { let n = 0; if (window.map) window.map.eachLayer(l => { if (l.feature && "
            "l.feature.properties.t !== undefined) n++; }); return n; }")), None)
        if frame is not None:
            break
        page.wait_for_timeout(500)
    assert frame is not None, "no choropleth drawn"
    tips = frame.evaluate("() => { const out = []; window.map.eachLayer(l => { if (l.feature && "
                          "l.feature.properties.t !== undefined) out.push([l.feature.properties.t, "
                          "l.options.fillColor]); }); return out; }")
    assert len(tips) == 6
    assert all("碳储量（吨碳）：" in t and "小班数：" in t for t, _ in tips)
    assert len({c for _, c in tips}) >= 4  # shaded by rank
    wait_idle(page)
    page.get_by_text("分苏木乡镇责任区").first.wait_for()
    page.screenshot(path="/tmp/reg_carbon.png", full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0
