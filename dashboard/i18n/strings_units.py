"""Units the pages print after numbers: key -> (Simplified Chinese, English)."""

STRINGS: dict[str, tuple[str, str]] = {
    "unit.km": ("公里", "km"),
    "unit.h": ("小时", "h"),
}
