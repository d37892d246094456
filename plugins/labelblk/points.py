"""Parsing a JSON list of ``[x, y, z]`` points fast enough for 100k-point label queries.

Well-formed integer lists (what clients send) are checked and converted with vectorised numpy
byte operations; anything else goes through ``json`` for a precise error or an unusual but
valid spelling.
"""

from __future__ import annotations

import json
import warnings

import numpy as np

from core import bad_request
from core.geometry import INT32_MAX, INT32_MIN

_BRACKETS_TO_SPACES = bytes.maketrans(b"[]", b"  ")


def parse_points(body: bytes) -> np.ndarray:
    """An ``(N, 3)`` int64 array of the points, or a 400 naming what is wrong."""
    compact = body.translate(None, b" \t\r\n")
    if compact == b"[]":
        return np.zeros((0, 3), dtype=np.int64)
    points = _parse_integer_triples(compact)
    if points is None:
        points = _parse_json(body)
    if len(points) and (points.min() < INT32_MIN or points.max() > INT32_MAX):
        raise bad_request("Bad labels request JSON: point coordinates must fit in 32 bits")
    return points


def _parse_integer_triples(compact: bytes) -> np.ndarray | None:
    """The common spelling ``[[x,y,z],...]`` with plain integers, in a few C-speed passes.

    The punctuation left after removing digits and signs must be exactly that of N triples;
    numpy then reads the 3N numbers. Anything else (floats, exponents, stray signs) returns
    None and goes through ``json``.
    """
    n = compact.count(b"[") - 1
    if n < 1 or compact.translate(None, b"0123456789-") != b"[" + b"[,,]," * (n - 1) + b"[,,]]":
        return None
    if b"--" in compact or b"-," in compact or b"-]" in compact:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            values = np.fromstring(compact.translate(_BRACKETS_TO_SPACES), dtype=np.int64, sep=",")
        except (ValueError, DeprecationWarning):
            return None
    if values.size != 3 * n:
        return None
    return values.reshape(n, 3)


def _parse_json(body: bytes) -> np.ndarray:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise bad_request(f"Bad labels request JSON: {exc}")
    if not isinstance(data, list) or not all(_is_point(p) for p in data):
        raise bad_request("Bad labels request JSON: expected a list of [x, y, z] integer points")
    try:
        return np.array(data, dtype=np.int64).reshape(-1, 3)
    except OverflowError:
        raise bad_request("Bad labels request JSON: point coordinates must fit in 32 bits")


def _is_point(p) -> bool:
    return isinstance(p, list) and len(p) == 3 and all(isinstance(v, int) and not isinstance(v, bool) for v in p)
