"""Before/after chips of a polygon: true colour (or false colour, or NDVI) from the registered
scenes covering it nearest its before/after imagery dates, the outline drawn, a scale bar, and
"SYNTHETIC" written on synthetic imagery. PNGs are cached on disk under
``<imagery folder>/.chips/`` by store, scene (id and file hash), feature id and version, kind and
size — a changed polygon gets a new version, hence new chips.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import shapely
from rasterio.warp import transform_geom
from rasterio.windows import from_bounds
from shapely.geometry import mapping, shape

from geo.imagery import ndvi as N
from geo.imagery import scenes as SC
from geo.core.config import load_settings
from geo.core.timeutil import optional_date

OUTLINE = (255, 230, 0)  # yellow: seen on green forest, brown soil and grey NDVI gaps alike
MIN_SIDE_PX = 40  # a tiny polygon still shows this many pixels of its surroundings


def ndvi_colours(values: np.ndarray) -> np.ndarray:
    """NDVI (−0.2…0.9) as brown → yellow → green; invalid (NaN) pixels grey."""
    stops = np.array([-0.2, 0.2, 0.45, 0.9])
    colours = np.array([[140, 100, 60], [215, 190, 120], [150, 200, 100], [20, 110, 40]], float)
    valid = np.isfinite(values)
    v = np.clip(np.where(valid, values, 0), stops[0], stops[-1])
    rgb = np.stack([np.interp(v, stops, colours[:, i]) for i in range(3)], axis=-1)
    rgb[~valid] = [200, 200, 200]
    return rgb.astype(np.uint8)


def stretch(data: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Bands (3, h, w) to uint8 (h, w, 3), all three by one 2–98 % range of the valid pixels (one
    range keeps the colours' balance: green forest stays green)."""
    vals = data[:, valid]
    lo, hi = np.percentile(vals, [2, 98]) if vals.size else (0.0, 1.0)
    out = np.clip((data - lo) / max(hi - lo, 1e-9) * 255, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    out[~valid] = [0, 0, 0]
    return np.ascontiguousarray(out)


def mode_of(scene: SC.Scene, kind: str) -> str:
    """What a chip of ``kind`` shows from this scene: rgb, false (NIR-red-green), ndvi or grey."""
    if kind == "ndvi" and scene.can_ndvi:
        return "ndvi"
    if scene.can_rgb:
        return "rgb"
    if {"nir", "red", "green"} <= set(scene.bands):
        return "false"
    return "ndvi" if scene.can_ndvi else "grey"


MODE_ZH = {"rgb": "真彩色", "false": "假彩色", "ndvi": "NDVI", "grey": "单波段"}
MODE_EN = {"rgb": "true colour", "false": "false colour", "ndvi": "NDVI", "grey": "single band"}


def _nice(length_m: float) -> float:
    k = 10 ** np.floor(np.log10(max(length_m, 1e-9)))
    for m in (5, 2, 1):
        if m * k <= length_m:
            return float(m * k)
    return float(k)


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def render(src, scene: SC.Scene, geom, kind: str = "rgb", size: int = 256, pad: float = 0.6) -> bytes:
    """A PNG of ``geom`` (EPSG:4490) and its surroundings on the open scene ``src``."""
    from PIL import Image, ImageDraw

    g = shape(transform_geom("EPSG:4490", src.crs, mapping(geom)))
    minx, miny, maxx, maxy = g.bounds
    res = abs(src.transform.a)
    side = max(maxx - minx, maxy - miny) * (1 + pad) + 4 * res
    side = max(side, MIN_SIDE_PX * res)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    window = from_bounds(cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2, src.transform)
    mode = mode_of(scene, kind)
    if mode == "ndvi":
        rgb = ndvi_colours(N.ndvi(src, scene, window=window, out_shape=(size, size), boundless=True))
    else:
        bands = {"rgb": ["red", "green", "blue"], "false": ["nir", "red", "green"]}.get(mode)
        idx = [scene.bands[b] for b in bands] if bands else [1, 1, 1]
        fill = scene.nodata if scene.nodata is not None else 0
        data = src.read(idx, window=window, out_shape=(3, size, size), boundless=True, fill_value=fill)
        data = data.astype("float32")
        valid = np.any(data != fill, axis=0)
        rgb = stretch(data, valid)
    img = Image.fromarray(rgb)
    draw = ImageDraw.Draw(img)
    x0, y0 = cx - side / 2, cy - side / 2

    def px(coords):
        return [((x - x0) / side * size, (1 - (y - y0) / side) * size) for x, y in coords]

    for poly in getattr(g, "geoms", [g]):
        for ring in [poly.exterior, *poly.interiors]:
            draw.line(px(ring.coords), fill=OUTLINE, width=2, joint="curve")
    # scale bar: a round length about a quarter of the chip, bottom left
    metres_per_unit = scene.res_m / res if res else 1.0
    bar_m = _nice(side * metres_per_unit / 4)
    bar_px = bar_m / (side * metres_per_unit) * size
    y = size - 12
    draw.rectangle([8, y - 3, 8 + bar_px, y + 1], fill=(255, 255, 255), outline=(0, 0, 0))
    label = f"{bar_m / 1000:g} km" if bar_m >= 1000 else f"{bar_m:g} m"
    font = _font(11)
    draw.text((10 + bar_px, y - 10), label, fill=(255, 255, 255), font=font, stroke_width=2, stroke_fill=(0, 0, 0))
    if scene.synthetic:
        draw.text((6, 4), "SYNTHETIC", fill=(255, 255, 255), font=font, stroke_width=2, stroke_fill=(160, 0, 0))
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def caption(scene: SC.Scene, role: str, mode: str, lang: str = "zh") -> str:
    if lang == "zh":
        syn = "（合成影像）" if scene.synthetic and "合成" not in (scene.sensor or "") else ""
        return (f"{'前期' if role == 'before' else '后期'} {scene.acquired_on.isoformat()} "
                f"{scene.sensor or ''} {MODE_ZH[mode]}（影像 #{scene.id}）{syn}").replace("  ", " ")
    syn = " (synthetic)" if scene.synthetic else ""
    sensor = "" if "合成" in (scene.sensor or "") else scene.sensor
    return (f"{'Before' if role == 'before' else 'After'} {scene.acquired_on.isoformat()} "
            f"{sensor or ''} {MODE_EN[mode]} (scene #{scene.id}){syn}").replace("  ", " ")


def pair_for(scenes: list[SC.Scene], geom, before, after, kind: str = "rgb"):
    """The before/after scenes for a polygon: among those covering it (wholly if any does) that
    can show ``kind``, nearest its dates."""
    need = "ndvi" if kind == "ndvi" else None
    cover = SC.covering(scenes, geom, need) or SC.covering(scenes, geom, need, whole=False)
    if kind == "rgb":  # true colour where possible
        rgb = [s for s in cover if s.can_rgb]
        if len({s.acquired_on for s in rgb}) >= 2:
            cover = rgb
    return SC.pick_pair(cover, optional_date(before), optional_date(after))


def _cache_file(folder: Path, store, scene: SC.Scene, feature: dict, kind: str, size: int) -> Path:
    key = "|".join(str(v) for v in (getattr(store, "url", ""), scene.id, scene.file_sha256, feature.get("id"),
                                    feature.get("version"), kind, size))
    return folder / ".chips" / f"{hashlib.sha1(key.encode()).hexdigest()}.png"


def chips_for(store, feature: dict, kind: str = "rgb", *, size: int = 256, folder: str | Path | None = None,
              lang: str = "zh", scenes: list[SC.Scene] | None = None) -> list[tuple[str, bytes]]:
    """Before/after chips of a change polygon (a dict from ``store.get_feature``) as
    ``[(caption, png), …]``: two, one (a single date covers it) or none (no scene covers it).

    ``kind``: "rgb" (true colour; false colour or NDVI where a scene has no visible bands) or
    "ndvi". Scenes are those the store's user may see (:func:`geo.imagery.scenes.visible`).
    """
    if kind not in ("rgb", "ndvi"):
        raise ValueError(f"kind must be 'rgb' or 'ndvi', not {kind!r}")
    if folder is None:

        folder = load_settings().imagery_dir
    folder = Path(folder)
    geom = feature["geometry"]
    if geom is None or shapely.is_empty(geom):
        return []
    scenes = SC.visible(store) if scenes is None else scenes
    before, after = pair_for(scenes, geom, feature.get("before_date"), feature.get("after_date"), kind)
    out = []
    for role, scene in (("before", before), ("after", after)):
        if scene is None:
            continue
        mode = mode_of(scene, kind)
        cached = _cache_file(folder, store, scene, feature, kind, size)
        png = cached.read_bytes() if cached.exists() else None
        if png is None:
            with N.open_scene(scene, folder) as src:
                png = render(src, scene, geom, kind, size)
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(f".{id(png)}.part")
                tmp.write_bytes(png)
                tmp.replace(cached)
            except OSError:
                pass  # a read-only imagery folder: chips are drawn each time
        out.append((caption(scene, role, mode, lang), png))
    return out
