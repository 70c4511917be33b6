"""Ecological restoration projects (生态修复): payments recorded as events and the 支付率 computed
from them, and the change polygons or occupation plots whose rectification a project is.

A payment is a ``payment`` event on the project (date, amount in 元, voucher number); the project's
``paid_yuan`` is the sum of its payments, kept with each one, so the figures read one column while
the history holds every voucher. Linking is a ``link`` event naming the features.
"""

from __future__ import annotations

import json

import pandas as pd

from geo.engine import workflow
from geo.core.errors import NotFoundError, ValidationError
from geo.access.scope import unwrap
from geo.core.timeutil import today_local

FIGURE_COLUMNS = ("planned_mu", "completed_mu", "budget_yuan", "paid_yuan", "year")


def payments(store, fid: int) -> pd.DataFrame:
    """Every payment of project ``fid``: date, amount (元), voucher, who recorded it."""
    events = store.history("restoration", int(fid))
    rows = [{"date": e["fields"].get("paid_on"), "amount_yuan": e["fields"].get("amount_yuan"),
             "voucher": e["fields"].get("voucher_no"), "by": e["actor"]}
            for e in events if e["action"] == "payment"]
    return pd.DataFrame(rows, columns=["date", "amount_yuan", "voucher", "by"])


def op_payment(store, fid, values, *, actor, access=None, comment=None, attachments=(), **_):
    raw, _ = unwrap(store)
    amount = values.get("amount_yuan")
    if amount in (None, "") or float(amount) <= 0:
        raise ValidationError("a payment needs a positive amount", "拨付金额须大于 0", field="amount_yuan")
    if not values.get("voucher_no"):
        raise ValidationError("a payment needs its voucher number", "请填写凭证号", field="voucher_no")
    project = raw.get_feature("restoration", fid)
    budget = project.get("budget_yuan") or 0.0
    paid = float(project.get("paid_yuan") or 0.0) + float(amount)
    if budget and paid > budget * 1.0001:
        raise ValidationError(f"payments would reach {paid:,.2f} yuan, above the budget {budget:,.2f}",
                              f"累计拨付将达 {paid:,.2f} 元，超过项目资金 {budget:,.2f} 元，请核对")
    day = values.get("paid_on") or today_local().isoformat()
    # the event carries the payment itself (date, amount, voucher) and the new total
    return workflow.edit(store, "restoration", fid, actor=actor, access=access, action="payment",
                         fields={"paid_yuan": round(paid, 2), "paid_on": day, "amount_yuan": float(amount),
                                 "voucher_no": values["voucher_no"]},
                         attachments=list(attachments or []),
                         comment=comment or f"拨付 {float(amount):,.2f} 元（凭证 {values['voucher_no']}）")


def op_link(store, fid, values, *, actor, access=None, comment=None, **_):
    """Link the project to change polygons / occupation plots (ids, comma-separated)."""
    raw, _ = unwrap(store)
    layer = values.get("link_layer") or "change"
    if layer not in ("change", "occupation"):
        raise ValidationError("link change polygons or occupation plots", "只能关联变化图斑或违法占用地块")
    ids = [int(x) for x in str(values.get("link_ids") or "").replace("，", ",").split(",") if x.strip().isdigit()]
    if not ids:
        raise ValidationError("give the ids to link", "请填写要关联的要素编号（逗号分隔）")
    found = store.read_layer(layer, ids=ids, columns=[], geometry=False)  # (the user's scope applies)
    missing = sorted(set(ids) - set(found["id"].astype(int)))
    if missing:
        raise NotFoundError(f"no {layer} #{missing}", f"未找到编号为 {missing} 的要素（或不在您的权限范围内）")
    project = raw.get_feature("restoration", fid)
    linked = dict(project.get("links") or {})
    linked[layer] = sorted(set(linked.get(layer, [])) | set(ids))
    return workflow.edit(store, "restoration", fid, actor=actor, access=access, action="link",
                         fields={"links": json.dumps(linked)}, comment=comment or f"关联{len(ids)}个要素")


def figures(store, frame: pd.DataFrame, ctx: dict) -> dict:
    """支付率 (paid / budget) and completed area in 万亩, per county."""
    if frame.empty:
        return {}
    codes = frame["county_code"].fillna("∅").astype(str)
    budget = pd.to_numeric(frame["budget_yuan"], errors="coerce").fillna(0.0)
    paid = pd.to_numeric(frame["paid_yuan"], errors="coerce").fillna(0.0)
    done = pd.to_numeric(frame["completed_mu"], errors="coerce").fillna(0.0)
    b, p = budget.groupby(codes).sum(), paid.groupby(codes).sum()
    return {
        "paid_pct": {"total": round(100 * float(paid.sum()) / float(budget.sum()), 1) if budget.sum() else None,
                     "by_county": {k: round(100 * float(p[k]) / float(b[k]), 1) for k in b.index if b[k]}},
        "completed_wanmu": {"total": round(float(done.sum()) / 1e4, 4),
                            "by_county": (done.groupby(codes).sum() / 1e4).round(4).to_dict()},
    }


def details(store, record: dict, lang: str = "zh"):
    zh = lang == "zh"
    pay = payments(store, int(record["id"]))
    out = []
    if len(pay):
        out.append(("资金拨付记录" if zh else "Payments", pay.rename(columns={
            "date": "日期" if zh else "Date", "amount_yuan": "金额(元)" if zh else "Amount (yuan)",
            "voucher": "凭证号" if zh else "Voucher", "by": "记录人" if zh else "By"})))
    links = record.get("links") or {}
    if links:
        rows = [(("变化图斑" if zh else "Change polygons") if k == "change" else ("违法占用地块" if zh else "Occupation plots"),
                 "、".join(f"#{i}" for i in v)) for k, v in links.items()]
        out.append(("关联要素" if zh else "Linked features", pd.DataFrame(rows, columns=["图层" if zh else "Layer",
                                                                                    "编号" if zh else "Ids"])))
    return out
