"""Labels of values the app shows (history operations, coordinate systems) and the bureau's time
zone: in Chinese they read as Chinese, and local dates follow the configured zone."""

from __future__ import annotations

import datetime as dt

import pytest

from geo.declare import registry as S
from geo.core import timeutil
from geo.core.config import load_settings
from geo.core.crs import crs_label, crs_name
from geo.core.errors import ConfigError


@pytest.mark.parametrize("code, zh", [
    ("EPSG:4529", "CGCS2000 高斯-克吕格 3度带 第41带（横坐标含带号）"),
    ("EPSG:4550", "CGCS2000 高斯-克吕格 3度带 第41带（中央经线 东经123°）"),
    ("EPSG:4549", "CGCS2000 高斯-克吕格 3度带 第40带（中央经线 东经120°）"),
    ("EPSG:4491", "CGCS2000 高斯-克吕格 6度带 第13带（横坐标含带号）"),
    ("EPSG:4508", "CGCS2000 高斯-克吕格 6度带 第19带（中央经线 东经111°）"),
    ("EPSG:2383", "西安 1980 高斯-克吕格 3度带 第38带（中央经线 东经114°）"),
    ("EPSG:2401", "北京 1954 高斯-克吕格 3度带 第25带（横坐标含带号）"),
    ("EPSG:4490", "CGCS2000 经纬度"),
    ("4326", "WGS 84 经纬度"),
    ("EPSG:32651", "WGS 84 UTM 投影 第51带（北半球）"),
])
def test_coordinate_systems_are_named_in_chinese(code, zh):
    from pyproj import CRS

    assert crs_name(code, "zh") == zh
    assert crs_label(code, "zh") == f"{zh} · EPSG:{code.split(':')[-1]}"
    assert crs_name(code, "en") == CRS.from_user_input(code).name  # English keeps pyproj's name


def test_every_area_zone_of_china_has_a_chinese_name_without_latin_words():
    import re

    for code in range(4534, 4555):  # the zones area is measured in (geo.core.crs.areas_m2)
        name = crs_name(f"EPSG:{code}", "zh")
        assert not re.search(r"[A-Za-z]{2,}", name.replace("CGCS2000", "")), name


def test_several_systems_and_unknown_text_are_labelled_without_failing():
    assert crs_label("EPSG:4550, EPSG:4549", "zh").count("CGCS2000 高斯-克吕格") == 2
    assert crs_label("not a crs", "zh") == "not a crs"
    assert crs_label(None) == "" and crs_label("") == ""


def test_every_history_operation_the_code_writes_has_a_label():
    import re
    from pathlib import Path

    root = Path(S.__file__).resolve().parents[1]  # geo/
    written = set()
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r'action="([a-z_]+)"(?!,\s*help)', text))
        written |= set(re.findall(r'action: str = "([a-z_]+)"', text))
        written |= set(re.findall(r'actor, "([a-z_]+)", (?:None|row)', text))
        written |= set(re.findall(r'"(user_[a-z]+)"', text))  # account events (geo.access.auth)
    written -= {"append", "store_true", "store_false"}  # argparse
    assert {"import", "transition", "attach", "edit", "user_add", "user_disable"} <= written
    for action in written:
        zh = S.label("action", action, "zh")
        assert zh != action and not re.search(r"[A-Za-z]", zh), action
        assert S.label("action", action, "en") != action or action == "import"


@pytest.fixture
def restore_zone():
    yield
    timeutil.use_zone(timeutil.DEFAULT_ZONE)


def _zone_with_another_date() -> str:
    """A zone whose calendar date differs from UTC's right now (UTC+14 or UTC-12)."""
    now = dt.datetime.now(dt.timezone.utc)
    return "Etc/GMT-14" if now.hour >= 10 else "Etc/GMT+12"


def test_local_dates_follow_the_configured_zone(restore_zone, tmp_path):
    zone = _zone_with_another_date()
    utc_today = dt.datetime.now(dt.timezone.utc).date()
    settings = load_settings({"FOREST_TZ": zone, "FOREST_CONFIG": str(tmp_path / "none.toml")})
    assert settings.timezone == zone
    assert timeutil.today_local() != utc_today
    assert timeutil.today_local() == dt.datetime.now(timeutil.local_tz()).date()
    stamp = timeutil.now_utc()
    assert timeutil.local_date(stamp) == timeutil.today_local()  # tables and form defaults agree
    assert timeutil.fmt_local(stamp)[:10] == timeutil.today_local().isoformat()
    load_settings({"FOREST_CONFIG": str(tmp_path / "none.toml")})  # the default is Beijing time again
    assert timeutil.local_tz().key == "Asia/Shanghai"


def test_a_zone_that_does_not_exist_is_refused_in_both_languages(restore_zone, tmp_path):
    with pytest.raises(ConfigError) as ex:
        load_settings({"FOREST_TZ": "Mars/Olympus", "FOREST_CONFIG": str(tmp_path / "none.toml")})
    assert "时区" in ex.value.zh and "time zone" in ex.value.en


def test_no_code_takes_the_server_date_for_a_date_people_see():
    """``date.today()`` / naive ``now()`` give the server's date (often UTC): never in the app or
    the library (the demo's fixed dates and geo.report are another helper's; see the README)."""
    import re
    from pathlib import Path

    root = Path(S.__file__).resolve().parents[2]
    bad = []
    for folder in ("dashboard", "geo"):
        for path in (root / folder).rglob("*.py"):
            rel = path.relative_to(root).as_posix()
            if rel.startswith(("geo/report/", "geo/docs/")) or rel == "geo/core/timeutil.py":
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if re.search(r"date\.today\(\)|datetime\.now\(\)|datetime\.utcnow\(|Timestamp\.(today|now)\(\)", line):
                    bad.append(f"{rel}:{n}: {line.strip()}")
    assert not bad, bad


def test_exports_in_chinese_name_the_area_crs():
    import pandas as pd

    from geo.report.export import labelled

    frame = pd.DataFrame({"id": [1, 2], "area_crs": ["EPSG:4550", None], "status": ["issued", "closed"]})
    zh = labelled(frame, S.layer("change"), "zh")
    assert zh["面积计算坐标系"].tolist() == ["CGCS2000 高斯-克吕格 3度带 第41带（中央经线 东经123°） · EPSG:4550", ""]
    assert zh["状态"].tolist() == ["下发", "已销号"]
    en = labelled(frame, S.layer("change"), "en")
    assert en["Area CRS"].iloc[0] == "CGCS2000 / 3-degree Gauss-Kruger CM 123E · EPSG:4550"


def test_account_events_read_as_sentences():
    from geo.access.labels import audit_text

    text = audit_text('{"user": "li_si", "role": "inspector", "counties": ["152224"]}', "zh", {"152224": "突泉县"})
    assert text == "账号：li_si；角色：核查员；旗县：突泉县"
    assert audit_text('{"user": "li_si"}', "en") == "Account: li_si"
    assert audit_text(None) == "" and audit_text("") == ""
