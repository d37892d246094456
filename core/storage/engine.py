"""The ordered key-value engine interface every storage backend implements.

Keys and values are bytes, ordered lexicographically. Ranges at this level are half-open,
``[start, stop)``, as Python slices are. A write transaction is all-or-nothing: the core opens
at most one per HTTP request, so a request that fails writes nothing.

Concurrent writers. An engine either runs one write transaction at a time (LMDB: the core's
read-modify-writes are then safe by construction) or lets several run at once (a database
server shared by many dvidpy servers). For the second kind the core names the *write
exclusions* a transaction needs (:meth:`WriteTxn.lock`, see :mod:`dvidpy.exclusions`): the
engine holds each until the transaction ends, so two transactions that take the same
exclusion never overlap, and the one that takes it second reads everything the first
committed. An engine may also give up a transaction because of a concurrent one
(:class:`Conflict`); the core then runs the whole request again (:func:`with_room`).

An engine is one module (``storage/lmdb.py``, ``storage/postgres.py``); another backend
implements these few classes and registers itself with :func:`register_engine`, declaring the
``[store]`` options it takes. This module names no engine.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from dvidpy.errors import unavailable

T = TypeVar("T")

#: How often one piece of work may grow the store and start again. Each growth doubles LMDB's
#: map, so this bounds the map at 2**40 times its starting size: a request never fails because
#: its writes outgrew a small starting map (DVID's users never see "map full").
MAX_STORE_RETRIES = 40

Value = bytes | memoryview


class UnknownEngine(ValueError):
    """The configuration names an engine that is not registered."""


class StoreFull(Exception):
    """The engine ran out of room for a transaction; it may be retried after :meth:`Engine.grow`."""


class StoreBusy(Exception):
    """The store could not grow now (other transactions stayed open); try again later."""


class Conflict(Exception):
    """The engine gave up a transaction because of a concurrent one (a deadlock, or a
    serialization failure); nothing of it was written and it may simply run again."""


class StoreUnavailable(Exception):
    """The engine cannot reach its store (a database server that is down or refuses us)."""


class ReadTxn(ABC):
    """A consistent snapshot of the store."""

    @abstractmethod
    def get(self, key: bytes) -> Value | None:
        """The value at ``key``, or None."""

    @abstractmethod
    def scan(
        self, start: bytes, stop: bytes, *, reverse: bool = False, keys_only: bool = False
    ) -> Iterator[tuple[bytes, Value | None]]:
        """Pairs with ``start <= key < stop`` in key order (or reversed); values None if keys_only.

        Values may be memoryviews into the engine's pages: they are valid only while the
        transaction is open.
        """

    def scan_ranges(
        self, ranges: Sequence[tuple[bytes, bytes]], *, keys_only: bool = False
    ) -> Iterator[tuple[bytes, Value | None]]:
        """The pairs of several ascending, disjoint ``[start, stop)`` ranges, in key order.

        One request often reads many short runs (a row of blocks per y and z): an engine may
        answer them all with one cursor instead of one scan each.
        """
        for start, stop in ranges:
            yield from self.scan(start, stop, keys_only=keys_only)


class WriteTxn(ReadTxn):
    """A snapshot that also writes; nothing is visible to others until commit."""

    @abstractmethod
    def put(self, key: bytes, value: Value) -> None: ...

    @abstractmethod
    def delete(self, key: bytes) -> bool:
        """Delete ``key``; True if it existed."""

    def discard(self, key: bytes) -> None:
        """Delete ``key`` if it exists, without saying whether it did: an engine may batch it
        with the transaction's other writes instead of asking the store at once."""
        self.delete(key)

    @abstractmethod
    def lock(self, name: bytes, *, shared: bool = False) -> None:
        """Hold the write exclusion ``name`` until this transaction commits or aborts.

        An exclusive holder excludes every other holder of ``name``; shared holders exclude only
        exclusive ones. Once it returns, this transaction reads everything committed by the
        transactions that held ``name`` before it. Engines whose write transactions never
        overlap (LMDB) already have all of this and do nothing. The core takes exclusions in
        one order (:mod:`dvidpy.exclusions`) so that waiting for them cannot deadlock.
        """

    def delete_range(self, start: bytes, stop: bytes) -> int:
        """Delete every key in ``[start, stop)``; returns how many."""
        keys = [bytes(k) for k, _ in self.scan(start, stop, keys_only=True)]
        for key in keys:
            self.delete(key)
        return len(keys)

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def abort(self) -> None: ...


class Engine(ABC):
    """One ordered key-value store."""

    name: str = "engine"

    #: The longest key the engine can store.
    max_key_bytes: int = 511

    #: True if the store held no data when it was opened.
    created: bool = False

    @abstractmethod
    def begin_read(self) -> ReadTxn: ...

    @abstractmethod
    def end_read(self, txn: ReadTxn) -> None: ...

    @abstractmethod
    def begin_write(self) -> WriteTxn: ...

    def grow(self) -> None:
        """Make room after :class:`StoreFull`; engines that cannot grow raise it again."""
        raise StoreFull("the store is full")

    @abstractmethod
    def describe(self) -> str:
        """A short human description, shown as an instance's ``KVStore``."""

    @abstractmethod
    def sync(self) -> None:
        """Flush everything written so far to durable storage."""

    @abstractmethod
    def close(self) -> None:
        """Close the store; closing it again does nothing."""

    @contextmanager
    def reading(self) -> Iterator[ReadTxn]:
        txn = self.begin_read()
        try:
            yield txn
        finally:
            self.end_read(txn)

    @contextmanager
    def writing(self) -> Iterator[WriteTxn]:
        """A write transaction committed on success and aborted on any exception."""
        txn = self.begin_write()
        try:
            yield txn
        except BaseException:
            txn.abort()
            raise
        txn.commit()


def with_room(engine: Engine, attempt: Callable[[], T]) -> T:
    """Run ``attempt`` (which opens and ends its own transactions); if the store fills up, grow
    it and run ``attempt`` again from the start; if the engine gave the transaction up for a
    concurrent one (:class:`Conflict`), run it again as it is."""
    for tries in range(MAX_STORE_RETRIES):
        try:
            return attempt()
        except StoreFull:
            if tries == MAX_STORE_RETRIES - 1:
                raise
            logging.getLogger("dvidpy").info("store full; growing it and starting again")
            try:
                engine.grow()
            except StoreBusy as exc:
                raise unavailable(f"{exc}; try again") from None
        except Conflict as exc:
            if tries == MAX_STORE_RETRIES - 1:
                raise
            logging.getLogger("dvidpy").info("transaction gave way to a concurrent one (%s); starting again", exc)
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class EngineOption:
    """One ``[store]`` setting an engine takes: its type, default and a line of help."""

    type: type
    default: Any
    help: str


@dataclass(frozen=True)
class EngineSpec:
    """A registered engine: its name, how to open it, and the typed options it takes.

    ``open(folder, options)`` gets the data folder and the options already checked against
    ``options``; ``local`` engines keep their files in the data folder (so one server at a
    time may use it), others live elsewhere (a database server).
    """

    name: str
    open: Callable[[Path, dict[str, Any]], Engine]
    options: Mapping[str, EngineOption] = field(default_factory=dict)
    local: bool = True


#: Engine name -> its spec; each engine module registers itself with :func:`register_engine`.
ENGINES: dict[str, EngineSpec] = {}


def register_engine(spec: EngineSpec) -> None:
    if spec.name in ENGINES:
        raise ValueError(f"storage engine {spec.name!r} is registered twice")
    ENGINES[spec.name] = spec


def engine_spec(name: str) -> EngineSpec:
    try:
        return ENGINES[name]
    except KeyError:
        raise UnknownEngine(f"unknown storage engine {name!r} (known: {', '.join(sorted(ENGINES))})") from None


def open_engine(name: str, path: Path, options: Mapping[str, Any] | None = None) -> Engine:
    """Open (creating if needed) the store ``name`` with data folder ``path``.

    Options the engine does not declare are refused; missing ones take their defaults.
    """
    spec = engine_spec(name)
    given = dict(options or {})
    unknown = sorted(set(given) - set(spec.options))
    if unknown:
        raise UnknownEngine(f"storage engine {name!r} has no option {unknown[0]!r} "
                            f"(its options: {', '.join(spec.options) or 'none'})")
    checked = {key: given.get(key, option.default) for key, option in spec.options.items()}
    return spec.open(path, checked)
