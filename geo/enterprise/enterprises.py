"""The wood-processing enterprises' rules: the 统一社会信用代码 check digit, whether an enterprise
borders forest land, the checks recorded on it, and the figures the bulletins quote — "每年抽查比例
不低于企业总数的30%", "对与林地接壤的木材加工企业,每年开展不少于2次森林防火宣传和现场检查".

**Borders forest land.** Where the bureau has a 小班 layer for the enterprise's county, the
enterprise borders forest land when a 小班 of forest land (地类 林地: 乔木林地, 灌木林地 …) lies within
``enterprise_forest_border_m`` metres of its point (measured in the point's Gauss-Krüger zone); the
distance to the nearest one is kept. Elsewhere the value recorded in the list stands ("登记填报"). Zones carry no land
class, so they cannot decide it.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata

import numpy as np
import pandas as pd
import shapely

from geo.core.errors import ValidationError
from geo.core.timeutil import as_date, today_local
from geo.core.config import load_settings
from geo.carbon.carbon import land_kind
from geo.core.nearby import within
from geo.engine import workflow
from geo.access.scope import unwrap
from geo.engine import records
from geo.engine.asof import layer_state
from geo.engine import overview as O
from geo.engine import display
from geo.declare import registry as S

FIGURE_COLUMNS = ("borders_forest", "township", "name")
NO_COUNTY = "∅"

# --------------------------------------------------------------------------- 统一社会信用代码
# GB 32100-2015: 18 characters from this set (no I, O, S, V, Z); the last is a check character.
CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_check_char(first17: str) -> str:
    total = sum(CODE_CHARS.index(c) * w for c, w in zip(first17, CODE_WEIGHTS))
    return CODE_CHARS[(31 - total % 31) % 31]


def credit_code(text) -> str | None:
    """``text`` as a valid 统一社会信用代码 (full-width and lower case normalised), or
    :class:`ValidationError` saying what is wrong."""
    if text is None or not str(text).strip():
        return None
    code = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).upper()
    if len(code) != 18:
        raise ValidationError(f"a unified social credit code has 18 characters, not {len(code)} ('{code}')",
                              f"统一社会信用代码应为18位，“{code}”为{len(code)}位", field="credit_code")
    bad = sorted({c for c in code if c not in CODE_CHARS})
    if bad:
        raise ValidationError(f"'{code}' holds characters a credit code never has: {''.join(bad)}",
                              f"统一社会信用代码“{code}”含有不允许的字符：{''.join(bad)}（不使用 I、O、S、V、Z）",
                              field="credit_code")
    if not code[2:8].isdigit():
        raise ValidationError(f"'{code}': characters 3-8 must be the administrative division code",
                              f"统一社会信用代码“{code}”第3-8位应为行政区划代码（数字）", field="credit_code")
    want = credit_check_char(code[:17])
    if code[17] != want:
        raise ValidationError(f"'{code}': the check character should be {want}, not {code[17]} (a typo?)",
                              f"统一社会信用代码“{code}”校验位不符（应为“{want}”），请核对是否录入有误",
                              field="credit_code")
    return code


def validate(store, values: dict, current) -> dict:
    out = dict(values)
    if "credit_code" in out:
        out["credit_code"] = credit_code(out["credit_code"])
    if out.get("capacity_m3") is not None and float(out["capacity_m3"]) > 5_000_000:
        raise ValidationError("a yearly capacity above 5 million m³ is not plausible for one enterprise",
                              "年加工能力超过500万立方米，请核对单位（应为立方米/年）", field="capacity_m3")
    return out


# --------------------------------------------------------------------------- forest border
def _settings(settings=None):
    if settings is not None:
        return settings

    return load_settings()


def forest_border(store, tx, geoms, county_codes, settings=None) -> list[dict]:
    """For each point: ``{borders_forest, border_basis, forest_distance_m}`` where the county has a
    小班 layer, else ``{}`` (the recorded value stands)."""

    limit = float(_settings(settings).enterprise_forest_border_m)
    geoms = list(geoms)
    out: list[dict] = [{} for _ in geoms]
    covered = {r[0] for r in tx.query("SELECT DISTINCT county_code FROM subcompartments WHERE county_code IS NOT NULL")}
    idx = [i for i, (g, code) in enumerate(zip(geoms, county_codes))
           if g is not None and not shapely.is_empty(g) and code in covered]
    if not idx:
        return out
    pairs = within(store, tx, "subcompartment", [geoms[i] for i in idx], limit, columns=("land_class",))
    forest = pairs[[land_kind(v) == "forest" for v in pairs["land_class"]]] if len(pairs) else pairs
    nearest = forest.groupby("i")["m"].min() if len(forest) else pd.Series(dtype=float)
    for k, i in enumerate(idx):
        d = nearest.get(k)
        out[i] = {"borders_forest": d is not None, "border_basis": "computed",
                  "forest_distance_m": None if d is None else float(d)}
    return out


def placed_many(store, tx, lyr, geoms, values) -> list[dict]:
    if lyr.key != "enterprise":
        return [{} for _ in geoms]
    got = forest_border(store, tx, geoms, [v.get("county_code") for v in values])
    return [g or ({"border_basis": "recorded"} if v.get("borders_forest") is not None else {})
            for g, v in zip(got, values)]


def placed(store, tx, lyr, geom, values) -> dict:
    return placed_many(store, tx, lyr, [geom], [values])[0]


def refresh_borders(store, *, actor: str, access=None) -> dict:
    """Recompute every enterprise's forest border (after a new 小班 layer): an edit event for each
    enterprise whose value changes. Returns ``{"changed": [ids], "checked": n}``."""

    raw, access = unwrap(store, access)
    frame = store.read_layer("enterprise", columns=["county_code", "borders_forest", "border_basis",
                                                    "forest_distance_m", "status"])
    frame = frame[frame["status"] != "deregistered"]
    with raw.transaction(write=False) as tx:
        got = forest_border(raw, tx, frame.geometry.to_numpy(), frame["county_code"].tolist())
    changed = []
    for rec, new in zip(frame.to_dict("records"), got):
        if not new:
            continue
        old = (rec["borders_forest"], rec["border_basis"], rec["forest_distance_m"])
        if (new["borders_forest"], new["border_basis"], new["forest_distance_m"]) != old:
            workflow.edit(store, "enterprise", int(rec["id"]), actor=actor, fields=new, access=access,
                          comment="按小班图层重新判定是否与林地接壤")
            changed.append(int(rec["id"]))
    return {"changed": changed, "checked": len(frame)}


# --------------------------------------------------------------------------- checks (operations)
def _check(store, fid, values, kind: str, *, actor, access=None, comment=None, attachments=(), **_):

    day = as_date(values.get("checked_on")) or today_local()
    if day > today_local():
        raise ValidationError("a check cannot be dated in the future", "检查日期不能晚于今天", field="checked_on")
    rec = {**values, "checked_on": day.isoformat(), "enterprise_id": int(fid), "kind": kind}
    cid = records.add(store, "enterprise_check", rec, actor=actor, access=access, comment=comment,
                      attachments=list(attachments or []))
    field = "last_source_check" if kind == "source" else "last_fire_check"
    current = store.get_feature("enterprise", int(fid))
    if (current.get(field) or "") < day.isoformat():
        workflow.edit(store, "enterprise", int(fid), actor=actor, fields={field: day.isoformat()}, access=access,
                      action="inspect", comment=f"{'木材来源检查' if kind == 'source' else '防火检查'}（记录 #{cid}）")
    return cid


def op_source_check(store, fid, values, **kw):
    return _check(store, fid, values, "source", **kw)


def op_fire_check(store, fid, values, **kw):
    return _check(store, fid, values, "fire", **kw)


# --------------------------------------------------------------------------- figures
def _year(ctx) -> int:
    return (ctx.get("as_of") or ctx.get("today") or today_local()).year


def _codes(frame: pd.DataFrame) -> pd.Series:
    if "county_code" not in frame:
        return pd.Series(NO_COUNTY, index=frame.index)
    return frame["county_code"].astype(object).where(frame["county_code"].notna(), NO_COUNTY)


def checks_of(store, year: int, as_of=None, counties=None) -> pd.DataFrame:

    where = {"year": year}
    if counties:
        where["county_code"] = list(counties)
    return layer_state(store, "enterprise_check", as_of, where=where,
                       columns=["enterprise_id", "kind", "checked_on", "result", "year", "county_code", "sample_id"])


def samples_of(store, year: int, as_of=None) -> pd.DataFrame:
    """The year's samples in force (read whole: a league-wide sample spans counties; only their
    enterprise ids are used, counted against the enterprises the caller may see)."""

    raw, _ = unwrap(store)
    frame = layer_state(raw, "enterprise_sample", as_of, where={"year": year},
                        columns=["year", "county_code", "ids", "share", "seed", "status"])
    return frame[frame["status"] == "drawn"] if len(frame) else frame


def drawn_ids(samples: pd.DataFrame) -> set[int]:
    out: set[int] = set()
    for v in samples.get("ids", []):
        out |= {int(i) for i in (json.loads(v) if isinstance(v, str) else (v or []))}
    return out


def status_table(store, frame: pd.DataFrame, ctx: dict) -> pd.DataFrame:
    """Per enterprise not deregistered: in this year's sample, source-checked, fire inspections."""
    year = _year(ctx)
    settings = _settings(ctx.get("settings"))
    live = frame[frame["status"].isin(["operating", "suspended"])].copy()
    checks = checks_of(store, year, ctx.get("as_of"), ctx.get("counties"))
    src = checks[checks["kind"] == "source"] if len(checks) else checks
    fire = checks[checks["kind"] == "fire"] if len(checks) else checks
    sampled = drawn_ids(samples_of(store, year, ctx.get("as_of")))
    ids = live["id"].astype(int)
    live["in_sample"] = ids.isin(sampled).to_numpy()
    live["source_checked"] = ids.isin(set(src["enterprise_id"].dropna().astype(int)) if len(src) else set()).to_numpy()
    n_fire = fire["enterprise_id"].dropna().astype(int).value_counts() if len(fire) else pd.Series(dtype=int)
    live["fire_checks"] = ids.map(n_fire).fillna(0).astype(int).to_numpy()
    border = live["borders_forest"].fillna(False).astype(bool) if "borders_forest" in live else False
    live["borders"] = border
    need = int(settings.enterprise_fire_inspections)
    live["fire_missing"] = np.where(live["borders"], np.maximum(0, need - live["fire_checks"]), 0)
    live["source_checks"] = ids.map(src["enterprise_id"].dropna().astype(int).value_counts()
                                    if len(src) else pd.Series(dtype=int)).fillna(0).astype(int).to_numpy()
    return live


def figures(store, frame: pd.DataFrame, ctx: dict) -> dict:
    settings = _settings(ctx.get("settings"))
    share = float(settings.enterprise_sample_share)
    t = status_table(store, frame, ctx) if len(frame) else frame.assign(
        in_sample=[], source_checked=[], fire_checks=[], borders=[], fire_missing=[], source_checks=[])
    codes = _codes(t)
    out: dict = {}

    def put(key, series, total=None):
        by = series.groupby(codes).sum() if len(series) else pd.Series(dtype=float)
        out[key] = {"total": int(series.sum()) if total is None else total,
                    "by_county": {str(k): int(v) for k, v in by.items() if v}}

    required = t.groupby(codes).size().map(lambda n: math.ceil(share * n - 1e-9)) if len(t) else pd.Series(dtype=int)
    out["sample_required"] = {"total": int(math.ceil(share * len(t) - 1e-9)),
                              "by_county": {str(k): int(v) for k, v in required.items() if v}}
    put("sample_size", t["in_sample"].astype(int))
    put("sample_checked", (t["in_sample"] & t["source_checked"]).astype(int))
    size = t["in_sample"].groupby(codes).sum() if len(t) else pd.Series(dtype=int)
    done = (t["in_sample"] & t["source_checked"]).groupby(codes).sum() if len(t) else pd.Series(dtype=int)
    n = int(t["in_sample"].sum()) if len(t) else 0
    out["sample_completion_pct"] = {
        "total": round(100.0 * int((t["in_sample"] & t["source_checked"]).sum()) / n, 1) if n else None,
        "by_county": {str(k): round(100.0 * int(done[k]) / int(v), 1) for k, v in size.items() if v}}
    put("source_checks", t["source_checks"])
    put("fire_inspections", t["fire_checks"])
    put("fire_ok", (t["borders"] & (t["fire_missing"] == 0)).astype(int))
    put("fire_short", (t["borders"] & (t["fire_missing"] > 0)).astype(int))
    return out


def bulletin(figures: dict, ctx: dict) -> str | None:
    """The enterprises' paragraph in the seeds' wording."""
    if "enterprises" not in figures:
        return None
    f = {k: v.get("total") for k, v in figures.items()}
    if not f.get("enterprises"):
        return None  # nothing registered: the bulletin says nothing rather than "0家"
    year = _year(ctx)
    settings = _settings(ctx.get("settings"))
    share = round(float(settings.enterprise_sample_share) * 100)
    need = int(settings.enterprise_fire_inspections)
    text = f"木材经营加工企业监管：已排查登记木材经营加工企业{f['enterprises']}家，其中与林地接壤{f['bordering']}家。"
    if f.get("sample_size"):
        text += (f"{year}年度按不低于企业总数{share}%的比例抽取{f['sample_size']}家开展木材来源检查"
                 f"（应抽不少于{f['sample_required']}家），已检查{f['sample_checked']}家，完成率"
                 f"{f['sample_completion_pct']:g}%。")
    elif f.get("sample_required"):
        text += f"{year}年度木材来源抽查名单尚未抽取（应抽不少于{f['sample_required']}家）。"
    if f.get("bordering"):
        text += (f"对与林地接壤企业每年开展不少于{need}次森林防火宣传和现场检查，本年度已检查{f['fire_inspections']}次，"
                 f"{f['fire_ok']}家已达到{need}次")
        text += f"，{f['fire_short']}家尚未达到。" if f.get("fire_short") else "，全部达标。"
    return text


# --------------------------------------------------------------------------- page
def panels(store, ctx: dict) -> list:

    zh = ctx.get("lang", "zh") == "zh"
    settings = _settings(ctx.get("settings"))
    frame = store.read_layer("enterprise", columns=["name", "county", "county_code", "township", "status",
                                                    "borders_forest"], geometry=False)
    if frame.empty:
        return [O.Notice("尚未登记木材经营加工企业：可在下方“从表格导入”上传企业名录（Excel/CSV，含经纬度）。" if zh else
                         "No enterprise yet: import the enterprise list below (Excel/CSV with coordinates).")]
    year = _year(ctx)
    fig = figures(store, frame, ctx)
    f = {k: v["total"] for k, v in fig.items()}
    need = int(settings.enterprise_fire_inspections)
    out = [O.Metrics((
        ("在册企业" if zh else "Enterprises", f"{int((frame['status'] != 'deregistered').sum()):,}"),
        ("与林地接壤" if zh else "Bordering forest land",
         f"{int((frame['borders_forest'].fillna(False).astype(bool) & (frame['status'] != 'deregistered')).sum()):,}"),
        (f"{year}年抽查名单" if zh else f"{year} sample", f"{f['sample_size']} / ≥{f['sample_required']}"),
        ("已完成来源检查" if zh else "Sample checked", f"{f['sample_checked']}"),
        ("抽查完成率" if zh else "Completion", "—" if f["sample_completion_pct"] is None
         else f"{f['sample_completion_pct']:g}%"),
        (f"防火检查未达{need}次" if zh else f"Fewer than {need} fire inspections", f"{f['fire_short']}"),
    ))]
    t = status_table(store, frame, ctx)
    if not f["sample_size"]:
        out.append(O.Notice(
            (f"{year}年度木材来源抽查名单尚未抽取（应抽不少于{f['sample_required']}家）：在“木材来源抽查名单”页新增一份"
             f"（填写年度，随机种子可留空由系统生成并记录）。")
            if zh else (f"No {year} source-of-wood sample yet (at least {f['sample_required']}): add one on the "
                        f"'Source-of-wood samples' page."),
            "warning"))
        access = ctx.get("access")
        if access is not None and getattr(access, "is_admin", False):  # the command line: for who runs it
            out.append(O.Note(f"系统管理员也可运行命令：python -m geo sample draw --year {year} --system" if zh else
                              f"An administrator may also run: python -m geo sample draw --year {year} --system"))
    else:
        why = sample_reason(store, t, f, ctx, zh)
        if why:
            out.append(O.Notice(why, "info"))
    drawn = t[t["in_sample"]]
    if len(drawn):
        out.append(O.Table(f"{year}年度木材来源抽查名单" if zh else f"{year} source-of-wood sample", pd.DataFrame({
            "ID": drawn["id"].astype(int), "企业名称" if zh else "Enterprise": drawn["name"],
            "旗县" if zh else "County": drawn["county"], "苏木乡镇" if zh else "Township": drawn["township"],
            "已检查" if zh else "Checked": ["是" if v else "否" for v in drawn["source_checked"]] if zh
            else ["yes" if v else "no" for v in drawn["source_checked"]]})))
    short = t[t["fire_missing"] > 0]
    if len(short):
        out.append(O.Table(f"与林地接壤、本年度防火检查不足{need}次的企业" if zh else
                           f"Bordering forest land with fewer than {need} fire inspections this year", pd.DataFrame({
                               "ID": short["id"].astype(int), "企业名称" if zh else "Enterprise": short["name"],
                               "旗县" if zh else "County": short["county"],
                               "已检查次数" if zh else "Inspections": short["fire_checks"],
                               "尚差" if zh else "Missing": short["fire_missing"]})))
    return out


def sample_reason(store, t: pd.DataFrame, f: dict, ctx: dict, zh: bool = True) -> str | None:
    """Why the sample seen differs from "not below the share of the enterprises seen", in words:
    every enterprise seen is in it (there are only so many), or the sample was drawn for the whole
    league and these counties got their townships' proportional part of it. None when the figures
    need no word."""
    size, required, n = int(f["sample_size"]), int(f["sample_required"]), int(len(t))
    share = round(float(_settings(ctx.get("settings")).enterprise_sample_share) * 100)
    if n and size >= n:
        return (f"在营企业仅{n}家，全部列入抽查名单。" if zh else
                f"There are only {n} enterprises in business: all of them are in the sample.")
    if size >= required:
        return None
    samples = samples_of(store, _year(ctx), ctx.get("as_of"))
    whole = samples[samples["county_code"].isna()] if len(samples) else samples
    if len(whole):
        drawn = len(drawn_ids(whole))
        names = t["county"].dropna().unique() if "county" in t else []
        where = (f"{names[0]}的" if zh else f"{names[0]}'s ") if len(names) == 1 else ("所见范围内的" if zh else "the ")
        return (f"本年度抽查名单由全盟统一抽取（共{drawn}家，不低于全盟企业总数的{share}%），按苏木乡镇分层、按企业数比例分配："
                f"{where}{n}家企业分得{size}家；若按这{n}家单独计算，应不少于{required}家。" if zh else
                f"This year's sample was drawn for the whole league ({drawn} enterprises, at least {share}% of all), "
                f"allocated to the townships in proportion to their enterprises: {where}{n} enterprises got "
                f"{size}; counted on their own they would need at least {required}.")
    return (f"抽查名单少于应抽数（不低于企业总数的{share}%）：尚差{required - size}家，请补充抽取。" if zh else
            f"The sample is below the share of {share}%: {required - size} more to draw.")


def details(store, record: dict, lang: str = "zh") -> list:
    zh = lang == "zh"
    rows = []
    basis = record.get("border_basis")
    if basis == "computed":
        d = record.get("forest_distance_m")
        rows.append(("与林地接壤" if zh else "Borders forest land",
                     ("是" if record.get("borders_forest") else "否") + "（按小班图层计算" +
                     (f"，距最近林地小班 {d:,.0f} 米）" if d is not None else "，附近无林地小班）")))
    elif basis == "recorded":
        rows.append(("与林地接壤" if zh else "Borders forest land",
                     ("是" if record.get("borders_forest") else "否") + "（登记填报：本旗县暂无小班图层）"))
    checks = store.read_layer("enterprise_check", where={"enterprise_id": int(record["id"])},
                              columns=["kind", "checked_on", "result", "inspector", "finding", "year"], geometry=False)
    year = today_local().year
    this_year = checks[checks["year"] == year] if len(checks) else checks
    if record.get("borders_forest") and record.get("status") != "deregistered":
        need = int(_settings().enterprise_fire_inspections)
        done = int((this_year["kind"] == "fire").sum()) if len(this_year) else 0
        rows.append((f"{year}年防火检查" if zh else f"Fire inspections {year}",
                     f"{done} / {need} 次" + (f"（尚差 {need - done} 次）" if done < need else "（已达标）")))
    sources = int((this_year["kind"] == "source").sum()) if len(this_year) else 0
    rows.append((f"{year}年木材来源检查" if zh else f"Source checks {year}", f"{sources} 次"))
    out = []
    if rows:
        out.append(("林地接壤与本年度检查" if zh else "Forest border and this year's checks",
                    pd.DataFrame(rows, columns=["项目" if zh else "Item", "值" if zh else "Value"])))
    if len(checks):

        lyr = S.layer("enterprise_check")
        out.append(("检查记录" if zh else "Checks", display.table(
            lyr, checks.sort_values("checked_on", ascending=False), lang,
            columns=["checked_on", "kind", "result", "inspector", "finding"])))
    return out
