"""整改事项 — the rectification items of the inspection feedback."""

from __future__ import annotations

import streamlit as st

from dashboard.components.common import store_or_stop, t

store = store_or_stop()
st.title(t("items.title"))
st.dataframe(store.items(), hide_index=True)
