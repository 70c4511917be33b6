"""森林资源小班: the forest and grassland sub-compartments (小班) of the bureau's inventory
(二类调查 / 森林资源"一张图"), the base of the carbon-sink map (碳汇一张图).

A 小班 layer is imported like any other spatial batch (``python -m geo ingest FILE --layer
subcompartment --batch …`` or the upload page), its columns mapped by the aliases below (小班号,
地类, 优势树种, 龄组, 每公顷蓄积, 面积 …). Carbon is never stored on the records: it is computed
from them with the factor table named in the settings (:mod:`geo.carbon.carbon`), so replacing the table
changes every figure at once.
"""

from __future__ import annotations

from geo.declare.base import AREA, COMMON, INT, REAL, TEXT, WHERE, ZONED, Figure, Layer, fld

SUBCOMPARTMENT = Layer(
    key="subcompartment",
    table="subcompartments",
    geometry="MULTIPOLYGON",
    zh="森林资源小班",
    en="Forest sub-compartments",
    label_field="xiao_ban",
    group="carbon",
    stock=True,  # (what exists, not work: 台账 in the chief's view)
    icon=":material/forest:",
    writers=("admin", "staff"),
    rules="geo.carbon.carbon",
    list_fields=("lin_ban", "xiao_ban", "land_class", "species", "age_group", "volume_per_ha", "area_ha",
                 "county", "township"),
    fields=(
        fld("batch_id", INT, "批次", "Batch", internal=True),
        fld("source", TEXT, "数据来源", "Source", "来源", "数据来源"),
        fld("lin_ban", TEXT, "林班", "Compartment", "林班", "林班号", "LIN_BAN", "LINBAN", "LB", "LBH"),
        fld("xiao_ban", TEXT, "小班号", "Sub-compartment", "小班", "小班号", "XIAO_BAN", "XIAOBAN", "XBH", "XB"),
        fld("land_class", TEXT, "地类", "Land class", "地类", "DI_LEI", "DILEI", "DL", "地类名称"),
        fld("origin", TEXT, "起源", "Origin", "起源", "QI_YUAN", "QY"),
        fld("species", TEXT, "优势树种", "Dominant species", "优势树种", "优势树种组", "树种", "YOU_SHI_SZ",
           "YSSZ", "YSSZ_MC", "优势树种（组）"),
        fld("age_group", TEXT, "龄组", "Age group", "龄组", "LING_ZU", "LZ"),
        fld("age", INT, "平均年龄", "Mean age", "平均年龄", "年龄", "PINGJUN_NL", "PJNL", unit="年"),
        fld("canopy", REAL, "郁闭度", "Canopy cover", "郁闭度", "覆盖度", "YU_BI_DU", "YBD"),
        fld("volume_per_ha", REAL, "每公顷蓄积", "Stock per ha", "每公顷蓄积", "公顷蓄积", "单位蓄积",
           "MEI_GQ_XJ", "MGQXJ", "每公顷蓄积量", unit="立方米/公顷"),
        fld("volume_m3", REAL, "小班蓄积", "Stock volume", "小班蓄积", "蓄积", "蓄积量", "活立木蓄积", "XU_JI",
           "HLMXJ", unit="立方米"),
        fld("survey_year", INT, "调查年度", "Survey year", "调查年度", "年度", "NIAN_DU", "ND", "更新年度"),
        fld("prev_volume_per_ha", REAL, "前期每公顷蓄积", "Earlier stock per ha", "前期每公顷蓄积",
           "上期每公顷蓄积", "前期公顷蓄积", "Q_MEI_GQ_XJ",
           "前期每公顷", "前期蓄积", "QMGQXJ", unit="立方米/公顷"),  # (a DBF name keeps 10 bytes: 5 characters)
        fld("prev_year", INT, "前期调查年度", "Earlier survey year", "前期调查年度", "上期年度", "前期年度", "Q_NIAN_DU",
           "前期调查年", "QND"),
        fld("grass_type", TEXT, "草地类型", "Grassland type", "草地类型", "草原类型", "草地类", "草地类别"),
        *WHERE,
        fld("village", TEXT, "嘎查村", "Village", "村", "嘎查村", "CUN"),
        fld("forest_farm", TEXT, "林场", "Forest farm", "林场", "LIN_CHANG"),
        *ZONED,
        *AREA,
        fld("area_reported_ha", REAL, "小班面积(上报)", "Reported area (ha)", "面积", "小班面积", "MIAN_JI", "MJ",
           unit="公顷"),
        fld("note", TEXT, "备注", "Note", "备注", "BEIZHU"),
        *COMMON,
    ),
    figures=(
        Figure("subcompartments", "小班", "Sub-compartments"),
        Figure("carbon_stock_t", "碳储量", "Carbon stock", kind="custom", unit="吨碳", digits=1),
        Figure("co2_stock_t", "碳储量（折二氧化碳）", "Carbon stock as CO2", kind="custom", unit="吨二氧化碳", digits=1),
        Figure("annual_sink_tco2", "年碳汇量", "Annual sink", kind="custom", unit="吨二氧化碳/年", digits=1),
        Figure("illegal_loss_t", "违法变化图斑碳损失", "Carbon lost to illegal change", kind="custom", unit="吨碳",
               digits=1),
        Figure("carbon_net_t", "扣除违法损失后碳储量", "Carbon stock net of illegal loss", kind="custom",
               unit="吨碳", digits=1),
        Figure("forest_area_ha", "计入碳储量的林地面积", "Forest land counted", kind="custom", unit="公顷", digits=2),
        Figure("grass_area_ha", "计入碳储量的草地面积", "Grassland counted", kind="custom", unit="公顷", digits=2),
        Figure("uncounted", "无法计算的小班", "Sub-compartments not computed", kind="custom"),
    ),
)

REGISTERS = (SUBCOMPARTMENT,)
