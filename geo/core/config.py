"""Settings, read once at the edge (CLI entry point, dashboard start) and passed down.

Sources, later ones winning:
1. defaults below;
2. ``forest.toml`` in the project root (untracked; ``forest.example.toml`` is the committed
   template) or the file named by ``FOREST_CONFIG`` (its ``[bulletin]`` table: the bulletin's
   genre, provenance and 公文 details, see :mod:`geo.report.settings`);
3. environment variables ``FOREST_DB``, ``FOREST_BASEMAP``, ``FOREST_TIANDITU_KEY``,
   ``FOREST_LANG``, ``FOREST_ORG``, ``FOREST_IMAGERY_DIR``, ``FOREST_TZ``, ``FOREST_TILES_DIR``;
4. ``--db`` on the CLI (applied by the CLI with :func:`dataclasses.replace`).

The upload size limit is Streamlit's own ``server.maxUploadSize`` from ``streamlit_config.toml``,
so the page and the CLI refuse the same files.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from geo.core.bulletin_settings import check_file_values
from geo.core.errors import ConfigError
from geo.core.timeutil import use_zone

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Built-in basemap keys. "offline" is drawn from the store's own boundaries and the shipped place
# names and rivers (data/basemap); "tianditu" (vector + labels) and "tianditu_img" (imagery +
# labels) need a key; intranet tile services are added under [[basemaps]] in forest.toml.
BASEMAPS = ("none", "offline", "osm", "tianditu", "tianditu_img")
WMTS_NAMES = {"{TileMatrix}": "{z}", "{TileRow}": "{y}", "{TileCol}": "{x}"}


@dataclass(frozen=True)
class TileSource:
    """An intranet XYZ or WMTS (GoogleMapsCompatible / EPSG:3857 tile matrix) template."""

    key: str
    name: str
    url: str
    labels: str = ""  # an optional overlay of labels (e.g. a separate annotation service)
    attribution: str = ""
    subdomains: str = ""
    max_zoom: int = 18
    dark: bool = False  # imagery: polygons get a white outline to stand out


def _template(url: str, where: str) -> str:
    url = str(url or "").strip()
    for a, b in WMTS_NAMES.items():
        url = url.replace(a, b)
    if not url.startswith(("http://", "https://", "/")) or not all(k in url for k in ("{z}", "{x}", "{y}")):
        raise ConfigError(
            f"{where}: a tile template needs http(s):// (or a path on this server) and {{z}}, {{x}}, {{y}} "
            f"(or WMTS {{TileMatrix}}, {{TileRow}}, {{TileCol}}): {url!r}",
            f"{where}：瓦片地址须以 http(s):// 或 / 开头，并包含 {{z}}、{{x}}、{{y}}"
            f"（或 WMTS 的 {{TileMatrix}}、{{TileRow}}、{{TileCol}}）：{url}",
        )
    return url


def tile_sources(items) -> tuple[TileSource, ...]:
    """``[[basemaps]]`` tables of forest.toml as checked :class:`TileSource` values."""
    out, seen = [], set(BASEMAPS)
    for i, item in enumerate(items or ()):
        where = f"basemaps[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{where} must be a table", f"{where} 须为表（[[basemaps]]）")
        unknown = set(item) - {"key", "name", "url", "labels", "attribution", "subdomains", "max_zoom", "dark"}
        if unknown:
            raise ConfigError(f"{where}: unknown keys {sorted(unknown)}", f"{where} 含未知设置 {sorted(unknown)}")
        name = str(item.get("name") or "").strip()
        key = str(item.get("key") or name).strip()
        if not name or key in seen:
            raise ConfigError(f"{where}: needs a unique name", f"{where}：需要一个不重复的名称 name")
        seen.add(key)
        try:
            max_zoom = int(item.get("max_zoom", 18))
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: max_zoom must be a number", f"{where}：max_zoom 须为数字") from None
        out.append(TileSource(
            key=key, name=name, url=_template(item.get("url"), where),
            labels=_template(item["labels"], where) if item.get("labels") else "",
            attribution=str(item.get("attribution") or name), subdomains=str(item.get("subdomains") or ""),
            max_zoom=max_zoom, dark=bool(item.get("dark", False)),
        ))
    return tuple(out)


# ------------------------------------------------------------------ closure review (a separate block)
REVIEW_LEVELS = ("league", "province")


@dataclass(frozen=True)
class Escalation:
    """Overdue work goes up: ``days`` overdue or more → the chief of ``level`` gets a ``notice``."""

    days: int
    level: str  # a zone level: "banner" (旗县级林长) or "league" (盟级林长)
    notice: str  # 提示单 or 督办单


# the steps of a change polygon that are separated from the step before (geo.change.layers:
# Transition.not_by), by their target status
SEPARATED_STEPS = ("accepted", "rectifying", "reviewed", "closed")


@dataclass(frozen=True)
class ReviewSettings:
    """``[review]`` in forest.toml: how polygons are closed (geo.change.closure, geo.change.review,
    geo.change.escalation). Every key is optional; unknown keys are refused."""

    levels: tuple[str, ...] = REVIEW_LEVELS  # who reviews after the county: league, then province
    league_share: float = 0.10  # share of each county's applications the league spot-checks
    league_min: int = 3  # … but at least this many (all of them when fewer)
    province_share: float = 0.05
    province_min: int = 2
    area_tolerance_pct: float = 5.0  # changed area may exceed the permitted/approved area by this much
    closure_rules: str = ""  # a TOML table replacing geo/closure_rules.toml (empty: the built-in one)
    escalation: tuple[Escalation, ...] = (Escalation(30, "banner", "提示单"), Escalation(90, "league", "督办单"))
    app_url: str = "http://localhost:8501"  # links in documents point here (?id=…)
    # separation of duties: the steps (their target status: accepted, closed, reviewed, rectifying)
    # one account may make after recording the step before (整改完成, 申请销号 …). Empty, the default:
    # as in the seeds, acceptance is a separate 验收组's and review a higher level's, never the
    # recorder's own. A bureau whose county inspector also accepts lists ["accepted"].
    same_person: tuple[str, ...] = ()

    def share(self, level: str) -> tuple[float, int]:
        return (self.league_share, self.league_min) if level == "league" else (self.province_share,
                                                                                self.province_min)


def review_settings(data: dict | None, where: str = "forest.toml") -> ReviewSettings:
    """``[review]`` as read from TOML, checked."""
    data = dict(data or {})
    known = {f.name for f in fields(ReviewSettings)}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"{where}: unknown [review] settings {sorted(unknown)}; known: {sorted(known)}",
                          f"配置文件 {where} 的 [review] 含未知设置 {sorted(unknown)}")
    if "levels" in data:
        levels = tuple(data["levels"])
        if not levels or levels[0] != "league" or any(lv not in REVIEW_LEVELS for lv in levels) \
                or len(set(levels)) != len(levels):
            raise ConfigError('[review] levels must be ["league"] or ["league", "province"]',
                              '[review] levels 只能是 ["league"]（盟市审核）或 ["league", "province"]（盟市审核＋省级抽查）')
        data["levels"] = levels
    if "escalation" in data:
        try:
            rules = tuple(Escalation(int(r["days"]), str(r["level"]), str(r.get("notice") or "督办单"))
                          for r in data["escalation"])
        except (KeyError, TypeError, ValueError) as ex:
            raise ConfigError("[[review.escalation]] needs days (a number) and level for each rule",
                              "[[review.escalation]] 每条规则需要 days（天数）和 level（林长级别）") from ex
        if any(r.level not in ("banner", "league", "township", "village") for r in rules):
            raise ConfigError("[[review.escalation]] level must be village, township, banner or league",
                              "[[review.escalation]] 的 level 只能是 village、township、banner 或 league")
        data["escalation"] = tuple(sorted(rules, key=lambda r: r.days))
    if "same_person" in data:
        steps = tuple(str(s) for s in (data["same_person"] or ()))
        if any(s not in SEPARATED_STEPS for s in steps):
            raise ConfigError(f"[review] same_person may list only {list(SEPARATED_STEPS)}",
                              f"[review] same_person 只能列出这些步骤：{'、'.join(SEPARATED_STEPS)}")
        data["same_person"] = steps
    for key in ("league_share", "province_share"):
        if key in data and not 0 < float(data[key]) <= 1:
            raise ConfigError(f"[review] {key} must be a share between 0 and 1",
                              f"[review] {key} 应为 0 到 1 之间的比例")
    try:
        return replace(ReviewSettings(), **data)
    except TypeError as ex:
        raise ConfigError(f"{where}: [review] {ex}", f"配置文件 {where} 的 [review] 有误：{ex}") from ex


@dataclass(frozen=True)
class Settings:
    db: str = str(PROJECT_ROOT / "data" / "forest.gpkg")
    basemap: str = "offline"  # the default choice; each user's own pick is remembered (geo.access.prefs)
    basemaps: tuple[TileSource, ...] = ()  # intranet XYZ/WMTS services ([[basemaps]] in forest.toml)
    tianditu_key: str = ""
    lang: str = "zh"
    org_name: str = "兴安盟林业和草原局"
    org_short: str = "盟林草局"
    contact: str = (
        "联系方式：0482-8284022；邮政信箱：兴安盟林业和草原局机关党委办公室，邮编 137400；"
        "电子邮箱：xnmlyjdb@126.com。"
    )
    imagery_dir: str = str(PROJECT_ROOT / "data" / "imagery")
    tiles_dir: str = str(PROJECT_ROOT / "data" / "tiles")
    upload_max_mb: int = 200
    map_max_features: int = 3000
    session_hours: float = 8.0  # a session ends this long after sign-in, used or not
    session_idle_minutes: float = 30.0  # … or after this long without use
    signin_lock_after: int = 6  # failed sign-ins of one account before it is locked (an address is only slowed)
    signin_lock_minutes: float = 15.0
    password_min_length: int = 10
    # the public signboard page (/board/…): a board's QR code carries a random token; links by board
    # number, printed before, keep working this many days after the store gave its boards tokens
    # (0: no longer); and one address may open at most this many board pages a minute
    board_number_links_days: int = 365
    board_pages_per_minute: int = 12
    # patrols (geo.fieldwork.patrols.Rule): one plausibility rule for uploads, the CLI and the demo
    patrol_max_kmh: float = 80.0  # top speed between two consecutive points
    patrol_max_gap_min: float = 60.0  # longest break in recording
    patrol_max_outside: float = 0.2  # share of points that may lie outside the jurisdiction
    timezone: str = "Asia/Shanghai"  # the bureau's zone: dates shown and defaulted (geo.core.timeutil)
    # the bulletin's genre, provenance and 公文 details ([bulletin] in forest.toml; keys and
    # meaning in geo.report.settings.ReportSettings; the app can override them in the store)
    bulletin: dict = field(default_factory=dict, hash=False)
    # registers' rules (geo/registers): days and layers a bureau sets for itself
    pine_clear_days: int = 10  # 即死即清: days from detecting a dead pine to its removal
    hazard_rectify_days: int = 30  # a fire hazard's deadline when the assignment names none
    fire_land_layer: str = ""  # forest/grassland polygons camera coverage is measured on ("": counties)

    # ---- wood-processing enterprises, 12345 complaints, carbon sink (geo.enterprise.enterprises,
    # geo.complaint.complaints, geo.carbon.carbon)
    enterprise_sample_share: float = 0.30  # share of enterprises whose source of wood is checked each year
    enterprise_fire_inspections: int = 2  # fire inspections a year of an enterprise bordering forest land
    enterprise_forest_border_m: float = 200.0  # an enterprise this close to forest land borders it
    # days to reply per complaint category (keys of geo.complaint.layers.CATEGORIES), over the defaults
    complaint_days: dict = field(default_factory=dict, hash=False)
    complaint_link_m: float = 1000.0  # change polygons and plots this close to a complaint are linked
    carbon_factors: str = str(PROJECT_ROOT / "data" / "carbon" / "factors.csv")  # the factor table
    review: ReviewSettings = field(default_factory=ReviewSettings)  # [review]: closure review

    # ---- what a file handed in may hold (checked before anything is converted or written)
    # a raster's uncompressed size as its header declares it (width × height × bands × bytes per
    # sample; geo.imagery.scenes.check_size). 8 GiB: the largest single scene a bureau receives
    # (a GF-2 pan-sharpened 4-band 16-bit scene, about 29,000 × 28,000 × 4 × 2 ≈ 6.5 GB) fits; the
    # conversion to a COG works block by block, so it is the disk (the COG, its overviews and a
    # temporary copy: about the declared size again) and the time (minutes per gigabyte on two
    # cores) that grow with it — a larger raster is a mosaic, to be cut into sheets first
    raster_max_bytes: int = 8 * 1024 ** 3
    # an uploaded batch (geo.ingest.archive.Limits): features in the file; vertices of all its
    # features together (a 500,000-polygon national batch of ~40 vertices each is 20 million;
    # the coordinates are held several times over while they are checked, repaired and
    # reprojected, at 16 bytes a copy); vertices of one feature (a county boundary
    # traced at 1 m has ~200,000; repairing one geometry of millions ties up a core for minutes)
    upload_max_features: int = 2_000_000
    upload_max_vertices: int = 50_000_000
    upload_max_feature_vertices: int = 1_000_000
    # where unexpected errors are written with their traceback (the CLI prints only a short
    # message); "" = logs/forest-errors.log beside a GeoPackage store, or in data/ for a PostGIS
    # store — else, when that folder is not writable, in $XDG_STATE_HOME/forest (geo.cli.common)
    error_log: str = ""

    @property
    def is_postgis(self) -> bool:
        return self.db.startswith(("postgresql://", "postgres://"))


_ENV = {
    "FOREST_DB": "db",
    "FOREST_BASEMAP": "basemap",
    "FOREST_TIANDITU_KEY": "tianditu_key",
    "FOREST_LANG": "lang",
    "FOREST_ORG": "org_name",
    "FOREST_IMAGERY_DIR": "imagery_dir",
    "FOREST_TZ": "timezone",
    "FOREST_TILES_DIR": "tiles_dir",
}


def _streamlit_upload_limit() -> int | None:
    path = PROJECT_ROOT / "streamlit_config.toml"
    try:
        with open(path, "rb") as fh:
            return int(tomllib.load(fh).get("server", {}).get("maxUploadSize"))
    except (OSError, TypeError, ValueError, tomllib.TOMLDecodeError):
        return None


def load_settings(env: dict | None = None, **overrides) -> Settings:
    env = os.environ if env is None else env
    values: dict = {}
    limit = _streamlit_upload_limit()
    if limit:
        values["upload_max_mb"] = limit
    cfg = Path(env.get("FOREST_CONFIG") or PROJECT_ROOT / "forest.toml")
    if cfg.exists():
        try:
            with open(cfg, "rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as ex:
            raise ConfigError(
                f"{cfg} is not valid TOML: {ex}", f"配置文件 {cfg} 格式错误：{ex}"
            ) from ex
        known = {f.name for f in fields(Settings)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(
                f"{cfg}: unknown settings {sorted(unknown)}; known: {sorted(known)}",
                f"配置文件 {cfg} 含未知设置 {sorted(unknown)}",
            )
        if "bulletin" in data:
            data["bulletin"] = check_file_values(data["bulletin"], cfg)
        if "review" in data:
            data["review"] = review_settings(data["review"], str(cfg))
        values.update(data)
    for var, name in _ENV.items():
        if env.get(var):
            values[name] = env[var]
    values.update({k: v for k, v in overrides.items() if v is not None})
    if "basemaps" in values and not all(isinstance(b, TileSource) for b in values["basemaps"]):
        values["basemaps"] = tile_sources(values["basemaps"])
    settings = replace(Settings(), **values)
    choices = (*BASEMAPS, *(b.key for b in settings.basemaps))
    if settings.basemap not in choices:
        raise ConfigError(
            f"basemap '{settings.basemap}' is not one of {choices}",
            f"底图设置“{settings.basemap}”无效，可选：{'、'.join(choices)}",
        )
    if settings.basemap in ("tianditu", "tianditu_img") and not settings.tianditu_key:
        raise ConfigError(
            "basemap 'tianditu' needs a key: set FOREST_TIANDITU_KEY or tianditu_key in forest.toml",
            "天地图底图需要密钥：请设置 FOREST_TIANDITU_KEY 或在 forest.toml 中填写 tianditu_key",
        )
    if settings.lang not in ("zh", "en"):
        raise ConfigError(f"lang must be 'zh' or 'en', not '{settings.lang}'", "语言只能是 zh 或 en")
    try:
        use_zone(settings.timezone)  # every local date and time from here on (geo.core.timeutil)
    except ValueError:
        raise ConfigError(
            f"timezone '{settings.timezone}' is not a time zone; use an IANA name such as Asia/Shanghai",
            f"时区设置“{settings.timezone}”无效，请填写如 Asia/Shanghai 的时区名称",
        ) from None
    global _CURRENT
    _CURRENT = settings
    return settings


_CURRENT: Settings | None = None


def current() -> Settings:
    """The settings the edge (CLI entry, dashboard start) loaded last — for domain rules called
    without them, such as a register's deadline counted inside ``stats`` — or the defaults."""
    return _CURRENT if _CURRENT is not None else Settings()
