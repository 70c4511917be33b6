"""The details panel of one feature: attributes, history, evidence, imagery and the action form.

Everything shown comes from :mod:`geo`; everything done goes through :mod:`geo.engine.workflow`.
Values are rendered by ``st.dataframe`` (text as it is), or through
:func:`dashboard.components.text.plain` wherever Streamlit reads Markdown; never as HTML.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboard.components.common import field_label, label, lang, t
from dashboard.components.records import PICKER_MAX, PICKER_MIN
from dashboard.components.text import plain
from geo.change.layers import VERDICTS
from geo.declare import registry as S
from geo.engine import workflow
from geo.core.errors import ConflictError, GeoError
from geo.core.timeutil import fmt_local

HIDDEN = {"flags", "extra", "times", "version", "created_at", "updated_at", "updated_by", "geom_hash"}


def value_text(layer: str, name: str, value):
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
        v = value_text(layer, f.name, feat.get(f.name))
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
        shown = "；".join(f"{field_label(layer, k) if k in S.layer(layer).names else k}：{value_text(layer, k, v)}"
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
                st.image(att["data"], caption=plain(att["name"]), width="stretch")
            else:
                st.caption(plain(att["name"]))
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
    text = transition.label(name, lang()) if hasattr(transition, "label") else (f.zh if lang() == "zh" else f.en)
    required = name in transition.requires
    if required:
        text += " *"
    if name in transition.values or name == "verdict":
        options = list(transition.values.get(name, VERDICTS))
        idx = options.index(current) if current in options else None
        return st.selectbox(text, options, index=idx, key=key, format_func=lambda v: label(name, v),
                            placeholder=t("common.choose"))
    if f.type == S.DATE:
        import datetime as dt

        value = dt.date.fromisoformat(current) if isinstance(current, str) and current else None
        return st.date_input(text, value=value, key=key, format="YYYY-MM-DD", min_value=PICKER_MIN,
                             max_value=PICKER_MAX)  # (out of range: refused in Chinese by the write path)
    if f.type == S.REAL:
        # no bound here: the write path refuses a negative number with a message in the user's words
        return st.number_input(text, value=float(current) if current is not None else None,
                               key=key, step=100.0 if name == "fine_yuan" else 0.1)
    return st.text_input(text, value=current or "", key=key)


def _field_value(value):
    import datetime as dt

    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    return value


def seen_version(layer: str, feat: dict) -> int:
    """The version of the feature this person is looking at: fixed when they first open it and
    moved on only by their own actions, so a change someone else made meanwhile is a conflict
    at submit time instead of being silently built upon."""
    seen = st.session_state.setdefault("seen_versions", {})
    return seen.setdefault(f"{layer}:{feat['id']}", int(feat["version"]))


def set_seen(layer: str, fid: int, version: int) -> None:
    st.session_state.setdefault("seen_versions", {})[f"{layer}:{fid}"] = int(version)


def conflict_text(err: ConflictError, layer: str) -> str:
    """One message: who changed it and when, that nothing was saved, and that the screen now shows
    the newer state (the geo message also says "please refresh", which the page has done)."""
    d = err.details
    lyr = S.layer(layer)
    return t("act.conflict", what=lyr.zh if lang() == "zh" else lyr.en.lower(), id=d.get("id"),
             who=d.get("changed_by", "?"), when=d.get("changed_at", "?"), seen=d.get("expected_version"),
             now=d.get("current_version"))


def _submit(store, layer: str, feat: dict, actor: str, access, tr, seen: int, form_key: str,
            names: list[str], on_done) -> None:
    """The action form's submit (a callback: runs before the rerun, so the panel that follows
    already shows the outcome, in one run)."""
    clear_flash()
    values = {n: _field_value(st.session_state.get(f"{form_key}-{n}")) for n in names}
    fields = {k: v for k, v in values.items() if v not in (None, "")}
    comment = st.session_state.get(f"{form_key}-comment") or ""
    files = st.session_state.get(f"{form_key}-files") or []
    unfilled = workflow.form_missing(layer, tr, workflow.requirements(layer, feat, tr), values, files, comment)
    if unfilled is not None:
        set_flash("error", unfilled.message(lang()))
        return
    try:
        version = workflow.transition(
            store, layer, feat["id"], tr.dst, actor=actor, version=seen, comment=comment, fields=fields,
            attachments=[(f.name, f.getvalue()) for f in files], access=access,
        )
    except ConflictError as err:
        set_seen(layer, feat["id"], err.details.get("current_version") or feat["version"])
        set_flash("warning", conflict_text(err, layer))
    except GeoError as err:
        set_flash("error", err.message(lang()))
    else:
        set_seen(layer, feat["id"], version)
        set_flash("success", t("act.done", frm=label("status", feat["status"]), to=label("status", tr.dst), v=version))
    if on_done:
        on_done()


def action_form(store, layer: str, feat: dict, actor: str, access=None, on_done=None) -> None:
    """Only the transitions the workflow allows from the current status, each asking for what
    its guard needs. A stale version is refused by ``geo`` and shown as a conflict. Roles that
    may not change features (leaders; data staff) see no form at all, only a note."""
    if access is not None and not access.can_write:
        st.caption(t("act.read_only"))
        return
    seen = seen_version(layer, feat)
    if seen != int(feat["version"]):
        st.warning(t("act.changed", seen=seen, now=feat["version"]))
        st.button(t("act.refresh"), key=f"refresh-{layer}-{feat['id']}",
                  on_click=lambda: (clear_flash(), set_seen(layer, feat["id"], feat["version"])))
    steps = workflow.allowed(layer, feat["status"], access=access)  # forward steps first
    why_not = {i: workflow.blocked(store, layer, feat, tr, actor) for i, tr in enumerate(steps)}
    options = [tr for i, tr in enumerate(steps) if why_not[i] is None]
    for i, tr in enumerate(steps):  # shown for guidance, not offered: what has to happen first
        if why_not[i] is not None:
            st.caption(plain(t("act.blocked", step=tr.zh if lang() == "zh" else tr.en, why=why_not[i].message(lang()))))
    if not options:
        st.caption(t("act.none"))
        return
    names = [f"{tr.zh if lang() == 'zh' else tr.en}（→ {label('status', tr.dst)}）" for tr in options]
    pick = st.selectbox(t("act.choose"), range(len(options)), format_func=lambda i: names[i],
                        key=f"act-pick-{layer}-{feat['id']}-{feat['status']}")
    tr = options[pick]
    need = workflow.requirements(layer, feat, tr)  # what this feature's cause needs (geo.change.closure)
    form_key = f"act-{layer}-{feat['id']}-{seen}-{pick}"
    fields = list(dict.fromkeys((*need.requires, *need.optional)))
    with st.form(form_key, clear_on_submit=False):
        if need.note(lang()):
            st.caption(plain(need.note(lang())))
        for name in fields:
            _input(layer, name, f"{form_key}-{name}", need, feat.get(name))
        st.text_area(t("act.comment_required") if tr.comment else t("act.comment"), key=f"{form_key}-comment")
        st.file_uploader(t("act.files_required") if need.evidence else t("act.files"),
                         type=["jpg", "jpeg", "png", "gif", "webp", "pdf"],
                         accept_multiple_files=True, key=f"{form_key}-files")
        st.form_submit_button(t("act.submit"), type="primary", on_click=_submit,
                              args=(store, layer, feat, actor, access, tr, seen, form_key, fields, on_done))


# ------------------------------------------------------------------------------ messages
def set_flash(kind: str, text: str) -> None:
    st.session_state["flash"] = (kind, text)


def clear_flash() -> None:
    """Called by every action: the previous outcome (success or refusal) goes when the user acts again."""
    st.session_state.pop("flash", None)


def flash(page: str | None = None) -> None:
    """Show the last action's outcome until the user's next action replaces or clears it (a
    refusal stays; a success goes with the next action). A message belongs to the page it was
    first shown on, so it does not follow the user to another page. Shown as text: messages quote
    values (names, reasons, refusals), and none is Markdown."""
    import sys

    msg = st.session_state.get("flash")
    if not msg:
        return
    page = page or sys._getframe(1).f_globals.get("__file__", "")
    if len(msg) == 2:
        msg = (*msg, page)
        st.session_state["flash"] = msg
    kind, text, where = msg[:3]
    if where != page:
        st.session_state.pop("flash", None)
        return
    getattr(st, kind)(plain(text))
