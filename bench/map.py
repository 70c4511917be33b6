"""Map page speed and size, in headless Debian Chromium through the running app.

    .venv/bin/python bench/map.py --n 50000                 # loads, pans, actions, page switches
    .venv/bin/python bench/map.py --n 500000 --parts load,pan

Loads (``load``): navigation → polygons drawn, league and county zoom, for the real page, the
naive page (bench/naive_page.py) and the real page with an empty map (``?layers=none``, the
floor). Pans (``pan``): dragging the map by 200 px → the layer of the new view drawn, left and right
(the views repeat) and then always onwards (every view new).
Actions (``actions``), signed in as 突泉县's inspector at 1600×1000, each timed from the click to
the updated details and map (p50/p95 of --tries), against a bare page's click round trip
(bench/bare_page.py) in the same run: "下一个"; opening a polygon by clicking it on the map; a
workflow action (开始核查); "下一个" pressed by four inspectors at once; page switches (map →
summary → map).

Builds (or reuses) a demo store with N change polygons, starts the dashboard and a naive page
(bench/naive_page.py: all features in one folium.GeoJson), and measures, at league zoom and at
county zoom, the bytes the browser receives (HTTP + websocket) and the time from navigation to
the polygons drawn in the map, for: the real map page; the naive page (baseline); the real page
with an empty map (`?layers=none`, the floor). Medians of --runs loads after a warm-up. Prints
one JSON object per line.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import map_actions as A  # noqa: E402
from tests.conftest import CHROMIUM_ARGS, free_port  # noqa: E402

VIEWS = {"league": None, "county": "45.90,121.55,11"}  # 突泉县 at county zoom


def build(n: int) -> Path:
    from geo.demo import build as demo
    from geo.store import open_store

    path = Path(f"/tmp/bench_map_{n}.gpkg")
    if path.exists():
        meta = open_store(str(path)).meta("demo")
        if meta and json.loads(meta).get("size") == n:
            return path
    demo.build(str(path), size=n, log=lambda *a: None)
    return path


def serve(script: Path, db: Path) -> tuple[subprocess.Popen, str]:
    import urllib.request

    port = free_port()
    env = {**os.environ, "FOREST_DB": str(db)}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--server.enableStaticServing", "true", "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{script} did not start")


COUNT_JS = """(props) => { if (!window.map) return -1; let n = 0;
  window.map.eachLayer(l => { if (l.feature && l.feature.properties &&
                                  props.some(p => l.feature.properties[p] !== undefined)) n++; });
  return n; }"""


def load(browser, url: str, prop: str, minimum: int, cookie: dict | None, timeout: float = 180.0,
         warm: bool = False):
    """Open ``url`` in a new browser context; return (seconds until drawn, bytes received).
    With ``warm``, the page is loaded once first, so the app's own scripts come from the browser
    cache as for a returning user, and only the second load is measured."""
    ctx = browser.new_context(viewport={"width": 1600, "height": 1100})
    if cookie:
        ctx.add_cookies([cookie])
    page = ctx.new_page()
    if warm:
        page.goto(url)
        page.wait_for_timeout(8000)
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    received = {"http": 0, "ws": 0}
    cdp.on("Network.loadingFinished", lambda e: received.__setitem__("http", received["http"] + e.get("encodedDataLength", 0)))

    def ws(e):
        r = e["response"]
        data = r.get("payloadData", "")
        received["ws"] += len(base64.b64decode(data)) if r.get("opcode") == 2 else len(data.encode())

    cdp.on("Network.webSocketFrameReceived", ws)
    t0 = time.perf_counter()
    page.goto(url)
    drawn = None
    while time.perf_counter() - t0 < timeout:
        frame = page.frame(url=lambda u: "streamlit_folium" in u)
        if frame is not None:
            try:
                n = frame.evaluate(COUNT_JS, prop.split("|"))
            except Exception:
                n = -1
            if n >= minimum:
                drawn = time.perf_counter() - t0
                break
        page.wait_for_timeout(50)
    page.wait_for_timeout(1000)  # let trailing frames arrive before counting bytes
    if drawn is None:
        page.screenshot(path="/tmp/bench_map_failed.png")
        ctx.close()
        raise RuntimeError(f"nothing drawn at {url} within {timeout}s (screenshot /tmp/bench_map_failed.png)")
    ctx.close()
    return drawn, received["http"] + received["ws"]


def session(browser, url: str, cookie: dict | None, path: str = ""):
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    if cookie:
        ctx.add_cookies([cookie])
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{url}/{path}")
    return ctx, page


def emit(metric: str, n: int, value, unit: str, baseline: str, baseline_value, **extra) -> None:
    print(json.dumps({"metric": metric, "n": n, "value": value, "unit": unit, "baseline": baseline,
                      "baseline_value": baseline_value, **extra}, ensure_ascii=False), flush=True)


def run_loads(browser, a, app_url, naive_url, cookie):
    for zoom, view in VIEWS.items():
        q = f"view={view}" if view else ""
        variants = {
            "ours": (f"{app_url}/?{q}", "s|k", 1, cookie),
            "floor": (f"{app_url}/?layers=none&{q}", "n", 1, cookie),
            # one synchronous addData call adds every feature: the first seen means all drawn
            "naive": (f"{naive_url}/?{q}", "polygon_no", 1, None),
        }
        if a.no_naive:
            variants.pop("naive")
        results = {}
        for name, (url, prop, minimum, ck) in variants.items():
            times, sizes = [], []
            for run in range(a.runs + 1):  # the first load warms the servers' caches
                last = load(browser, url, prop, minimum, ck)
                print(f"# {zoom} {name} run {run}: {last[0]:.2f} s, {last[1]} bytes", file=sys.stderr, flush=True)
                if run:
                    times.append(last[0])
                    sizes.append(last[1])
            warm = load(browser, url, prop, minimum, ck, warm=True)
            print(f"# {zoom} {name} warm: {warm[0]:.2f} s, {warm[1]} bytes", file=sys.stderr, flush=True)
            results[name] = (statistics.median(times), statistics.median(sizes), warm[1])
        t_ours, b_ours, w_ours = results["ours"]
        t_floor, b_floor, w_floor = results["floor"]
        t_naive, b_naive, w_naive = results.get("naive", (None, None, None))
        emit(f"map_drawn_{zoom}", a.n, round(t_ours, 3), "s", "empty-map page (same app, ?layers=none)",
             round(t_floor, 3), floor_value=round(t_floor, 3), ratio_to_floor=round(t_ours / t_floor, 2),
             naive_value=t_naive and round(t_naive, 3), speedup_vs_naive=t_naive and round(t_naive / t_ours, 1))
        emit(f"map_bytes_{zoom}", a.n, b_ours, "bytes", "naive page (all features in one folium.GeoJson)",
             b_naive, floor_value=b_floor, reduction_vs_naive=b_naive and round(b_naive / max(b_ours, 1), 1),
             note="cold browser cache: includes ~3 MB of Streamlit's own scripts and fonts on every page")
        emit(f"map_bytes_warm_{zoom}", a.n, w_ours, "bytes", "naive page, second visit (browser cache warm)",
             w_naive, floor_value=w_floor)


def run_pans(browser, a, app_url, cookie, bare_rt):
    for zoom, view in VIEWS.items():
        ctx, page = session(browser, app_url, cookie, f"?view={view}" if view else "")
        A.until(page, lambda: (A._eval(page, A.NEW_LAYER_JS) or 0) > 0, timeout=120, what="first draw")
        A.idle(page)
        times = []
        for i in range(a.tries // 2 + 1):
            page.wait_for_timeout(1000)  # Leaflet's inertia settles
            try:  # alternate left and right, so that the view stays over the data
                t = A.pan_time(page, -200 if i % 2 == 0 else 200)
            except RuntimeError as err:
                print(f"# pan {zoom} {i}: {err}", file=sys.stderr, flush=True)
                continue
            print(f"# pan {zoom} {i}: {t:.2f} s", file=sys.stderr, flush=True)
            if i:
                times.append(t)
        # pans in one direction: every view is new, so nothing is served from a cache
        fresh = []
        for i in range(a.tries // 2):
            page.wait_for_timeout(1000)
            try:
                t = A.pan_time(page, -200 if i % 2 == 0 else 200, dy=70)  # 70 px down each time
            except RuntimeError as err:
                print(f"# fresh pan {zoom} {i}: {err}", file=sys.stderr, flush=True)
                continue
            print(f"# fresh pan {zoom} {i}: {t:.2f} s", file=sys.stderr, flush=True)
            fresh.append(t)
        ctx.close()
        st_ = A.stats(times)
        emit(f"map_pan_{zoom}", a.n, st_["p50"], "s", "bare page click round trip (p50)", bare_rt["p50"],
             p95=st_["p95"], target=0.5, note="alternating left and right: the second view onwards is cached")
        if fresh:
            st_ = A.stats(fresh)
            emit(f"map_pan_fresh_{zoom}", a.n, st_["p50"], "s", "bare page click round trip (p50)", bare_rt["p50"],
                 p95=st_["p95"], target=0.5, note="each pan to a view not seen before")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (a figure the machine's load does not inflate)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_actions(browser, a, app_url, bare_url, cookie, store, app_pid: int, bare_pid: int):
    ctx, page = session(browser, bare_url, None)
    c0 = cpu_seconds(bare_pid)
    bare = A.stats(A.bare_round_trip(page, bare_url, a.tries))
    bare_cpu = (cpu_seconds(bare_pid) - c0) / a.tries
    ctx.close()
    emit("bare_round_trip", a.n, bare["p50"], "s", "(this is the baseline)", bare["p50"], p95=bare["p95"],
         server_cpu_s=round(bare_cpu, 3))
    ctx, page = session(browser, app_url, cookie)
    A.until(page, lambda: (A._eval(page, A.NEW_LAYER_JS) or 0) > 0, timeout=120, what="first draw")
    A.idle(page)
    A.next_times(page, 2)  # warm-up
    for metric, fn in (("action_next", lambda: A.next_times(page, a.tries)),
                       ("action_open_from_map", lambda: A.open_from_map_times(page, a.tries))):
        c0 = cpu_seconds(app_pid)
        st_ = A.stats(fn())
        cpu = (cpu_seconds(app_pid) - c0) / st_["tries"]
        emit(metric, a.n, st_["p95"], "s (p95)", "bare page click round trip (p95)", bare["p95"],
             p50=st_["p50"], max=st_["max"], tries=st_["tries"], target=1.0, server_cpu_s=round(cpu, 3),
             bare_server_cpu_s=round(bare_cpu, 3))
    issued = store.read_layer("change", where={"status": "issued", "county_code": "152224"}, columns=["status"],
                              geometry=False, limit=a.tries + 1)["id"].tolist()
    if len(issued) > 1:
        st_ = A.stats(A.action_times(page, app_url, issued[1:]))
        emit("action_workflow", a.n, st_["p95"], "s (p95)", "bare page click round trip (p95)", bare["p95"],
             p50=st_["p50"], max=st_["max"], tries=st_["tries"], target=1.0,
             note="server CPU not separable here: each try reloads the page to open an issued polygon")
    # four inspectors at once (four sessions of the app, one browser)
    extra = [session(browser, app_url, cookie) for _ in range(3)]
    pages = [page] + [p for _, p in extra]
    for p in pages:
        p.goto(app_url)
        A.until(p, lambda p=p: (A._eval(p, A.NEW_LAYER_JS) or 0) > 0, timeout=120, what="first draw")
        A.idle(p)
    st_ = A.stats(A.concurrent_next_times(pages, max(3, a.tries // 4)))
    emit("action_next_4_at_once", a.n, st_["p50"], "s (p50)", "bare page click round trip (p50)", bare["p50"],
         p95=st_["p95"], max=st_["max"], tries=st_["tries"])
    for c, _ in extra:
        c.close()
    page.goto(app_url)
    A.idle(page)
    to_summary, to_map = A.page_switch_times(page, max(3, a.tries // 2))
    for metric, values in (("page_switch_to_summary", to_summary), ("page_switch_to_map", to_map)):
        st_ = A.stats(values)
        emit(metric, a.n, st_["p95"], "s (p95)", "bare page click round trip (p95)", bare["p95"],
             p50=st_["p50"], tries=st_["tries"], target=1.5)
    ctx.close()
    return bare


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tries", type=int, default=20, help="clicks per action (p95 of these)")
    ap.add_argument("--parts", default="load,pan,actions", help="any of load, pan, actions")
    ap.add_argument("--no-naive", action="store_true", help="skip the naive page (slow at 500k)")
    a = ap.parse_args()
    parts = set(a.parts.split(","))
    from playwright.sync_api import sync_playwright

    from geo.access import sessions
    from geo.store import open_store

    db = build(a.n)
    store = open_store(str(db))
    admin = sessions.start(store, store.user("admin"), sessions.Policy(absolute_hours=2))
    inspector = sessions.start(store, store.user("tuquan_inspector"), sessions.Policy(absolute_hours=2))
    app, app_url = serve(ROOT / "dashboard" / "server.py", db)
    procs = [app]
    naive_url = bare_url = None
    if "load" in parts and not a.no_naive:
        naive, naive_url = serve(ROOT / "bench" / "naive_page.py", db)
        procs.append(naive)
    bare, bare_url = serve(ROOT / "bench" / "bare_page.py", db)
    procs.append(bare)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            as_admin = {"name": "forest_session", "value": admin, "url": app_url}
            as_inspector = {"name": "forest_session", "value": inspector, "url": app_url}
            bare_rt = None
            if "actions" in parts:
                bare_rt = run_actions(browser, a, app_url, bare_url, as_inspector, store, app.pid, bare.pid)
            if "pan" in parts:
                if bare_rt is None:
                    ctx, page = session(browser, bare_url, None)
                    bare_rt = A.stats(A.bare_round_trip(page, bare_url, a.tries))
                    ctx.close()
                run_pans(browser, a, app_url, as_admin, bare_rt)
            if "load" in parts:
                run_loads(browser, a, app_url, naive_url, as_admin)
            browser.close()
    finally:
        for proc in procs:
            proc.terminate()
        for tok in (admin, inspector):
            sessions.end(store, tok)


if __name__ == "__main__":
    main()
