"""Field layers beside the change polygons: signboards, patrols, restoration, occupation."""

from __future__ import annotations

import io

import pandas as pd

from geo.declare import registry as S
from geo.chief.signboards import stale
from geo.stats.state import PATROL_LEVELS, UNMARKED_LEVEL, patrol_level
from geo.store import Store


def signboards(store: Store) -> pd.DataFrame:
    """Signboards with ``chief_changed``: stale by the one rule (:func:`geo.chief.signboards.stale`)
    though nobody has recorded it yet — the post changed hands after the board was last updated."""
    boards = store.read_layer("signboard", geometry=True)
    boards["chief_changed"] = stale(store, boards) & boards["status"].ne("stale")
    return boards


def qr_png(board: dict) -> bytes:
    """A QR code for the public face of a board: number, chief, area and supervision phone."""
    import segno

    text = (f"林长公示牌 {board.get('board_no') or ''}\n林长：{board.get('chief_name') or ''}"
            f"（{board.get('chief_post') or ''}）\n责任区域：{board.get('zone_desc') or ''}\n"
            f"监督电话：{board.get('phone') or ''}")
    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=5, border=2)
    return buf.getvalue()


def patrol_summary(patrols: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    if patrols.empty:
        return pd.DataFrame(columns=["level", "count", "km", "hours"])
    levels = patrol_level(patrols["actor_level"])  # (a patrol without a level is a row of its own)
    g = patrols.assign(actor_level=levels.to_numpy()).groupby("actor_level").agg(
        count=("id", "size"), km=("length_km", "sum"), hours=("duration_h", "sum"))
    order = [lvl for lvl in (*PATROL_LEVELS, UNMARKED_LEVEL) if lvl in g.index]
    g = g.loc[order].reset_index()
    g["level"] = g["actor_level"].map(lambda v: S.label("actor_level", v, lang))
    return g[["level", "count", "km", "hours"]].round(1)


def filter_by_query(frame: pd.DataFrame, layer: str, params) -> pd.DataFrame:
    """The rows the summary screen's link for a figure counts, from the link's query parameters:
    ``county=152224,152223``, ``status=…`` (for signboards ``stale`` also takes in boards whose
    chief changed, as the figure does), ``level=…`` and ``year=…``."""

    def items(key):
        return [v for v in str(params.get(key) or "").split(",") if v]

    out = frame
    if items("county") and "county_code" in out:
        out = out[out["county_code"].isin(items("county"))]
    status = items("status")
    if status:
        mask = out["status"].isin(status)
        if layer == "signboard" and "stale" in status and "chief_changed" in out:
            mask = mask | out["chief_changed"]
        out = out[mask]
    level = items("level")
    if level:
        if layer == "patrol":  # (level=unmarked: the patrols the figures count without a level)
            out = out[patrol_level(out["actor_level"]).isin(level).to_numpy()]
        else:
            out = out[out["level"].isin(level)]
    years = [int(y) for y in items("year") if y.isdigit()]
    if years and "year" in out:
        out = out[out["year"].isin(years)]
    return out
