"""Time: events are stamped in UTC (``YYYY-MM-DDTHH:MM:SSZ``); the dates and times people see and
the dates forms default to are in the bureau's zone — Beijing time unless the ``timezone`` setting
(``forest.toml`` or ``FOREST_TZ``) names another; :func:`geo.core.config.load_settings` applies it.

Never ``datetime.date.today()`` for a date a person sees: the server may run on UTC, and from
midnight to 08:00 Beijing time that is still yesterday. Use :func:`today_local`."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"
LOCAL_TZ = ZoneInfo(DEFAULT_ZONE)  # the default zone (the demo's data is set in it)
_zone = LOCAL_TZ


def use_zone(name: str) -> ZoneInfo:
    """Make ``name`` (an IANA zone such as ``Asia/Shanghai``) the zone of every local date and
    time; raises ``ValueError`` for a name that is not a zone."""
    global _zone
    try:
        _zone = ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as ex:
        raise ValueError(f"unknown time zone '{name}'") from ex
    return _zone


def local_tz() -> ZoneInfo:
    return _zone


def now_utc() -> str:
    return to_utc_text(dt.datetime.now(dt.timezone.utc))


def to_utc_text(value) -> str:
    """Normalise a datetime (naive = local time), date or ISO text to ``YYYY-MM-DDTHH:MM:SSZ``."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(9, 0))
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_tz())
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_CN_DATETIME = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                          r"(?:[\sT]+(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*分?\s*(?:[:：]?\s*(\d{1,2})\s*秒?)?)?$")


def _padded(text: str) -> str:
    """``2024/5/9 9:05``, ``2024年5月9日 9时5分`` → ``2024-05-09T09:05:00`` (office exports' forms)."""
    m = _CN_DATETIME.match(text.strip())
    if not m:
        return text
    y, mo, d, h, mi, s = m.groups()
    out = f"{y}-{int(mo):02d}-{int(d):02d}"
    return out if h is None else f"{out}T{int(h):02d}:{int(mi):02d}:{int(s or 0):02d}"


def parse_datetime(text: str) -> dt.datetime:
    text = _padded(text).strip().replace(" ", "T")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if len(text) == 10:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(0, 0), local_tz())
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=local_tz())


def local_date(utc_text: str) -> dt.date:
    """The local calendar date of a UTC timestamp text."""
    return parse_datetime(utc_text).astimezone(local_tz()).date()


def end_of_local_day_utc(day: dt.date) -> str:
    """UTC text of the first instant after ``day`` ends in local time (for "as of" queries: at < this)."""
    nxt = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), local_tz())
    return to_utc_text(nxt)


def today_local() -> dt.date:
    return dt.datetime.now(local_tz()).date()


def as_date(value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(local_tz()).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    text = _padded(str(value).strip())
    if len(text) == 8 and text.isdigit():  # yyyymmdd, as in verification layers
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    m = _YMD.fullmatch(text)
    if m:  # 2025/3/4, 2025.3.4, 2025年3月4日 (as office lists write dates)
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    if len(text) > 10:
        return local_date(to_utc_text(text))
    return dt.date.fromisoformat(text.replace("/", "-"))


def optional_date(value) -> dt.date | None:
    """A date from whatever a record holds (date, datetime, ISO or office text such as 2025年3月4日),
    or None when it holds none or something that is not a date (长期坚持, NaN): the one lenient
    reading of an optional date field, for rules and figures that skip what they cannot date."""
    if value is None:
        return None
    try:
        return as_date(value)
    except (TypeError, ValueError):  # pandas' NA refuses comparison; NaN and free text do not parse
        return None


_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def fmt_local(utc_text: str | None) -> str:
    """``2023-12-09 14:30`` (local time) for a stored UTC timestamp text."""
    if not utc_text:
        return ""
    return parse_datetime(str(utc_text)).astimezone(local_tz()).strftime("%Y-%m-%d %H:%M")
