"""Leaf: the newsroom's week — which instants count as "this week" for an issue date.

An issue dated D covers the seven calendar days that end with D, in the newsletter's own
time zone. Bounds are computed from local midnights, so a week that crosses a daylight-saving
change is 167 or 169 hours long, as the calendar says, not a fixed 168.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# The issue dates the tool supports. A week reaches six days back and one forward and local
# midnights shift by a zone's offset, so the calendar's own ends (years 1 and 9999) overflow;
# these leave room, and no newsroom sends an issue outside them.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)


def is_supported_day(day: date) -> bool:
    """True when `day` is between `FIRST_DAY` and `LAST_DAY`, where weeks can be computed."""
    return FIRST_DAY <= day <= LAST_DAY


def week_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of the week ending with `day` (inclusive), as aware local datetimes;
    `day` must be a supported day (see `is_supported_day`).

    Compare or subtract them after `.astimezone(UTC)`: Python subtracts two datetimes of the
    same zone as wall-clock times, which hides the extra or missing hour."""
    start = datetime.combine(day - timedelta(days=6), time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """A short local timestamp for listings, e.g. ``2026-11-24 09:30``."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
