"""UI strings of the app shell: the menu's sections, and one-line confirmations of actions."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # the menu's sections, by part of the system (dashboard/components/nav.py)
    "nav.sec.change": ("图斑整改", "Change polygons"),
    "nav.sec.chief": ("林长制", "Forest-chief system"),
    "nav.sec.ledger": ("台账", "Registers"),
    "nav.sec.system": ("系统", "System"),
    # one-line confirmations of actions (dashboard.components.common.confirm)
    "sh.promoted": ("已将批次“{name}”转为正式批次，计入统计。", "Batch “{name}” is now official and counted."),
    "sh.action_added": ("已添加记录：{what}", "Record added: {what}"),
    "sh.action_deleted": ("已删除记录 #{id}", "Record #{id} deleted"),
    "sh.text_cleared": ("“{section}”已恢复为草稿（按当前数据生成）。", "“{section}” is back to the draft (made from the data)."),
}
