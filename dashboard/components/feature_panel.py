"""The details panel of one feature: attributes, history, evidence, imagery and the action form.

Everything shown comes from :mod:`geo`; everything done goes through :mod:`geo.workflow`.
Values are rendered by ``st.dataframe``/``st.text``/``st.caption`` (escaped), never as HTML.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboard.components.common import field_label, label, lang, show_error, t
from geo import schema as S
from geo import workflow
from geo.errors import ConflictError, GeoError
from geo.timeutil import fmt_local

HIDDEN = {"flags", "extra", "times", "version", "created_at", "updated_at", "updated_by", "geom_hash"}


def _value(layer: str, name: str, value):
    if value is None or value == "" or (isinstance(value, float) and pd.isna(value)):
        return None
    if name == "status":
        return label("status", value)
    if name in ("verdict", "kind", "level", "actor_level"):
        return label(name, value)
    if name in ("created_at", "updated_at", "started_at", "ended_at"):
        return fmt_local(value)
    if name == "visited":
        value = bool(int(value))
    if isinstance(value, bool):
        return ("是" if value else "否") if lang() == "zh" else ("yes" if value else "no")
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def attributes_table(layer: str, feat: dict) -> pd.DataFrame:
    rows = []
    for f in S.layer(layer).fields:
        if f.name in HIDDEN or f.name == "zones":  # (zones: shown as the chiefs, not as JSON)
            continue
        v = _value(layer, f.name, feat.get(f.name))
        if v is not None:
            rows.append((field_label(layer, f.name), v))
    extra = feat.get("extra") or {}
    for k, v in extra.items():
        rows.append((k, "" if v is None else str(v)))
    return pd.DataFrame(rows, columns=["字段" if lang() == "zh" else "Field", "值" if lang() == "zh" else "Value"])


def history_table(events: list[dict], layer: str) -> pd.DataFrame:
    rows = []
    for e in events:
        fields = e.get("fields") or {}
        shown = "；".join(f"{field_label(layer, k) if k in S.layer(layer).names else k}：{_value(layer, k, v)}"
                         for k, v in fields.items() if k != "batch_id")
        rows.append({
            t("history.at"): fmt_local(e["at"]),
            t("history.actor"): e["actor"],
            t("history.action"): label("action", e["action"]),
            t("history.from"): label("status", e["from_status"]) if e["from_status"] else "—",
            t("history.to"): label("status", e["to_status"]),
            t("history.comment"): e.get("comment") or "",
            t("history.fields"): shown,
            t("history.files"): len(e.get("attachment_ids") or []),
        })
    return pd.DataFrame(rows)


def evidence(store, events: list[dict]) -> None:
    shas = []
    for e in events:
        for sha in e.get("attachment_ids") or []:
            if sha not in shas:
                shas.append(sha)
    if not shas:
        st.caption(t("detail.no_evidence"))
        return
    cols = st.columns(3)
    for i, sha in enumerate(shas):
        att = store.get_attachment(sha)
        with cols[i % 3]:
            if att["mime"].startswith("image/"):
                st.image(att["data"], caption=att["name"], width="stretch")
            else:
                st.caption(att["name"])
            st.download_button(t("common.download"), att["data"], file_name=att["name"],
                               mime=att["mime"], key=f"dl-{sha[:12]}-{i}")


FLAGS = {
    "outside_jurisdiction": ("不在本辖区任何旗县范围内", "Outside every county of the jurisdiction"),
    "area_mismatch": ("计算面积与上报面积差异较大", "Computed and reported areas differ a lot"),
    "far_from_county": ("位置与属性中填写的旗县不符", "Far from the county named in its attributes"),
    "repaired": ("图形无效，已自动修复", "Invalid geometry, repaired"),
}


def flag_text(flag: str, value) -> str:
    pair = FLAGS.get(flag)
    text = (pair[0] if lang() == "zh" else pair[1]) if pair else flag
    if not isinstance(value, bool):
        text += f"：{value}"
    return text


def _input(layer: str, name: str, key: str, transition: workflow.Transition, current):
    lyr = S.layer(layer)
    f = lyr.field(name)
    text = f.zh if lang() == "zh" else f.en
    required = name in transition.requires
    if required:
        text += " *"
    if name in transition.values or name == "verdict":
        options = list(transition.values.get(name, workflow.VERDICTS))
        idx = options.index(current) if current in options else None
        return st.selectbox(text, options, index=idx, key=key, format_func=lambda v: label(name, v),
                            placeholder=t("common.choose"))
    if f.type == S.DATE:
        import datetime as dt

        value = dt.date.fromisoformat(current) if isinstance(current, str) and current else None
        out = st.date_input(text, value=value, key=key, format="YYYY-MM-DD")
        return out.isoformat() if out else None
    if f.type == S.REAL:
        return st.number_input(text, min_value=0.0, value=float(current) if current is not None else None,
                               key=key, step=100.0 if name == "fine_yuan" else 0.1)
    return st.text_input(text, value=current or "", key=key)


def seen_version(layer: str, feat: dict) -> int:
    """The version of the feature this person is looking at: fixed when they first open it and
    moved on only by their own actions, so a change someone else made meanwhile is a conflict
    at submit time instead of being silently built upon."""
    seen = st.session_state.setdefault("seen_versions", {})
    return seen.setdefault(f"{layer}:{feat['id']}", int(feat["version"]))


def _set_seen(layer: str, fid: int, version: int) -> None:
    st.session_state.setdefault("seen_versions", {})[f"{layer}:{fid}"] = int(version)


def action_form(store, layer: str, feat: dict, actor: str, access=None, on_done=None) -> None:
    """Only the transitions the workflow allows from the current status, each asking for what
    its guard needs. A stale version is refused by ``geo`` and shown as a conflict."""
    seen = seen_version(layer, feat)
    if seen != int(feat["version"]):
        st.warning(t("act.changed", seen=seen, now=feat["version"]))
        if st.button(t("act.refresh"), key=f"refresh-{layer}-{feat['id']}"):
            _set_seen(layer, feat["id"], feat["version"])
            st.rerun()
    options = workflow.allowed(layer, feat["status"])
    if not options:
        st.caption(t("act.none"))
        return
    names = [f"{tr.zh if lang() == 'zh' else tr.en}（→ {label('status', tr.dst)}）" for tr in options]
    pick = st.selectbox(t("act.choose"), range(len(options)), format_func=lambda i: names[i],
                        key=f"act-pick-{layer}-{feat['id']}-{feat['status']}")
    tr = options[pick]
    form_key = f"act-{layer}-{feat['id']}-{seen}-{pick}"
    with st.form(form_key, clear_on_submit=False):
        values = {}
        for name in (*tr.requires, *tr.optional):
            if name in values:
                continue
            values[name] = _input(layer, name, f"{form_key}-{name}", tr, feat.get(name))
        comment = st.text_area(t("act.comment_required") if tr.comment else t("act.comment"),
                               key=f"{form_key}-comment")
        files = st.file_uploader(t("act.files_required") if tr.evidence else t("act.files"),
                                 type=["jpg", "jpeg", "png", "gif", "webp", "pdf"],
                                 accept_multiple_files=True, key=f"{form_key}-files")
        submitted = st.form_submit_button(t("act.submit"), type="primary")
    if submitted:
        fields = {k: v for k, v in values.items() if v not in (None, "")}
        try:
            version = workflow.transition(
                store, layer, feat["id"], tr.dst, actor=actor, version=seen,
                comment=comment, fields=fields,
                attachments=[(f.name, f.getvalue()) for f in files or []], access=access,
            )
        except ConflictError as err:
            _set_seen(layer, feat["id"], err.details.get("current_version") or feat["version"])
            st.session_state["flash"] = ("warning", err.message(lang()) + " " + t("act.reload"))
            if on_done:
                on_done()
            st.rerun()
        except GeoError as err:
            show_error(err)
        else:
            _set_seen(layer, feat["id"], version)
            st.session_state["flash"] = ("success", t("act.done", frm=label("status", feat["status"]),
                                                      to=label("status", tr.dst), v=version))
            if on_done:
                on_done()
            st.rerun()


def flash(seconds: float = 20.0) -> None:
    """Show the last action's outcome. It survives the extra reruns the map component triggers
    after redrawing, and goes away after ``seconds``."""
    import time

    msg = st.session_state.get("flash")
    if not msg:
        return
    if len(msg) == 2:
        msg = (*msg, time.time())
        st.session_state["flash"] = msg
    kind, text, since = msg
    if time.time() - since > seconds:
        st.session_state.pop("flash", None)
        return
    getattr(st, kind)(text)
