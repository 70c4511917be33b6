"""The bulletin as printed: rendered to PDF by LibreOffice (headless) and measured with poppler's
``pdftotext -bbox-layout`` — at most 28 characters to a line and 22 lines to a page in the 版心, the title
on two lines broken after "兴安盟委", page numbers "— N —" 7 mm below the 版心 on the right of odd
pages and the left of even ones, the 版记 on the last page. (``scripts/render-docs.sh`` makes
page images of the same rendering to look at.)"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from geo.core.config import load_settings
from geo.docs.text import width
from geo.store import open_store
from tests.test_bulletin import SEED, SEED_DAY

ROOT = Path(__file__).resolve().parent.parent
MM = 72 / 25.4
PAGE_W, PAGE_H = 210 * MM, 297 * MM
TOP, BOTTOM, LEFT, RIGHT = 37 * MM, (297 - 35) * MM, 28 * MM, (210 - 26) * MM  # the 版心


@pytest.fixture(scope="module")
def pages(demo_master, tmp_path_factory):
    soffice = shutil.which("soffice")
    if not soffice or not shutil.which("pdftotext"):
        if os.environ.get("FOREST_REQUIRE_BROWSER") or os.environ.get("FOREST_REQUIRE_PG"):
            pytest.fail("libreoffice-writer and poppler-utils are required by the test command "
                        "(scripts/system-deps.sh installs them)")
        pytest.skip("LibreOffice or poppler-utils not installed (run the suite with `make test`)")
    from geo.report import write_report

    tmp = tmp_path_factory.mktemp("pdf")
    base = load_settings(env={"FOREST_CONFIG": str(tmp / "none.toml")})
    docx_path = write_report(open_store(str(demo_master)), "docx", tmp / "bulletin.docx",
                             settings=dataclasses.replace(base, bulletin=SEED), as_of=SEED_DAY)
    env = {**os.environ, "FONTCONFIG_FILE": str(ROOT / "scripts" / "fonts.conf")}
    profile = tmp / "profile"
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{profile}", "--convert-to", "pdf",
                    "--outdir", str(tmp), str(docx_path)], check=True, capture_output=True, timeout=300, env=env)
    html = tmp / "bulletin.html"
    subprocess.run(["pdftotext", "-bbox-layout", str(tmp / "bulletin.pdf"), str(html)], check=True, timeout=120)
    return _lines(html.read_text(encoding="utf-8"))


def _lines(html: str) -> list[list[dict]]:
    """Per page, its text lines: text (words joined) and box."""
    out = []
    for page in re.findall(r"<page [^>]*>(.*?)</page>", html, re.S):
        lines = []
        for attrs, body in re.findall(r"<line ([^>]*)>(.*?)</line>", page, re.S):
            box = {k: float(v) for k, v in re.findall(r'(\w+)="([\d.]+)"', attrs)}
            words = re.findall(r"<word [^>]*>(.*?)</word>", body, re.S)
            lines.append({"text": "".join(words), "spaced": " ".join(words), **box})
        out.append(lines)
    return out


def _body(lines: list[dict]) -> list[dict]:
    return [ln for ln in lines if TOP - 2 <= ln["yMin"] and ln["yMax"] <= BOTTOM + 2]


def test_the_pages_follow_the_grid(pages):
    assert len(pages) >= 4
    text_pages = [p for p in pages if not any(ln["text"].startswith("附件") and len(ln["text"]) <= 3 for ln in p)]
    widths = [width(ln["text"]) for p in text_pages for ln in _body(p)]
    # never more than the 28 characters of the grid on a line (a digit is half a character; a full
    # stop may hang at the end of a line). Word's character grid puts exactly 28 on a full line;
    # LibreOffice, which ignores the grid for these paragraphs, 27 (see geo.docs.layout.CONDENSE;
    # the grid itself is checked in tests/test_report.py)
    assert 27 <= max(widths) <= 28.5, sorted(widths)[-5:]
    counts = [len({round(ln["yMin"]) for ln in _body(p)}) for p in text_pages[1:-1]]
    assert max(counts) == 22 and all(n <= 22 for n in counts), counts  # 22 lines to a page
    pitch = sorted({round(ln["yMin"], 1) for ln in _body(text_pages[1])})
    steps = {round(b - a, 1) for a, b in zip(pitch, pitch[1:])}
    assert steps <= {28.9, 29.0, 57.9, 58.0}, steps  # lines 28.95 pt apart


def test_the_title_breaks_at_a_point_of_meaning(pages):
    first = [ln["text"] for ln in pages[0]]
    i = first.index("中共兴安盟林业和草原局党组关于兴安盟委")
    assert first[i + 1] == "第四轮（专项）巡察整改进展情况的通报"
    assert first[0] == "中共兴安盟林业和草原局党组" and first[1].startswith("兴林草党字〔2023〕41")


def test_page_numbers_odd_right_even_left_below_the_text_block(pages):
    for n, lines in enumerate(pages, start=1):
        nums = [ln for ln in lines if re.fullmatch(r"—\s*\d+\s*—", ln["spaced"])]
        assert len(nums) == 1, (n, [ln["spaced"] for ln in lines[-3:]])
        ln = nums[0]
        assert int(re.search(r"\d+", ln["text"]).group()) == n
        middle = (ln["yMin"] + ln["yMax"]) / 2  # where the 一字线 is drawn
        assert abs(middle - (BOTTOM + 7 * MM)) < 1.5 * MM, (n, middle)
        if n % 2:  # odd: one character (14 pt) from the right edge of the 版心
            assert abs(ln["xMax"] - (RIGHT - 14)) < 2, (n, ln)
        else:
            assert abs(ln["xMin"] - (LEFT + 14)) < 2, (n, ln)


def test_the_record_is_on_the_last_page(pages):
    last = pages[-1]
    assert any(ln["text"].startswith("抄送：盟委第三巡察组") for ln in last)
    printer = next(ln for ln in last if ln["text"] == "兴安盟林业和草原局办公室")
    date = next(ln for ln in last if ln["text"] == "2023年12月9日印发")
    assert abs(printer["yMin"] - date["yMin"]) < 1  # one line: the printer on the left, the date on the right
    assert abs(printer["xMin"] - (LEFT + 14)) < 2 and abs(date["xMax"] - (RIGHT - 14)) < 2
