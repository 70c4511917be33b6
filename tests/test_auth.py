"""Accounts, roles and county scope, enforced in geo/ on every read and write."""

from __future__ import annotations

import json

import pytest

from geo.access.auth import scoped
from geo.access import auth, sessions
from geo.engine import workflow as W
from geo.core.errors import PermissionDenied, ValidationError
from geo.store import open_store
from tests.conftest import DEMO_PASSWORDS
from tests.test_cli import geo

TUQUAN, JALAID = "152224", "152223"


@pytest.fixture
def demo(demo_path):
    return open_store(str(demo_path))


def one(store, county, status="issued"):
    frame = store.read_layer("change", where={"county_code": county, "status": status}, limit=1,
                             columns=["version"], geometry=False)
    return int(frame["id"].iloc[0])


def test_passwords_are_argon2_hashes_and_checked(demo):
    user = demo.user("tuquan_inspector")
    assert user["password_hash"].startswith("$argon2id$")
    assert DEMO_PASSWORDS["tuquan_inspector"] not in json.dumps(demo.users().to_dict("records"))
    assert auth.authenticate(demo, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"])["role"] == "inspector"
    for name, pw in (("tuquan_inspector", "wrong"), ("nobody", "whatever")):
        with pytest.raises(ValidationError, match="wrong user name or password"):
            auth.authenticate(demo, name, pw)


def test_sessions_expire_and_end(demo):
    user = demo.user("leader")
    live = sessions.start(demo, user, sessions.Policy(absolute_hours=1))
    assert sessions.user_of(demo, live)["name"] == "leader"
    stale = sessions.start(demo, user, sessions.Policy(absolute_hours=-0.01))
    assert sessions.user_of(demo, stale) is None
    sessions.end(demo, live)
    assert sessions.user_of(demo, live) is None
    assert sessions.user_of(demo, "made-up-token") is None


def test_an_inspector_sees_and_changes_only_their_county(demo):
    me = scoped(demo, demo.user("tuquan_inspector"))
    frame = me.read_layer("change", geometry=False, columns=["county_code"])
    assert set(frame["county_code"]) == {TUQUAN}
    assert me.count("change") == demo.count("change", where={"county_code": TUQUAN})
    assert me.read_layer("change", where={"county_code": JALAID}, geometry=False).empty
    other = one(demo, JALAID)
    with pytest.raises(PermissionDenied, match="may not see"):
        me.get_feature("change", other)
    with pytest.raises(PermissionDenied):
        me.history("change", other)
    with pytest.raises(PermissionDenied):
        W.transition(me, "change", other, "verifying", actor="tuquan_inspector")
    with pytest.raises(PermissionDenied):
        W.edit(me, "change", other, actor="tuquan_inspector", fields={"assigned_to": "x"})
    assert demo.get_feature("change", other)["version"] == 1  # nothing changed
    mine = one(demo, TUQUAN)
    W.transition(me, "change", mine, "verifying", actor="tuquan_inspector")
    # evidence of another county's features is not reachable by its hash either
    W.transition(demo, "change", other, "verifying", actor="扎赉特旗核查员",
                 attachments=[("扎赉特旗现场.pdf", b"%PDF-1.4 only in Jalaid")])
    sha = demo.history("change", other)[-1]["attachment_ids"][0]
    with pytest.raises(PermissionDenied):
        me.get_attachment(sha)
    assert scoped(demo, demo.user("leader")).get_attachment(sha)["name"] == "扎赉特旗现场.pdf"


def test_leaders_read_everything_and_change_nothing(demo):
    boss = scoped(demo, demo.user("leader"))
    assert boss.count("change") == demo.count("change")
    fid = one(demo, JALAID)
    with pytest.raises(PermissionDenied, match="may not change"):
        W.transition(boss, "change", fid, "verifying", actor="leader")
    staff = auth.access_for(demo.user("staff"))
    assert staff.can_upload and not staff.can_write
    with pytest.raises(PermissionDenied):
        auth.access_for(demo.user("leader")).check_upload()


def test_the_cli_applies_an_accounts_scope(demo_path, tmp_path):
    store = open_store(str(demo_path))
    other = one(store, JALAID)
    res = geo("transition", "--layer", "change", "--id", other, "--to", "verifying",
              "--actor", "tuquan_inspector", db=demo_path, check=2)
    assert "其他旗县" in res.stderr
    geo("history", "--layer", "change", "--id", other, "--actor", "tuquan_inspector", db=demo_path, check=2)
    out = tmp_path / "mine.geojson"
    geo("export", "--layer", "change", "--format", "geojson", "--out", out, "--actor", "tuquan_inspector",
        db=demo_path, check=0)
    import pyogrio

    assert set(pyogrio.read_dataframe(out)["county_code"]) == {TUQUAN}
    stats = json.loads(geo("stats", "--json", "--actor", "tuquan_inspector", db=demo_path, check=0).stdout)
    # the official figures: the county's polygons in the batches that count (not 自动检测 candidates)
    from geo.engine import official

    counted = {b for b, p in official.purposes(store, None, store.batches("change")).items() if p == "official"}
    mine = store.read_layer("change", where={"county_code": TUQUAN})
    assert stats["change"]["total"] == int(mine["batch_id"].isin(counted).sum()) > 0
    # a name that is not an account is refused (an administrator on the server uses --system)
    res = geo("transition", "--layer", "change", "--id", other, "--to", "verifying", "--actor", "运维脚本",
              db=demo_path, check=2)
    assert "不是本系统的账号" in res.stderr
    geo("transition", "--layer", "change", "--id", other, "--to", "verifying", "--system",
        db=demo_path, check=0)


def test_accounts_are_managed_by_administrators_with_an_audit_trail(demo):
    admin = auth.access_for(demo.user("admin"))
    inspector = auth.access_for(demo.user("tuquan_inspector"))
    with pytest.raises(PermissionDenied):
        auth.add_user(demo, inspector, name="x", role="inspector", password="long-enough-1", counties=[TUQUAN])
    with pytest.raises(ValidationError, match="10"):
        auth.add_user(demo, admin, name="short", role="leader", password="123")
    with pytest.raises(ValidationError, match="county"):
        auth.add_user(demo, admin, name="nocounty", role="inspector", password="long-enough-1")
    auth.add_user(demo, admin, name="new_inspector", role="inspector", password="long-enough-1",
                  counties=[TUQUAN], display_name="新核查员")
    assert auth.authenticate(demo, "new_inspector", "long-enough-1")["counties"] == [TUQUAN]
    token = sessions.start(demo, demo.user("new_inspector"))
    auth.reset_password(demo, admin, "new_inspector", "another-pass-2")
    assert sessions.user_of(demo, token) is None  # a reset ends the sessions
    auth.set_disabled(demo, admin, "new_inspector", True)
    with pytest.raises(PermissionDenied, match="disabled"):
        auth.authenticate(demo, "new_inspector", "another-pass-2")
    with pytest.raises(ValidationError):
        auth.set_disabled(demo, admin, "admin", True)
    trail = demo.events("user")
    actions = [(a, json.loads(f)["user"]) for a, f in zip(trail["action"], trail["fields"])]
    assert actions == [("user_add", "new_inspector"), ("user_password", "new_inspector"),
                       ("user_disable", "new_inspector")]
    assert set(trail["actor"]) == {"admin"}


def test_single_sign_on_identities_map_to_accounts(demo):
    assert auth.account_for_claims(demo, {"preferred_username": "leader"})["role"] == "leader"
    assert auth.account_for_claims(demo, {"email": "tuquan_inspector@forest.gov.cn"})["counties"] == [TUQUAN]
    with pytest.raises(PermissionDenied, match="no account"):
        auth.account_for_claims(demo, {"email": "stranger@example.com", "sub": "123"})


def test_only_staff_and_administrators_upload_batches(demo_path, tmp_path):
    from tests.test_failures import batch_zip

    upload = batch_zip(tmp_path / "批次.zip", 20, seed=42)
    refused = geo("ingest", upload, "--layer", "change", "--batch", "测试批次", "--actor", "tuquan_inspector",
                  "--json", db=demo_path, check=2)
    assert "不能上传" in refused.stdout + refused.stderr
    before = open_store(str(demo_path)).count("change")
    # (4 of the 20 random polygons lie past the league's edge: their import is confirmed)
    geo("ingest", upload, "--layer", "change", "--batch", "测试批次", "--actor", "staff", "--accept-outside", "4",
        db=demo_path, check=0)
    assert open_store(str(demo_path)).count("change") == before + 20


def test_the_map_view_of_an_inspector_holds_only_their_county(demo):
    from geo.change import mapview as mv

    me = scoped(demo, demo.user("tuquan_inspector"))
    league = (119.4, 44.2, 123.7, 47.7)
    drawn = mv.viewport(me, league, 7, mv.Filters(), cap=5000)
    assert set(drawn.features["county_code"]) == {TUQUAN}
    counted = mv.viewport(me, league, 7, mv.Filters(), cap=10)
    assert sum(c["count"] for c in counted.cells) == demo.count("change", where={"county_code": TUQUAN})
