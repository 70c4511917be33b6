"""Every action that changes something confirms it in one line, after the rerun that follows it
(issue 22): promoting a candidate batch, and recording, deleting and restoring the bulletin's
records on the leaders' screen (Streamlit AppTest, and in Chromium)."""

from __future__ import annotations

import os

import pytest

from geo.report import records
from geo.store import open_store
from tests.browser import login, wait_idle
from tests.conftest import DEMO_PASSWORDS
from tests.test_app import run_app
from tests.test_bulletin import without_bulletin_records

SHOTS = os.environ.get("FOREST_SHOTS")  # a folder: keep screenshots there
PAGE = "views/summary.py"
STAFF = {"name": "staff", "display_name": "数据管理员", "role": "staff", "counties": [], "disabled": False}
LEADER = {"name": "leader", "display_name": "盟林草局局长", "role": "leader", "counties": [], "disabled": False}


def successes(at) -> list[str]:
    return [s.value for s in at.success]


def test_promoting_a_candidate_batch_says_so_once(monkeypatch, demo_path):
    store = open_store(str(demo_path))
    auto = store.batches("change").query("source == '自动检测'").iloc[0]
    at = run_app(monkeypatch, demo_path, PAGE, user=STAFF)
    assert not successes(at)
    at.button(key="sum_promote").click().run()
    assert not at.exception, at.exception
    assert successes(at) == [f"已将批次“{auto['name']}”转为正式批次，计入统计。"]
    at.run()  # the next run (any other action) no longer repeats it
    assert not successes(at)


def test_the_bulletin_records_confirm_each_change(monkeypatch, demo_path):
    store = open_store(str(demo_path))
    without_bulletin_records(store)
    at = run_app(monkeypatch, demo_path, PAGE, user=LEADER)
    at.text_input(key="bp_act_title").input("召开党组会议研究部署整改工作")
    next(b for b in at.button if b.label == "添加记录").click().run()
    assert not at.exception, at.exception
    assert "已添加记录：召开党组会议研究部署整改工作" in successes(at)
    gone = int(records.actions(store)["id"].iloc[0])
    at.button(key="bp_act_delete_go").click().run()
    assert records.actions(store).empty
    assert f"已删除记录 #{gone}" in successes(at)
    # a section's own text, then back to the draft
    at.text_area(key="bp_text_next_steps").input("一是持续巩固整改成果。").run()
    at.button(key="bp_text_next_steps_save").click().run()
    assert "已保存" in successes(at)
    at.run()  # (the page offers 恢复草稿 for a text saved before this run)
    at.button(key="bp_text_next_steps_clear").click().run()
    assert not at.exception, at.exception
    assert records.text(store, "next_steps") is None
    assert [s for s in successes(at) if "已恢复为草稿" in s]


@pytest.mark.browser
def test_promoting_a_batch_and_recording_an_action_confirm_it_on_screen(dashboard, page):
    store = open_store(dashboard.db)
    auto = store.batches("change").query("source == '自动检测'").iloc[0]
    login(page, dashboard.url, "staff", DEMO_PASSWORDS["staff"], path="summary")
    page.get_by_role("heading", name="领导驾驶舱").first.wait_for()
    wait_idle(page)
    page.get_by_text("审核候选批次（1个）").click()
    page.get_by_role("button", name="审核通过，转为正式").click()
    note = page.locator("[data-testid='stAlertContentSuccess']", has_text="转为正式批次")
    note.wait_for(timeout=60_000)
    assert note.inner_text().strip().split("\n")[-1] == f"已将批次“{auto['name']}”转为正式批次，计入统计。"
    assert set(store.batches()["purpose"]) == {"official"}
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "batch_promoted.png"))
    wait_idle(page)
    page.get_by_text("通报设置与内容", exact=True).click()
    page.get_by_role("tab", name="工作记录").click()
    page.get_by_label("事项", exact=True).fill("召开专题会议部署整改")
    page.get_by_role("button", name="添加记录").click()
    page.locator("[data-testid='stAlertContentSuccess']", has_text="已添加记录：召开专题会议部署整改").wait_for(timeout=60_000)
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "bulletin_action_added.png"))
    assert "召开专题会议部署整改" in records.actions(store)["title"].tolist()
