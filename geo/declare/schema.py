"""Layers and fields: names, types, Chinese/English labels, and the source-file aliases of each.

This module is the single description of what the store holds. The stores build their DDL from
it, the CLI validates ``--field`` against it, exports and reports take their column labels from it,
and the ingest field mapping pre-fills from the ``aliases``.
"""

from __future__ import annotations

from geo.core.errors import ValidationError

from geo.declare.base import (  # noqa: F401  (the declarations' vocabulary, re-exported)
    AREA, BOOL, COMMON, DATE, DATETIME, INT, JSON, REAL, TEXT, WHERE, ZONED, Deadline, Field, Figure, Layer,
    Operation, Register, Transition, _f,
)


# Column defaults in the database: a column added to a big existing table with a constant
# default costs nothing (no rewrite of every row) in SQLite and PostgreSQL alike.
DEFAULTS = {"visited": "0"}


CHANGE_STATUSES = (
    "issued",
    "verifying",
    "verified",
    "case_filed",
    "penalized",
    "rectifying",
    "rectified",
    "accepted",
    # closure review (geo.change.review): the county applies, the league (and, when configured, the
    # province) reviews; a send-back returns the polygon to the county. "closed" stays last.
    "applied",
    "returned",
    "reviewed",
    "closed",
)

CHANGE = Layer(
    key="change",
    writers=("admin", "inspector"),
    table="change_polygons",
    geometry="MULTIPOLYGON",
    zh="变化图斑",
    en="Change polygons",
    statuses=CHANGE_STATUSES,
    initial_status="issued",
    final_statuses=("closed",),
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
            "图斑编码",
            "监测图斑编号",
            "JCBH",
            "Name",  # a KML placemark's name (奥维 and Google Earth exports name each polygon)
        ),
        *WHERE,
        _f("village", TEXT, "嘎查村", "Village", "CUN", "村", "嘎查村", "CUN_MC", "村(嘎查)", "嘎查(村)",
           "行政村", "村名称"),
        _f("forest_bureau", TEXT, "林业局", "Forest bureau", "LIN_YE_JU", "林业局"),
        _f("forest_farm", TEXT, "林场", "Forest farm", "LIN_CHANG", "林场"),
        _f("lin_ban", TEXT, "林班", "Compartment", "LIN_BAN", "林班"),
        _f("xiao_ban", TEXT, "小班", "Sub-compartment", "XIAOBAN", "XIAO_BAN", "小班"),
        _f("zone_id", INT, "责任区", "Responsibility zone", ref="zone"),
        _f("zones", JSON, "各级责任区", "Zones by level", internal=True),
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
            "图斑面积",
            "变化面积",
            "判读面积(公顷)",
            "图斑面积(公顷)",
            "面积(公顷)",
            "面积",
            "TBMJ",
            "BHMJ",
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
            "前期影像时间",
            "前时相时间",
            "前期影像日期",
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
            "后期影像时间",
            "后时相时间",
            "后期影像日期",
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
            "图斑变化原因",
            "疑似变化原因",
        ),
        _f(
            "land_before",
            TEXT,
            "前地类",
            "Land class before",
            "Q_DI_LEI_DESC",
            "Q_DI_LEI",
            "前地类",
            "变化前地类",
            "前期地类",
            "原地类",
            "BHQDL",
        ),
        _f(
            "land_now",
            TEXT,
            "现地类",
            "Land class now",
            "XIAN_DI_LEI_DESC",
            "XIAN_DI_LEI",
            "H_DI_LEI_DESC",
            "H_DI_LEI",
            "PAN_DILEI_DESC",
            "PAN_DILEI",
            "后地类",
            "现地类",
            "变化后地类",
            "后期地类",
            "现状地类",
            "判读地类",
            "BHHDL",
        ),
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
        # closure evidence by cause (geo.change.closure) and the review (geo.change.review)
        _f("measure_kind", TEXT, "整改方式", "Rectification kind", "整改方式"),
        _f("cutting_permit_no", TEXT, "采伐许可证号", "Cutting permit no.", "CFZH", "采伐许可证号", "采伐证号"),
        _f("permit_area_ha", REAL, "许可采伐面积(公顷)", "Permitted area (ha)", "CF_MJ", "许可采伐面积",
           "采伐许可面积", unit="公顷"),
        _f("approval_date", DATE, "审核同意书日期", "Approval date", "SH_RQ", "审核日期", "审批日期"),
        _f("approval_area_ha", REAL, "审核面积(公顷)", "Approved area (ha)", "SH_MJ", "审核面积", unit="公顷"),
        _f("applied_at", DATETIME, "申请销号时间", "Applied for closure at"),
        _f("review_round", INT, "申报次数", "Submission no."),
        _f("returned_reason", TEXT, "退回原因", "Reason sent back"),
        _f("check_method", TEXT, "复核方式", "Check method"),
        _f("check_result", TEXT, "复核结果", "Check result"),
        _f("check_note", TEXT, "复核意见", "Check note"),
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
    writers=("admin", "inspector"),
    table="occupation_plots",
    geometry="MULTIPOLYGON",
    zh="违法占用地块",
    en="Illegal-occupation plots",
    group="field",
    icon=":material/report:",
    statuses=("found", "case_filed", "penalized", "rectifying", "accepted", "delisted"),
    initial_status="found",
    final_statuses=("delisted",),
    label_field="name",
    fields=(
        _f("name", TEXT, "名称", "Name", "名称", "XMMC", "项目名称", "NAME"),
        _f("site_type", TEXT, "类型", "Site type", "类型"),
        _f("party", TEXT, "当事人", "Party", "当事人"),
        *WHERE,
        *ZONED,
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
    writers=("admin", "staff", "inspector"),
    table="signboards",
    geometry="POINT",
    zh="林长公示牌",
    en="Forest-chief signboards",
    group="chief",
    icon=":material/signpost:",
    rules="geo.chief.signboards",
    list_fields=("board_no", "level", "chief_name", "chief_post", "county", "content_on", "last_inspected_on", "status"),
    statuses=("ok", "damaged", "stale", "retired"),
    initial_status="ok",
    final_statuses=("retired",),
    label_field="board_no",
    operations=(
        Operation("inspect", "登记检查", "Record an inspection", "geo.chief.signboards:op_inspect", evidence=True,
                  statuses=("ok", "damaged", "stale"), fields=(
                      _f("last_inspected_on", DATE, "检查日期", "Inspected on"),
                      _f("condition", TEXT, "牌面状况", "Condition", options=("ok", "damaged", "stale"),
                         required=True),
                  )),
        Operation("refresh", "按现任林长更新牌面", "Update to the current chief", "geo.chief.signboards:op_refresh",
                  evidence=True, statuses=("ok", "damaged", "stale")),
        Operation("move", "移位", "Move", "geo.chief.signboards:op_move", geometry=True, statuses=("ok", "damaged", "stale")),
    ),
    fields=(
        _f("board_no", TEXT, "公示牌编号", "Board no.", "编号", "牌号"),
        _f("level", TEXT, "林长级别", "Level", "级别"),
        _f("chief_name", TEXT, "林长姓名", "Forest chief", "林长", "林长姓名"),
        _f("chief_post", TEXT, "林长职务", "Post", "职务"),
        _f("zone_id", INT, "责任区", "Responsibility zone", ref="zone"),
        _f("zones", JSON, "各级责任区", "Zones by level", internal=True),
        _f("zone_desc", TEXT, "责任区域", "Responsibility area", "责任区域"),
        _f("duties", TEXT, "林长职责", "Duties"),
        _f("phone", TEXT, "监督电话", "Supervision phone", "电话", "监督电话"),
        _f("rangers", TEXT, "护林员", "Rangers"),
        *WHERE,
        _f("installed_on", DATE, "设立日期", "Installed on"),
        _f("last_inspected_on", DATE, "最近检查", "Last inspected"),
        _f("post_id", INT, "公示岗位", "Post shown", ref="post"),
        _f("content_on", DATE, "牌面更新日期", "Content updated on", "更新日期", "牌面更新日期"),
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
    attributed=False,
    group="chief",
    icon=":material/grid_on:",
    rules="geo.chief.zones",
    list_fields=("name", "level", "code", "county", "township", "valid_from", "valid_to"),
    figures=(Figure("zones", "责任区", "Zones", kind="custom"),
             Figure("gap_mu", "未覆盖面积(亩)", "Land no zone covers (mu)", kind="custom", unit="亩", digits=2)),
    fields=(
        _f("name", TEXT, "名称", "Name", "名称", "NAME", "责任区名称", "网格名称", required=True),
        _f("level", TEXT, "级别", "Level", "级别", "层级", "LEVEL",
           options=("league", "banner", "township", "village", "grid"), required=True),
        _f("chief_name", TEXT, "林长姓名", "Forest chief"),
        _f("chief_post", TEXT, "林长职务", "Post"),
        _f("rangers", TEXT, "护林员", "Rangers"),
        _f("supervisor", TEXT, "监管员", "Supervisor"),
        _f("parent_id", INT, "上级责任区", "Parent zone"),
        *WHERE,
        _f("area_mu", REAL, "面积(亩)", "Area (mu)", unit="亩"),
        _f("derived", BOOL, "推算生成", "Derived"),
        _f("code", TEXT, "编号", "Code", "编号", "网格编号", "责任区编号", "CODE"),
        _f("valid_from", DATE, "启用日期", "Valid from"),
        _f("valid_to", DATE, "停用日期", "Valid until"),
        _f("version_no", INT, "版本号", "Zone set version"),
        *COMMON,
    ),
)

RESTORATION = Layer(
    key="restoration",
    writers=("admin", "inspector"),
    table="restoration_areas",
    geometry="MULTIPOLYGON",
    zh="生态修复区",
    en="Restoration areas",
    group="field",
    icon=":material/forest:",
    rules="geo.fieldwork.restoration",
    list_fields=("project", "type", "county", "year", "planned_mu", "completed_mu", "budget_yuan", "paid_yuan", "status"),
    operations=(
        Operation("payment", "登记资金拨付", "Record a payment", "geo.fieldwork.restoration:op_payment", evidence=True, fields=(
            _f("paid_on", DATE, "拨付日期", "Paid on"),
            _f("amount_yuan", REAL, "拨付金额", "Amount", unit="元", required=True),
            _f("voucher_no", TEXT, "凭证号", "Voucher no.", required=True),
        )),
        Operation("link", "关联图斑/地块", "Link polygons or plots", "geo.fieldwork.restoration:op_link", fields=(
            _f("link_layer", TEXT, "图层", "Layer", options=("change", "occupation"), required=True),
            _f("link_ids", TEXT, "要素编号（逗号分隔）", "Ids (comma-separated)", required=True),
        )),
    ),
    figures=(Figure("projects", "修复项目", "Projects"),
             Figure("planned_mu", "计划面积(亩)", "Planned (mu)", kind="sum", field="planned_mu", unit="亩", digits=2),
             Figure("budget_yuan", "项目资金(元)", "Budget (yuan)", kind="sum", field="budget_yuan", unit="元", digits=2),
             Figure("paid_yuan", "已拨付(元)", "Paid (yuan)", kind="sum", field="paid_yuan", unit="元", digits=2),
             Figure("paid_pct", "支付率(%)", "Paid (%)", kind="custom"),
             Figure("completed_wanmu", "完成面积(万亩)", "Completed (10k mu)", kind="custom")),
    statuses=("planned", "in_progress", "self_checked", "spot_checked", "accepted", "failed"),
    initial_status="planned",
    final_statuses=("accepted",),
    label_field="project",
    fields=(
        _f("project", TEXT, "项目名称", "Project", "项目名称", "XMMC"),
        _f("type", TEXT, "修复类型", "Type", "修复类型"),
        *WHERE,
        *ZONED,
        _f("year", INT, "年度", "Year", "年度", "NIAN_DU"),
        _f("planned_mu", REAL, "计划面积(亩)", "Planned (mu)", unit="亩"),
        _f("completed_mu", REAL, "完成面积(亩)", "Completed (mu)", unit="亩"),
        _f("budget_yuan", REAL, "项目资金(元)", "Budget (yuan)", unit="元"),
        _f("paid_yuan", REAL, "已支付(元)", "Paid (yuan)", unit="元", internal=True),
        _f("paid_on", DATE, "最近拨付日期", "Last paid on", internal=True),
        _f("amount_yuan", REAL, "最近拨付金额(元)", "Last payment (yuan)", unit="元", internal=True),
        _f("voucher_no", TEXT, "最近凭证号", "Last voucher", internal=True),
        _f("links", JSON, "关联要素", "Linked features", internal=True),
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
    group="chief",
    icon=":material/hiking:",
    rules="geo.fieldwork.patrols",
    list_fields=("actor", "actor_level", "county", "started_at", "length_km", "duration_h", "plausible"),
    figures=(Figure("patrols", "巡护次数", "Patrols"),
             Figure("patrols_ranger", "护林员巡护", "By rangers", kind="custom"),
             Figure("km", "巡护里程(公里)", "Patrol km", kind="custom", unit="公里", digits=1),
             Figure("implausible", "不可信轨迹", "Implausible tracks", kind="custom")),
    fields=(
        _f("actor", TEXT, "巡护人", "Patrolled by", "巡护人", "姓名"),
        _f("actor_level", TEXT, "身份", "Role"),
        *WHERE,
        _f("zone_id", INT, "责任区", "Responsibility zone", ref="zone"),
        _f("zones", JSON, "各级责任区", "Zones by level", internal=True),
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
    attributed=False,
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


def _add_registers() -> None:
    """The registers declared in geo.declare.registry join the first layers (store, CLI, pages, figures)."""
    from geo.declare.registry import declared

    for lyr in declared():
        LAYERS[lyr.key] = lyr
        for kind, pairs in lyr.labels.items():
            LABELS.setdefault(kind, {}).update(pairs)
        for op in lyr.operations:  # what the history shows for an operation it recorded
            LABELS["action"].setdefault(op.key, (op.zh, op.en))


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
        "applied": ("待审核", "Awaiting review"),
        "returned": ("已退回", "Sent back"),
        "reviewed": ("待省级抽查", "Awaiting province check"),
        "found": ("发现", "Found"),
        "delisted": ("已摘牌", "Delisted"),
        "planned": ("计划", "Planned"),
        "in_progress": ("实施中", "In progress"),
        "self_checked": ("已自验", "Self-checked"),
        "spot_checked": ("已抽查", "Spot-checked"),
        "failed": ("验收不合格", "Failed"),
        "ok": ("完好", "OK"),
        "retired": ("已撤除", "Retired"),
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
    "check_method": {"field": ("实地核查", "Field visit"), "imagery": ("影像核查", "Imagery")},
    "check_result": {"pass": ("符合销号条件", "Meets the conditions"), "fail": ("不符合", "Does not meet them")},
    "condition": {"ok": ("完好", "Good"), "damaged": ("损坏", "Damaged"), "stale": ("信息过期", "Out of date")},
    "level": {
        "league": ("盟级", "League"),
        "banner": ("旗县级", "Banner/county"),
        "county": ("旗县", "County"),
        "township": ("苏木乡镇级", "Township"),
        "village": ("嘎查村级", "Village"),
        "grid": ("网格", "Grid"),
    },
    # what an event did (the history table): events.action
    "action": {
        "import": ("导入", "Imported"),
        "transition": ("状态变更", "Status change"),
        "edit": ("修改", "Edited"),
        "attach": ("上传材料", "Evidence added"),
        "link": ("关联", "Linked"),
        "create": ("新建", "Created"),
        "user_add": ("新建账号", "Account added"),
        "user_password": ("重置密码", "Password reset"),
        "user_disable": ("停用账号", "Account disabled"),
        "user_enable": ("启用账号", "Account enabled"),
        "appoint": ("任职", "Appointed"), "vacate": ("离任", "Left vacant"),
        "attribute": ("责任区归属更新", "Zone re-attributed"), "inspect": ("检查", "Inspected"),
        "refresh": ("更新牌面", "Board updated"), "payment": ("拨付资金", "Payment"), "move": ("移位", "Moved"),
        "signin": ("登录", "Signed in"), "signin_failed": ("登录失败", "Failed sign-in"),
        "signin_locked": ("登录被锁定", "Sign-in locked"), "place": ("定位", "Placed"), "retire": ("撤除", "Retired"),
        # the closure review (geo.change.review, geo.change.closure) and 林长令 (geo.chief.orders)
        "check": ("抽查复核", "Spot-checked"), "draw": ("抽取复核样本", "Sample drawn"),
        "finding": ("发现问题", "Finding recorded"), "respond": ("登记反馈", "Response recorded"),
        "purpose": ("更改批次用途", "Batch purpose changed"),
    },
    # actors that are not accounts (the demo's and the system's own writes)
    "actor": {"system": ("系统", "System")},
    "actor_level": {
        "ranger": ("护林员", "Ranger"),
        "village_chief": ("村级林长", "Village chief"),
        "township_chief": ("乡镇级林长", "Township chief"),
        "banner_chief": ("旗县级林长", "Banner chief"),
        "league_chief": ("盟级林长", "League chief"),
    },
}


def label(kind: str, key, lang: str = "zh", layer: str | None = None) -> str:
    """The human label of a keyed value, e.g. ``label('status', 'closed') == '已销号'``. With
    ``layer``, that register's own wording wins (a complaint is 已派单 where a hazard is 已交办)."""
    if key is None:
        return ""
    pair = LAYERS[layer].labels.get(kind, {}).get(str(key)) if layer in LAYERS else None
    pair = pair or LABELS.get(kind, {}).get(str(key))
    if pair is None:
        return str(key)
    return pair[0] if lang == "zh" else pair[1]


# 1 mu = 10000/15 m^2; 1 ha = 15 mu.
MU_PER_HA = 15.0
M2_PER_MU = 10000.0 / 15.0


_add_registers()
