"""The public signboard page cannot be walked (issue 20): a board's QR code carries a random token,
every board has one (new boards from the register's rule, boards stored before from the store's
migration), links by board number work only during their transition period, and one address asking
too often is told to wait."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import pytest
import shapely

from dashboard import web
from geo.chief import signboards as boards
from geo.core.config import Settings
from geo.core.errors import ValidationError
from geo.engine import records, workflow
from geo.ingest import tables

TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")
OPEN = replace(Settings(), board_pages_per_minute=10_000)  # (these tests are not about the rate)


def _tokens(store) -> dict[str, str]:
    frame = store.read_layer("signboard", columns=["board_no", "public_token"], geometry=False)
    return dict(zip(frame["board_no"], frame["public_token"]))


def test_every_board_gets_a_random_token_that_nobody_sets_by_hand(store, tmp_path):
    fid = records.add(store, "signboard", {"board_no": "XAM-1", "chief_name": "张三"},
                      geometry=shapely.Point(122.0, 46.1), actor="staff")
    path = tmp_path / "boards.csv"
    path.write_text("编号,经纬度,林长\nXAM-2,\"121.6,46.1\",李四\nXAM-3,\"121.7,46.2\",王五\n", encoding="utf-8")
    assert tables.import_file(store, "signboard", path, actor="staff")["stored"] == 2
    tokens = _tokens(store)
    assert len(tokens) == 3 and all(TOKEN.match(t or "") for t in tokens.values())
    assert len(set(tokens.values())) == 3
    with pytest.raises(ValidationError) as err:
        workflow.edit(store, "signboard", fid, actor="staff", fields={"public_token": "A" * 22})
    assert "不能修改" in err.value.zh
    workflow.edit(store, "signboard", fid, actor="staff", fields={"phone": "0482-1234567"})
    assert _tokens(store)["XAM-1"] == tokens["XAM-1"]  # an edit keeps the board's link


def test_boards_stored_before_tokens_get_theirs_when_the_store_is_opened(store):
    for i in range(3):
        records.add(store, "signboard", {"board_no": f"OLD-{i}"}, geometry=shapely.Point(122.0 + i / 10, 46.1),
                    actor="staff")
    kept = _tokens(store)["OLD-0"]
    with store.transaction() as tx:  # two boards as an older version (or another tool) stored them
        tx.execute("UPDATE signboards SET public_token = NULL WHERE board_no <> 'OLD-0'")
    assert store.meta("tokens_since:signboard") is None
    assert any("public_token" in step for step in store.migrate())
    tokens = _tokens(store)
    assert tokens["OLD-0"] == kept and all(TOKEN.match(t or "") for t in tokens.values())
    assert len(set(tokens.values())) == 3
    since = store.meta("tokens_since:signboard")  # the day old printed links began their transition
    assert since and store.migrate() == [] and store.meta("tokens_since:signboard") == since


def test_the_page_opens_by_token_and_by_number_only_during_the_transition(demo_store):
    board = demo_store.read_layer("signboard", where={"status": "ok"}, columns=["board_no", "public_token", "chief_name"],
                                  geometry=False).iloc[0]
    status, page, _ = web.board_page(board["public_token"], store=demo_store, settings=OPEN)
    assert status == 200 and board["chief_name"] in page and board["public_token"] not in page
    # the demo's boards got their tokens when the store was first opened: old number links still work
    status, page, _ = web.board_page(board["board_no"], store=demo_store, settings=OPEN)
    assert status == 200 and board["chief_name"] in page
    # … not once the transition is over (the bureau set 0 days, or the days have passed)
    status, page, _ = web.board_page(board["board_no"], store=demo_store,
                                     settings=replace(OPEN, board_number_links_days=0))
    assert status == 404 and "未找到该公示牌" in page and board["chief_name"] not in page
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=400)
    with demo_store.transaction() as tx:
        tx.execute("UPDATE meta SET value = ? WHERE key = 'tokens_since:signboard'",
                   [long_ago.strftime("%Y-%m-%dT%H:%M:%SZ")])
    assert web.board_page(board["board_no"], store=demo_store, settings=OPEN)[0] == 404
    assert web.board_page(board["board_no"], store=demo_store, settings=replace(OPEN, board_number_links_days=500))[0] == 200
    assert web.board_page(board["public_token"], store=demo_store, settings=OPEN)[0] == 200
    # a made-up token is no board
    assert web.board_page("A" * 22, store=demo_store, settings=OPEN)[0] == 404


def test_the_qr_code_on_the_register_page_opens_the_token_link(demo_store):
    record = demo_store.get_feature("signboard", 1)
    [(caption, png)] = boards.images(demo_store, record, "zh", "https://forest.example")
    url = f"https://forest.example/board/{record['public_token']}"
    assert caption.endswith(url) and record["board_no"] not in caption
    assert png == boards.qr_png(url)  # the picture encodes that link, not the board number


def test_one_address_opening_many_board_pages_is_told_to_wait():
    limit = web.RateLimit(window=60.0)
    assert all(limit.wait("203.0.113.9", 12, now=100.0 + i) == 0 for i in range(12))
    wait = limit.wait("203.0.113.9", 12, now=112.0)
    assert 0 < wait <= 60
    assert limit.wait("203.0.113.10", 12, now=112.0) == 0  # another address is not affected
    assert limit.wait("203.0.113.9", 12, now=161.0) == 0  # a minute after its first: one more
    assert "查询过于频繁" in boards.busy_html("zh")
