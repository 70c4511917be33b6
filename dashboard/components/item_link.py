"""The items a polygon belongs to, in its details on the map, and — for those who keep the item
lists — linking it to one more item there (the map being where a polygon is picked)."""

from __future__ import annotations

import streamlit as st

from dashboard.components.common import lang, show_error
from dashboard.components.text import plain
from geo.items import items as gitems
from geo.core.errors import GeoError


def _name(row) -> str:
    code = row.get("code")
    return f"{code}　{row['problem']}" if code else str(row["problem"])


def panel(store, layer: str, feat: dict, actor: str | None, access) -> None:
    zh = lang() == "zh"
    linked, others = gitems.items_of(store, layer, int(feat["id"]))
    st.markdown("**" + ("所属整改事项" if zh else "Rectification items") + "**")
    if linked.empty:
        st.caption("未关联整改事项" if zh else "Not linked to any item")
    for row in linked.to_dict("records"):
        st.markdown("- " + plain(_name(row)))
    if actor is None or access is None or access.role not in gitems.EDIT_ROLES or others.empty:
        return
    names = {int(r["id"]): _name(r) for r in others.to_dict("records")}
    with st.form(f"item_link_{layer}_{feat['id']}", border=False):
        choice = st.selectbox("关联到整改事项" if zh else "Link to an item", list(names), index=None,
                              format_func=names.get, placeholder="选择整改事项" if zh else "Choose an item",
                              key=f"item_link_pick_{feat['id']}")
        if st.form_submit_button("关联" if zh else "Link", icon=":material/link:"):
            if choice is None:
                st.warning("请先选择整改事项" if zh else "Choose an item first")
                return
            try:
                gitems.link(store, int(choice), layer, [int(feat["id"])], actor=actor, access=access)
            except GeoError as err:
                show_error(err)
                return
            st.success(plain(f"已关联到“{names[choice]}”" if zh else f"Linked to “{names[choice]}”"))
