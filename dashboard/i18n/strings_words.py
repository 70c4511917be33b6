"""Strings of issue 22's "the bureau's words": configuration hints for administrators, the chief's
view's 待办 and 台账."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # where a rule lives in the configuration: administrators only, in Chinese with the key
    "words.setting_admin": ("系统管理员可在配置文件中调整{what}（配置项 {setting}）。",
                            "An administrator sets {what} in the configuration file (setting {setting})."),
    "words.setting.hazard_rectify_days": ("隐患未定期限时的整改天数", "the days to rectify a hazard without a set date"),
    "words.setting.pine_clear_days": ("即死即清的清理天数", "the days to remove a dead pine"),
    "words.setting.complaint_days": ("各类诉求的办理天数", "the days to reply per category"),
    # the chief's view: open work apart from stock
    "chief.todo": ("待办", "Open work"),
    "chief.todo_help": ("有期限、需要办理的事项：待核查和整改的图斑、需更新的公示牌、逾期整改事项及各类未办结记录。",
                        "Work with deadlines: polygons to verify and rectify, boards to renew, overdue items "
                        "and every register's open records."),
    "chief.ledger": ("台账", "Stock"),
    "chief.ledger_help": ("责任区内在册的资源与对象（小班、企业、监控等），不是待办事项。",
                          "What is on record in the zones (sub-compartments, enterprises, cameras …): not work to do."),
    "chief.kind": ("类别", "Kind"),
    "chief.open": ("待办", "Open"),
    "chief.count": ("数量", "Count"),
    "chief.statuses": ("状态", "Statuses"),
    "chief.no_ledger": ("责任区内暂无台账记录。", "Nothing on record in the zones."),
}
