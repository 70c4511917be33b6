"""UI strings of the app shell: the menu's sections, and one-line confirmations of actions."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # the menu's sections, by part of the system (dashboard/components/nav.py)
    "nav.sec.change": ("图斑整改", "Change polygons"),
    "nav.sec.chief": ("林长制", "Forest-chief system"),
    "nav.sec.ledger": ("台账", "Registers"),
    "nav.sec.system": ("系统", "System"),
}
