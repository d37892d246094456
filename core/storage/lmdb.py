"""The default engine: one embedded LMDB environment in a data folder.

LMDB needs a maximum map size up front. We start at :data:`DEFAULT_MAP_SIZE` and double it
whenever a write transaction runs out of room (:meth:`LMDBEngine.grow`), so a user never sees
``MDB_MAP_FULL``. Resizing requires that no transaction is open in this process, so every
transaction passes through a small gate that the resize closes while it works.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import lmdb

from dvidpy.storage.engine import (
    Engine,
    EngineOption,
    EngineSpec,
    ReadTxn,
    StoreBusy,
    StoreFull,
    Value,
    WriteTxn,
    register_engine,
)

DEFAULT_MAP_SIZE = 64 << 30
#: How long growing the map waits for open transactions to end before it gives up for now.
GROW_WAIT = 5.0


class _Gate:
    """Counts open transactions; :meth:`exclusive` waits until none is open and blocks new ones."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._open = 0
        self._closed = False

    def enter(self) -> None:
        with self._cond:
            while self._closed:
                self._cond.wait()
            self._open += 1

    def leave(self) -> None:
        with self._cond:
            self._open -= 1
            self._cond.notify_all()

    def exclusive(self, action, timeout: float | None = None) -> bool:
        """Run ``action`` with no transaction open, new ones held back meanwhile. With a
        ``timeout``, give up (False) rather than wait longer for open ones to end."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._closed:
                self._cond.wait()
            self._closed = True
            try:
                while self._open:
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        return False
                    self._cond.wait(left)
                action()
                return True
            finally:
                self._closed = False
                self._cond.notify_all()


class _LMDBRead(ReadTxn):
    def __init__(self, txn: lmdb.Transaction) -> None:
        self._txn = txn

    def get(self, key: bytes) -> Value | None:
        return self._txn.get(key)

    def scan(
        self, start: bytes, stop: bytes, *, reverse: bool = False, keys_only: bool = False
    ) -> Iterator[tuple[bytes, Value | None]]:
        cursor = self._txn.cursor()
        if reverse:
            yield from self._scan_reverse(cursor, start, stop, keys_only)
            return
        if not cursor.set_range(start):
            return
        if keys_only:
            for key in cursor.iternext(keys=True, values=False):
                key = bytes(key)
                if key >= stop:
                    return
                yield key, None
        else:
            for key, value in cursor.iternext(keys=True, values=True):
                key = bytes(key)
                if key >= stop:
                    return
                yield key, value

    def scan_ranges(
        self, ranges: Sequence[tuple[bytes, bytes]], *, keys_only: bool = False
    ) -> Iterator[tuple[bytes, Value | None]]:
        """One cursor for every range: it moves forward, seeking only where a range begins
        beyond the key it stands on."""
        if not ranges:
            return
        cursor = self._txn.cursor()
        if not cursor.set_range(ranges[0][0]):
            return
        for start, stop in ranges:
            if bytes(cursor.key()) < start and not cursor.set_range(start):
                return
            for key, value in cursor.iternext(keys=True, values=True):
                key = bytes(key)
                if key >= stop:
                    break
                yield key, None if keys_only else value
            else:
                return

    @staticmethod
    def _scan_reverse(cursor, start: bytes, stop: bytes, keys_only: bool):
        if cursor.set_range(stop):
            positioned = cursor.prev()
        else:
            positioned = cursor.last()
        while positioned:
            key = bytes(cursor.key())
            if key < start:
                return
            yield key, None if keys_only else cursor.value()
            positioned = cursor.prev()


class _LMDBWrite(_LMDBRead, WriteTxn):
    def __init__(self, txn: lmdb.Transaction, engine: LMDBEngine) -> None:
        super().__init__(txn)
        self._engine = engine
        self._done = False

    def put(self, key: bytes, value: Value) -> None:
        try:
            self._txn.put(key, value)
        except lmdb.MapFullError as exc:
            raise StoreFull(str(exc)) from exc

    def delete(self, key: bytes) -> bool:
        return self._txn.delete(key)

    def lock(self, name: bytes, *, shared: bool = False) -> None:
        """Nothing to do: LMDB runs one write transaction at a time (across processes too), so
        every write transaction already excludes all others and reads all they committed."""

    def commit(self) -> None:
        if self._done:
            return
        self._done = True
        try:
            self._txn.commit()
        except lmdb.MapFullError as exc:
            raise StoreFull(str(exc)) from exc
        finally:
            self._engine._gate.leave()

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        try:
            self._txn.abort()
        finally:
            self._engine._gate.leave()


class LMDBEngine(Engine):
    name = "lmdb"

    def __init__(self, path: Path, *, map_size: int = DEFAULT_MAP_SIZE, sync: bool = True) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path.resolve()
        self._gate = _Gate()
        self._open = True
        self._env = lmdb.open(
            str(path),
            map_size=map_size,
            subdir=True,
            max_readers=1024,
            max_spare_txns=16,
            readahead=False,
            sync=sync,
            metasync=sync,
        )
        # Reopening an environment that grew before: LMDB would shrink the map to the data's
        # size, leaving no room for the first write; keep at least as much room again.
        wanted = max(map_size, 2 * (path / "data.mdb").stat().st_size)
        if self._env.info()["map_size"] < wanted:
            self._env.set_mapsize(wanted)
        self.created = self._env.stat()["entries"] == 0
        # Reader slots left by a process that died (a killed worker) would keep old pages alive.
        self._env.reader_check()

    def begin_read(self) -> ReadTxn:
        return _LMDBRead(self._begin(write=False))

    def end_read(self, txn: ReadTxn) -> None:
        assert isinstance(txn, _LMDBRead)
        try:
            txn._txn.abort()
        finally:
            self._gate.leave()

    def begin_write(self) -> WriteTxn:
        return _LMDBWrite(self._begin(write=True), self)

    def _begin(self, *, write: bool) -> lmdb.Transaction:
        """A transaction through the gate. If another process grew the map, LMDB refuses new
        transactions here until this process adopts the new size (``set_mapsize(0)``)."""
        for _ in range(3):
            self._gate.enter()
            try:
                return self._env.begin(write=write, buffers=True)
            except lmdb.MapResizedError:
                self._gate.leave()
                self._gate.exclusive(lambda: self._env.set_mapsize(0))
            except BaseException:
                self._gate.leave()
                raise
        self._gate.enter()
        try:
            return self._env.begin(write=write, buffers=True)
        except BaseException:
            self._gate.leave()
            raise

    @property
    def map_size(self) -> int:
        return self._env.info()["map_size"]

    def grow(self) -> None:
        """Double the map, unless another process grew it meanwhile (then adopt its size)."""
        before = self.map_size

        def resize() -> None:
            self._env.set_mapsize(0)  # adopt a size another process may have set
            if self.map_size <= before:
                self._env.set_mapsize(before * 2)

        if not self._gate.exclusive(resize, timeout=GROW_WAIT):
            raise StoreBusy(f"the store is full and could not grow: other requests kept it busy for {GROW_WAIT} s")

    def describe(self) -> str:
        return f"lmdb @ {self.path}"

    def sync(self) -> None:
        self._env.sync(True)

    def close(self) -> None:
        def shut() -> None:
            if self._open:
                self._open = False
                self._env.sync(True)
                self._env.close()

        self._gate.exclusive(shut)


register_engine(EngineSpec(
    name="lmdb",
    open=lambda path, options: LMDBEngine(path, **options),
    options={
        "map_size": EngineOption(int, DEFAULT_MAP_SIZE, "starting map size in bytes; it grows by itself"),
        "sync": EngineOption(bool, True, "flush every commit to disk; false trades durability for ingest speed"),
    },
))
