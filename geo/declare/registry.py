"""The registry of every layer the store holds: which there are, their labels, and their rules.

Each part of the system declares its layers in a module of its own package (``REGISTERS``, a
tuple of :class:`~geo.declare.base.Layer`); this registry collects them by module name
(:data:`DECLARATIONS`, and any named in the ``FOREST_REGISTERS`` variable), the way a plugin
system does: the declarations are data that depend only on :mod:`geo.declare.base`, so the store,
the engine and the pages below the domain packages read every layer without importing a domain.
The rules a declaration names (``Layer.rules``, ``Operation.run``) are found the same way, by
name (:func:`rules_of`; their hooks: :class:`geo.declare.hooks.Rules`).

This module is the single description of what the store holds. The stores build their DDL from
it, the CLI validates ``--field`` against it, exports and reports take their column labels from it,
and the ingest field mapping pre-fills from the ``aliases``.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

from geo.core.errors import ValidationError
from geo.declare.base import (  # noqa: F401  (the declarations' vocabulary, re-exported)
    AREA, BOOL, COMMON, DATE, DATETIME, INT, JSON, REAL, TEXT, WHERE, ZONED, Deadline, Field, Figure, Layer,
    Operation, Register, Requirements, Transition, fld,
)

# The modules that declare layers, in the order the layers are listed (menus, CLI choices, the
# ledger's sheets). A new register adds its module here, or names it in FOREST_REGISTERS
# (comma-separated module names) without touching this file.
DECLARATIONS: tuple[str, ...] = (
    # the first layers: change polygons; occupation plots, restoration areas and patrols;
    # signboards and zones; the admin units
    "geo.change.layers", "geo.fieldwork.layers", "geo.chief.layers", "geo.declare.admin",
    # the chiefs' posts and people
    "geo.chief.people",
    # carbon sink (小班 first: the enterprises' forest border is computed from it), wood-processing
    # enterprises, 12345 complaints
    "geo.carbon.layers", "geo.enterprise.layers", "geo.complaint.layers",
    # fire prevention, pine-wilt disease
    "geo.fire.layers", "geo.pest.layers",
    # 林长令 (chiefs' orders and the responses to them)
    "geo.chief.orders_layers",
)
# the first seven layers keep their places ahead of the registers
FIRST = ("change", "occupation", "signboard", "zone", "restoration", "patrol", "admin")

# menu sections of the registers' pages: key -> (zh, en)
GROUPS: dict[str, tuple[str, str]] = {
    "chief": ("林长制", "Forest-chief system"),
    "field": ("整改与修复", "Rectification and restoration"),
    "fire": ("森林草原防火", "Fire prevention"),
    "pest": ("松材线虫病防控", "Pine-wilt disease"),
    "enterprise": ("木材经营加工", "Wood processing"),
    "complaint": ("接诉即办", "Hotline complaints"),
    "carbon": ("碳汇", "Carbon sink"),
    "review": ("销号审核", "Closure review"),
}

# Column defaults in the database: a column added to a big existing table with a constant
# default costs nothing (no rewrite of every row) in SQLite and PostgreSQL alike.
DEFAULTS = {"visited": "0"}


def modules() -> tuple[str, ...]:
    """The declaring modules: :data:`DECLARATIONS` and those named in ``FOREST_REGISTERS``."""
    extra = [m.strip() for m in os.environ.get("FOREST_REGISTERS", "").split(",") if m.strip()]
    return DECLARATIONS + tuple(m for m in extra if m not in DECLARATIONS)


def declared() -> list[Layer]:
    """Every declared layer, the first seven in their places, then the registers in module order."""
    found: list[Layer] = []
    for name in modules():
        found.extend(importlib.import_module(name).REGISTERS)
    first = sorted((lyr for lyr in found if lyr.key in FIRST), key=lambda lyr: FIRST.index(lyr.key))
    return first + [lyr for lyr in found if lyr.key not in FIRST]


def rules_of(lyr) -> ModuleType | None:
    """The module with ``lyr``'s domain rules, or None (hooks: :class:`geo.declare.hooks.Rules`)."""
    if not getattr(lyr, "rules", None):
        return None
    return importlib.import_module(lyr.rules)


def run_of(op: Operation):
    """The function an :class:`Operation` names (``"module:function"``)."""
    module, func = op.run.split(":")
    return getattr(importlib.import_module(module), func)


# Labels of keyed values shown to people (statuses, verdicts, levels, kinds).
LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "status": {
        "issued": ("下发", "Issued"),
        "verifying": ("核查中", "Verifying"),
        "verified": ("已核查", "Verified"),
        "case_filed": ("已立案", "Case filed"),
        "penalized": ("已处罚", "Penalized"),
        "rectifying": ("整改中", "Rectifying"),
        "rectified": ("已整改", "Rectified"),
        "accepted": ("已验收", "Accepted"),
        "closed": ("已销号", "Closed"),
        "applied": ("待审核", "Awaiting review"),
        "returned": ("已退回", "Sent back"),
        "reviewed": ("待省级抽查", "Awaiting province check"),
        "found": ("发现", "Found"),
        "delisted": ("已摘牌", "Delisted"),
        "planned": ("计划", "Planned"),
        "in_progress": ("实施中", "In progress"),
        "self_checked": ("已自验", "Self-checked"),
        "spot_checked": ("已抽查", "Spot-checked"),
        "failed": ("验收不合格", "Failed"),
        "ok": ("完好", "OK"),
        "retired": ("已撤除", "Retired"),
        "damaged": ("损坏", "Damaged"),
        "stale": ("信息过期", "Stale"),
        "active": ("在用", "Active"),
        "done": ("已完成", "Done"),
        "long_term": ("长期坚持", "Long-term"),
        "withdrawn": ("已撤销", "Withdrawn"),
    },
    "verdict": {
        "legal": ("合法", "Legal"),
        "illegal": ("违法违规", "Illegal"),
        "no_change": ("无变化", "No change"),
        "other": ("其他", "Other"),
    },
    "kind": {"forest": ("森林督查", "Forest"), "grassland": ("草原", "Grassland")},
    "check_method": {"field": ("实地核查", "Field visit"), "imagery": ("影像核查", "Imagery")},
    "check_result": {"pass": ("符合销号条件", "Meets the conditions"), "fail": ("不符合", "Does not meet them")},
    "condition": {"ok": ("完好", "Good"), "damaged": ("损坏", "Damaged"), "stale": ("信息过期", "Out of date")},
    "level": {
        "league": ("盟级", "League"),
        "banner": ("旗县级", "Banner/county"),
        "county": ("旗县", "County"),
        "township": ("苏木乡镇级", "Township"),
        "village": ("嘎查村级", "Village"),
        "grid": ("网格", "Grid"),
    },
    # what an event did (the history table): events.action
    "action": {
        "import": ("导入", "Imported"),
        "transition": ("状态变更", "Status change"),
        "edit": ("修改", "Edited"),
        "attach": ("上传材料", "Evidence added"),
        "link": ("关联", "Linked"),
        "create": ("新建", "Created"),
        "user_add": ("新建账号", "Account added"),
        "user_password": ("重置密码", "Password reset"),
        "user_disable": ("停用账号", "Account disabled"),
        "user_enable": ("启用账号", "Account enabled"),
        "appoint": ("任职", "Appointed"), "vacate": ("离任", "Left vacant"),
        "attribute": ("责任区归属更新", "Zone re-attributed"), "inspect": ("检查", "Inspected"),
        "refresh": ("更新牌面", "Board updated"), "payment": ("拨付资金", "Payment"), "move": ("移位", "Moved"),
        "signin": ("登录", "Signed in"), "signin_failed": ("登录失败", "Failed sign-in"),
        "signin_locked": ("登录被锁定", "Sign-in locked"), "place": ("定位", "Placed"), "retire": ("撤除", "Retired"),
        # the closure review (geo.change.review, geo.change.closure) and 林长令 (geo.chief.orders)
        "check": ("抽查复核", "Spot-checked"), "draw": ("抽取复核样本", "Sample drawn"),
        "finding": ("发现问题", "Finding recorded"), "respond": ("登记反馈", "Response recorded"),
        "purpose": ("更改批次用途", "Batch purpose changed"),
    },
    # actors that are not accounts (the demo's and the system's own writes)
    "actor": {"system": ("系统", "System")},
    "actor_level": {
        "ranger": ("护林员", "Ranger"),
        "village_chief": ("村级林长", "Village chief"),
        "township_chief": ("乡镇级林长", "Township chief"),
        "banner_chief": ("旗县级林长", "Banner chief"),
        "league_chief": ("盟级林长", "League chief"),
        # (not a value to record: the figures' row for patrols whose level is missing or unknown)
        "unmarked": ("未标明层级", "Level not given"),
    },
}


LAYERS: dict[str, Layer] = {}


def _register(layers: list[Layer]) -> None:
    for lyr in layers:
        LAYERS[lyr.key] = lyr
        for kind, pairs in lyr.labels.items():
            LABELS.setdefault(kind, {}).update(pairs)
        for op in lyr.operations:  # what the history shows for an operation it recorded
            LABELS["action"].setdefault(op.key, (op.zh, op.en))


def layer(key: str) -> Layer:
    try:
        return LAYERS[key]
    except KeyError:
        raise ValidationError(
            f"unknown layer '{key}'; choose one of: {', '.join(LAYERS)}",
            f"未知图层“{key}”。可选：{', '.join(LAYERS)}",
            layer=key,
        ) from None


def label(kind: str, key, lang: str = "zh", layer: str | None = None) -> str:
    """The human label of a keyed value, e.g. ``label('status', 'closed') == '已销号'``. With
    ``layer``, that register's own wording wins (a complaint is 已派单 where a hazard is 已交办)."""
    if key is None:
        return ""
    pair = LAYERS[layer].labels.get(kind, {}).get(str(key)) if layer in LAYERS else None
    pair = pair or LABELS.get(kind, {}).get(str(key))
    if pair is None:
        return str(key)
    return pair[0] if lang == "zh" else pair[1]


_register(declared())
