"""Entry point: page setup, language switch, and the router. No page logic lives here."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` from anywhere
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard.components.auth import current_user, login_form, remember_language, sidebar_user  # noqa: E402
from dashboard.components.common import check_store, lang, settings, t  # noqa: E402
from dashboard.components.widget_text import localise as localise_widgets  # noqa: E402

# Pages live in views/, not pages/: a pages/ folder beside the main script switches on Streamlit's
# legacy multipage mode, which runs those files by URL without going through the sign-in below.
PAGES = Path(__file__).resolve().parent / "views"

# a local icon: material/emoji icons make the browser fetch the favicon from a CDN
st.set_page_config(page_title="林长制整改一张图", page_icon=str(Path(__file__).resolve().parent / "static" / "favicon.png"),
                   layout="wide")

user = current_user()  # (first: the language the user chose before is theirs from the first run)
with st.sidebar:
    choice = st.radio(
        "语言 / Language", ["zh", "en"], index=0 if lang() == "zh" else 1,
        format_func=lambda k: "中文" if k == "zh" else "English", horizontal=True, key="lang_choice",
    )
    if choice != st.session_state["lang"]:
        st.session_state["lang"] = choice
        remember_language(choice)
        st.rerun()

check_store()
localise_widgets(lang(), settings().upload_max_mb)  # Chinese for Streamlit's own uploader/date texts

# Which pages each role sees in the menu (and can open at all: a page not in the navigation
# cannot be reached by its URL). Rights are enforced in geo.access.auth whatever the page shows.
# The closure review: the reviewers' queue for the reviewing roles; escalation with the weekly
# brief for everyone.
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


REFUSALS = {"upload": "up.no_permission", "imagery": "im.no_permission", "admin": "nav.admin_only"}
TITLES = {"review": "rv.nav", "escalation": "esc.nav"}  # pages whose title is not nav.<key>


def _refusal(key: str):
    def page():
        st.error(t(REFUSALS.get(key, "nav.not_for_role")), icon=":material/block:")

    page.__name__ = page.__qualname__ = f"refused_{key}"
    return st.Page(page, title=t(TITLES.get(key, f"nav.{key}")), url_path=key, visibility="hidden")


def navigation(role: str | None) -> dict:
    """The menu for ``role`` (every page, hidden, before sign-in: the requested URL is kept)."""
    allowed = ROLE_PAGES.get(role, ("map",)) if role else ROLE_PAGES["admin"]
    page = {
        "map": (t("nav.review"), lambda: st.Page(PAGES / "map.py", title=t("nav.map"), icon=":material/map:",
                                                 default=True)),
        "items": (t("nav.review"), lambda: st.Page(PAGES / "items.py", title=t("nav.items"), icon=":material/checklist:",
                                                   url_path="items")),
        "review": (t("nav.review"), lambda: st.Page(PAGES / "review.py", title=t("rv.nav"), icon=":material/fact_check:",
                                                    url_path="review")),
        "summary": (t("nav.leaders"), lambda: st.Page(PAGES / "summary.py", title=t("nav.summary"),
                                                      icon=":material/monitoring:", url_path="summary")),
        "escalation": (t("nav.leaders"), lambda: st.Page(PAGES / "escalation.py", title=t("esc.nav"),
                                                         icon=":material/campaign:", url_path="escalation")),
        "upload": (t("nav.data"), lambda: st.Page(PAGES / "upload.py", title=t("nav.upload"),
                                                  icon=":material/upload_file:", url_path="upload")),
        "field": (t("nav.data"), lambda: st.Page(PAGES / "field.py", title=t("nav.field"), icon=":material/signpost:",
                                                 url_path="field")),
        "imagery": (t("nav.data"), lambda: st.Page(PAGES / "imagery.py", title=t("nav.imagery"),
                                                   icon=":material/satellite_alt:", url_path="imagery")),
        "admin": (t("nav.system"), lambda: st.Page(PAGES / "admin.py", title=t("nav.admin"), icon=":material/settings:",
                                                   url_path="admin")),
    }
    out: dict[str, list] = {}
    for key in ("map", "items", "review", "summary", "escalation", "upload", "field", "imagery", "admin"):
        group, make = page[key]
        if key in allowed:
            out.setdefault(group, []).append(make())
        else:  # its URL answers with a refusal in the user's language, not Streamlit's "Page not found"
            out.setdefault(group, []).append(_refusal(key))
    # every declared register's page (all roles read them, each through its county scope)
    from dashboard.components.nav import register_pages

    for section, extra in register_pages(lang()).items():
        out.setdefault(section, []).extend(extra)
    return out


if user is None:
    # Keep the requested page in the URL: after signing in, the same page opens.
    st.navigation(navigation(None), position="hidden")
    login_form()
else:
    with st.sidebar:
        sidebar_user()
    st.navigation(navigation(user.get("role")), expanded=True).run()  # (collapsed: "View N more" in English)
