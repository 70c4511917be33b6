"""Entry point: page setup, language switch, and the router. No page logic lives here."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` from anywhere
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard.components.auth import current_user, login_form, remember_language, sidebar_user  # noqa: E402
from dashboard.components.common import check_store, lang, settings  # noqa: E402
from dashboard.components.nav import current_section, fold_others, navigation  # noqa: E402
from dashboard.components.widget_text import localise as localise_widgets  # noqa: E402

# Pages live in views/, not pages/: a pages/ folder beside the main script switches on Streamlit's
# legacy multipage mode, which runs those files by URL without going through the sign-in below
# (the menu: dashboard/components/nav.py).

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

if user is None:
    # Keep the requested page in the URL: after signing in, the same page opens.
    st.navigation(navigation(None, lang()), position="hidden")
    login_form()
else:
    with st.sidebar:
        sidebar_user()
    # The menu folds by section (only the current page's open): with the menu fully listed, the
    # map's filters began some 1,550 px down. (Streamlit's own "View N more" would be in English.)
    pages = navigation(user.get("role"), lang())
    current = st.navigation(pages, expanded=True)
    fold_others(current_section(pages, current))
    current.run()
