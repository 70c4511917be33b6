"""接诉即办: complaints from the 12345 government-service hotline, and the village list used to
place them.

A complaint arrives in the hotline's Excel export (工单编号, 受理时间, 事发地址, 诉求类型, 诉求内容 …;
``python -m geo import-table FILE --layer complaint`` or the page's import). It is placed by its
coordinates when the export has them, else by matching its address to the villages (嘎查村名录, or
village-level zones) and townships of the store; the ones that match nothing wait in a list for
someone to place them by hand (operation "定位"). It is then assigned to the forest chief of the
zone it lies in or to a responsible unit, handled, and replied to with the caller's satisfaction.
Its deadline follows its category (``complaint_days`` in the settings over :data:`DAYS`).
"""

from __future__ import annotations

from geo.declare.base import (COMMON, DATE, DATETIME, JSON, TEXT, WHERE, ZONED, Deadline, Figure, Layer, Operation,
                                Transition, fld)

# category -> (zh, en), with the words that reveal it in a hotline's category or content text
CATEGORIES = {
    "grazing": ("偷牧/违规放牧", "Illegal grazing"),
    "logging": ("毁林/乱砍滥伐", "Illegal logging"),
    "occupation": ("非法占用林地草原", "Illegal occupation of land"),
    "fire": ("火情/野外用火", "Fire"),
    "wildlife": ("野生动物", "Wildlife"),
    "pest": ("林草有害生物", "Pests and diseases"),
    "other": ("其他", "Other"),
}
# days to reply by category (calendar days from receipt); the setting complaint_days overrides
DAYS = {"fire": 1, "logging": 3, "wildlife": 3, "grazing": 5, "occupation": 5, "pest": 5, "other": 5}
SATISFACTION = ("satisfied", "basic", "unsatisfied", "unrated")
LOCATED_BY = ("coordinates", "village", "township", "manual")
LABELS = {
    "status": {"received": ("已受理", "Received"), "assigned": ("已派单", "Assigned"),
               "handled": ("已办理", "Handled"), "replied": ("已办结", "Replied")},
    "category": CATEGORIES,
    "satisfaction": {"satisfied": ("满意", "Satisfied"), "basic": ("基本满意", "Basically satisfied"),
                     "unsatisfied": ("不满意", "Unsatisfied"), "unrated": ("未评价", "Not rated")},
    "located_by": {"coordinates": ("工单坐标", "Coordinates"), "village": ("按嘎查村匹配", "Village matched"),
                   "township": ("按苏木乡镇匹配", "Township matched"), "manual": ("人工定位", "Placed by hand")},
}
WRITERS = ("admin", "staff", "inspector")

COMPLAINT = Layer(
    key="complaint",
    table="hotline_complaints",
    geometry="POINT",
    place_optional=True,
    zh="12345热线诉求",
    en="12345 hotline complaints",
    statuses=("received", "assigned", "handled", "replied"),
    initial_status="received",
    final_statuses=("replied",),
    label_field="ticket_no",
    group="complaint",
    icon=":material/support_agent:",
    writers=WRITERS,
    rules="geo.complaint.complaints",
    list_fields=("ticket_no", "received_at", "category", "address", "county", "located_by", "due_on", "assignee",
                 "satisfaction", "status"),
    fields=(
        fld("ticket_no", TEXT, "工单编号", "Ticket no.", "工单编号", "工单号", "受理编号", "诉求编号", "编号", "工单流水号",
           required=True),
        fld("received_at", DATETIME, "受理时间", "Received at", "受理时间", "来电时间", "登记时间", "派单时间", "创建时间",
           "接收时间", required=True),
        fld("caller", TEXT, "诉求人", "Caller", "诉求人", "来电人", "诉求人姓名", "姓名", "反映人"),
        fld("caller_phone", TEXT, "联系电话", "Caller's phone", "联系电话", "来电号码", "诉求人电话", "电话"),
        fld("address", TEXT, "事发地址", "Address", "事发地址", "诉求地址", "地址", "事件地点", "发生地点", "问题地址"),
        fld("category_text", TEXT, "诉求类型（原文）", "Category (as exported)", "诉求类型", "问题分类", "工单类型",
           "诉求分类", "事项分类", "类别", "分类"),
        fld("category", TEXT, "诉求类别", "Category", options=tuple(CATEGORIES)),
        fld("content", TEXT, "诉求内容", "Content", "诉求内容", "来电内容", "问题描述", "工单内容", "反映内容", "诉求详情",
           required=True),
        fld("due_on", DATE, "办理时限", "Due on", "办理时限", "办结时限", "办理期限", "要求办结时间"),
        fld("assignee", TEXT, "承办人", "Assigned to", "承办人"),
        fld("assignee_unit", TEXT, "承办单位", "Responsible unit", "承办单位", "责任单位", "办理单位", "转办单位"),
        fld("assigned_on", DATE, "派单日期", "Assigned on"),
        fld("handling", TEXT, "办理情况", "Handling", "办理情况", "处理结果", "办理结果", "处理情况"),
        fld("handled_on", DATE, "办理日期", "Handled on"),
        fld("reply", TEXT, "回复内容", "Reply", "回复内容", "答复内容", "回复意见"),
        fld("replied_on", DATE, "办结日期", "Replied on", "办结时间", "回复时间", "办结日期", "答复时间"),
        fld("satisfaction", TEXT, "满意度", "Satisfaction", "满意度", "回访满意度", "评价", "回访结果",
           options=SATISFACTION),
        fld("located_by", TEXT, "定位方式", "Located by", options=LOCATED_BY),
        fld("place_match", TEXT, "匹配地名", "Matched place"),
        fld("links", JSON, "附近图斑及地块", "Nearby polygons and plots", internal=True),
        *WHERE,
        fld("village", TEXT, "嘎查村", "Village", "嘎查村", "村"),
        *ZONED,
        fld("note", TEXT, "备注", "Note", "备注"),
        *COMMON,
    ),
    transitions=(
        Transition(("received",), "assigned", "派单", "Assign", requires=("assignee",), optional=("assignee_unit",)),
        Transition(("assigned",), "handled", "办理完成", "Handled", requires=("handling",), optional=("handled_on",)),
        Transition(("handled",), "assigned", "退回重办", "Send back", comment=True),
        Transition(("handled",), "replied", "回复办结", "Reply and close", requires=("reply", "satisfaction"),
                   optional=("replied_on",)),
        Transition(("replied",), "assigned", "不满意重办", "Reopen (not satisfied)", comment=True),
    ),
    stamps={"assigned": {"assigned_on": "today"}, "handled": {"handled_on": "today"},
            "replied": {"replied_on": "today"}},
    deadline=Deadline(field="due_on", open_statuses=("received", "assigned", "handled")),
    operations=(
        Operation("assign_chief", "派给责任区林长", "Assign to the zone's forest chief", "geo.complaint.complaints:op_assign_chief",
                  statuses=("received",)),
        Operation("place", "定位（人工）", "Place by hand", "geo.complaint.complaints:op_place", geometry=True),
    ),
    figures=(
        Figure("received", "接收12345热线", "Received"),
        Figure("closed", "已办结", "Closed", where={"status": "replied"}),
        Figure("open", "办理中", "Open", where={"status": ["received", "assigned", "handled"]}),
        Figure("overdue", "逾期未办结", "Overdue", kind="overdue"),
        Figure("satisfaction_pct", "办结满意率", "Satisfaction", kind="custom", unit="%", digits=1),
        Figure("rated", "已回访评价", "Rated", kind="custom"),
        Figure("closed_late", "超时办结", "Closed late", kind="custom"),
        Figure("unplaced", "待定位", "Not yet placed", kind="custom"),
        *(Figure(f"cat_{k}", zh, en, where={"category": k}) for k, (zh, en) in CATEGORIES.items()),
    ),
    labels=LABELS,
)

VILLAGE = Layer(
    key="village",
    table="villages",
    geometry="POINT",
    zh="嘎查村名录",
    en="Villages",
    label_field="name",
    group="complaint",
    icon=":material/holiday_village:",
    writers=("admin", "staff"),
    attributed=False,
    list_fields=("name", "township", "county", "aliases"),
    fields=(
        fld("name", TEXT, "嘎查村名称", "Village", "嘎查村", "村名", "名称", "嘎查村名称", "行政村", required=True),
        fld("aliases", TEXT, "别名", "Other names", "别名", "曾用名", "俗称"),
        *WHERE,
        fld("note", TEXT, "备注", "Note", "备注"),
        *COMMON,
    ),
)

REGISTERS = (COMPLAINT, VILLAGE)
