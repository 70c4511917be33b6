"""Chinese for the few texts Streamlit 1.67 draws itself and offers no argument for.

* ``st.file_uploader``: the "Upload" button and the "200MB per file • ZIP, SHP, …" line;
* ``st.date_input``: the "yyyy / mm / dd" placeholders of an empty date.

Both are replaced by CSS (a stylesheet only: no script, no data), which hides Streamlit's words
(``display: none``; for the date segments, which must stay focusable for typing, a zero font
size) and draws ours in their place with generated content; the widgets themselves — file
picking, drag and drop, typing a date, the calendar — work exactly as before. What stays English is
listed in the README (screen-reader labels and the data grid's toolbar menus).

Texts that *do* have arguments are set where the widget is made: ``placeholder`` of selectboxes
and multiselects, ``placeholder=""`` of data grids (else an empty cell reads "None"),
``select_all=False`` of multiselects (else a "Select all" option).
"""

from __future__ import annotations

import streamlit as st

_TEXT = {
    "zh": {"button": "选择文件", "drop": "拖放文件到这里，或点“选择文件”；单个文件不超过 {mb} MB",
           "year": "年", "month": "月", "day": "日"},
}


def css(lang: str, max_upload_mb: int) -> str:
    """The stylesheet for ``lang`` (empty for English: Streamlit's own words are English)."""
    words = _TEXT.get(lang)
    if not words:
        return ""
    drop = words["drop"].format(mb=max_upload_mb).replace('"', '\\"')
    button = words["button"]
    return f"""<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{ display: none; }}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after {{ content: "{button}"; }}
[data-testid="stFileUploaderDropzoneInstructions"] span {{ display: none; }}
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {{
  content: "{drop}"; font-size: 0.875rem; opacity: 0.7; }}
[data-testid="stDateInputField"] [data-placeholder="true"] {{ font-size: 0; }}
[data-testid="stDateInputField"] [data-placeholder="true"]::after {{ font-size: 0.875rem; }}
[data-testid="stDateInputField"] [data-placeholder="true"][data-type="year"]::after {{ content: "{words['year']}"; }}
[data-testid="stDateInputField"] [data-placeholder="true"][data-type="month"]::after {{ content: "{words['month']}"; }}
[data-testid="stDateInputField"] [data-placeholder="true"][data-type="day"]::after {{ content: "{words['day']}"; }}
</style>"""


def localise(lang: str, max_upload_mb: int) -> None:
    """Put the stylesheet on the page (call once per run, before the widgets)."""
    sheet = css(lang, max_upload_mb)
    if sheet:
        st.html(sheet)
