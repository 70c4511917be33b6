"""The weekly brief on the demo store: the week's counts and what became overdue against counts
made here from the raw history, the three counties most behind, links back to the polygons, and a
Word page that fits on one page."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from docx import Document

from geo.access.auth import Access
from geo.core.config import load_settings
from geo.report import brief as B
from geo.access.scope import ScopedStore
from geo.core.timeutil import end_of_local_day_utc, to_utc_text, today_local
from tests.review_support import geo_cli

ROOT = Path(__file__).resolve().parent.parent
VERIFY = ("issued", "verifying")
RECTIFY = ("verified", "case_filed", "penalized", "rectifying", "rectified", "returned")


def _utc(v):
    return v if isinstance(v, str) else to_utc_text(v)


def counted(store) -> set[int]:
    """The polygons every figure counts, from SQL: those of official batches (automatic detection,
    source 自动检测, is a candidate unless its purpose says otherwise) in the admin layer's counties."""
    with store.transaction(write=False) as tx:
        official = {int(i) for i, purpose, source in tx.query("SELECT id, purpose, source FROM batches")
                    if (purpose or ("candidate" if str(source or "").startswith("自动检测") else "official"))
                    == "official"}
        counties = {c for (c,) in tx.query("SELECT code FROM admin_units WHERE level = 'county'")}
        rows = tx.query("SELECT id, batch_id, county_code FROM change_polygons")
    return {int(i) for i, b, c in rows if b is not None and int(b) in official and c in counties}


def week_counts(store, start, end):
    ev = store.events("change")
    ev = ev[ev["feature_id"].astype(int).isin(counted(store))]
    lo, hi = end_of_local_day_utc(start - dt.timedelta(days=1)), end_of_local_day_utc(end)
    ev = ev[[lo <= _utc(a) < hi for a in ev["at"]]]
    tr = ev[ev["action"] == "transition"]
    return {
        "issued": int((ev["action"] == "import").sum()),
        "verified": int((tr["to_status"] == "verified").sum()),
        "applied": int((tr["to_status"] == "applied").sum()),
        "approved": int((tr["from_status"].isin(["applied", "reviewed"]) & tr["to_status"].isin(["closed", "reviewed"])).sum()),
        "sent_back": int((tr["to_status"] == "returned").sum()),
        "closed": int((tr["to_status"] == "closed").sum()),
    }


def became_overdue(store, start, end):
    """Replay each polygon to the week's end from its events; due dates from its batch or its own."""
    hi = end_of_local_day_utc(end)
    batches = store.batches("change")
    dl = {int(i): (v, r) for i, v, r in zip(batches["id"], batches["verify_deadline"], batches["rectify_deadline"])}
    polys = store.read_layer("change", columns=["batch_id", "deadline"], geometry=False)
    ev = store.events("change")
    ev = ev[[_utc(a) < hi for a in ev["at"]] & ev["feature_id"].astype(int).isin(counted(store)).to_numpy()]
    last = min(end, today_local()) - dt.timedelta(days=1)  # overdue by the day the brief is made
    out = set()
    for fid, part in ev.groupby("feature_id"):
        status = part["to_status"].iloc[-1]
        own = None
        for f in part["fields"]:
            if f and '"deadline"' in f:
                own = json.loads(f)["deadline"]
        row = polys[polys["id"] == fid].iloc[0]
        v, r = dl.get(int(row["batch_id"]), (None, None))
        due = v if status in VERIFY else (own or r) if status in RECTIFY else None
        if due and (start - dt.timedelta(days=1)).isoformat() <= str(due)[:10] <= last.isoformat():
            out.add(int(fid))
    return out


def test_the_weeks_counts_match_the_history(demo_store):
    today = today_local()
    for back in (16, 9, 2):  # the demo's review weeks
        day = today - dt.timedelta(days=back)
        b = B.brief(demo_store, day, today=today)
        assert b["start"] <= day <= b["end"] and b["start"].weekday() == 0
        assert b["counts"] == week_counts(demo_store, b["start"], b["end"])
    busy = B.brief(demo_store, today - dt.timedelta(days=16), today=today)["counts"]
    assert busy["sent_back"] + busy["approved"] > 0


def test_what_became_overdue_that_week(demo_store):
    batches = demo_store.batches("change")
    cur = batches[batches["source"] != "自动检测"].sort_values("issued_on").iloc[-1]  # the newest official one
    due = dt.date.fromisoformat(str(cur["verify_deadline"])[:10])
    b = B.brief(demo_store, due + dt.timedelta(days=1), today=today_local())
    ids = set(b["became_overdue"]["id"].astype(int))
    assert ids == became_overdue(demo_store, b["start"], b["end"]) and len(ids) > 0
    assert all(link.endswith(f"/?id={i}") for i, link in zip(b["became_overdue"]["id"], b["became_overdue"]["link"]))
    heads = [h for h, _ in B.sentences(b)]
    assert heads == ["一、本周办理情况。", "二、本周新增逾期。", "三、进度滞后的旗县。"]
    assert f"本周新转为逾期的变化图斑{len(ids)}个" in B.sentences(b)[1][1]


def test_the_three_counties_most_behind(demo_store):
    from geo.stats import summary as stats

    today = today_local()
    b = B.brief(demo_store, today - dt.timedelta(days=7), today=today)
    fig = stats.summary(demo_store, as_of=b["end"], today=b["end"], use_cache=False)
    rows = sorted([r for r in fig["by_county"] if r["total"]],
                  key=lambda r: (-(r["overdue"] or 0), r["closed_pct"] if r["closed_pct"] is not None else 999))
    assert [r["county_code"] for r in b["behind"]] == [r["county_code"] for r in rows[:3]]
    text = B.sentences(b)[2][1]
    assert all(r["county"] in text for r in b["behind"])


def test_the_word_brief_is_one_page_with_links(demo_store, tmp_path):
    batches = demo_store.batches("change")
    cur = batches[batches["source"] != "自动检测"].sort_values("issued_on").iloc[-1]
    due = dt.date.fromisoformat(str(cur["verify_deadline"])[:10])
    settings = load_settings()
    b = B.brief(demo_store, due + dt.timedelta(days=1), settings=settings, today=today_local())
    doc = Document(io.BytesIO(B.brief_docx(b, settings)))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "林长制整改工作周报" and texts[1] == B.week_label(b["start"], b["end"])
    assert len(doc.tables) == 1 and len(doc.tables[0].rows) == min(B.LIST_MAX, len(b["became_overdue"])) + 1
    links = [r.target_ref for r in doc.part.rels.values() if r.reltype.endswith("/hyperlink")]
    shown = b["became_overdue"].head(B.LIST_MAX)
    assert sorted(links) == sorted(f"{settings.review.app_url.rstrip('/')}/?id={int(i)}" for i in shown["id"])
    # one page, as LibreOffice lays it out with the project's font substitutions (scripts/fonts.conf)
    assert pdf_pages(B.brief_docx(b, settings), tmp_path) == 1


def pdf_pages(data: bytes, tmp) -> int:
    soffice = shutil.which("soffice")
    if not soffice or not shutil.which("pdfinfo"):
        if os.environ.get("FOREST_REQUIRE_BROWSER") or os.environ.get("FOREST_REQUIRE_PG"):
            pytest.fail("libreoffice-writer and poppler-utils are required by the test command")
        pytest.skip("LibreOffice or poppler-utils not installed (run the suite with `make test`)")
    src = tmp / "brief.docx"
    src.write_bytes(data)
    env = {**os.environ, "FONTCONFIG_FILE": str(ROOT / "scripts" / "fonts.conf")}
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp / 'profile'}", "--convert-to", "pdf",
                    "--outdir", str(tmp), str(src)], check=True, capture_output=True, timeout=300, env=env)
    info = subprocess.run(["pdfinfo", str(tmp / "brief.pdf")], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def test_a_county_account_gets_its_county_only(demo_store):
    today = today_local()
    day = today - dt.timedelta(days=16)
    mine = B.brief(ScopedStore(demo_store, Access("tq", "inspector", frozenset({"152224"}))), day, today=today)
    everyone = B.brief(demo_store, day, today=today)
    assert all(r["county_code"] == "152224" for r in mine["behind"])
    assert sum(mine["counts"].values()) <= sum(everyone["counts"].values())


def test_the_cli_writes_the_brief(demo_path, tmp_path):
    out = tmp_path / "周报.docx"
    res = json.loads(geo_cli("brief", "--format", "docx", "--out", out, "--json", db=demo_path, check=0).stdout)
    assert out.exists() and res["out"] == str(out)
    data = json.loads(geo_cli("brief", "--json", db=demo_path, check=0).stdout)
    assert set(data["counts"]) == {"issued", "verified", "applied", "approved", "sent_back", "closed"}
