"""Numbers and dates written the way the bulletins write them: no thousands separators, money in
万元 to 2 decimals ("23.60万元", 元 to 2), areas in 公顷 to 4 and 亩 to 2 decimals with 亩 computed
from the 公顷 total (never summed from rounded parts), "销号率100%", "2023年12月9日", and long
lists cut to a few names "等N个"."""

from __future__ import annotations

import datetime as dt
import math

NO_DATA = "—"  # a figure that cannot be given (the bulletin words around it; a table shows the dash)
CN_NUMS = "一二三四五六七八九十"


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def num(value, digits: int = 6) -> str:
    """``1195`` → "1195"; ``23.600517`` → "23.600517"; ``100.0`` → "100"; None → "—"."""
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


def fixed(value, digits: int) -> str:
    """``23.600517`` → "23.60" (2): a fixed number of decimals, as money and areas are printed."""
    text = f"{float(value):.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def wan2(yuan) -> str:
    """元 → 万元 to 2 decimals: ``236005.17`` → "23.60"."""
    return fixed(float(yuan) / 10000.0, 2)


def hectares(ha) -> str:
    return fixed(ha, 4)


def mu_of(ha) -> str:
    """亩 of a 公顷 total (1 公顷 = 15 亩), from the total as printed: 541.9074 → "8128.61"."""
    return fixed(round(float(ha), 4) * 15.0, 2)


def listing(names, limit: int = 5, unit: str = "个", noun: str = "") -> str:
    """"A、B、C" or, when longer than ``limit``, "A、B、C、D、E等14个{noun}" (the bulletins' way)."""
    names = [str(n) for n in names if n is not None and str(n).strip()]
    if len(names) <= limit:
        return "、".join(names)
    return "、".join(names[:limit]) + f"等{len(names)}{unit}{noun}"


def zh_span(start: dt.date, end: dt.date) -> str:
    """"2023年4月25日至6月25日" (the year once when both days are in it)."""
    if start.year == end.year:
        return f"{zh_date(start)}至{end.month}月{end.day}日"
    return f"{zh_date(start)}至{zh_date(end)}"


def width(text: str) -> float:
    """Printed width in characters: Chinese and full-width 1, ASCII 0.5."""
    return sum(0.5 if ord(ch) < 0x2E80 and ch not in "—…“”‘’" else 1.0 for ch in text)
