"""Issue 22, accounts: the password an administrator types is the password (a generated one is offered
and shown once), the password rule refuses in Chinese on the page and on the command line and writes
nothing; people who cannot act (a disabled account, a person who has left) are never offered; the
language a user picks is kept with the account; an account's counties read as names."""

from __future__ import annotations

import pytest

from geo.access import auth
from geo.access.labels import county_names, scope_text
from geo.chief import chiefs
from geo.core.errors import ConflictError, PermissionDenied, ValidationError
from geo.engine import records
from geo.engine import workflow as W
from tests.browser import choose, login, wait_idle
from tests.conftest import DEMO_PASSWORDS
from tests.test_cli import geo

ADMIN = auth.Access(user="admin", role="admin")


def _accounts_and_trail(store):
    return sorted(store.users()["name"]), len(store.events("user"))


def test_the_typed_password_is_the_password_and_a_weak_one_writes_nothing(demo_store):
    auth.add_user(demo_store, ADMIN, name="wang_wu", role="leader", password="Lin-chang-2026")
    assert auth.authenticate(demo_store, "wang_wu", "Lin-chang-2026")["name"] == "wang_wu"
    before = _accounts_and_trail(demo_store)
    for weak, why in (("Ab1-xyz", "至少需要 10 个字符"), ("abcdefghijkl", "至少三类"),
                      ("Zhao_liu-2026", "不能包含用户名"), ("", "至少需要")):
        with pytest.raises(ValidationError) as err:
            auth.add_user(demo_store, ADMIN, name="zhao_liu", role="leader", password=weak)
        assert why in err.value.zh
        with pytest.raises(ValidationError):
            auth.reset_password(demo_store, ADMIN, "wang_wu", weak.replace("Zhao_liu", "Wang_wu"))
    assert _accounts_and_trail(demo_store) == before
    assert auth.authenticate(demo_store, "wang_wu", "Lin-chang-2026")  # the old password still holds


def test_the_command_line_uses_the_typed_password_and_refuses_a_short_one(demo_path, demo_store):
    proc = geo("users", "add", "--name", "li_si", "--role", "leader", "--password", "short-1A",
               "--actor", "admin", db=demo_path)
    assert proc.returncode != 0 and "密码至少需要 10 个字符" in proc.stderr + proc.stdout
    assert demo_store.user("li_si") is None
    geo("users", "add", "--name", "li_si", "--role", "leader", "--password", "Forest-li-2026",
        "--actor", "admin", db=demo_path, check=0)
    assert auth.authenticate(demo_store, "li_si", "Forest-li-2026")
    # the language: the account itself (or an administrator) sets it; nobody else
    geo("users", "lang", "--name", "li_si", "--lang", "en", "--actor", "li_si", db=demo_path, check=0)
    assert demo_store.user("li_si")["lang"] == "en"
    proc = geo("users", "lang", "--name", "li_si", "--lang", "zh", "--actor", "leader", db=demo_path)
    assert proc.returncode != 0 and demo_store.user("li_si")["lang"] == "en"


def test_the_language_is_kept_with_the_account(demo_store):
    leader = auth.access_for(demo_store.user("leader"))
    auth.set_language(demo_store, leader, "leader", "en")
    assert demo_store.user("leader")["lang"] == "en"
    with pytest.raises(ValidationError) as err:
        auth.set_language(demo_store, leader, "leader", "fr")
    assert "语言只能是" in err.value.zh and demo_store.user("leader")["lang"] == "en"
    with pytest.raises(PermissionDenied):
        auth.set_language(demo_store, leader, "staff", "en")
    assert not demo_store.user("staff").get("lang")


def test_a_person_who_has_left_is_offered_as_no_one(demo_store):
    chief = chiefs.chiefs_list(demo_store).iloc[0]
    pid = int(chief["holder_id"])
    assert pid in records.choices(demo_store, "person")
    person = demo_store.get_feature("person", pid)
    W.transition(demo_store, "person", pid, "left", actor="admin", comment="调离", version=person["version"])
    assert pid not in chiefs.chiefs_list(demo_store)["holder_id"].astype(int).tolist()  # not a chief to pick
    assert pid not in records.choices(demo_store, "person")  # nor a person to appoint
    post = demo_store.read_layer("post", geometry=False, columns=["title"])
    with pytest.raises(ValidationError) as err:
        chiefs.appoint(demo_store, int(post["id"].iloc[0]), pid, actor="admin")
    assert "已离任" in err.value.zh


def test_an_accounts_counties_read_as_names(demo_store):
    names = county_names(demo_store)
    assert names["152224"] == "突泉县"
    assert scope_text(["152224"], "zh", names) == "突泉县"
    assert scope_text([], "zh", names) == "全部旗县" and scope_text(None, "en", names) == "all counties"


# ------------------------------------------------------------------------------ in the browser
def _admin_page(page, url):
    login(page, url, "admin", DEMO_PASSWORDS["admin"], path="admin")
    page.get_by_text("新增账号").first.wait_for()


def test_an_account_made_with_a_typed_password_signs_in_with_it(dashboard, browser, page, demo_store):
    _admin_page(page, dashboard.url)
    form = page.locator("[data-testid='stForm']").filter(has_text="初始密码").first
    # too short: refused beside the form, in Chinese, and no account is made
    form.get_by_label("用户名").fill("zhang_san")
    choose(page, "角色", "领导")
    form.get_by_role("textbox", name="初始密码").fill("Ab-12")
    form.get_by_role("button", name="新增账号").click()
    wait_idle(page)
    form.get_by_text("密码至少需要 10 个字符").wait_for()
    assert demo_store.user("zhang_san") is None
    assert form.get_by_label("用户名").input_value() == "zhang_san"  # what was typed stays to be corrected
    # a generated password is shown once, in view, and is the one in the field
    form.get_by_role("button", name="生成随机密码").click()
    wait_idle(page)
    shown = form.locator("[data-testid='stCode']").inner_text().strip()
    assert len(shown) >= auth.MIN_PASSWORD and form.get_by_role("textbox", name="初始密码").input_value() == shown
    assert form.locator("[data-testid='stCode']").is_visible()
    # but what is typed is the password
    form.get_by_role("textbox", name="初始密码").fill("Zhang-typed-2026")
    form.get_by_role("button", name="新增账号").click()
    wait_idle(page)
    form.get_by_text("已新增账号 zhang_san").wait_for()
    assert form.locator("[data-testid='stCode']").count() == 0  # the generated one is no longer shown
    assert demo_store.user("zhang_san")["role"] == "leader"
    other = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    try:
        p2 = other.new_page()
        login(p2, dashboard.url, "zhang_san", "Zhang-typed-2026")
        assert "zhang_san" in p2.locator("[data-testid='stSidebar']").inner_text()
    finally:
        other.close()


def test_the_chosen_language_is_kept_after_a_reload_and_a_new_sign_in(dashboard, browser, page, demo_store):
    login(page, dashboard.url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"], path="summary")
    sidebar = page.locator("[data-testid='stSidebar']")
    assert "突泉县" in sidebar.inner_text() and "152224" not in sidebar.inner_text()  # the county by its name
    sidebar.get_by_text("English", exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name="Sign out").wait_for()
    page.reload()
    wait_idle(page)
    page.get_by_role("button", name="Sign out").wait_for()  # still English after a reload
    assert "152224" not in sidebar.inner_text() and "突泉县" in sidebar.inner_text()
    assert demo_store.user("tuquan_inspector")["lang"] == "en"
    other = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    try:  # a new browser, a new sign-in: English still
        p2 = other.new_page()
        login(p2, dashboard.url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"], path="summary")
        p2.get_by_role("button", name="Sign out").wait_for()
        assert p2.get_by_role("radio", name="English").is_checked()
    finally:
        other.close()


def test_a_stale_account_change_is_refused_with_who_and_when(demo_store):
    """Two administrators: one has the page open (the account at the version it showed), the other
    resets the account's password meanwhile; the first one's 停用 is refused, naming who changed the
    account and when, and nothing changes. On the version now shown it goes through."""
    auth.add_user(demo_store, ADMIN, name="admin_b", role="admin", password="Second-admin-2026")
    other = auth.access_for(demo_store.user("admin_b"))
    shown = demo_store.user("tuquan_inspector")["version"]
    auth.reset_password(demo_store, other, "tuquan_inspector", "Reset-by-b-2026", seen=shown)
    before = _accounts_and_trail(demo_store), demo_store.user("tuquan_inspector")
    with pytest.raises(ConflictError) as err:
        auth.set_disabled(demo_store, ADMIN, "tuquan_inspector", True, seen=shown)
    assert "已被 admin_b 于" in err.value.zh and "未作任何修改" in err.value.zh
    with pytest.raises(ConflictError):
        auth.reset_password(demo_store, ADMIN, "tuquan_inspector", "Reset-by-a-2026", seen=shown)
    assert (_accounts_and_trail(demo_store), demo_store.user("tuquan_inspector")) == before
    assert auth.authenticate(demo_store, "tuquan_inspector", "Reset-by-b-2026")
    # a language switch is the user's own preference, not a change to conflict with
    now = demo_store.user("tuquan_inspector")["version"]
    auth.set_language(demo_store, auth.access_for(demo_store.user("tuquan_inspector")), "tuquan_inspector", "en")
    auth.set_disabled(demo_store, ADMIN, "tuquan_inspector", True, seen=now)
    assert demo_store.user("tuquan_inspector")["disabled"]
