"""Field layers beside the change polygons: illegal-occupation plots (违法占用地块, found → case →
penalty → rectification → 摘牌), restoration areas (生态修复区, planned → in progress → checked →
accepted) and ranger patrol tracks (巡护轨迹)."""

from __future__ import annotations

from geo.declare.base import AREA, BOOL, COMMON, DATE, DATETIME, INT, JSON, REAL, TEXT, WHERE, ZONED, Figure, Layer, Operation, Transition, fld

OCCUPATION_MACHINE = (
    Transition(("found",), "case_filed", "立案", "File a case", requires=("case_no",),
               optional=("party",)),
    Transition(("case_filed",), "penalized", "处罚", "Record penalty",
               requires=("decision_no", "fine_yuan")),
    Transition(("penalized",), "rectifying", "整改", "Start rectification",
               optional=("deadline",)),
    Transition(("rectifying",), "accepted", "验收", "Accept", evidence=True),
    Transition(("accepted",), "rectifying", "验收后反弹", "Relapse after acceptance", comment=True),
    Transition(("accepted",), "delisted", "摘牌", "Delist", requires=("delisted_by",),
               evidence=True, stamps={"delisted_on": "today"}),
)


RESTORATION_MACHINE = (
    Transition(("planned",), "in_progress", "开工实施", "Start work"),
    Transition(("in_progress", "failed"), "self_checked", "完成自验", "Self-check done",
               requires=("completed_mu",)),
    Transition(("self_checked",), "spot_checked", "盟级抽查", "Spot-checked"),
    Transition(("self_checked", "spot_checked"), "accepted", "验收合格", "Accepted",
               evidence=True),
    Transition(("self_checked", "spot_checked"), "failed", "验收不合格", "Failed", comment=True),
    Transition(("failed",), "in_progress", "返工", "Rework", comment=True),
)


OCCUPATION = Layer(
    transitions=OCCUPATION_MACHINE,
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
        fld("name", TEXT, "名称", "Name", "名称", "XMMC", "项目名称", "NAME"),
        fld("site_type", TEXT, "类型", "Site type", "类型"),
        fld("party", TEXT, "当事人", "Party", "当事人"),
        *WHERE,
        *ZONED,
        *AREA,
        fld("found_on", DATE, "发现日期", "Found on"),
        fld("case_no", TEXT, "立案号", "Case no."),
        fld("decision_no", TEXT, "处罚决定书号", "Penalty decision no."),
        fld("fine_yuan", REAL, "罚款(元)", "Fine (yuan)", unit="元"),
        fld("restoration_required", BOOL, "需恢复植被", "Restoration required"),
        fld("deadline", DATE, "整改期限", "Deadline"),
        fld("delisted_on", DATE, "摘牌日期", "Delisted on"),
        fld("delisted_by", TEXT, "验收摘牌单位", "Delisted by"),
        fld("change_ids", JSON, "关联图斑", "Linked change polygons"),
        fld("note", TEXT, "备注", "Note", "BEIZHU", "备注"),
        *COMMON,
    ),
)

RESTORATION = Layer(
    transitions=RESTORATION_MACHINE,
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
            fld("paid_on", DATE, "拨付日期", "Paid on"),
            fld("amount_yuan", REAL, "拨付金额", "Amount", unit="元", required=True),
            fld("voucher_no", TEXT, "凭证号", "Voucher no.", required=True),
        )),
        Operation("link", "关联图斑/地块", "Link polygons or plots", "geo.fieldwork.restoration:op_link", fields=(
            fld("link_layer", TEXT, "图层", "Layer", options=("change", "occupation"), required=True),
            fld("link_ids", TEXT, "要素编号（逗号分隔）", "Ids (comma-separated)", required=True),
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
        fld("project", TEXT, "项目名称", "Project", "项目名称", "XMMC"),
        fld("type", TEXT, "修复类型", "Type", "修复类型"),
        *WHERE,
        *ZONED,
        fld("year", INT, "年度", "Year", "年度", "NIAN_DU"),
        fld("planned_mu", REAL, "计划面积(亩)", "Planned (mu)", unit="亩"),
        fld("completed_mu", REAL, "完成面积(亩)", "Completed (mu)", unit="亩"),
        fld("budget_yuan", REAL, "项目资金(元)", "Budget (yuan)", unit="元"),
        fld("paid_yuan", REAL, "已支付(元)", "Paid (yuan)", unit="元", internal=True),
        fld("paid_on", DATE, "最近拨付日期", "Last paid on", internal=True),
        fld("amount_yuan", REAL, "最近拨付金额(元)", "Last payment (yuan)", unit="元", internal=True),
        fld("voucher_no", TEXT, "最近凭证号", "Last voucher", internal=True),
        fld("links", JSON, "关联要素", "Linked features", internal=True),
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
        fld("actor", TEXT, "巡护人", "Patrolled by", "巡护人", "姓名"),
        fld("actor_level", TEXT, "身份", "Role"),
        *WHERE,
        fld("zone_id", INT, "责任区", "Responsibility zone", ref="zone"),
        fld("zones", JSON, "各级责任区", "Zones by level", internal=True),
        fld("started_at", DATETIME, "开始时间", "Started"),
        fld("ended_at", DATETIME, "结束时间", "Ended"),
        fld("length_km", REAL, "里程(公里)", "Length (km)", unit="公里"),
        fld("duration_h", REAL, "时长(小时)", "Duration (h)", unit="小时"),
        fld("mean_kmh", REAL, "平均速度(公里/时)", "Mean speed (km/h)"),
        fld("plausible", BOOL, "轨迹可信", "Plausible"),
        fld("source_file", TEXT, "来源文件", "Source file"),
        fld("times", JSON, "轨迹点时间", "Point times"),
        *COMMON,
    ),
)

REGISTERS = (OCCUPATION, RESTORATION, PATROL)
