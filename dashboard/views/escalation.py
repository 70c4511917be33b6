"""督办与周报 — what is escalated to whom (with each chief's 提示单/督办单 as Word), the 林长令 whose
responses are overdue or came late (迟报), and the one-page weekly brief for any week (on screen and as Word).
Everything comes from :mod:`geo.change.escalation`, :mod:`geo.chief.orders` and :mod:`geo.report.brief`."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard.components.auth import current_access
from dashboard.components.common import label, lang, settings, store_or_stop, t
from dashboard.components.records import PICKER_MAX, PICKER_MIN
from dashboard.components.text import plain
from geo.change import escalation as E
from geo.chief.orders import status_of_zones
from geo.report import brief as B
from geo.docs.text import zh_date
from geo.core.timeutil import today_local

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# an addressed zone's response (geo.chief.orders.response_state) in the string tables' words
STATE_KEYS = {"overdue": "esc.overdue", "late": "esc.late", "responded": "esc.responded", "awaiting": "esc.waiting"}
store = store_or_stop()
today = today_local()
zh = lang() == "zh"

st.title(t("esc.title"))
tabs = st.tabs([t("esc.tab_list"), t("esc.tab_orders"), t("esc.tab_brief")])


def _link_col(key: str):
    return st.column_config.LinkColumn(t(key), display_text=t("esc.open"))


with tabs[0]:
    rules = sorted(settings().review.escalation, key=lambda r: r.days)
    st.caption(t("esc.rules", rules="；".join(
        t("esc.rule", d=r.days, level=label("level", r.level), notice=plain(r.notice)) for r in rules)))
    viewer = current_access()
    if viewer is not None and viewer.is_admin:  # only who can change them is told where
        st.caption(t("esc.rules_admin"))
    frame = E.escalations(store, today=today, settings=settings())
    items = E.overdue_items(store, today, settings())
    groups = E.by_chief(frame, items)
    c = st.columns(3)
    c[0].metric(t("esc.polygons"), len(frame))
    c[1].metric(t("esc.chiefs"), len(groups))
    c[2].metric(t("esc.items"), len(items))
    if not groups:
        st.info(t("esc.none"))
    for k, g in enumerate(groups, start=1):
        who = g["chief_title"] or g["zone"] or label("level", g["level"])
        head = t("esc.group", notice=plain(g["notice"]), who=plain(who), name=plain(g["chief_name"]) or "—",
                 n=len(g["polygons"]), m=len(g["items"]))  # (a chief's, a zone's names: text, not Markdown)
        with st.expander(head, expanded=k == 1):
            if g.get("chief_phone"):
                st.caption(t("esc.phone", phone=plain(g["chief_phone"])))
            if len(g["polygons"]):
                p = g["polygons"]
                st.dataframe(pd.DataFrame({
                    t("rv.col_no"): p["polygon_no"], t("map.county"): p["county"], t("map.township"): p["township"],
                    t("map.status"): p["status"].map(lambda s: label("status", s)), t("detail.deadline"): p["due"],
                    t("esc.days"): p["days_overdue"], t("esc.unit"): p["unit"],
                    t("esc.col_open"): [f"/?id={int(i)}" for i in p["id"]],
                }), hide_index=True, width="stretch", column_config={t("esc.col_open"): _link_col("esc.col_open")},
                             placeholder="")
            if len(g["items"]):
                it = g["items"]
                st.dataframe(pd.DataFrame({
                    t("esc.item"): it["code"].fillna("") + it["problem"], t("detail.deadline"): it["deadline"],
                    t("esc.days"): it["days_overdue"], t("esc.unit"): it["unit"],
                }), hide_index=True, width="stretch", placeholder="")
            if st.button(t("esc.make", notice=plain(g["notice"])), key=f"esc_make_{k}"):
                st.download_button(t("common.download"), E.notice_docx(g, settings(), today, k),
                                   file_name=E.notice_name(g, today), mime=DOCX, key=f"esc_dl_{k}")

with tabs[1]:
    orders = store.read_layer("order", columns=["order_no", "issued_on", "issuer", "subject", "addressed", "deadline",
                                                "responses", "status"], geometry=False)
    rows = []
    for rec in orders.to_dict("records"):
        for z in status_of_zones(store, rec, today):
            rows.append({t("esc.order"): rec["order_no"], t("esc.subject"): rec["subject"],
                         t("detail.deadline"): rec["deadline"], t("esc.zone"): z["zone"],
                         t("esc.state"): t(STATE_KEYS[z["state"]], d=z["responded_on"] or ""),
                         "_late": z["overdue"], "_slow": z["late"]})
    if not rows:
        st.info(t("esc.no_orders"))
    else:
        table = pd.DataFrame(rows)
        late = int(table["_late"].sum())
        c = st.columns(2)
        c[0].metric(t("esc.orders_late"), late)
        c[1].metric(t("esc.orders_slow"), int(table["_slow"].sum()))
        if st.toggle(t("esc.only_late"), value=late > 0, key="esc_only_late"):
            table = table[table["_late"]]
        st.dataframe(table.drop(columns=["_late", "_slow"]), hide_index=True, width="stretch", placeholder="")
        st.caption(t("esc.register_hint"))

with tabs[2]:
    last = today - dt.timedelta(days=7)
    # (no bound of Streamlit's own, whose refusal is in English: a future day is answered here)
    day = st.date_input(t("esc.week"), value=last, min_value=PICKER_MIN, max_value=PICKER_MAX, key="esc_week",
                        format="YYYY-MM-DD")
    day = day if isinstance(day, dt.date) else last
    if day > today:
        st.warning(t("forms.future_week", day=day.isoformat(), today=today.isoformat()))
        day = today
    b = B.brief(store, day, settings=settings(), today=today)
    st.subheader(t("esc.brief_title"))
    st.caption(B.week_label(b["start"], b["end"]))
    cols = st.columns(len(B.COUNTS))
    for col, (key, zh_name, en_name) in zip(cols, B.COUNTS):
        col.metric(zh_name if zh else en_name, b["counts"][key])
    for head, text in B.sentences(b):
        st.markdown(f"**{plain(head.rstrip('。'))}**\u3000{plain(text)}")  # (bold needs no punctuation before its closing **)
    late = b["became_overdue"]
    if len(late):
        st.dataframe(pd.DataFrame({
            t("rv.col_no"): late["polygon_no"], t("map.county"): late["county"], t("map.status"):
            late["status"].map(lambda s: label("status", s)), t("detail.deadline"): late["due"],
            t("esc.days"): late["days_overdue"], t("esc.col_open"): [f"/?id={int(i)}" for i in late["id"]],
        }), hide_index=True, width="stretch", column_config={t("esc.col_open"): _link_col("esc.col_open")},
                     placeholder="")
    st.download_button(t("esc.brief_docx"), B.brief_docx(b, settings()), file_name=B.file_name(b), mime=DOCX,
                       key="esc_brief_dl")
    st.caption(t("esc.brief_note", date=zh_date(b["as_of"])))
