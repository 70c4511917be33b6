"""Carbon stock and annual sink of the forest and grassland sub-compartments (碳汇一张图).

Per 小班 (``geo.carbon.layers``), with the factor table of the settings (``carbon_factors``,
default ``data/carbon/factors.csv``; sources in ``data/carbon/sources.csv``):

* forest land with a stock volume V (m³): ``C = V × SVD × BEF × (1 + R) × CF`` (t C), the factors
  of its dominant species group;
* grassland: ``C = area × biomass (t d.m./ha) × CF``;
* annual sink by stock difference where the 小班 has an earlier survey: ``(C now − C then) / years``,
  as CO₂ (× 44/12); grassland remaining grassland: 0 (IPCC Tier 1);
* the carbon of the part of a 小班 covered by change polygons verified illegal is lost: reported
  apart and subtracted from the stock.

Nothing is invented: a 小班 without a matching factor row, a forest 小班 without a stock volume, or
a store without any 小班 yields "not computed" and says what is missing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from geo.core.errors import ConfigError
from geo.core.config import PROJECT_ROOT
from geo.core import crs as C
from geo.engine.asof import layer_state
from geo.engine import overview as O

CO2_PER_C = 44.0 / 12.0
NO_COUNTY = "∅"
FIGURE_COLUMNS = ("land_class", "species", "age_group", "volume_per_ha", "volume_m3", "prev_volume_per_ha",
                  "prev_year", "survey_year", "grass_type", "area_ha", "area_reported_ha", "source", "note")
FOREST_COLUMNS = ("wood_density", "bef", "root_shoot", "carbon_fraction")
GRASS_COLUMNS = ("carbon_fraction", "biomass_t_ha")
REASONS = {
    "no_area": ("没有面积", "no area"),
    "no_volume": ("林地没有蓄积（灌木林、未成林等需实测碳密度）", "forest land without stock volume"),
    "no_factor": ("因子表中没有该优势树种", "no factor row for the species"),
    "no_grass_factor": ("因子表中没有该草地类型", "no factor row for the grassland type"),
    "other_land": ("非林地、非草地（如湿地、耕地），因子表未覆盖", "neither forest nor grassland"),
}
NEEDED_ZH = ("计算碳储量需要森林资源小班图层（面）：地类、优势树种、龄组、每公顷蓄积（或小班蓄积）、面积；"
             "草地小班需草地类型；计算年碳汇还需前期每公顷蓄积与前期调查年度。可在“批次上传”选择图层"
             "“森林资源小班”，或用 python -m geo ingest 文件 --layer subcompartment --batch 名称 导入。")
NEEDED_EN = ("Carbon needs the forest sub-compartment layer (polygons) with land class, dominant species, age "
             "group, stock per ha (or stock volume) and area; grassland 小班 need a grassland type; the annual "
             "sink also needs an earlier stock per ha and its survey year. Upload it as 'Forest sub-compartments' "
             "or run python -m geo ingest FILE --layer subcompartment --batch NAME.")


# ------------------------------------------------------------------------------ the factor table
@dataclass(frozen=True)
class FactorTable:
    forest: pd.DataFrame  # index: key; zh, aliases (tuple), wood_density, bef, root_shoot, carbon_fraction, source
    grass: pd.DataFrame  # index: key; zh, aliases, carbon_fraction, biomass_t_ha, source
    sources: dict  # source key -> citation (as published: the IPCC's in English)
    path: str
    names: dict = field(default_factory=dict)  # source key -> its name in Chinese (column name_zh), for users


def factor_path(settings=None) -> Path:

    raw = getattr(settings, "carbon_factors", None) or str(PROJECT_ROOT / "data" / "carbon" / "factors.csv")
    path = Path(raw)
    return path if path.is_absolute() else PROJECT_ROOT / path


def factors(settings=None) -> FactorTable:
    path = factor_path(settings)
    try:
        mtime = path.stat().st_mtime
    except OSError:
        raise ConfigError(f"the carbon factor table {path.name} cannot be read",
                          f"碳汇因子表“{path.name}”无法读取（设置 carbon_factors）") from None
    return _load(str(path), mtime)


def _number(frame: pd.DataFrame, col: str, name: str) -> pd.Series:
    values = pd.to_numeric(frame[col], errors="coerce")
    bad = frame.index[values.isna() | (values <= 0)].tolist()
    if bad:
        raise ConfigError(f"{name}: column {col} must be a positive number in rows {bad}",
                          f"碳汇因子表“{name}”中“{col}”列须为正数（{'、'.join(str(b) for b in bad)}）")
    return values.astype(float)


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> FactorTable:
    name = Path(path).name
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as ex:
        raise ConfigError(f"{name} is not a readable CSV ({type(ex).__name__})",
                          f"碳汇因子表“{name}”不是可读取的 CSV 文件") from None
    need = {"kind", "key", "zh", "aliases", *FOREST_COLUMNS, "biomass_t_ha", "source"}
    missing = sorted(need - set(raw.columns))
    if missing:
        raise ConfigError(f"{name} lacks the columns {missing}", f"碳汇因子表“{name}”缺少列：{'、'.join(missing)}")
    raw["aliases"] = [tuple(a for a in (z, *s.split("|")) if a.strip()) for z, s in zip(raw["zh"], raw["aliases"])]
    forest = raw[raw["kind"] == "forest"].set_index("key")
    grass = raw[raw["kind"] == "grassland"].set_index("key")
    for col in FOREST_COLUMNS:
        forest[col] = _number(forest, col, name)
    for col in GRASS_COLUMNS:
        grass[col] = _number(grass, col, name)
    sources, names = {}, {}
    src = Path(path).with_name("sources.csv")
    if src.exists():
        s = pd.read_csv(src, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        sources = dict(zip(s["source"], s["citation"]))
        if "name_zh" in s:
            names = {k: v for k, v in zip(s["source"], s["name_zh"]) if v.strip()}
    return FactorTable(forest=forest, grass=grass, sources=sources, path=path, names=names)


def _clean(text) -> str:
    if text is None or text is pd.NA or (isinstance(text, float) and np.isnan(text)):
        return ""
    return re.sub(r"\s+", "", str(text))


def match(rows: pd.DataFrame, text) -> str | None:
    """The factor row for ``text`` (a species or grassland type): an exact name or alias, else the
    longest alias the text contains ("兴安落叶松林" → larch)."""
    t = _clean(text)
    if not t:
        return None
    best, size = None, 0
    for key, aliases in zip(rows.index, rows["aliases"]):
        for a in aliases:
            a = _clean(a)
            if a == t:
                return key
            if a and a in t and len(a) > size:
                best, size = key, len(a)
    return best


def land_kind(land_class, grass_type=None) -> str:
    """forest | grassland | other, from the 地类 text or code (林地 codes 1xx of the inventory)."""
    t = _clean(land_class)
    if "非林" in t:
        return "other"
    if re.fullmatch(r"0?1\d{2}\d*", t) or any(w in t for w in ("林", "苗圃", "迹地")):
        return "forest"
    if any(w in t for w in ("草", "牧")) or (_clean(grass_type) and not t):
        return "grassland"
    return "other"


# ------------------------------------------------------------------------------ per 小班
def compute(frame: pd.DataFrame, table: FactorTable) -> pd.DataFrame:
    """Per row of ``frame`` (小班 attributes): ``kind, factor, area_used, volume, biomass_t, carbon_t,
    carbon_prev_t, years, sink_tco2_yr, reason`` (``reason`` None where computed)."""
    n = len(frame)
    col = lambda c: frame[c] if c in frame else pd.Series([None] * n, index=frame.index, dtype=object)  # noqa: E731
    num = lambda c: pd.to_numeric(col(c), errors="coerce").astype(float)  # noqa: E731
    pairs = list(zip(map(_clean, col("land_class")), map(_clean, col("grass_type"))))
    kinds = {p: land_kind(*p) for p in set(pairs)}  # (few distinct land classes)
    kind = pd.Series([kinds[p] for p in pairs], index=frame.index, dtype=object)
    area = num("area_ha").where(num("area_ha") > 0, num("area_reported_ha"))
    area = area.where(area > 0)
    species_key = {s: match(table.forest, s) for s in col("species").dropna().unique()}
    fkey = col("species").map(species_key).where(kind == "forest")
    gtext = col("grass_type").where(col("grass_type").notna(), col("land_class"))
    grass_key = {s: match(table.grass, s) for s in gtext.dropna().unique()}
    gkey = gtext.map(grass_key).where(kind == "grassland")
    volume = num("volume_m3").where(num("volume_m3") > 0, num("volume_per_ha") * area)
    f = table.forest.reindex(fkey.fillna("").to_numpy())
    f.index = frame.index
    per_m3 = f["wood_density"] * f["bef"] * (1 + f["root_shoot"])  # t d.m. per m³ of stem
    biomass = pd.Series(np.nan, index=frame.index)
    carbon = pd.Series(np.nan, index=frame.index)
    forest_ok = (kind == "forest") & fkey.notna() & volume.notna() & area.notna()
    biomass[forest_ok] = (volume * per_m3)[forest_ok]
    carbon[forest_ok] = (volume * per_m3 * f["carbon_fraction"])[forest_ok]
    g = table.grass.reindex(gkey.fillna("").to_numpy())
    g.index = frame.index
    grass_ok = (kind == "grassland") & gkey.notna() & area.notna()
    biomass[grass_ok] = (area * g["biomass_t_ha"])[grass_ok]
    carbon[grass_ok] = (area * g["biomass_t_ha"] * g["carbon_fraction"])[grass_ok]
    # earlier survey: the same factors on the earlier stock
    years = (num("survey_year") - num("prev_year")).where(lambda y: y > 0)
    prev = (num("prev_volume_per_ha") * area * per_m3 * f["carbon_fraction"]).where(forest_ok & years.notna())
    sink = pd.Series(np.nan, index=frame.index)
    sink[prev.notna()] = ((carbon - prev) / years * CO2_PER_C)[prev.notna()]
    sink[grass_ok] = 0.0
    reason = pd.Series([None] * n, index=frame.index, dtype=object)
    reason[area.isna()] = "no_area"
    reason[(kind == "forest") & area.notna() & volume.isna()] = "no_volume"
    reason[(kind == "forest") & area.notna() & volume.notna() & fkey.isna()] = "no_factor"
    reason[(kind == "grassland") & area.notna() & gkey.isna()] = "no_grass_factor"
    reason[(kind == "other") & area.notna()] = "other_land"
    return pd.DataFrame({"kind": kind, "factor": fkey.where(kind == "forest", gkey), "area_used": area,
                         "volume": volume.where(kind == "forest"), "biomass_t": biomass, "carbon_t": carbon,
                         "carbon_prev_t": prev, "years": years.where(prev.notna()), "sink_tco2_yr": sink,
                         "reason": reason}, index=frame.index)


# ------------------------------------------------------------------------------ illegal change
def _year(value) -> int:
    t = str(value or "")
    return int(t[:4]) if t[:4].isdigit() else 0


def illegal_loss(store, frame: pd.DataFrame, carbon: pd.DataFrame, as_of=None) -> pd.Series:
    """Carbon (t C) each 小班 of ``frame`` (``id``, ``survey_year``) loses to the change polygons
    verified illegal (as of ``as_of``) that cover it and are not older than its survey: its carbon
    times the covered share of its area (overlapping polygons counted once)."""

    out = pd.Series(0.0, index=frame.index)
    has = carbon["carbon_t"].notna() & (carbon["carbon_t"] > 0)
    if frame.empty or not has.any():
        return out
    change = layer_state(store, "change", as_of, columns=["verdict", "after_date"], where={"verdict": "illegal"})
    if "verdict" in change:
        change = change[change["verdict"] == "illegal"]
    if change.empty:
        return out
    geoms = store.read_layer("change", ids=change["id"].astype(int).tolist(), columns=[], geometry=True)
    after = dict(zip(change["id"].astype(int), change["after_date"]))
    cgeom = geoms.geometry.to_numpy()
    cyear = np.array([_year(after.get(int(i))) for i in geoms["id"]], dtype=int)
    ids = frame.loc[has, "id"].astype(int).tolist()
    boxes = [tuple(b) for b in shapely.bounds(cgeom) if np.isfinite(b).all()]
    if len(boxes) > 200:  # one box around them all rather than a very long query
        boxes = [tuple(shapely.bounds(shapely.union_all(shapely.envelope(cgeom))))]
    subs = store.read_layer("subcompartment", ids=ids, bbox=boxes, columns=[], geometry=True)
    if subs.empty:
        return out
    tree = shapely.STRtree(cgeom)
    si, ci = tree.query(subs.geometry.to_numpy(), predicate="intersects")
    if len(si) == 0:
        return out
    year = pd.to_numeric(frame.set_index("id")["survey_year"], errors="coerce") if "survey_year" in frame else None
    pos = {int(i): k for k, i in enumerate(frame["id"].astype(int))}
    parts, rows = [], []
    for s in np.unique(si):
        sid = int(subs["id"].iat[s])
        sy = year.get(sid) if year is not None else None
        sy = int(sy) if sy is not None and sy == sy else 0
        keep = [c for c in ci[si == s] if not (sy and cyear[c] and cyear[c] < sy)]
        if not keep:
            continue
        covered = shapely.intersection(subs.geometry.iat[s], shapely.union_all(cgeom[keep]))
        parts.append(covered)
        rows.append(pos[sid])
    if not parts:
        return out
    m2, _ = C.areas_m2(np.asarray(parts, dtype=object))
    idx = frame.index[rows]
    share = np.minimum(1.0, (m2 / 10000.0) / carbon.loc[idx, "area_used"].to_numpy())
    out.loc[idx] = carbon.loc[idx, "carbon_t"].to_numpy() * share
    return out


# ------------------------------------------------------------------------------ figures
KEYS = ("carbon_stock_t", "co2_stock_t", "annual_sink_tco2", "illegal_loss_t", "carbon_net_t", "forest_area_ha",
        "grass_area_ha", "uncounted")


def table_of(store, frame: pd.DataFrame, settings=None, as_of=None) -> pd.DataFrame:
    """``frame`` with the computed columns and the illegal loss (``loss_t``)."""
    res = compute(frame, factors(settings))
    res["loss_t"] = illegal_loss(store, frame, res, as_of)
    return pd.concat([frame, res], axis=1)


def _sums(t: pd.DataFrame) -> dict:
    carbon = float(t["carbon_t"].sum())
    loss = float(t["loss_t"].sum())
    sink = t["sink_tco2_yr"]
    return {"carbon_stock_t": round(carbon, 1), "co2_stock_t": round(carbon * CO2_PER_C, 1),
            "annual_sink_tco2": round(float(sink.sum()), 1) if sink.notna().any() else None,
            "illegal_loss_t": round(loss, 1), "carbon_net_t": round(carbon - loss, 1),
            "forest_area_ha": round(float(t.loc[(t["kind"] == "forest") & t["carbon_t"].notna(), "area_used"].sum()), 2),
            "grass_area_ha": round(float(t.loc[(t["kind"] == "grassland") & t["carbon_t"].notna(), "area_used"].sum()), 2),
            "uncounted": int(t["reason"].notna().sum())}


def figures(store, frame: pd.DataFrame, ctx: dict) -> dict:
    """The register's ``custom`` figures, per county and in total (None when there is no 小班)."""
    if frame.empty:
        return {k: {"total": None, "by_county": {}} for k in KEYS}
    t = table_of(store, frame, ctx.get("settings"), ctx.get("as_of"))
    total = _sums(t)
    codes = t["county_code"].astype(object).where(t["county_code"].notna(), NO_COUNTY) \
        if "county_code" in t else pd.Series(NO_COUNTY, index=t.index)
    by = {str(code): _sums(part) for code, part in t.groupby(codes)}
    return {k: {"total": total[k], "by_county": {c: v[k] for c, v in by.items() if v[k] not in (None, 0, 0.0)}}
            for k in KEYS}


def _wan(t) -> str:
    return f"{t / 10000:,.2f}"


def bulletin(figures: dict, ctx: dict) -> str | None:
    """The carbon paragraph in the seeds' wording ("明确碳储量、碳汇潜力")."""
    if "carbon_stock_t" not in figures:
        return None
    where = "全盟" if not ctx.get("counties") else "所选旗县"
    stock = figures["carbon_stock_t"]["total"]
    if stock is None:
        return None  # no 小班 layer yet: the carbon page says what is needed; the bulletin says nothing
    text = (f"碳汇一张图：经测算，{where}林草植被碳储量{_wan(stock)}万吨碳"
            f"（折合二氧化碳{_wan(figures['co2_stock_t']['total'])}万吨）")
    sink = figures["annual_sink_tco2"]["total"]
    if sink is not None:
        text += f"，年碳汇量{_wan(sink)}万吨二氧化碳"
    loss = figures["illegal_loss_t"]["total"] or 0
    if loss:
        text += (f"；违法违规变化图斑造成碳储量损失{loss:,.1f}吨碳，已从碳储量中扣除，"
                 f"扣除后碳储量{_wan(figures['carbon_net_t']['total'])}万吨碳")
    text += "。"
    n = figures["uncounted"]["total"] or 0
    if n:
        text += f"另有{n}个小班因缺少蓄积或因子未计入。"
    return text


# ------------------------------------------------------------------------------ page
def _zone_names(store) -> dict[int, str]:
    z = store.read_layer("zone", columns=["name", "level"], geometry=False)
    return dict(zip(z["id"].astype(int), z["name"]))


def by_zone(store, t: pd.DataFrame, level: str = "township") -> pd.DataFrame:
    """Carbon per responsibility zone of ``level`` (from each 小班's zones)."""
    if t.empty or "zones" not in t:
        return pd.DataFrame()
    zid = []
    for z in t["zones"]:
        try:
            d = json.loads(z) if isinstance(z, str) else (z or {})
        except ValueError:
            d = {}
        zid.append(d.get(level))
    t = t.assign(_zone=zid)
    names = _zone_names(store)
    rows = []
    for z, part in t[t["_zone"].notna()].groupby("_zone"):
        s = _sums(part)
        rows.append({"zone_id": int(z), "zone": names.get(int(z), f"#{int(z)}"), **s})
    return pd.DataFrame(rows)


def panels(store, ctx: dict) -> list:

    zh = ctx.get("lang", "zh") == "zh"
    cols = ["county_code", "county", "zones", *FIGURE_COLUMNS]
    frame = store.read_layer("subcompartment", columns=cols, geometry=False)
    if frame.empty:
        return [O.Notice(NEEDED_ZH if zh else NEEDED_EN, "warning")]
    t = table_of(store, frame, ctx.get("settings"))
    out = []
    demo = any("演示" in str(v) or "合成" in str(v) for v in (*t["source"].dropna(), *t["note"].dropna()))
    if demo:
        out.append(O.Notice("当前小班为合成演示数据（非真实调查），下列碳储量数字仅用于演示计算方法。" if zh else
                            "These sub-compartments are synthetic demo data: the carbon figures only show the method.",
                            "warning"))
    s = _sums(t)
    out.append(O.Metrics((
        ("碳储量（万吨碳）" if zh else "Carbon stock (10⁴ t C)", _wan(s["carbon_stock_t"])),
        ("折合二氧化碳（万吨）" if zh else "As CO₂ (10⁴ t)", _wan(s["co2_stock_t"])),
        ("年碳汇（万吨CO₂/年）" if zh else "Annual sink (10⁴ t CO₂/yr)",
         "—" if s["annual_sink_tco2"] is None else _wan(s["annual_sink_tco2"])),
        ("违法图斑碳损失（吨碳）" if zh else "Lost to illegal change (t C)", f"{s['illegal_loss_t']:,.1f}"),
        ("扣除后碳储量（万吨碳）" if zh else "Net stock (10⁴ t C)", _wan(s["carbon_net_t"])),
        ("未计入小班" if zh else "Not computed", f"{s['uncounted']:,}"),
    )))
    # per county: a choropleth and its table
    counties = store.read_layer("admin", where={"level": "county"}, columns=["code", "name"])
    rows = []
    codes = t["county_code"].astype(object).where(t["county_code"].notna(), NO_COUNTY)
    for code, part in t.groupby(codes):
        rows.append({"code": code, **_sums(part), "n": len(part)})
    per = pd.DataFrame(rows)
    if len(counties) and len(per):
        shown = counties.merge(per, on="code", how="inner")
        label = "碳储量（吨碳）" if zh else "Carbon (t C)"
        shown[label] = shown["carbon_stock_t"].map(lambda v: f"{v:,.1f}")
        sink_l = "年碳汇（吨CO₂）" if zh else "Sink (t CO₂/yr)"
        shown[sink_l] = shown["annual_sink_tco2"].map(lambda v: "—" if v is None or v != v else f"{v:,.1f}")
        loss_l = "违法损失（吨碳）" if zh else "Illegal loss (t C)"
        shown[loss_l] = shown["illegal_loss_t"].map(lambda v: f"{v:,.1f}")
        n_l = "小班数" if zh else "Sub-compartments"
        shown[n_l] = shown["n"]
        out.append(O.Choropleth("各旗县碳储量" if zh else "Carbon stock per county", shown, value="carbon_stock_t",
                                label="name", legend=("颜色越深碳储量越大（按旗县排序分级）" if zh else
                                                      "Darker: more carbon (classes by rank)"),
                                columns=(label, sink_l, loss_l, n_l)))
        table = shown[["name", label, sink_l, loss_l, n_l]].rename(columns={"name": "旗县" if zh else "County"})
        out.append(O.Table("分旗县" if zh else "Per county", table))
    zones = by_zone(store, t)
    if len(zones):
        out.append(O.Table("分苏木乡镇责任区" if zh else "Per township zone", pd.DataFrame({
            "责任区" if zh else "Zone": zones["zone"],
            "碳储量（吨碳）" if zh else "Carbon (t C)": zones["carbon_stock_t"].round(1),
            "年碳汇（吨CO₂）" if zh else "Sink (t CO₂/yr)": zones["annual_sink_tco2"],
            "违法损失（吨碳）" if zh else "Illegal loss (t C)": zones["illegal_loss_t"].round(1)})))
    missing = t[t["reason"].notna()]
    if len(missing):
        why = missing["reason"].map(lambda r: REASONS[r][0 if zh else 1]).value_counts()
        out.append(O.Table("未计入的小班及原因" if zh else "Sub-compartments not computed, and why",
                           pd.DataFrame({"原因" if zh else "Reason": why.index, "小班数" if zh else "Count": why.values})))
    out += source_panels(factors(ctx.get("settings")), zh, ctx.get("access"))
    return out


def source_names(table: FactorTable, zh: bool = True) -> list[str]:
    """Where the factors come from, as a reader names them: in Chinese the source's Chinese name
    (column ``name_zh`` of ``sources.csv``; a bureau's own table without it: its citation), in
    English the citation as published; never the file's codes."""
    keys = list(dict.fromkeys([*table.sources, *table.names]))
    return [(table.names.get(k) or table.sources.get(k) or "") if zh else (table.sources.get(k) or table.names.get(k) or "")
            for k in keys if table.names.get(k) or table.sources.get(k)]


def source_panels(table: FactorTable, zh: bool, access=None) -> list:
    """The factor sources for everyone; the file and the sources' codes (and where the table is
    set) in small print for an administrator only, who is the one to replace or correct them."""
    out = [O.Notice(("碳汇因子来源：" if zh else "Carbon factors from: ") + "；".join(source_names(table, zh)), "info")]
    if access is not None and getattr(access, "is_admin", False):
        out.append(O.Note(("因子表文件 {f}（配置项 carbon_factors），来源代码：{k}" if zh else
                           "Factor file {f} (setting carbon_factors); source codes: {k}")
                          .format(f=Path(table.path).name, k="、".join(table.sources) or "—")))
    return out


def details(store, record: dict, lang: str = "zh") -> list:
    """How this 小班's carbon was computed: the factors, each step, the earlier survey, the loss."""
    zh = lang == "zh"
    frame = pd.DataFrame([{k: record.get(k) for k in ("id", *FIGURE_COLUMNS)}])
    table = factors()
    res = compute(frame, table).iloc[0]
    rows = []
    if res["reason"]:
        rows.append(("未计入" if zh else "Not computed", REASONS[res["reason"]][0 if zh else 1]))
    else:
        if res["kind"] == "forest":
            f = table.forest.loc[res["factor"]]
            rows += [("树种组" if zh else "Species group", f["zh"]),
                     ("蓄积（立方米）" if zh else "Stock (m³)", f"{res['volume']:,.1f}"),
                     ("SVD × BEF × (1+R) × CF", f"{f['wood_density']} × {f['bef']} × (1+{f['root_shoot']}) × "
                                               f"{f['carbon_fraction']}")]
        else:
            g = table.grass.loc[res["factor"]]
            rows += [("草地类型" if zh else "Grassland type", g["zh"]),
                     ("生物量（吨干物质/公顷）× CF" if zh else "Biomass (t d.m./ha) × CF",
                      f"{g['biomass_t_ha']} × {g['carbon_fraction']}")]
        rows += [("面积（公顷）" if zh else "Area (ha)", f"{res['area_used']:,.2f}"),
                 ("生物量（吨）" if zh else "Biomass (t)", f"{res['biomass_t']:,.1f}"),
                 ("碳储量（吨碳）" if zh else "Carbon (t C)", f"{res['carbon_t']:,.2f}"),
                 ("年碳汇（吨CO₂/年）" if zh else "Annual sink (t CO₂/yr)",
                  "—（缺前期调查）" if zh and res["sink_tco2_yr"] != res["sink_tco2_yr"]
                  else ("—" if res["sink_tco2_yr"] != res["sink_tco2_yr"] else f"{res['sink_tco2_yr']:,.2f}"))]
    return [("碳储量计算" if zh else "Carbon computation",
             pd.DataFrame(rows, columns=["项目" if zh else "Item", "值" if zh else "Value"]))]
