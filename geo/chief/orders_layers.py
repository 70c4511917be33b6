"""林长令: orders issued by forest chiefs ("共签发3张林长令…加强防火工作令"), addressed to the
responsibility zones that must carry them out, with a deadline for their response.

The zones addressed are chosen from the zones register (several: a multiselect on the page, names
or ids on the command line). Each response (反馈) is recorded on the order with the ``respond`` operation (which zone, when,
what was done, files); an addressed zone that has not responded by the deadline is an **overdue
response** — flagged in the order's details and counted on the leaders' screen; a response received
after the deadline is **late** (迟报), flagged in the details, the 督办 page, the ledger and the bulletin. An order is done
(已办结) when every addressed zone has responded, or when the office closes it. The rules live in
:mod:`geo.chief.orders`.
"""

from __future__ import annotations

from geo.declare.base import COMMON, DATE, INT, TEXT, Deadline, Figure, Layer, Operation, Transition, fld

LABELS = {"status": {"open": ("办理中", "Open"), "done": ("已办结", "Done")}}

ORDER = Layer(
    key="order",
    table="chief_orders",
    geometry=None,
    zh="林长令",
    en="Forest-chief orders",
    statuses=("open", "done"),
    initial_status="open",
    final_statuses=("done",),
    label_field="order_no",
    group="chief",
    icon=":material/gavel:",
    writers=("admin", "staff"),
    attributed=False,
    rules="geo.chief.orders",
    list_fields=("order_no", "issued_on", "issuer", "subject", "addressed", "deadline", "status"),
    fields=(
        fld("order_no", TEXT, "令号", "Order no.", "令号", "编号", "文号", required=True),
        fld("issued_on", DATE, "签发日期", "Issued on", "签发日期", "日期", required=True),
        fld("issuer_post", INT, "签发林长（岗位）", "Issuing chief's post", ref="post"),
        fld("issuer", TEXT, "签发林长", "Issued by", "签发人", "签发林长", "林长"),
        fld("subject", TEXT, "事项", "Subject", "事项", "标题", "名称", required=True),
        fld("content", TEXT, "主要内容", "Content", "内容", "主要内容", "要求"),
        # several zones of the zones register (a TEXT field with ``ref``: their names joined by 、)
        fld("addressed", TEXT, "下达责任区", "Addressed zones", "下达对象", "责任区", "下达责任区", required=True,
            ref="zone"),
        fld("deadline", DATE, "反馈时限", "Response deadline", "时限", "反馈时限", "办理时限", required=True),
        fld("responses", TEXT, "反馈情况", "Responses", internal=True),  # one line per response (geo.chief.orders)
        fld("note", TEXT, "备注", "Note", "备注"),
        *COMMON,
    ),
    transitions=(
        Transition(("open",), "done", "办结", "Close", comment=True),
        Transition(("done",), "open", "重新打开", "Reopen", comment=True),
    ),
    deadline=Deadline(field="deadline", open_statuses=("open",)),
    operations=(
        Operation("respond", "登记反馈", "Record a response", "geo.chief.orders:op_respond", evidence=True,
                  statuses=("open", "done"), roles=("admin", "staff", "inspector"), fields=(
                      fld("zone_id", INT, "反馈责任区", "Responding zone", ref="zone", required=True),
                      fld("responded_on", DATE, "反馈日期", "Responded on"),
                      fld("summary", TEXT, "办理情况", "What was done", required=True),
                  )),
    ),
    figures=(
        Figure("orders", "林长令", "Orders"),
        Figure("open", "办理中", "Open", where={"status": "open"}),
        Figure("overdue", "逾期未办结", "Overdue", kind="overdue"),
        Figure("responses", "已反馈（责任区）", "Responses received", kind="custom"),
        Figure("responses_overdue", "逾期未反馈（责任区）", "Overdue responses", kind="custom"),
    ),
    labels=LABELS,
)

REGISTERS = (ORDER,)
