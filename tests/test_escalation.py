"""Escalation to the next chief and the 林长令 register, on the demo store: the escalation list and
each 督办单/提示单's contents against an independent count from the database; overdue responses
to chiefs' orders flagged, answered, and counted as of a date."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from docx import Document

from geo.change import escalation as E
from geo.chief.orders import respond, status_of_zones
from geo.core.config import load_settings
from geo.core.errors import PermissionDenied
from geo.engine.figures import figures_of
from geo.declare import registry as S
from geo.access.auth import Access
from geo.core.timeutil import today_local
from tests.review_support import geo_cli

VERIFY, RECTIFY = ("issued", "verifying"), ("verified", "case_filed", "penalized", "rectifying", "rectified", "returned")


def independent(store, today):
    """Overdue polygons and the chief each goes to, from SQL and the rules written here again:
    30 days overdue → the banner (county) chief, 90 → the league chief."""
    with store.transaction(write=False) as tx:
        # official batches only: automatic detection (source 自动检测) is a candidate unless promoted
        batches = {int(i): (v, r) for i, v, r, purpose, source in tx.query(
            "SELECT id, verify_deadline, rectify_deadline, purpose, source FROM batches")
            if (purpose or ("candidate" if str(source or "").startswith("自动检测") else "official")) == "official"}
        rows = tx.query("SELECT id, polygon_no, status, deadline, batch_id, zones, county_code, flags "
                        "FROM change_polygons")
        chiefs = {int(z): n for z, n in tx.query(
            "SELECT zone_id, holder_name FROM posts WHERE role = 'chief' AND status = 'filled' ORDER BY id DESC")}
        league = tx.query_one("SELECT id FROM zones WHERE level = 'league'")[0]
        banner = dict(tx.query("SELECT county_code, id FROM zones WHERE level = 'banner'"))
    out = {}
    for fid, no, status, own, bid, zones, code, flags in rows:
        if flags and json.loads(flags).get("outside_jurisdiction"):
            continue  # not this league's to escalate
        if bid is None or int(bid) not in batches:
            continue
        v, r = batches[int(bid)]
        due = v if status in VERIFY else (own or r) if status in RECTIFY else None
        if not due:
            continue
        days = (today - dt.date.fromisoformat(str(due)[:10])).days
        if days < 30:
            continue
        level = "league" if days >= 90 else "banner"
        zone = json.loads(zones)[level] if zones else (league if level == "league" else banner.get(code))
        out[int(fid)] = (level, chiefs.get(int(zone)) if zone is not None else None, no, days)
    return out


def test_the_escalation_list_matches_an_independent_count(demo_store):
    today = today_local()
    settings = load_settings()
    frame = E.escalations(demo_store, today=today, settings=settings)
    expected = independent(demo_store, today)
    assert len(frame) == len(expected) > 0
    got = {int(r["id"]): (r["level"], r["chief_name"], r["polygon_no"], r["days_overdue"])
           for r in frame.to_dict("records")}
    assert got == expected
    assert set(frame["notice"][frame["level"] == "league"]) == {"督办单"}
    assert set(frame["notice"][frame["level"] == "banner"]) == {"提示单"}
    groups = E.by_chief(frame, E.overdue_items(demo_store, today, settings))
    per_chief = {}
    for fid, (level, chief, _, _) in expected.items():
        per_chief.setdefault(chief, set()).add(fid)
    assert {g["chief_name"]: set(g["polygons"]["id"].astype(int)) for g in groups if len(g["polygons"])} == per_chief
    assert groups[0]["level"] == "league"  # the league chief first


def test_each_notice_holds_its_polygons_in_the_bulletin_layout(demo_store, tmp_path):
    today = today_local()
    settings = load_settings()
    frame = E.escalations(demo_store, today=today, settings=settings)
    items = E.overdue_items(demo_store, today, settings)
    expected = independent(demo_store, today)
    for k, g in enumerate(E.by_chief(frame, items), start=1):
        data = E.notice_docx(g, settings, today, k)
        text = E.text_of_docx(data)
        mine = {fid: v for fid, v in expected.items() if v[1] == g["chief_name"]}
        assert f"林长制工作{g['notice']}" in text and f"{g['chief_name']}同志" in text
        assert f"有{len(mine)}个变化图斑整改逾期" in text
        for fid, (_, _, no, days) in mine.items():
            assert f"{no}\t" in text and f"\t{days}\t" in text
        doc = Document(io.BytesIO(data))
        table = doc.tables[0]
        assert len(table.rows) == len(mine) + 1  # header + one row per polygon
        sec = doc.sections[0]
        assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
        assert (round(sec.top_margin.mm), round(sec.left_margin.mm)) == (37, 28)
        title = doc.paragraphs[0].runs[0]
        assert title.text.startswith("林长制工作") and title.font.size.pt == 22.0
        assert title._element.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") \
            == "方正小标宋简体"
        if g["level"] == "league" and len(items):
            assert f"{len(items)}项整改事项" in text and len(doc.tables) == 2


def test_the_cli_writes_one_notice_per_chief(demo_path, tmp_path):
    listed = json.loads(geo_cli("escalation", "list", "--json", db=demo_path, check=0).stdout)
    out = json.loads(geo_cli("escalation", "notices", "--out", tmp_path / "notices", "--json", db=demo_path,
                             check=0).stdout)
    assert len(out["written"]) == len(listed) > 0
    assert all(p.endswith(".docx") for p in out["written"])


def test_a_county_account_sees_only_its_own_escalations(demo_store):
    from geo.access.scope import ScopedStore

    today = today_local()
    mine = E.escalations(ScopedStore(demo_store, Access("tq", "inspector", frozenset({"152224"}))), today=today)
    assert len(mine) and set(mine["county_code"]) == {"152224"}


# ------------------------------------------------------------------------------ 林长令
def late_order(store):
    orders = store.read_layer("order", geometry=False)
    today = today_local()
    for rec in orders.to_dict("records"):
        zones = status_of_zones(store, rec, today)
        if any(z["overdue"] for z in zones):
            return rec, zones
    raise AssertionError("the demo has an order with an overdue response")


def test_overdue_responses_are_flagged_answered_and_counted(demo_store):
    rec, zones = late_order(demo_store)
    late = [z for z in zones if z["overdue"]]
    assert len(late) == 1 and late[0]["county_code"] == "152222"
    fig = figures_of(demo_store, S.layer("order"))
    assert fig["responses_overdue"]["total"] == 1 and fig["responses_overdue"]["by_county"] == {"152222": 1}
    assert fig["overdue"]["total"] == 1  # the order itself is past its deadline and open
    with pytest.raises(PermissionDenied):  # another county cannot answer for 科右中旗
        respond(demo_store, rec["id"], late[0]["zone_id"], "已办", actor="tq",
                access=Access("tq", "inspector", frozenset({"152224"})))
    respond(demo_store, rec["id"], late[0]["zone_id"], "已完成逾期图斑督办，整改销号情况已书面报告", actor="horqin_mid_inspector",
            access=Access("horqin_mid_inspector", "inspector", frozenset({"152222"})))
    after = demo_store.get_feature("order", rec["id"])
    assert after["status"] == "done"  # every addressed zone has answered
    assert not any(z["overdue"] for z in status_of_zones(demo_store, after, today_local()))
    assert figures_of(demo_store, S.layer("order"))["responses_overdue"]["total"] == 0
    # as of yesterday the response had not come
    yesterday = today_local() - dt.timedelta(days=1)
    past = figures_of(demo_store, S.layer("order"), as_of=yesterday)
    assert past["responses_overdue"]["total"] == 1
    assert demo_store.history("order", rec["id"])[-1]["action"] == "respond"


def test_orders_are_a_register_with_its_cli(demo_path):
    listed = json.loads(geo_cli("list", "--layer", "order", "--json", db=demo_path, check=0).stdout)
    assert len(listed) == 3 and all(r["order_no"].startswith("兴林长令") for r in listed)
    rec = next(r for r in listed if r["status"] == "open")
    refused = geo_cli("add", "--layer", "order", "--actor", "staff", "--field", "order_no=兴林长令〔2026〕9号",
                      "--field", "issued_on=2026-01-05", "--field", "subject=测试", "--field", "deadline=2026-02-01",
                      "--field", "addressed=不存在的责任区", db=demo_path, check=2)
    assert "不存在的责任区" in refused.stderr
    assert rec["addressed"]
