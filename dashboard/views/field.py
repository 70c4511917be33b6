"""公示牌·巡护·修复 — signboards, patrols and restoration areas."""

from __future__ import annotations

import streamlit as st

from dashboard.components.common import store_or_stop, t

store = store_or_stop()
st.title(t("field.title"))
st.dataframe(store.read_layer("signboard", geometry=False).head(50), hide_index=True)
