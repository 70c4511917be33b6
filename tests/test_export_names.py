"""Exports in the bureau's words (issue 22): a file is named for what it holds — layer, scope and
day — in Chinese, and a KML (opened in 奥维 and other field apps) carries its fields under the names
of the label table, as the Excel sheet does."""

from __future__ import annotations

import datetime as dt

import pyogrio

from geo.core.timeutil import today_local
from geo.declare import registry as S
from geo.report import export as gexport
from tests.review_support import geo_cli


def test_a_file_is_named_for_its_layer_scope_and_day():
    lyr = S.layer("change")
    assert gexport.file_name(lyr, "gpkg", scope="突泉县", day=dt.date(2026, 12, 7)) == "变化图斑_突泉县_2026-12-07.gpkg"
    assert gexport.file_name(lyr, "kml", scope='a/b:c*"', day="2026-12-07") == "变化图斑_a-b-c_2026-12-07.kml"
    assert gexport.file_name(lyr, "xlsx", day="2026-12-07", lang="en") == "Change_polygons_2026-12-07.xlsx"


def test_the_cli_names_the_file_it_writes_into_a_folder_and_kml_fields_are_chinese(demo_path, tmp_path):
    today = today_local().isoformat()  # the bureau's day
    out = geo_cli("export", "--layer", "change", "--format", "kml", "--out", tmp_path, "--where", "county_code=152224",
                  "--json", db=demo_path, check=0)
    path = tmp_path / f"变化图斑_突泉县_{today}.kml"
    assert path.exists(), (out.stdout, sorted(p.name for p in tmp_path.iterdir()))
    names = list(pyogrio.read_info(str(path))["fields"])
    assert {"编号", "状态", "版本", "图斑编号", "核查结论"} <= set(names), names
    # no machine names: only the KML format's own fields (Name, description … as GDAL reads them) are ASCII
    kml_own = {"id", "Name", "description", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude",
               "visibility", "drawOrder", "icon"}
    assert not [n for n in names if n.isascii() and n not in kml_own], names
    frame = pyogrio.read_dataframe(str(path))
    assert set(frame["旗县"]) == {"突泉县"} and frame["状态"].str.contains("[\u4e00-\u9fff]").all()
    # every county of the store: the jurisdiction's name
    geo_cli("export", "--layer", "change", "--format", "gpkg", "--out", tmp_path, "--json", db=demo_path, check=0)
    assert (tmp_path / f"变化图斑_兴安盟_{today}.gpkg").exists(), sorted(p.name for p in tmp_path.iterdir())
