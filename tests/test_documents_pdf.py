"""The four documents as printed — the 督办单 and 提示单 to chiefs, the weekly brief and the bulletin —
rendered to PDF by LibreOffice (headless, the project's font substitutions) and read page by page
with ``pdftotext -layout``: no page holds only the 落款 (issuer and date), and no page holds only a
table's last row (the repeated header row and the page number aside). Among them, the league
chief's 督办单 cut to every length of its polygon list, so that for some lengths the list ends at
the foot of a page and, without :func:`geo.docs.layout.keep_lead_in`, the 落款 falls alone onto
the next one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from docx import Document

from geo.change import escalation as E
from geo.core.config import load_settings
from geo.core.timeutil import today_local
from geo.report import brief as B
from geo.store import open_store
from tests.test_bulletin import SEED, SEED_DAY

ROOT = Path(__file__).resolve().parent.parent
PAGE_NUMBER = re.compile(r"—\s*\d+\s*—")


def _tools() -> str:
    soffice = shutil.which("soffice")
    if not soffice or not shutil.which("pdftotext"):
        if os.environ.get("FOREST_REQUIRE_BROWSER") or os.environ.get("FOREST_REQUIRE_PG"):
            pytest.fail("libreoffice-writer and poppler-utils are required by the test command "
                        "(scripts/system-deps.sh installs them)")
        pytest.skip("LibreOffice or poppler-utils not installed (run the suite with `make test`)")
    return soffice


def _chars(text: str) -> Counter:
    return Counter(ch for ch in text if not ch.isspace())


def _documents(store, tmp: Path) -> dict[str, bytes]:
    """name → .docx bytes of every document checked here."""
    today = today_local()
    settings = load_settings(env={"FOREST_CONFIG": str(tmp / "none.toml")})
    frame = E.escalations(store, today=today, settings=settings)
    items = E.overdue_items(store, today, settings)
    groups = E.by_chief(frame, items)
    assert groups and groups[0]["notice"] == "督办单" and len(groups[0]["polygons"]) >= 10, \
        "the demo store has a league chief's 督办单 with a long list"
    docs = {f"notice{k}_{g['notice']}": E.notice_docx(g, settings, today, k) for k, g in enumerate(groups, start=1)}
    league = groups[0]
    for n in range(1, len(league["polygons"])):  # the 督办单 at every length of its list
        cut = {**league, "polygons": league["polygons"].head(n)}
        docs[f"league_{n:03d}_督办单"] = E.notice_docx(cut, settings, today, 1)
    batches = store.batches("change")
    cur = batches[batches["source"] != "自动检测"].sort_values("issued_on").iloc[-1]
    due = dt.date.fromisoformat(str(cur["verify_deadline"])[:10])
    docs["brief"] = B.brief_docx(B.brief(store, due + dt.timedelta(days=1), settings=settings, today=today), settings)
    from geo.report.bulletin import bulletin

    for tables in ("attachment", "inline"):
        docs[f"bulletin_{tables}"] = bulletin(store, as_of=SEED_DAY, settings=dataclasses.replace(
            settings, bulletin={**SEED, "tables": tables}))
    return docs


def _signature(doc) -> list[str]:
    """The 落款's lines: the last two paragraphs with text before the 版记 or the first 附件."""
    texts = []
    for p in doc.paragraphs:
        if p.paragraph_format.page_break_before:
            break
        if p.text.strip():
            texts.append(p.text.strip())
    return texts[-2:]


@pytest.fixture(scope="module")
def pages(demo_master, tmp_path_factory) -> dict[str, dict]:
    """name → its 落款, its tables' header and last rows, and the text of each page."""
    soffice = _tools()
    tmp = tmp_path_factory.mktemp("documents")
    docs = _documents(open_store(str(demo_master)), tmp)
    src = tmp / "docx"
    src.mkdir()
    for name, data in docs.items():
        (src / f"{name}.docx").write_bytes(data)
    env = {**os.environ, "FONTCONFIG_FILE": str(ROOT / "scripts" / "fonts.conf")}
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp / 'profile'}", "--convert-to", "pdf",
                    "--outdir", str(tmp / "pdf"), *sorted(str(p) for p in src.glob("*.docx"))],
                   check=True, capture_output=True, timeout=900, env=env)
    out = {}
    for name, data in docs.items():
        doc = Document(io.BytesIO(data))
        pdf = tmp / "pdf" / f"{name}.pdf"
        info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
        count = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        texts = [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(pdf), "-"], check=True,
                                capture_output=True, text=True).stdout for n in range(1, count + 1)]
        tables = [([c.text for c in t.rows[0].cells], [c.text for c in t.rows[-1].cells])
                  for t in doc.tables if len(t.rows) >= 2 and t.style is not None and t.style.name == "Table Grid"]
        out[name] = {"sign": _signature(doc), "tables": tables, "pages": texts, "pdf": pdf}
    return out


def lonely(page: str, sign: list[str], tables: list[tuple[list[str], list[str]]]) -> str | None:
    """Why ``page`` holds nothing but the 落款 or a table's last row (None when it holds more)."""
    lines = [ln for ln in page.splitlines() if ln.strip() and not PAGE_NUMBER.fullmatch(ln.strip())]
    rest = _chars("".join(lines))
    for header, _ in tables:  # the header row repeated at the top of a page continuing a table
        head = _chars("".join(header))
        if head and not head - rest:
            rest -= head
    signed = False
    for text in sign:
        c = _chars(text)
        if c and not c - rest:
            rest -= c
            signed = True
    if not rest:
        return "only the 落款" if signed else "nothing but the page number"
    for _, last in tables:
        if rest == _chars("".join(last)):
            return "only a table's last row" + (" and the 落款" if signed else "")
    return None


def test_no_page_holds_only_the_signature_or_a_tables_last_row(pages):
    bad = []
    for name, doc in pages.items():
        assert len(doc["sign"]) == 2 and re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", doc["sign"][1]), (name, doc["sign"])
        for n, page in enumerate(doc["pages"], start=1):
            why = lonely(page, doc["sign"], doc["tables"])
            if why:
                bad.append(f"{name} page {n}/{len(doc['pages'])}: {why}: {' '.join(page.split())[:120]}")
    assert not bad, "\n".join(bad)


def test_the_documents_are_long_enough_to_break(pages):
    """The check above means something: the 督办单 runs over several pages at its full length, and
    the lengths tried put the end of its list on each part of a page."""
    league = sorted(k for k in pages if k.startswith("league_"))
    counts = [len(pages[k]["pages"]) for k in league]
    assert max(counts) >= 3 and min(counts) <= 2, counts
    assert len(pages["brief"]["pages"]) == 1
    assert len(pages["bulletin_attachment"]["pages"]) >= 4


def test_the_checker_sees_a_lonely_signature_and_a_lonely_row():
    sign = ["兴安盟林长制办公室", "2026年12月8日"]
    tables = [(["序号", "图斑编号", "逾期天数"], ["17", "15220220260200277", "30"])]
    assert lonely("   兴安盟林长制办公室\n    2026 年 12 月 8 日\n\n   — 3 —\n", sign, tables) == "only the 落款"
    assert lonely("序 图斑编号 逾期\n号          天数\n17  15220220260200277  30\n— 2 —", sign, tables) \
        == "only a table's last row"
    assert lonely("序 图斑编号 逾期\n号          天数\n16  15220220260200276  30\n17  15220220260200277  30\n"
                  "兴安盟林长制办公室\n2026 年 12 月 8 日\n— 2 —", sign, tables) is None
    assert lonely("一、本周办理情况。本周共下发0个。\n兴安盟林长制办公室\n2026 年 12 月 8 日", sign, tables) is None
