"""A request's unit of work: reads see a snapshot, writes share one transaction.

The core gives every HTTP request one :class:`Session`. Reads open short read transactions
(or use the write transaction once one exists, so a request sees its own writes). The first
write opens the request's single write transaction; the core commits it when the handler
succeeds and aborts it when the handler fails, so a failed request writes nothing.

A write transaction belongs to the thread that opened it: a request's handler runs in one
worker thread from start to commit.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from dvidpy.storage.engine import Engine, ReadTxn, WriteTxn


class ReadOnlySession(Exception):
    """A write was attempted through a session that may only read."""


class PastDeadline(Exception):
    """The request ran past its deadline; its transaction is dropped when this propagates."""


class Session:
    def __init__(self, engine: Engine, *, writable: bool = True, deadline: float | None = None) -> None:
        self.engine = engine
        self.writable = writable
        #: ``time.monotonic()`` by which the request must be done; reads check it as they go.
        self.deadline = deadline
        self._write: WriteTxn | None = None
        self._read: ReadTxn | None = None
        #: Called after an abort, to undo in-memory changes that rode on the transaction.
        self.on_abort: list = []
        #: Called after a successful commit, to publish what the transaction changed.
        self.on_commit: list = []

    @contextmanager
    def reading(self) -> Iterator[ReadTxn]:
        """A transaction to read from: the open write transaction, or a snapshot.

        Nested calls share the outermost snapshot, so many reads (all the blocks of a
        subvolume) see one consistent state and pay for one transaction. Values read as
        buffers stay valid until the outermost ``reading()`` ends.
        """
        if self._write is not None:
            yield self._write
            return
        if self._read is not None:
            yield self._read
            return
        with self.engine.reading() as txn:
            self._read = txn
            try:
                yield txn
            finally:
                self._read = None

    def check_deadline(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise PastDeadline("the request ran past its deadline")

    def writer(self) -> WriteTxn:
        """The request's write transaction, opened on first use.

        Not allowed inside ``reading()``: a thread holding a snapshot while it waits for the
        writer could deadlock with a store resize, which waits for every snapshot to end.
        """
        if self._write is None:
            if not self.writable:
                raise ReadOnlySession("this request may not write")
            if self._read is not None:
                raise RuntimeError("cannot begin writing inside a read snapshot; read first, then write")
            self._write = self.engine.begin_write()
        return self._write

    @property
    def dirty(self) -> bool:
        return self._write is not None

    def commit(self) -> None:
        txn, self._write = self._write, None
        if txn is not None:
            try:
                txn.commit()
            except BaseException:
                self._write = None
                self.abort()
                raise
        self.on_abort = []
        done, self.on_commit = self.on_commit, []
        for action in done:
            action()

    def abort(self) -> None:
        txn, self._write = self._write, None
        if txn is not None:
            txn.abort()
        undo, self.on_abort = self.on_abort, []
        self.on_commit = []
        for action in reversed(undo):
            action()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()
