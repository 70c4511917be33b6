"""Spreadsheet cells that are never formulas: the one rule for every workbook (and any CSV) the
app writes — the layer exports, the ledger, an upload's problem list.

Text a person typed (a problem, a note, a field of an uploaded file) can begin with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return. A spreadsheet reads such a cell as a formula — at once
(``=HYPERLINK(...)``, openpyxl itself turns a string starting with ``=`` into a formula), or when
someone edits it or opens a CSV — which can fetch addresses, run commands through DDE or leak other
cells ("CSV injection", OWASP). :func:`formula_like` is the rule; the workbook writers apply it
with :func:`xlsx_cell` (write-only sheets) or :func:`neutralise_sheet` (a sheet pandas wrote): such
text stays exactly what was typed, stored as a text cell with Excel's quote prefix (the ``'`` a
person types before ``=`` to keep it text; a property of the cell, not a character of its value),
so it is shown, sorted and filtered as typed and editing it does not turn it into a formula. (The
app writes no CSV; one that did would prefix such text with ``'``, OWASP's remedy for a format
without cell types.)

Numbers stay numbers: a negative amount is a number, not text, and is left alone. Control
characters a workbook cannot hold (a NUL padding a shapefile's attribute, a pasted form feed) are
dropped from text (:func:`xlsx_text`), so no value a record holds can stop a workbook from being
written.
"""

from __future__ import annotations

import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# what a spreadsheet may read as the start of a formula (OWASP "CSV injection")
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value) -> bool:
    """Whether ``value`` is text a spreadsheet could take for a formula (never a number)."""
    return isinstance(value, str) and value.startswith(FORMULA_LEADS)


def as_text(cell):
    """An openpyxl cell whose value is formula-like text, made a text cell with the quote prefix
    (its value unchanged). Returns the cell."""
    if formula_like(cell.value) or cell.data_type == "f":
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def xlsx_text(value):
    """``value`` with the control characters a workbook cannot hold dropped (text only)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def xml_text(value) -> str:
    """``value`` as text a Word document (XML 1.0) can hold: control characters other than tab and
    line breaks dropped — python-docx refuses a run holding one, and a record may carry any."""
    if value is None:
        return ""
    return ILLEGAL_CHARACTERS_RE.sub("", value if isinstance(value, str) else str(value))


def xlsx_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells hold nothing a workbook cannot (:func:`xlsx_text`)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(xlsx_text)
    return out


def xlsx_cell(ws, value):
    """What to append to a write-only sheet ``ws`` for ``value``: the value itself, or — for
    formula-like text — a text cell with the quote prefix."""
    value = xlsx_text(value)
    if not formula_like(value):
        return value
    return as_text(WriteOnlyCell(ws, value=value))


def neutralise_sheet(ws) -> int:
    """Every formula-like text cell of an ordinary (not write-only) sheet, e.g. one pandas wrote,
    made a text cell. The writers here never write formulas, so a cell holding one came from a
    value. Returns how many cells were changed."""
    n = 0
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f" or formula_like(cell.value):
                as_text(cell)
                n += 1
    return n
