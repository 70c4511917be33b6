"""The upload page itself (Streamlit AppTest, headless): files that used to crash it load or are
refused in Chinese naming the file; the form defaults to the bureau's date; the field mapping is
a form with one select box per column of the file."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.test_app import run_app
from tests.test_ingest_hostile import EXCEPTION_NAME, SERVER_PATH, kml_bytes

STAFF = {"name": "staff", "display_name": "数据管理员", "role": "staff", "counties": [], "disabled": False}


def upload(monkeypatch, db, files, lang="zh"):
    at = run_app(monkeypatch, db, "views/upload.py", lang, user=STAFF)
    assert not at.exception, at.exception
    uploader = next(u for u in at.file_uploader if u.key and u.key.startswith("up_files_"))
    uploader.set_value([(n, data, "application/octet-stream") for n, data in files])
    at.run()
    return at


def shown(at) -> str:
    return "\n".join(str(e.value) for kind in ("error", "warning", "info", "success", "caption")
                     for e in getattr(at, kind))


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_a_gb2312_kml_loads_on_the_page(monkeypatch, demo_path):
    at = upload(monkeypatch, demo_path, [("突泉县图斑.kml", kml_bytes("GB2312", "gb2312"))])
    assert not at.exception, at.exception
    assert metric(at, "读取") == "2" and metric(at, "可导入") == "2"
    assert not at.error, [e.value for e in at.error]
    assert "坐标系：WGS 84 经纬度 · EPSG:4326" in shown(at)  # the CRS is named in Chinese


@pytest.mark.parametrize("name, data", [
    ("损坏的图斑.gpkg", b"not a geopackage" * 30),
    ("截断.geojson", b'{"type": "FeatureCollection", "features": [ {"type":'),
    ("二进制.kml", bytes(range(256)) * 8),
    ("没有县.kml", kml_bytes("UTF-8", "utf-8").replace("<Data name=\"县\"><value>突泉县</value></Data>".encode(), b"")),
])
def test_a_file_that_crashed_or_leaked_is_loaded_or_refused_plainly(monkeypatch, demo_path, name, data):
    at = upload(monkeypatch, demo_path, [(name, data)])
    assert not at.exception, at.exception
    if not at.error:  # the KML without a county column used to crash the check: it loads now
        assert metric(at, "可导入") == "2"
        return
    text = "\n".join(e.value for e in at.error)
    assert name in text and re.search(r"[\u4e00-\u9fff]", text)
    assert not EXCEPTION_NAME.search(text) and not SERVER_PATH.search(text), text


def test_the_issue_date_defaults_to_the_bureaus_day(monkeypatch, demo_path):
    now = dt.datetime.now(dt.timezone.utc)
    zone = "Etc/GMT-14" if now.hour >= 10 else "Etc/GMT+12"  # its date differs from UTC's now
    monkeypatch.setenv("FOREST_TZ", zone)
    try:
        at = run_app(monkeypatch, demo_path, "views/upload.py", "zh", user=STAFF)
        issued = at.date_input(key="up_issued").value
        from zoneinfo import ZoneInfo

        assert issued == dt.datetime.now(ZoneInfo(zone)).date() != now.date()
    finally:
        from geo.core.timeutil import DEFAULT_ZONE, use_zone

        use_zone(DEFAULT_ZONE)


def test_the_mapping_is_one_select_box_per_column_and_a_choice_is_applied(monkeypatch, demo_path):
    from tests.test_ingest import tb, zipped

    data = zipped(tb(3, prefix="AP"), stem="映射").files["映射.zip"]
    at = upload(monkeypatch, demo_path, [("映射.zip", data)])
    boxes = {s.label: s for s in at.selectbox if s.key and s.key.startswith("up_map_")}
    assert set(boxes) == {"PAN_NO_TB", "XIAN", "XIANG", "PAN_BHLX", "PAN_BHLX_D", "QQYX_SJ", "HQYX_SJ", "MIAN_JI",
                          "BEIZHU"}
    assert boxes["PAN_NO_TB"].value == "polygon_no" and boxes["BEIZHU"].value is None
    assert not at.data_editor  # no grid-cell editing
    boxes["BEIZHU"].set_value("measure")
    next(b for b in at.button if b.label == "应用字段对应").click()
    at.run()
    assert not at.exception, at.exception
    report = at.session_state["up_report"][1]
    assert report.mapping["BEIZHU"] == "measure"
    assert set(report.features["measure"]) == {"建设项目使用林地"}
