"""Removal contractors and their qualification certificates ("核对业务资质证书，防止无资质施工").

:func:`check` says whether a contractor could work on a given day: a certificate number and a
validity that covers the day, and not barred. The dead-tree rules (:mod:`geo.pest.trees`) call
it on the removal date.
"""

from __future__ import annotations


import pandas as pd

from geo.core.errors import NotFoundError, ValidationError
from geo.engine.figures import tally
from geo.core.timeutil import optional_date

FIGURE_COLUMNS = ("cert_valid_to",)


def validate(store, values: dict, current: dict | None) -> dict:
    merged = {**(current or {}), **values}
    start, end = optional_date(merged.get("cert_valid_from")), optional_date(merged.get("cert_valid_to"))
    if start and end and end < start:
        raise ValidationError("the certificate ends before it starts",
                              f"资质证书有效期至（{end}）早于有效期起（{start}）", field="cert_valid_to")
    return values


def check(cert: dict, day) -> tuple[str | None, str | None, str | None]:
    """Whether the certificate in ``cert`` (``contractor``/``name``, ``cert_no``, ``cert_valid_to``,
    optionally ``cert_valid_from`` and ``status``) covers ``day``. Returns ``(flag, zh, en)``:
    ``(None, None, None)`` when it does; otherwise the flag key (``cert_missing``,
    ``cert_expired``, ``contractor_barred``) and the reason in both languages."""
    day = optional_date(day)
    name = cert.get("contractor") or cert.get("name") or ""
    if cert.get("status") == "barred":
        return ("contractor_barred", f"施工单位“{name}”已暂停承接疫木除治，不能登记其清理作业",
                f"contractor '{name}' is barred from removal work")
    end = optional_date(cert.get("cert_valid_to"))
    if not name or not cert.get("cert_no") or end is None:
        return ("cert_missing", "清理需登记施工单位及其资质证书（编号和有效期），防止无资质施工",
                "a removal needs the contractor and their qualification certificate (number and validity)")
    start = optional_date(cert.get("cert_valid_from"))
    if day is not None and (end < day or (start is not None and day < start)):
        when = f"有效期至 {end}" if end < day else f"有效期自 {start} 起"
        return ("cert_expired",
                f"施工单位“{name}”的资质证书（{cert['cert_no']}）{when}，清理日期 {day} 时不在有效期内："
                "请核对业务资质证书，防止无资质施工",
                f"{name}'s certificate {cert['cert_no']} does not cover the removal date {day} "
                f"(valid {start or '…'} to {end})")
    return None, None, None


def certificate_of(store, contractor_id) -> dict:
    """The contractor's name, certificate and status from the register."""
    try:
        c = store.get_feature("pest_contractor", int(contractor_id))
    except NotFoundError:
        raise ValidationError(f"contractor #{contractor_id} is not in the register",
                              f"施工单位名录中没有 #{contractor_id}", field="contractor_id") from None
    return {"contractor": c["name"], "cert_no": c.get("cert_no"), "cert_valid_to": c.get("cert_valid_to"),
            "cert_valid_from": c.get("cert_valid_from"), "status": c.get("status")}


def find_by_name(store, name: str) -> dict | None:
    """The register's contractor of that name (for lists that name the contractor only)."""
    if not name:
        return None
    rows = store.read_layer("pest_contractor", where={"name": str(name).strip()}, geometry=False,
                            columns=["name", "cert_no", "cert_valid_from", "cert_valid_to", "status"])
    if rows.empty:
        return None
    r = rows.sort_values("id").iloc[-1]
    return {"contractor_id": int(r["id"]), "contractor": r["name"], "cert_no": r["cert_no"],
            "cert_valid_to": r["cert_valid_to"], "cert_valid_from": r["cert_valid_from"], "status": r["status"]}


def figures(store, frame: pd.DataFrame, ctx: dict) -> dict:
    """Active contractors whose certificate has run out by ``ctx['today']``."""
    if frame.empty:
        return {"certs_expired": tally(frame, [])}
    end = pd.to_datetime(frame["cert_valid_to"].astype(object), errors="coerce")
    expired = (frame["status"] == "active") & end.notna() & (end.dt.date < ctx["today"])
    return {"certs_expired": tally(frame, expired)}
