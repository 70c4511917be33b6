"""Strings of the summary screen: key -> (Simplified Chinese, English)."""

STRINGS: dict[str, tuple[str, str]] = {}
