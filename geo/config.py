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

    # ---- wood-processing enterprises, 12345 complaints, carbon sink (geo.enterprises,
    # geo.complaints, geo.carbon)
    enterprise_sample_share: float = 0.30  # share of enterprises whose source of wood is checked each year
    enterprise_fire_inspections: int = 2  # fire inspections a year of an enterprise bordering forest land
    enterprise_forest_border_m: float = 200.0  # an enterprise this close to forest land borders it
    # days to reply per complaint category (keys of geo.registers.complaint.CATEGORIES), over the defaults
    complaint_days: dict = field(default_factory=dict, hash=False)
    complaint_link_m: float = 1000.0  # change polygons and plots this close to a complaint are linked
    carbon_factors: str = str(PROJECT_ROOT / "data" / "carbon" / "factors.csv")  # the factor table

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
