"""The bulletin's text as a list of blocks, built first and laid out afterwards (geo.docs.layout).

Section providers (:mod:`geo.report.sections`) return blocks too, so a register (林长令, 督办单 …)
contributes paragraphs without knowing anything about Word.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from geo.core.cells import xml_text

# kinds: title (lines), subtitle, recipients, lead, h1 (一、), h2 (（一）), p (body; ``head`` in bold
# or 楷体 before the text), table, closing, attach_note (附件说明), sign (署名, 日期),
# attachment (附件N + title, on a new page), note (a line not in the document proper)
KINDS = ("title", "subtitle", "recipients", "lead", "h1", "h2", "p", "table", "attach_note", "sign",
         "attachment", "contact")


@dataclass
class Block:
    kind: str
    text: str = ""
    head: str = ""  # a run before the text in the same paragraph (（一）… in 楷体, 1.… in bold)
    rows: list = field(default_factory=list)  # table: header row first
    caption: str = ""  # table caption (inline) or attachment title
    lines: list = field(default_factory=list)  # title: its lines (manual breaks between them)
    head_style: str = "kai"  # "kai" (楷体, for （一）) or "bold" (仿宋 bold, for 1. and 整改落实情况：)
    widths: list = field(default_factory=list)  # table: column widths in mm (empty: the layout's own)

    def __post_init__(self):
        # what a record carries reaches the document as text Word can hold (geo.core.cells.xml_text)
        self.text, self.head, self.caption = xml_text(self.text), xml_text(self.head), xml_text(self.caption)
        self.lines = [xml_text(x) for x in self.lines]
        self.rows = [[c if c is None or isinstance(c, (int, float)) else xml_text(c) for c in r] for r in self.rows]


def text_of(blocks: list[Block]) -> str:
    """The plain text of the blocks (for previews and tests)."""
    out = []
    for b in blocks:
        if b.kind == "title":
            out.append("".join(b.lines) if b.lines else b.text)
        elif b.kind == "table":
            if b.caption:
                out.append(b.caption)
            out.extend("\t".join(str(c) for c in r) for r in b.rows)
        elif b.kind == "attachment":
            out.append(b.text)
            out.append(b.caption)
        else:
            out.append(b.head + b.text)
    return "\n".join(out)
