"""What a register is, as data: the shape every layer the bureau keeps shares.

A :class:`Register` (``geo.declare.registry.Layer`` is the same class) declares once:

* its geometry kind (``POINT``, ``LINESTRING``, ``MULTIPOLYGON``, ``GEOMETRY`` for "point or
  polygon", or ``None`` for a register with no place of its own, such as people);
* its fields (:class:`Field`): Chinese/English labels, type, unit, value list, source-file aliases;
* its statuses and guarded :class:`Transition` s;
* its :class:`Deadline` rule;
* the :class:`Figure` s it contributes to the leaders' screen, ``stats --json``, the ledger and
  the bulletin;
* who may change it (``writers``), and where its page sits in the menu (``group``).

The machinery reads the declaration: the store builds tables from it, the workflow checks its
guards, ingest maps files onto it, :mod:`geo.engine.figures` counts it, the ledger and the
bulletin write it, the CLI and the generic page (``dashboard/views/register.py``) render it, and
:mod:`geo.access.scope` narrows it to the user's counties. A new register is one module with a
declaration and its domain rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from geo.core.errors import ValidationError

# Field types. Dates and datetimes are ISO-8601 text in both backends' rows as Python sees them.
TEXT, INT, REAL, DATE, DATETIME, BOOL, JSON = "text", "int", "real", "date", "datetime", "bool", "json"


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    unit: str = ""
    options: tuple[str, ...] = ()  # keyed value list (labels in OPTION_LABELS / schema.LABELS)
    required: bool = False  # must be given when a record is added
    internal: bool = False  # kept by the system: not offered in forms, left out of exports
    ref: str = ""  # the register whose record this field points to (a form offers a choice)

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Transition:
    src: tuple[str, ...]
    dst: str
    zh: str
    en: str
    requires: tuple[str, ...] = ()  # fields that must hold a value after the change
    values: dict = dc_field(default_factory=dict)  # field -> allowed values
    evidence: bool = False  # at least one evidence file must be attached
    comment: bool = False  # a comment saying why is required
    optional: tuple[str, ...] = ()  # fields the form offers but does not require
    roles: tuple[str, ...] = ()  # who may make it (empty: the register's writers)
    stamps: dict = dc_field(default_factory=dict)  # field -> "today" | "actor", set when left empty
    # separation of duties: the account whose step last brought the record into one of these
    # statuses may not make this step (e.g. 验收 never by who recorded 整改完成)
    not_by: tuple[str, ...] = ()
    # a step back (退回, 重新核查 …): offered after the forward steps, never the form's default
    back: bool = False


@dataclass(frozen=True)
class Requirements:
    """What one step needs for one record: what its :class:`Transition` declares, and for a
    register whose rules add to it (a change polygon's closure by cause) the ``rule`` that applies,
    its ``evidence_note`` and the ``labels`` it gives fields. Read by the form (the same attribute
    names as :class:`Transition`), checked by the guard."""

    requires: tuple[str, ...]
    optional: tuple[str, ...]
    values: dict = dc_field(default_factory=dict)
    evidence: bool = False
    evidence_note: str = ""
    comment: bool = False
    rule: object = None
    labels: dict = dc_field(default_factory=dict)
    layer: "Layer | None" = None

    def label(self, name: str, lang: str = "zh") -> str:
        if lang == "zh" and name in self.labels:
            return self.labels[name]
        return self.layer.field(name).label(lang) if self.layer is not None else name

    def note(self, lang: str = "zh") -> str:
        """One sentence for the form: which rule applies and what it needs ("" without a rule)."""
        if self.rule is None:
            return ""
        zh = lang == "zh"
        names = ("、" if zh else ", ").join(self.label(n, lang) for n in self.requires)
        if zh:
            text = f"按“{self.rule.zh}”销号：须填写{names or '（无）'}"
            return text + (f"；须上传{self.evidence_note}。" if self.evidence_note else "。")
        text = f"Closing as “{self.rule.en}”: fill in {names or '(nothing)'}"
        return text + ("; attach the evidence listed." if self.evidence_note else ".")


@dataclass(frozen=True)
class Deadline:
    """When a record is due: ``field`` holds the date itself, or it is ``days`` after the date in
    ``start`` (``days_setting`` names a setting that overrides ``days``); with both, the record's
    own date wins and the others give it where it is empty. It counts only while the record is in
    one of ``open_statuses`` (all but the final ones when empty)."""

    field: str | None = None
    start: str | None = None
    days: int | None = None
    days_setting: str | None = None
    open_statuses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Figure:
    """A number the register contributes, per county and in total.

    ``kind``: ``count`` (records matching ``where``), ``sum`` (of ``field``), ``overdue``
    (records past their deadline), or ``custom`` (computed by the register's ``figures`` rule,
    which then returns this ``key``)."""

    key: str
    zh: str
    en: str
    kind: str = "count"
    field: str | None = None
    where: dict = dc_field(default_factory=dict)
    unit: str = ""
    digits: int = 0


@dataclass(frozen=True)
class Operation:
    """Something a register does besides moving between statuses — appoint someone to a post,
    record a payment, inspect a board, link features — with the fields it asks for. ``run`` names
    ``"module:function"``, called as ``fn(store, fid, values, actor=…, access=…, attachments=…,
    geometry=…, comment=…)``; the page renders a form from ``fields`` and the CLI offers it as
    ``python -m geo op --layer L --id N KEY --field …``."""

    key: str
    zh: str
    en: str
    run: str
    fields: tuple[Field, ...] = ()
    evidence: bool = False  # accepts files (photos, vouchers)
    geometry: bool = False  # asks for a new location
    statuses: tuple[str, ...] = ()  # offered only in these statuses (empty: any)
    roles: tuple[str, ...] = ()  # who may (empty: the register's writers)


@dataclass(frozen=True)
class Layer:
    key: str
    table: str
    geometry: str | None  # MULTIPOLYGON, POINT, LINESTRING, GEOMETRY, or None (no place)
    zh: str
    en: str
    fields: tuple[Field, ...]
    statuses: tuple[str, ...] = ("active",)
    initial_status: str = "active"
    label_field: str = "id"
    # ---- the register part (defaults keep the first layers as they were)
    transitions: tuple[Transition, ...] = ()
    deadline: Deadline | None = None
    figures: tuple[Figure, ...] = ()
    writers: tuple[str, ...] = ("admin", "staff")
    group: str = ""  # menu section of the generic page; "" = no generic page
    icon: str = ":material/list_alt:"
    final_statuses: tuple[str, ...] = ()
    attributed: bool = True  # features get their responsibility zones when they arrive
    list_fields: tuple[str, ...] = ()  # columns of the page's table (default: the first few)
    rules: str | None = None  # module with the domain rules (hooks: see geo.declare.registry.rules_of)
    labels: dict = dc_field(default_factory=dict)  # value labels: kind -> key -> (zh, en)
    operations: tuple[Operation, ...] = ()
    stamps: dict = dc_field(default_factory=dict)  # status -> {field: "today" | "actor"} set on arrival
    # a record may arrive without a place (the register's ``locate`` rule or an operation places it later)
    place_optional: bool = False
    # records in these statuses are never offered as a choice (a person who has left the system is
    # no one's chief or holder any more); the rules refuse them too
    retired_statuses: tuple[str, ...] = ()
    # a register of what exists (台账: 小班, enterprises, cameras), not of work to do: the chief's view
    # lists its records apart from open work (待办)
    stock: bool = False

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def spatial(self) -> bool:
        return self.geometry is not None

    @property
    def storage_geometry(self) -> str:
        """What the store declares: registers without a place keep an always-empty POINT column,
        so every register is the same kind of table to GDAL, QGIS and both backends."""
        return self.geometry or "POINT"

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise ValidationError(
            f"layer '{self.key}' has no field '{name}'; known fields: {', '.join(self.names)}",
            f"图层“{self.zh}”没有字段“{name}”。可用字段：{', '.join(self.names)}",
            field=name,
        )

    def has(self, name: str) -> bool:
        return name in self.names

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


Register = Layer


def fld(name, type_, zh, en, *aliases, unit="", options=(), required=False, internal=False, ref=""):
    return Field(name, type_, zh, en, tuple(aliases), unit, tuple(options), required, internal, ref)


# Columns every layer has, managed by the store and the workflow.
COMMON = (
    fld("status", TEXT, "状态", "Status", internal=True),
    fld("version", INT, "版本", "Version", internal=True),
    fld("created_at", DATETIME, "创建时间", "Created at", internal=True),
    fld("updated_at", DATETIME, "更新时间", "Updated at", internal=True),
    fld("updated_by", TEXT, "更新人", "Updated by", internal=True),
    fld("flags", JSON, "提示", "Flags", internal=True),
    fld("extra", JSON, "其他属性", "Other attributes", internal=True),
)

WHERE = (
    fld("county_code", TEXT, "旗县代码", "County code", "XIAN_DM", "县代码", "ADCODE"),
    # (full-width brackets in a file's column names match these: the mapping folds them)
    fld("county", TEXT, "旗县", "County", "XIAN", "县", "旗县", "县名", "XIAN_MC", "区县", "县(市、区)",
       "旗县(市、区)", "县级行政区", "县名称", "区县名称", "旗县名称"),
    fld("township", TEXT, "苏木乡镇", "Township", "XIANG", "乡", "乡镇", "苏木乡镇", "XIANG_MC", "乡(镇)",
       "乡镇(苏木)", "苏木(乡镇)", "乡镇名称", "乡名称"),
)

# Where a feature sits in the forest-chief system, filled in when it arrives (geo.declare.registry.zones)
ZONED = (
    fld("zone_id", INT, "责任区", "Responsibility zone", internal=True, ref="zone"),
    fld("zones", JSON, "各级责任区", "Zones by level", internal=True),
)

AREA = (
    fld("area_ha", REAL, "面积(公顷)", "Area (ha)", unit="公顷"),
    fld("area_mu", REAL, "面积(亩)", "Area (mu)", unit="亩"),
    fld("area_crs", TEXT, "面积计算坐标系", "Area CRS", internal=True),
)
