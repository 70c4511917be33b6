"""The closure review's pieces shared by pages: its figures per county (the leaders' screen and
the review page) and the review queue's map layer. Figures come from :mod:`geo.review_figures`."""

from __future__ import annotations

import json

import folium
import pandas as pd
import streamlit as st
from folium.utilities import JsCode

from dashboard.components.common import lang, t

STATE_COLOURS = {"new": "#2b83ba", "drawn": "#7b3294", "sampled": "#e66101", "checked": "#1a7837"}


def _n(v, digits: int = 0) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    return f"{v:,.{digits}f}" if isinstance(v, float) else f"{v:,}"


def review_section(review: dict | None, county_names: dict | None = None, title: str | None = None) -> None:
    """The review's figures: totals, then one row per county."""
    if not review:
        return
    st.subheader(title or t("rv.sum_title"))
    tot = review["total"]
    cols = st.columns(6)
    cols[0].metric(t("rv.f_awaiting"), _n(tot["awaiting"]),
                   help=t("rv.f_oldest", d=_n(tot["oldest_days"])) if tot["oldest_days"] is not None else None)
    cols[1].metric(t("rv.f_approved"), _n(tot["approved"]))
    cols[2].metric(t("rv.f_sent_back"), _n(tot["sent_back"]) + (f"（{t('rv.f_rate', v=_n(tot['sent_back_rate'], 1))}）"
                                                                if tot["sent_back_rate"] is not None else ""))
    cols[3].metric(t("rv.f_sampled"), f"{_n(tot['sampled'])} / {_n(tot['checked'])}", help=t("rv.f_sampled_help"))
    cols[4].metric(t("rv.f_median"), _n(tot["median_days"], 1))
    cols[5].metric(t("rv.f_resubmitted"), _n(tot["resubmitted"]))
    if not review["by_county"]:
        st.caption(t("rv.f_none"))
        return
    names = county_names or {}
    table = pd.DataFrame([{
        t("map.county"): names.get(r["county_code"], r["county"]),
        t("rv.f_awaiting"): _n(r["awaiting"]),
        t("rv.f_oldest_col"): _n(r["oldest_days"]),
        t("rv.f_approved"): _n(r["approved"]),
        t("rv.f_sent_back"): _n(r["sent_back"]),
        t("rv.f_rate_col"): "—" if r["sent_back_rate"] is None else f"{r['sent_back_rate']:.1f}%",
        t("rv.f_sampled_col"): _n(r["sampled"]),
        t("rv.f_checked_col"): _n(r["checked"]),
        t("rv.f_median"): _n(r["median_days"], 1),
        t("rv.f_resubmitted"): _n(r["resubmitted"]),
    } for r in review["by_county"]])
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={c: st.column_config.TextColumn(c, alignment="right") for c in table.columns[1:]})
    st.caption(t("rv.f_help"))


def queue_layer(fc: dict) -> folium.FeatureGroup:
    """Queue polygons coloured by where they stand (new / drawn / sampled / checked); labels are
    placed with ``textContent``, never as HTML (PITFALLS §3)."""
    js = """
function(feature, layer) {
  var colours = %s, p = feature.properties, c = colours[p.k] || '#888888';
  layer.setStyle({color: p.sel ? '#000000' : c, weight: p.sel ? 4 : 1.5, fill: true, fillColor: c,
                  fillOpacity: layer.setRadius ? 0.85 : 0.45});
  var el = document.createElement('span');
  el.textContent = String(p.n === undefined ? ('#' + p.id) : p.n);
  layer.bindTooltip(el, {sticky: true});
}
""" % json.dumps(STATE_COLOURS)
    fg = folium.FeatureGroup(name="review")
    folium.GeoJson(fc, name="review_queue", on_each_feature=JsCode(js),
                   marker=folium.CircleMarker(radius=5, weight=1, fill=True)).add_to(fg)
    return fg


__all__ = ["review_section", "queue_layer", "lang"]
