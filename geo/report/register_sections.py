"""Every register's paragraph in the bulletin: each register whose rules define
``bulletin(figures, ctx) -> str | None`` speaks, with its figures for the bulletin's day and scope
(``ctx.fig["registers"]``), and the registers of one menu group (防火, 松材线虫病, 林长制 …) make one
numbered point of section 一 (the forest-chief system) or 二 (the other registers), so a new register
is in the bulletin as soon as it is declared."""

from __future__ import annotations

from geo.declare import schema as S
from geo.declare.registry import GROUPS, rules_of
from geo.docs.blocks import Block
from geo.report.sections import Context, register

# the groups about the responsibility system itself open the bulletin (section 一)
RESPONSIBILITY_GROUPS = ("chief",)


def _paragraphs(store, ctx: Context, groups) -> list[Block]:
    regs = (ctx.fig or {}).get("registers") or {}
    c = {"today": ctx.day, "as_of": ctx.as_of, "scope": ctx.scope_name, "counties": ctx.counties,
         "settings": ctx.settings, "registers": regs}
    by_group: dict[str, list[str]] = {}
    for key, lyr in S.LAYERS.items():
        if lyr.group not in groups:
            continue
        rules = rules_of(lyr)
        if rules is None or not hasattr(rules, "bulletin"):
            continue
        text = rules.bulletin(regs.get(key) or {}, {**c, "layer": key})
        if text and text not in by_group.get(lyr.group, []):
            by_group.setdefault(lyr.group, []).append(text.strip())
    out = []
    for group, texts in by_group.items():
        head = GROUPS.get(group, (group, group))[0]
        out.append(Block("p", "".join(t if t.endswith("。") else t + "。" for t in texts), head=f"{head}工作。"))
    return out


def responsibility(store, ctx: Context) -> list[Block]:
    return _paragraphs(store, ctx, RESPONSIBILITY_GROUPS)


def other_registers(store, ctx: Context) -> list[Block]:
    return _paragraphs(store, ctx, tuple(g for g in GROUPS if g not in RESPONSIBILITY_GROUPS))


register("responsibility", responsibility)
register("problems", other_registers)
