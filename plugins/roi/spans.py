"""The span model of an ROI: parsing, storage keys, and vectorised block membership.

An ROI is a set of blocks kept as spans ``(z, y, x0, x1)`` (block coordinates, ``x1``
inclusive). Each span is one DVID class-90 TKey whose payload is the ZYX index of its first
block followed by its length as a big-endian uint32, so key order is (z, y, x0, length) and
a repeated span is the same key.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dvidpy import (
    VersionedStore,
    bad_request,
    from_key_order,
    index_zyx,
    json_text,
    parse_json,
    tkey,
    tkey_class_range,
    to_key_order,
)
from dvidpy.geometry import INT32_MAX, INT32_MIN
from dvidpy.plugins.roi.keys import SPAN_CLASS

_HEADER = tkey(SPAN_CLASS)

#: Byte layout of one span TKey: class byte, 0x01, Z, Y, X0 (sign-flipped), length.
_KEY_DTYPE = np.dtype([("head", "u1", 2), ("z", ">u4"), ("y", ">u4"), ("x0", ">u4"), ("n", ">u4")])

#: Spans as an ``(N, 4)`` int64 array of rows ``(z, y, x0, x1)``.
Spans = np.ndarray


def empty_spans() -> Spans:
    return np.zeros((0, 4), dtype=np.int64)


def parse_spans(body: bytes) -> Spans:
    """The POSTed JSON ``[[z, y, x0, x1], ...]``, fully validated; a 400 names the first problem."""
    data = parse_json(body, "Error trying to parse POSTed JSON", empty_is_null=False)
    if not isinstance(data, list):
        raise bad_request(
            f"Error trying to parse POSTed JSON: expected a list of [z, y, x0, x1] spans, got {_short(data)}"
        )
    for i, span in enumerate(data):
        _check_span(i, span)
    if not data:
        return empty_spans()
    return np.array(data, dtype=np.int64).reshape(-1, 4)


def _check_span(i: int, span: Any) -> None:
    if not isinstance(span, list) or len(span) != 4 or not all(_is_int(v) for v in span):
        raise bad_request(
            f"Error trying to parse POSTed JSON: span {i} must be 4 integers [z, y, x0, x1], got {_short(span)}"
        )
    if not all(INT32_MIN <= v <= INT32_MAX for v in span):
        raise bad_request(f"Error trying to parse POSTed JSON: span {i} {_short(span)} does not fit in 32 bits")
    if span[3] < span[2]:
        raise bad_request(f"Got weird span [{' '.join(map(str, span))}].  span[3] (X1) < span[2] (X0)")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _short(value: Any) -> str:
    text = json_text(value)
    return text if len(text) <= 80 else text[:77] + "..."


# -- storage -------------------------------------------------------------------------------------


def key_range() -> tuple[bytes, bytes]:
    """Inclusive TKey bounds holding every span key."""
    return tkey_class_range(SPAN_CLASS)


def encode_keys(spans: Spans) -> list[bytes]:
    """One TKey per span, vectorised."""
    rows = np.zeros(len(spans), dtype=_KEY_DTYPE)
    rows["head"] = np.frombuffer(_HEADER, dtype=np.uint8)
    rows["z"] = to_key_order(spans[:, 0])
    rows["y"] = to_key_order(spans[:, 1])
    rows["x0"] = to_key_order(spans[:, 2])
    rows["n"] = spans[:, 3] - spans[:, 2] + 1
    raw = rows.tobytes()
    size = _KEY_DTYPE.itemsize
    return [raw[i : i + size] for i in range(0, len(raw), size)]


def decode_keys(tkeys: list[bytes]) -> Spans:
    """Spans from their TKeys (in the given order), vectorised."""
    if not tkeys:
        return empty_spans()
    rows = np.frombuffer(b"".join(tkeys), dtype=_KEY_DTYPE)
    out = np.empty((len(rows), 4), dtype=np.int64)
    out[:, 0] = from_key_order(rows["z"])
    out[:, 1] = from_key_order(rows["y"])
    out[:, 2] = from_key_order(rows["x0"])
    out[:, 3] = out[:, 2] + rows["n"].astype(np.int64) - 1
    return out


def load_spans(store: VersionedStore, z_lo: int | None = None, z_hi: int | None = None) -> Spans:
    """The spans visible at the store's version, in key order (z, y, x0, length): one scan.

    With ``z_lo``/``z_hi`` only spans with ``z_lo <= z <= z_hi`` are read.
    """
    lo, hi = key_range()
    if z_lo is not None:
        lo = _HEADER + index_zyx(INT32_MIN, INT32_MIN, max(z_lo, INT32_MIN)) + bytes(4)
    if z_hi is not None:
        hi = _HEADER + index_zyx(INT32_MAX, INT32_MAX, min(z_hi, INT32_MAX)) + b"\xff" * 4
    tkeys = [bytes(tk) for tk, _ in store.scan(lo, hi, keys_only=True)]
    for tk in tkeys:
        if len(tk) != _KEY_DTYPE.itemsize:
            raise bad_request(f"corrupt ROI span key {tk.hex()} ({len(tk)} bytes)")
    return decode_keys(tkeys)


def replace_spans(store: VersionedStore, spans: Spans) -> None:
    """Make ``spans`` the ROI at the store's version: tombstone what is visible, then write."""
    lo, hi = key_range()
    store.delete_range(lo, hi)
    for tk in sorted(set(encode_keys(spans))):
        store.put(tk, b"")


def delete_spans(store: VersionedStore) -> None:
    lo, hi = key_range()
    store.delete_range(lo, hi)


def z_range(spans: Spans) -> tuple[int, int]:
    """(MinZ, MaxZ) of the spans, or DVID's (MaxInt32, MinInt32) sentinels for an empty ROI."""
    if not len(spans):
        return INT32_MAX, INT32_MIN
    return int(spans[:, 0].min()), int(spans[:, 0].max())


# -- membership ----------------------------------------------------------------------------------


class SpanIndex:
    """Block membership over spans, answered with binary searches (no per-block Python).

    Spans are grouped by (z, y); within a group they are ordered by x0 and carry the running
    maximum of x1, so overlapping or unsorted spans still answer correctly: block x is inside
    iff the last span of its row with ``x0 <= x`` has a running maximum ``>= x``.
    """

    _ROW_SHIFT = np.int64(1) << np.int64(33)

    def __init__(self, spans: Spans) -> None:
        spans = np.asarray(spans, dtype=np.int64).reshape(-1, 4)
        order = np.lexsort((spans[:, 2], spans[:, 1], spans[:, 0]))
        spans = spans[order]
        rows = _row_keys(spans[:, 0], spans[:, 1])
        self.rows, group = np.unique(rows, return_inverse=True)
        group = group.astype(np.int64).ravel()
        self.starts = group * self._ROW_SHIFT + to_key_order(spans[:, 2]).astype(np.int64)
        # Groups occupy disjoint, increasing bands, so a global running max stays within a group.
        ends = group * self._ROW_SHIFT + to_key_order(spans[:, 3]).astype(np.int64)
        self.reach = np.maximum.accumulate(ends) if len(spans) else group

    def __len__(self) -> int:
        return len(self.starts)

    def contains(self, blocks: np.ndarray) -> np.ndarray:
        """For an ``(N, 3)`` array of (x, y, z) block coordinates, which are inside."""
        blocks = np.asarray(blocks, dtype=np.int64).reshape(-1, 3)
        if not len(self.starts) or not len(blocks):
            return np.zeros(len(blocks), dtype=bool)
        wanted = _row_keys(blocks[:, 2], blocks[:, 1])
        g = np.searchsorted(self.rows, wanted)
        g_ok = np.minimum(g, len(self.rows) - 1)
        in_row = (g < len(self.rows)) & (self.rows[g_ok] == wanted)
        probe = g_ok.astype(np.int64) * self._ROW_SHIFT + to_key_order(blocks[:, 0]).astype(np.int64)
        i = np.searchsorted(self.starts, probe, side="right") - 1
        found = i >= 0
        reach = self.reach[np.maximum(i, 0)]
        return in_row & found & (reach >= probe)


def _row_keys(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """One sortable uint64 per (z, y) pair, in (z, y) order."""
    zu = to_key_order(z).astype(np.uint64)
    yu = to_key_order(y).astype(np.uint64)
    return (zu << np.uint64(32)) | yu


def blocks_of_voxels(points: np.ndarray, block_size: tuple[int, int, int]) -> np.ndarray:
    """Block coordinates (floor division) of an ``(N, 3)`` array of (x, y, z) voxels."""
    return np.floor_divide(np.asarray(points, dtype=np.int64), np.asarray(block_size, dtype=np.int64))


class RoiRegion:
    """An ROI at one version, as other datatypes see it (:class:`dvidpy.datatypes.Region`).

    The spans are read on first use, once; a region lives for one request.
    """

    def __init__(self, store: VersionedStore, block_size: tuple[int, int, int]) -> None:
        self.block_size = block_size
        self._store = store
        self._index: SpanIndex | None = None

    @property
    def index(self) -> SpanIndex:
        if self._index is None:
            self._index = SpanIndex(load_spans(self._store))
        return self._index

    def contains_blocks(self, blocks: np.ndarray) -> np.ndarray:
        """For an ``(N, 3)`` array of (x, y, z) block coordinates, a bool array: inside or not."""
        return self.index.contains(blocks)
