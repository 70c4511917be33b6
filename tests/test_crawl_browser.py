"""The crawler (issue 22): on a private copy of the demo with awkward records added (every optional
field empty, extreme values, a record at the edge of the jurisdiction: ``tests/awkward.py``), each
demo role signs in in its own browser context and every page its menu offers is opened, with
every tab and expander (``tests/crawl.py``); the test fails listing each broken page, role and
what broke — a Streamlit exception, English error text, a console or page error, a page slow to
settle.

One app server per test worker serves every role (module-scoped); one test per role, so the two
workers share the roles. A register's page is opened again on the awkward records of its layer
(``?id=``) by the administrator, who sees every county.
"""

from __future__ import annotations

import shutil
import sys
import time

import pytest

from dashboard.components import nav
from tests import awkward
from tests.conftest import DEMO_PASSWORDS, Dashboard
from tests.crawl import crawl

pytestmark = pytest.mark.browser

ROLE_OF = {"admin": "admin", "tuquan_inspector": "inspector", "staff": "staff", "leader": "leader",
           "league_reviewer": "league_reviewer", "province_checker": "province_checker"}
ROLES = ["admin", "tuquan_inspector", "staff", "leader", "league_reviewer", "province_checker"]

# What the crawler finds that is known and not fixed yet: (role or "*", page title or "*", a piece
# of the problem's text) with the reason. Empty means nothing is excused.
ALLOWED: list[tuple[str, str, str, str]] = []


def _log(text: str) -> None:
    print(text, file=sys.__stderr__, flush=True)


def _allowed(problem) -> bool:
    return any((role in ("*", problem.user)) and (page in ("*", problem.page)) and text in str(problem)
               for role, page, text, _why in ALLOWED)


# the administrator, who sees every page and every county, also searches each register, picks a
# row and opens each layer's awkward record by id; the other roles open every page of their menu
# with every tab and expander (the suite's time: the deep crawl of one role takes as long as the
# others together)
DEEP = {"admin"}


class _Every:
    def __contains__(self, _title) -> bool:
        return True


ALL_PAGES = _Every()


@pytest.fixture(scope="module")
def crawl_app(demo_copy_source, tmp_path_factory):
    """One server for every role, on a private copy of the demo holding the awkward records."""
    from geo.store import open_store

    path = tmp_path_factory.mktemp("crawl") / "demo.gpkg"
    shutil.copyfile(demo_copy_source, path)
    outcome = awkward.write(open_store(str(path)))
    app = Dashboard(path).start()
    yield app, outcome
    app.stop()


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_works_for(role, crawl_app, browser):
    """Every page of ``role``'s menu with every tab and expander; the administrator also searches,
    picks a row and opens each layer's awkward record by id."""
    app, outcome = crawl_app
    assert outcome.written, outcome.report()
    records: dict[str, list[int]] = {}
    for layer, kind, fid in sorted(outcome.written, key=lambda w: w[1] != "extreme-high"):
        records.setdefault(layer, [fid])
    ctx = browser.new_context(viewport={"width": 1600, "height": 1100}, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    started = time.time()
    try:
        result = crawl(page, app.url, role, DEMO_PASSWORDS[role], records=records if role in DEEP else None,
                       shallow=None if role in DEEP else ALL_PAGES, log=_log)
    finally:
        ctx.close()
    summary = f"{role}: {len(result.pages)} pages, {result.steps} steps, {time.time() - started:.0f} s"
    print(summary)
    # every page the role's menu lists was gone through (a folded section left shut would hide some)
    menu = [e.title for e in nav.menu(ROLE_OF[role], "zh") if e.visible]
    assert set(menu) <= set(result.pages), f"{role}: pages not crawled: {sorted(set(menu) - set(result.pages))}"
    assert app.alive(), app.log()[-3000:]
    problems = [p for p in result.problems if not _allowed(p)]
    assert not problems, "\n".join(["broken:"] + [str(p) for p in problems] + [summary, "server log (tail):",
                                                                               app.log()[-4000:]])
