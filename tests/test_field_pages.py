"""The upload page asks what a batch is and confirms features outside the jurisdiction; the
公示牌·巡护·修复 page offers the zone check to those who keep the zones and the patrol coverage to
everyone (Streamlit AppTest, headless)."""

from __future__ import annotations

from tests.test_app import run_app
from tests.test_field_import import far_batch, gpx
from tests.test_upload_page import STAFF, shown, upload

INSPECTOR = {"name": "tuquan_inspector", "display_name": "突泉核查员", "role": "inspector", "counties": ["152224"],
             "disabled": False}


def commit_button(at):
    return at.button(key="up_commit")


def test_the_upload_form_assumes_neither_source_nor_purpose(monkeypatch, demo_path):
    at = run_app(monkeypatch, demo_path, "views/upload.py", "zh", user=STAFF)
    assert at.selectbox(key="up_source").value is None
    assert at.selectbox(key="up_purpose").value is None
    at = upload(monkeypatch, demo_path, [("外地图斑.geojson", far_batch(3).files["外地图斑.geojson"])])
    at.text_input(key="up_name").set_value("外地批次").run()
    assert "请先选择来源和批次性质再导入" in shown(at)
    assert commit_button(at).disabled


def test_an_official_batch_outside_waits_for_the_confirmation_of_its_number(monkeypatch, demo_path):
    from geo.store import open_store

    before = open_store(str(demo_path)).count("change")
    at = upload(monkeypatch, demo_path, [("外地图斑.geojson", far_batch(3).files["外地图斑.geojson"])])
    at.text_input(key="up_name").set_value("外地批次").run()
    at.selectbox(key="up_source").set_value("国家森林督查").run()
    at.selectbox(key="up_purpose").set_value("official").run()
    assert not at.exception, at.exception
    assert "有 3 个要素不在本辖区任何旗县范围内" in shown(at)
    assert commit_button(at).disabled
    box = next(c for c in at.checkbox if c.key and c.key.startswith("up_outside_"))
    assert "确认将这 3 个辖区外要素导入正式批次" in box.label
    box.check().run()
    assert not commit_button(at).disabled
    commit_button(at).click().run()
    assert not at.exception, at.exception
    assert open_store(str(demo_path)).count("change") == before + 3


def test_a_candidate_batch_outside_needs_no_confirmation(monkeypatch, demo_path):
    at = upload(monkeypatch, demo_path, [("外地图斑.geojson", far_batch(2).files["外地图斑.geojson"])])
    at.text_input(key="up_name").set_value("候选").run()
    at.selectbox(key="up_source").set_value("自动检测").run()
    at.selectbox(key="up_purpose").set_value("candidate").run()
    assert "不在本辖区任何旗县范围内（见" not in shown(at)
    assert not commit_button(at).disabled


def test_a_gpx_on_the_upload_page_is_sent_to_the_patrol_form(monkeypatch, demo_path):
    at = upload(monkeypatch, demo_path, [("巡护.gpx", gpx())])
    assert not at.exception, at.exception
    assert "GPX 巡护轨迹请在" in shown(at)
    assert commit_button_absent(at)


def commit_button_absent(at) -> bool:
    return not [b for b in at.button if b.key == "up_commit"]


def test_the_zone_check_is_for_data_staff_and_coverage_for_every_role(monkeypatch, demo_path):
    at = run_app(monkeypatch, demo_path, "views/field.py", "zh", user=STAFF, query={"layer": "zones"})
    at.session_state["field_layer"] = "zones"
    at.run()
    assert not at.exception, at.exception
    labels = [m.label for m in at.metric]
    assert "缺口" in labels and "重叠" in labels
    table = at.dataframe[0].value
    assert "突泉县" in set(table["旗县"]) and "152224" not in set(table["旗县"])
    at = run_app(monkeypatch, demo_path, "views/field.py", "zh", user=INSPECTOR)
    at.session_state["field_layer"] = "zones"
    at.run()
    assert not at.exception, at.exception
    assert "缺口" not in [m.label for m in at.metric]  # not offered: the signboards instead
    at.session_state["field_layer"] = "coverage"
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert "覆盖率(%)" in table.columns and len(table) > 0
    assert set(table["旗县"]) == {"突泉县"}  # the inspector's county only
