"""木材经营加工企业: the wood-processing enterprises, their checks and the yearly spot-check sample.

* **enterprise** — registered in full ("排查和造册登记"): name, 统一社会信用代码 (check digit
  verified), licence, address point, capacity, and whether it borders forest land — computed from
  the 小班 layer where the bureau has one for the county, else as recorded (:mod:`geo.enterprise.enterprises`).
* **enterprise_check** — each source-of-wood check (木材来源检查) and fire inspection (防火检查),
  with its result and photos; recorded from the enterprise's page (operations) or as a list.
* **enterprise_sample** — the year's source-of-wood sample: "adding" one draws it (at least the
  configured share, stratified by township, reproducible from its recorded seed;
  :mod:`geo.enterprise.samples`), and ``python -m geo sample verify`` redraws it for an auditor.
"""

from __future__ import annotations

from geo.declare.base import (BOOL, COMMON, DATE, INT, JSON, REAL, TEXT, WHERE, ZONED, Figure, Layer, Operation,
                                Transition, fld)

RESULTS = ("pass", "problem")
KINDS = ("source", "fire")
LABELS = {
    "status": {"operating": ("在营", "Operating"), "suspended": ("停业", "Suspended"), "deregistered": ("已注销", "Deregistered"),
               "recorded": ("已登记", "Recorded"), "drawn": ("有效", "In force"), "superseded": ("已作废", "Superseded")},
    "result": {"pass": ("合格", "Pass"), "problem": ("发现问题", "Problem found")},
    "kind": {"source": ("木材来源检查", "Source-of-wood check"), "fire": ("防火检查", "Fire inspection")},
    "border_basis": {"computed": ("按小班图层计算", "Computed from the 小班 layer"),
                     "recorded": ("登记填报", "As recorded")},
}
WRITERS = ("admin", "staff", "inspector")

_CHECK_FIELDS = (
    fld("checked_on", DATE, "检查日期", "Checked on", required=True),
    fld("result", TEXT, "检查结果", "Result", options=RESULTS, required=True),
    fld("finding", TEXT, "发现问题", "Finding"),
    fld("measure", TEXT, "处理措施", "Measure taken"),
    fld("inspector", TEXT, "检查人员", "Inspected by"),
)

ENTERPRISE = Layer(
    key="enterprise",
    table="wood_enterprises",
    geometry="POINT",
    zh="木材经营加工企业",
    en="Wood-processing enterprises",
    statuses=("operating", "suspended", "deregistered"),
    initial_status="operating",
    final_statuses=("deregistered",),
    label_field="name",
    group="enterprise",
    stock=True,  # (what exists, not work: 台账 in the chief's view)
    icon=":material/carpenter:",
    writers=WRITERS,
    rules="geo.enterprise.enterprises",
    list_fields=("name", "credit_code", "county", "township", "capacity_m3", "borders_forest", "last_source_check",
                 "last_fire_check", "status"),
    fields=(
        fld("name", TEXT, "企业名称", "Name", "企业名称", "名称", "单位名称", "经营者名称", "企业（单位）名称", "企业名",
           required=True),
        fld("credit_code", TEXT, "统一社会信用代码", "Unified social credit code", "统一社会信用代码", "信用代码",
           "社会信用代码", "统一代码", "营业执照号", "营业执照号码"),
        fld("licence_no", TEXT, "经营加工许可证号", "Licence no.", "木材经营加工许可证号", "许可证号", "许可证编号",
           "经营许可证号", "许可证"),
        fld("legal_person", TEXT, "法定代表人", "Legal representative", "法定代表人", "法人", "负责人", "经营者"),
        fld("phone", TEXT, "联系电话", "Phone", "联系电话", "电话", "手机", "联系方式"),
        fld("address", TEXT, "经营地址", "Address", "地址", "经营地址", "厂址", "详细地址", "企业地址", "生产经营地址"),
        fld("business", TEXT, "经营范围", "Business", "经营范围", "加工类型", "主营产品", "经营类型"),
        fld("capacity_m3", REAL, "年加工能力", "Yearly capacity", "年加工能力", "加工能力", "设计产能", "年加工量",
           unit="立方米/年"),
        fld("wood_source", TEXT, "主要木材来源", "Main source of wood", "木材来源", "原料来源", "主要木材来源"),
        fld("borders_forest", BOOL, "与林地接壤", "Borders forest land", "是否与林地接壤", "与林地接壤", "是否临林",
           "接壤林地", "临近林地"),
        fld("border_basis", TEXT, "接壤判定依据", "Border basis", options=("computed", "recorded"), internal=True),
        fld("forest_distance_m", REAL, "距最近林地", "Distance to forest land", unit="米", internal=True),
        fld("last_source_check", DATE, "最近来源检查", "Last source check", internal=True),
        fld("last_fire_check", DATE, "最近防火检查", "Last fire inspection", internal=True),
        *WHERE,
        fld("village", TEXT, "嘎查村", "Village", "村", "嘎查村", "所在村"),
        *ZONED,
        fld("note", TEXT, "备注", "Note", "备注"),
        *COMMON,
    ),
    transitions=(
        Transition(("operating",), "suspended", "停业", "Suspend", comment=True),
        Transition(("suspended",), "operating", "恢复经营", "Resume"),
        Transition(("operating", "suspended"), "deregistered", "注销", "Deregister", comment=True),
    ),
    operations=(
        Operation("source_check", "登记木材来源检查", "Record a source-of-wood check", "geo.enterprise.enterprises:op_source_check",
                  fields=_CHECK_FIELDS, evidence=True, statuses=("operating", "suspended")),
        Operation("fire_check", "登记防火检查", "Record a fire inspection", "geo.enterprise.enterprises:op_fire_check",
                  fields=_CHECK_FIELDS, evidence=True, statuses=("operating", "suspended")),
    ),
    figures=(
        Figure("enterprises", "木材经营加工企业", "Enterprises", where={"status": ["operating", "suspended"]}),
        Figure("bordering", "与林地接壤企业", "Bordering forest land",
               where={"status": ["operating", "suspended"], "borders_forest": [True]}),
        Figure("sample_required", "本年应抽查（不低于）", "To sample this year (at least)", kind="custom"),
        Figure("sample_size", "本年抽查名单", "Drawn this year", kind="custom"),
        Figure("sample_checked", "已完成来源检查", "Sample checked", kind="custom"),
        Figure("sample_completion_pct", "抽查完成率", "Sample completion", kind="custom", unit="%", digits=1),
        Figure("source_checks", "本年木材来源检查", "Source checks this year", kind="custom"),
        Figure("fire_inspections", "本年防火检查", "Fire inspections this year", kind="custom"),
        Figure("fire_ok", "防火检查达标企业", "Bordering, inspected enough", kind="custom"),
        Figure("fire_short", "防火检查未达标企业", "Bordering, inspections short", kind="custom"),
    ),
    labels=LABELS,
)

CHECK = Layer(
    key="enterprise_check",
    table="enterprise_checks",
    geometry=None,
    zh="木材企业检查记录",
    en="Enterprise checks",
    statuses=("recorded",),
    initial_status="recorded",
    label_field="enterprise_name",
    group="enterprise",
    icon=":material/fact_check:",
    writers=WRITERS,
    attributed=False,
    rules="geo.enterprise.checks",
    list_fields=("checked_on", "enterprise_name", "kind", "result", "inspector", "county", "township"),
    fields=(
        fld("enterprise_id", INT, "企业", "Enterprise", ref="enterprise", required=True),
        fld("enterprise_name", TEXT, "企业名称", "Enterprise name", "企业名称", "被检查企业"),
        fld("kind", TEXT, "检查类别", "Kind", "检查类别", "检查类型", options=KINDS, required=True),
        *(f for f in _CHECK_FIELDS),
        fld("year", INT, "年度", "Year", internal=True),
        fld("sample_id", INT, "抽查名单", "Sample", internal=True),
        *WHERE,
        fld("note", TEXT, "备注", "Note", "备注"),
        *COMMON,
    ),
    labels=LABELS,
)

SAMPLE = Layer(
    key="enterprise_sample",
    table="enterprise_samples",
    geometry=None,
    zh="木材来源抽查名单",
    en="Source-of-wood samples",
    statuses=("drawn", "superseded"),
    initial_status="drawn",
    final_statuses=("superseded",),
    label_field="year",
    group="enterprise",
    icon=":material/casino:",
    writers=WRITERS,
    attributed=False,
    rules="geo.enterprise.samples",
    list_fields=("year", "county", "share", "seed", "population", "size", "status"),
    fields=(
        fld("year", INT, "年度", "Year", required=True),
        fld("county_code", TEXT, "旗县代码", "County code"),
        fld("county", TEXT, "旗县", "County"),
        fld("seed", INT, "随机种子", "Seed"),
        fld("share", REAL, "抽查比例", "Share"),
        fld("population", INT, "企业总数", "Enterprises", internal=True),
        fld("size", INT, "抽取企业数", "Drawn", internal=True),
        fld("ids", JSON, "抽中企业", "Drawn enterprises", internal=True),
        fld("population_ids", JSON, "抽样框", "Sampling frame", internal=True),
        fld("strata", JSON, "分层", "Strata", internal=True),
        fld("method", TEXT, "抽取方法", "Method", internal=True),
        fld("note", TEXT, "备注", "Note"),
        *COMMON,
    ),
    transitions=(Transition(("drawn",), "superseded", "作废（可重新抽取）", "Supersede (a new draw may follow)",
                            comment=True),),
    labels=LABELS,
)

REGISTERS = (ENTERPRISE, CHECK, SAMPLE)
