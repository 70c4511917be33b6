"""What every command-line verb shares: the common options, ``KEY=VALUE`` pairs, and printing one
result (JSON with ``--json``, readable text otherwise)."""

from __future__ import annotations

import argparse
import json

from geo.core.errors import ValidationError


def add_common(p: argparse.ArgumentParser, json_flag: bool = True) -> None:
    p.add_argument("--db", help="store: a .gpkg path or postgresql:// URL (default: FOREST_DB or data/forest.gpkg)")
    if json_flag:
        p.add_argument("--json", action="store_true", help="print one JSON object")


def add_reader(p: argparse.ArgumentParser) -> None:
    p.add_argument("--actor", help="read as this account (its counties only)")


def add_writer(p: argparse.ArgumentParser, required_help: str = "") -> None:
    """``--actor ACCOUNT`` or ``--system``: who makes a change (geo.access.actors)."""
    p.add_argument("--actor", help="the account making the change (its role and counties apply)" + required_help)
    p.add_argument("--system", action="store_true",
                   help="an administrator working on the server; recorded as system:<os user>")


def pairs(items: list[str] | None, what: str) -> dict:
    """``["a=1", "b=2"]`` as ``{"a": "1", "b": "2"}``; anything else is refused in both languages."""
    out = {}
    for item in items or []:
        if "=" not in item:
            raise ValidationError(f"{what} takes KEY=VALUE, not '{item}'", f"{what} 的格式应为 键=值，而不是“{item}”")
        key, value = item.split("=", 1)
        out[key.strip()] = value
    return out


def emit(obj, as_json: bool) -> None:
    """One result on standard output."""
    if as_json:
        print(json.dumps(obj, ensure_ascii=False, indent=None, default=str))
    else:
        print(obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False, indent=2, default=str))
