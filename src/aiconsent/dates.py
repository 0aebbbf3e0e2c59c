"""RFC 3339 date-times and dates as Python values, for every layer that compares them.

Python's datetime cannot hold a leap second (23:59:60); it is read as the last microsecond of
that minute, which keeps every comparison the right way round.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta


def parse_datetime(text: str) -> datetime:
    """Parse an RFC 3339 date-time (schema-checked, so it carries an offset)."""
    value = text.upper()
    if len(value) > 18 and value[17:19] == "60":
        return datetime.fromisoformat(value[:17] + "59" + value[19:]).replace(
            microsecond=0
        ) + timedelta(microseconds=999_999)
    return datetime.fromisoformat(value)


def parse_date(text: str) -> date:
    """Parse an ISO 8601 calendar date (YYYY-MM-DD)."""
    return date.fromisoformat(text)
