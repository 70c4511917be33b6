"""Fire hazards (森林防火隐患): found → assigned → rectified → verified.

* **Assigned** to a responsible unit or person; when the assignment names neither, the hazard goes
  to the forest chief of the finest responsibility zone that holds it (the zone's chief post and
  its current holder, :mod:`geo.chief.chiefs`), and up the levels when that post is vacant. A hazard
  outside every zone must name a unit.
* **Deadline**: the one set at assignment, else ``hazard_rectify_days`` (setting, default 30)
  after it was found; open hazards past it are overdue.
* **Rectified** with the measure and photos (evidence on the transition), **verified** by a
  check that can send it back.
* **Eliminated** (消除) in a year: rectified that year and not sent back since.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from geo.core.errors import ValidationError
from geo.engine.figures import deadline_days, tally, year_of
from geo.core.timeutil import optional_date
from geo.fire.layers import HAZARD
from geo.engine import figures as F

FIGURE_COLUMNS = ("found_on", "rectified_on")
LEVELS_FINE_FIRST = ("grid", "village", "township", "banner", "league")


def zone_chief(store, record: dict) -> dict | None:
    """The chief post holding the hazard's zone (finest level first, up while vacant):
    ``{"post_id", "name", "zone_id"}`` or None."""
    zones = record.get("zones")
    if isinstance(zones, str):
        zones = json.loads(zones)
    order = []
    if isinstance(zones, dict):
        order = [zones[lv] for lv in LEVELS_FINE_FIRST if lv in zones]
    elif record.get("zone_id") not in (None, ""):
        order = [record["zone_id"]]
    for zid in order:
        posts = store.read_layer("post", where={"zone_id": int(zid), "role": "chief", "status": "filled"},
                                 columns=["holder_name", "title"], geometry=False)
        if len(posts):
            p = posts.sort_values("id").iloc[0]
            return {"post_id": int(p["id"]), "name": p["holder_name"], "title": p["title"], "zone_id": int(zid)}
    return None


def validate(store, values: dict, current: dict | None) -> dict:
    merged = {**(current or {}), **values}
    found, deadline, rectified = optional_date(merged.get("found_on")), optional_date(merged.get("deadline")), optional_date(merged.get("rectified_on"))
    if found and deadline and deadline < found:
        raise ValidationError("the deadline is before the hazard was found",
                              f"整改期限（{deadline}）早于发现日期（{found}）", field="deadline")
    if found and rectified and rectified < found:
        raise ValidationError("rectified before it was found",
                              f"整改完成日期（{rectified}）早于发现日期（{found}）", field="rectified_on")
    if values.get("status") == "assigned" and current is not None and current.get("status") == "found":
        if merged.get("unit") in (None, "") and merged.get("assignee") in (None, ""):
            chief = zone_chief(store, current)
            if chief is None:
                raise ValidationError(
                    "the hazard lies in no responsibility zone with a chief: name the responsible unit or person",
                    "该隐患不在任何有林长的责任区内，请填写责任单位或整改责任人", field="unit")
            values["assignee"] = chief["name"]
            values["assignee_post"] = chief["post_id"]
        if merged.get("deadline") in (None, "") and found is not None:
            days = deadline_days(_rule(), None)
            values["deadline"] = (found + dt.timedelta(days=int(days))).isoformat()
    return values


def _rule():

    return HAZARD.deadline


def figures(store, frame: pd.DataFrame, ctx: dict) -> dict:
    """Hazards found in the year, and eliminated (rectified that year, still rectified or verified)."""
    year = ctx["today"].year
    if frame.empty:
        return {"found": tally(frame, []), "eliminated": tally(frame, [])}
    found = year_of(frame["found_on"]) == year
    done = frame["status"].isin(["rectified", "verified"]) & (year_of(frame["rectified_on"]) == year)
    return {"found": tally(frame, found), "eliminated": tally(frame, done)}


def bulletin(figures: dict, ctx: dict | None = None) -> str | None:
    """The hazards' sentence, in the seeds' words ("及时消除森林防火隐患33处")."""
    found, done = _total(figures, "found"), _total(figures, "eliminated")
    if not found and not done:
        return None
    text = f"强化森林防火基础设施隐患排查治理，督促属地落实整改措施及整改时限，排查森林防火隐患{found}处，及时消除森林防火隐患{done}处"
    late = _total(figures, "overdue")
    left = _total(figures, "open")
    if left:
        text += f"，尚有{left}处未完成整改" + (f"（其中{late}处已逾期）" if late else "")
    return text + "。"


def _total(figures: dict, key: str) -> int:
    v = (figures.get(key) or {}).get("total")
    return int(v) if v else 0


def overview(store, frame: pd.DataFrame, lang: str = "zh") -> list:
    """Per county: hazards found and eliminated this year, still open, overdue."""

    zh = lang == "zh"
    figs = F.figures_of(store, HAZARD)
    codes = sorted({c for f in figs.values() for c in f["by_county"]})
    if not codes:
        return []
    admin = store.read_layer("admin", where={"level": "county"}, columns=["code", "name"], geometry=False)
    names = dict(zip(admin["code"].astype(str), admin["name"]))

    def col(key):
        return [figs[key]["by_county"].get(c, 0) for c in codes]

    out = pd.DataFrame({
        "旗县" if zh else "County": [names.get(c, "县界外" if zh else "outside") for c in codes],
        "当年排查" if zh else "Found this year": col("found"),
        "当年消除" if zh else "Eliminated this year": col("eliminated"),
        "未完成整改" if zh else "Open": col("open"),
        "逾期" if zh else "Overdue": col("overdue"),
    })
    days = deadline_days(_rule(), None)
    return [((f"隐患整改：交办时未定期限的，发现后 {days} 天内整改" if zh
              else f"Hazards: due {days} days after they were found unless the assignment sets a date"), out)]
