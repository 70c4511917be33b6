"""The menu: which pages each role may open, in four sections by part of the system (图斑整改 /
林长制 / 台账 / 系统), each folding; only the current page's section is open when a page opens, so
the menu and a page's own sidebar (the map's filters) fit one screen.

:func:`menu` is the menu as data (tested without a browser); :func:`navigation` turns it into
Streamlit pages; :func:`fold_script` folds the sections the current page is not in."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from dashboard.i18n import translate
from geo.declare import registry as S
from geo.declare.registry import GROUPS

VIEWS = Path(__file__).resolve().parent.parent / "views"

# Which pages each role sees in the menu (and can open at all: a page not in the navigation
# cannot be reached by its URL). Rights are enforced in geo.access.auth whatever the page shows.
# The closure review: the reviewers' queue for the reviewing roles; escalation with the weekly
# brief for everyone. Every role reads every register (each through its county scope).
ROLE_PAGES = {
    "admin": ("map", "items", "review", "summary", "escalation", "upload", "field", "imagery", "admin"),
    "staff": ("map", "items", "summary", "escalation", "upload", "field", "imagery"),
    "inspector": ("map", "items", "summary", "escalation", "field"),
    "leader": ("map", "items", "summary", "escalation", "field"),
    "league_reviewer": ("map", "items", "review", "summary", "escalation", "field"),
    "province_checker": ("map", "items", "review", "summary", "escalation", "field"),
}
# The map is every role's first page and lives at the root URL: links such as ``/?id=42`` and
# the summary's "在地图上查看" (``./?county=…``) open it whoever follows them.

SECTIONS = ("change", "chief", "ledger", "system")  # nav.sec.<key> in dashboard/i18n/strings_shell.py

# the pages of the app itself: key -> (file in views/, title key, icon, url path, section)
CORE = {
    "map": ("map.py", "nav.map", ":material/map:", "", "change"),
    "items": ("items.py", "nav.items", ":material/checklist:", "items", "change"),
    "review": ("review.py", "rv.nav", ":material/fact_check:", "review", "change"),
    "summary": ("summary.py", "nav.summary", ":material/monitoring:", "summary", "change"),
    "escalation": ("escalation.py", "esc.nav", ":material/campaign:", "escalation", "change"),
    "upload": ("upload.py", "nav.upload", ":material/upload_file:", "upload", "change"),
    "imagery": ("imagery.py", "nav.imagery", ":material/satellite_alt:", "imagery", "change"),
    "field": ("field.py", "nav.field", ":material/signpost:", "field", "chief"),
    "admin": ("admin.py", "nav.admin", ":material/settings:", "admin", "system"),
}
REFUSALS = {"upload": "up.no_permission", "imagery": "im.no_permission", "admin": "nav.admin_only"}


@dataclass(frozen=True)
class Entry:
    """One page of the navigation: ``visible`` pages are listed; the others answer their URL with
    a refusal (in the user's language, not Streamlit's "Page not found")."""

    key: str  # a CORE key, "chief", or "r-<layer>"
    section: str  # a SECTIONS key
    title: str
    icon: str
    url_path: str
    visible: bool


def register_section(group: str) -> str:
    """The menu section of a register's ``group``: the forest-chief system's own, or 台账."""
    return "chief" if group == "chief" else "ledger"


def menu(role: str | None, lang: str) -> list[Entry]:
    """Every page of the navigation for ``role``, in menu order (section by section). Without a
    role (before sign-in) every page is there, unlisted: the requested URL is kept."""
    allowed = ROLE_PAGES.get(role, ("map",)) if role else ROLE_PAGES["admin"]
    zh = lang == "zh"  # the chief's view heads the forest-chief section
    out = [Entry("chief", "chief", "林长视图" if zh else "Chief's view", ":material/person_pin_circle:", "chief", True)]
    for key, (_file, title, icon, url_path, section) in CORE.items():
        out.append(Entry(key, section, translate(title, lang), icon, url_path, key in allowed))
    order = {g: k for k, g in enumerate(GROUPS)}  # registers in the order GROUPS declares them
    for lyr in sorted((x for x in S.LAYERS.values() if x.group), key=lambda x: order.get(x.group, len(order))):
        out.append(Entry(f"r-{lyr.key}", register_section(lyr.group), lyr.label(lang), lyr.icon, f"r-{lyr.key}", True))
    rank = {s: k for k, s in enumerate(SECTIONS)}
    return sorted(out, key=lambda e: rank[e.section])  # (stable: the order within a section is kept)


def section_title(section: str, lang: str) -> str:
    return translate(f"nav.sec.{section}", lang)


def _register_fn(key: str):
    def page() -> None:
        from dashboard.views.register import render

        render(key)

    page.__name__ = page.__qualname__ = f"register_{key}"
    return page


def _refusal_fn(key: str, lang: str):
    def page():
        st.error(translate(REFUSALS.get(key, "nav.not_for_role"), lang), icon=":material/block:")

    page.__name__ = page.__qualname__ = f"refused_{key}"
    return page


def navigation(role: str | None, lang: str) -> dict[str, list]:
    """``{section title: [st.Page, …]}`` for ``st.navigation``."""
    out: dict[str, list] = {}
    for e in menu(role, lang):
        if e.key in CORE and not e.visible:
            page = st.Page(_refusal_fn(e.key, lang), title=e.title, url_path=e.key, visibility="hidden")
        elif e.key in CORE:
            page = st.Page(VIEWS / CORE[e.key][0], title=e.title, icon=e.icon, default=e.key == "map",
                           **({"url_path": e.url_path} if e.url_path else {}))
        elif e.key == "chief":
            page = st.Page(VIEWS / "chief.py", title=e.title, icon=e.icon, url_path=e.url_path)
        else:
            page = st.Page(_register_fn(e.key[2:]), title=e.title, icon=e.icon, url_path=e.url_path)
        out.setdefault(section_title(e.section, lang), []).append(page)
    return out


def current_section(pages: dict[str, list], current) -> str | None:
    """The title of the section that holds page ``current`` (what ``st.navigation`` returned)."""
    for title, listed in pages.items():
        if any(p is current or p.url_path == current.url_path for p in listed):
            return title
    return None


_FOLD_CSS = "<style>.st-key-forest_nav_fold { display: none; }</style>"


def fold_script(open_section: str) -> str:
    """A script that opens the section ``open_section`` of the sidebar menu and folds the others
    (by clicking their headers, as a user would: Streamlit keeps the state in the browser).

    Run when a page opens (the body names the page's section, and Streamlit runs an element's
    script again only when its body changes): within a page, sections the user opens or folds
    stay so."""
    return _FOLD_CSS + """<script>
(function () {
  const want = %s;
  let tries = 0;
  function fold() {
    const nav = window.document.querySelector('[data-testid="stSidebarNav"]');
    const heads = nav ? nav.querySelectorAll('[data-testid="stNavSectionHeader"]') : [];
    if (!heads.length) { if (tries++ < 100) setTimeout(fold, 50); return; }
    heads.forEach(function (h) {
      const name = (h.firstElementChild ? h.firstElementChild.textContent : h.textContent).trim();
      const open = !!h.parentElement.querySelector('[data-testid="stSidebarNavLink"]');
      if (open !== (name === want)) h.click();
    });
  }
  fold();
})();
</script>""" % json.dumps(open_section)


def fold_others(open_section: str | None) -> None:
    """Put :func:`fold_script` on the page (in the sidebar, in a container never displayed)."""
    if not open_section:
        return
    with st.sidebar, st.container(key="forest_nav_fold"):
        st.html(fold_script(open_section), unsafe_allow_javascript=True)
