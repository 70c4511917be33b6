"""Many inspectors at once: N simultaneous browser sessions through the inspector's loop, on a
PostGIS store of 50,000 polygons, against one app process and against two behind nginx.

    .venv/bin/python bench/users.py --sessions 1,2,4,8          # one process, then two behind nginx
    .venv/bin/python bench/users.py --sessions 4 --procs 1       # one process only

Each session is its own headless Debian Chromium (its own worker process, as separate people are),
signed in as one county's inspector (a server-side session cookie), and goes round the loop:

1. ``open``  — open the map, until the polygons are drawn;
2. ``filter`` — the county's issued polygons (the summary's links do the same), until redrawn;
3. ``select`` — "下一个" opens the first one, until its details and its highlight show;
4. ``transition`` — 开始核查 submitted, until the message and the new status on the map;
5. ``next`` — "下一个" again.

It reports p50/p95 per action, the actions per second all sessions sustained together, and the
server's CPU time per action (from /proc: it carries to a bigger machine, where wall-clock times on
2 cores shared with the browsers do not). The baseline is a bare Streamlit page's click round trip
measured in the same run. One JSON object per line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COUNTIES = ["152224", "152223", "152221", "152222", "152201", "152202"]
INSPECTORS = {"152224": "tuquan_inspector", "152223": "jalaid_inspector", "152221": "horqin_front_inspector",
              "152222": "horqin_mid_inspector", "152201": "ulanhot_inspector", "152202": "arxan_inspector"}
ACTIONS = ("open", "filter", "select", "transition", "next")


# ------------------------------------------------------------------------------ the store
def pg_base() -> str:
    """The PostGIS cluster's URL for the bench database ``forest_users`` (created when missing)."""
    port = subprocess.run(["bash", "-c", "pg_lsclusters -h | awk '$4==\"online\" {print $3; exit}'"],
                          capture_output=True, text=True).stdout.strip() or "5432"
    sudo = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
    for sql in ("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'forest_test') THEN "
                "CREATE ROLE forest_test LOGIN SUPERUSER PASSWORD 'forest_test'; END IF; END $$;",):
        subprocess.run([*sudo, "psql", "-p", port, "-qtAX", "-c", sql], check=True, capture_output=True)
    have = subprocess.run([*sudo, "psql", "-p", port, "-qtAX", "-c",
                           "SELECT 1 FROM pg_database WHERE datname = 'forest_users'"], capture_output=True, text=True)
    if "1" not in have.stdout:
        subprocess.run([*sudo, "psql", "-p", port, "-qtAX", "-c", "CREATE DATABASE forest_users OWNER forest_test"],
                       check=True, capture_output=True)
        subprocess.run([*sudo, "psql", "-p", port, "-d", "forest_users", "-qtAX", "-c", "CREATE EXTENSION postgis"],
                       check=True, capture_output=True)
    return f"postgresql://forest_test:forest_test@localhost:{port}/forest_users"


def build(url: str, n: int) -> str:
    from geo.demo import build as demo
    from geo.store import open_store

    try:
        meta = open_store(url).meta("demo")
        if meta and json.loads(meta).get("size") == n:
            return url
    except Exception:  # noqa: BLE001 - an empty database: build it
        pass
    print(f"building a {n:,}-polygon demo store in {url.rsplit('/', 1)[-1]} (once; kept) …", file=sys.stderr)
    demo.build(url, size=n, log=lambda *a: None)
    return url


def tokens(url: str, k: int) -> list[tuple[str, str]]:
    """``k`` live sessions (token, county) of the counties' inspectors, round robin."""
    from geo.access import sessions
    from geo.store import open_store

    store = open_store(url)
    out = []
    for i in range(k):
        county = COUNTIES[i % len(COUNTIES)]
        user = store.user(INSPECTORS[county])
        out.append((sessions.start(store, user, sessions.Policy(idle_minutes=600, absolute_hours=10)), county))
    return out


# ------------------------------------------------------------------------------ one session
def worker(url: str, token: str, county: str, rounds: int, start_at: float, out: str) -> None:
    """One person's loop in its own Chromium; writes ``{action: [seconds, …]}`` to ``out``."""
    from playwright.sync_api import sync_playwright

    from bench import map_actions as A
    from tests.browser import choose
    from tests.conftest import CHROMIUM_ARGS

    times: dict[str, list[float]] = {a: [] for a in ACTIONS}
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
        ctx.add_cookies([{"name": "forest_session", "value": token, "url": url}])
        page = ctx.new_page()
        page.set_default_timeout(120_000)
        while time.time() < start_at:  # every session starts together
            time.sleep(0.05)
        for _ in range(rounds):
            try:
                t0 = time.perf_counter()
                page.goto(url)
                A.until(page, lambda: (A._eval(page, A.NEW_LAYER_JS) or 0) > 0, timeout=120, what="drawn")
                times["open"].append(time.perf_counter() - t0)
                A.idle(page)
                A._eval(page, A.MARK_OLD_JS)
                t0 = time.perf_counter()
                page.goto(f"{url}/?county={county}&status=issued")
                A.until(page, lambda: (A._eval(page, A.NEW_LAYER_JS) or 0) > 0, timeout=120, what="filtered")
                times["filter"].append(time.perf_counter() - t0)
                A.idle(page)
                times["select"] += A.next_times(page, 1)
                sel = A._eval(page, A.SELECTED_JS)
                fid = sel[0] if sel else None
                choose(page, "选择操作", "开始核查（→ 核查中）")
                t0 = time.perf_counter()
                page.get_by_role("button", name="提交").click()
                A.until(page, lambda: page.get_by_text("已办理").count() > 0 or page.get_by_text("已被").count() > 0,
                        timeout=120, what="transition answered")
                if fid is not None:
                    A.until(page, lambda: A._eval(page, A.STATUS_JS, fid) in ("verifying", None), timeout=60,
                            what="status on the map")
                times["transition"].append(time.perf_counter() - t0)
                A.idle(page)
                times["next"] += A.next_times(page, 1)
            except Exception as ex:  # noqa: BLE001 - a failed round is counted, the loop goes on
                errors.append(f"{type(ex).__name__}: {str(ex)[:200]}")
        browser.close()
    Path(out).write_text(json.dumps({"times": times, "errors": errors}))


# ------------------------------------------------------------------------------ the servers
def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve_apps(db: str, k: int):
    from bench.map import serve

    return [serve(ROOT / "dashboard" / "server.py", db) for _ in range(k)]


def bare_round_trip(tries: int = 10) -> dict:
    from playwright.sync_api import sync_playwright

    from bench import map_actions as A
    from bench.map import serve
    from tests.conftest import CHROMIUM_ARGS

    proc, url = serve(ROOT / "bench" / "bare_page.py", "unused.gpkg")
    try:
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = b.new_page()
            out = A.stats(A.bare_round_trip(page, url, tries))
            b.close()
    finally:
        proc.terminate()
    return out


def pctl(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(q * (len(values) - 1)))))
    return round(values[k], 3)


def run(db: str, procs: int, sessions_n: int, rounds: int, bare: dict) -> dict:
    from tests.test_deploy import Nginx

    apps = serve_apps(db, procs)
    proxy = None
    try:
        if procs > 1:
            from tests.conftest import free_port

            proxy = Nginx(Path(tempfile.mkdtemp(prefix="bench-users-nginx-")), free_port(),
                          [int(u.rsplit(":", 1)[1]) for _, u in apps]).start()
            url = proxy.url
        else:
            url = apps[0][1]
        toks = tokens(db, sessions_n)
        outs = [tempfile.mktemp(suffix=".json") for _ in toks]
        start_at = time.time() + 8 + 2 * sessions_n  # time for every browser to start
        cpu0 = {p.pid: cpu_seconds(p.pid) for p, _ in apps}
        workers = [subprocess.Popen([sys.executable, __file__, "--worker", url, tok, county, str(rounds),
                                     str(start_at), out], cwd=ROOT)
                   for (tok, county), out in zip(toks, outs)]
        for w in workers:
            w.wait(timeout=3600)
        wall = time.time() - start_at
        cpu = sum(cpu_seconds(p.pid) - cpu0[p.pid] for p, _ in apps)
        merged: dict[str, list[float]] = {a: [] for a in ACTIONS}
        errors = []
        for out in outs:
            data = json.loads(Path(out).read_text())
            for a in ACTIONS:
                merged[a] += data["times"][a]
            errors += data["errors"]
        done = sum(len(v) for v in merged.values())
        result = {"procs": procs, "sessions": sessions_n, "wall_s": round(wall, 1), "actions": done,
                  "actions_per_s": round(done / wall, 3) if wall > 0 else None,
                  "server_cpu_s_per_action": round(cpu / done, 3) if done else None, "errors": len(errors),
                  "p95_worst": max((pctl(v, 0.95) or 0) for v in merged.values())}
        for a in ACTIONS:
            emit(f"users_{a}", sessions_n, pctl(merged[a], 0.95), "s (p95)", "bare page click round trip (p95)",
                 bare["p95"], p50=pctl(merged[a], 0.5), tries=len(merged[a]), procs=procs)
        emit("users_actions_per_s", sessions_n, result["actions_per_s"], "actions/s (higher is better)",
             "bare page click round trip (p50)", bare["p50"], procs=procs, wall_s=result["wall_s"],
             server_cpu_s_per_action=result["server_cpu_s_per_action"], errors=errors[:3],
             p95_worst=result["p95_worst"])
        return result
    finally:
        if proxy is not None:
            proxy.stop()
        for p, _ in apps:
            p.terminate()


def emit(metric: str, n: int, value, unit: str, baseline: str, baseline_value, **extra) -> None:
    print(json.dumps({"metric": metric, "n": n, "value": value, "unit": unit, "baseline": baseline,
                      "baseline_value": baseline_value, **extra}, ensure_ascii=False), flush=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        url, token, county, rounds, start_at, out = sys.argv[2:8]
        worker(url, token, county, int(rounds), float(start_at), out)
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", default="1,2,4,8", help="numbers of simultaneous sessions (comma-separated)")
    ap.add_argument("--n", type=int, default=50000, help="change polygons in the store")
    ap.add_argument("--rounds", type=int, default=4, help="loops per session")
    ap.add_argument("--procs", default="1,2", help="app processes: 1 (direct) and/or 2 (behind nginx)")
    ap.add_argument("--db", help="a PostGIS URL (default: the database forest_users, built once)")
    a = ap.parse_args()
    db = build(a.db or pg_base(), a.n)
    bare = bare_round_trip()
    emit("bare_round_trip", 1, bare["p50"], "s", "(this is the baseline)", bare["p50"], p95=bare["p95"])
    summary = []
    for procs in [int(p) for p in a.procs.split(",")]:
        for k in [int(s) for s in a.sessions.split(",")]:
            summary.append(run(db, procs, k, a.rounds, bare))
    for procs in sorted({r["procs"] for r in summary}):
        ok = [r["sessions"] for r in summary if r["procs"] == procs and r["p95_worst"] <= 1.5 and not r["errors"]]
        emit("users_served_at_p95_1_5s", procs, max(ok) if ok else 0, "sessions (higher is better)",
             "p95 of every action ≤ 1.5 s", 1.5, procs=procs)
    print(json.dumps({"summary": summary}, ensure_ascii=False), file=sys.stderr)


if __name__ == "__main__":
    main()
