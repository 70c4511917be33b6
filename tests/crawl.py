"""A crawler of the dashboard (issue 22): signed in as one account, it opens every page the
sidebar's menu offers (read from the menu itself, so a new page is covered with no edit), then
every tab and every expander of each, and records what is broken: a Streamlit exception element,
English error text, a console error or an uncaught page error, and a page that takes too long to
settle. Used by ``tests/test_crawl_browser.py``; ``python -m tests.crawl URL USER PASSWORD`` runs
it by hand against a running server.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser import login, unfold_menu, wait_idle

# a page taking longer than this to settle (2 cores shared with another test worker) is a failure
SETTLE_LIMIT_S = 20.0
# English error text on a page (the UI is Chinese): an exception's class, a traceback, the English
# of a refusal or of a library's error
ENGLISH_ERROR = re.compile(
    r"\b(?:Error|Traceback|Exception|KeyError|ValueError|TypeError|IndexError|AttributeError|"
    r"has no field|not supported|is not defined|NoneType|NaN|nan|object has no attribute|"
    r"Invalid|invalid value|cannot|could not|unexpected)\b")
# what the crawler reads as text: the page, grids aside (a record's values are data, not messages)
SHOWN_TEXT = """() => {
  const out = [];
  const main = document.querySelector('[data-testid=stMain]');
  const side = document.querySelector('[data-testid=stSidebar]');
  for (const root of [main, side]) if (root) out.push(root.innerText);
  return out.join('\\n');
}"""
# console messages that are not the app's: the browser's own notices
IGNORED_CONSOLE = re.compile(r"favicon|Download the React DevTools")
# Streamlit's front end, opened on a page's own URL (``/items``), first asks that path for the
# server's health and configuration (``/items/_stcore/health``) to find the app's base URL, and a
# 404 there sends it to ``/_stcore/…``: the browser logs those 404s, which are not the app's
PROBE = re.compile(r"/[^/]+/_stcore/(?:health|host-config)$")


@dataclass
class Problem:
    user: str
    page: str
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.user} · {self.page} · {self.where}: {self.what}"


@dataclass
class Crawl:
    user: str
    problems: list[Problem] = field(default_factory=list)
    timings: list[tuple[str, str, float]] = field(default_factory=list)  # (page, step, seconds)
    pages: list[str] = field(default_factory=list)
    steps: int = 0


def nav_links(page) -> list[tuple[str, str]]:
    """``[(title, href)]`` of every page the sidebar's menu offers (folded sections opened)."""
    nav = page.locator("[data-testid='stSidebarNav']")
    unfold_menu(page)  # the menu folds by section: every section opened
    out = []
    for a in nav.locator("a").all():
        href = a.get_attribute("href") or ""
        out.append((a.inner_text().strip().split("\n")[-1], href))
    return out


class KeptRunning(Exception):
    """The page never settled: the rest of it is not crawled (each step would wait as long)."""


def _settle(page, crawl: Crawl, name: str, step: str, started: float) -> None:
    """Until the script run a step started is over: a step that starts none (a tab or an
    expander, drawn by the browser) is done after two quiet looks a tenth of a second apart."""
    try:
        quiet, end = 0, time.time() + SETTLE_LIMIT_S * 3
        page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']",
                               timeout=SETTLE_LIMIT_S * 3000)
        while quiet < 2:
            if time.time() > end:
                raise TimeoutError(name)
            running = page.locator("[data-testid='stApp'][data-test-script-state='running']").count()
            quiet = quiet + 1 if not running else 0
            page.wait_for_timeout(100)
    except (TimeoutError, PlaywrightTimeout):
        crawl.problems.append(Problem(crawl.user, name, step, "kept running"))
        raise KeptRunning(name) from None
    took = time.time() - started
    crawl.timings.append((name, step, took))
    if took > SETTLE_LIMIT_S:
        crawl.problems.append(Problem(crawl.user, name, step, f"took {took:.1f} s to settle"))


def _check(page, crawl: Crawl, name: str, step: str, seen: set) -> None:
    crawl.steps += 1
    for el in page.locator("[data-testid='stException']").all():
        text = " ".join(el.inner_text().split())[:300]
        key = ("exc", name, text)
        if key not in seen:
            seen.add(key)
            crawl.problems.append(Problem(crawl.user, name, step, f"Streamlit exception: {text}"))
    text = page.evaluate(SHOWN_TEXT)
    for m in ENGLISH_ERROR.finditer(text):
        around = " ".join(text[max(0, m.start() - 80): m.end() + 80].split())
        key = ("en", name, around)
        if key not in seen:
            seen.add(key)
            crawl.problems.append(Problem(crawl.user, name, step, f"English error text: …{around}…"))


def _clickables(page, kind: str):
    if kind == "tab":
        return page.locator("[data-testid='stMain'] [role='tab']")
    return page.locator("[data-testid='stMain'] [data-testid='stExpander'] details:not([open]) > summary")


OPEN_EXPANDERS = """() => {
  const closed = Array.from(document.querySelectorAll(
      "[data-testid=stMain] [data-testid=stExpander] details:not([open]) > summary"))
    .filter(s => s.offsetParent !== null);  // in view: not inside a hidden tab panel
  closed.forEach(s => s.click());
  return closed.length;
}"""


def _open_expanders(page, crawl: Crawl, name: str, seen: set) -> None:
    """Every expander in view opened at once (a click on each summary, in the page: the browser
    draws them, no script run), then the page settled and read once; a round more for the
    expanders those opened reveal."""
    for round_ in range(4):
        n = page.evaluate(OPEN_EXPANDERS)
        if not n:
            break
        started = time.time()
        page.wait_for_timeout(100)
        _settle(page, crawl, name, f"expanders ({n}, round {round_ + 1})", started)
        _check(page, crawl, name, f"expanders ({n}, round {round_ + 1})", seen)


def _open_all(page, crawl: Crawl, name: str, seen: set, budget: int = 80, expanders: bool = True) -> None:
    """Open every expander of the tab shown, then click every other tab and open its expanders
    (each step settled and checked). Tabs a click reveals are visited too, up to ``budget``."""
    if expanders:
        _open_expanders(page, crawl, name, seen)
    done_tabs: set[str] = set()
    for _ in range(budget):
        tabs = _clickables(page, "tab")
        target = None
        for i in range(tabs.count()):
            tab = tabs.nth(i)
            try:
                label = f"{i}:{tab.inner_text().strip()}"
            except Exception:  # noqa: BLE001 - gone with a rerun: look again
                break
            if label not in done_tabs and tab.get_attribute("aria-selected") != "true":
                target = (label, tab)
                break
            done_tabs.add(label)
        if target is None:
            break
        label, tab = target
        done_tabs.add(label)
        try:
            tab.click(timeout=5_000)
        except Exception:  # noqa: BLE001 - hidden (in a closed tab panel) or gone with a rerun
            continue
        started = time.time()  # (the app's settling is timed, not the browser's click)
        _settle(page, crawl, name, f"tab {label}", started)
        _check(page, crawl, name, f"tab {label}", seen)
        if expanders:
            _open_expanders(page, crawl, name, seen)


SEARCH = "宝石镇2网格"  # what the issue typed into a register's 关键字 filter


def _search(page, crawl: Crawl, name: str, seen: set) -> None:
    """Type into every text box of the sidebar (a register's 关键字) and press Enter."""
    boxes = page.locator("[data-testid='stSidebar'] [data-testid='stTextInput'] input")
    for i in range(boxes.count()):
        box = boxes.nth(i)
        if not box.is_visible():
            continue
        started = time.time()
        box.fill(SEARCH)
        box.press("Enter")
        page.wait_for_timeout(150)
        _settle(page, crawl, name, f"search {SEARCH}", started)
        _check(page, crawl, name, f"search {SEARCH}", seen)
        box.fill("")
        box.press("Enter")
        page.wait_for_timeout(150)
        wait_idle(page)


def _pick_first_row(page, crawl: Crawl, name: str, seen: set) -> bool:
    """Tick the first row of the first grid of the page that offers row selection (a record's
    details, an item, a project open below it); True when one was picked."""
    grids = page.locator("[data-testid='stMain'] [data-testid='stDataFrame']")
    for i in range(min(grids.count(), 6)):
        grid = grids.nth(i)
        if not grid.is_visible():
            continue
        # row selection draws a checkbox column: Streamlit marks the grid's canvas with it
        if not grid.evaluate("el => !!el.querySelector('[aria-label*=\"row\" i], [role=checkbox]') || "
                             "el.innerHTML.includes('rowMarker')"):
            continue
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        if not box or box["height"] < 80:
            continue
        started = time.time()
        page.mouse.click(box["x"] + 15, box["y"] + 53)
        page.wait_for_timeout(200)
        _settle(page, crawl, name, "pick a row", started)
        _check(page, crawl, name, "pick a row", seen)
        return True
    return False


def visit(page, crawl: Crawl, url: str, name: str, seen: set, pick: bool = True, deep: bool = True) -> None:
    """Open ``url`` and go through it: every tab and expander, and (``deep``) a search, a row
    picked and what it opens, each option of a segmented control."""
    crawl.pages.append(name)
    try:
        _visit(page, crawl, url, name, seen, pick, deep)
    except KeptRunning:
        pass
    except TimeoutError:  # (wait_idle after a search box is cleared)
        crawl.problems.append(Problem(crawl.user, name, "search cleared", "kept running"))


def _visit(page, crawl: Crawl, url: str, name: str, seen: set, pick: bool, deep: bool) -> None:
    started = time.time()
    page.goto(url)
    page.wait_for_selector("[data-testid='stSidebarNav']", timeout=60_000)
    _settle(page, crawl, name, "open", started)
    _check(page, crawl, name, "open", seen)
    pick = pick and deep
    if deep:
        _search(page, crawl, name, seen)
    _open_all(page, crawl, name, seen)
    if pick and _pick_first_row(page, crawl, name, seen):
        _open_all(page, crawl, name, seen)
    # segmented controls that switch what the page shows (公示牌·巡护·修复's layers): each option,
    # with what it opens
    segments = page.locator("[data-testid='stMain'] [data-testid='stButtonGroup']").first
    if segments.count():
        labels = [b.inner_text().strip() for b in segments.locator("button").all()]
        for label in labels[1:]:
            started = time.time()
            page.locator("[data-testid='stMain'] [data-testid='stButtonGroup']").first.locator(
                "button", has_text=label).first.click()
            page.wait_for_timeout(150)
            step = f"{name} · {label}"
            _settle(page, crawl, step, "open", started)
            _check(page, crawl, step, "open", seen)
            _open_all(page, crawl, step, seen)
            if pick and _pick_first_row(page, crawl, step, seen):
                _open_all(page, crawl, step, seen)


def crawl(page, base_url: str, user: str, password: str, only: set[str] | None = None,
          records: dict[str, list[int]] | None = None, shallow: set[str] | None = None,
          log=None) -> Crawl:
    """Sign in as ``user`` and visit every page of the menu (``only``: those whose title is in it;
    ``shallow``: those gone through without a search or a row picked); a register's page is opened again on each of
    ``records`` (``{layer: [id, …]}``), its record's tabs and expanders opened. ``log(text)`` is
    told of each page as it is done."""
    out = Crawl(user)
    seen: set = set()

    def on_console(msg):
        where = (msg.location or {}).get("url", "")
        if msg.type == "error" and not IGNORED_CONSOLE.search(msg.text) and not PROBE.search(where):
            out.problems.append(Problem(user, page.url, "console", msg.text[:300]))

    page.on("console", on_console)
    page.on("pageerror", lambda exc: out.problems.append(Problem(user, page.url, "pageerror", str(exc)[:300])))
    login(page, base_url, user, password)
    for title, href in nav_links(page):
        if only and title not in only:
            continue
        url = href if href.startswith("http") else f"{base_url}/{href.lstrip('/')}"
        started = time.time()
        visit(page, out, url, title, seen, deep=title not in (shallow or ()))
        if log:
            log(f"{user} · {title}: {time.time() - started:.0f} s, {len(out.problems)} problems so far")
        layer = url.rstrip("/").rsplit("/", 1)[-1]
        for fid in (records or {}).get(layer[2:] if layer.startswith("r-") else "", []):
            visit(page, out, f"{url}?id={fid}", f"{title} #{fid}", seen, pick=False)
    return out

if __name__ == "__main__":  # pragma: no cover - by hand
    import sys

    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM_ARGS

    url, user, pw = sys.argv[1:4]
    only = set(sys.argv[4].split(",")) if len(sys.argv) > 4 else None
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        ctx = b.new_context(viewport={"width": 1600, "height": 1100}, locale="zh-CN")
        pg = ctx.new_page()
        pg.set_default_timeout(30_000)
        t0 = time.time()
        result = crawl(pg, url, user, pw, only)
        print(f"{user}: {len(result.pages)} pages, {result.steps} steps, {time.time() - t0:.0f} s")
        for p_ in result.problems:
            print(" ", p_)
        slow = sorted(result.timings, key=lambda t: -t[2])[:5]
        print("slowest:", [(a, b_, round(c, 1)) for a, b_, c in slow])
        b.close()
