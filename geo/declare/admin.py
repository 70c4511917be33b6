"""The administrative units (league, counties, townships) every record is placed in: county and
township come from where a record lies. Not a register of the bureau's work: no statuses, no
attribution to zones."""

from __future__ import annotations

from geo.declare.base import BOOL, COMMON, TEXT, Layer, fld

ADMIN = Layer(
    key="admin",
    table="admin_units",
    geometry="MULTIPOLYGON",
    zh="行政区",
    en="Administrative units",
    label_field="name",
    attributed=False,
    fields=(
        fld("code", TEXT, "代码", "Code"),
        fld("name", TEXT, "名称", "Name"),
        fld("level", TEXT, "级别", "Level"),
        fld("parent_code", TEXT, "上级代码", "Parent code"),
        fld("derived", BOOL, "推算生成", "Derived"),
        fld("source", TEXT, "数据来源", "Source"),
        *COMMON,
    ),
)

REGISTERS = (ADMIN,)
