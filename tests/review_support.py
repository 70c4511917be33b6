"""Builders shared by the closure-review tests: polygons walked to the point of applying, and the
accounts of a county, the league and the province."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from geo.engine import workflow as W
from geo.access.auth import Access, hash_password
from geo.core.timeutil import now_utc
from tests.helpers import add_batch, insert, jpeg, polygons

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Review-pass-12"
TQ = Access("tq", "inspector", frozenset({"152224"}))
JAL = Access("jal", "inspector", frozenset({"152223"}))
LG = Access("lg", "league_reviewer", None)
PV = Access("pv", "province_checker", None)
LG_JAL = Access("lg_jal", "league_reviewer", frozenset({"152223"}))


def add_accounts(store) -> None:
    """Accounts the CLI can name: tq (突泉县 inspector), jal (扎赉特旗), lg (league reviewer), pv
    (province spot-checker), lg_jal (a league reviewer for 扎赉特旗 only), admin."""
    with store.transaction() as tx:
        for name, role, counties in (("tq", "inspector", ["152224"]), ("jal", "inspector", ["152223"]),
                                     ("lg", "league_reviewer", []), ("pv", "province_checker", []),
                                     ("lg_jal", "league_reviewer", ["152223"]), ("admin", "admin", [])):
            store.put_user(tx, name=name, display_name=name, role=role, counties=counties,
                           password_hash=hash_password(PASSWORD, name), disabled=False, password_changed_at=now_utc())


def polygons_in(store, n: int, *, county_code="152224", county="突泉县", kind="forest", x0=121.5, **extra) -> list[int]:
    bid = add_batch(store, name=f"批次{county_code}{kind}{x0}")
    frame = polygons(n, x0=x0, county_code=county_code, county=county, kind=kind, after_date="2024-03-01",
                     area_ha=1.2, **extra)
    return insert(store, frame, batch_id=bid)


def to_verified(store, fid, verdict: str, cause: str | None = None, access=None) -> int:
    who = access.user if access else "核查员"
    W.transition(store, "change", fid, "verifying", actor=who, access=access)
    fields = {"verdict": verdict}
    if cause:
        fields["verified_cause"] = cause
    return W.transition(store, "change", fid, "verified", actor=who, fields=fields, access=access,
                        attachments=[("现场.jpg", jpeg())])


def to_accepted(store, fid, measure: str = "恢复植被", access=None) -> int:
    """An illegal polygon through case, penalty, rectification and acceptance."""
    to_verified(store, fid, "illegal", "51 毁林(湿)开垦-种植", access=access)
    W.transition(store, "change", fid, "case_filed", actor="执法大队", fields={"case_no": "兴林草罚立字〔2024〕第001号"})
    W.transition(store, "change", fid, "penalized", actor="执法大队",
                 fields={"decision_no": "兴林草罚决字〔2024〕第001号", "fine_yuan": "1758"})
    W.transition(store, "change", fid, "rectifying", actor="核查员", fields={"measure": measure})
    W.transition(store, "change", fid, "rectified", actor="核查员", attachments=[("整改后.jpg", jpeg())])
    return W.transition(store, "change", fid, "accepted", actor="验收组", attachments=[("验收意见.jpg", jpeg())])


def apply(store, fid, access=TQ, **fields) -> int:
    return W.transition(store, "change", fid, "applied", actor=access.user, access=access, fields=fields or None,
                        attachments=[("材料.jpg", jpeg())])


def geo_cli(*args, db, env=None, check=None):
    e = {**os.environ, "FOREST_LANG": "zh", **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "geo", *map(str, args), "--db", str(db)], cwd=ROOT, env=e,
                          capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    if check is not None:
        assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
    return proc


def config(tmp_path, text: str) -> dict:
    """An environment whose forest.toml is ``text`` (for the CLI and :func:`geo.change.closure.review_settings`)."""
    path = tmp_path / "forest.toml"
    path.write_text(text, encoding="utf-8")
    return {"FOREST_CONFIG": str(path)}
