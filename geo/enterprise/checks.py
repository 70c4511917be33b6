"""A check of a wood-processing enterprise (木材来源检查 / 防火检查): it belongs to the enterprise's
county, counts in the year it was made, and counts for the year's sample when the enterprise was
drawn (:mod:`geo.enterprise.samples`)."""

from __future__ import annotations

import json

from geo.core.errors import NotFoundError, ValidationError
from geo.core.timeutil import as_date, today_local


def validate(store, values: dict, current) -> dict:
    out = dict(values)
    if out.get("enterprise_id") in (None, ""):
        return out  # (the required-field check names it)
    try:
        ent = store.get_feature("enterprise", int(out["enterprise_id"]))
    except NotFoundError:
        raise ValidationError(f"enterprise #{out['enterprise_id']} does not exist",
                              f"企业 #{out['enterprise_id']} 不存在", field="enterprise_id") from None
    if ent.get("status") == "deregistered":
        raise ValidationError(f"{ent['name']} is deregistered", f"{ent['name']} 已注销，不能登记检查")
    day = as_date(out.get("checked_on")) if out.get("checked_on") else None
    if day is not None and day > today_local():
        raise ValidationError("a check cannot be dated in the future", "检查日期不能晚于今天", field="checked_on")
    out.update(enterprise_name=ent.get("name"), county_code=ent.get("county_code"), county=ent.get("county"),
               township=ent.get("township"))
    if day is not None:
        out["year"] = day.year
        if out.get("kind") == "source":
            out["sample_id"] = sample_holding(store, day.year, int(out["enterprise_id"]))
    return out


def sample_holding(store, year: int, enterprise_id: int) -> int | None:
    """The sample in force for ``year`` that drew ``enterprise_id``, if any."""
    frame = store.read_layer("enterprise_sample", where={"year": int(year), "status": "drawn"},
                             columns=["ids"], geometry=False)
    for sid, ids in zip(frame["id"], frame["ids"]):
        if enterprise_id in (json.loads(ids) if isinstance(ids, str) else (ids or [])):
            return int(sid)
    return None
