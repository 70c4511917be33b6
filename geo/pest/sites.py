"""Epidemic sites (松材线虫病疫点) and their status over the years.

* Each year's check of a site is an ``annual`` operation (year and status: 新发疫情 / 疫情持续 /
  当年无疫情), kept as an event, so the history holds every year's status; the record shows the
  latest.
* :func:`years` gives a site's status year by year: what was recorded, beside the dead trees of
  the register found inside the site that year (the recorded status may be missing; the trees
  are counted anyway).
* **Revoking** a site (撤销疫点) needs the date, the document number and the document itself, and
  is refused while dead trees (other than ones tested negative) were found inside it in the two
  years before the revocation date: a site is revoked after two years without cases.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import shapely

from geo.engine import workflow
from geo.core.errors import ValidationError
from geo.engine.figures import tally
from geo.access.scope import unwrap
from geo.core.timeutil import as_date, today_local
from geo.engine.display import value_text
from geo.pest.layers import SITE

FIGURE_COLUMNS = ("listed_year",)
QUIET_YEARS = 2


def trees_inside(store, geom) -> pd.DataFrame:
    """Dead-tree records inside ``geom`` (``surveyed_on``, ``tree_count``, ``test_result``, ``status``)."""
    if geom is None or geom.is_empty:
        return pd.DataFrame(columns=["id", "surveyed_on", "tree_count", "test_result", "status"])
    frame = store.read_layer("deadtree", bbox=tuple(geom.bounds),
                             columns=["surveyed_on", "tree_count", "test_result", "status"])
    if frame.empty:
        return pd.DataFrame(frame.drop(columns="geometry"))
    inside = shapely.intersects(frame.geometry.values, geom)
    return pd.DataFrame(frame[inside].drop(columns="geometry"))


def validate(store, values: dict, current: dict | None) -> dict:
    merged = {**(current or {}), **values}
    if values.get("status") == "revoked" and current is not None:
        day = as_date(merged.get("revoked_on")) if merged.get("revoked_on") else today_local()
        since = day - dt.timedelta(days=365 * QUIET_YEARS)
        trees = trees_inside(store, current.get("geometry"))
        if len(trees):
            when = pd.to_datetime(trees["surveyed_on"].astype(object), errors="coerce").dt.date
            recent = trees[(when > since) & (when <= day) & (trees["test_result"] != "negative")]
            if len(recent):
                n = int(pd.to_numeric(recent["tree_count"], errors="coerce").fillna(1).sum())
                last = max(str(v) for v in recent["surveyed_on"])
                raise ValidationError(
                    f"{n} dead trees were found in the site in the {QUIET_YEARS} years before {day} "
                    f"(last {last}); a site is revoked after {QUIET_YEARS} years without cases",
                    f"疫点内 {since} 至 {day} 仍发现枯死松树 {n} 株（最近一次 {last}），"
                    f"连续 {QUIET_YEARS} 年无疫情方可撤销", field="revoked_on")
    year = merged.get("listed_year")
    if year not in (None, "") and not (1982 <= int(year) <= today_local().year):
        raise ValidationError(f"{year} is not a plausible year", f"认定年度“{year}”无效", field="listed_year")
    return values


def op_annual(store, fid, values, *, actor, access=None, comment=None, **_) -> int:
    """Record a year's check of the site (the year's status is kept as an event)."""
    raw, _access = unwrap(store, access)
    site = raw.get_feature("pest_site", int(fid))
    year = int(values["last_year"])
    if year > today_local().year:
        raise ValidationError(f"{year} has not come yet", f"核查年度 {year} 尚未到来", field="last_year")
    if site.get("listed_year") and year < int(site["listed_year"]):
        raise ValidationError(f"the site was listed in {site['listed_year']}",
                              f"该疫点于 {site['listed_year']} 年认定，核查年度不能早于认定年度", field="last_year")
    if site.get("last_year") and year < int(site["last_year"]):
        raise ValidationError(f"the {site['last_year']} check is already recorded; checks are recorded year after year",
                              f"已录入 {site['last_year']} 年度核查，不能再补录更早的年度", field="last_year")
    fields = {"last_year": year, "last_year_status": values["last_year_status"]}

    note = f"{year}年度核查：{value_text(SITE, 'last_year_status', values['last_year_status'])}"
    return workflow.edit(store, "pest_site", fid, actor=actor, access=access, action="annual",
                         fields=fields, comment=comment or note)


def years(store, site: dict) -> pd.DataFrame:
    """The site's status year by year: ``year``, ``status`` (recorded; None when not checked),
    ``records`` and ``trees`` (dead trees found inside that year)."""
    import json

    raw, _ = unwrap(store)
    ev = raw.events("pest_site", int(site["id"]), actions=["annual", "create", "import", "transition"])
    recorded: dict[int, str] = {}
    revoked = None
    for action, fields, to in zip(ev["action"], ev["fields"], ev["to_status"]):
        f = json.loads(fields) if isinstance(fields, str) and fields else (fields or {})
        if action == "annual" and f.get("last_year"):
            recorded[int(f["last_year"])] = f.get("last_year_status")
        if action == "transition" and to == "revoked":
            revoked = f.get("revoked_on")
    trees = trees_inside(store, site.get("geometry"))
    when = pd.to_datetime(trees["surveyed_on"].astype(object), errors="coerce").dt.year if len(trees) else None
    first = int(site.get("listed_year") or min([*recorded, today_local().year]))
    last = today_local().year
    rows = []
    for y in range(first, last + 1):
        part = trees[when == y] if len(trees) else trees
        rows.append({"year": y, "status": recorded.get(y), "records": int(len(part)),
                     "trees": int(pd.to_numeric(part["tree_count"], errors="coerce").fillna(1).sum()) if len(part) else 0,
                     "revoked": bool(revoked and str(revoked)[:4] <= str(y))})
    return pd.DataFrame(rows)


def details(store, record: dict, lang: str = "zh") -> list:

    zh = lang == "zh"
    t = years(store, record)
    if t.empty:
        return []
    out = pd.DataFrame({
        "年度" if zh else "Year": t["year"].astype(str),
        "核查状态" if zh else "Status": [("已撤销" if zh else "revoked") if r else
                                      (value_text(SITE, "last_year_status", s, lang) or ("未核查" if zh else "not checked"))
                                      for s, r in zip(t["status"], t["revoked"])],
        "疫点内枯死松树（处）" if zh else "Dead-tree records inside": t["records"],
        "株数" if zh else "Trees": t["trees"],
    })
    return [("历年疫情状态（核查记录与疫点内枯死松树）" if zh else "Status over the years", out.iloc[::-1])]


def figures(store, frame: pd.DataFrame, ctx: dict) -> dict:
    if frame.empty:
        return {"new_sites": tally(frame, [])}
    new = pd.to_numeric(frame["listed_year"], errors="coerce") == ctx["today"].year
    return {"new_sites": tally(frame, new)}


def bulletin(figures: dict, ctx: dict | None = None) -> str | None:
    def t(key):
        return int((figures.get(key) or {}).get("total") or 0)

    if not t("sites") and not t("revoked"):
        return None
    text = f"全盟现有松材线虫病疫点{t('sites')}个"
    extra = [f"当年新增{t('new_sites')}个" if t("new_sites") else None,
             f"累计撤销{t('revoked')}个" if t("revoked") else None]
    extra = [e for e in extra if e]
    return text + (f"（{'，'.join(extra)}）" if extra else "") + "。"
