"""The naive map page, for bench/map.py only: every change polygon in one folium.GeoJson with a
tooltip, shipped whole to the browser on every run (what PITFALLS §2 warns about)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import folium  # noqa: E402
import streamlit as st  # noqa: E402
from streamlit_folium import st_folium  # noqa: E402

from dashboard.components import fmap  # noqa: E402
from geo.store import open_store  # noqa: E402

st.set_page_config(layout="wide")
store = open_store(os.environ["FOREST_DB"])
frame = store.read_layer("change", columns=["polygon_no", "county", "status", "area_ha"])
view = fmap.parse_view(st.query_params.get("view")) or (46.0, 121.5, 7)
m = folium.Map(location=view[:2], zoom_start=view[2], tiles=None)
folium.GeoJson(frame, tooltip=folium.GeoJsonTooltip(["polygon_no", "county", "status", "area_ha"])).add_to(m)
fmap.localise(m)
st_folium(m, height=620, use_container_width=True, returned_objects=[])
