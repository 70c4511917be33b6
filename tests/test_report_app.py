"""The bulletin's parts on the leaders' screen (Streamlit AppTest): a reviewer promotes a candidate
batch, a leader cannot; the bureau saves its own text of a section, loads the draft, records an
action and changes the settings — and the document downloaded from the screen says what was saved."""

from __future__ import annotations

import io

import docx

from geo.report import records
from geo.report import settings as rsettings
from geo.store import open_store
from tests.test_app import run_app
from tests.test_bulletin import without_bulletin_records

PAGE = "views/summary.py"
STAFF = {"name": "staff", "display_name": "数据管理员", "role": "staff", "counties": [], "disabled": False}
LEADER = {"name": "leader", "display_name": "盟林草局局长", "role": "leader", "counties": [], "disabled": False}


def captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


def test_a_reviewer_promotes_a_candidate_batch_a_leader_cannot(monkeypatch, demo_path):
    store = open_store(str(demo_path))
    auto = store.batches("change").query("source == '自动检测'").iloc[0]
    n = store.count("change", where={"batch_id": int(auto["id"])})
    at = run_app(monkeypatch, demo_path, PAGE, user=LEADER)
    assert f"未计入统计：候选（待审核）批次“{auto['name']}”{n}个图斑" in captions(at)
    assert not [b for b in at.button if b.key == "sum_promote"]
    at = run_app(monkeypatch, demo_path, PAGE, user=STAFF)
    at.button(key="sum_promote").click().run()
    assert not at.exception, at.exception
    assert set(store.batches()["purpose"]) == {"official"}
    # promoted: its polygons (detected inside 兴安盟 on the demo's imagery) now count
    assert "辖区外" not in captions(at)
    assert int(at.metric[0].value.replace(",", "")) == store.count("change")


def test_the_bureau_edits_what_the_bulletin_says(monkeypatch, demo_path):
    without_bulletin_records(open_store(str(demo_path)))
    at = run_app(monkeypatch, demo_path, PAGE, user=LEADER)
    at.button(key="bp_text_next_steps_load").click().run()  # the draft, to edit
    draft = at.text_area(key="bp_text_next_steps").value
    assert draft.startswith("一是紧盯变化图斑核查整改。")
    at.text_area(key="bp_text_next_steps").input("一是持续巩固整改成果，开展“回头看”。").run()
    at.button(key="bp_text_next_steps_save").click().run()
    assert not at.exception, at.exception
    store = open_store(str(demo_path))
    assert records.text(store, "next_steps") == "一是持续巩固整改成果，开展“回头看”。"
    # a recorded action and the provenance, through the forms
    at.text_input(key="bp_act_title").input("召开党组会议研究部署整改工作")
    next(b for b in at.button if b.label == "添加记录").click().run()
    assert records.actions(store)["title"].tolist() == ["召开党组会议研究部署整改工作"]
    at.selectbox(key="bp_set_genre").set_value("inspection")
    for key, value in (("team", "盟委第三巡察组"), ("feedback_date", "2023-08-17"), ("authority", "兴安盟委"),
                       ("issuer", "中共兴安盟林业和草原局党组"), ("subject", "兴安盟委第四轮（专项）巡察")):
        at.text_input(key=f"bp_set_{key}").input(value)
    next(b for b in at.button if b.label == "保存设置").click().run()
    assert not at.exception, at.exception
    assert rsettings.stored(store)["team"] == "盟委第三巡察组"
    # the bulletin the screen hands out says all of it
    from dashboard.components.common import settings
    from geo import report

    data = report.render(store, "docx", settings=settings(), **at.session_state["sum_report_filters"])
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert text.startswith("中共兴安盟林业和草原局党组关于兴安盟委\n第四轮（专项）巡察整改进展情况的通报")
    assert "8月17日，盟委第三巡察组向兴安盟林业和草原局党组反馈了巡察意见" in text
    assert "四、下一步工作安排\n一是持续巩固整改成果，开展“回头看”。\n" in text
    assert "召开党组会议研究部署整改工作。" in text
    # an inspector sees no editor
    inspector = {"name": "tuquan_inspector", "display_name": "突泉县核查员", "role": "inspector",
                 "counties": ["152224"], "disabled": False}
    at = run_app(monkeypatch, demo_path, PAGE, user=inspector)
    assert not [t for t in at.text_area if t.key == "bp_text_next_steps"]
