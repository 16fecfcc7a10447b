"""GeoReport v2 wire format: errors, date-times, and the JSON / XML renderings of the spec's documents."""

import json
import re
from datetime import date, datetime, time, timedelta
from xml.sax.saxutils import escape

import pytz

XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# the element name of one item of each list in the XML rendering, as the spec writes them
XML_ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


class Open311Error(Exception):
    """A request the API refuses: rendered as the spec's error list with this HTTP status."""

    def __init__(self, status, description):
        super().__init__(description)
        self.status = status
        self.description = description


# ------------------------------------------------------------
# date-times
# ------------------------------------------------------------


def format_datetime(value, tz):
    """ISO 8601 with the time zone's offset (``2026-11-30T16:05:00+08:00``) from a naive UTC datetime.

    ``tz``: a pytz time zone or its name.
    """
    if not value:
        return None
    if isinstance(tz, str):
        tz = pytz.timezone(tz)
    return pytz.utc.localize(value).astimezone(tz).isoformat(timespec="seconds")


def parse_datetime(text, tz_name, end_of_day=False):
    """A naive UTC datetime from a W3C date-time or date; without an offset it is the centre's local time.

    Raises ValueError for anything else.
    """
    text = (text or "").strip()
    if not text:
        raise ValueError(text)
    if len(text) == 10:
        day = date.fromisoformat(text)
        value = datetime.combine(day, time.max if end_of_day else time.min)
    else:
        value = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    if value.tzinfo is None:
        value = pytz.timezone(tz_name).localize(value)
    return value.astimezone(pytz.utc).replace(tzinfo=None)


def date_window(start, end, now, max_days):
    """(start, end) of a GET requests search: 90 days by default, never longer than ``max_days``."""
    span = timedelta(days=max_days)
    if start and not end:
        end = min(start + span, now) if start < now else start + span
    elif end and not start:
        start = end - span
    elif not start and not end:
        end, start = now, now - span
    return start, end


# ------------------------------------------------------------
# renderings
# ------------------------------------------------------------


def render_json(document):
    return json.dumps(document, ensure_ascii=False)


def _xml_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    # control characters cannot be written in XML 1.0 at all, even escaped
    return escape(XML_FORBIDDEN.sub("", str(value)))


def _xml_parts(tag, value, parts):
    if isinstance(value, dict):
        parts.append(f"<{tag}>")
        for key, child in value.items():
            _xml_parts(key, child, parts)
        parts.append(f"</{tag}>")
    elif isinstance(value, list | tuple):
        item_tag = XML_ITEM_TAGS.get(tag, "item")
        parts.append(f"<{tag}>")
        for child in value:
            _xml_parts(item_tag, child, parts)
        parts.append(f"</{tag}>")
    else:
        parts.append(f"<{tag}>{_xml_text(value)}</{tag}>")


def render_xml(root_tag, document):
    """The XML document of the spec: ``root_tag`` holding ``document`` (a list of items or a dict).

    Written as text (the tags are the spec's, the values escaped): a page of a hundred requests
    renders several times faster than through an element tree.
    """
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n']
    _xml_parts(root_tag, document, parts)
    return "".join(parts)


def render(fmt, root_tag, document):
    return render_json(document) if fmt == "json" else render_xml(root_tag, document)


def error_document(status, description):
    return [{"code": status, "description": description}]
