"""林长名册: the people of the forest-chief system and the posts they hold (一长两员).

* A **person** (``person``) is someone with a name, a unit and a phone.
* A **post** (``post``) is a place in the system — a level (盟/旗县/苏木乡镇/嘎查村/网格), a role
  (林长 / 副林长 / 监管员 / 护林员), a title ("突泉县人民政府县长") and the responsibility zone it
  answers for. Who holds it changes; the post stays. Appointing someone is an event on the post
  with its date (``appoint``), so the history says who held which post from when to when
  (:func:`geo.chief.chiefs.tenures`), figures "as of" a date use the holder of that date, and a
  signboard showing a post goes stale when its holder changes after the board was last updated.
"""

from __future__ import annotations

from geo.declare.base import COMMON, DATE, INT, TEXT, WHERE, Figure, Layer, Operation, Transition, fld

LEVELS = ("league", "banner", "township", "village", "grid")
ROLES = ("chief", "deputy", "supervisor", "ranger")
LABELS = {
    "role": {"chief": ("林长", "Forest chief"), "deputy": ("副林长", "Deputy chief"),
             "supervisor": ("监管员", "Supervisor"), "ranger": ("护林员", "Ranger")},
    "status": {"left": ("已离任", "Left"), "filled": ("在岗", "Filled"), "vacant": ("空缺", "Vacant")},
}

PERSON = Layer(
    key="person",
    table="people",
    geometry=None,
    zh="人员",
    en="People",
    statuses=("active", "left"),
    initial_status="active",
    retired_statuses=("left",),
    label_field="name",
    group="chief",
    icon=":material/badge:",
    writers=("admin", "staff"),
    attributed=False,
    list_fields=("name", "unit", "phone", "county", "status"),
    fields=(
        fld("name", TEXT, "姓名", "Name", "姓名", "名字", "林长姓名", "NAME", required=True),
        fld("unit", TEXT, "工作单位", "Unit", "单位", "工作单位", "所在单位"),
        fld("job", TEXT, "行政职务", "Job title", "行政职务", "现任职务"),
        fld("phone", TEXT, "联系电话", "Phone", "电话", "联系电话", "手机", "联系方式"),
        *WHERE,
        fld("note", TEXT, "备注", "Note", "备注"),
        *COMMON,
    ),
    transitions=(
        Transition(("active",), "left", "离任", "Left the system", comment=True),
        Transition(("left",), "active", "重新任用", "Back in the system"),
    ),
    figures=(Figure("people", "人员", "People", where={"status": "active"}),),
    labels=LABELS,
)

POST = Layer(
    key="post",
    table="posts",
    geometry=None,
    zh="林长及护林员岗位",
    en="Posts",
    statuses=("filled", "vacant"),
    initial_status="vacant",
    label_field="title",
    group="chief",
    icon=":material/account_tree:",
    writers=("admin", "staff"),
    attributed=False,
    rules="geo.chief.chiefs",
    list_fields=("title", "level", "role", "holder_name", "holder_since", "county", "status"),
    fields=(
        fld("title", TEXT, "职务名称", "Post title", "职务", "林长职务", "岗位", "职务名称", required=True),
        fld("level", TEXT, "级别", "Level", "级别", "林长级别", "层级", options=LEVELS, required=True),
        fld("role", TEXT, "类别", "Role", "类别", "身份", "岗位类别", options=ROLES, required=True),
        fld("zone_id", INT, "责任区", "Responsibility zone", ref="zone"),
        fld("zone_name", TEXT, "责任区名称", "Zone name", "责任区", "责任区域", "网格", "责任区名称"),
        fld("holder_id", INT, "现任人员", "Holder", internal=True),
        fld("holder_name", TEXT, "现任姓名", "Holder's name", "姓名", "林长姓名", "护林员姓名"),
        fld("holder_since", DATE, "任职日期", "Holder since", "任职时间", "任职日期", "上任时间"),
        fld("duties", TEXT, "职责", "Duties", "职责", "林长职责"),
        fld("phone", TEXT, "联系电话", "Phone", "电话", "联系电话", "手机"),
        *WHERE,
        fld("note", TEXT, "备注", "Note", "备注"),
        *COMMON,
    ),
    operations=(
        Operation("appoint", "任职/换人", "Appoint", "geo.chief.chiefs:op_appoint", fields=(
            fld("holder_id", INT, "任职人员", "Person", ref="person", required=True),
            fld("holder_since", DATE, "任职日期", "From"),
        )),
        Operation("vacate", "离任（岗位空缺）", "Leave vacant", "geo.chief.chiefs:op_vacate", statuses=("filled",),
                  fields=(fld("holder_since", DATE, "离任日期", "From"),)),
    ),
    figures=(
        Figure("posts", "岗位", "Posts"),
        Figure("vacant", "空缺岗位", "Vacant posts", where={"status": "vacant"}),
        Figure("chiefs", "林长", "Forest chiefs", where={"role": ["chief", "deputy"], "status": "filled"}),
        Figure("rangers", "护林员", "Rangers", where={"role": "ranger", "status": "filled"}),
        Figure("supervisors", "监管员", "Supervisors", where={"role": "supervisor", "status": "filled"}),
    ),
    labels=LABELS,
)

REGISTERS = (PERSON, POST)


# ------------------------------------------------------------------------------ demo
ROLE_OF = {"league": "总林长", "banner": "总林长", "township": "林长", "village": "林长"}
