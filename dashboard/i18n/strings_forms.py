"""What the forms say: a record changed by someone else since it was opened, a reason asked for
marking an item done below 100%, a scene outside the jurisdiction, an as-of date or week after today
(key -> (Chinese, English))."""

STRINGS: dict[str, tuple[str, str]] = {
    "forms.changed": ("此记录在您打开后已被他人修改（版本 {seen} → {now}）：直接提交将被拒绝，请先刷新为最新版本。",
                      "Someone changed this record since you opened it (version {seen} → {now}): a submit "
                      "will be refused; refresh to the latest version first."),
    "forms.refresh": ("刷新为最新版本", "Refresh to the latest version"),
    "forms.reason_needed": ("当前进度 {pct}%（未达 100%）：标记为“{done}”须在“办理说明”中填写原因。",
                            "Progress is {pct}% (below 100%): marking it “{done}” needs a reason in the comment."),
    "forms.scene_outside": ("注意：以下影像不覆盖本辖区任何旗县（已登记，但各旗县账号看不到，也不会用于图斑）："
                            "{names}。请核对影像的坐标系或位置。",
                            "Note: these scenes cover none of the counties (registered, but no county account "
                            "sees them and no polygon uses them): {names}. Check their coordinates."),
    "forms.future_as_of": ("统计截至日期 {day} 晚于今天，不能查看未来的数字：已按今天（{today}）统计。",
                           "The as-of date {day} is after today; there are no figures for the future: "
                           "showing today's ({today})."),
    "forms.future_week": ("所选日期 {day} 晚于今天，未来的周还没有简报：已显示本周（截至 {today}）的简报。",
                          "The day picked, {day}, is after today; a future week has no brief yet: showing "
                          "this week's (to {today})."),
}
