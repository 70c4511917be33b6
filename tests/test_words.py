"""Issue 22, "the bureau's words" and figures that agree with themselves: no configuration key,
file name or English citation for a user who is not an administrator; the chief's 待办 apart from
台账; the boards' 信息过期 count follows a post's change; patrols by level add up to the total; the
upload check's 提示 count is the list's; the enterprise sample says why it differs from the share."""

from __future__ import annotations

import re

import pandas as pd

from geo.access.auth import Access
from geo.access.scope import ScopedStore
from geo.engine import overview as O

TUQUAN = "152224"
INSPECTOR = Access("tuquan_inspector", "inspector", frozenset({TUQUAN}))
LEADER = Access("leader", "leader", None)
ADMIN = Access("admin", "admin", None)


def _texts(panels) -> str:
    out = []
    for p in panels:
        if isinstance(p, (O.Notice, O.Note)):
            out.append(p.text)
        elif isinstance(p, O.Metrics):
            out += [p.title, *(f"{a} {b}" for a, b in p.items)]
        elif isinstance(p, O.Table):
            out += [p.title, p.frame.to_csv(index=False)]
        elif isinstance(p, O.Choropleth):
            out += [p.title, p.legend]
    return "\n".join(out)


# ---------------------------------------------------------------- 1. keys and file names
def test_the_carbon_page_names_its_sources_in_chinese_and_no_file_for_a_user(demo_store):
    from geo.carbon import carbon

    for access in (LEADER, INSPECTOR):
        text = _texts(carbon.panels(ScopedStore(demo_store, access), {"lang": "zh", "access": access}))
        assert "《2006年IPCC国家温室气体清单指南》" in text and "《造林项目碳汇计量监测指南》" in text
        for machine in ("factors.csv", "sources.csv", "ipcc_grass_dry", "ipcc_grass_wet", "national：",
                        "IPCC 2006 Guidelines", "carbon_factors"):
            assert machine not in text, (access.role, machine)
    # the administrator, who replaces the table, is told the file and the codes in small print
    admin = carbon.panels(demo_store, {"lang": "zh", "access": ADMIN})
    notes = [p.text for p in admin if isinstance(p, O.Note)]
    assert notes and "factors.csv" in notes[0] and "配置项 carbon_factors" in notes[0] and "ipcc_grass_dry" in notes[0]


def test_register_overviews_name_no_setting(demo_store):
    from geo.fire import hazards
    from geo.pest import trees

    for rules, layer in ((hazards, "hazard"), (trees, "deadtree")):
        frame = demo_store.read_layer(layer, geometry=False)
        for lang in ("zh", "en"):
            for caption, table in rules.overview(demo_store, frame, lang):
                assert not re.search(r"[a-z]+_[a-z]+_days|设置|setting", caption), caption
        assert "天内" in rules.overview(demo_store, frame, "zh")[0][0]  # the rule itself stays, in words


def test_the_enterprise_page_shows_the_command_line_to_administrators_only(demo_store):
    from geo.enterprise import enterprises

    ctx = {"lang": "zh", "today": pd.Timestamp("2030-06-01").date()}  # a year with no sample drawn
    user = _texts(enterprises.panels(demo_store, {**ctx, "access": LEADER}))
    admin = _texts(enterprises.panels(demo_store, {**ctx, "access": ADMIN}))
    assert "抽查名单尚未抽取" in user and "python -m geo" not in user
    assert "python -m geo sample draw --year 2030" in admin


# ---------------------------------------------------------------- 2. 待办 apart from 台账
def test_the_chiefs_view_keeps_stock_apart_from_open_work(demo_store):
    from geo.chief import chiefs
    from geo.declare import registry as S
    from geo.stats import chief as chief_view

    pid = int(chiefs.chiefs_list(demo_store)["holder_id"].iloc[0])
    v = chief_view.view(demo_store, person_id=pid)
    assert {"subcompartment", "enterprise"} <= set(v["stock"])  # 森林资源小班 在用, 木材企业 在营: 台账
    assert v["stock"]["subcompartment"]["total"] > 0 and v["stock"]["enterprise"]["total"] > 0
    assert not set(v["open"]) & set(v["stock"])
    assert not any(S.layer(k).stock for k in v["open"])
    assert {"change", "hazard", "deadtree"} <= set(v["open"])  # work with deadlines stays 待办
    assert set(v["features"]) == set(v["open"]) - {"signboard"}  # (the map and items: the work)


def test_an_order_addressed_to_a_chiefs_zone_is_his_work_until_the_zone_answers(demo_store):
    from geo.chief import orders
    from geo.stats import chief as chief_view

    frame = demo_store.read_layer("order", where={"status": "open"}, geometry=False)
    order = frame.iloc[0].to_dict()
    zone = orders.status_of_zones(demo_store, order, pd.Timestamp("2026-12-01").date())
    waiting = [z for z in zone if not z["responded_on"]]
    assert waiting
    v = chief_view.view(demo_store, zone_id=int(waiting[0]["zone_id"]))
    assert order["order_no"] in set(v["orders"]["order_no"])
    orders.respond(demo_store, int(order["id"]), int(waiting[0]["zone_id"]), "已部署", actor="admin")
    v = chief_view.view(demo_store, zone_id=int(waiting[0]["zone_id"]))
    assert order["order_no"] not in set(v["orders"]["order_no"])


# ---------------------------------------------------------------- 3. one stale-board rule
def test_the_boards_stale_count_follows_a_change_of_post(demo_store):
    from geo.chief import chiefs
    from geo.chief.signboards import stale
    from geo.declare import registry as S
    from geo.engine.figures import status_counts

    lyr = S.layer("signboard")
    boards = demo_store.read_layer("signboard", geometry=False)
    before = int(status_counts(demo_store, lyr, boards).get("stale", 0))
    assert before == int(stale(demo_store, boards).sum())
    fresh = boards[~stale(demo_store, boards) & boards["post_id"].notna() & (boards["status"] == "ok")]
    post_id = int(fresh["post_id"].iloc[0])
    mine = int((fresh["post_id"] == post_id).sum())
    person = demo_store.read_layer("person", columns=["name"], geometry=False)["id"].iloc[-1]
    chiefs.appoint(demo_store, post_id, int(person), "2026-01-05", actor="admin")
    boards = demo_store.read_layer("signboard", geometry=False)
    counts = status_counts(demo_store, lyr, boards)
    assert int(counts.get("stale", 0)) == before + mine
    assert int(counts.sum()) == len(boards)  # each board counted once


# ---------------------------------------------------------------- 4. patrols by level add up
def test_a_patrol_without_a_level_has_its_own_row_so_the_rows_add_up(demo_store):
    from geo.stats.field import filter_by_query, patrol_summary
    from geo.stats.summary import summary

    pats = demo_store.read_layer("patrol", columns=["actor_level", "version"], geometry=False)
    fid = int(pats["id"].iloc[0])
    with demo_store.transaction() as tx:
        demo_store.update_feature(tx, "patrol", fid, expected_version=None, changes={"actor_level": None},
                                  actor="test", action="edit")
    p = summary(demo_store, use_cache=False)["patrols"]
    assert p["by_level"]["unmarked"]["count"] >= 1
    assert sum(v["count"] for v in p["by_level"].values()) == p["count"]
    everything = demo_store.read_layer("patrol", geometry=False)
    rows = patrol_summary(everything, "zh")
    assert "未标明层级" in set(rows["level"]) and int(rows["count"].sum()) == len(everything)
    # the row's list link opens the patrols it counts
    listed = filter_by_query(everything, "patrol", {"level": "unmarked"})
    assert fid in set(listed["id"]) and len(listed) == p["by_level"]["unmarked"]["count"]


# ---------------------------------------------------------------- 5. 有提示 counts the list
def test_the_upload_checks_hint_count_is_the_number_of_features_with_a_hint_in_the_list(demo_store):
    from dashboard.components import upload_check as U
    from geo.ingest import Limits, Options
    from tests.test_backbone import _inside, handheld_gpx

    data = handheld_gpx(_inside(demo_store), jump_at=30)
    checked = U.check([("跳点.gpx", data)], Options(layer="patrol", batch="跳点", source="GPS"), demo_store,
                      Limits(), "gpx-jump", {})
    assert checked.error is None
    table = checked.report.problem_table("zh")
    hinted = table[table["类别"] == "提示"]
    assert len(hinted) == 1 and "轨迹不可信" in hinted["说明"].iloc[0]
    assert checked.report.counts["flagged"] == hinted["要素序号"].nunique() == 1


# ---------------------------------------------------------------- 6. the sample, in words
def test_a_countys_share_of_a_league_wide_sample_is_explained(demo_store):
    from geo.enterprise import enterprises

    ctx = {"lang": "zh", "today": pd.Timestamp("2026-06-01").date(), "access": INSPECTOR}
    panels = enterprises.panels(ScopedStore(demo_store, INSPECTOR), ctx)
    metric = dict(next(p for p in panels if isinstance(p, O.Metrics)).items)["2026年抽查名单"]
    size, required = (int(x) for x in re.findall(r"\d+", metric))
    assert size < required  # the county got fewer than 30% of its own enterprises …
    why = [p.text for p in panels if isinstance(p, O.Notice)]
    assert any("全盟统一抽取" in w and "突泉县" in w and f"分得{size}家" in w and f"不少于{required}家" in w
               for w in why), why


def test_a_county_with_few_enterprises_is_told_all_are_sampled():
    from geo.enterprise import enterprises

    n = 2
    t = pd.DataFrame({"county": ["突泉县"] * n, "in_sample": [True] * n})
    f = {"sample_size": n, "sample_required": 1}
    why = enterprises.sample_reason(None, t, f, {}, zh=True)
    assert why == f"在营企业仅{n}家，全部列入抽查名单。"


def test_a_sample_list_says_its_audit_in_words_not_as_a_command(demo_store):
    """The 木材来源抽查名单's details tell anyone who reads them whether drawing again from the
    recorded seed and frame gives the same enterprises — no command line to copy."""
    from geo.enterprise import samples

    sid = int(demo_store.read_layer("enterprise_sample", geometry=False, columns=["id"])["id"].iloc[0])
    rec = demo_store.get_feature("enterprise_sample", sid)
    method = dict(samples.details(demo_store, rec, "zh")[0][1].to_numpy())
    assert method["复核"] == "按记录的随机种子和企业名单重新抽取，结果与本名单一致"
    text = " ".join(str(v) for _t, df in samples.details(demo_store, rec, "zh") for v in df.to_numpy().ravel())
    assert "python -m" not in text and "--id" not in text
