"""The forest-chief system's places: public signboards of the chiefs (林长公示牌: ok → damaged /
stale → retired) and the responsibility zones and grids (责任区/网格) every feature is attributed to."""

from __future__ import annotations

from geo.declare.base import BOOL, COMMON, DATE, INT, JSON, REAL, TEXT, WHERE, Figure, Layer, Operation, Transition, fld

SIGNBOARD_MACHINE = (
    Transition(("ok", "stale"), "damaged", "登记损坏", "Report damage", stamps={"last_inspected_on": "today"}),
    Transition(("ok", "damaged"), "stale", "登记信息过期", "Report stale information",
               stamps={"last_inspected_on": "today"}),
    Transition(("damaged", "stale"), "ok", "更新/修复完成", "Repaired or updated",
               evidence=True, optional=("chief_name", "chief_post", "phone"), stamps={"last_inspected_on": "today"}),
    Transition(("ok", "damaged", "stale"), "retired", "撤除", "Retire", comment=True),
)


SIGNBOARD = Layer(
    transitions=SIGNBOARD_MACHINE,
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
                      fld("last_inspected_on", DATE, "检查日期", "Inspected on"),
                      fld("condition", TEXT, "牌面状况", "Condition", options=("ok", "damaged", "stale"),
                         required=True),
                  )),
        Operation("refresh", "按现任林长更新牌面", "Update to the current chief", "geo.chief.signboards:op_refresh",
                  evidence=True, statuses=("ok", "damaged", "stale")),
        Operation("move", "移位", "Move", "geo.chief.signboards:op_move", geometry=True, statuses=("ok", "damaged", "stale")),
    ),
    fields=(
        fld("board_no", TEXT, "公示牌编号", "Board no.", "编号", "牌号"),
        fld("level", TEXT, "林长级别", "Level", "级别"),
        fld("chief_name", TEXT, "林长姓名", "Forest chief", "林长", "林长姓名"),
        fld("chief_post", TEXT, "林长职务", "Post", "职务"),
        fld("zone_id", INT, "责任区", "Responsibility zone", ref="zone"),
        fld("zones", JSON, "各级责任区", "Zones by level", internal=True),
        fld("zone_desc", TEXT, "责任区域", "Responsibility area", "责任区域"),
        fld("duties", TEXT, "林长职责", "Duties"),
        fld("phone", TEXT, "监督电话", "Supervision phone", "电话", "监督电话"),
        fld("rangers", TEXT, "护林员", "Rangers"),
        *WHERE,
        fld("installed_on", DATE, "设立日期", "Installed on"),
        fld("last_inspected_on", DATE, "最近检查", "Last inspected"),
        fld("post_id", INT, "公示岗位", "Post shown", ref="post"),
        fld("content_on", DATE, "牌面更新日期", "Content updated on", "更新日期", "牌面更新日期"),
        # the random part of the board's public link (its QR code): the board number is printed on the
        # board and runs in sequence, so a link by number would let anyone list every board
        fld("public_token", TEXT, "公示链接码", "Public link token", internal=True),
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
        fld("name", TEXT, "名称", "Name", "名称", "NAME", "责任区名称", "网格名称", required=True),
        fld("level", TEXT, "级别", "Level", "级别", "层级", "LEVEL",
           options=("league", "banner", "township", "village", "grid"), required=True),
        fld("chief_name", TEXT, "林长姓名", "Forest chief"),
        fld("chief_post", TEXT, "林长职务", "Post"),
        fld("rangers", TEXT, "护林员", "Rangers"),
        fld("supervisor", TEXT, "监管员", "Supervisor"),
        fld("parent_id", INT, "上级责任区", "Parent zone"),
        *WHERE,
        fld("area_mu", REAL, "面积(亩)", "Area (mu)", unit="亩"),
        fld("derived", BOOL, "推算生成", "Derived"),
        fld("code", TEXT, "编号", "Code", "编号", "网格编号", "责任区编号", "CODE"),
        fld("valid_from", DATE, "启用日期", "Valid from"),
        fld("valid_to", DATE, "停用日期", "Valid until"),
        fld("version_no", INT, "版本号", "Zone set version"),
        *COMMON,
    ),
)

REGISTERS = (SIGNBOARD, ZONE)
