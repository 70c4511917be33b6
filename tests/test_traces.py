"""What the bureau records for its bulletin (actions, section texts, settings) is scoped by county
and leaves a history — who, when, before and after; backups and restores on the command line need
an administrator's account (or ``--system``) and say in the store's history which backup replaced
what."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from geo.access.actors import resolve
from geo.access.auth import Access, add_user
from geo.core.errors import PermissionDenied
from geo.report import records
from geo.report import settings as rsettings
from geo.store import open_store

ROOT = Path(__file__).resolve().parent.parent
TUQUAN, JALAID = "152224", "152223"


@pytest.fixture
def county_leader(demo_store):
    """A leader bound to 突泉县, as the store hands it to his pages."""
    add_user(demo_store, Access("admin", "admin"), name="tuquan_leader", role="leader",
             password="Tuquan-leader-9", counties=[TUQUAN])
    return resolve(demo_store, "tuquan_leader", write=False)[0]


def _events(store, layer):
    return store.events(layer)


def test_a_county_leader_cannot_delete_another_countys_action_and_deletions_are_kept(demo_store, county_leader):
    theirs = records.add_action(demo_store, on_date="2024-03-01", kind="meeting", title="扎赉特旗召开整改推进会",
                                county_code=JALAID, actor="staff")
    league = records.add_action(demo_store, on_date="2024-03-02", kind="document", title="印发整改方案",
                                actor="staff")
    mine = records.add_action(county_leader, on_date="2024-03-03", kind="meeting", title="突泉县召开整改推进会",
                              county_code=TUQUAN, actor="tuquan_leader")
    for other in (theirs, league):
        with pytest.raises(PermissionDenied) as err:
            records.delete_action(county_leader, other)
        assert "只能删除本旗县的工作记录" in err.value.zh
    assert {theirs, league, mine} <= set(records.actions(demo_store)["id"].astype(int))
    # he reads his county's and the whole jurisdiction's, not another county's
    assert set(records.actions(county_leader)["id"].astype(int)) >= {league, mine}
    assert theirs not in set(records.actions(county_leader)["id"].astype(int))
    assert theirs not in set(records.actions(county_leader, counties=[JALAID])["id"].astype(int))

    records.delete_action(county_leader, mine)
    assert mine not in set(records.actions(demo_store)["id"].astype(int))
    ev = _events(demo_store, "report_action")
    mine_ev = ev[ev["feature_id"].astype(int) == mine].sort_values("id")
    assert mine_ev["action"].tolist() == ["create", "delete"]
    assert mine_ev["actor"].tolist() == ["tuquan_leader", "tuquan_leader"]
    gone = json.loads(mine_ev["fields"].iloc[-1])
    assert gone["before"]["title"] == "突泉县召开整改推进会" and gone["after"] is None
    # the history as he reads it: his county's changes only
    seen = records.history(county_leader)
    assert [(h["action"], h["id"]) for h in seen if h["what"] == "action"] == [("create", mine), ("delete", mine)]
    assert all(h["counties"] == [TUQUAN] for h in seen)
    assert {("create", theirs), ("create", league)} <= {(h["action"], h["id"]) for h in records.history(demo_store)}


def test_section_texts_are_scoped_by_county_and_every_change_is_kept(demo_store, county_leader):
    with pytest.raises(PermissionDenied):
        records.set_text(county_leader, "next_steps", "扎赉特旗的安排", actor="tuquan_leader", counties=[JALAID])
    # without counties he edits his own county's text, never the whole jurisdiction's
    records.set_text(county_leader, "next_steps", "一是巩固突泉县整改成果。", actor="tuquan_leader")
    assert records.text(demo_store, "next_steps", [TUQUAN]) == "一是巩固突泉县整改成果。"
    assert records.text(demo_store, "next_steps") is None
    records.set_text(demo_store, "next_steps", "一是全盟巩固整改成果。", actor="leader")
    with pytest.raises(PermissionDenied):
        records.text(county_leader, "next_steps", [JALAID])
    assert records.text(county_leader, "next_steps") == "一是巩固突泉县整改成果。"
    records.set_text(county_leader, "next_steps", "一是巩固突泉县整改成果。二是建立长效机制。", actor="tuquan_leader")
    records.set_text(county_leader, "next_steps", "一是巩固突泉县整改成果。二是建立长效机制。", actor="tuquan_leader")
    records.set_text(county_leader, "next_steps", None, actor="tuquan_leader")  # cleared: the draft is back
    mine = [h for h in records.history(county_leader) if h["what"] == "text"]
    assert [(h["action"], h["before"], h["after"]) for h in mine] == [
        ("edit", None, "一是巩固突泉县整改成果。"),
        ("edit", "一是巩固突泉县整改成果。", "一是巩固突泉县整改成果。二是建立长效机制。"),  # (the same again: no event)
        ("clear", "一是巩固突泉县整改成果。二是建立长效机制。", None),
    ]
    assert all(h["actor"] == "tuquan_leader" and h["at"] for h in mine)
    whole = [h for h in records.history(demo_store) if h["what"] == "text"]
    assert ("leader", None, "一是全盟巩固整改成果。") in {(h["actor"], h["before"], h["after"]) for h in whole}


def test_bulletin_settings_changes_are_kept_with_before_and_after(demo_store, county_leader):
    before = rsettings.load(demo_store, __import__("geo.core.config", fromlist=["Settings"]).Settings())
    with pytest.raises(PermissionDenied):
        rsettings.save(county_leader, {"doc_number": "突林草字〔2024〕1号"}, actor="tuquan_leader")
    n = len(_events(demo_store, "report_setting"))
    rsettings.save(demo_store, {"doc_number": "兴林草党字〔2024〕9号", "cc": before.cc}, actor="leader")
    rsettings.save(demo_store, {"doc_number": "兴林草党字〔2024〕9号"}, actor="leader")  # no change: no event
    ev = _events(demo_store, "report_setting")
    assert len(ev) == n + 1
    last = json.loads(ev.sort_values("id")["fields"].iloc[-1])
    assert last == {"before": {"doc_number": before.doc_number or None}, "after": {"doc_number": "兴林草党字〔2024〕9号"}}
    assert ev.sort_values("id")["actor"].iloc[-1] == "leader"
    assert all(h["what"] != "setting" for h in records.history(county_leader))  # league-wide: not his


# ------------------------------------------------------------------------------ backup and restore
def geo(*args, db):
    env = {**os.environ, "FOREST_LANG": "zh"}
    env.pop("FOREST_DEBUG", None)
    out = subprocess.run([sys.executable, "-m", "geo", *map(str, args), "--db", str(db), "--json"],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert "Traceback" not in out.stderr, out.stderr
    return out


def test_backup_and_restore_need_an_administrator_and_say_which_backup_replaced_what(demo_path, tmp_path):
    out = tmp_path / "备份.gpkg"
    refused = geo("backup", "--out", out, db=demo_path)
    assert refused.returncode == 2 and "请注明操作人" in json.loads(refused.stdout)["message"]
    refused = geo("backup", "--out", out, "--actor", "tuquan_inspector", db=demo_path)
    assert refused.returncode == 2 and "只有系统管理员" in json.loads(refused.stdout)["message"]
    assert not out.exists()

    store = open_store(str(demo_path))
    mark = store.events()["id"].astype(int).max()
    done = geo("backup", "--out", out, "--actor", "admin", db=demo_path)
    assert done.returncode == 0, done.stdout
    ev = store.events("store")
    made = json.loads(ev["fields"].iloc[-1])
    assert ev["action"].iloc[-1] == "backup" and ev["actor"].iloc[-1] == "admin"
    assert made["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() and made["file"] == "备份.gpkg"
    assert made["holds"]["last_event_id"] == mark

    # the store moves on, then the backup replaces it
    records.add_action(store, on_date="2024-05-01", kind="meeting", title="备份之后的会议", actor="staff")
    last = store.events()["id"].astype(int).max()
    n = len(store.events())
    refused = geo("restore", out, "--force", db=demo_path)
    assert refused.returncode == 2 and "--system" in json.loads(refused.stdout)["message"]
    refused = geo("restore", out, "--force", "--actor", "leader", db=demo_path)
    assert refused.returncode == 2 and "只有系统管理员" in json.loads(refused.stdout)["message"]
    done = geo("restore", out, "--force", "--system", db=demo_path)
    assert done.returncode == 0, done.stdout
    restored = open_store(str(demo_path))
    assert "备份之后的会议" not in set(records.actions(restored)["title"])
    ev = restored.events("store").sort_values("id")
    facts = json.loads(ev["fields"].iloc[-1])
    assert ev["action"].iloc[-1] == "restore" and ev["actor"].iloc[-1].startswith("system:")
    assert facts["file"] == "备份.gpkg" and facts["sha256"] == made["sha256"]
    assert facts["replaced"]["last_event_id"] == last and facts["replaced"]["events"] == n
    assert facts["holds"]["last_event_id"] == mark


def test_the_history_is_kept_on_both_backends(store):
    aid = records.add_action(store, on_date="2024-03-01", kind="meeting", title="召开整改推进会", county_code=TUQUAN,
                             actor="staff")
    records.delete_action(store, aid, actor="admin")
    records.set_text(store, "mechanism", "一是健全制度。", actor="staff", counties=[TUQUAN])
    rsettings.save(store, {"doc_number": "兴林草党字〔2024〕9号"}, actor="admin")
    got = [(h["what"], h["action"], h["actor"]) for h in records.history(store)]
    assert got == [("action", "create", "staff"), ("action", "delete", "admin"), ("text", "edit", "staff"),
                   ("setting", "edit", "admin")]
    assert records.history(store, counties=[JALAID]) == []
    assert records.history(store)[1]["before"]["title"] == "召开整改推进会"
