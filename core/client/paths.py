"""URL path parts: UUID specifiers and instance names, percent-encoded for DVID's routes."""

from __future__ import annotations

from urllib.parse import quote


def quoted(part: str) -> str:
    """One path segment; ``:`` and ``~`` stay as they are (they are UUID-specifier syntax)."""
    return quote(part, safe=":~")
