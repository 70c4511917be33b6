"""Each county's inspector tries another county's data through every door: the CLI verbs (read and
change, on every register with county data), the downloads, the URL parameters of every page in
Chromium. Everything is refused or comes back empty; nothing is changed."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from geo.declare import registry as S
from geo.engine import workflow
from geo.cli.main import main as geo_main
from tests.browser import login, wait_idle
from tests.conftest import DEMO_PASSWORDS

INSPECTORS = {"152224": "tuquan_inspector", "152223": "jalaid_inspector", "152221": "horqin_front_inspector",
              "152222": "horqin_mid_inspector", "152201": "ulanhot_inspector", "152202": "arxan_inspector"}
SCOPED = [k for k, lyr in S.LAYERS.items() if lyr.has("county_code") and k != "admin"]


def geo(*args) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = geo_main([str(a) for a in args])
    return code, out.getvalue() + err.getvalue()


def other_feature(store, layer: str, county: str):
    frame = store.read_layer(layer, columns=["county_code", "version", "status"], geometry=False)
    frame = frame[frame["county_code"].notna() & (frame["county_code"] != county)]
    return None if frame.empty else frame.iloc[0]


@pytest.mark.parametrize("county", sorted(INSPECTORS))
def test_the_cli_refuses_another_countys_records_to_each_inspector(demo_store, tmp_path, county):
    who = INSPECTORS[county]
    db = demo_store.url
    before = len(demo_store.events())
    for layer in SCOPED:
        feat = other_feature(demo_store, layer, county)
        if feat is None:
            continue
        fid = int(feat["id"])
        code, text = geo("history", "--layer", layer, "--id", fid, "--actor", who, "--db", db)
        assert code == 2 and "其他旗县" in text, (layer, text)
        lyr = S.layer(layer)
        text_field = next((f.name for f in lyr.fields if f.type == S.TEXT and not f.internal and not f.options
                           and not f.ref and f.name not in ("county_code", "county", "township")), None)
        if text_field:
            code, text = geo("edit", "--layer", layer, "--id", fid, "--field", f"{text_field}=改", "--actor", who,
                             "--db", db)
            assert code == 2 and ("其他旗县" in text or "只能查看" in text), (layer, text)
        moves = [t for t in workflow.machine(layer) if feat["status"] in t.src] \
            if lyr.transitions else []
        if moves:
            code, text = geo("transition", "--layer", layer, "--id", fid, "--to", moves[0].dst, "--actor", who,
                             "--db", db)
            assert code == 2, (layer, text)
        for op in lyr.operations:
            code, text = geo("op", "--layer", layer, "--id", fid, op.key, "--actor", who, "--db", db)
            assert code == 2, (layer, op.key, text)
        # lists and exports hold the inspector's county only
        code, text = geo("list", "--layer", layer, "--json", "--actor", who, "--db", db)
        assert code == 0 and all(r.get("county_code") in (county, None) for r in json.loads(text)), layer
        out = tmp_path / f"{layer}.geojson"
        if lyr.spatial:
            code, text = geo("export", "--layer", layer, "--format", "geojson", "--out", out, "--where",
                             f"id={fid}", "--json", "--actor", who, "--db", db)
            assert code == 0 and json.loads(text)["features"] == 0, layer
    # the figures and the documents of another county are refused
    code, text = geo("report", "--format", "xlsx", "--out", tmp_path / "x.xlsx", "--county",
                     next(c for c in INSPECTORS if c != county), "--actor", who, "--db", db)
    assert code == 2, text
    code, text = geo("stats", "--json", "--actor", who, "--db", db)
    data = json.loads(text)
    assert {r["county_code"] for r in data["by_county"] if r["total"]} <= {county}
    assert len(demo_store.events()) == before  # nothing was changed


def test_every_page_refuses_another_countys_record_by_url(shared_dashboard, page, shared_store):
    mine = "152224"
    login(page, shared_dashboard.url, INSPECTORS[mine], DEMO_PASSWORDS[INSPECTORS[mine]], path="")
    feat = other_feature(shared_store, "change", mine)
    page.goto(f"{shared_dashboard.url}/?id={int(feat['id'])}")
    wait_idle(page)
    page.get_by_text("其他旗县").first.wait_for(timeout=60_000)
    for layer in SCOPED:
        lyr = S.layer(layer)
        if not lyr.group:
            continue
        feat = other_feature(shared_store, layer, mine)
        if feat is None:
            continue
        page.goto(f"{shared_dashboard.url}/r-{layer}?id={int(feat['id'])}")
        wait_idle(page)
        page.get_by_role("heading", name=lyr.zh).first.wait_for(timeout=60_000)
        body = page.inner_text("body")
        assert "其他旗县" in body, layer  # the reason, not the record
    # the chief's view of another county's chief
    from geo.chief import chiefs

    people = chiefs.chiefs_list(shared_store)
    other = int(people[(people["level"] == "banner") & (people["county"] != "突泉县")]["holder_id"].iloc[0])
    page.goto(f"{shared_dashboard.url}/chief?chief={other}")
    wait_idle(page)
    page.get_by_text("其他旗县").first.wait_for(timeout=60_000)
    # the summary asked for another county shows only the inspector's own
    page.goto(f"{shared_dashboard.url}/summary?county=152223")
    wait_idle(page)
    assert "扎赉特旗" not in page.locator("[data-testid='stMain']").inner_text()
