"""When a change polygon is due, derived, never typed in: its deadline comes from its batch
(verification deadline while it is being verified, rectification deadline after), unless a
rectification deadline was set for it when rectification started; overdue is that date passed."""

from __future__ import annotations

import datetime as dt

import pandas as pd

VERIFY_STAGE = ("issued", "verifying")
RECTIFY_STAGE = ("verified", "case_filed", "penalized", "rectifying", "rectified", "returned")


def change_deadlines(frame: pd.DataFrame, batches: pd.DataFrame) -> pd.Series:
    """Effective deadline (ISO date text or None) of each change polygon in ``frame``.

    ``frame`` needs ``status``, ``batch_id`` and ``deadline``; ``batches`` the batch table.
    """
    if frame.empty:
        return pd.Series([], dtype=object, index=frame.index)
    b = batches.set_index(pd.to_numeric(batches["id"]).astype("int64")) if not batches.empty else None
    bid = pd.to_numeric(frame["batch_id"], errors="coerce")
    verify = bid.map(b["verify_deadline"]) if b is not None else pd.Series(None, index=frame.index)
    rectify = bid.map(b["rectify_deadline"]) if b is not None else pd.Series(None, index=frame.index)
    own = frame["deadline"] if "deadline" in frame else pd.Series(None, index=frame.index)
    own = own.astype(object).where(own.notna(), None)
    status = frame["status"]
    out = pd.Series(None, index=frame.index, dtype=object)
    vs = status.isin(VERIFY_STAGE)
    out[vs] = verify[vs].astype(object)
    rs = status.isin(RECTIFY_STAGE)
    out[rs] = own[rs].where(own[rs].notna(), rectify[rs]).astype(object)
    return out.where(out.notna(), None)


def overdue(deadlines: pd.Series, today: dt.date) -> pd.Series:
    """True where a deadline (ISO text) has passed before ``today``."""
    text = today.isoformat()
    values = deadlines.astype(object)
    return values.map(lambda d: d is not None and isinstance(d, str) and d < text).astype(bool)


def with_deadlines(frame: pd.DataFrame, batches: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    out = frame.copy()
    out["due"] = change_deadlines(frame, batches)
    out["overdue"] = overdue(out["due"], today)
    out["days_overdue"] = [
        (today - dt.date.fromisoformat(d)).days if o else 0 for d, o in zip(out["due"], out["overdue"])
    ]
    return out
