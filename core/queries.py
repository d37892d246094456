"""Query-string values read the same way everywhere.

A flag (``throttle``, ``replace``, ``prefetch``, ...) is on when its value is ``on`` or
``true`` in any case, as DVID reads ``throttle``; anything else, or no value, is off.
"""

from __future__ import annotations

FLAG_ON = frozenset({"on", "true"})


def query_flag(value: str | None) -> bool:
    return value is not None and value.lower() in FLAG_ON
