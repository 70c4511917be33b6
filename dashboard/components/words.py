"""Machine words kept from users: where a register's rule is set in the configuration is told to
an administrator only, in Chinese with the key in small print (issue 22)."""

from __future__ import annotations

import streamlit as st

from dashboard.components.auth import current_access
from dashboard.components.common import t
from dashboard.i18n import STRINGS


def setting_note(lyr) -> None:
    """Under a register's figures: the setting its deadline rule reads, for an administrator."""
    key = lyr.deadline.days_setting if lyr.deadline is not None else None
    access = current_access()
    if not key or access is None or not access.is_admin:
        return
    what = t(f"words.setting.{key}") if f"words.setting.{key}" in STRINGS else key
    st.caption(t("words.setting_admin", what=what, setting=key))
