"""Strings of account management (系统管理 → 账号): passwords typed or generated, the password rule:
key -> (Simplified Chinese, English)."""

STRINGS: dict[str, tuple[str, str]] = {
    "acc.password": ("初始密码", "Initial password"),
    "acc.new_password": ("新密码", "New password"),
    "acc.rule": ("密码至少 {n} 位，须包含小写字母、大写字母、数字、其他字符中的至少三类（或不少于 16 位），"
                 "不能包含用户名，不能是常见密码。",
                 "At least {n} characters, with three of: lower case, upper case, digits, other characters "
                 "(or 16+ characters); not containing the user name; not a common password."),
    "acc.generate": ("生成随机密码", "Generate a password"),
    "acc.generated": ("已生成随机密码（已填入上方密码框，仅在此显示一次，请记下并告知用户）：",
                      "A password was generated (filled in above; shown only here, once — note it and pass it on):"),
    "acc.added": ("已新增账号 {name}，可用所设密码登录。", "Account {name} added; it signs in with the password set."),
    "acc.reset_done": ("已重置 {name} 的密码，其已登录的会话已结束。",
                       "The password of {name} was reset; its open sessions were ended."),
    "acc.enabled_done": ("已启用账号 {name}", "Account {name} enabled"),
    "acc.disabled_done": ("已停用账号 {name}", "Account {name} disabled"),
    "acc.disabled_tag": ("（已停用）", " (disabled)"),
}
