"""Leaf: the newsroom's week — which instants count as "this week" for an issue date.

An issue dated D covers the seven calendar days that end with D, in the newsletter's own
time zone. Bounds are computed from local midnights, so a week that crosses a daylight-saving
change is 167 or 169 hours long, as the calendar says, not a fixed 168.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def week_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of the week ending with `day` (inclusive), as aware local datetimes.

    Compare or subtract them after `.astimezone(UTC)`: Python subtracts two datetimes of the
    same zone as wall-clock times, which hides the extra or missing hour."""
    start = datetime.combine(day - timedelta(days=6), time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """A short local timestamp for listings, e.g. ``2026-11-24 09:30``."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
