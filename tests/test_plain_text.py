"""User text as text (issue 20): what :func:`dashboard.components.text.plain` gives Streamlit reads,
once Markdown has resolved its escapes, exactly as the user typed it — and ordinary names are given
unchanged, so a label reads (and is named, for a screen reader) as before. That Streamlit makes
nothing of it is shown in Chromium: tests/test_plain_text_browser.py."""

from __future__ import annotations

import re

import pytest

from dashboard.components.text import WJ, plain, unjoined

TYPED = [
    "![x](/signin?x=1) [点我](http://example.invalid/) :red[红字] <img src=/signin?y=1> <b>粗</b> {{ 7*7 }}",
    ":material/home: :material_home: :smile: :+1: :streamlit: 10:30:00 :100:",
    "a -> b <- c <-> d -- e >= f <= g ~= h",
    "http://example.invalid/x www.example.invalid a@example.invalid <https://example.invalid>",
    "`code` **bold** __b__ *i* _i_ ~~s~~ ~s~ $x^2$ $$y$$ &amp; &#60; \\*kept\\* back\\slash",
    ":blue-badge[b] :color[c]{foreground=\"red\"} ::x :::y [a][b] [^1]",
    "EPSG:4326 PAN_NO_TB a_b_c _x_ a _b_ c snake_ __init__ :x a:b 10:30",
    "# h1", "## h2", "- item", "+ item", "* item", "1. one", "22) two", "> quote", "---", "=== x", "| a | b |",
    "第一行\n\n    第二行（缩进）\n- 第三行",
]


def shown(markdown: str) -> str:
    """What CommonMark shows of ``markdown`` that holds no syntax: its escapes resolved."""
    return unjoined(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown))


@pytest.mark.parametrize("typed", TYPED)
def test_what_is_shown_is_what_was_typed(typed):
    assert shown(plain(typed)) == " ".join(typed.split())


def unescaped(markdown: str) -> set[str]:
    """The characters of ``markdown`` that can open inline syntax where they stand and are not
    escaped (``_`` inside a word and ``:`` before anything but a directive's name cannot)."""
    out, i = set(), 0
    while i < len(markdown):
        c, before, after = markdown[i], markdown[i - 1:i], markdown[i + 1:i + 2]
        if c == "\\":
            i += 2
            continue
        if c in "`*~[]<>&$|" or (c == ":" and re.match(r"[A-Za-z:]", after)) or \
                (c == "_" and not (before.isalnum() and after.isalnum())):
            out.add(c)
        i += 1
    return out


@pytest.mark.parametrize("typed", TYPED)
def test_syntax_is_escaped(typed):
    assert not unescaped(plain(typed))


def test_block_markers_are_escaped_and_rewrites_broken():
    assert WJ in plain("http://example.invalid") and WJ in plain(":smile:") and WJ in plain("a -> b")
    assert plain("# h") == "\\# h" and plain("1. one") == "1\\. one" and plain("- x") == "\\- x"


@pytest.mark.parametrize("name", [
    "突泉县", "兴林草罚决字〔2024〕第001号", "变化图斑(2024).zip", "A-12 号牌", "PAN_NO_TB", "WGS 84 经纬度 · EPSG:4326",
    "10:30:00", "图斑_2024.shp", "第 3 次申报，累计 1 次", "林草长制办公室 · 局党组书记"])
def test_ordinary_names_are_given_unchanged(name):
    assert plain(name) == name


def test_nothing_is_the_empty_string():
    assert plain(None) == "" and plain(float("nan")) == "" and plain("") == "" and plain(0) == "0"
