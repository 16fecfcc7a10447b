"""Checks of what the bridge and the dialplan send: every problem is a PayloadError with a reason.

The reasons go back to the bridge in a 400 answer (and into its dead-letter
table), so they name the item and the field: ``events[3].time: not an ISO-8601
date and time``.
"""

import re
from datetime import UTC, datetime

MAX_BATCH = 5000
TEXT_LIMIT = 1024
ID_RE = re.compile(r"^[^\x00-\x1f]{1,255}$")


class PayloadError(ValueError):
    """Malformed input from the PBX side (HTTP 400)."""


def text(values, key, where, required=False, limit=TEXT_LIMIT):
    """A string field ('' when absent); numbers are accepted and turned into text."""
    raw = values.get(key)
    if raw is None or raw == "":
        if required:
            raise PayloadError(f"{where}: missing {key}")
        return ""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise PayloadError(f"{where}.{key}: must be a string")
    value = str(raw).strip()
    if required and not value:
        raise PayloadError(f"{where}: missing {key}")
    if len(value) > limit:
        raise PayloadError(f"{where}.{key}: longer than {limit} characters")
    if "\0" in value:
        raise PayloadError(f"{where}.{key}: contains a NUL character")
    return value


def choice(values, key, where, allowed, required=False):
    value = text(values, key, where, required=required)
    if value and value not in allowed:
        raise PayloadError(f"{where}.{key}: {value!r} is not one of {', '.join(sorted(allowed))}")
    return value


def seconds(values, key, where):
    """A non-negative whole number of seconds, or None when absent."""
    raw = values.get(key)
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise PayloadError(f"{where}.{key}: must be a number")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise PayloadError(f"{where}.{key}: must be a number") from None
    if value != value or value < 0 or value > 10**7:
        raise PayloadError(f"{where}.{key}: out of range")
    return int(round(value))


def iso_time(values, key, where, required=False):
    """An ISO-8601 date and time (UTC when it has no offset) as naive UTC, or None."""
    raw = values.get(key)
    if raw is None or raw == "":
        if required:
            raise PayloadError(f"{where}: missing {key}")
        return None
    if not isinstance(raw, str):
        raise PayloadError(f"{where}.{key}: must be an ISO-8601 string")
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise PayloadError(f"{where}.{key}: not an ISO-8601 date and time") from None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=0)


def batch(body, key):
    """The list under ``key`` of a JSON body."""
    if not isinstance(body, dict):
        raise PayloadError("the body must be a JSON object")
    items = body.get(key)
    if not isinstance(items, list):
        raise PayloadError(f"the body needs a list under {key!r}")
    if len(items) > MAX_BATCH:
        raise PayloadError(f"at most {MAX_BATCH} items per request")
    return items
