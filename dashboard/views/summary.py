"""领导驾驶舱 — the leaders' summary screen."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components.common import lang, store_or_stop, t
from geo.stats import summary

store = store_or_stop()
st.title(t("sum.title"))
figs = summary(store)
c = figs["change"]


def show(value, unit=""):
    return t("common.nodata") if value is None else f"{value:,}{unit}" if isinstance(value, int) else f"{value}{unit}"


zh = lang() == "zh"
cols = st.columns(6)
cols[0].metric("下发图斑" if zh else "Issued", show(c["total"]))
cols[1].metric("已核查" if zh else "Verified", show(c["verified"]), show(c["verified_pct"], "%"), delta_color="off")
cols[2].metric("违法图斑" if zh else "Illegal", show(c["illegal"]))
cols[3].metric("已销号" if zh else "Closed", show(c["closed"]), show(c["closed_pct"], "%"), delta_color="off")
cols[4].metric("逾期" if zh else "Overdue", show(c["overdue"]))
cols[5].metric("罚款（万元）" if zh else "Fines (10k yuan)", show(c["fines_wan"]))
if c["total"] == 0:
    st.info(t("common.empty_store"))
if figs["by_county"]:
    st.subheader("分旗县" if zh else "By county")
    st.dataframe(pd.DataFrame(figs["by_county"]).drop(columns=["county_code"]), hide_index=True, width="stretch")
