"""Parse stage: the date forms front-matter (and ``--as-of``) accept.

A module of its own, without YAML or the rest of the parser: the command
line reads ``--as-of`` with it, and a no-op build never imports the parser.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

_DATE_RE = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_date(value: str, tz: dt.tzinfo) -> tuple[dt.datetime | None, bool, str | None]:
    """(aware datetime, has_time, error message)."""
    m = _DATE_RE.match(unicodedata.normalize("NFKC", value.strip()))
    if not m:
        return None, False, f"日期“{value}”的格式不对，应当写成 2026-03-05 或 2026-03-05 14:30。"
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    hh = int(m.group(4)) if m.group(4) else 0
    mm = int(m.group(5)) if m.group(5) else 0
    ss = int(m.group(6)) if m.group(6) else 0
    try:
        dt.date(y, mo, d)
    except ValueError:
        if 1 <= mo <= 12:
            import calendar

            days = calendar.monthrange(y, mo)[1]
            return None, False, f"日期“{value}”不存在：{y}年{mo}月只有 {days} 天。"
        return None, False, f"日期“{value}”不存在：月份应当在 1 到 12 之间。"
    if not (0 <= hh <= 23 and 0 <= mm <= 59 and 0 <= ss <= 59):
        return None, False, f"日期“{value}”中的时间不存在，时间应当在 00:00 到 23:59 之间。"
    zone = tz
    if m.group(7):
        off = m.group(7)
        if off == "Z":
            zone = dt.UTC
        else:
            sign = 1 if off[0] == "+" else -1
            digits = off[1:].replace(":", "")
            zone = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    when = dt.datetime(y, mo, d, hh, mm, ss, tzinfo=zone).astimezone(tz)
    return when, bool(m.group(4)), None


__all__ = ["_DATE_RE", "parse_date"]
