"""Parsing a JSON list of ``[x, y, z]`` points fast enough for 100k-point label queries.

Well-formed integer lists (what clients send) are checked and converted with vectorised numpy
byte operations; anything else goes through ``json`` for a precise error or an unusual but
valid spelling.
"""

from __future__ import annotations

import json

import numpy as np

from core import bad_request

_ALLOWED = np.zeros(256, dtype=bool)
_ALLOWED[list(b"0123456789-,;")] = True
_SEPARATORS = np.zeros(256, dtype=bool)
_SEPARATORS[list(b",;")] = True


def parse_points(body: bytes) -> np.ndarray:
    """An ``(N, 3)`` int64 array of the points, or a 400 naming what is wrong."""
    compact = body.translate(None, b" \t\r\n")
    if compact == b"[]":
        return np.zeros((0, 3), dtype=np.int64)
    fast = _parse_integer_triples(compact)
    if fast is not None:
        return fast
    return _parse_json(body)


def _parse_integer_triples(compact: bytes) -> np.ndarray | None:
    if not (compact.startswith(b"[[") and compact.endswith(b"]]")):
        return None
    middle = compact[2:-2].replace(b"],[", b";")
    chars = np.frombuffer(middle, dtype=np.uint8)
    if len(chars) == 0 or not _ALLOWED[chars].all():
        return None
    sep = _SEPARATORS[chars]
    minus = chars == ord("-")
    starts = np.concatenate(([True], sep[:-1]))
    if sep[0] or sep[-1] or (sep[1:] & sep[:-1]).any() or (minus & ~starts).any() or minus[-1]:
        return None
    if (minus[:-1] & sep[1:]).any():
        return None
    records = np.cumsum(chars == ord(";"))
    commas = np.bincount(records[chars == ord(",")], minlength=records[-1] + 1)
    if not (commas == 2).all():
        return None
    values = np.fromstring(middle.replace(b";", b",").decode(), dtype=np.int64, sep=",")
    return values.reshape(-1, 3)


def _parse_json(body: bytes) -> np.ndarray:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise bad_request(f"Bad labels request JSON: {exc}")
    if not isinstance(data, list) or not all(_is_point(p) for p in data):
        raise bad_request("Bad labels request JSON: expected a list of [x, y, z] integer points")
    return np.array(data, dtype=np.int64).reshape(-1, 3)


def _is_point(p) -> bool:
    return isinstance(p, list) and len(p) == 3 and all(isinstance(v, int) and not isinstance(v, bool) for v in p)
