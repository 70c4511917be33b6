"""The closure review's pieces shared by pages: its figures per county (the leaders' screen and
the review page) and the review queue's map layer. Figures come from :mod:`geo.change.review_figures`."""

from __future__ import annotations

import json

import folium
import pandas as pd
import streamlit as st
from folium.utilities import JsCode

from dashboard.components.common import t
from geo.change.review import PENDING

STATE_COLOURS = {"new": "#2b83ba", "drawn": "#7b3294", "sampled": "#e66101", "checked": "#1a7837"}


def _n(v, digits: int = 0) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    return f"{v:,.{digits}f}" if isinstance(v, float) else f"{v:,}"


def review_section(review: dict | None, county_names: dict | None = None, title: str | None = None,
                   level: str | None = None, level_name: str | None = None) -> None:
    """The review's figures: one row per county and the total, each row linking to the map filtered
    to the polygons waiting for review there. (A table, not tiles: most of these figures count
    steps — send-backs, checks — rather than polygons the map could show.) With ``level`` (the
    review page, which works one level at a time), the waiting columns are that level's, as in
    the page's header: the same figures, one definition (geo.change.review_figures)."""
    from urllib.parse import urlencode

    if not review:
        return
    st.subheader(title or t("rv.sum_title"))
    names = county_names or {}
    waiting = PENDING[level] if level else ",".join(PENDING.values())
    awaiting, oldest = (f"awaiting_{level}", f"oldest_{level}") if level else ("awaiting", "oldest_days")
    awaiting_head = t("rv.awaiting", level=level_name) if level else t("rv.f_awaiting")

    def row(name, r, county=None):
        query = {"status": waiting, **({"county": county} if county else {})}
        return {
            t("map.county"): name,
            awaiting_head: _n(r[awaiting]),
            t("rv.f_oldest_col"): _n(r[oldest]),
            t("rv.f_approved"): _n(r["approved"]),
            t("rv.f_sent_back"): _n(r["sent_back"]),
            t("rv.f_rate_col"): "—" if r["sent_back_rate"] is None else f"{r['sent_back_rate']:.1f}%",
            t("rv.f_sampled_col"): _n(r["sampled"]),
            t("rv.f_checked_col"): _n(r["checked"]),
            t("rv.f_median"): _n(r["median_days"], 1),
            t("rv.f_resubmitted"): _n(r["resubmitted"]),
            t("rv.f_map"): "/?" + urlencode(query, safe=","),
        }

    rows = [row(t("rv.f_total"), review["total"])]
    rows += [row(names.get(r["county_code"], r["county"]), r, r["county_code"]) for r in review["by_county"]]
    table = pd.DataFrame(rows)
    config = {c: st.column_config.TextColumn(c, alignment="right") for c in table.columns[1:-1]}
    config[t("rv.f_map")] = st.column_config.LinkColumn(t("rv.f_map"), display_text=t("rv.f_map_text"))
    st.dataframe(table, hide_index=True, width="stretch", column_config=config, placeholder="")
    st.caption(t("rv.f_help") if review["by_county"] else t("rv.f_none"))


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

