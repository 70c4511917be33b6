"""Take screenshots of dashboard pages in Debian Chromium (a developer's look at the UI).

    .venv/bin/python scripts/screenshots.py --url http://localhost:8501 --user admin --password … \
        --out /tmp/shots map summary upload items field admin
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def wait_idle(page, timeout=60_000):
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=timeout)
    deadline = time.time() + timeout / 1000
    while time.time() < deadline:
        if page.locator("[data-testid='stApp'][data-test-script-state='running']").count() == 0:
            time.sleep(0.5)
            if page.locator("[data-testid='stApp'][data-test-script-state='running']").count() == 0:
                return
        time.sleep(0.2)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", default="http://localhost:8501")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--out", default="/tmp/shots")
    p.add_argument("--lang", default="zh")
    p.add_argument("--wait", type=float, default=3.0)
    p.add_argument("pages", nargs="*", default=["map"])
    a = p.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{a.url}/?lang={a.lang}")
        wait_idle(page)
        if a.user:
            page.get_by_label("用户名" if a.lang == "zh" else "User name").fill(a.user)
            page.get_by_label("密码" if a.lang == "zh" else "Password", exact=True).fill(a.password)
            page.keyboard.press("Enter")
            time.sleep(1)
            wait_idle(page)
        for name in a.pages:
            path, _, query = name.partition("?")
            page.goto(f"{a.url}/{path}?lang={a.lang}{'&' + query if query else ''}")
            wait_idle(page)
            time.sleep(a.wait)
            page.screenshot(path=str(out / f"{path or 'home'}{'_' + query.replace('=', '') if query else ''}.png"), full_page=True)
            print("shot", name)
        browser.close()


if __name__ == "__main__":
    main()
