"""The county gate is closed by default: every public name of the store is narrowed, listed as
safe with a reason, or refused — and what is narrowed holds only the user's counties."""

from __future__ import annotations


import pytest

from geo.access import scope
from geo.engine import workflow
from geo.access.auth import access_for
from geo.core.errors import NotFoundError, PermissionDenied
from geo.store.base import Store
from geo.store.gpkg import GpkgStore
from geo.store.postgis import PostgisStore

TUQUAN, JALAID = "152224", "152223"


def _public(cls) -> set[str]:
    return {n for n in dir(cls) if not n.startswith("_")}


def test_every_public_name_of_the_store_is_decided():
    names = _public(Store) | _public(GpkgStore) | _public(PostgisStore) | {"url"}
    tables = {"safe": set(scope.SAFE), "narrowed": set(scope.NARROWED), "refused": set(scope.REFUSED)}
    undecided = sorted(n for n in names if not any(n in t for t in tables.values()))
    assert not undecided, f"store methods neither narrowed nor listed as safe or refused: {undecided}"
    twice = sorted(n for n in names if sum(n in t for t in tables.values()) > 1)
    assert not twice
    assert all(reason.strip() for t in (scope.SAFE, scope.NARROWED, scope.REFUSED) for reason in t.values())
    # what is narrowed is really implemented by the gate, not passed through
    assert all(n in vars(scope.ScopedStore) for n in scope.NARROWED)


@pytest.fixture
def tuquan(demo_store):
    return scope.ScopedStore(demo_store, access_for(demo_store.user("tuquan_inspector")))


def test_writes_raw_transactions_and_unknown_names_are_refused(tuquan):
    for name in scope.REFUSED:
        with pytest.raises(PermissionDenied):
            getattr(tuquan, name)
    with pytest.raises(PermissionDenied):
        tuquan.a_method_added_next_year
    with pytest.raises(AttributeError):
        tuquan.access = None  # the gate cannot be re-pointed
    with pytest.raises(PermissionDenied):
        tuquan.table("sessions")
    with pytest.raises(PermissionDenied):
        tuquan.table("attachments")


def test_narrowed_reads_hold_only_the_users_counties(demo_store, tuquan):
    assert set(tuquan.read_layer("change", columns=["county_code"], geometry=False)["county_code"]) == {TUQUAN}
    assert tuquan.count("change") == demo_store.count("change", where={"county_code": TUQUAN})
    assert tuquan.count("change", where={"county_code": JALAID}) == 0
    other = int(demo_store.read_layer("change", where={"county_code": JALAID}, columns=[], geometry=False)["id"].iloc[0])
    with pytest.raises(PermissionDenied):
        tuquan.get_feature("change", other)
    with pytest.raises(PermissionDenied):
        tuquan.history("change", other)
    with pytest.raises(PermissionDenied):
        tuquan.events("change", other)
    ev = tuquan.events("change")
    mine = set(demo_store.read_layer("change", where={"county_code": TUQUAN}, columns=[], geometry=False)["id"])
    assert len(ev) and set(ev["feature_id"]) <= mine
    assert not len(tuquan.events("user"))  # the account audit trail is the administrators'
    ext = tuquan.extent("change")
    boxes = demo_store.read_layer("admin", where={"code": TUQUAN}, columns=[]).total_bounds
    assert boxes[0] - 0.05 <= ext[0] and ext[2] <= boxes[2] + 0.05
    # batches: only those with polygons in 突泉县
    seen = set(tuquan.batches("change")["id"].astype(int))
    facts = demo_store.read_layer("change", where={"county_code": TUQUAN}, columns=["batch_id"], geometry=False)
    assert seen == set(facts["batch_id"].astype(int))
    users = tuquan.users()
    assert "jalaid_inspector" not in set(users["name"]) and "tuquan_inspector" in set(users["name"])
    assert tuquan.user("jalaid_inspector") is None


def test_evidence_is_opened_only_through_a_feature_the_user_may_see(demo_store, tuquan):
    from tests.helpers import jpeg

    def attach(county, name, colour):
        fid = int(demo_store.read_layer("change", where={"county_code": county}, columns=[], geometry=False)["id"].iloc[0])
        workflow.edit(demo_store, "change", fid, actor="admin", fields={}, attachments=[(name, jpeg(colour))])
        return demo_store.history("change", fid)[-1]["attachment_ids"][0]

    mine = attach(TUQUAN, "突泉现场.jpg", (10, 120, 30))
    theirs = attach(JALAID, "扎赉特现场.jpg", (200, 30, 30))
    assert tuquan.get_attachment(mine)["name"] == "突泉现场.jpg"
    with pytest.raises(PermissionDenied):
        tuquan.get_attachment(theirs)
    with pytest.raises(PermissionDenied):
        tuquan.get_attachment("0" * 64)  # unknown files say no more than files of other counties


def test_domain_functions_check_access_before_they_write(demo_store, tuquan):
    other = demo_store.read_layer("change", where={"county_code": JALAID, "status": "issued"}, columns=["version"],
                                  geometry=False).iloc[0]
    with pytest.raises(PermissionDenied):
        workflow.transition(tuquan, "change", int(other["id"]), "verifying", actor="tuquan_inspector",
                            version=int(other["version"]))
    assert demo_store.get_feature("change", int(other["id"]))["version"] == int(other["version"])
    mine = demo_store.read_layer("change", where={"county_code": TUQUAN, "status": "issued"}, columns=["version"],
                                 geometry=False).iloc[0]
    v = workflow.transition(tuquan, "change", int(mine["id"]), "verifying", actor="tuquan_inspector",
                            version=int(mine["version"]))
    assert v == int(mine["version"]) + 1


def test_a_batch_of_another_county_is_not_found(demo_store, tuquan):
    seen = set(tuquan.batches()["id"].astype(int))
    hidden = [int(b) for b in demo_store.batches()["id"] if int(b) not in seen]
    if hidden:
        with pytest.raises(NotFoundError):
            tuquan.batch(hidden[0])
