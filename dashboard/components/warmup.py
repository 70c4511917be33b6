"""Make the first visit to the summary screen as quick as the later ones.

Streamlit's front end loads each element type's code on first use (``React.lazy``): the first
``st.metric`` of a browser session shows a skeleton until its chunk is loaded, and React 18 holds
back every such reveal until 500 ms have passed without a new skeleton appearing (its Suspense
"fallback throttle"). On the summary screen skeletons keep appearing for as long as the page
streams in (charts, tables and the county map come after the figures), so its figures stayed
skeletons until the whole page had arrived and settled — 1.5–2.5 s after the click on the first
visit, 0.3 s on later ones (measured in Chromium; bench/map.py ``page_switch_to_summary``).

Every role's first page is the map, so the map page draws one figure and one page link, the two
element types of the summary's figure tiles, in a container that is never displayed: their code
is then loaded and resolved while the inspector works on the map, and the summary's figures are
drawn as soon as they arrive. They carry no data and are hidden from screen readers as well
(``display: none``); they sit in the sidebar, after everything else, so no page's own figures
come after them.
"""

from __future__ import annotations

import streamlit as st

KEY = "frontend_warmup"
_CSS = f"<style>.st-key-{KEY} {{ display: none; }}</style>"


def element_types(page: str = "views/map.py") -> None:
    """Draw a hidden ``st.metric`` and ``st.page_link`` (to ``page``, which must be in the
    navigation) in the sidebar."""
    with st.sidebar:
        st.html(_CSS)
        with st.container(key=KEY):
            st.metric("·", "0", label_visibility="collapsed")
            st.page_link(page, label="·")
