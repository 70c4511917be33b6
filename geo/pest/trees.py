"""Dead pine trees (松材线虫病枯死松树) and "即死即清、动态清零".

* **即死即清**: a tree is due for removal ``pine_clear_days`` (setting, default 10) after it was
  surveyed. Open trees past that are overdue (the register's deadline rule); a removal after it
  is flagged ``late_removal`` with the days it was late. "动态清零" holds when nothing found is
  still waiting.
* **Qualification check on the removal date** (:func:`geo.pest.contractors.check`): the
  contractor needs a certificate that covers the day of the removal and must not be barred.
  *Recording a removal in the workflow* (the ``removed`` step) is **refused** when it does not —
  the removal has not been signed off yet, and the seed's rule is to prevent unqualified work
  ("防止无资质施工"). *Removals that are already facts* — a list of past removals imported, a
  record added with its removal date, a correction by an edit — are **stored and flagged**
  (``cert_expired`` / ``cert_missing`` / ``contractor_barred``): refusing them would hide work
  that was done, and the flag is what a checker follows up. Figures count them as
  ``unqualified``.
* A contractor named in the register (``contractor_id``, or a list's contractor name with no
  certificate of its own) brings its certificate from the register.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from geo.engine import workflow
from geo.core.errors import ValidationError
from geo.pest.contractors import certificate_of, check, find_by_name
from geo.engine.figures import deadline_days, tally, year_of
from geo.core.timeutil import optional_date, today_local
from geo.pest.layers import DEADTREE
from geo.engine import figures as F

FIGURE_COLUMNS = ("surveyed_on", "removed_on", "tree_count", "method", "flags", "sampled", "test_result")
CERT_FLAGS = ("cert_expired", "cert_missing", "contractor_barred")
REMOVAL_FIELDS = {"removed_on", "surveyed_on", "contractor", "contractor_id", "cert_no", "cert_valid_to"}
DONE = ("removed", "accepted")


def clear_days(settings=None) -> int:
    """即死即清: the days from survey to removal (setting ``pine_clear_days``)."""

    return int(deadline_days(DEADTREE.deadline, settings))


def _flags(value) -> dict:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return dict(value) if isinstance(value, dict) else {}


def validate(store, values: dict, current: dict | None) -> dict:
    merged = {**(current or {}), **values}
    surveyed, removed = optional_date(merged.get("surveyed_on")), optional_date(merged.get("removed_on"))
    if surveyed and removed and removed < surveyed:
        raise ValidationError("removed before it was surveyed",
                              f"清理日期（{removed}）早于调查日期（{surveyed}）", field="removed_on")
    if current is None and merged.get("tree_count") in (None, ""):
        values["tree_count"] = 1
    if values.get("test_result") in ("positive", "negative") and merged.get("sampled") in (None, ""):
        values["sampled"] = True
    # the contractor's certificate from the register: by id, or by name when the list gives none
    status = None
    if merged.get("contractor_id") not in (None, ""):
        cert = certificate_of(store, merged["contractor_id"])
        status = cert.pop("status")
        cert.pop("cert_valid_from", None)
        values.update(cert)
    elif values.get("contractor") and merged.get("cert_no") in (None, ""):
        found = find_by_name(store, values["contractor"])
        if found is not None:
            status = found.pop("status")
            found.pop("cert_valid_from", None)
            values.update(found)
    merged = {**(current or {}), **values}
    recording = current is not None and values.get("status") == "removed"  # the workflow step
    if current is None and removed is not None and merged.get("status") in (None, "", "found"):
        values["status"] = merged["status"] = "removed"  # a removal that is already a fact
    if merged.get("status") not in DONE:
        return values
    if not (recording or current is None or set(values) & REMOVAL_FIELDS):
        return values
    flags = _flags((current or {}).get("flags"))
    before = dict(flags)
    for k in (*CERT_FLAGS, "late_removal"):
        flags.pop(k, None)
    flag, zh, en = check({**merged, "status": status}, removed)
    if flag is not None:
        if recording:
            raise ValidationError(en, zh, field="cert_valid_to", flag=flag)
        flags[flag] = str(merged.get("cert_valid_to") or "") or True
    if surveyed and removed:
        late = (removed - surveyed).days - clear_days()
        if late > 0:
            flags["late_removal"] = late
    if flags != before:
        values["flags"] = flags or None
    return values


def op_sample(store, fid, values, *, actor, access=None, comment=None, **_) -> int:
    """Record a sample's test result (取样检测)."""
    return workflow.edit(store, "deadtree", fid, actor=actor, access=access, action="sample",
                         fields={"sampled": True, "test_result": values["test_result"]},
                         comment=comment or "取样送检结果")


# ------------------------------------------------------------------------------ figures
def _trees(frame: pd.DataFrame) -> pd.Series:
    return pd.to_numeric(frame["tree_count"], errors="coerce").fillna(1.0)


def _flagged(frame: pd.DataFrame, keys) -> pd.Series:
    return frame["flags"].map(lambda f: any(k in _flags(f) for k in keys)).astype(bool)


def figures(store, frame: pd.DataFrame, ctx: dict) -> dict:
    """The year's trees found and removed (by method), late and unqualified removals, samples."""
    keys = ("found_trees", "removed_trees", "late_removals", "unqualified", "sampled", "positive",
            *(f"removed_{m}" for m in ("bagging", "chipping", "burning", "other")))
    if frame.empty:
        return {k: tally(frame, []) for k in keys}
    year = ctx["today"].year
    trees = _trees(frame)
    found = year_of(frame["surveyed_on"]) == year
    done = frame["status"].isin(DONE) & (year_of(frame["removed_on"]) == year)
    sampled = frame["sampled"].map(lambda v: False if v is None or v is pd.NA or v != v or v == "" else bool(v)).astype(bool)
    out = {
        "found_trees": tally(frame, found, trees),
        "removed_trees": tally(frame, done, trees),
        "late_removals": tally(frame, done & _flagged(frame, ("late_removal",))),
        "unqualified": tally(frame, done & _flagged(frame, CERT_FLAGS)),
        "sampled": tally(frame, found & sampled, trees),
        "positive": tally(frame, found & (frame["test_result"] == "positive"), trees),
    }
    for m in ("bagging", "chipping", "burning", "other"):
        out[f"removed_{m}"] = tally(frame, done & (frame["method"] == m), trees)
    return {k: {"total": int(v["total"]), "by_county": {c: int(x) for c, x in v["by_county"].items()}}
            for k, v in out.items()}


def overview(store, frame: pd.DataFrame, lang: str = "zh") -> list:
    """Per county: the year's trees found and removed, what is waiting, overdue, flagged."""

    zh = lang == "zh"
    figs = F.figures_of(store, DEADTREE)
    admin = store.read_layer("admin", where={"level": "county"}, columns=["code", "name"], geometry=False)
    names = dict(zip(admin["code"].astype(str), admin["name"]))
    codes = sorted({c for f in figs.values() for c in f["by_county"]})
    if not codes:
        return []

    def col(key):
        return [figs[key]["by_county"].get(c, 0) for c in codes]

    waiting = col("outstanding")
    out = pd.DataFrame({
        "旗县" if zh else "County": [names.get(c, c) for c in codes],
        "当年发现（株）" if zh else "Found this year (trees)": col("found_trees"),
        "当年清理（株）" if zh else "Removed this year (trees)": col("removed_trees"),
        "待清理（处）" if zh else "Waiting (records)": waiting,
        "超期未清理" if zh else "Overdue": col("overdue"),
        "超期清理" if zh else "Removed late": col("late_removals"),
        "资质不符" if zh else "No valid certificate": col("unqualified"),
        "动态清零" if zh else "Cleared to zero": [("是" if zh else "yes") if w == 0 else ("否" if zh else "no")
                                              for w in waiting],
    })
    days = clear_days()
    return [((f"即死即清：发现后 {days} 天内清理" if zh
              else f"Removal within {days} days of detection"), out)]


def details(store, record: dict, lang: str = "zh") -> list:
    """The record's 即死即清 deadline and the certificate check on its removal date."""
    zh = lang == "zh"
    days = clear_days()
    surveyed, removed = optional_date(record.get("surveyed_on")), optional_date(record.get("removed_on"))
    rows = []
    if surveyed:
        due = surveyed + dt.timedelta(days=days)
        rows.append(("即死即清期限" if zh else "Due", f"{due}（发现后 {days} 天）" if zh else f"{due} ({days} days)"))
        if record.get("status") == "found":
            left = (due - today_local()).days
            rows.append(("状态" if zh else "State", (f"剩余 {left} 天" if left >= 0 else f"已超期 {-left} 天") if zh
                         else (f"{left} days left" if left >= 0 else f"{-left} days overdue")))
        elif removed:
            rows.append(("清理用时" if zh else "Took", f"{(removed - surveyed).days} 天" if zh
                         else f"{(removed - surveyed).days} days"))
    if record.get("status") in DONE:
        flag, zh_text, en_text = check(record, removed)
        ok = "资质证书在清理日有效" if zh else "certificate valid on the removal date"
        rows.append(("资质核对" if zh else "Certificate check", ok if flag is None else (zh_text if zh else en_text)))
    if not rows:
        return []
    return [("即死即清与资质核对" if zh else "Removal deadline and certificate check",
             pd.DataFrame(rows, columns=["项目" if zh else "Item", "结果" if zh else "Result"]))]


def bulletin(figures: dict, ctx: dict | None = None) -> str | None:
    """The dead trees' sentence, in the seeds' words ("即死即清、动态清零", "就地打包", "就地粉碎")."""
    def t(key):
        return int((figures.get(key) or {}).get("total") or 0)

    found, removed = t("found_trees"), t("removed_trees")
    if not found and not removed and not t("outstanding"):
        return None
    year = (ctx or {}).get("today").year if (ctx or {}).get("today") else None
    text = f"{year}年" if year else "当年"
    text += f"监测发现松材线虫病枯死松树{found}株，清理{removed}株"
    ways = [(name, t(f"removed_{m}")) for m, name in (("bagging", "就地打包处理"), ("chipping", "就地粉碎处理"),
                                                       ("burning", "烧毁"), ("other", "其他方式处理"))]
    ways = [f"{name}{n}株" for name, n in ways if n]
    if ways:
        text += "（其中" + "、".join(ways) + "）"
    waiting, late = t("outstanding"), t("overdue")
    if waiting == 0:
        text += "，枯死松树即死即清、动态清零"
    else:
        text += f"，尚有{waiting}处待清理" + (f"（{late}处超过即死即清期限）" if late else "")
    if t("sampled"):
        text += f"；取样检测{t('sampled')}株，检出阳性{t('positive')}株"
    bad = t("unqualified")
    text += ("；对所有疫木除治作业核对业务资质证书，未发现无资质施工" if not bad
             else f"；核对业务资质证书，发现{bad}处清理作业资质不符（已标记待核查）")
    return text + "。"
