"""The bulletin a bureau can send: rendered for the demo at the seeds' date (2023-12-09) and for
today, read back from the .docx, and checked for its sections and their order, the opening's form,
words that must never appear, county rows that add up to 合计, and every figure against a count made
here with plain SQL on the store's tables (sqlite3; not geo.stats.summary)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import sqlite3

import docx
import pytest

from geo.declare import registry as S
from geo.core.config import load_settings
from geo.docs.text import listing, width
from geo.store import open_store
from geo.core.timeutil import today_local

SEED_DAY = dt.date(2023, 12, 9)
# the provenance of the seeds' bulletin (../shared/seeds/000, the forestry bureau's half)
SEED = {"genre": "inspection", "issuer": "中共兴安盟林业和草原局党组", "subject": "兴安盟委第四轮（专项）巡察",
        "authority": "兴安盟委", "team": "盟委第三巡察组", "inspection_kind": "专项巡察",
        "inspected": "兴安盟林业和草原局党组", "inspection_start": "2023-04-25", "inspection_end": "2023-06-25",
        "feedback_date": "2023-08-17", "doc_number": "兴林草党字〔2023〕41号",
        "cc": "盟委第三巡察组，盟委巡察工作领导小组办公室", "printer": "兴安盟林业和草原局办公室"}
SECTIONS = ["一、履行整改主体责任情况", "二、具体问题整改落实情况", "三、建立长效机制", "四、下一步工作安排"]
DENY = ["关联要素", "无数据", "0万亩", "None", "nan", "NaN", "暂无", "200米以内", "【", "】"]


def settings(tmp_path, **bulletin):
    base = load_settings(env={"FOREST_CONFIG": str(tmp_path / "none.toml")})
    return dataclasses.replace(base, bulletin=bulletin)


# ------------------------------------------------------------------------------ reading the .docx
def body_paragraphs(path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs]


def tables(path) -> list[list[list[str]]]:
    return [[[c.text for c in r.cells] for r in t.rows] for t in docx.Document(str(path)).tables]


# ------------------------------------------------------------------------------ the SQL oracle
ORDER = ("issued", "verifying", "verified", "case_filed", "penalized", "rectifying", "rectified", "accepted",
         "applied", "returned", "reviewed", "closed")  # the closure review's stages come after acceptance


def cutoff(day: dt.date) -> str:
    """The first instant after ``day`` in Beijing, as the store's UTC text."""
    return (dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0)) - dt.timedelta(hours=8)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def _field_asof(name: str) -> str:
    """A field's value at the cutoff: the last value an event set before it; NULL if an event set it
    only later; the stored value if no event ever set it."""
    set_ = f"e.action <> 'import' AND json_type(e.fields, '$.{name}') IS NOT NULL"
    return (f"CASE WHEN EXISTS (SELECT 1 FROM events e WHERE e.layer = 'change' AND e.feature_id = p.id "
            f"AND e.at < :cut AND {set_}) THEN (SELECT json_extract(e.fields, '$.{name}') FROM events e "
            f"WHERE e.layer = 'change' AND e.feature_id = p.id AND e.at < :cut AND {set_} "
            f"ORDER BY e.at DESC, e.id DESC LIMIT 1) WHEN EXISTS (SELECT 1 FROM events e WHERE e.layer = "
            f"'change' AND e.feature_id = p.id AND e.at >= :cut AND {set_}) THEN NULL ELSE p.{name} END")


def _state(as_of: bool) -> str:
    if not as_of:
        return "SELECT id, batch_id, county_code, status, verdict, fine_yuan, deadline, area_ha FROM change_polygons"
    return (
        "SELECT p.id, p.batch_id, p.county_code, "
        "(SELECT e.to_status FROM events e WHERE e.layer = 'change' AND e.feature_id = p.id AND e.at < :cut "
        " ORDER BY e.at DESC, e.id DESC LIMIT 1) AS status, "
        f"{_field_asof('verdict')} AS verdict, {_field_asof('fine_yuan')} AS fine_yuan, "
        f"{_field_asof('deadline')} AS deadline, p.area_ha FROM change_polygons p")


def _in(statuses) -> str:
    return "(" + ", ".join(f"'{s}'" for s in statuses) + ")"


def sql_figures(db, day: dt.date, as_of: bool, counties=(), batch_ids=()) -> dict:
    """Per county and in total: issued, verified, illegal, case filed, penalized, rectified,
    closed, overdue, fines (元) and illegal area (公顷), of the official batches inside the
    jurisdiction, counted with SQL."""
    where = ["s.status IS NOT NULL", "b.purpose = 'official'",
             "s.county_code IN (SELECT code FROM admin_units WHERE level = 'county')"]
    if counties:
        where.append("s.county_code IN " + _in(counties))
    if batch_ids:
        where.append("s.batch_id IN (" + ", ".join(str(int(b)) for b in batch_ids) + ")")
    due = ("CASE WHEN s.status IN ('issued', 'verifying') THEN b.verify_deadline "
           "WHEN s.status IN ('verified', 'case_filed', 'penalized', 'rectifying', 'rectified', 'returned') "
           "THEN COALESCE(NULLIF(substr(s.deadline, 1, 10), ''), b.rectify_deadline) END")
    illegal = "s.verdict = 'illegal'"
    select = (
        "COUNT(*), "
        f"SUM(s.status IN {_in(ORDER[2:])}), SUM({illegal}), "
        f"SUM({illegal} AND s.status IN {_in(ORDER[3:])}), SUM({illegal} AND s.status IN {_in(ORDER[4:])}), "
        f"SUM({illegal} AND s.status IN {_in(ORDER[6:])}), SUM(s.status = 'closed'), "
        f"SUM(CASE WHEN {due} < :today THEN 1 ELSE 0 END), COALESCE(SUM(s.fine_yuan), 0), "
        f"COALESCE(SUM(CASE WHEN {illegal} THEN s.area_ha END), 0)")
    sql = (f"WITH s AS ({_state(as_of)}) SELECT {{group}}{select} FROM s JOIN batches b ON b.id = s.batch_id "
           f"WHERE {' AND '.join(where)}{{by}}")
    keys = ("total", "verified", "illegal", "case_filed", "penalized", "rectified", "closed", "overdue",
            "fines_yuan", "illegal_ha")
    params = {"cut": cutoff(day), "today": day.isoformat()}
    con = sqlite3.connect(str(db))
    try:
        total = con.execute(sql.format(group="", by=""), params).fetchone()
        rows = con.execute(sql.format(group="s.county_code, ", by=" GROUP BY s.county_code"), params).fetchall()
        names = dict(con.execute("SELECT code, name FROM admin_units WHERE level = 'county'").fetchall())
    finally:
        con.close()
    out = {"all": dict(zip(keys, total)), "county": {}}
    for row in rows:
        out["county"][names[row[0]]] = dict(zip(keys, row[1:]))
    return out


def sql_items(db, day: dt.date) -> list[dict]:
    """Each item as of the end of ``day`` with its status and how many of its linked features exist
    and are done (plain SQL: the last status an event gave before the cutoff)."""
    cut = cutoff(day)
    last = ("SELECT feature_id, to_status FROM (SELECT feature_id, to_status, ROW_NUMBER() OVER "
            "(PARTITION BY feature_id ORDER BY at DESC, id DESC) AS rn FROM events WHERE layer = ? AND at < ? "
            "AND to_status IS NOT NULL) WHERE rn = 1")
    done = {"change": {"closed"}, "occupation": {"accepted", "delisted"}, "restoration": {"accepted"},
            "signboard": {"ok"}}
    con = sqlite3.connect(str(db))
    try:
        items = con.execute("SELECT id, problem, deadline FROM items ORDER BY id").fetchall()
        status = dict(con.execute(last, ["item", cut]).fetchall())
        links = con.execute("SELECT item_id, layer, feature_id FROM item_links").fetchall()
        layer_status = {layer: dict(con.execute(last, [layer, cut]).fetchall()) for layer in done}
    finally:
        con.close()
    out = []
    for iid, problem, deadline in items:
        if iid not in status:
            continue
        mine = [(layer, fid) for i, layer, fid in links if i == iid and layer in done and fid in layer_status[layer]]
        complete = all(layer_status[layer][fid] in done[layer] for layer, fid in mine)
        out.append({"id": iid, "problem": problem, "status": status[iid], "complete": complete,
                    "deadline": deadline, "linked": len(mine)})
    return out


# ------------------------------------------------------------------------------ fixtures
def without_bulletin_records(store):
    """``store`` with no saved bulletin settings, section texts or recorded actions (a demo may
    come with some: these tests say which settings they render with)."""
    with store.transaction() as tx:
        for table in ("report_settings", "report_texts", "report_actions"):
            tx.execute(f"DELETE FROM {table}")
    return store


@pytest.fixture(scope="module")
def rendered(demo_master, tmp_path_factory):
    """The demo's bulletin at the seeds' date and today, with the seeds' provenance, and the
    seeds'-date bulletin without it (a plain progress report)."""
    from geo.report import write_report

    tmp = tmp_path_factory.mktemp("bulletin")
    open_store(str(demo_master)).backup(tmp / "demo.gpkg")
    store = without_bulletin_records(open_store(str(tmp / "demo.gpkg")))
    seed = settings(tmp, **SEED)
    return {
        "seed_day": write_report(store, "docx", tmp / "seed.docx", settings=seed, as_of=SEED_DAY),
        "today": write_report(store, "docx", tmp / "today.docx", settings=seed),
        "plain": write_report(store, "docx", tmp / "plain.docx", settings=settings(tmp), as_of=SEED_DAY),
    }


def _check_figures(path, db, day: dt.date, as_of: bool, scope_name: str = "全盟", **filters):
    exp = sql_figures(db, day, as_of, **filters)
    a = exp["all"]
    text = "\n".join(body_paragraphs(path))
    assert a["total"] > 0
    # the county table: every county's 11 columns, the total, and the rows adding up to it
    county = next(t for t in tables(path) if t[0][0] == "旗县市" and len(t[0]) == 11)
    rows = {r[0]: r for r in county[1:]}
    cols = ("total", "verified", "illegal", "case_filed", "penalized", "rectified", "closed")

    def expect(f):
        closed_pct = f"{100 * f['closed'] / f['total']:.1f}".rstrip("0").rstrip(".") if f["total"] else "—"
        return ([str(f[k]) for k in cols] + [closed_pct, str(f["overdue"]), f"{f['fines_yuan'] / 1e4:.2f}"])

    for name, f in exp["county"].items():
        assert rows[name][1:] == expect(f), name
    assert rows["合计"][1:] == expect(a)
    body = [r for name, r in rows.items() if name != "合计"]
    assert {r[0] for r in body} == set(exp["county"]) | {n for n in rows if n != "合计" and rows[n][1] == "0"}
    for j in range(1, 8):  # the counts add up to 合计
        assert sum(int(r[j]) for r in body) == int(rows["合计"][j]), county[0][j]
    assert sum(int(r[9]) for r in body) == int(rows["合计"][9])  # overdue
    assert abs(sum(float(r[10]) for r in body) - float(rows["合计"][10])) <= 0.005 * len(body) + 1e-9  # rounding
    # the same figures in the text, money in 万元 to 2 and areas in 公顷 to 4 / 亩 to 2 decimals
    ha = round(a["illegal_ha"], 4)
    sentence = (f"{scope_name}共下发变化图斑{a['total']}个，已完成核查{a['verified']}个")
    assert sentence in text
    assert (f"其中违法违规图斑{a['illegal']}个，面积{ha:.4f}公顷（{ha * 15:.2f}亩），已立案查处{a['case_filed']}个，"
            f"已作出行政处罚{a['penalized']}个，收缴罚款{a['fines_yuan'] / 1e4:.2f}万元，"
            f"已完成整改{a['rectified']}个；已销号{a['closed']}个") in text
    if a["overdue"]:
        assert f"逾期未完成{a['overdue']}个" in text
    return exp


def _check_words(path):
    paras = body_paragraphs(path)
    text = "\n".join(paras + ["\t".join(r) for t in tables(path) for r in t])
    for word in DENY:
        assert word not in text, word
    internal = {f.name for lyr in S.LAYERS.values() for f in lyr.fields if "_" in f.name}
    internal |= {"in_progress", "long_term", "closed_pct", "linked_done", "overdue"}
    for name in internal:
        assert name not in text, name
    prose = [p for p in paras if not p.startswith("联系方式")]
    assert not [p for p in prose if re.search(r"[A-Za-z]{3,}", p)], "English words in the bulletin"
    # no zero quantities in the prose ("已验收0万亩"): what is not there is not counted
    assert not [p for p in prose if re.search(r"(?<![\d.])0(?:\.0+)?(?:万亩|万元|个|公顷|亩|次|公里)", p)]


def _check_sections(path, signer: str = "中共兴安盟林业和草原局党组"):
    paras = body_paragraphs(path)
    at = [next((i for i, p in enumerate(paras) if p == s), -1) for s in SECTIONS]
    assert all(i >= 0 for i in at) and at == sorted(at), dict(zip(SECTIONS, at))
    tail = ["欢迎广大干部群众对", "附件：1.", signer, "附件1", "附件2"]
    pos = [next((i for i, p in enumerate(paras) if p.startswith(s) and i > at[-1]), -1) for s in tail]
    assert all(i >= 0 for i in pos) and pos == sorted(pos), dict(zip(tail, pos))
    return paras, at


# ------------------------------------------------------------------------------ the tests
@pytest.mark.parametrize("which, day_of", [("seed_day", lambda: SEED_DAY), ("today", today_local)])
def test_the_bulletin_for_the_seeds_day_and_today(rendered, demo_master, which, day_of):
    path, day = rendered[which], day_of()
    paras, at = _check_sections(path)
    _check_words(path)
    _check_figures(path, demo_master, day, as_of=which == "seed_day")
    # the title, broken at a point of meaning, and the opening in the seeds' form
    title = docx.Document(str(path)).paragraphs
    head = next(p for p in title if "通报" in p.text)
    # one paragraph with a manual line break, after "兴安盟委" and before "第四轮", not before "的通报"
    assert head.text == "中共兴安盟林业和草原局党组关于兴安盟委\n第四轮（专项）巡察整改进展情况的通报"
    assert head._p.xml.count("<w:br/>") == 1
    opening = paras[paras.index(head.text) + 2]
    assert opening == ("根据兴安盟委统一部署，2023年4月25日至6月25日，盟委第三巡察组对兴安盟林业和草原局党组开展了专项巡察。"
                       "8月17日，盟委第三巡察组向兴安盟林业和草原局党组反馈了巡察意见。"
                       "按照巡察工作有关要求，现将巡察整改进展情况予以公布。")
    # signed by the 党组 and dated the day of the figures
    sign = paras.index("中共兴安盟林业和草原局党组", at[-1])
    assert paras[sign + 1] == f"{day.year}年{day.month}月{day.day}日"


@pytest.mark.parametrize("which, day", [("seed_day", SEED_DAY), ("today", None)])
def test_each_problem_in_the_seeds_form_with_true_completion(rendered, demo_master, which, day):
    day = day or today_local()
    paras = body_paragraphs(rendered[which])
    items = sql_items(demo_master, day)
    assert items
    k = 0
    for it in items:
        k += 1
        problem = it["problem"].replace("“", "‘").replace("”", "’")
        i = paras.index(f"（{k}）关于“{problem}”问题。")
        assert paras[i + 1].startswith("整改落实情况：一是") and "二是" in paras[i + 1]
        done = paras[i + 2]
        assert done.startswith("完成情况：")
        if it["status"] == "done" and it["complete"]:
            assert done == "完成情况：已完成整改。", done
        else:  # never "已完成整改" while a linked feature is still open
            assert "已完成整改" not in done
            word = "长期坚持" if it["status"] == "long_term" else "正在整改"
            assert done.startswith(f"完成情况：{word}"), done
        open_ = it["status"] != "long_term" and not (it["status"] == "done" and it["complete"])
        late = open_ and it["deadline"] and it["deadline"] < day.isoformat()  # still open past the deadline
        assert ("已超过完成时限" in done) == bool(late), done
    # and the overview counts what the items say
    words = [p for p in paras if p.startswith("完成情况：")]
    done_n = sum(p == "完成情况：已完成整改。" for p in words)
    overview = next(p for p in paras if p.startswith("围绕巡察反馈的"))
    assert f"{len(items)}个问题" in overview and f"已完成整改{done_n}个" in overview


def test_an_item_marked_done_with_open_features_is_not_called_done(rendered, demo_master):
    """The demo marks "落实‘三北’防护林体系建设任务有差距" done while 5 of its 16 restoration tasks
    are not accepted (the issue's "关联要素16个，已完成11个")."""
    paras = body_paragraphs(rendered["today"])
    marked = [it for it in sql_items(demo_master, today_local()) if it["status"] == "done" and not it["complete"]]
    assert marked
    for it in marked:
        i = next(i for i, p in enumerate(paras) if it["problem"].replace("“", "‘").replace("”", "’") in p)
        assert re.fullmatch(r"完成情况：正在整改，涉及\w+?(\d+)个，已\w+?(\d+)个.*", paras[i + 2]), paras[i + 2]


def test_the_plain_progress_report_when_no_provenance_is_set(rendered, demo_master):
    path = rendered["plain"]
    paras, at = _check_sections(path, signer="兴安盟林业和草原局")
    assert paras[0] == "兴安盟林业和草原局关于\n林长制整改进展情况的通报"
    opening = paras[2]
    assert opening.startswith("为推动林长制各项整改任务落地见效")
    assert opening.endswith("现将全盟截至2023年12月9日的整改进展情况通报如下。")
    assert "巡察" not in "\n".join(paras[:at[1]])
    assert "兴安盟林业和草原局" in paras and "2023年12月9日" in paras
    _check_words(path)
    _check_figures(path, demo_master, SEED_DAY, as_of=True)


def test_the_candidate_batch_outside_the_league_is_not_counted(rendered, demo_master):
    text = "\n".join(body_paragraphs(rendered["today"]))
    con = sqlite3.connect(str(demo_master))
    (name,) = con.execute("SELECT name FROM batches WHERE purpose = 'candidate'").fetchone()
    con.close()
    assert "演示" in name and name not in text and "2011年" not in text


def test_truncated_lists_end_with_the_count():
    names = [f"项目{i}" for i in range(14)]
    assert listing(names, limit=5, noun="项目") == "项目0、项目1、项目2、项目3、项目4等14个项目"
    assert listing(names[:3]) == "项目0、项目1、项目2"
    assert width("2023年12月9日") == 6.5


def test_money_and_areas_are_rounded_and_mu_comes_from_the_total():
    from geo.docs.text import hectares, mu_of, wan2

    assert wan2(7775763.17) == "777.58" and wan2(236005.17) == "23.60"
    assert hectares(1.708666666666667) == "1.7087"
    assert mu_of(541.907353) == "8128.61"  # 541.9074 公顷 × 15, not a sum of rounded 亩
