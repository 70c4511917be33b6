"""The registers' figures on the leaders' screen: for every menu group (林长制, 防火, 松材线虫病 …) the
declared figures of its registers in total, and per county, each linked to the register's page —
the same numbers as ``stats --json`` (``registers``), the ledger and the bulletin."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components.common import lang
from geo.declare import registry as S
from geo.declare.registry import GROUPS


def _value(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{v:,}"


def show(fig: dict, county_names: dict[str, str]) -> None:
    regs = fig.get("registers") or {}
    zh = lang() == "zh"
    st.subheader("各项登记工作" if zh else "The registers")
    for group, (gzh, gen) in GROUPS.items():
        layers = [lyr for lyr in S.LAYERS.values() if lyr.group == group and regs.get(lyr.key)]
        if not layers:
            continue
        rows, per_county = [], {}
        for lyr in layers:
            labels = {f.key: (f.zh if zh else f.en) + (f"（{f.unit}）" if f.unit and f.unit not in f.zh else "")
                      for f in lyr.figures}
            for key, value in regs[lyr.key].items():
                name = labels.get(key)
                if name is None:
                    continue  # a register's helper figure without a declared label
                rows.append({"登记" if zh else "Register": lyr.label(lang()), "指标" if zh else "Figure": name,
                             "合计" if zh else "Total": _value(value.get("total")),
                             "页面" if zh else "Page": f"./r-{lyr.key}"})
                for code, v in (value.get("by_county") or {}).items():
                    per_county.setdefault(county_names.get(code, "盟本级" if zh else "League"), {})[
                        f"{lyr.label(lang())}·{name}"] = v
        if not rows:
            continue
        with st.expander(gzh if zh else gen, expanded=False):
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", placeholder="",
                         column_config={("页面" if zh else "Page"): st.column_config.LinkColumn(
                             "页面" if zh else "Page", display_text="打开" if zh else "Open")})
            if per_county:
                table = pd.DataFrame(per_county).T.fillna(0)
                st.dataframe(table, width="stretch", placeholder="")
