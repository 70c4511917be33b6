"""领导驾驶舱 — the leaders' summary screen.

Every figure comes from :func:`geo.stats.summary.summary` (cached there until the store changes) and
links, through :func:`geo.stats.summary.link`, to the map or list filtered to exactly the features it
counts. A past date shows the figures as they stood then, rebuilt from the history. Only official
batches inside the jurisdiction count (:mod:`geo.engine.official`); what is left out is listed, and a
reviewer can promote a candidate batch here. The bulletin, ledger and plan buttons produce the same
documents as ``python -m geo report`` for the screen's counties, batches and date; the panel below
them edits the bulletin's settings, recorded actions and sections (:mod:`dashboard.components.bulletin_panel`).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import altair as alt
import folium
import pandas as pd
import streamlit as st
from folium.utilities import JsCode
from streamlit_folium import st_folium

from dashboard.components import bulletin_panel, fmap
from dashboard.components.auth import current_access
from dashboard.components.common import confirm, confirmation, label, lang, settings, show_error, store_or_stop, t
from dashboard.components.text import plain
from dashboard.components.records import PICKER_MAX, PICKER_MIN
from geo.core.errors import GeoError
from geo import report
from geo.engine import official
from geo.stats import summary as stats
from geo.core.timeutil import today_local

PAGES = {"map": "views/map.py", "field": "views/field.py", "items": "views/items.py"}
MIME = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

store = store_or_stop()
access = current_access()
today = today_local()
zh = lang() == "zh"
NODATA = t("common.nodata")


# ------------------------------------------------------------------------------ formatting
def fmt(value, digits: int = 0, unit: str = "") -> str:
    """A figure for the screen: thousands separators, at most ``digits`` decimals, or 无数据."""
    if value is None:
        return NODATA
    if not digits:
        return f"{round(value):,}{unit}"
    return f"{float(value):,.{digits}f}".rstrip("0").rstrip(".") + unit


def money(value) -> str:
    """万元 to 2 decimals, as the bulletin and the ledger print it."""
    return NODATA if value is None else f"{float(value):,.2f}"


def pct(value) -> str:
    return NODATA if value is None else f"{value:g}%"


def share(part, whole):
    return None if part is None or not whole else round(100.0 * part / whole, 1)


def href(page: str, query: dict) -> str:
    """A link relative to this page (works under any base URL path)."""
    path = "./" if page == "map" else f"./{page}"
    return path + ("?" + urlencode(query, safe=",") if query else "")


# ------------------------------------------------------------------------------ filters
batches = store.batches("change")
purposes = official.purposes(store, batches=batches)
# only official batches count; the others are listed below the figures, for a reviewer to promote
batch_names = {int(b): n for b, n in zip(batches["id"], batches["name"]) if purposes.get(int(b)) == "official"}
admin = store.read_layer("admin", where={"level": "county"}, columns=["code", "name"], geometry=False)
county_names = dict(zip(admin["code"], admin["name"]))
scoped = access is not None and access.counties is not None
if scoped:
    county_names = {c: n for c, n in county_names.items() if c in access.counties} or \
        {c: c for c in sorted(access.counties)}

st.title(t("sum.title"))
if scoped and not county_names:  # an account with an empty county scope sees nothing
    st.warning(t("sum.no_scope"))
    st.stop()
f1, f2, f3 = st.columns([4, 4, 2])
f_batch = f1.multiselect(t("sum.batches"), list(batch_names), format_func=lambda b: batch_names[b],
                         key="sum_batch", placeholder=t("sum.all"), select_all=False)
f_county = f2.multiselect(t("sum.counties"), list(county_names), format_func=lambda c: county_names[c],
                          key="sum_county", placeholder=t("sum.all"), select_all=False)


def _not_after_today(day: dt.date) -> dt.date:
    """``day``, or today for a day after it (the figures of the future do not exist): the page then
    says so in the user's language instead of Streamlit's English refusal of a bound."""
    if day > today:
        st.session_state["sum_asof_future"] = day.isoformat()
        return today
    return day


if "sum_asof" not in st.session_state:  # ?as_of=2023-12-09 opens the screen on that day
    try:
        st.session_state["sum_asof"] = _not_after_today(dt.date.fromisoformat(str(st.query_params.get("as_of"))))
    except ValueError:
        st.session_state["sum_asof"] = today
# Streamlit's date_input applies a typed date only when its calendar closes (old figures stood
# beside the new date), so the date is a text box that applies on Enter or on leaving it, with
# the calendar beside it for picking (a pick applies at once).


def _as_of_typed():
    try:
        st.session_state["sum_asof"] = _not_after_today(dt.date.fromisoformat(str(st.session_state["sum_asof_text"]).strip()))
        st.session_state.pop("sum_asof_bad", None)
    except ValueError:
        st.session_state["sum_asof_bad"] = True
    st.session_state["sum_asof_text"] = st.session_state["sum_asof"].isoformat()


def _as_of_picked():
    st.session_state["sum_asof"] = _not_after_today(st.session_state["sum_asof_pick"])
    st.session_state["sum_asof_text"] = st.session_state["sum_asof"].isoformat()


st.session_state.setdefault("sum_asof_text", st.session_state["sum_asof"].isoformat())
st.session_state["sum_asof_pick"] = st.session_state["sum_asof"]
d1, d2 = f3.columns([4, 1], vertical_alignment="bottom")
d1.text_input(t("sum.as_of"), key="sum_asof_text", on_change=_as_of_typed, help=t("sum.as_of_help"),
              placeholder="如 2023-12-09" if lang() == "zh" else "YYYY-MM-DD")
with d2.popover("", icon=":material/calendar_month:"):
    # (no bound of Streamlit's own: a future day is answered in the user's language below)
    st.date_input(t("sum.as_of"), min_value=PICKER_MIN, max_value=PICKER_MAX, key="sum_asof_pick",
                  on_change=_as_of_picked, format="YYYY-MM-DD", label_visibility="collapsed")
if st.session_state.pop("sum_asof_bad", None):
    f3.caption("日期格式：年-月-日，如 2023-12-09" if lang() == "zh" else "Date format: YYYY-MM-DD")
if st.session_state.get("sum_asof_future"):
    f3.warning(t("forms.future_as_of", day=st.session_state.pop("sum_asof_future"), today=today.isoformat()))
f_date = st.session_state["sum_asof"]
as_of = f_date if f_date < today else None
historic = as_of is not None
counties = list(f_county) or (sorted(county_names) if scoped else [])
batch_ids = sorted(int(b) for b in f_batch)

# the headline figures first: the trend, the registers and the closure review (most of the time
# of a fresh count, e.g. after any write) are counted once the figure tiles are on their way
fig = stats.summary(store, as_of=as_of, batch_ids=batch_ids, counties=counties, extras=False)
day = fig["as_of"]
st.caption(t("sum.caption", org=plain(settings().org_name), date=day))
if scoped:
    st.caption(t("sum.scope_note", names=plain("、".join(county_names.values()))))
if historic:
    st.info(t("sum.historic", date=day), icon=":material/history:")


LINKS = official.link_filters(fig)  # exactly what the figures count (official batches, the jurisdiction)


def link_of(key: str, county: str | None = None) -> tuple[str, dict]:
    return stats.link(key, batch_ids=LINKS["batch_ids"], counties=[county] if county else LINKS["counties"],
                      year=fig["restoration"].get("year"))


def tile(col, title: str, value: str, key: str, sub: str | None = None, help: str | None = None):
    """A figure with the link to exactly the features it counts."""
    with col.container(border=True):
        st.metric(title, value, delta=sub, delta_color="off", delta_arrow="off", help=help)
        page, query = link_of(key)
        st.page_link(PAGES[page], label=t("sum.open_map" if page == "map" else "sum.open_list"),
                     query_params=query, disabled=historic, icon=":material/arrow_outward:")


def link_column(key: str):
    return st.column_config.LinkColumn(t(key), display_text=t("sum.col_map_text"), width="small")


def tip(row: dict | None) -> str:
    """The map tooltip of a county: its closure rate (closed / total)."""
    if not row or row["closed_pct"] is None:
        return NODATA
    return f"{t('sum.closed')} {pct(row['closed_pct'])}（{row['closed']}/{row['total']}）"


def md_links(pairs: list[tuple[str, str]]) -> None:
    """``label count`` pairs as links on one line (the labels are this app's own strings, or a
    code as stored when it has none: text either way)."""
    parts = []
    for text, key in pairs:
        if historic:
            parts.append(plain(text))
        else:
            page, query = link_of(key)
            parts.append(f"[{plain(text)}]({href(page, query)})")
    st.markdown(" · ".join(parts))


# ------------------------------------------------------------------------------ what does not count
sc = fig["scope"]
confirmation("promote")
if sc["excluded"] or sc["outside_jurisdiction"]:
    parts = [t("sum.excluded_batch", name=plain(b["name"]), purpose=official.label(b["purpose"], lang()), n=b["n"])
             for b in sc["excluded"]]
    if sc["outside_jurisdiction"]:
        parts.append(t("sum.excluded_outside", n=sc["outside_jurisdiction"]))
    st.caption(t("sum.excluded", what=("；" if zh else "; ").join(parts)), help=t("sum.excluded_help"))
    review = [b for b in sc["excluded"] if b["purpose"] in ("candidate", "test")]
    if review and access is not None and access.role in official.REVIEW_ROLES and not historic:
        with st.expander(t("sum.review", n=len(review)), icon=":material/fact_check:"):
            st.caption(t("sum.review_help"))
            p1, p2 = st.columns([3, 1], vertical_alignment="bottom")
            pick = p1.selectbox(t("sum.promote_pick"), [b["batch_id"] for b in review], key="sum_promote_pick",
                                format_func=lambda b: next(x["name"] for x in review if x["batch_id"] == b))
            if p2.button(t("sum.promote"), key="sum_promote", icon=":material/verified:"):
                try:
                    official.promote(store, pick, actor=access.user, access=access)
                except GeoError as err:
                    show_error(err)
                else:
                    confirm(t("sh.promoted", name=next(x["name"] for x in review if x["batch_id"] == pick)), "promote")
                    st.rerun()

# ------------------------------------------------------------------------------ reports
# the documents carry the screen's filters: counties (an account's own when it is limited to some),
# batches and the as-of date
REPORT_FILTERS = {"as_of": as_of, "batch_ids": batch_ids or None, "counties": counties or None}
st.session_state["sum_report_filters"] = REPORT_FILTERS
scope_name = "、".join(county_names.get(c, c) for c in counties) if counties else ""
with st.expander(t("sum.reports"), icon=":material/description:"):
    st.caption(t("sum.reports_for", scope=plain(scope_name) or t("sum.all_counties"),  # (names as typed)
                 batches=(plain("、".join(batch_names[b] for b in batch_ids)) if batch_ids else t("sum.all_official")),
                 date=day))
    cols = st.columns(3)
    for col, fmt_, label_key in ((cols[0], "docx", "sum.bulletin"), (cols[1], "xlsx", "sum.ledger"),
                                 (cols[2], "plan-docx", "sum.plan")):
        col.download_button(
            t(label_key),
            data=lambda f=fmt_: report.render(store, f, settings=settings(), **REPORT_FILTERS),
            file_name=report.file_name(fmt_, settings(), as_of, scope=scope_name),
            mime=MIME["xlsx" if fmt_ == "xlsx" else "docx"], key=f"sum_dl_{fmt_}", icon=":material/download:",
            on_click="ignore",
        )
    st.caption(t("sum.reports_help"))
if access is not None and access.role in bulletin_panel.EDIT_ROLES:
    with st.expander(t("bp.title"), icon=":material/edit_note:"):
        bulletin_panel.render(store, access, counties, as_of)

c = fig["change"]
if c["total"] == 0:
    st.info(t("sum.empty"))

# ------------------------------------------------------------------------------ change polygons
st.subheader(t("sum.change"))
row1 = st.columns(5)
tile(row1[0], t("sum.total"), fmt(c["total"] if c["total"] else None), "change.total",
     sub=t("sum.n_batches", n=len(fig["by_batch"])) if c["total"] else None)
tile(row1[1], t("sum.verified"), fmt(c["verified"]), "change.verified",
     sub=t("sum.rate_verified", v=pct(c["verified_pct"])))
tile(row1[2], t("sum.illegal"), fmt(c["illegal"]), "change.illegal",
     sub=t("sum.of_verified", v=pct(share(c["illegal"], c["verified"]))))
tile(row1[3], t("sum.case_filed"), fmt(c["case_filed"]), "change.case_filed",
     sub=t("sum.of_illegal", v=pct(share(c["case_filed"], c["illegal"]))))
tile(row1[4], t("sum.penalized"), fmt(c["penalized"]), "change.penalized",
     sub=t("sum.of_illegal", v=pct(share(c["penalized"], c["illegal"]))))
row2 = st.columns(5)
tile(row2[0], t("sum.rectified"), fmt(c["rectified"]), "change.rectified",
     sub=t("sum.of_illegal", v=pct(share(c["rectified"], c["illegal"]))))
tile(row2[1], t("sum.closed"), fmt(c["closed"]), "change.closed",
     sub=t("sum.rate_closed", v=pct(c["closed_pct"])))
tile(row2[2], t("sum.overdue"), fmt(c["overdue"]), "change.overdue",
     sub=(t("sum.overdue_unknown", n=c["overdue_unknown"]) if c.get("overdue_unknown")
          else t("sum.of_open", v=pct(share(c["overdue"], c["open"])))))
tile(row2[3], t("sum.fines"), money(c["fines_wan"]), "change.fines",
     sub=t("sum.yuan", v=fmt(c["fines_yuan"], 2)) if c["fines_yuan"] is not None else None,
     help=t("sum.fines_exact", v=c["fines_wan"]) if c["fines_wan"] is not None else t("sum.nodata_hint"))
tile(row2[4], t("sum.illegal_area"), fmt(c["illegal_area_ha"], 2), "change.illegal_area",
     sub=t("sum.mu", v=fmt(c["illegal_area_mu"], 2)) if c["illegal_area_mu"] is not None else None)

# ------------------------------------------------------------------------------ funnel + trend
fig = stats.summary(store, as_of=as_of, batch_ids=batch_ids, counties=counties)  # with the extras
left, right = st.columns(2)
with left:
    st.markdown(f"**{t('sum.funnel')}**")
    if c["total"]:
        order = [t(f"sum.funnel.{k}") for k, _, _ in stats.FUNNEL]
        data = pd.DataFrame({"stage": order, "n": [c["funnel"][k] or 0 for k, _, _ in stats.FUNNEL]})
        base = alt.Chart(data).encode(
            y=alt.Y("stage:N", sort=order, title=None),
            x=alt.X("n:Q", title=t("sum.count")),
            tooltip=[alt.Tooltip("stage:N", title=t("sum.stage")),
                     alt.Tooltip("n:Q", title=t("sum.count"))],
        )
        chart = base.mark_bar(color="#1a7837") + base.mark_text(align="left", dx=3).encode(text="n:Q")
        st.altair_chart(chart.properties(height=260), width="stretch")
        md_links([(f"{t(f'sum.funnel.{k}')} {fmt(c['funnel'][k])}", f"change.{k}")
                  for k, _, _ in stats.FUNNEL])
        st.caption(t("sum.funnel_help"))
        st.markdown(f"**{t('sum.by_status')}**")
        md_links([(f"{label('status', s)} {fmt(n)}", f"change.status.{s}")
                  for s, n in c["by_status"].items() if n])
    else:
        st.caption(NODATA)
with right:
    st.markdown(f"**{t('sum.trend')}**")
    trend = pd.DataFrame(fig["trend"])
    if len(trend):
        span = st.segmented_control(
            t("sum.trend_range"), ["52", "all"], default="52", key="sum_trend_span",
            format_func=lambda k: t("sum.trend_52" if k == "52" else "sum.trend_all"),
            label_visibility="collapsed")
        if span != "all":
            trend = trend.tail(52)
        long = trend.melt(id_vars="week", value_vars=["verified", "closed"], var_name="s", value_name="n")
        long["series"] = long["s"].map(lambda s: t(f"sum.trend.{s}"))
        long["week"] = pd.to_datetime(long["week"])
        chart = alt.Chart(long).mark_line(point=alt.OverlayMarkDef(size=18)).encode(
            x=alt.X("week:T", title=t("sum.week"), axis=alt.Axis(format="%Y-%m-%d", labelAngle=-30)),
            y=alt.Y("n:Q", title=t("sum.count")),
            color=alt.Color("series:N", title=t("sum.series"), scale=alt.Scale(range=["#2b83ba", "#1a7837"]),
                            legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("week:T", title=t("sum.week"), format="%Y-%m-%d"),
                     alt.Tooltip("series:N", title=t("sum.series")),
                     alt.Tooltip("n:Q", title=t("sum.count"))],
        )
        st.altair_chart(chart.properties(height=330), width="stretch")
    else:
        st.caption(NODATA)

# ------------------------------------------------------------------------------ ageing + map
left, right = st.columns(2)
with left:
    st.markdown(f"**{t('sum.ageing')}**")
    if c["overdue"] is None:
        st.caption(NODATA)
    elif not c["overdue"]:
        st.caption(t("sum.no_overdue"))
    else:
        buckets = [k for k, _, _ in stats.AGEING]
        names = [t(f"sum.ageing.{b}") for b in buckets]
        rows = [{"bucket": name, "county": r["county"], "n": (r.get("ageing") or {}).get(b, 0)}
                for r in fig["by_county"] for b, name in zip(buckets, names)]
        data = pd.DataFrame(rows)
        data = data[data["n"] > 0]
        chart = alt.Chart(data).mark_bar().encode(
            x=alt.X("bucket:N", sort=names, title=t("sum.ageing_days"), axis=alt.Axis(labelAngle=0),
                    scale=alt.Scale(domain=names)),
            y=alt.Y("sum(n):Q", title=t("sum.count")),
            color=alt.Color("county:N", title=t("sum.county"), legend=alt.Legend(orient="bottom", columns=3)),
            tooltip=[alt.Tooltip("county:N", title=t("sum.county")),
                     alt.Tooltip("bucket:N", title=t("sum.ageing_days")),
                     alt.Tooltip("sum(n):Q", title=t("sum.count"))],
        )
        st.altair_chart(chart.properties(height=300), width="stretch")
        md_links([(f"{t('sum.overdue')} {fmt(c['overdue'])}", "change.overdue")])


def _colour(rate, lo: float, hi: float) -> str:
    """Closure rate → fill colour from red (lowest shown) through yellow to green (highest shown);
    grey for no data."""
    if rate is None:
        return "#bdbdbd"
    x = 1.0 if hi <= lo else max(0.0, min(1.0, (float(rate) - lo) / (hi - lo)))
    stops = [(0.0, (215, 48, 39)), (0.5, (254, 224, 139)), (1.0, (26, 152, 80))]
    for (x0, c0), (x1, c1) in zip(stops, stops[1:]):
        if x <= x1:
            k = (x - x0) / (x1 - x0)
            return "#%02x%02x%02x" % tuple(round(a + (b - a) * k) for a, b in zip(c0, c1))
    return "#1a9850"


@st.cache_data(show_spinner=False, max_entries=4)
def county_shapes(url: str, tok: str) -> pd.DataFrame:
    frame = store.read_layer("admin", where={"level": "county"}, columns=["code", "name"])
    return frame


CHORO_JS = """
function(feature, layer) {
  var p = feature.properties;
  var fill = /^#[0-9a-f]{6}$/.test(p.f) ? p.f : '#bdbdbd';
  layer.setStyle({color: '#444444', weight: 1.2, fillColor: fill, fillOpacity: 0.75});
  var el = document.createElement('span');
  el.textContent = String(p.n) + ' · ' + String(p.r);
  layer.bindTooltip(el, {sticky: true});
}
"""

with right:
    st.markdown(f"**{t('sum.map')}**")
    shapes = county_shapes(store.url, stats.token(store))
    if counties:
        shapes = shapes[shapes["code"].isin(counties)]
    if len(shapes):
        rates = {r["county_code"]: r for r in fig["by_county"]}
        shapes = shapes.copy()
        shown = [r["closed_pct"] for code, r in rates.items() if r["closed_pct"] is not None
                 and code in set(shapes["code"])]
        lo, hi = (min(shown), max(shown)) if shown else (0.0, 100.0)
        shapes["f"] = [_colour((rates.get(code) or {}).get("closed_pct"), lo, hi) for code in shapes["code"]]
        shapes["r"] = [tip(rates.get(code)) for code in shapes["code"]]
        minx, miny, maxx, maxy = shapes.total_bounds
        zoom = fmap.fit_zoom((minx, miny, maxx, maxy), 520, 470)
        fc = fmap.feature_collection(shapes, {"n": "name", "r": "r", "f": "f", "c": "code"}, zoom)
        group = folium.FeatureGroup(name="closure")
        folium.GeoJson(fc, name="closure", on_each_feature=JsCode(CHORO_JS)).add_to(group)
        s = settings()
        m = fmap.base_map(((miny + maxy) / 2, (minx + maxx) / 2), zoom, s.basemap, s.tianditu_key, None,
                          lang())
        st_folium(m, key="sum_map", height=500, use_container_width=True,
                  feature_group_to_add=fmap.finish([group]), returned_objects=[])
        st.caption(t("sum.map_legend", lo=pct(lo if shown else None), hi=pct(hi if shown else None)))
    else:
        st.caption(NODATA)

# ------------------------------------------------------------------------------ county ranking
st.subheader(t("sum.ranking"))
if fig["by_county"]:
    rest_col = t("sum.rest_done_short")
    text_cols = [t("sum.total"), t("sum.verified_pct"), t("sum.illegal"), t("sum.closed"), t("sum.overdue"),
                 t("sum.fines"), rest_col, t("sum.boards_total"), t("sum.patrol_count")]
    table = pd.DataFrame([{
        t("sum.rank"): r["rank"],
        t("sum.county"): r["county"],
        t("sum.rate"): r["closed_pct"],
        t("sum.total"): fmt(r["total"] or None),
        t("sum.verified_pct"): fmt(r["verified_pct"], 1),
        t("sum.illegal"): fmt(r["illegal"]),
        t("sum.closed"): fmt(r["closed"]),
        t("sum.overdue"): fmt(r["overdue"]),
        t("sum.fines"): money(r["fines_wan"]),
        rest_col: fmt(r.get("restoration_completed_wanmu"), 4),
        t("sum.boards_total"): fmt(r.get("signboards")),
        t("sum.patrol_count"): fmt(r.get("patrols")),
        t("sum.col_map"): href(*link_of("change.total", county=r["county_code"])),
    } for r in fig["by_county"]])
    config = {k: st.column_config.TextColumn(k, alignment="right") for k in text_cols}
    config[rest_col] = st.column_config.TextColumn(rest_col, alignment="right",
                                                   help=t("sum.rest_done_help", y=fig["restoration"].get("year")))
    config[t("sum.rank")] = st.column_config.NumberColumn(t("sum.rank"), width="small")
    config[t("sum.rate")] = st.column_config.ProgressColumn(t("sum.rate"), min_value=0, max_value=100,
                                                            format="%.1f%%", width="small")
    config[t("sum.col_map")] = link_column("sum.col_map")
    st.dataframe(table, hide_index=True, width="stretch", column_config=config, placeholder="")
    st.caption(t("sum.ranking_help"))
if fig["by_batch"]:
    with st.expander(t("sum.by_batch")):
        cols_ = [("sum.total", "total", 0), ("sum.verified", "verified", 0), ("sum.illegal", "illegal", 0),
                 ("sum.case_filed", "case_filed", 0), ("sum.fines", "fines_wan", 2),
                 ("sum.closed", "closed", 0), ("sum.overdue", "overdue", 0)]
        batch_table = pd.DataFrame([{
            t("sum.batch"): b["name"],
            t("batch.purpose"): official.label(purposes.get(b["batch_id"]), lang()),
            **{t(label_): money(b[key]) if key == "fines_wan" else fmt(b[key], digits)
               for label_, key, digits in cols_},
            t("sum.rate"): pct(b["closed_pct"]),
            t("sum.col_map"): href(*stats.link("change.total", batch_ids=[b["batch_id"]], counties=LINKS["counties"])),
        } for b in fig["by_batch"]])
        config = {t(k): st.column_config.TextColumn(t(k), alignment="right")
                  for k in [k for k, _, _ in cols_] + ["sum.rate"]}
        config[t("sum.col_map")] = link_column("sum.col_map")
        st.dataframe(batch_table, hide_index=True, width="stretch", column_config=config, placeholder="")

# ------------------------------------------------------------------------------ closure review (geo.change.review)
from dashboard.components.review_summary import review_section  # noqa: E402

review_section(fig.get("review"), county_names)

# ------------------------------------------------------------------------------ other layers
st.subheader(f"{t('sum.occupation')} · {t('sum.restoration')}")
o, r = fig["occupation"], fig["restoration"]
cols = st.columns(5)
tile(cols[0], t("sum.occ_total"), fmt(o["total"] or None), "occupation.total",
     sub=t("sum.ha", v=fmt(o["area_ha"], 2)) if o["area_ha"] is not None else None)
tile(cols[1], t("sum.delisted"), fmt(o["delisted"]), "occupation.delisted",
     sub=t("sum.of_cases", v=pct(share(o["delisted"], o["total"]))) if o["total"] else None)
y = r.get("year_figures") or {}
year = r.get("year") or today.year
tile(cols[2], t("sum.rest_planned", y=year), fmt(y.get("planned_wanmu"), 4), "restoration.year",
     sub=t("sum.rest_done", v=fmt(y.get("completed_wanmu"), 4)) if y else None)
tile(cols[3], t("sum.rest_accepted"), fmt(y.get("accepted_wanmu"), 4), "restoration.accepted",
     sub=t("sum.of_completed", v=pct(share(y.get("accepted_wanmu"), y.get("completed_wanmu"))))
     if y else None)
tile(cols[4], t("sum.paid"), pct(y.get("paid_pct")), "restoration.year",
     sub=t("sum.paid_detail", paid=fmt((y.get("paid_yuan") or 0) / 1e4, 2),
           budget=fmt((y.get("budget_yuan") or 0) / 1e4, 2)) if y else None)
if o["total"]:
    md_links([(f"{label('status', s_)} {n}", f"occupation.stage.{s_}")
              for s_, n in o["by_stage"].items() if n])
if r.get("by_year"):
    st.caption(t("sum.rest_years") + ("：" if zh else ": ") + ("；" if zh else "; ").join(
        t("sum.rest_year", y=b["year"], done=fmt(b["completed_wanmu"], 4), plan=fmt(b["planned_wanmu"], 4),
          paid=pct(b["paid_pct"]))
        for b in r["by_year"]))

st.subheader(f"{t('sum.signboards')} · {t('sum.patrols')}")
sb, p = fig["signboards"], fig["patrols"]
cols = st.columns(5)
tile(cols[0], t("sum.boards_total"), fmt(sb["total"] or None), "signboards.total",
     sub=t("sum.boards_ok", n=fmt(sb["ok"])) if sb["total"] else None)
tile(cols[1], t("sum.stale"), fmt(sb["stale"]), "signboards.stale",
     sub=t("sum.stale_detail", n=sb["stale_unrecorded"]) if sb.get("stale_unrecorded") else None,
     help=t("sum.stale_help"))
tile(cols[2], t("sum.damaged"), fmt(sb["damaged"]), "signboards.damaged",
     sub=t("sum.of_boards", v=pct(share(sb["damaged"], sb["total"]))) if sb["total"] else None)
tile(cols[3], t("sum.patrol_count"), fmt(p["count"] or None), "patrols.total",
     sub=f"{fmt(p['km'], 1)} {t('unit.km')} · {fmt(p['hours'], 1)} {t('unit.h')}" if p["count"] else None)
tile(cols[4], t("sum.visited"), pct(p["open_visited_pct"]), "patrols.visited",
     sub=t("sum.visited_detail", v=p["open_visited"], n=p["open_total"])
     if p["open_visited_pct"] is not None else None, help=t("sum.visited_help", m=int(p["visit_metres"])))
if sb["total"]:
    md_links([(f"{label('level', lvl)} {n}", f"signboards.level.{lvl}")
              for lvl, n in sb["by_level"].items()])
if p["count"]:
    levels = pd.DataFrame([{
        t("sum.level"): label("actor_level", lvl), t("sum.patrol_count"): v["count"],
        t("sum.patrol_km"): v["km"], t("sum.patrol_hours"): v["hours"],
        t("sum.col_list"): href(*link_of(f"patrols.level.{lvl}")),
    } for lvl, v in p["by_level"].items()])
    st.dataframe(levels, hide_index=True, width="stretch",
                 column_config={t("sum.col_list"): link_column("sum.col_list")}, placeholder="")

st.subheader(t("sum.items"))
it = fig["items"]
_marked = bulletin_panel.marked_done_but_open(store, counties, as_of)
if _marked:
    st.caption(t("sum.items_marked_open", n=_marked))
cols = st.columns(4)
for col, key, k in ((cols[0], "sum.items_done", "done"), (cols[1], "sum.items_progress", "in_progress"),
                    (cols[2], "sum.items_long", "long_term"), (cols[3], "sum.items_overdue", "overdue")):
    tile(col, t(key), fmt(it[k]), f"items.{k}",
         sub=t("sum.of_items", v=pct(share(it[k], it["total"]))) if it["total"] else None)

# every declared register's figures (geo.declare.registry), grouped as in the menu
from dashboard.components import register_figures  # noqa: E402

register_figures.show(fig, {r["county_code"]: r["county"] for r in fig.get("by_county", [])})
