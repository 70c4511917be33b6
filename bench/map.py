"""Map page speed and size, in headless Debian Chromium through the running app.

    .venv/bin/python bench/map.py --n 50000

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

from tests.conftest import CHROMIUM_ARGS, free_port  # noqa: E402

VIEWS = {"league": None, "county": "45.90,121.55,11"}  # 突泉县 at county zoom


def build(n: int) -> Path:
    from geo import demo
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from geo import auth
    from geo.store import open_store

    db = build(a.n)
    store = open_store(str(db))
    token = auth.start_session(store, store.user("admin"), hours=2)
    app, app_url = serve(ROOT / "dashboard" / "server.py", db)
    naive, naive_url = serve(ROOT / "bench" / "naive_page.py", db)
    cookie = {"name": "forest_session", "value": token, "url": app_url}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for zoom, view in VIEWS.items():
                q = f"view={view}" if view else ""
                variants = {
                    "ours": (f"{app_url}/?{q}", "s|k", 1, cookie),
                    "floor": (f"{app_url}/?layers=none&{q}", "n", 1, cookie),
                    # one synchronous addData call adds every feature: the first seen means all drawn
                    "naive": (f"{naive_url}/?{q}", "polygon_no", 1, None),
                }
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
                t_naive, b_naive, w_naive = results["naive"]
                t_floor, b_floor, w_floor = results["floor"]
                print(json.dumps({"metric": f"map_drawn_{zoom}", "n": a.n, "value": round(t_ours, 3), "unit": "s",
                                  "baseline": "naive page (all features in one folium.GeoJson)",
                                  "baseline_value": round(t_naive, 3), "floor_value": round(t_floor, 3),
                                  "speedup_vs_naive": round(t_naive / t_ours, 1),
                                  "ratio_to_floor": round(t_ours / t_floor, 2)}), flush=True)
                print(json.dumps({"metric": f"map_bytes_{zoom}", "n": a.n, "value": b_ours, "unit": "bytes",
                                  "baseline": "naive page (all features in one folium.GeoJson)",
                                  "baseline_value": b_naive, "floor_value": b_floor,
                                  "reduction_vs_naive": round(b_naive / max(b_ours, 1), 1),
                                  "note": "cold browser cache: includes ~3 MB of Streamlit's own scripts and fonts on every page"}), flush=True)
                print(json.dumps({"metric": f"map_bytes_warm_{zoom}", "n": a.n, "value": w_ours, "unit": "bytes",
                                  "baseline": "naive page, second visit (browser cache warm)",
                                  "baseline_value": w_naive, "floor_value": w_floor,
                                  "reduction_vs_naive": round(w_naive / max(w_ours, 1), 1)}), flush=True)
            browser.close()
    finally:
        for proc in (app, naive):
            proc.terminate()
        auth.end_session(store, token)


if __name__ == "__main__":
    main()
