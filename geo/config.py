"""Settings, read once at the edge (CLI entry point, dashboard start) and passed down.

Sources, later ones winning:
1. defaults below;
2. ``forest.toml`` in the project root (untracked; ``forest.example.toml`` is the committed
   template) or the file named by ``FOREST_CONFIG``;
3. environment variables ``FOREST_DB``, ``FOREST_BASEMAP``, ``FOREST_TIANDITU_KEY``,
   ``FOREST_LANG``, ``FOREST_ORG``, ``FOREST_IMAGERY_DIR``;
4. ``--db`` on the CLI (applied by the CLI with :func:`dataclasses.replace`).

The upload size limit is Streamlit's own ``server.maxUploadSize`` from ``streamlit_config.toml``,
so the page and the CLI refuse the same files.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from geo.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BASEMAPS = ("none", "osm", "tianditu")


# ------------------------------------------------------------------ closure review (a separate block)
REVIEW_LEVELS = ("league", "province")


@dataclass(frozen=True)
class Escalation:
    """Overdue work goes up: ``days`` overdue or more → the chief of ``level`` gets a ``notice``."""

    days: int
    level: str  # a zone level: "banner" (旗县级林长) or "league" (盟级林长)
    notice: str  # 提示单 or 督办单


@dataclass(frozen=True)
class ReviewSettings:
    """``[review]`` in forest.toml: how polygons are closed (geo.closure, geo.review,
    geo.escalation). Every key is optional; unknown keys are refused."""

    levels: tuple[str, ...] = REVIEW_LEVELS  # who reviews after the county: league, then province
    league_share: float = 0.10  # share of each county's applications the league spot-checks
    league_min: int = 3  # … but at least this many (all of them when fewer)
    province_share: float = 0.05
    province_min: int = 2
    area_tolerance_pct: float = 5.0  # changed area may exceed the permitted/approved area by this much
    closure_rules: str = ""  # a TOML table replacing geo/closure_rules.toml (empty: the built-in one)
    escalation: tuple[Escalation, ...] = (Escalation(30, "banner", "提示单"), Escalation(90, "league", "督办单"))
    app_url: str = "http://localhost:8501"  # links in documents point here (?id=…)

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
    basemap: str = "none"
    tianditu_key: str = ""
    lang: str = "zh"
    org_name: str = "兴安盟林业和草原局"
    org_short: str = "盟林草局"
    contact: str = (
        "联系方式：0482-8284022；邮政信箱：兴安盟林业和草原局机关党委办公室，邮编 137400；"
        "电子邮箱：xnmlyjdb@126.com。"
    )
    imagery_dir: str = str(PROJECT_ROOT / "data" / "imagery")
    upload_max_mb: int = 200
    map_max_features: int = 3000
    session_hours: float = 8.0  # a session ends this long after sign-in, used or not
    session_idle_minutes: float = 30.0  # … or after this long without use
    signin_lock_after: int = 6  # failed sign-ins (per account / per address) before a lock
    signin_lock_minutes: float = 15.0
    password_min_length: int = 10
    review: ReviewSettings = field(default_factory=ReviewSettings)  # [review]: closure review

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
        if "review" in data:
            data["review"] = review_settings(data["review"], str(cfg))
        values.update(data)
    for var, name in _ENV.items():
        if env.get(var):
            values[name] = env[var]
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = replace(Settings(), **values)
    if settings.basemap not in BASEMAPS:
        raise ConfigError(
            f"basemap '{settings.basemap}' is not one of {BASEMAPS}",
            f"底图设置“{settings.basemap}”无效，可选：{'、'.join(BASEMAPS)}",
        )
    if settings.basemap == "tianditu" and not settings.tianditu_key:
        raise ConfigError(
            "basemap 'tianditu' needs a key: set FOREST_TIANDITU_KEY or tianditu_key in forest.toml",
            "天地图底图需要密钥：请设置 FOREST_TIANDITU_KEY 或在 forest.toml 中填写 tianditu_key",
        )
    if settings.lang not in ("zh", "en"):
        raise ConfigError(f"lang must be 'zh' or 'en', not '{settings.lang}'", "语言只能是 zh 或 en")
    return settings
