"""The demo's closure-review history: counties apply, the league samples, checks, sends some back
and approves the rest, counties re-submit, the province spot-checks — every step through the real
workflow (its guards, events and locking), dated over the last three weeks.

Called by :func:`geo.demo.build.build` after the store is built. Deterministic for a seed (the draws'
seeds come from it too), apart from the wall-clock dates, like the rest of the demo.
"""

from __future__ import annotations

import datetime as dt
import random

from geo.core.errors import GeoError
from geo.core.timeutil import LOCAL_TZ, to_utc_text
from geo.change import review as R
from geo.engine import workflow as W
from geo.access.auth import Access
from geo.demo.admin import ACCOUNT_COUNTY
from geo.demo.change import evidence_files

REASONS = ["缺少使用林地审核同意书扫描件，请补充后重新上报", "现场照片无坐标和拍摄时间，请补拍",
           "整改后照片显示仍有裸露地表，植被恢复未达标", "核实变化原因与影像不符，请重新核实"]


def _at(t: dt.datetime) -> str:
    return to_utc_text(t)


def build(store, *, seed: int = 20231209, log=print) -> dict:

    rng = random.Random(seed + 11)
    now = dt.datetime.now(LOCAL_TZ).replace(minute=0, second=0, microsecond=0)  # on the hour: the same demo all hour
    files = evidence_files()
    photo = [(n, d) for n, d, _ in files["photo"]]
    sheets = [(n, d) for n, d, _ in files["pdf"]]
    inspector = {code: Access(f"{name}_inspector", "inspector", frozenset({code})) for code, name in ACCOUNT_COUNTY.items()}
    league = Access("league_reviewer", "league_reviewer", None)
    province = Access("province_checker", "province_checker", None)
    levels = R.levels()

    frame = store.read_layer("change", where={"status": ["verified", "accepted"]},
                             columns=["status", "verdict", "county_code", "version", "after_date"], geometry=False)
    with store.transaction(write=False) as tx:
        rows = tx.query("SELECT feature_id, MAX(at) FROM events WHERE layer = 'change' GROUP BY feature_id")
    last = {int(f): (a if isinstance(a, str) else to_utc_text(a)) for f, a in rows}
    frame = frame[frame["county_code"].isin(list(inspector))]
    cands = [r for r in frame.to_dict("records") if r["status"] == "accepted" or r["verdict"] != "illegal"]
    rng.shuffle(cands)
    early = [r for r in cands if last.get(int(r["id"]), "") < _at(now - dt.timedelta(days=22))][:34]
    taken = {int(r["id"]) for r in early}
    late = [r for r in cands if int(r["id"]) not in taken and last.get(int(r["id"]), "") < _at(now - dt.timedelta(days=9))][:6]
    stats = {"applied": 0, "drawn": 0, "checked": 0, "sent_back": 0, "approved": 0, "resubmitted": 0}

    def apply(rec, when, resubmit=False):
        fid = int(rec["id"])
        fields = {}
        feat = store.get_feature("change", fid)
        req = W.requirements("change", feat, W.find("change", feat["status"], "applied"))
        if "approval_date" in req.requires and not feat.get("approval_date"):
            after = dt.date.fromisoformat(str(feat.get("after_date") or "2020-01-01")[:10])
            fields["approval_date"] = (after - dt.timedelta(days=120 + rng.randint(0, 200))).isoformat()
        if "measure_kind" in req.requires and not feat.get("measure_kind"):
            fields = fields  # derived from the measure text by the guard
        att = [rng.choice(sheets if feat["verdict"] == "illegal" else photo)]
        try:
            W.transition(store, "change", fid, "applied", actor=inspector[feat["county_code"]].user, fields=fields,
                         attachments=att, at=_at(when), access=inspector[feat["county_code"]],
                         comment="已补充审核同意书扫描件及现场照片，重新上报" if resubmit else "申请销号，佐证材料已上传")
        except GeoError as err:
            log(f"  （示例）图斑 #{fid} 未能申请销号：{err.zh}")
            return False
        stats["resubmitted" if resubmit else "applied"] += 1
        return True

    def sample_and_check(level, when, reviewer, fail_first: bool = False):
        status = R.PENDING[level]
        q = store.read_layer("change", where={"status": status}, columns=["county_code"], geometry=False)
        checked, fail = [], set()
        for code in sorted(set(q["county_code"].dropna())):
            try:
                d = R.draw(store, code, level, actor=reviewer.user, access=reviewer, seed=rng.randrange(2**31 - 1),
                           at=_at(when))
            except GeoError:
                continue
            stats["drawn"] += len(d["sample"])
            for k, fid in enumerate(d["sample"]):
                bad = fail_first and not fail
                if bad:
                    fail.add(fid)
                R.record_check(store, fid, method="field" if k % 2 == 0 else "imagery", result="fail" if bad else "pass",
                               note="现场与佐证材料一致，符合销号条件" if not bad else "整改后植被恢复未达标",
                               attachments=[rng.choice(photo)], actor=reviewer.user, access=reviewer,
                               at=_at(when + dt.timedelta(hours=3 + k)))
                stats["checked"] += 1
                checked.append(fid)
        return checked, fail

    def approve_all(level, when, reviewer, keep: set[int] = frozenset()):
        q = store.read_layer("change", where={"status": R.PENDING[level]}, columns=["version"], geometry=False)
        for fid, version in zip(q["id"].astype(int), q["version"].astype(int)):
            if fid in keep:
                continue
            try:
                R.approve(store, fid, actor=reviewer.user, version=version, access=reviewer, at=_at(when),
                          comment="审核通过" if level == "league" else "省级抽查通过，同意销号")
                stats["approved"] += 1
            except GeoError:
                pass

    # round 1: applications three weeks ago, the league's draw, checks, send-backs, approvals
    for k, rec in enumerate(early):
        apply(rec, now - dt.timedelta(days=21, hours=k % 48))
    applied = store.read_layer("change", where={"status": "applied"}, columns=["county_code"], geometry=False)
    ids = sorted(applied["id"].astype(int))
    checked, fail = sample_and_check("league", now - dt.timedelta(days=17), league, fail_first=True)
    back = sorted(fail) + [i for i in ids if i not in checked][:2]
    for k, fid in enumerate(back):
        R.send_back(store, fid, REASONS[(k + 2) % len(REASONS)] if fid in fail else REASONS[k % len(REASONS)],
                    actor=league.user, access=league, at=_at(now - dt.timedelta(days=16, hours=k)))
        stats["sent_back"] += 1
    approve_all("league", now - dt.timedelta(days=15), league, keep=set(back))
    # the counties re-submit two of them; the league draws again (re-submissions are new applications)
    for k, fid in enumerate(back[:2]):
        apply({"id": fid}, now - dt.timedelta(days=11, hours=k), resubmit=True)
    sample_and_check("league", now - dt.timedelta(days=10), league)
    approve_all("league", now - dt.timedelta(days=9), league)
    # the province spot-checks what the league passed; one sent back, a county left waiting
    if "province" in levels:
        reviewed = store.read_layer("change", where={"status": "reviewed"}, columns=["county_code"], geometry=False)
        wait_county = sorted(set(reviewed["county_code"].dropna()))[-1:] if len(reviewed) else []
        sample_and_check("province", now - dt.timedelta(days=6), province)
        waiting = set(reviewed[reviewed["county_code"].isin(wait_county)]["id"].astype(int))
        pv_back = sorted(set(reviewed["id"].astype(int)) - waiting)[:1]
        for fid in pv_back:
            R.send_back(store, fid, "省级抽查：影像显示变化范围大于审核面积，请核实", actor=province.user, access=province,
                        at=_at(now - dt.timedelta(days=5)))
            stats["sent_back"] += 1
        approve_all("province", now - dt.timedelta(days=4), province, keep=waiting | set(pv_back))
    # fresh applications, not yet sampled: the league's queue today
    for k, rec in enumerate(late):
        apply(rec, now - dt.timedelta(days=8 if k < 2 else 1, hours=k))
    log(f"销号审核示例：申请 {stats['applied']} 个，重新申报 {stats['resubmitted']} 个，抽中复核 {stats['drawn']} 个，"
        f"退回 {stats['sent_back']} 次，审核通过 {stats['approved']} 次")
    return stats
