"""Versioned contexts: reads at a version see the nearest ancestor's value, as in DVID.

A write at version V touches only V's key. A read of a TKey at V gathers every stored version of
that TKey (they are adjacent in key order) and picks the one visible from V:

* along a single line of ancestry the nearest entry wins, and a tombstone hides older values;
* at a merge node DVID's rule applies: an entry found at V or below invalidates every ancestor's
  entry, and two distinct surviving values are a conflict.

DVID searches every path up from V, which is exponential in the number of merges and recursive
in the depth of the history. The same answer comes from the entries alone: among the entries at
V's ancestors (V included), the ones that are no other such entry's ancestor survive; tombstones
among them hide, and more than one surviving value is a conflict. With one bit mask of ancestors
per version that is a few integer operations per key, whatever the shape of the DAG. (DVID can
also report a conflict at an inner merge that a later path would have resolved; this does not.)

A version's ancestry never changes once the version exists (the DAG only grows), so an
:class:`Ancestry` is computed once per version and cached by the core.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from dvidpy.errors import bad_request
from dvidpy.storage import keys
from dvidpy.storage.engine import Value
from dvidpy.storage.keys import version_of
from dvidpy.storage.session import Session


class VersionConflict(Exception):
    """A merge node sees different values for one key through different parents."""


@dataclass(frozen=True)
class Ancestry:
    """What a version can see: its ancestors and, when no merge is involved, their distances."""

    version: int
    parents: Mapping[int, tuple[int, ...]]
    depths: Mapping[int, int] | None

    @classmethod
    def build(cls, version: int, parents_of: Callable[[int], Sequence[int]]) -> Ancestry:
        parents: dict[int, tuple[int, ...]] = {}
        todo = [version]
        while todo:
            v = todo.pop()
            if v in parents:
                continue
            parents[v] = tuple(parents_of(v))
            todo.extend(parents[v])
        depths: dict[int, int] | None = None
        if all(len(p) <= 1 for p in parents.values()):
            depths, v, d = {}, version, 0
            while True:
                depths[v] = d
                if not parents[v]:
                    break
                v, d = parents[v][0], d + 1
        return cls(version, parents, depths)

    def visible(self, entries: Mapping[int, bool]) -> int | None:
        """The version whose value is visible, given ``{version: is_tombstone}``; None if none."""
        if self.depths is not None:
            best, best_depth = None, None
            for v in entries:
                d = self.depths.get(v)
                if d is not None and (best_depth is None or d < best_depth):
                    best, best_depth = v, d
            if best is None or entries[best]:
                return None
            return best
        bit, ancestors = self._reach
        seen = [v for v in entries if v in bit]
        covered = 0
        for v in seen:
            covered |= ancestors[v]
        values = sorted(v for v in seen if not (covered >> bit[v]) & 1 and not entries[v])
        if len(values) > 1:
            raise VersionConflict(f"versions {values}")
        return values[0] if values else None

    @cached_property
    def depths_by_key_bytes(self) -> dict[bytes, int]:
        """:attr:`depths` keyed by each version's four big-endian bytes, as data keys hold them."""
        assert self.depths is not None
        return {v.to_bytes(4, "big"): d for v, d in self.depths.items()}

    @cached_property
    def _reach(self) -> tuple[dict[int, int], dict[int, int]]:
        """A bit number for every version of the ancestry, and each one's ancestors as a mask."""
        order: list[int] = []  # parents before children
        done: set[int] = set()
        stack: list[tuple[int, bool]] = [(self.version, False)]
        while stack:
            v, expanded = stack.pop()
            if v in done:
                continue
            if expanded:
                done.add(v)
                order.append(v)
                continue
            stack.append((v, True))
            stack.extend((p, False) for p in self.parents[v] if p not in done)
        bit = {v: i for i, v in enumerate(order)}
        ancestors: dict[int, int] = {}
        for v in order:
            mask = 0
            for p in self.parents[v]:
                mask |= ancestors[p] | (1 << bit[p])
            ancestors[v] = mask
        return bit, ancestors


#: Long scans check the request's deadline every this many keys plus one (a power of two less one).
DEADLINE_STRIDE = 1023
def _linear_item(tk: bytes, suffix: bytes, value: Value | None, with_values: bool):
    version = int.from_bytes(suffix, "big")
    return (tk, version, value) if with_values else (tk, version)


class VersionedStore:
    """An instance's data as seen from one version, read and written through a request session."""

    def __init__(self, session: Session, instance_id: int, ancestry: Ancestry) -> None:
        self.session = session
        self.instance_id = instance_id
        self.ancestry = ancestry
        self._prefix = keys.instance_prefix(instance_id)

    @property
    def version(self) -> int:
        return self.ancestry.version

    @property
    def longest_tkey(self) -> int:
        """The longest type key the engine's keys leave room for."""
        return self.session.engine.max_key_bytes - keys.PREFIX_LEN - keys.SUFFIX_LEN

    # -- reading ---------------------------------------------------------------------------

    def get(self, tk: bytes) -> bytes | None:
        """The value of ``tk`` visible at this version (None if absent or deleted)."""
        # The scan of [tk, tk] also reaches longer TKeys that start with ``tk``: match exactly.
        for found, value in self.scan(tk, tk):
            if found == tk:
                return bytes(value)
        return None

    def exists(self, tk: bytes) -> bool:
        return any(found == tk for found, _ in self.scan(tk, tk, keys_only=True))

    def version_of(self, tk: bytes) -> int:
        """The version that wrote the visible value of ``tk`` (0 if none)."""
        for found, version in self._visible(((tk, tk),), keys_only=True):
            if found == tk:
                return version
        return 0

    def scan(
        self, begin: bytes, end: bytes, *, keys_only: bool = False, buffers: bool = False
    ) -> Iterator[tuple[bytes, Value | None]]:
        """Visible ``(tkey, value)`` pairs with ``begin <= tkey <= end`` (both inclusive).

        With ``buffers=True`` values are zero-copy views valid only until the next step.
        """
        return self.scan_many(((begin, end),), keys_only=keys_only, buffers=buffers)

    def scan_many(
        self, ranges: Sequence[tuple[bytes, bytes]], *, keys_only: bool = False, buffers: bool = False
    ) -> Iterator[tuple[bytes, Value | None]]:
        """The visible pairs of several ascending, disjoint TKey ranges (each inclusive), in key
        order, read with one cursor: a box of blocks is one range per row of blocks."""
        for tk, _, value in self._visible(ranges, keys_only=keys_only, with_values=True):
            yield tk, (value if buffers or value is None else bytes(value))

    def keys(self, begin: bytes, end: bytes) -> list[bytes]:
        return [tk for tk, _ in self.scan(begin, end, keys_only=True)]

    def snapshot(self):
        """A context in which every read shares one consistent snapshot (and buffers from
        ``scan(..., buffers=True)`` stay valid until it ends)."""
        return self.session.reading()

    def ever_written(self, begin: bytes, end: bytes) -> bool:
        """True if any version of the instance, visible here or not, holds a TKey in
        ``[begin, end]`` (a value or a tombstone)."""
        start, stop = keys.tkey_range(self.instance_id, begin, end)
        with self.session.reading() as txn:
            return any(True for _ in txn.scan(start, stop, keys_only=True))

    def raw_key(self, tk: bytes) -> bytes:
        """The store key that holds ``tk``'s value written at this version."""
        return keys.data_key(self.instance_id, tk, self.version)

    def _visible(self, ranges: Sequence[tuple[bytes, bytes]], *, keys_only: bool, with_values: bool = False):
        raw = [keys.tkey_range(self.instance_id, begin, end) for begin, end in ranges]
        self.session.check_deadline()
        if self.ancestry.depths is not None:
            yield from self._visible_linear(raw, keys_only, with_values)
            return
        ancestry = self.ancestry
        with self.session.reading() as txn:
            group_tk: bytes | None = None
            entries: dict[int, bool] = {}
            values: dict[int, Value | None] = {}
            for n, (key, value) in enumerate(txn.scan_ranges(raw, keys_only=keys_only)):
                if not n & DEADLINE_STRIDE:
                    self.session.check_deadline()
                tk = key[keys.PREFIX_LEN : -keys.SUFFIX_LEN]
                if tk != group_tk:
                    if entries:
                        yield from self._pick(group_tk, entries, values, ancestry, with_values)
                    group_tk, entries, values = tk, {}, {}
                version = version_of(key)
                entries[version] = key[-1] == keys.MARKER_TOMBSTONE
                values[version] = value
            if entries:
                yield from self._pick(group_tk, entries, values, ancestry, with_values)

    def _visible_linear(self, raw: list[tuple[bytes, bytes]], keys_only: bool, with_values: bool):
        """The same answer as the general path when no merge is involved, in one tight loop:
        per TKey the entry of the nearest ancestor wins, unless it is a tombstone. Versions are
        looked up by their four key bytes, so the loop decodes no integers but the winners'."""
        depth_of = self.ancestry.depths_by_key_bytes
        lo, cut = keys.PREFIX_LEN, -keys.SUFFIX_LEN
        tombstone = keys.MARKER_TOMBSTONE
        with self.session.reading() as txn:
            head = None
            best_depth, best_suffix, best_value, best_dead = -1, b"", None, True
            for n, (key, value) in enumerate(txn.scan_ranges(raw, keys_only=keys_only)):
                if not n & DEADLINE_STRIDE:
                    self.session.check_deadline()
                if key[:cut] != head:
                    if not best_dead:
                        yield _linear_item(head[lo:], best_suffix, best_value, with_values)
                    head, best_dead, best_depth = key[:cut], True, -1
                suffix = key[cut:-5]
                depth = depth_of.get(suffix)
                if depth is not None and (best_depth < 0 or depth < best_depth):
                    best_depth, best_suffix, best_value = depth, suffix, value
                    best_dead = key[-1] == tombstone
            if not best_dead:
                yield _linear_item(head[lo:], best_suffix, best_value, with_values)

    @staticmethod
    def _pick(tk, entries, values, ancestry: Ancestry, with_values: bool):
        try:
            winner = ancestry.visible(entries)
        except VersionConflict as exc:
            raise VersionConflict(f"found multiple kv for key {tk.hex()} among parents: {exc}")
        if winner is not None:
            yield (tk, winner, values[winner]) if with_values else (tk, winner)

    # -- writing ---------------------------------------------------------------------------

    def put(self, tk: bytes, value: Value) -> None:
        self.put_many(((tk, value),))

    def put_many(self, items: Iterable[tuple[bytes, Value]]) -> int:
        """Write many values at this version (and clear any tombstone of theirs); returns how many."""
        txn = self.session.writer()
        prefix = self._prefix
        suffix = self.version.to_bytes(4, "big") + bytes(4)
        value_mark, tomb_mark = bytes((keys.MARKER_VALUE,)), bytes((keys.MARKER_TOMBSTONE,))
        longest = self.longest_tkey
        n = 0
        for tk, value in items:
            if len(tk) > longest:
                raise bad_request(f"a key of {len(tk)} bytes is longer than this store allows ({longest} bytes)")
            base = prefix + tk + suffix
            txn.put(base + value_mark, value)
            txn.discard(base + tomb_mark)
            n += 1
        return n

    def delete(self, tk: bytes) -> None:
        """Hide ``tk`` at this version and its descendants; ancestors keep their value."""
        if len(tk) > self.longest_tkey:
            raise bad_request(f"a key of {len(tk)} bytes is longer than this store allows ({self.longest_tkey} bytes)")
        txn = self.session.writer()
        v = self.version
        txn.discard(keys.data_key(self.instance_id, tk, v))
        txn.put(keys.data_key(self.instance_id, tk, v, tombstone=True), b"")

    def delete_range(self, begin: bytes, end: bytes) -> int:
        """Tombstone every TKey visible in ``[begin, end]``; returns how many."""
        doomed = self.keys(begin, end)
        for tk in doomed:
            self.delete(tk)
        return len(doomed)

    def delete_all(self) -> int:
        """Physically remove every key of the instance, all versions (instance deletion)."""
        start, stop = keys.instance_range(self.instance_id)
        return self.session.writer().delete_range(start, stop)
