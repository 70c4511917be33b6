"""Fire breaks (森林防火阻隔带): one record per break and year, km planned and cleared.

The length of a break is measured from its line in the CGCS2000 3° Gauss-Krüger zone of its
centre (:func:`geo.engine.records.measures`); the planned km default to that length, and the
cleared km are what the crew reports (a break may be cleared in part). Clearing far beyond the
line's length is refused as a typing error. A cleared break is planned again for the next year
by the ``next_year`` operation (a new record on the same line), so each year's figures stand on
their own: "清理森林防火阻隔带166公里" is the km of the year's breaks that were cleared.
"""

from __future__ import annotations

import pandas as pd

from geo.core.errors import ValidationError
from geo.engine.figures import tally
from geo.access.scope import unwrap
from geo.core.timeutil import now_utc
from geo.engine import records

FIGURE_COLUMNS = ("year", "planned_km", "cleared_km", "cleared_on", "length_km")
SLACK = 1.10  # cleared km may exceed the measured length by this much (a line drawn short)


def validate(store, values: dict, current: dict | None) -> dict:
    merged = {**(current or {}), **values}
    length = merged.get("length_km")
    if merged.get("planned_km") in (None, "") and length not in (None, ""):
        values["planned_km"] = round(float(length), 3)
    cleared = merged.get("cleared_km")
    if cleared not in (None, "") and length not in (None, "") and float(cleared) > SLACK * float(length) + 0.05:
        raise ValidationError(
            f"{cleared} km cleared is more than the break's length ({float(length):.2f} km)",
            f"清理长度 {float(cleared):g} 公里超过阻隔带长度（{float(length):.2f} 公里），请核对", field="cleared_km")
    year = merged.get("year")
    if year not in (None, "") and not (1949 <= int(year) <= 2100):
        raise ValidationError(f"{year} is not a year", f"年度“{year}”无效", field="year")
    return values


def figures(store, frame: pd.DataFrame, ctx: dict) -> dict:
    """Km planned and cleared for the year of ``ctx['today']``, and the cleared share."""
    year = ctx["today"].year
    if frame.empty:
        return {"planned_km": tally(frame, []), "cleared_km": tally(frame, []), "cleared_pct": {"total": None, "by_county": {}}}
    this = pd.to_numeric(frame["year"], errors="coerce") == year
    planned = tally(frame, this, frame["planned_km"], 1)
    cleared = tally(frame, this & (frame["status"] == "cleared"), frame["cleared_km"], 1)
    pct = {"total": round(100 * cleared["total"] / planned["total"], 1) if planned["total"] else None,
           "by_county": {k: round(100 * cleared["by_county"].get(k, 0.0) / v, 1)
                         for k, v in planned["by_county"].items() if v}}
    return {"planned_km": planned, "cleared_km": cleared, "cleared_pct": pct}


def by_year(frame: pd.DataFrame) -> pd.DataFrame:
    """Km planned and cleared per year: ``year``, ``planned_km``, ``cleared_km``, ``breaks``."""
    if frame.empty:
        return pd.DataFrame(columns=["year", "planned_km", "cleared_km", "breaks"])
    f = pd.DataFrame({"year": pd.to_numeric(frame["year"], errors="coerce"),
                      "planned_km": pd.to_numeric(frame["planned_km"], errors="coerce").fillna(0.0),
                      "cleared_km": pd.to_numeric(frame["cleared_km"], errors="coerce").fillna(0.0)
                      .where(frame["status"] == "cleared", 0.0)})
    out = f.groupby("year").agg(planned_km=("planned_km", "sum"), cleared_km=("cleared_km", "sum"),
                                breaks=("planned_km", "size")).reset_index()
    return out.sort_values("year", ascending=False)


def overview(store, frame: pd.DataFrame, lang: str = "zh") -> list:
    t = by_year(frame)
    if t.empty:
        return []
    zh = lang == "zh"
    out = pd.DataFrame({
        "年度" if zh else "Year": t["year"].astype(int).astype(str),
        "阻隔带（条）" if zh else "Breaks": t["breaks"].astype(int),
        "计划清理（公里）" if zh else "Planned (km)": t["planned_km"].round(1),
        "已清理（公里）" if zh else "Cleared (km)": t["cleared_km"].round(1),
        "完成率" if zh else "Done": [f"{100 * c / p:.1f}%" if p else "—" for c, p in zip(t["cleared_km"], t["planned_km"])],
    })
    return [("各年度阻隔带清理（长度按 CGCS2000 高斯-克吕格 3° 带投影计算）" if zh
             else "Fire breaks per year (lengths in the CGCS2000 3° Gauss-Krüger zone)", out)]


def op_next_year(store, fid, values, *, actor, access=None, comment=None, **_) -> int:
    """Plan the same break for the next year (or the year given): a new record on the same line.
    Returns its id; refused when that year already has this break."""

    raw, access = unwrap(store, access)
    rec = raw.get_feature("firebreak", int(fid))
    if access is not None:
        access.check_feature("firebreak", rec, write=True)
    year = int(values.get("year") or int(rec["year"]) + 1)
    same = raw.read_layer("firebreak", where={"name": rec["name"], "year": year}, columns=["county_code"],
                          geometry=False)
    if len(same[same["county_code"].astype(object) == rec.get("county_code")]):
        raise ValidationError(f"'{rec['name']}' is already planned for {year}",
                              f"“{rec['name']}”已列入 {year} 年度计划（#{int(same['id'].iloc[0])}）")
    keep = {k: rec.get(k) for k in ("name", "break_kind", "width_m", "unit", "note") if rec.get(k) not in (None, "")}
    keep["year"] = year
    return records.add(raw, "firebreak", keep, geometry=rec["geometry"], actor=actor, access=access,
                       comment=comment or f"由 {rec['year']} 年度 #{int(fid)} 列入 {year} 年度清理计划", at=now_utc())


def bulletin(figures: dict, ctx: dict | None = None) -> str | None:
    """The fire breaks' sentence ("清理森林防火阻隔带166公里")."""
    cleared = (figures.get("cleared_km") or {}).get("total")
    planned = (figures.get("planned_km") or {}).get("total")
    if not cleared and not planned:
        return None
    text = f"清理森林防火阻隔带{_km(cleared)}公里"
    if planned and cleared is not None and planned > cleared:
        pct = (figures.get("cleared_pct") or {}).get("total")
        text += f"（年度计划{_km(planned)}公里，完成{pct:g}%）" if pct is not None else f"（年度计划{_km(planned)}公里）"
    return text + "。"


def _km(v) -> str:
    v = float(v or 0)
    return f"{v:.0f}" if abs(v - round(v)) < 0.05 else f"{v:.1f}"

