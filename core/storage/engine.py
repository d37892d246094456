"""The ordered key-value engine interface every storage backend implements.

Keys and values are bytes, ordered lexicographically. Ranges at this level are half-open,
``[start, stop)``, as Python slices are. A write transaction is all-or-nothing: the core opens
at most one per HTTP request, so a request that fails writes nothing.

An engine is one module (``storage/lmdb.py`` today); another backend implements these few
classes and registers itself in :data:`ENGINES`.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

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


class WriteTxn(ReadTxn):
    """A snapshot that also writes; nothing is visible to others until commit."""

    @abstractmethod
    def put(self, key: bytes, value: Value) -> None: ...

    @abstractmethod
    def delete(self, key: bytes) -> bool:
        """Delete ``key``; True if it existed."""

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
    def close(self) -> None: ...

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
    it and run ``attempt`` again from the start."""
    for tries in range(MAX_STORE_RETRIES):
        try:
            return attempt()
        except StoreFull:
            if tries == MAX_STORE_RETRIES - 1:
                raise
            logging.getLogger("dvidpy").info("store full; growing it and starting again")
            engine.grow()
    raise AssertionError("unreachable")


#: Engine name -> opener taking (folder, options).
ENGINES: dict[str, Callable[[Path, dict], Engine]] = {}


def open_engine(name: str, path: Path, options: dict | None = None) -> Engine:
    """Open (creating if needed) the store ``name`` in folder ``path``."""
    try:
        opener = ENGINES[name]
    except KeyError:
        raise UnknownEngine(f"unknown storage engine {name!r} (known: {', '.join(sorted(ENGINES))})") from None
    return opener(path, options or {})
