"""森林草原防火: surveillance cameras and lookouts, fire hazards, fire breaks.

* **Cameras and lookouts** (``camera``, points): type, view radius, status. Their coverage of the
  forest and grassland land — viewsheds simplified as circles of the view radius — is mapped on
  the page and counted per county (:mod:`geo.fire.cameras`).
* **Hazards** (``hazard``, point or polygon): found → assigned (to the zone's chief or a unit,
  with a deadline) → rectified (with photos) → verified (:mod:`geo.fire.hazards`).
* **Fire breaks** (``firebreak``, lines): one record per break and year, with km planned and
  cleared; lengths measured in the line's Gauss-Krüger zone (:mod:`geo.fire.breaks`).

The seeds' figures: "消除森林防火隐患33处，清理森林防火阻隔带166公里"; "2025年新建路口监控一批".
"""

from __future__ import annotations

from geo.declare.base import (
    AREA, COMMON, DATE, INT, REAL, TEXT, WHERE, ZONED, Deadline, Figure, Layer, Operation, Transition, fld,
)

VILLAGE = fld("village", TEXT, "嘎查村", "Village", "村", "嘎查村", "CUN", "所在村")
NOTE = fld("note", TEXT, "备注", "Note", "备注", "说明")

CAMERA_KINDS = ("camera", "junction_camera", "lookout", "warning_post")
HAZARD_CATEGORIES = ("fuel", "fire_use", "power_line", "facility", "access", "other")
BREAK_KINDS = ("soil", "green", "mowed", "road", "other")

LABELS = {
    "camera_kind": {"camera": ("林区视频监控", "Forest camera"), "junction_camera": ("路口监控", "Junction camera"),
                    "lookout": ("瞭望塔", "Lookout tower"), "warning_post": ("语音警示杆", "Voice warning post")},
    "hazard_category": {"fuel": ("可燃物堆积", "Fuel build-up"), "fire_use": ("违规野外用火", "Illegal outdoor fire"),
                        "power_line": ("输电线路隐患", "Power line"), "facility": ("防火设施损坏", "Damaged facility"),
                        "access": ("防火通道不畅", "Blocked fire access"), "other": ("其他", "Other")},
    "hazard_level": {"major": ("重大隐患", "Major"), "general": ("一般隐患", "General")},
    "break_kind": {"soil": ("生土阻隔带", "Mineral-soil break"), "green": ("生物防火林带", "Green break"),
                   "mowed": ("割打防火隔离带", "Mowed break"), "road": ("防火道路", "Fire road"),
                   "other": ("其他", "Other")},
    "status": {"faulty": ("故障", "Faulty"), "assigned": ("已交办", "Assigned"), "cleared": ("已清理", "Cleared")},
    "flag": {"radius_default": ("可视半径按类型默认值", "View radius defaulted by type")},
}

WRITERS = ("admin", "staff", "inspector")

CAMERA = Layer(
    key="camera",
    table="fire_cameras",
    geometry="POINT",
    zh="防火监控与瞭望塔",
    en="Fire cameras and lookouts",
    statuses=("active", "faulty", "retired"),
    initial_status="active",
    final_statuses=("retired",),
    label_field="name",
    group="fire",
    stock=True,  # (what exists, not work: 台账 in the chief's view)
    icon=":material/videocam:",
    writers=WRITERS,
    rules="geo.fire.cameras",
    list_fields=("name", "camera_kind", "radius_m", "county", "township", "built_on", "status"),
    fields=(
        fld("name", TEXT, "名称", "Name", "名称", "设备名称", "监控点名称", "点位名称", "NAME", required=True),
        fld("camera_kind", TEXT, "类型", "Type", "类型", "设备类型", "监控类型", options=CAMERA_KINDS, required=True),
        fld("radius_m", REAL, "可视半径", "View radius", "可视半径", "监控半径", "覆盖半径", "可视距离", "半径",
           unit="米"),
        fld("height_m", REAL, "架设高度", "Mast height", "架设高度", "塔高", "高度", unit="米"),
        fld("place", TEXT, "安装位置", "Site", "安装位置", "位置", "路口", "所在路口"),
        fld("built_on", DATE, "建成日期", "Built on", "建成日期", "建设时间", "建成时间", "安装日期", "安装时间"),
        fld("unit", TEXT, "管护单位", "Keeper", "管护单位", "责任单位", "使用单位", "运维单位"),
        *WHERE,
        VILLAGE,
        *ZONED,
        NOTE,
        *COMMON,
    ),
    transitions=(
        Transition(("active",), "faulty", "登记故障", "Report a fault", comment=True),
        Transition(("faulty",), "active", "修复完成", "Repaired"),
        Transition(("active", "faulty"), "retired", "停用撤除", "Retire", comment=True),
    ),
    figures=(
        Figure("cameras", "视频监控", "Cameras", where={"camera_kind": ["camera", "junction_camera"],
                                                   "status": ["active", "faulty"]}),
        Figure("lookouts", "瞭望塔", "Lookout towers", where={"camera_kind": "lookout", "status": ["active", "faulty"]}),
        Figure("faulty", "故障设备", "Faulty", where={"status": "faulty"}),
        Figure("built_this_year", "当年新建监控", "Built this year", kind="custom"),
        Figure("coverage_pct", "监控覆盖率", "Coverage", kind="custom", unit="%", digits=1),
        Figure("covered_km2", "监控覆盖面积", "Area covered", kind="custom", unit="平方公里", digits=1),
    ),
    labels=LABELS,
)

HAZARD = Layer(
    key="hazard",
    table="fire_hazards",
    geometry="GEOMETRY",
    zh="森林防火隐患",
    en="Fire hazards",
    statuses=("found", "assigned", "rectified", "verified"),
    initial_status="found",
    final_statuses=("verified",),
    label_field="title",
    group="fire",
    icon=":material/local_fire_department:",
    writers=WRITERS,
    rules="geo.fire.hazards",
    list_fields=("title", "hazard_category", "county", "township", "found_on", "unit", "assignee", "status"),
    fields=(
        fld("title", TEXT, "隐患内容", "Hazard", "隐患名称", "隐患内容", "隐患描述", "问题描述", "名称", required=True),
        fld("hazard_category", TEXT, "隐患类别", "Category", "隐患类别", "类别", "隐患类型", options=HAZARD_CATEGORIES),
        fld("hazard_level", TEXT, "隐患等级", "Level", "隐患等级", "等级", options=("major", "general")),
        fld("found_on", DATE, "发现日期", "Found on", "发现日期", "排查日期", "发现时间", "排查时间", required=True),
        fld("found_by", TEXT, "排查人/单位", "Found by", "发现人", "排查人", "排查单位", "发现单位"),
        fld("unit", TEXT, "责任单位", "Responsible unit", "责任单位", "整改单位", "属地单位"),
        fld("assignee", TEXT, "整改责任人", "Responsible person", "责任人", "整改责任人", "林长"),
        fld("assignee_post", INT, "责任林长岗位", "Chief's post", internal=True),
        fld("deadline", DATE, "整改期限", "Deadline", "整改期限", "整改时限", "完成时限"),
        fld("measure", TEXT, "整改措施", "Measure", "整改措施", "整改情况"),
        fld("rectified_on", DATE, "整改完成日期", "Rectified on", "整改完成时间", "整改完成日期", "完成日期"),
        fld("verified_on", DATE, "核查日期", "Verified on", "核查日期", "验收日期"),
        fld("verified_by", TEXT, "核查人", "Verified by", "核查人", "验收人"),
        *WHERE,
        VILLAGE,
        *ZONED,
        *AREA,
        NOTE,
        *COMMON,
    ),
    transitions=(
        Transition(("found",), "assigned", "交办整改", "Assign", optional=("unit", "assignee", "deadline")),
        Transition(("assigned",), "rectified", "整改完成", "Rectified", requires=("measure",),
                   optional=("rectified_on",), evidence=True),
        Transition(("rectified",), "verified", "核查销号", "Verify and close", optional=("verified_on",)),
        Transition(("rectified",), "assigned", "核查不合格，退回整改", "Send back", comment=True,
                   optional=("deadline",)),
    ),
    stamps={"rectified": {"rectified_on": "today"}, "verified": {"verified_on": "today", "verified_by": "actor"}},
    deadline=Deadline(field="deadline", start="found_on", days=30, days_setting="hazard_rectify_days",
                      open_statuses=("found", "assigned")),
    figures=(
        Figure("found", "排查隐患", "Hazards found", kind="custom"),
        Figure("eliminated", "消除隐患", "Hazards eliminated", kind="custom"),
        Figure("open", "未整改隐患", "Open hazards", where={"status": ["found", "assigned"]}),
        Figure("overdue", "逾期未整改", "Overdue", kind="overdue"),
    ),
    labels=LABELS,
)

FIREBREAK = Layer(
    key="firebreak",
    table="fire_breaks",
    geometry="LINESTRING",
    zh="森林防火阻隔带",
    en="Fire breaks",
    statuses=("planned", "in_progress", "cleared"),
    initial_status="planned",
    final_statuses=("cleared",),
    label_field="name",
    group="fire",
    icon=":material/horizontal_rule:",
    writers=WRITERS,
    rules="geo.fire.breaks",
    list_fields=("name", "year", "break_kind", "length_km", "planned_km", "cleared_km", "county", "status"),
    fields=(
        fld("name", TEXT, "名称", "Name", "名称", "阻隔带名称", "防火带名称", "隔离带名称", required=True),
        fld("year", INT, "年度", "Year", "年度", "年份", "计划年度", "清理年度", required=True),
        fld("break_kind", TEXT, "类型", "Type", "类型", "阻隔带类型", options=BREAK_KINDS),
        fld("width_m", REAL, "宽度", "Width", "宽度", "带宽", unit="米"),
        fld("length_km", REAL, "长度", "Length", unit="公里"),
        fld("planned_km", REAL, "计划清理", "Planned", "计划长度", "计划公里", "计划里程", "计划清理", unit="公里"),
        fld("cleared_km", REAL, "已清理", "Cleared", "完成长度", "清理长度", "已清理", "完成公里", unit="公里"),
        fld("cleared_on", DATE, "清理完成日期", "Cleared on", "完成日期", "清理日期", "清理完成日期"),
        fld("unit", TEXT, "实施单位", "Crew", "实施单位", "责任单位", "施工单位"),
        *WHERE,
        *ZONED,
        NOTE,
        *COMMON,
    ),
    transitions=(
        Transition(("planned",), "in_progress", "开始清理", "Start clearing"),
        Transition(("planned", "in_progress"), "cleared", "清理完成", "Cleared", requires=("cleared_km",),
                   optional=("cleared_on",)),
        Transition(("cleared",), "in_progress", "退回继续清理", "Reopen", comment=True),
    ),
    stamps={"cleared": {"cleared_on": "today"}},
    operations=(
        Operation("next_year", "列入下一年度计划", "Plan for next year", "geo.fire.breaks:op_next_year",
                  fields=(fld("year", INT, "年度", "Year"),)),
    ),
    figures=(
        Figure("planned_km", "计划清理阻隔带", "Fire breaks planned", kind="custom", unit="公里", digits=1),
        Figure("cleared_km", "清理阻隔带", "Fire breaks cleared", kind="custom", unit="公里", digits=1),
        Figure("cleared_pct", "阻隔带清理完成率", "Cleared share", kind="custom", unit="%", digits=1),
    ),
    labels=LABELS,
)

REGISTERS = (CAMERA, HAZARD, FIREBREAK)
