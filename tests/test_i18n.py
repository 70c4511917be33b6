"""Every UI string a page asks for exists in Chinese and English (a missing key would show the key
itself, e.g. ``up.col.batch``, to the user), and the two languages take the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

from dashboard.i18n import STRINGS

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard"
# t("key") / t('key')
CALL = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""")


def test_every_key_used_by_a_page_is_translated():
    missing = {}
    for path in DASHBOARD.rglob("*.py"):
        for key in CALL.findall(path.read_text(encoding="utf-8")):
            if key not in STRINGS:
                missing.setdefault(key, path.name)
    assert not missing, missing


def test_both_languages_take_the_same_placeholders():
    def fields(text):
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    for key, (zh, en) in STRINGS.items():
        assert (zh.strip() and en.strip()) or key == "sum.placeholder", key
        assert fields(zh) == fields(en), key


def _calls(name: str):
    """Every call ``….name(…)`` in the dashboard, as (file, line, {keyword: ast value})."""
    import ast

    for path in DASHBOARD.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name:
                yield path.name, node.lineno, {k.arg: k.value for k in node.keywords if k.arg}


def test_streamlit_widgets_get_their_chinese_arguments():
    """Texts Streamlit draws unless told otherwise: a data grid writes "None" in an empty cell
    (``placeholder=""``), a multiselect offers "Select all" (``select_all=False``), a select box
    with nothing chosen says "Choose an option" (``placeholder=…``)."""
    import ast

    bad = []
    for f, line, kw in _calls("dataframe"):
        if not (isinstance(kw.get("placeholder"), ast.Constant) and kw["placeholder"].value == ""):
            bad.append(f"{f}:{line} dataframe without placeholder=\"\"")
    for f, line, kw in _calls("multiselect"):
        if not (isinstance(kw.get("select_all"), ast.Constant) and kw["select_all"].value is False):
            bad.append(f"{f}:{line} multiselect without select_all=False")
        if "placeholder" not in kw:
            bad.append(f"{f}:{line} multiselect without placeholder")
    for f, line, kw in _calls("selectbox"):
        empty = isinstance(kw.get("index"), ast.Constant) and kw["index"].value is None
        if (empty or "accept_new_options" in kw) and "placeholder" not in kw:
            bad.append(f"{f}:{line} selectbox that can be empty without placeholder")
    for f, line, kw in _calls("date_input"):
        # Streamlit's default is the server's "today", which may be UTC's: a value, or a key whose
        # state the page sets first (summary.py: geo.core.timeutil.today_local())
        if "value" not in kw and "key" not in kw:
            bad.append(f"{f}:{line} date_input without value= (defaults to the server's date)")
    assert not bad, bad


def test_every_ui_string_is_defined_once():
    """The UI strings live in one module per part of the app (dashboard.i18n.PARTS): a key defined in
    two of them would show whichever came last, silently."""
    from collections import Counter

    from dashboard.i18n import PARTS

    twice = sorted(k for k, n in Counter(k for part in PARTS for k in part.STRINGS).items() if n > 1)
    assert twice == []
