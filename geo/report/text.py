"""Numbers and dates written the way the bulletins write them (no thousands separators,
"23.600517万元", "销号率100%", "2023年12月9日"), and "暂无数据" where a figure is missing."""

from __future__ import annotations

import datetime as dt
import math

NO_DATA = "暂无数据"
CN_NUMS = "一二三四五六七八九十"


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def num(value, digits: int = 6) -> str:
    """``1195`` → "1195"; ``23.600517`` → "23.600517"; ``100.0`` → "100"; None → "暂无数据"."""
    if missing(value):
        return NO_DATA
    if isinstance(value, int):
        return str(value)
    text = f"{float(value):.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def pct(value) -> str:
    return NO_DATA if missing(value) else f"{num(value, 1)}%"


def wan(yuan, digits: int = 6) -> str:
    """元 → 万元 text."""
    return NO_DATA if missing(yuan) else num(float(yuan) / 10000.0, digits)


def zh_date(day: dt.date | str | None) -> str:
    """``2023-12-09`` → "2023年12月9日" (GB/T 9704: Arabic numerals, no leading zeros)."""
    if day is None or day == "":
        return NO_DATA
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    return f"{day.year}年{day.month}月{day.day}日"


def cn_index(i: int) -> str:
    """1 → "一", 11 → "十一" (for 一、 and （一） headings)."""
    if i <= 10:
        return CN_NUMS[i - 1]
    if i < 20:
        return "十" + CN_NUMS[i - 11]
    tens, ones = divmod(i, 10)
    return CN_NUMS[tens - 1] + "十" + (CN_NUMS[ones - 1] if ones else "")


def batch_title(name: str) -> str:
    """A batch name as the bulletins say it: "2023年第1期森林督查变化图斑"."""
    name = (name or "").strip()
    return name if "图斑" in name else f"{name}变化图斑"
