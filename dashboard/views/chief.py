"""林长视图 — a chief's (or a zone's) responsibility at a glance: the zone outlined on the map, what
is open in it (待办: change polygons by status and overdue, occupation plots, boards that need
updating, orders to answer, overdue items, other registers' open records), apart from what is on
record in it (台账: 小班, enterprises …), and the patrols of a period. ``?chief=<person id>``
or ``?zone=<zone id>`` opens it directly; the user's county scope applies."""

from __future__ import annotations

import datetime as dt

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.components import fmap
from dashboard.components.common import label, lang, settings, store_or_stop, t
from dashboard.components.text import plain
from dashboard.components.records import PICKER_MAX, PICKER_MIN
from geo.chief import chiefs
from geo.stats import chief as chief_view
from geo.declare import registry as S
from geo.core.errors import GeoError
from geo.engine import display
from geo.core.timeutil import fmt_local, today_local

store = store_or_stop()
zh = lang() == "zh"
st.title("林长视图" if zh else "Forest chief's view")

people = chiefs.chiefs_list(store)
choices = {int(r["holder_id"]): f"{r['holder_name']} · {r['title']}" for r in people.to_dict("records")}
q_chief, q_zone = st.query_params.get("chief"), st.query_params.get("zone")
if q_chief and str(q_chief).isdigit() and st.session_state.get("chief_q") != q_chief:
    st.session_state["chief_q"] = q_chief
    st.session_state["chief_pick"] = int(q_chief)
    st.session_state["chief_mode"] = "chief"
if q_zone and str(q_zone).isdigit() and st.session_state.get("zone_q") != q_zone:
    st.session_state["zone_q"] = q_zone
    st.session_state["zone_pick"] = int(q_zone)
    st.session_state["chief_mode"] = "zone"

c1, c2, c3 = st.columns([1, 3, 2])
mode = c1.radio("查看" if zh else "Show", ["chief", "zone"], key="chief_mode", horizontal=False,
                format_func=lambda m: ("按林长" if zh else "By chief") if m == "chief" else ("按责任区" if zh else "By zone"))
person_id = zone_id = None
if mode == "chief":
    if st.session_state.get("chief_pick") not in choices and st.session_state.get("chief_pick") is not None:
        pid = st.session_state["chief_pick"]
        try:  # a link to a chief outside the user's scope, or unknown: say why
            store.get_feature("person", pid)
            choices[pid] = f"#{pid}"
        except GeoError as err:
            st.warning(plain(err.message(lang())))
            st.session_state.pop("chief_pick")
    person_id = c2.selectbox("林长" if zh else "Chief", list(choices), key="chief_pick", format_func=choices.get,
                             index=None, placeholder="选择林长…" if zh else "Pick a chief…")
else:
    zones = store.read_layer("zone", columns=["name", "level", "county", "valid_to"], geometry=False)
    zones = zones[zones["valid_to"].isna()]
    znames = {int(i): f"{n}（{label('level', lv)}）" for i, n, lv in zip(zones["id"], zones["name"], zones["level"])}
    zone_id = c2.selectbox("责任区" if zh else "Zone", list(znames), key="zone_pick", format_func=znames.get,
                           index=None, placeholder="选择责任区…" if zh else "Pick a zone…")
today = today_local()
period = c3.date_input("巡护期间" if zh else "Patrol period", min_value=PICKER_MIN, max_value=PICKER_MAX, value=(today - dt.timedelta(days=90), today),
                       key="chief_period", format="YYYY-MM-DD")
start, end = (period if isinstance(period, (list, tuple)) and len(period) == 2 else (today - dt.timedelta(days=90), today))

if person_id is None and zone_id is None:
    st.info("选择一位林长或一个责任区，查看其责任区内待办事项与巡护情况。" if zh
            else "Pick a chief or a zone to see what is open in it and its patrols.")
    st.stop()
if person_id is not None:
    st.query_params["chief"] = str(person_id)
    st.query_params.pop("zone", None)
else:
    st.query_params["zone"] = str(zone_id)
    st.query_params.pop("chief", None)

try:
    v = chief_view.view(store, person_id=person_id, zone_id=zone_id, start=start, end=end)
except GeoError as err:
    st.error(plain(err.message(lang())))
    st.stop()

if v["person"] is not None:
    p = v["person"]
    st.markdown(f"**{plain(p['name'])}** · {plain(p.get('unit'))} · {plain(p.get('phone'))}")  # (as typed)
if v["zones"] is None or v["zones"].empty:
    st.warning("该林长目前没有担任林长职务的责任区。" if zh else "This person holds no chief post with a zone.")
    st.stop()
st.caption(("责任区：" if zh else "Zones: ") + "、".join(f"{plain(n)}（{plain(label('level', lv))}）" for n, lv in
                                                     zip(v["zones"]["name"], v["zones"]["level"])))

o = v["open"]
st.subheader(t("chief.todo"))
m = st.columns(6)
m[0].metric("待办变化图斑" if zh else "Open change polygons", o.get("change", {}).get("total", 0))
m[1].metric("其中逾期" if zh else "of which overdue", o.get("change", {}).get("overdue", 0))
m[2].metric("未销号违法占用地块" if zh else "Open occupation plots", o.get("occupation", {}).get("total", 0))
m[3].metric("需更新公示牌" if zh else "Boards to update", o.get("signboard", {}).get("needs_update", 0))
m[4].metric("逾期整改事项" if zh else "Overdue items", 0 if v["items"] is None else len(v["items"]))
m[5].metric("待反馈林长令" if zh else "Orders to answer", 0 if v["orders"] is None else len(v["orders"]))

left, right = st.columns([3, 2], gap="medium")
with left:
    zones = v["zones"]
    minx, miny, maxx, maxy = zones.total_bounds
    zoom = fmap.fit_zoom((minx, miny, maxx, maxy), 700, 480)
    mp = fmap.base_map(((miny + maxy) / 2, (minx + maxx) / 2), zoom, settings().basemap, settings().tianditu_key,
                       None, lang())
    groups = []
    g = folium.FeatureGroup(name="zone")
    folium.GeoJson(fmap.feature_collection(zones.assign(n=zones["name"]), {"n": "n"}, zoom),
                   style_function=lambda f: {"color": "#d95f02", "weight": 3, "fill": False}).add_to(g)
    groups.append(g)
    ch = v["features"].get("change")
    if ch is not None and len(ch):
        g = folium.FeatureGroup(name="change")
        fc = fmap.feature_collection(ch.assign(n=ch.get("polygon_no")), {"id": "id", "s": "status", "n": "n"},
                                     max(zoom, 10), points=True)
        folium.GeoJson(fc, marker=folium.CircleMarker(radius=5, fill=True, fill_opacity=0.9, weight=1),
                       style_function=lambda f: {"color": fmap.STATUS_COLORS.get(f["properties"].get("s"), "#555"),
                                                 "fillColor": fmap.STATUS_COLORS.get(f["properties"].get("s"), "#555")}
                       ).add_to(g)
        groups.append(g)
    if v["patrols"] is not None and len(v["patrols"]):
        pats = v["patrols"]
        g = folium.FeatureGroup(name="patrol")
        folium.GeoJson(fmap.feature_collection(pats.assign(n=pats["actor"]), {"n": "n"}, zoom),
                       style_function=lambda f: {"color": "#7b3294", "weight": 2}).add_to(g)
        groups.append(g)
    if v["boards"] is not None and len(v["boards"]):
        b = v["boards"]
        g = folium.FeatureGroup(name="boards")
        folium.GeoJson(fmap.feature_collection(b.assign(n=b["board_no"]), {"n": "n"}, zoom, points=True),
                       marker=folium.CircleMarker(radius=6, fill=True, fill_opacity=1, weight=2, color="#000",
                                                  fill_color="#ffd92f")).add_to(g)
        groups.append(g)
    for grp in groups:
        fmap.localise(grp)
    st_folium(mp, key="chief_map", height=480, use_container_width=True, feature_group_to_add=groups,
              returned_objects=[])
def _by_kind(groups: dict, count_key: str) -> pd.DataFrame:
    """One row per register: its label, how many, and how many in each status (its own words)."""
    rows = []
    for key, info in groups.items():
        detail = "、".join(f"{S.label('status', s_, lang(), layer=key)} {n}" for s_, n in info.get("by_status", {}).items())
        rows.append((S.layer(key).label(lang()), info.get("total", 0), detail))
    return pd.DataFrame(rows, columns=[t("chief.kind"), t(count_key), t("chief.statuses")])


with right:
    st.caption(t("chief.todo_help"))
    st.dataframe(_by_kind({k: i for k, i in o.items() if k != "signboard"}, "chief.open"),
                 hide_index=True, width="stretch", placeholder="", key="chief_todo")
    if v["orders"] is not None and len(v["orders"]):
        st.caption("待反馈的林长令" if zh else "Orders awaiting the zones' response")
        st.dataframe(v["orders"].assign(overdue=v["orders"]["overdue"].map(
            lambda x: ("已超期" if zh else "overdue") if x else "")).rename(columns={
            "order_no": "令号" if zh else "No.", "subject": "事项" if zh else "Subject",
            "deadline": "反馈时限" if zh else "Deadline", "zone": "责任区" if zh else "Zone",
            "overdue": "逾期" if zh else "Overdue"}), hide_index=True, width="stretch", placeholder="")
    if v["items"] is not None and len(v["items"]):
        st.caption("逾期整改事项" if zh else "Overdue items")
        st.dataframe(v["items"][["code", "problem", "deadline"]].rename(columns={
            "code": "编号" if zh else "No.", "problem": "问题" if zh else "Problem",
            "deadline": "完成时限" if zh else "Deadline"}), hide_index=True, width="stretch", placeholder="")
    if v["boards"] is not None and len(v["boards"]):
        st.caption("需更新的公示牌" if zh else "Boards to update")
        st.dataframe(display.table(S.layer("signboard"), v["boards"], lang()), hide_index=True, width="stretch", placeholder="")
    st.subheader(t("chief.ledger"))
    st.caption(t("chief.ledger_help"))
    if v["stock"]:
        st.dataframe(_by_kind(v["stock"], "chief.count"), hide_index=True, width="stretch", placeholder="",
                     key="chief_ledger")
    else:
        st.caption(t("chief.no_ledger"))
    pats = v["patrols"]
    st.caption(("巡护（{a} 至 {b}）" if zh else "Patrols ({a} to {b})").format(a=start, b=end))
    if pats is None or pats.empty:
        st.caption("期间内无巡护记录" if zh else "No patrols in the period")
    else:
        st.dataframe(pd.DataFrame({
            "巡护人" if zh else "Who": pats["actor"],
            "身份" if zh else "Role": pats["actor_level"].map(lambda x: label("actor_level", x)),
            "开始" if zh else "Started": pats["started_at"].map(fmt_local),
            "里程(公里)" if zh else "km": pats["length_km"].round(1),
        }), hide_index=True, width="stretch", placeholder="")
