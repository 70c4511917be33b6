"""Pine-wilt registers (dead trees, removal contractors, epidemic sites) on the register engine:
a dead-tree list in through the CLI, the certificate checked on the removal date, 即死即清 days
from the settings, figures against a hand count, sites year by year — on both backends."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from geo.engine import workflow
from geo.core.errors import TransitionError, ValidationError
from geo.engine import records
from geo.engine.operations import operate
from geo.core.timeutil import today_local
from tests.helpers import jpeg
from tests.test_cli import geo
from tests.test_reg_fire import csv_file, place

TODAY = today_local()


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def tree_rows() -> list[dict]:
    """A county's dead-tree list as an office keeps it (dates written three ways)."""
    far = (TODAY + dt.timedelta(days=300)).strftime("%Y/%m/%d")

    def row(no, surveyed, count, lon, lat, **kw):
        base = {"编号": no, "调查日期": surveyed, "株数": count, "树种": "樟子松", "经度": lon, "纬度": lat,
                "是否取样": "否", "检测结果": "", "除治方式": "", "施工单位": "", "资质证书编号": "", "资质有效期至": "",
                "清理日期": ""}
        return {**base, **kw}

    return [
        row("SC001", ago(20).isoformat(), 2, 121.10, 46.10, 是否取样="是", 检测结果="阳性", 除治方式="打包",
            施工单位="兴安绿源防治公司", 资质证书编号="内林防001", 资质有效期至=far, 清理日期=ago(15).strftime("%Y/%m/%d")),
        row("SC002", ago(30).isoformat(), 1, 121.12, 46.11, 除治方式="就地粉碎", 施工单位="兴安绿源防治公司",
            资质证书编号="内林防001", 资质有效期至=far, 清理日期=ago(12).isoformat()),
        row("SC003", ago(40).strftime("%Y年%m月%d日"), 3, 121.30, 46.20, 是否取样="是", 检测结果="阴性",
            除治方式="烧毁", 施工单位="过期防治公司", 资质证书编号="内林防002", 资质有效期至=ago(50).isoformat(),
            清理日期=ago(38).isoformat()),
        row("SC004", ago(3).isoformat(), 1, 121.14, 46.12),
        row("SC005", ago(14).isoformat(), 2, 121.32, 46.22),
        row("SC006", ago(2).isoformat(), 1, 121.16, 46.13, 是否取样="是", 检测结果="待检"),
    ]


@pytest.fixture
def trees(store, tmp_path):
    place(store)
    path = csv_file(tmp_path / "松材线虫病枯死松树调查除治台账.csv", tree_rows())
    out = json.loads(geo("import-table", path, "--layer", "deadtree", "--system", "--json", db=store.url, check=0).stdout)
    frame = store.read_layer("deadtree", geometry=False).set_index("tree_no")
    return store, out, frame


def flags(v) -> dict:
    return json.loads(v) if isinstance(v, str) else (v or {})


def test_a_dead_tree_list_is_placed_and_its_past_removals_checked(trees):
    shared_store, out, f = trees
    assert out["stored"] == 6 and out["problems"] == []
    assert f["status"].to_dict() == {"SC001": "removed", "SC002": "removed", "SC003": "removed",
                                     "SC004": "found", "SC005": "found", "SC006": "found"}
    assert f.loc["SC001", "method"] == "bagging" and f.loc["SC002", "method"] == "chipping"
    assert f.loc["SC003", "method"] == "burning" and f.loc["SC003", "surveyed_on"] == ago(40).isoformat()
    assert f.loc["SC001", "removed_on"] == ago(15).isoformat() and bool(f.loc["SC001", "sampled"])
    assert f.loc["SC006", "test_result"] == "pending" and f.loc["SC003", "test_result"] == "negative"
    assert set(f["county_code"]) == {"152224"} and f.loc["SC005", "township"] == "东镇"
    # removals that are already facts are stored, and flagged: 18 days (8 over the 10), and a
    # certificate that had run out 12 days before the removal
    assert flags(f.loc["SC002", "flags"]) == {"late_removal": 8}
    assert flags(f.loc["SC003", "flags"]) == {"cert_expired": ago(50).isoformat()}
    assert not flags(f.loc["SC001", "flags"])


def test_the_certificate_is_checked_on_the_removal_date_when_a_removal_is_recorded(trees):
    store, _, f = trees
    good = records.add(store, "pest_contractor", {"name": "兴安绿源防治公司", "cert_no": "内林防001",
                                                  "cert_valid_to": (TODAY + dt.timedelta(days=100)).isoformat()}, actor="staff")
    lapsed = records.add(store, "pest_contractor", {"name": "过期防治公司", "cert_no": "内林防002",
                                                    "cert_valid_from": "2020-01-01",
                                                    "cert_valid_to": ago(1).isoformat()}, actor="staff")
    barred = records.add(store, "pest_contractor", {"name": "林丰工程队", "cert_no": "内林防003",
                                                    "cert_valid_to": "2099-12-31"}, actor="staff")
    workflow.transition(store, "pest_contractor", barred, "barred", actor="staff", comment="被记录不良行为")
    fid = int(f.loc["SC004", "id"])
    photo = [("打包处理.jpg", jpeg())]

    def remove(**fields):
        return workflow.transition(store, "deadtree", fid, "removed", actor="staff",
                                   fields={"method": "打包", **fields}, attachments=photo)

    with pytest.raises(ValidationError) as err:  # expired yesterday: today's removal is refused
        remove(contractor_id=lapsed)
    assert "资质证书" in err.value.zh and "防止无资质施工" in err.value.zh and err.value.details["flag"] == "cert_expired"
    with pytest.raises(ValidationError) as err:
        remove(contractor_id=barred)
    assert "暂停承接" in err.value.zh
    with pytest.raises(ValidationError) as err:  # no contractor at all
        remove()
    assert "资质证书" in err.value.zh
    with pytest.raises(ValidationError):  # a certificate typed in, valid until last week
        remove(contractor="某公司", cert_no="X-1", cert_valid_to=ago(7).isoformat())
    with pytest.raises(TransitionError, match="evidence"):
        workflow.transition(store, "deadtree", fid, "removed", actor="staff",
                            fields={"method": "bagging", "contractor_id": good})
    rec = store.get_feature("deadtree", fid)
    assert rec["status"] == "found" and rec["version"] == 1  # nothing of the refusals was written
    remove(contractor_id=good)  # removal date: today (stamped)
    rec = store.get_feature("deadtree", fid)
    assert (rec["status"], rec["removed_on"], rec["contractor"], rec["cert_no"]) == \
        ("removed", TODAY.isoformat(), "兴安绿源防治公司", "内林防001")
    assert not rec.get("flags")
    # the same refusal on the command line: exit 2, in Chinese, nothing written
    other = int(f.loc["SC006", "id"])
    proc = geo("transition", "--layer", "deadtree", "--id", other, "--to", "removed", "--field", "method=就地粉碎",
               "--field", f"contractor_id={lapsed}", "--system", db=store.url, check=2)
    assert "资质证书" in proc.stdout + proc.stderr
    assert store.get_feature("deadtree", other)["status"] == "found"
    # a list naming a contractor of the register and no certificate gets the register's
    # certificate — and the flag when it did not cover the removal date
    fid2 = records.add(store, "deadtree", {"surveyed_on": ago(6).isoformat(), "contractor": "过期防治公司",
                                           "method": "chipping", "removed_on": ago(0).isoformat()},
                       geometry=shapely.Point(121.2, 46.2), actor="staff")
    late = store.get_feature("deadtree", fid2)
    assert late["contractor_id"] == lapsed and late["status"] == "removed"
    assert late["flags"] == {"cert_expired": ago(1).isoformat()}


def test_ji_si_ji_qing_days_come_from_the_settings(trees, tmp_path):
    store, _, _ = trees
    base = json.loads(geo("stats", "--json", db=store.url, check=0).stdout)["registers"]["deadtree"]
    assert base["overdue"]["total"] == 1  # SC005: 14 days and waiting, over the default 10
    cfg = tmp_path / "forest.toml"
    cfg.write_text("pine_clear_days = 20\n", encoding="utf-8")
    relaxed = json.loads(geo("stats", "--json", db=store.url, env={"FOREST_CONFIG": str(cfg)},
                             check=0).stdout)["registers"]["deadtree"]
    assert relaxed["overdue"]["total"] == 0
    cfg.write_text("pine_clear_days = 2\n", encoding="utf-8")
    strict = json.loads(geo("stats", "--json", db=store.url, env={"FOREST_CONFIG": str(cfg)},
                            check=0).stdout)["registers"]["deadtree"]
    assert strict["overdue"]["total"] == 2  # SC004 (3 days) and SC005; SC006 (2 days) is not yet late


def test_figures_match_a_hand_count_of_the_list(trees):
    store, _, _ = trees
    got = json.loads(geo("stats", "--json", db=store.url, check=0).stdout)["registers"]["deadtree"]
    rows = pd.DataFrame(tree_rows())
    year = str(TODAY.year)

    def in_year(col):
        return rows[col].map(lambda v: str(pd.to_datetime(v.replace("年", "-").replace("月", "-").replace("日", ""),
                                                          format="mixed").year) == year if v else False)

    found = in_year("调查日期")
    removed = in_year("清理日期")
    assert got["found_trees"]["total"] == int(rows.loc[found, "株数"].sum())
    assert got["removed_trees"]["total"] == int(rows.loc[removed, "株数"].sum())
    for key, label in (("bagging", "打包"), ("chipping", "就地粉碎"), ("burning", "烧毁")):
        assert got[f"removed_{key}"]["total"] == int(rows.loc[removed & (rows["除治方式"] == label), "株数"].sum())
    assert got["sampled"]["total"] == int(rows.loc[found & (rows["是否取样"] == "是"), "株数"].sum())
    assert got["positive"]["total"] == int(rows.loc[found & (rows["检测结果"] == "阳性"), "株数"].sum())
    assert got["outstanding"]["total"] == int((rows["清理日期"] == "").sum()) == 3
    assert got["late_removals"]["total"] == int((removed & rows["编号"].eq("SC002")).sum())
    assert got["unqualified"]["total"] == int((removed & rows["编号"].eq("SC003")).sum())
    assert got["outstanding"]["by_county"] == {"152224": 3}


def test_sites_year_by_year_and_revoked_only_after_two_quiet_years(trees):
    from geo.pest.sites import years

    store, _, f = trees
    around = shapely.MultiPolygon([box(121.05, 46.05, 121.2, 46.15)])  # holds SC001, SC002, SC004, SC006
    quiet = shapely.MultiPolygon([box(121.36, 46.26, 121.39, 46.29)])
    sid = records.add(store, "pest_site", {"name": "西镇疫点", "listed_year": TODAY.year - 1}, geometry=around,
                      actor="staff")
    calm = records.add(store, "pest_site", {"name": "东山疫点", "listed_year": TODAY.year - 4}, geometry=quiet,
                       actor="staff")
    site = store.get_feature("pest_site", sid)
    assert site["area_mu"] == pytest.approx(site["area_ha"] * 15, rel=1e-6) and site["township"] == "西镇"
    operate(store, "pest_site", sid, "annual", {"last_year": TODAY.year - 1, "last_year_status": "new"}, actor="staff")
    operate(store, "pest_site", sid, "annual", {"last_year": TODAY.year, "last_year_status": "ongoing"}, actor="staff")
    with pytest.raises(ValidationError):
        operate(store, "pest_site", sid, "annual", {"last_year": TODAY.year + 1, "last_year_status": "none"},
                actor="staff")
    with pytest.raises(ValidationError):  # checks come year after year
        operate(store, "pest_site", sid, "annual", {"last_year": TODAY.year - 1, "last_year_status": "none"},
                actor="staff")
    t = years(store, store.get_feature("pest_site", sid)).set_index("year")
    inside = f.loc[["SC001", "SC002", "SC004", "SC006"]]
    per_year = inside.groupby(inside["surveyed_on"].str[:4].astype(int))["tree_count"].sum()
    assert t["status"].to_dict() == {TODAY.year - 1: "new", TODAY.year: "ongoing"}
    assert t["trees"].to_dict() == {y: int(per_year.get(y, 0)) for y in t.index}
    assert store.get_feature("pest_site", sid)["last_year"] == TODAY.year
    doc = [("撤销文件.pdf", b"%PDF-1.4 test")]
    with pytest.raises(ValidationError) as err:  # dead trees inside within two years
        workflow.transition(store, "pest_site", sid, "revoked", actor="staff",
                            fields={"revoked_on": TODAY.isoformat(), "revoke_doc": "兴林草发〔2026〕1号"}, attachments=doc)
    assert "连续 2 年无疫情" in err.value.zh
    with pytest.raises(TransitionError):  # the document itself is needed
        workflow.transition(store, "pest_site", calm, "revoked", actor="staff",
                            fields={"revoked_on": TODAY.isoformat(), "revoke_doc": "兴林草发〔2026〕2号"})
    workflow.transition(store, "pest_site", calm, "revoked", actor="staff",
                        fields={"revoked_on": TODAY.isoformat(), "revoke_doc": "兴林草发〔2026〕2号"}, attachments=doc)
    got = json.loads(geo("stats", "--json", db=store.url, check=0).stdout)["registers"]["pest_site"]
    assert (got["sites"]["total"], got["revoked"]["total"], got["new_sites"]["total"]) == (1, 1, 0)


def test_the_pine_wilt_paragraph_speaks_the_seeds_words():
    from geo.pest.bulletin import paragraph

    figs = {"deadtree": {"found_trees": {"total": 120}, "removed_trees": {"total": 120},
                         "removed_bagging": {"total": 70}, "removed_chipping": {"total": 50},
                         "outstanding": {"total": 0}, "sampled": {"total": 30}, "positive": {"total": 12}},
            "pest_site": {"sites": {"total": 4}, "new_sites": {"total": 1}}}
    text = paragraph(figs, {"today": dt.date(2025, 12, 31)})
    assert "即死即清、动态清零" in text and "就地打包处理70株" in text and "就地粉碎处理50株" in text
    assert "未发现无资质施工" in text and "疫点4个" in text
    figs["deadtree"].update(outstanding={"total": 3}, overdue={"total": 1}, unqualified={"total": 2})
    text = paragraph(figs, {"today": dt.date(2025, 12, 31)})
    assert "动态清零" not in text and "尚有3处待清理（1处超过即死即清期限）" in text and "2处清理作业资质不符" in text


def test_an_excel_list_with_a_title_and_two_header_rows_reads_the_same(store, tmp_path):
    """The same list as an office's workbook: a merged title, "除治情况" merged over its columns."""
    from openpyxl import Workbook

    place(store)
    rows = tree_rows()[:3]
    wb = Workbook()
    ws = wb.active
    ws.title = "突泉县"
    ws.append(["突泉县松材线虫病枯死松树调查及除治台账"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=13)
    top = ["编号", "调查日期", "株数", "树种", "经度", "纬度", "是否取样", "检测结果"] + ["除治情况"] * 5
    ws.append(top)
    ws.merge_cells(start_row=2, start_column=9, end_row=2, end_column=13)
    for c in range(1, 9):
        ws.merge_cells(start_row=2, start_column=c, end_row=3, end_column=c)
    ws.append([None] * 8 + ["除治方式", "施工单位", "资质证书编号", "资质有效期至", "清理日期"])
    for r in rows:
        ws.append([r[k] for k in ("编号", "调查日期", "株数", "树种", "经度", "纬度", "是否取样", "检测结果", "除治方式",
                                  "施工单位", "资质证书编号", "资质有效期至", "清理日期")])
    ws.append(["注：本表由乡镇林业站填报"])
    path = tmp_path / "台账.xlsx"
    wb.save(path)
    out = json.loads(geo("import-table", path, "--layer", "deadtree", "--system", "--json", db=store.url, check=0).stdout)
    assert out["stored"] == 3 and out["mapping"]["除治情况·除治方式"] == "method"
    f = store.read_layer("deadtree", geometry=False).set_index("tree_no")
    assert f["status"].tolist() == ["removed"] * 3 and f.loc["SC003", "method"] == "burning"
    assert flags(f.loc["SC003", "flags"]) == {"cert_expired": ago(50).isoformat()}


def test_a_wrong_row_refuses_the_whole_list_in_chinese(store, tmp_path):
    place(store)
    rows = tree_rows()[:2]
    rows[1]["除治方式"] = "掩埋"
    rows[0]["清理日期"] = ago(40).isoformat()  # before it was surveyed (20 days ago)
    path = csv_file(tmp_path / "有错的台账.csv", rows)
    proc = geo("import-table", path, "--layer", "deadtree", "--system", db=store.url, check=2)
    text = proc.stdout + proc.stderr
    assert "未导入任何数据" in text and "清理日期" in text and "掩埋" in text
    assert store.count("deadtree") == 0


def test_the_demo_holds_the_pine_wilt_registers(demo_store):
    from geo.engine import figures as F
    from geo.pest.layers import CONTRACTOR, DEADTREE, SITE

    trees = F.figures_of(demo_store, DEADTREE)
    assert trees["removed_trees"]["total"] > 0 and trees["overdue"]["total"] >= 1
    assert trees["late_removals"]["total"] >= 1 and trees["unqualified"]["total"] >= 1
    assert trees["removed_bagging"]["total"] > 0 and trees["removed_chipping"]["total"] > 0
    assert F.figures_of(demo_store, SITE)["sites"]["total"] >= 1
    assert F.figures_of(demo_store, CONTRACTOR)["contractors"]["total"] >= 1
    notes = demo_store.read_layer("deadtree", columns=["note"], geometry=False)["note"]
    assert (notes == "演示数据").all()
