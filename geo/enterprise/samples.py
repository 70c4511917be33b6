"""The yearly source-of-wood sample (木材来源抽查名单): drawn by the app, reproducible by anyone.

**Drawing.** The sampling frame is every enterprise not deregistered (of one county, or of the
whole league) at the moment of the draw, stratified by township (旗县·苏木乡镇). ``ceil(share × N)``
enterprises are drawn — never below the share — allocated to the townships in proportion to their
number of enterprises (largest remainder), and within a township those with the smallest
``sha256("<seed>:<enterprise id>")`` (method ``sha256-strata-v1``). The seed is given, or drawn
from the operating system and recorded; a new seed each year rotates the small townships in.

**Recording.** The draw is a record of the ``enterprise_sample`` register: year, county (or none:
the whole league), seed, share, the frame (id → stratum), the strata's sizes and the ids drawn.
Adding a record *is* drawing it (the register's ``validate`` rule computes the draw), so the page's
"add" form and ``python -m geo sample draw`` do the same. One sample is in force per year and
scope; superseding it (with a reason) allows a new draw, and both stay in the history.

**Auditing.** ``python -m geo sample verify --id N`` draws again from the recorded frame, seed
and share and compares the ids; it also compares the recorded frame with the enterprise register as
it stood that day. The hash needs no particular library version: ``sha256`` of the text
"seed:id" can be recomputed by hand with any tool.
"""

from __future__ import annotations

import hashlib
import math
import secrets

from geo.core.errors import GeoError, ValidationError
from geo.engine.asof import layer_state
from geo.core.config import load_settings
from geo.engine import records
from geo.core.timeutil import local_date

METHOD = "sha256-strata-v1"
NO_TOWNSHIP = "（未填乡镇）"


def stratum(county, township) -> str:
    return f"{county or '（未知旗县）'}·{township or NO_TOWNSHIP}"


def _rank(seed: int, item) -> str:
    return hashlib.sha256(f"{int(seed)}:{item}".encode()).hexdigest()


def draw(frame: dict, seed: int, share: float) -> tuple[list[int], dict]:
    """``(ids drawn, {stratum: {"population": N, "drawn": k}})`` from ``frame`` (id → stratum).

    ``ceil(share × N)`` enterprises in all, allocated to the strata in proportion to their size
    (each gets the whole part of ``share × N_h``; the places left go to the largest remainders,
    ties broken by ``sha256(seed:stratum)``); within a stratum, the smallest ``sha256(seed:id)``."""
    if not 0 < float(share) <= 1:
        raise ValidationError(f"the share must be above 0 and at most 1, not {share}",
                              f"抽查比例应大于0且不超过1（如 0.3），而不是 {share}", field="share")
    strata: dict[str, list[int]] = {}
    for fid, st in frame.items():
        strata.setdefault(st, []).append(int(fid))
    total = math.ceil(float(share) * len(frame) - 1e-9)
    quota = {st: float(share) * len(ids) for st, ids in strata.items()}
    take = {st: int(math.floor(q + 1e-9)) for st, q in quota.items()}
    left = total - sum(take.values())
    for st in sorted(strata, key=lambda st: (-(quota[st] - take[st]), _rank(seed, st)))[:max(0, left)]:
        take[st] += 1
    chosen, summary = [], {}
    for st in sorted(strata):
        ranked = sorted(strata[st], key=lambda i: _rank(seed, i))
        chosen += ranked[:take[st]]
        summary[st] = {"population": len(strata[st]), "drawn": take[st]}
    return sorted(chosen), summary


def sampling_frame(store, county_code: str | None, as_of=None) -> dict[int, str]:
    """id → stratum of the enterprises not deregistered (as of the end of ``as_of``)."""

    where = {"county_code": county_code} if county_code else None
    ents = layer_state(store, "enterprise", as_of, columns=["county", "township", "status"], where=where)
    ents = ents[ents["status"] != "deregistered"] if len(ents) else ents
    return {int(i): stratum(c, t) for i, c, t in zip(ents["id"], ents["county"], ents["township"])}


def _settings():

    return load_settings()


def validate(store, values: dict, current) -> dict:
    """Adding a sample record draws it: the frame, the strata and the ids are computed here."""
    if current is not None:
        return values
    out = dict(values)
    year = out.get("year")
    if year in (None, ""):
        raise ValidationError("say which year the sample is for", "请填写抽查年度", field="year")
    year = int(year)
    if not 2000 <= year <= 2100:
        raise ValidationError(f"{year} is not a plausible year", f"年度“{year}”不正确", field="year")
    code = out.get("county_code") or None
    if code:
        units = store.read_layer("admin", where={"level": "county", "code": code}, columns=["name"], geometry=False)
        if units.empty:
            raise ValidationError(f"no county with code {code}", f"没有代码为 {code} 的旗县", field="county_code")
        out["county"] = units["name"].iloc[0]
    in_force = store.read_layer("enterprise_sample", where={"year": year, "status": "drawn"},
                                columns=["county_code", "county"], geometry=False)
    clash = in_force[(in_force["county_code"].isna()) | (in_force["county_code"] == code)] if code else in_force
    if len(clash):
        other = clash.iloc[0]
        where = other["county"] or "全盟"
        raise ValidationError(
            f"a {year} sample is already in force (#{other['id']}, {where}); supersede it first to draw again",
            f"{year}年度已有有效的抽查名单（#{other['id']}，{where}）；如需重新抽取，请先将其作废并说明原因",
            sample_id=int(other["id"]))
    share = float(out.get("share") or _settings().enterprise_sample_share)
    seed = int(out["seed"]) if out.get("seed") not in (None, "") else secrets.randbelow(10 ** 9)
    frame = sampling_frame(store, code)
    if not frame:
        raise ValidationError("there is no enterprise to draw from", "没有可抽取的在册企业" +
                              (f"（{out.get('county')}）" if code else ""))
    ids, strata = draw(frame, seed, share)
    out.update(year=year, county_code=code, seed=seed, share=share, population=len(frame), size=len(ids),
               ids=ids, population_ids={str(k): v for k, v in sorted(frame.items())}, strata=strata, method=METHOD)
    return out


def draw_sample(store, year: int, *, actor: str, access=None, county_code=None, seed=None, share=None,
                comment: str | None = None) -> int:
    """Draw and record the year's sample; returns its record id."""

    values = {"year": year, "county_code": county_code, "seed": seed, "share": share}
    return records.add(store, "enterprise_sample", {k: v for k, v in values.items() if v not in (None, "")},
                       actor=actor, access=access, comment=comment or f"抽取{year}年度木材来源抽查名单")


def verify(store, sample_id: int) -> dict:
    """Draw sample ``sample_id`` again from what it recorded, and compare its frame with the
    enterprise register on the day it was drawn."""

    rec = store.get_feature("enterprise_sample", int(sample_id))
    if rec.get("method") != METHOD:
        raise ValidationError(f"sample #{sample_id} was not drawn by {METHOD}", f"名单 #{sample_id} 不是本系统抽取的")
    frame = {int(k): v for k, v in (rec.get("population_ids") or {}).items()}
    ids, strata = draw(frame, int(rec["seed"]), float(rec["share"]))
    stored = sorted(int(i) for i in rec.get("ids") or [])
    day = local_date(rec["created_at"])
    register = sampling_frame(store, rec.get("county_code"), as_of=day)
    return {"id": int(sample_id), "year": rec["year"], "seed": rec["seed"], "share": rec["share"],
            "method": METHOD, "ids_match": ids == stored, "redrawn": ids, "recorded": stored,
            "frame_matches_register": set(register) == set(frame),
            "missing_from_frame": sorted(set(register) - set(frame)),
            "not_in_register": sorted(set(frame) - set(register)), "strata": strata}


def _audit_line(store, record: dict, zh: bool) -> str:
    """The redraw's outcome in words (what ``python -m geo sample verify`` reports), for anyone
    who reads the list: the same seed and frame give the same enterprises, or they do not."""
    try:
        out = verify(store, int(record["id"]))
    except GeoError as err:
        return err.message("zh" if zh else "en")
    if out["ids_match"] and out["frame_matches_register"]:
        return ("按记录的随机种子和企业名单重新抽取，结果与本名单一致" if zh else
                "Drawn again from the recorded seed and frame: the same enterprises")
    if out["ids_match"]:
        return (f"重新抽取结果一致；抽取后企业名录有变化（新增 {len(out['missing_from_frame'])} 家、"
                f"不再在册 {len(out['not_in_register'])} 家）" if zh else
                f"Drawn again: the same enterprises; the register changed since "
                f"({len(out['missing_from_frame'])} added, {len(out['not_in_register'])} gone)")
    return ("重新抽取结果与本名单不一致，请联系系统管理员核查" if zh else
            "Drawn again, the result differs from this list: ask the administrator to check")


def details(store, record: dict, lang: str = "zh") -> list:
    """The drawn enterprises by name (as the user may see them) and the strata."""
    import pandas as pd

    zh = lang == "zh"
    ids = [int(i) for i in record.get("ids") or []]
    ents = store.read_layer("enterprise", ids=ids, columns=["name", "county", "township", "last_source_check"],
                            geometry=False) if ids else pd.DataFrame()
    out = [("抽取方法" if zh else "Method", pd.DataFrame([
        ("方法" if zh else "Method", "共抽 ⌈比例×企业数⌉ 家，按苏木乡镇企业数比例分配（最大余数法），"
         "各乡镇内取 sha256(种子:企业ID) 最小者" if zh else
         "ceil(share×N) in all, allocated to townships in proportion (largest remainder); in each, the "
         "smallest sha256(seed:id)"),
        ("随机种子" if zh else "Seed", str(record.get("seed"))),
        ("抽查比例" if zh else "Share", f"{float(record.get('share') or 0):.0%}"),
        ("企业总数 / 抽取" if zh else "Frame / drawn", f"{record.get('population')} / {record.get('size')}"),
        ("复核" if zh else "Audit", _audit_line(store, record, zh)),
    ], columns=["项目" if zh else "Item", "值" if zh else "Value"]))]
    strata = record.get("strata") or {}
    if strata:
        out.append(("分层" if zh else "Strata", pd.DataFrame(
            [(k, v["population"], v["drawn"]) for k, v in strata.items()],
            columns=["旗县·苏木乡镇" if zh else "Stratum", "企业数" if zh else "Enterprises", "抽取" if zh else "Drawn"])))
    if len(ents):
        out.append(("抽中企业" if zh else "Drawn enterprises", ents.rename(columns={
            "id": "ID", "name": "企业名称" if zh else "Name", "county": "旗县" if zh else "County",
            "township": "苏木乡镇" if zh else "Township", "last_source_check": "最近来源检查" if zh else "Last check"})))
    hidden = len(ids) - len(ents)
    if hidden > 0:
        out.append(("", pd.DataFrame([(f"另有 {hidden} 家属于其他旗县" if zh else f"{hidden} more in other counties",)],
                                     columns=["说明" if zh else "Note"])))
    return out
