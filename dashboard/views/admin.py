"""系统管理 — accounts and the store."""

from __future__ import annotations

import streamlit as st

from dashboard.components.common import store_or_stop, t

store = store_or_stop()
st.title(t("admin.title"))
st.dataframe(store.users(), hide_index=True)
