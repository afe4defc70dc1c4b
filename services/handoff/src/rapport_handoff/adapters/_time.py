"""Vendor timestamps as aware datetimes: ISO-8601 (with ``Z``, ``+0000`` or nanoseconds),
Rails' ``2020-03-03 13:05:57 UTC`` (Chatwoot's webhooks), and unix seconds or milliseconds."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

# "2020-03-03 13:05:57 UTC" (Ruby's Time#to_s) and "... +0000" / "... -05:00"
_RUBY = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?) ?(UTC|[+-]\d{2}:?\d{2})$"
)


def parse_time(value: Any) -> datetime | None:
    """The moment ``value`` names, or None when it is absent or not a time."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
            number = float(value)
            return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, UTC)
        if not isinstance(value, str):
            return None
        text = value.strip()
        if (ruby := _RUBY.match(text)) is not None:
            day, clock, zone = ruby.groups()
            text = f"{day}T{clock}{'+00:00' if zone == 'UTC' else zone}"
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
