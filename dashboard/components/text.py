r"""User text as text: the one way a value someone typed (a record's field, a history comment, a
file or column name, an account's display name, an item's or an order's text) reaches a place
where Streamlit reads Markdown.

Streamlit 1.67 renders as Markdown (GitHub-flavoured, plus its own ``:red[…]``/``:small[…]``/
``:color[…]{…}`` directives, ``:material/…:`` icons, emoji shortcodes, ``$…$`` maths, bare URLs
made links, and ``->``/``--``/``>=`` typography) the body of ``st.markdown``/``st.write``/
``st.caption``/``st.title``/``st.header``/``st.subheader``/``st.info``/``st.success``/``st.warning``/
``st.error``/``st.toast``, every widget label and ``help`` text, ``st.metric`` labels *and
values*, ``st.expander``/``st.tabs``/``st.button``/``st.download_button``/``st.page_link``/
``st.image`` caption texts and the options of ``st.radio``/``st.segmented_control``/``st.pills``
(the common ones checked in Chromium: ``tests/test_plain_text_browser.py``). Without escaping, a value such as
``![x](/signin?x=1)`` becomes an image the browser fetches, ``:red[…]`` coloured text.

Not Markdown, and therefore given the value as it is (escaping there would show backslashes):
``st.dataframe`` cells and column names, ``st.text``, ``st.code``, ``st.json``, the value of a text
box, and the options of ``st.selectbox``/``st.multiselect`` (their ``format_func`` results are
drawn as text).

:func:`plain` folds line breaks and runs of spaces into one space (what Markdown shows of them
anyway; so no block — a heading, a list, a table, indented code — can start inside a value), and
backslash-escapes every character that can begin inline syntax: ``\ ` * ~ [ ] < > & $ |``, ``_``
unless it joins two letters or digits (``PAN_NO_TB``: no emphasis can start there) and ``:``
where a directive's name would follow (``:red[``, ``::x``; not ``EPSG:4326`` or ``10:30``) — an
escaped character is never emphasis, code, a link or image, HTML, an entity, a directive or maths —
plus a list, heading or setext marker at the very start. Other punctuation (``( ) . , / - # …``
inside a value) has no meaning there and is left alone: a widget's label is also its accessible
name, which Streamlit takes verbatim, so every escape is heard by a screen reader. It also puts an
invisible WORD JOINER (U+2060) into the few patterns Streamlit rewrites *after* parsing, on the
text itself, where an escape does not help: emoji and icon shortcodes (``:smile:``,
``:material_home:``, ``:material/home:``), bare URLs and e-mail addresses (``http://``, ``www.``,
``a@b.cn``) and the arrows ``->``, ``<-``, ``<->``, ``--``, ``>=``, ``<=``, ``~=`` between spaces.
The text reads and copies as typed apart from those joiners.
"""

from __future__ import annotations

import re

import pandas as pd

WJ = "\u2060"  # WORD JOINER: no width, no line break, not a word character nor a space

# what can open inline syntax (CommonMark, GFM, Streamlit's directives)
_INLINE = re.compile(r"[\\`*~\[\]<>&$|]|:(?=[A-Za-z:])|_+")
_BLOCK = re.compile(r"^(?:[#+=\-]|\d+(?=[.)]))")  # a heading, list or setext marker where a line starts
# rewritten by Streamlit's renderer on the parsed text (escapes resolved), so broken with a joiner
# remark-emoji, :material_x:, :streamlit: (digits alone name no emoji but 💯 and 🔢: "10:30:00" stays)
_SHORTCODE = re.compile(r":(?=(?![0-9]+:)[A-Za-z0-9_+\-]+:|100:|1234:|material/)")
_URL = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)(?=[-A-Za-z0-9_])")  # GFM bare links
_ARROW = re.compile(r"(?<!\S)(<->|->|<-|--|>=|<=|~=)(?!\S)")


def _joiners(text: str) -> str:
    text = _SHORTCODE.sub(":" + WJ, text)
    text = _URL.sub(WJ, text)
    return _ARROW.sub(lambda m: m.group(1)[0] + WJ + m.group(1)[1:], text)


def _escape(m: re.Match) -> str:
    s, text = m.group(), m.string
    if s[0] == "_" and 0 < m.start() and m.end() < len(text) and text[m.start() - 1].isalnum() \
            and text[m.end()].isalnum():
        return s  # inside a word: never emphasis
    return "".join("\\" + c for c in s)


def plain(value) -> str:
    """``value`` as text for any place Streamlit renders Markdown: shown exactly as typed (line
    breaks as spaces), never as Markdown, HTML, a directive, an icon or a link. ``None`` (and a
    missing number) is the empty string. Apply it once, to the value only — never to text that is
    meant to be Markdown, and not to what goes to a data frame or a select box."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    text = _INLINE.sub(_escape, _joiners(" ".join(str(value).split())))
    m = _BLOCK.match(text)
    if m:  # "# …", "- …", "+ …", "1. …" at the start: the marker's character escaped
        cut = m.end() if m.group().isdigit() else 0
        text = text[:cut] + "\\" + text[cut:]
    return text


def unjoined(text: str) -> str:
    """``text`` without the joiners :func:`plain` put in (what a reader copies, less the joiners)."""
    return text.replace(WJ, "")
