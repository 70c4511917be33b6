"""Layers and fields: names, types, Chinese/English labels, and the source-file aliases of each.

This module is the single description of what the store holds. The stores build their DDL from
it, the CLI validates ``--field`` against it, exports and reports take their column labels from it,
and the ingest field mapping pre-fills from the ``aliases``.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.errors import ValidationError

# Field types. Dates and datetimes are ISO-8601 text in both backends' rows as Python sees them.
TEXT, INT, REAL, DATE, DATETIME, BOOL, JSON = "text", "int", "real", "date", "datetime", "bool", "json"


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    unit: str = ""


@dataclass(frozen=True)
class Layer:
    key: str
    table: str
    geometry: str  # MULTIPOLYGON, POINT, LINESTRING
    zh: str
    en: str
    fields: tuple[Field, ...]
    statuses: tuple[str, ...] = ("active",)
    initial_status: str = "active"
    label_field: str = "id"

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise ValidationError(
            f"layer '{self.key}' has no field '{name}'; known fields: {', '.join(self.names)}",
            f"图层“{self.zh}”没有字段“{name}”。可用字段：{', '.join(self.names)}",
            field=name,
        )


def _f(name, type_, zh, en, *aliases, unit=""):
    return Field(name, type_, zh, en, tuple(aliases), unit)


# Column defaults in the database: a column added to a big existing table with a constant
# default costs nothing (no rewrite of every row) in SQLite and PostgreSQL alike.
DEFAULTS = {"visited": "0"}


# Columns every layer has, managed by the store and the workflow.
COMMON = (
    _f("status", TEXT, "状态", "Status"),
    _f("version", INT, "版本", "Version"),
    _f("created_at", DATETIME, "创建时间", "Created at"),
    _f("updated_at", DATETIME, "更新时间", "Updated at"),
    _f("updated_by", TEXT, "更新人", "Updated by"),
    _f("flags", JSON, "提示", "Flags"),
    _f("extra", JSON, "其他属性", "Other attributes"),
)

WHERE = (
    _f("county_code", TEXT, "旗县代码", "County code", "XIAN_DM", "县代码", "ADCODE"),
    _f("county", TEXT, "旗县", "County", "XIAN", "县", "旗县", "县名", "XIAN_MC", "区县"),
    _f("township", TEXT, "苏木乡镇", "Township", "XIANG", "乡", "乡镇", "苏木乡镇", "XIANG_MC"),
)

AREA = (
    _f("area_ha", REAL, "面积(公顷)", "Area (ha)", unit="公顷"),
    _f("area_mu", REAL, "面积(亩)", "Area (mu)", unit="亩"),
    _f("area_crs", TEXT, "面积计算坐标系", "Area CRS"),
)

CHANGE_STATUSES = (
    "issued",
    "verifying",
    "verified",
    "case_filed",
    "penalized",
    "rectifying",
    "rectified",
    "accepted",
    "closed",
)

CHANGE = Layer(
    key="change",
    table="change_polygons",
    geometry="MULTIPOLYGON",
    zh="变化图斑",
    en="Change polygons",
    statuses=CHANGE_STATUSES,
    initial_status="issued",
    label_field="polygon_no",
    fields=(
        _f("batch_id", INT, "批次", "Batch"),
        _f("source", TEXT, "来源", "Source", "来源", "SOURCE"),
        _f("kind", TEXT, "类型", "Kind"),
        _f(
            "polygon_no",
            TEXT,
            "图斑编号",
            "Polygon no.",
            "PAN_NO_TB",
            "图斑编号",
            "图斑号",
            "监测编号",
            "TBBH",
            "TB_BH",
            "BH",
            "编号",
        ),
        *WHERE,
        _f("village", TEXT, "嘎查村", "Village", "CUN", "村", "嘎查村", "CUN_MC"),
        _f("forest_bureau", TEXT, "林业局", "Forest bureau", "LIN_YE_JU", "林业局"),
        _f("forest_farm", TEXT, "林场", "Forest farm", "LIN_CHANG", "林场"),
        _f("lin_ban", TEXT, "林班", "Compartment", "LIN_BAN", "林班"),
        _f("xiao_ban", TEXT, "小班", "Sub-compartment", "XIAOBAN", "XIAO_BAN", "小班"),
        _f("zone_id", INT, "责任区", "Responsibility zone"),
        *AREA,
        _f(
            "area_reported_ha",
            REAL,
            "上报面积(公顷)",
            "Reported area (ha)",
            "MIAN_JI",
            "判读面积",
            "改变面积",
            "监测面积",
            "面积",
            "MJ",
            unit="公顷",
        ),
        _f(
            "before_date",
            DATE,
            "前期影像时间",
            "Imagery before",
            "QQYX_SJ",
            "前期时间",
            "前时相",
            "QSX",
        ),
        _f(
            "after_date",
            DATE,
            "后期影像时间",
            "Imagery after",
            "HQYX_SJ",
            "后期时间",
            "后时相",
            "HSX",
        ),
        _f(
            "change_type",
            TEXT,
            "判读变化类型",
            "Change type",
            "PAN_BHLX_DESC",
            "PAN_BHLX",
            "判读变化类型",
            "图斑类型",
            "变化类型",
        ),
        _f(
            "change_cause",
            TEXT,
            "判读变化原因",
            "Interpreted cause",
            "PAN_BHYY_DESC",
            "PAN_BHYY",
            "PD_BHYY_DESC",
            "PD_BHYY",
            "判读变化原因",
            "变化原因",
        ),
        _f(
            "land_before",
            TEXT,
            "前地类",
            "Land class before",
            "Q_DI_LEI_DESC",
            "Q_DI_LEI",
            "PAN_DILEI",
            "前地类",
            "判读地类",
        ),
        _f("land_now", TEXT, "现地类", "Land class now", "XIAN_DI_LEI", "现地类"),
        _f("verdict", TEXT, "核查结论", "Verdict"),
        _f(
            "verified_cause",
            TEXT,
            "核实变化原因",
            "Verified cause",
            "YZ_BHYY_DESC",
            "YZ_BHYY",
            "BHYY",
            "核实变化原因",
            "验证变化原因",
        ),
        _f("land_use_nature", TEXT, "使用林地性质", "Nature of use", "使用林地性质"),
        _f("approval_no", TEXT, "审核文号", "Approval no.", "SH_WH", "审核文号", "审批文号"),
        _f("verified_by", TEXT, "核查人", "Verified by", "检查人员"),
        _f("verified_on", DATE, "核查日期", "Verified on", "检查日期"),
        _f("case_no", TEXT, "立案号", "Case no."),
        _f("decision_no", TEXT, "处罚决定书号", "Penalty decision no."),
        _f("fine_yuan", REAL, "罚款(元)", "Fine (yuan)", unit="元"),
        _f("party", TEXT, "当事人", "Party"),
        _f("measure", TEXT, "整改措施", "Rectification measure"),
        _f("deadline", DATE, "整改期限", "Rectification deadline"),
        _f("rectified_area_mu", REAL, "已整改面积(亩)", "Rectified area (mu)", unit="亩"),
        _f("assigned_to", TEXT, "指派给", "Assigned to"),
        _f("repeat_of", INT, "重复图斑", "Repeat of"),
        _f("geom_hash", TEXT, "图形指纹", "Geometry fingerprint"),
        _f("visited", INT, "巡护到访", "Visited by a patrol"),
        # NDVI per polygon from the imagery register (geo.imagery.zonal), with the scenes used
        _f("ndvi_before", REAL, "前期NDVI均值", "NDVI before (mean)"),
        _f("ndvi_before_median", REAL, "前期NDVI中位数", "NDVI before (median)"),
        _f("ndvi_after", REAL, "后期NDVI均值", "NDVI after (mean)"),
        _f("ndvi_after_median", REAL, "后期NDVI中位数", "NDVI after (median)"),
        _f("ndvi_change", REAL, "NDVI变化", "NDVI change"),
        _f("ndvi_valid_share", REAL, "NDVI有效像元比例", "NDVI valid-pixel share"),
        _f("ndvi_before_scene", INT, "前期影像编号", "Scene before"),
        _f("ndvi_after_scene", INT, "后期影像编号", "Scene after"),
        _f("ndvi_at", DATETIME, "NDVI计算时间", "NDVI computed at"),
        *COMMON,
    ),
)

OCCUPATION = Layer(
    key="occupation",
    table="occupation_plots",
    geometry="MULTIPOLYGON",
    zh="违法占用地块",
    en="Illegal-occupation plots",
    statuses=("found", "case_filed", "penalized", "rectifying", "accepted", "delisted"),
    initial_status="found",
    label_field="name",
    fields=(
        _f("name", TEXT, "名称", "Name", "名称", "XMMC", "项目名称", "NAME"),
        _f("site_type", TEXT, "类型", "Site type", "类型"),
        _f("party", TEXT, "当事人", "Party", "当事人"),
        *WHERE,
        *AREA,
        _f("found_on", DATE, "发现日期", "Found on"),
        _f("case_no", TEXT, "立案号", "Case no."),
        _f("decision_no", TEXT, "处罚决定书号", "Penalty decision no."),
        _f("fine_yuan", REAL, "罚款(元)", "Fine (yuan)", unit="元"),
        _f("restoration_required", BOOL, "需恢复植被", "Restoration required"),
        _f("deadline", DATE, "整改期限", "Deadline"),
        _f("delisted_on", DATE, "摘牌日期", "Delisted on"),
        _f("delisted_by", TEXT, "验收摘牌单位", "Delisted by"),
        _f("change_ids", JSON, "关联图斑", "Linked change polygons"),
        _f("note", TEXT, "备注", "Note", "BEIZHU", "备注"),
        *COMMON,
    ),
)

SIGNBOARD = Layer(
    key="signboard",
    table="signboards",
    geometry="POINT",
    zh="林长公示牌",
    en="Forest-chief signboards",
    statuses=("ok", "damaged", "stale"),
    initial_status="ok",
    label_field="board_no",
    fields=(
        _f("board_no", TEXT, "公示牌编号", "Board no.", "编号", "牌号"),
        _f("level", TEXT, "林长级别", "Level", "级别"),
        _f("chief_name", TEXT, "林长姓名", "Forest chief", "林长", "林长姓名"),
        _f("chief_post", TEXT, "林长职务", "Post", "职务"),
        _f("zone_id", INT, "责任区", "Responsibility zone"),
        _f("zone_desc", TEXT, "责任区域", "Responsibility area", "责任区域"),
        _f("duties", TEXT, "林长职责", "Duties"),
        _f("phone", TEXT, "监督电话", "Supervision phone", "电话", "监督电话"),
        _f("rangers", TEXT, "护林员", "Rangers"),
        *WHERE,
        _f("installed_on", DATE, "设立日期", "Installed on"),
        _f("last_inspected_on", DATE, "最近检查", "Last inspected"),
        *COMMON,
    ),
)

ZONE = Layer(
    key="zone",
    table="zones",
    geometry="MULTIPOLYGON",
    zh="责任区/网格",
    en="Responsibility zones",
    label_field="name",
    fields=(
        _f("name", TEXT, "名称", "Name", "名称", "NAME"),
        _f("level", TEXT, "级别", "Level"),
        _f("chief_name", TEXT, "林长姓名", "Forest chief"),
        _f("chief_post", TEXT, "林长职务", "Post"),
        _f("rangers", TEXT, "护林员", "Rangers"),
        _f("supervisor", TEXT, "监管员", "Supervisor"),
        _f("parent_id", INT, "上级责任区", "Parent zone"),
        *WHERE,
        _f("area_mu", REAL, "面积(亩)", "Area (mu)", unit="亩"),
        _f("derived", BOOL, "推算生成", "Derived"),
        *COMMON,
    ),
)

RESTORATION = Layer(
    key="restoration",
    table="restoration_areas",
    geometry="MULTIPOLYGON",
    zh="生态修复区",
    en="Restoration areas",
    statuses=("planned", "in_progress", "self_checked", "spot_checked", "accepted", "failed"),
    initial_status="planned",
    label_field="project",
    fields=(
        _f("project", TEXT, "项目名称", "Project", "项目名称", "XMMC"),
        _f("type", TEXT, "修复类型", "Type", "修复类型"),
        *WHERE,
        _f("year", INT, "年度", "Year", "年度", "NIAN_DU"),
        _f("planned_mu", REAL, "计划面积(亩)", "Planned (mu)", unit="亩"),
        _f("completed_mu", REAL, "完成面积(亩)", "Completed (mu)", unit="亩"),
        _f("budget_yuan", REAL, "项目资金(元)", "Budget (yuan)", unit="元"),
        _f("paid_yuan", REAL, "已支付(元)", "Paid (yuan)", unit="元"),
        *AREA,
        *COMMON,
    ),
)

PATROL = Layer(
    key="patrol",
    table="patrols",
    geometry="LINESTRING",
    zh="巡护轨迹",
    en="Patrol tracks",
    label_field="actor",
    fields=(
        _f("actor", TEXT, "巡护人", "Patrolled by", "巡护人", "姓名"),
        _f("actor_level", TEXT, "身份", "Role"),
        *WHERE,
        _f("zone_id", INT, "责任区", "Responsibility zone"),
        _f("started_at", DATETIME, "开始时间", "Started"),
        _f("ended_at", DATETIME, "结束时间", "Ended"),
        _f("length_km", REAL, "里程(公里)", "Length (km)", unit="公里"),
        _f("duration_h", REAL, "时长(小时)", "Duration (h)", unit="小时"),
        _f("mean_kmh", REAL, "平均速度(公里/时)", "Mean speed (km/h)"),
        _f("plausible", BOOL, "轨迹可信", "Plausible"),
        _f("source_file", TEXT, "来源文件", "Source file"),
        _f("times", JSON, "轨迹点时间", "Point times"),
        *COMMON,
    ),
)

ADMIN = Layer(
    key="admin",
    table="admin_units",
    geometry="MULTIPOLYGON",
    zh="行政区",
    en="Administrative units",
    label_field="name",
    fields=(
        _f("code", TEXT, "代码", "Code"),
        _f("name", TEXT, "名称", "Name"),
        _f("level", TEXT, "级别", "Level"),
        _f("parent_code", TEXT, "上级代码", "Parent code"),
        _f("derived", BOOL, "推算生成", "Derived"),
        _f("source", TEXT, "数据来源", "Source"),
        *COMMON,
    ),
)

LAYERS: dict[str, Layer] = {
    lyr.key: lyr for lyr in (CHANGE, OCCUPATION, SIGNBOARD, ZONE, RESTORATION, PATROL, ADMIN)
}


def layer(key: str) -> Layer:
    try:
        return LAYERS[key]
    except KeyError:
        raise ValidationError(
            f"unknown layer '{key}'; choose one of: {', '.join(LAYERS)}",
            f"未知图层“{key}”。可选：{', '.join(LAYERS)}",
            layer=key,
        ) from None


# Labels of keyed values shown to people (statuses, verdicts, levels, kinds).
LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "status": {
        "issued": ("下发", "Issued"),
        "verifying": ("核查中", "Verifying"),
        "verified": ("已核查", "Verified"),
        "case_filed": ("已立案", "Case filed"),
        "penalized": ("已处罚", "Penalized"),
        "rectifying": ("整改中", "Rectifying"),
        "rectified": ("已整改", "Rectified"),
        "accepted": ("已验收", "Accepted"),
        "closed": ("已销号", "Closed"),
        "found": ("发现", "Found"),
        "delisted": ("已摘牌", "Delisted"),
        "planned": ("计划", "Planned"),
        "in_progress": ("实施中", "In progress"),
        "self_checked": ("已自验", "Self-checked"),
        "spot_checked": ("已抽查", "Spot-checked"),
        "failed": ("验收不合格", "Failed"),
        "ok": ("完好", "OK"),
        "damaged": ("损坏", "Damaged"),
        "stale": ("信息过期", "Stale"),
        "active": ("在用", "Active"),
        "done": ("已完成", "Done"),
        "long_term": ("长期坚持", "Long-term"),
    },
    "verdict": {
        "legal": ("合法", "Legal"),
        "illegal": ("违法违规", "Illegal"),
        "no_change": ("无变化", "No change"),
        "other": ("其他", "Other"),
    },
    "kind": {"forest": ("森林督查", "Forest"), "grassland": ("草原", "Grassland")},
    "level": {
        "league": ("盟级", "League"),
        "banner": ("旗县级", "Banner/county"),
        "county": ("旗县", "County"),
        "township": ("苏木乡镇级", "Township"),
        "village": ("嘎查村级", "Village"),
        "grid": ("网格", "Grid"),
    },
    "actor_level": {
        "ranger": ("护林员", "Ranger"),
        "village_chief": ("村级林长", "Village chief"),
        "township_chief": ("乡镇级林长", "Township chief"),
        "banner_chief": ("旗县级林长", "Banner chief"),
        "league_chief": ("盟级林长", "League chief"),
    },
}


def label(kind: str, key, lang: str = "zh") -> str:
    """The human label of a keyed value, e.g. ``label('status', 'closed') == '已销号'``."""
    if key is None:
        return ""
    pair = LABELS.get(kind, {}).get(str(key))
    if pair is None:
        return str(key)
    return pair[0] if lang == "zh" else pair[1]


# 1 mu = 10000/15 m^2; 1 ha = 15 mu.
MU_PER_HA = 15.0
M2_PER_MU = 10000.0 / 15.0
