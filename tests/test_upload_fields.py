"""The standard columns of 森林督查 and 草原 batches (SCHEMA.md, DOMAIN.md "What real batches look
like") fill the right fields without anyone mapping them, and a whole batch with Chinese column
names is stored with them."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from geo.ingest import Options, prepare, suggest
from tests.test_ingest import TUQUAN, add_counties, zipped

FOREST_2023 = {  # the national platform's export (coded columns with their _DESC twins)
    "PAN_NO_TB": "polygon_no", "XIAN": "county", "XIANG": "township", "LIN_BAN": "lin_ban",
    "XIAOBAN": "xiao_ban", "MIAN_JI": "area_reported_ha", "QQYX_SJ": "before_date", "HQYX_SJ": "after_date",
    "PAN_BHLX_DESC": "change_type", "Q_DI_LEI_DESC": "land_before", "PD_BHYY_DESC": "change_cause",
    "YZ_BHYY_DESC": "verified_cause",
}
FOREST_VERIFY = {  # the verification layer, Chinese column names
    "图斑号": "polygon_no", "县": "county", "乡镇": "township", "村": "village", "前期时间": "before_date",
    "后期时间": "after_date", "前地类": "land_before", "后地类": "land_now", "变化原因": "change_cause",
    "判读面积": "area_reported_ha", "检查人员": "verified_by", "检查日期": "verified_on",
    "核实变化原因": "verified_cause", "审核文号": "approval_no", "使用林地性质": "land_use_nature",
}
GRASSLAND = {  # a grassland batch as leagues hand it on
    "图斑编号": "polygon_no", "旗县（市、区）": "county", "苏木（乡镇）": "township", "嘎查（村）": "village",
    "前时相": "before_date", "后时相": "after_date", "前地类": "land_before", "现地类": "land_now",
    "变化原因": "change_cause", "图斑面积（公顷）": "area_reported_ha", "变化类型": "change_type",
}


@pytest.mark.parametrize("columns", [FOREST_2023, FOREST_VERIFY, GRASSLAND], ids=["forest-2023", "forest-verify", "grassland"])
def test_standard_columns_map_by_default(columns):
    mapping = suggest(list(columns), "change")
    assert {c: f for c, f in mapping.items() if f} == columns


def test_a_later_land_class_fills_land_now_whichever_name_it_has():
    for name in ("后地类", "现地类", "变化后地类", "现状地类", "判读地类", "PAN_DILEI"):
        assert suggest(["前地类", name], "change") == {"前地类": "land_before", name: "land_now"}, name


def test_a_grassland_batch_with_chinese_columns_is_stored_with_them(tmp_path):
    from geo.store import open_store

    store = add_counties(open_store(str(tmp_path / "g.gpkg"), create=True))
    n = 3
    geoms = [box(TUQUAN[0] + i * 0.01, TUQUAN[1], TUQUAN[0] + i * 0.01 + 0.004, TUQUAN[1] + 0.004) for i in range(n)]
    frame = gpd.GeoDataFrame({
        "图斑编号": [f"CY{i:03d}" for i in range(n)], "旗县": ["突泉县"] * n, "苏木乡镇": ["突泉镇"] * n,
        "前地类": ["天然牧草地"] * n, "后地类": ["耕地"] * n, "变化原因": ["开垦草原"] * n,
        "判读面积": np.round([0.13] * n, 4), "前时相": ["20230601"] * n, "后时相": ["20240605"] * n,
    }, geometry=geoms, crs=4490)
    report = prepare(zipped(frame, stem="草原图斑"), Options(layer="change", batch="2024年草原第1期",
                                                           source="草原变化图斑", kind="grassland"), store)
    f = report.features
    assert report.to_store == n
    assert set(f["land_before"]) == {"天然牧草地"} and set(f["land_now"]) == {"耕地"}
    assert set(f["change_cause"]) == {"开垦草原"} and set(f["before_date"]) == {"2023-06-01"}
    assert list(f["polygon_no"]) == ["CY000", "CY001", "CY002"]
    assert f["extra"].isna().all()  # nothing left over: every column found its field
