"""Strings of the batch upload page: key -> (Simplified Chinese, English)."""

STRINGS: dict[str, tuple[str, str]] = {}
