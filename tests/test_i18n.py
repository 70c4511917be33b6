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
