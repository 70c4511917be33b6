"""批次上传 — data staff upload new remote-sensing polygon batches."""

from __future__ import annotations

import streamlit as st

from dashboard.components.common import lang, settings, store_or_stop, t

store = store_or_stop()
st.title(t("up.title"))
st.file_uploader("选择批次文件" if lang() == "zh" else "Choose a batch file", key="upload_file")
