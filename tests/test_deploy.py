"""The deployment of deploy/: Debian's nginx, with the shipped site, in front of two app processes on
PostGIS; a browser signs in through it and opens the map.

nginx runs as this user with its own configuration, port and temporary files in a temporary
folder: the shipped site file (deploy/nginx/forest.conf) is used as it is, with only its listen
port and its two upstream ports changed to free ones.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser import login, map_frame, wait_drawn
from tests.conftest import DEMO_PASSWORDS, ROOT, Dashboard, free_port

pytestmark = [pytest.mark.browser, pytest.mark.postgis]

SITE = ROOT / "deploy" / "nginx" / "forest.conf"


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        pytest.fail("Debian's nginx is required (scripts/system-deps.sh)")
    return found


def site_for(listen: int, app_ports: list[int]) -> str:
    """The shipped site with its listen port and its upstream servers (one per app) replaced;
    the process that served each response is named in a header (for this test only)."""
    text = SITE.read_text()
    assert "listen 80;" in text and text.count("server 127.0.0.1:850") == 2
    text = text.replace("listen 80;", f"listen 127.0.0.1:{listen};").replace("listen [::]:80;", "")
    lines = [f"    server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;" for p in app_ports]
    text = re.sub(r"(?m)^\s*server 127\.0\.0\.1:850\d[^\n]*\n", "", text)
    text = text.replace("    keepalive 16;", "\n".join(lines) + "\n    keepalive 16;")
    return text.replace("proxy_pass http://forest_app;",
                        "proxy_pass http://forest_app;\n        add_header X-Test-Upstream $upstream_addr always;")


class Nginx:
    def __init__(self, workdir: Path, listen: int, app_ports: list[int]):
        self.dir, self.port = workdir, listen
        self.url = f"http://127.0.0.1:{listen}"
        for sub in ("logs", "tmp"):
            (workdir / sub).mkdir(parents=True, exist_ok=True)
        (workdir / "forest.conf").write_text(site_for(listen, app_ports))
        user = "user root root;\n" if os.geteuid() == 0 else ""  # (workers may write the temp dirs)
        tmp = workdir / "tmp"
        (workdir / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {workdir}/nginx.pid;\nerror_log {workdir}/logs/error.log warn;\n"
            "events { worker_connections 512; }\n"
            "http {\n"
            f"  access_log {workdir}/logs/access.log;\n"
            f"  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;\n"
            f"  fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;\n"
            f"  include {workdir}/forest.conf;\n"
            "}\n")
        self.proc = None

    def start(self) -> "Nginx":
        conf = str(self.dir / "nginx.conf")
        check = subprocess.run([nginx_binary(), "-t", "-p", str(self.dir), "-c", conf],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.proc = subprocess.Popen([nginx_binary(), "-p", str(self.dir), "-c", conf, "-g", "daemon off;"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        end = time.time() + 20
        while time.time() < end:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("nginx did not start: " + (self.dir / "logs" / "error.log").read_text()[-2000:])

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def served_by(url: str, cookie: str | None = None) -> tuple[str, str | None]:
    """Which app process answered a request through the proxy, and the cookie nginx set."""
    req = urllib.request.Request(url + "/_stcore/health", headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        mine = [c.split(";")[0] for c in r.headers.get_all("Set-Cookie") or [] if c.startswith("forest_node=")]
        return r.headers["X-Test-Upstream"], (mine[0] if mine else None)


@pytest.fixture
def deployed(pg_url, tmp_path):
    from geo.demo import build as demo

    demo.build(pg_url, log=lambda *a: None, passwords=DEMO_PASSWORDS)
    apps = []
    proxy = None
    try:
        apps = [Dashboard(pg_url).start(), Dashboard(pg_url).start()]
        proxy = Nginx(tmp_path / "nginx", free_port(), [a.port for a in apps]).start()
        yield proxy, apps
    finally:
        if proxy is not None:
            proxy.stop()
        for a in apps:
            a.stop()


def test_nginx_in_front_of_two_app_processes_on_postgis(deployed, browser):
    proxy, apps = deployed
    backends = {f"127.0.0.1:{a.port}" for a in apps}
    # sticky: a browser's cookie keeps it on one process; different browsers spread over both
    seen = {}
    for k in range(40):
        first, cookie = served_by(proxy.url)
        assert first in backends and cookie and cookie.startswith("forest_node=")
        assert {served_by(proxy.url, cookie)[0] for _ in range(3)} == {first}
        seen[first] = cookie
        if len(seen) == 2:
            break
    assert set(seen) == backends

    # a person signs in through the proxy (the websocket upgraded by nginx) and opens the map
    ctx = browser.new_context(viewport={"width": 1600, "height": 1100}, locale="zh-CN")
    try:
        page = ctx.new_page()
        page.set_default_timeout(60_000)
        upstreams = set()
        page.on("response", lambda r: upstreams.add(r.headers.get("x-test-upstream")) if r.url.startswith(proxy.url) else None)
        sockets = []
        page.on("websocket", lambda ws: sockets.append(ws.url))
        login(page, proxy.url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"])
        map_frame(page)
        assert wait_drawn(page, minimum=1, timeout=60) >= 1
        assert any(u.startswith(proxy.url.replace("http", "ws")) and u.endswith("/_stcore/stream") for u in sockets)
        upstreams.discard(None)
        assert len(upstreams) == 1 and upstreams <= backends  # every request of the session: one process
    finally:
        ctx.close()
