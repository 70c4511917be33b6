"""Click-to-answer timings on the map page, for bench/map.py (see its docstring)."""

from __future__ import annotations

import statistics
import time

MAIN = "[data-testid='stMain']"
FRAME = 'iframe[title="streamlit_folium.st_folium"]'
SELECTED_JS = """() => { let out = null; if (!window.map) return null;
  window.map.eachLayer(l => { const p = l.feature && l.feature.properties;
    if (p && p.sel) out = [p.id, p.n === undefined ? null : String(p.n), p.s]; });
  return out; }"""
STATUS_JS = """(fid) => { let out = null; if (!window.map) return null;
  window.map.eachLayer(l => { const p = l.feature && l.feature.properties;
    if (p && p.id === fid) out = p.s; });
  return out; }"""
CANDIDATES_JS = """() => { const out = [], size = window.map.getSize();
  window.map.eachLayer(l => { const p = l.feature && l.feature.properties;
    if (!p || p.id === undefined || p.sel || p.n === undefined) return;
    const c = l.getLatLng ? l.getLatLng() : l.getBounds().getCenter();
    const pt = window.map.latLngToContainerPoint(c);
    if (pt.x > 80 && pt.y > 80 && pt.x < size.x - 80 && pt.y < size.y - 60 && (l.getLatLng || l.getBounds().contains(c)))
      out.push([p.id, String(p.n), pt.x, pt.y]); });
  return out; }"""
NEW_LAYER_JS = """() => { let n = 0; if (!window.map) return 0;
  window.map.eachLayer(l => { const p = l.feature && l.feature.properties;
    if (p && (p.s !== undefined || p.k !== undefined) && !l._benchOld) n++; });
  return n; }"""
MARK_OLD_JS = "() => { window.map.eachLayer(l => { if (l.feature) l._benchOld = 1; }); }"


def _frame(page):
    return page.frame(url=lambda u: "streamlit_folium" in u)


def _eval(page, js, arg=None):
    frame = _frame(page)
    if frame is None:
        return None
    try:
        return frame.evaluate(js, arg) if arg is not None else frame.evaluate(js)
    except Exception:  # the frame is being replaced
        return None


def until(page, cond, timeout: float = 30.0, what: str = "") -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if cond():
            return time.perf_counter()
        page.wait_for_timeout(15)
    page.screenshot(path="/tmp/bench_map_failed.png")
    raise RuntimeError(f"timed out waiting for {what} (screenshot /tmp/bench_map_failed.png)")


def heading(page) -> str:
    h = page.locator(f"{MAIN} h3")
    return h.first.inner_text() if h.count() else ""


def idle(page, timeout: float = 60.0) -> None:
    from tests.browser import wait_idle

    wait_idle(page, timeout)


def stats(values: list[float]) -> dict:
    values = sorted(values)
    p95 = values[min(len(values) - 1, max(0, int(round(0.95 * len(values) + 0.5)) - 1))]
    return {"p50": round(statistics.median(values), 3), "p95": round(p95, 3), "max": round(values[-1], 3),
            "tries": len(values)}


def bare_round_trip(page, url: str, tries: int) -> list[float]:
    page.goto(url)
    idle(page)
    out = []
    for i in range(tries):
        t0 = time.perf_counter()
        page.get_by_role("button", name="+1").click()
        t1 = until(page, lambda: page.get_by_text(f"count {i + 1}", exact=True).count() > 0, what="bare page")
        out.append(t1 - t0)
        idle(page)
    return out


def next_times(page, tries: int) -> list[float]:
    out = []
    for _ in range(tries):
        before = heading(page)
        t0 = time.perf_counter()
        page.get_by_role("button", name="下一个 ▶").click()

        def done():
            h = heading(page)
            sel = _eval(page, SELECTED_JS)
            return h and h != before and sel is not None and sel[1] == h

        out.append(until(page, done, what="next") - t0)
        idle(page)
    return out


def open_from_map_times(page, tries: int) -> list[float]:
    out = []
    for _ in range(tries):
        cands = _eval(page, CANDIDATES_JS) or []
        if not cands:
            page.get_by_role("button", name="下一个 ▶").click()
            idle(page)
            continue
        fid, number, x, y = cands[len(cands) // 2]
        box = page.locator(FRAME).bounding_box()
        t0 = time.perf_counter()
        page.mouse.click(box["x"] + x, box["y"] + y)

        def done():
            sel = _eval(page, SELECTED_JS)
            return heading(page) == number and sel is not None and sel[0] == fid

        out.append(until(page, done, what=f"open {number} from the map") - t0)
        idle(page)
    return out


def action_times(page, base: str, ids: list[int]) -> list[float]:
    from tests.browser import choose

    out = []
    for fid in ids:
        page.goto(f"{base}/?id={fid}")
        idle(page)
        until(page, lambda: (_eval(page, SELECTED_JS) or [None])[0] == fid, what="polygon opened")
        choose(page, "选择操作", "开始核查（→ 核查中）")
        t0 = time.perf_counter()
        page.get_by_role("button", name="提交").click()

        def done():
            return (page.get_by_text("已办理：下发 → 核查中").count() > 0
                    and _eval(page, STATUS_JS, fid) == "verifying")

        out.append(until(page, done, what="action") - t0)
        idle(page)
    return out


def page_switch_times(page, tries: int) -> tuple[list[float], list[float]]:
    to_summary, to_map = [], []
    nav = "[data-testid='stSidebarNav'] a"
    for _ in range(tries):
        t0 = time.perf_counter()
        page.locator(nav, has_text="领导驾驶舱").click()
        to_summary.append(until(page, lambda: page.locator(f"{MAIN} [data-testid='stMetricValue']").count() > 0,
                                what="summary") - t0)
        idle(page)
        t0 = time.perf_counter()
        page.locator(nav, has_text="地图核查").click()
        to_map.append(until(page, lambda: page.locator(f"{MAIN} [data-testid='stMetricValue']").count() == 0
                            and (_eval(page, NEW_LAYER_JS) or 0) > 0, what="map") - t0)
        idle(page)
    return to_summary, to_map


def pan_time(page, dx: int = -300, dy: int = 0) -> float:
    """Drag the map ``dx`` px sideways (and ``dy`` down); seconds from releasing the mouse to the
    new view's layer drawn. (Alternate the sign, or the view drifts off the data.)"""
    _eval(page, MARK_OLD_JS)
    box = page.locator(FRAME).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=6)
    page.mouse.up()
    t0 = time.perf_counter()
    t1 = until(page, lambda: (_eval(page, NEW_LAYER_JS) or 0) > 0, what="pan")
    idle(page)
    return t1 - t0


def concurrent_next_times(pages, rounds: int) -> list[float]:
    """Several inspectors press "下一个" at the same moment (one click on each page, then wait for
    all): each one's click-to-updated time."""
    out = []
    for _ in range(rounds):
        before = [heading(p) for p in pages]
        starts = []
        for p in pages:
            starts.append(time.perf_counter())
            p.get_by_role("button", name="下一个 ▶").click(no_wait_after=True)
        pending = set(range(len(pages)))
        t_end = time.perf_counter() + 60
        while pending and time.perf_counter() < t_end:
            for i in list(pending):
                p = pages[i]
                h = heading(p)
                sel = _eval(p, SELECTED_JS)
                if h and h != before[i] and sel is not None and sel[1] == h:
                    out.append(time.perf_counter() - starts[i])
                    pending.discard(i)
            pages[0].wait_for_timeout(15)
        if pending:
            raise RuntimeError("concurrent next: not all pages answered within 60 s")
        for p in pages:
            idle(p)
    return out
