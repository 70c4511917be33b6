"""Forest-chief signboards (一牌一档): inspections, moves, bringing a board up to date with its
post's current holder, which boards are stale — and the public page a board's QR code opens.

Staleness comes from the post register: a board shows a post (``post_id``); when that post
changes hands (:func:`geo.chief.chiefs.appoint` / ``vacate``) after the board's content was last
updated (``content_on``), the board shows someone who no longer holds it.

The public page: a passer-by sees exactly what the board itself shows — the chief's name and post, the
supervision phone, the duties and the responsibility zone (name and outline) — and nothing
internal: no change polygons, no other boards, no fines, no ids. :func:`public_card` is the one
place that decides which fields leave the store; the page is built only from its result.

A board's QR code opens ``/board/<token>``: ``public_token`` is random (:func:`validate` gives a
new board one; the store's migration gives one to boards stored before), so nobody can list the
boards by counting. Links by board number — the ones printed before — are answered only while the
caller allows them (the transition period of ``board_number_links_days``, dashboard/web.py).
"""

from __future__ import annotations

import html
import re
import secrets

import pandas as pd
import shapely

from geo.access.scope import unwrap
from geo.chief.chiefs import board_holder, stale_boards
from geo.engine.asof import replay
from geo.engine import workflow
from geo.core.timeutil import today_local
from geo.core.errors import ValidationError
from geo.declare import registry as S

# the only fields of a board that are ever published
PUBLIC_FIELDS = ("board_no", "level", "chief_name", "chief_post", "phone", "duties", "zone_name", "outline")
LEVELS = {"league": ("盟级", "League"), "banner": ("旗县级", "Banner/county"), "county": ("旗县级", "County"),
          "township": ("苏木乡镇级", "Township"), "village": ("嘎查村级", "Village"), "grid": ("网格", "Grid")}
RETIRED = "retired"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")  # secrets.token_urlsafe(16): 22 such characters


def validate(store, values: dict, current: dict | None) -> dict:
    """A new board gets its random public link token; nobody sets or changes one by hand."""
    if current is None:
        values["public_token"] = secrets.token_urlsafe(16)
    elif "public_token" in values and values["public_token"] != current.get("public_token"):
        raise ValidationError("a board's public link token is kept by the system",
                              "公示牌二维码链接由系统生成，不能修改", field="public_token")
    return values


def op_inspect(store, fid, values, *, actor, access=None, comment=None, attachments=(), **_):
    """An inspection: its date, the condition found (the board's status follows it), photos."""

    condition = values.get("condition") or "ok"
    day = values.get("last_inspected_on") or today_local().isoformat()
    return workflow.edit(store, "signboard", fid, actor=actor, access=access, action="inspect", status=condition,
                         fields={"last_inspected_on": day}, attachments=list(attachments or []),
                         comment=comment or f"检查：{_status_label(condition)}")


def op_refresh(store, fid, values, *, actor, access=None, comment=None, attachments=(), **_):
    """The board redone with the current holder of its post (name, post, phone, duties)."""

    raw, _ = unwrap(store)
    board = raw.get_feature("signboard", fid)
    now = board_holder(raw, board)
    if not now:
        raise ValidationError("this board shows no post of the post register; set its post first",
                              "该公示牌尚未关联林长岗位，请先在“修改信息”中选择公示岗位")
    fields = {k: v for k, v in now.items() if v not in (None, "")}
    fields["content_on"] = today_local().isoformat()
    return workflow.edit(store, "signboard", fid, actor=actor, access=access, action="refresh", status="ok",
                         fields=fields, attachments=list(attachments or []),
                         comment=comment or f"牌面更新为现任：{now.get('chief_name') or '—'}")


def op_move(store, fid, values, *, actor, access=None, comment=None, geometry=None, **_):

    if geometry is None:
        raise ValidationError("give the new location", "请填写新位置的经纬度", field="geometry")
    return workflow.edit(store, "signboard", fid, actor=actor, access=access, action="move", fields={},
                         geometry=geometry, comment=comment or "公示牌移位")


def _status_label(key: str) -> str:

    return S.label("status", key)


def public_url(base: str, token: str) -> str:
    """The board's public page: ``<base>/board/<token>`` (the QR code opens it)."""
    from urllib.parse import quote

    return f"{base.rstrip('/')}/board/{quote(str(token))}"


def qr_png(url: str) -> bytes:
    """A QR code (PNG) for the board's public page."""
    import io as _io

    import segno

    buf = _io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=5, border=2)
    return buf.getvalue()


def images(store, record: dict, lang: str = "zh", base_url: str = "") -> list[tuple[str, bytes]]:
    """The register page's pictures of a board: its QR code, opening the public page."""
    if not record.get("board_no") or record.get("status") == RETIRED:
        return []
    token = record.get("public_token")
    if not token and record.get("id") is not None:
        raw, _ = unwrap(store)
        token = raw.get_feature("signboard", int(record["id"])).get("public_token")
    if not token:  # (the store's migration gives every board one when it is opened)
        return []
    url = public_url(base_url or "", token)
    return [(("扫码查看公示信息：" if lang == "zh" else "Public page: ") + url, qr_png(url))]


def details(store, record: dict, lang: str = "zh"):
    """Who the board should show now, when its post changed hands since it was last updated."""
    import pandas as pd

    raw, _ = unwrap(store)
    frame = pd.DataFrame([{k: record.get(k) for k in ("post_id", "content_on", "installed_on")}])
    if not stale_boards(raw, frame).iloc[0]:
        return []
    now = board_holder(raw, record) or {}
    zh = lang == "zh"
    rows = [("牌面显示" if zh else "Board shows", f"{record.get('chief_name')}（{record.get('chief_post')}）"),
            ("现任" if zh else "Now holds the post", f"{now.get('chief_name')}（{now.get('chief_post')}）")]
    return [("公示牌信息已过期：岗位已换人，请更新牌面" if zh else "Out of date: the post changed hands",
             pd.DataFrame(rows, columns=["", " "]))]


def stale(store, boards: pd.DataFrame, until: str | None = None) -> pd.Series:
    """The one rule of a stale board (信息过期), for the figures, the register page, the chief's page
    and the map alike: recorded as stale, or its post changed hands after the board's content was
    last updated (appointments recorded before ``until``, UTC text; None: all), or — a board tied
    to no post — it shows someone other than its zone's recorded chief. A retired board is never
    stale."""
    if boards.empty:
        return pd.Series([], dtype=bool)
    moved = stale_boards(store, boards, until=until)
    zones = store.read_layer("zone", columns=["chief_name"], geometry=False)
    if until is not None:
        zones = replay(store, "zone", zones, until)
    chief = dict(zip(zones["id"].astype("int64"), zones["chief_name"]))
    zone = pd.to_numeric(boards["zone_id"], errors="coerce") if "zone_id" in boards else pd.Series(
        float("nan"), index=boards.index)
    current = zone.map(lambda z: chief.get(int(z)) if z == z else None)
    shown = boards["chief_name"].astype(object) if "chief_name" in boards else pd.Series(None, index=boards.index)
    loose = boards["post_id"].isna() if "post_id" in boards else True
    mismatch = loose & zone.notna() & current.notna() & (current.astype(object) != shown)
    status = boards["status"] if "status" in boards else pd.Series("ok", index=boards.index)
    return ((status == "stale") | mismatch | moved) & (status != RETIRED)


def shown_status(store, boards: pd.DataFrame) -> pd.Series:
    """Each board's status as its register counts it: 信息过期 (``stale``) wherever :func:`stale`
    says so — also a board recorded 正常 or 损坏 whose post changed hands — else as recorded."""
    status = boards["status"].astype(object)
    return status.where(~stale(store, boards).to_numpy(), "stale")


def public_card(store, key: str, *, by_number: bool = False) -> dict | None:
    """The published fields of the board whose link token is ``key`` — or, with ``by_number``
    (old printed links, during their transition period), whose board number is ``key`` — or
    ``None`` (unknown or retired)."""
    raw, _ = unwrap(store)
    key = (key or "").strip()
    if not key or len(key) > 64:
        return None
    columns = ["board_no", "level", "chief_name", "chief_post", "phone", "duties", "zone_id", "zone_desc",
               "status", "post_id"]
    frame = raw.read_layer("signboard", where={"public_token": key}, geometry=False, columns=columns) \
        if TOKEN.match(key) else None
    if (frame is None or frame.empty) and by_number:
        frame = raw.read_layer("signboard", where={"board_no": key}, geometry=False, columns=columns)
    if frame is None:
        return None
    frame = frame[frame["status"] != RETIRED]
    if frame.empty:
        return None
    row = frame.iloc[0].to_dict()
    card = {k: row.get(k) for k in ("board_no", "level", "chief_name", "chief_post", "phone", "duties")}
    card.update(_holder(raw, row))
    card["zone_name"], card["outline"] = row.get("zone_desc"), None
    if row.get("zone_id") is not None:
        zone = raw.read_layer("zone", ids=[int(row["zone_id"])], columns=["name"])
        if len(zone):
            card["zone_name"] = zone["name"].iloc[0] or card["zone_name"]
            card["outline"] = _svg_path(zone.geometry.iloc[0])
    return {k: card.get(k) for k in PUBLIC_FIELDS}


def _holder(raw, row: dict) -> dict:
    """The chief who holds the board's post today, when the post register knows it."""

    return board_holder(raw, row) or {}


def _svg_path(geom, size: float = 240.0) -> dict | None:
    """The outline as an SVG path in a ``size`` box (simplified; no coordinates are published)."""
    if geom is None or geom.is_empty:
        return None
    minx, miny, maxx, maxy = geom.bounds
    span = max(maxx - minx, maxy - miny) or 1.0
    g = shapely.simplify(geom, span / 300)
    scale = size / span
    parts = []
    polys = getattr(g, "geoms", [g])
    for poly in polys:
        for ring in [poly.exterior, *poly.interiors]:
            pts = [((x - minx) * scale, (maxy - y) * scale) for x, y in ring.coords]
            parts.append("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + " Z")
    return {"d": " ".join(parts), "w": round((maxx - minx) * scale, 1), "h": round((maxy - miny) * scale, 1)}


_CSS = """body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;background:#eef3ec;color:#17301a}
main{max-width:560px;margin:0 auto;padding:20px}h1{font-size:22px;color:#1a7837;margin:8px 0 16px}
.card{background:#fff;border-radius:8px;padding:18px 20px;box-shadow:0 1px 8px rgba(0,0,0,.08)}
dt{font-size:13px;color:#5b6b5b;margin-top:12px}dd{margin:2px 0 0;font-size:17px}
svg{display:block;margin:14px auto 0;max-width:100%}.no{font-size:12px;color:#667;margin-top:16px}"""


def public_html(card: dict, lang: str = "zh") -> str:
    e = html.escape
    zh = lang == "zh"
    level = LEVELS.get(str(card.get("level") or ""), (card.get("level") or "", card.get("level") or ""))
    rows = [
        ("林长" if zh else "Forest chief", card.get("chief_name")),
        ("职务" if zh else "Post", card.get("chief_post")),
        ("级别" if zh else "Level", level[0 if zh else 1]),
        ("责任区域" if zh else "Responsibility zone", card.get("zone_name")),
        ("林长职责" if zh else "Duties", card.get("duties")),
        ("监督电话" if zh else "Supervision phone", card.get("phone")),
    ]
    items = "".join(f"<dt>{e(k)}</dt><dd>{e(str(v))}</dd>" for k, v in rows if v not in (None, ""))
    svg = ""
    if card.get("outline"):
        o = card["outline"]
        svg = (f'<svg viewBox="-4 -4 {o["w"] + 8} {o["h"] + 8}" width="{min(o["w"] + 8, 320)}" '
               f'role="img" aria-label="{e("责任区范围" if zh else "Zone outline")}"><path d="{e(o["d"])}" '
               'fill="#cfe8c9" stroke="#1a7837" stroke-width="1.5" fill-rule="evenodd"/></svg>')
    title = "林长公示牌" if zh else "Forest-chief signboard"
    return (f'<!doctype html><html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{e(title)} '
            f'{e(str(card.get("board_no") or ""))}</title><style>{_CSS}</style></head><body><main>'
            f'<h1>{e(title)} · {e(str(card.get("board_no") or ""))}</h1><div class="card"><dl>{items}</dl>{svg}</div>'
            f'<p class="no">{e("发现破坏森林草原资源的行为，请拨打监督电话举报。" if zh else "To report damage to forest or grassland, call the supervision phone.")}</p>'
            '</main></body></html>')


def not_found_html(lang: str = "zh", unavailable: bool = False) -> str:
    zh = lang == "zh"
    if unavailable:
        msg = "暂时无法查询，请稍后再试。" if zh else "Not available right now; please try again later."
    else:
        msg = "未找到该公示牌。" if zh else "Signboard not found."
    return (f'<!doctype html><html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{html.escape(msg)}</title>'
            f'<style>{_CSS}</style></head><body><main><h1>{html.escape(msg)}</h1></main></body></html>')


def busy_html(lang: str = "zh") -> str:
    """The answer to an address that opened too many board pages in a short time (HTTP 429)."""
    zh = lang == "zh"
    msg = "查询过于频繁，请稍后再试。" if zh else "Too many requests; please try again in a minute."
    note = ("如需举报破坏森林草原资源的行为，请拨打公示牌上的监督电话。" if zh
            else "To report damage to forest or grassland, call the supervision phone on the board.")
    return (f'<!doctype html><html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{html.escape(msg)}</title>'
            f'<style>{_CSS}</style></head><body><main><h1>{html.escape(msg)}</h1>'
            f'<p class="no">{html.escape(note)}</p></main></body></html>')
