"""The registers' pages for the menu: one generic page (views/register.py) per declared register,
grouped by the register's ``group``, shown only to the roles that may read it."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from geo.declare import registry as S
from geo.declare.registry import GROUPS


def _page_fn(key: str):
    def page() -> None:
        from dashboard.views.register import render

        render(key)

    page.__name__ = page.__qualname__ = f"register_{key}"
    return page


VIEWS = Path(__file__).resolve().parent.parent / "views"


def register_pages(lang: str) -> dict[str, list]:
    """``{section title: [st.Page, …]}`` for the declared registers that have a page (the chief's
    view heads the forest-chief section)."""
    out: dict[str, list] = {}
    chief = GROUPS["chief"][0 if lang == "zh" else 1]
    out[chief] = [st.Page(VIEWS / "chief.py", title="林长视图" if lang == "zh" else "Chief's view",
                          icon=":material/person_pin_circle:", url_path="chief")]
    order = {g: k for k, g in enumerate(GROUPS)}  # sections in the order GROUPS declares them
    for lyr in sorted((x for x in S.LAYERS.values() if x.group), key=lambda x: order.get(x.group, len(order))):
        title = GROUPS.get(lyr.group, (lyr.group, lyr.group))[0 if lang == "zh" else 1]
        out.setdefault(title, []).append(
            st.Page(_page_fn(lyr.key), title=lyr.label(lang), icon=lyr.icon, url_path=f"r-{lyr.key}"))
    return out


def layer_label(key: str, lang: str) -> str:
    return S.layer(key).label(lang)
