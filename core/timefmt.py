"""Timestamps as DVID prints them (Go's RFC 3339 forms, local time zone)."""

from __future__ import annotations

from datetime import datetime


def now() -> datetime:
    return datetime.now().astimezone()


def _zone(dt: datetime) -> str:
    text = dt.strftime("%z")
    if text in ("+0000", ""):
        return "Z"
    return f"{text[:3]}:{text[3:]}"


def rfc3339(dt: datetime) -> str:
    """Seconds precision, as in log lines: ``2026-06-22T10:00:00-04:00``."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + _zone(dt)


def rfc3339_nano(dt: datetime) -> str:
    """Sub-second precision with trailing zeros trimmed, as Go's JSON times."""
    frac = f"{dt.microsecond:06d}".rstrip("0")
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + (f".{frac}" if frac else "") + _zone(dt)


def log_line(text: str, when: datetime | None = None) -> str:
    """A log entry: timestamp, two spaces, text."""
    return f"{rfc3339(when or now())}  {text}"
