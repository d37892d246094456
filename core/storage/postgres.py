"""The PostgreSQL engine: one table of ``(k bytea, v bytea)`` that many dvidpy servers share.

``bytea`` compares by memcmp, then by length: the order of LMDB and of DVID's keys. Values are
stored without PostgreSQL's own compression (``SET STORAGE EXTERNAL``): they are LZ4 already.

Transactions (see :mod:`dvidpy.storage.engine` for what the core expects of them):

* A read is ``REPEATABLE READ READ ONLY``: every statement of a request sees one snapshot,
  taken when the transaction begins.
* A write is ``READ COMMITTED``. Its write exclusions are transaction-scoped advisory locks
  (``pg_advisory_xact_lock``), taken by statements inside it; each statement after one sees
  everything the earlier holders committed. Puts and deletes wait in memory and go to the
  server in batches (psycopg pipelines ``executemany``) before the next read and at commit, so
  a request's 512 blocks cost a few round trips, not 512.
* Scans are paged by key (``ORDER BY k LIMIT n``, then on from just past the last key, or
  before it in reverse); a page holds about :data:`PAGE_BYTES`, so a range is never in memory
  whole. Each page is a statement of its own: no server-side cursor stays open between them.
* Deadlocks and serialization failures become :class:`~dvidpy.storage.engine.Conflict` (the
  core runs the request again); a lost connection becomes ``StoreUnavailable``.

Each process keeps at most ``connections`` connections for its requests
(:mod:`dvidpy.storage.postgres_connections`). The SQL is a subset that CockroachDB and YugabyteDB accept too
(docs/scale-out.md); only the table's creation differs between them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterator
from typing import Any

from dvidpy.storage.engine import (
    Engine,
    EngineOption,
    EngineSpec,
    ReadTxn,
    StoreUnavailable,
    Value,
    WriteTxn,
    register_engine,
)
from dvidpy.storage.postgres_connections import Pool, driver, safe_dsn, translated

#: Where the DSN comes from when ``[store] dsn`` is empty.
DSN_ENV = "DVIDPY_PG_DSN"
DEFAULT_TABLE = "dvidpy_kv"
#: About how many bytes of values one scan page brings; the first page is small (most scans of
#: the core are point lookups of a key's versions).
PAGE_BYTES = 8 << 20
FIRST_PAGE_ROWS = 64
MAX_PAGE_ROWS = 8192
#: Pending writes go to the server once they hold this many bytes or keys.
BATCH_BYTES = 8 << 20
BATCH_KEYS = 2048
#: A connection idle inside a transaction this long is closed by the server, so a dvidpy
#: server that vanished without closing its sockets cannot hold write exclusions for ever.
IDLE_IN_TRANSACTION = "300s"
_TABLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}\Z")

log = logging.getLogger("dvidpy")


def schema(table: str, server_version: str) -> list[str]:
    """The statements that create the store's table on this kind of server.

    YugabyteDB shards a primary key by hash unless told ``ASC`` (which PostgreSQL refuses);
    only PostgreSQL compresses values by itself (TOAST), so only it is told not to.
    """
    if "-YB-" in server_version:
        return [f"CREATE TABLE IF NOT EXISTS {table} (k bytea NOT NULL, v bytea NOT NULL, PRIMARY KEY (k ASC))"]
    create = f"CREATE TABLE IF NOT EXISTS {table} (k bytea NOT NULL PRIMARY KEY, v bytea NOT NULL)"
    if "CockroachDB" in server_version:
        return [create]
    return [create, f"ALTER TABLE {table} ALTER COLUMN v SET STORAGE EXTERNAL"]


class _Statements:
    """Every statement of one table, written once (the table name is checked, never quoted)."""

    def __init__(self, table: str) -> None:
        pick = f"FROM {table} WHERE k >= %b AND k < %b ORDER BY k"
        self.get = f"SELECT v FROM {table} WHERE k = %b"
        self.page = {(False, False): f"SELECT k, v {pick} LIMIT %b", (False, True): f"SELECT k {pick} LIMIT %b",
                     (True, False): f"SELECT k, v {pick} DESC LIMIT %b", (True, True): f"SELECT k {pick} DESC LIMIT %b"}
        self.put = f"INSERT INTO {table} (k, v) VALUES (%b, %b) ON CONFLICT (k) DO UPDATE SET v = excluded.v"
        self.delete = f"DELETE FROM {table} WHERE k = %b"
        self.delete_range = f"DELETE FROM {table} WHERE k >= %b AND k < %b"
        self.any_row = f"SELECT k FROM {table} LIMIT 1"
        self.exists = "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = %b"


class _PGRead(ReadTxn):
    def __init__(self, engine: PostgresEngine, conn: Any) -> None:
        self._engine = engine
        self._sql = engine._sql
        self._conn = conn
        self._cur = conn.cursor(binary=True)
        self._done = False

    def _before_read(self) -> None:
        """Where a write transaction sends its pending writes."""

    def get(self, key: bytes) -> Value | None:
        self._before_read()
        with translated():
            row = self._cur.execute(self._sql.get, (key,)).fetchone()
        return None if row is None else row[0]

    def scan(
        self, start: bytes, stop: bytes, *, reverse: bool = False, keys_only: bool = False
    ) -> Iterator[tuple[bytes, Value | None]]:
        start, stop = bytes(start), bytes(stop)
        rows = FIRST_PAGE_ROWS
        statement = self._sql.page[reverse, keys_only]
        while start < stop:
            self._before_read()
            with translated():
                page = self._cur.execute(statement, (start, stop, rows)).fetchall()
            if keys_only:
                yield from ((k, None) for (k,) in page)
            else:
                yield from page
            if len(page) < rows:
                return
            if reverse:
                stop = page[-1][0]
            else:
                start = page[-1][0] + b"\x00"  # the first key after the last one
            rows = _next_page_rows(page, rows, keys_only)

    def _end(self, statement: str) -> None:
        """COMMIT (whose failure is the caller's to know) or ROLLBACK (whose failure is not: the
        connection is then closed, and the server drops the transaction with it)."""
        if self._done:
            return
        self._done = True
        try:
            with translated():
                self._conn.execute(statement)
        except StoreUnavailable:
            if statement == "COMMIT":
                raise
        finally:
            self._engine._pool.give(self._conn)


def _next_page_rows(page: list, rows: int, keys_only: bool) -> int:
    """A page of about PAGE_BYTES of values next (keys alone: a larger page each time)."""
    if keys_only:
        return min(MAX_PAGE_ROWS, rows * 4)
    size = sum(len(v) for _, v in page) // len(page) + 1
    return max(FIRST_PAGE_ROWS, min(MAX_PAGE_ROWS, PAGE_BYTES // size))


class _PGWrite(_PGRead, WriteTxn):
    def __init__(self, engine: PostgresEngine, conn: Any) -> None:
        super().__init__(engine, conn)
        self._pending: dict[bytes, bytes | None] = {}  # None: delete
        self._pending_bytes = 0
        self._locks: set[tuple[bytes, bool]] = set()

    def put(self, key: bytes, value: Value) -> None:
        value = bytes(value)  # a buffer the caller may reuse once put returns
        self._pending[bytes(key)] = value
        self._pending_bytes += len(key) + len(value)
        self._maybe_flush()

    def discard(self, key: bytes) -> None:
        self._pending[bytes(key)] = None
        self._pending_bytes += len(key)
        self._maybe_flush()

    def delete(self, key: bytes) -> bool:
        key = bytes(key)
        if key in self._pending:  # this transaction's own view decides
            existed = self._pending[key] is not None
            self._pending[key] = None
            return existed
        with translated():
            return self._cur.execute(self._sql.delete, (key,)).rowcount > 0

    def delete_range(self, start: bytes, stop: bytes) -> int:
        if bytes(start) >= bytes(stop):
            return 0
        self._flush()
        with translated():
            return self._cur.execute(self._sql.delete_range, (bytes(start), bytes(stop))).rowcount

    def lock(self, name: bytes, *, shared: bool = False) -> None:
        if (name, False) in self._locks or (name, shared) in self._locks:
            return
        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        with translated():
            self._cur.execute(f"SELECT {function}(%b)", (self._engine.lock_key(name),))
        self._locks.add((name, shared))

    def _before_read(self) -> None:
        self._flush()

    def _maybe_flush(self) -> None:
        if len(self._pending) >= BATCH_KEYS or self._pending_bytes >= BATCH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending, self._pending_bytes = self._pending, {}, 0
        puts = [(k, v) for k, v in pending.items() if v is not None]
        deletes = [(k,) for k, v in pending.items() if v is None]
        with translated():
            if puts:
                self._cur.executemany(self._sql.put, puts)
            if deletes:
                self._cur.executemany(self._sql.delete, deletes)

    def commit(self) -> None:
        if self._done:
            return
        try:
            self._flush()
        except BaseException:
            self.abort()
            raise
        self._end("COMMIT")

    def abort(self) -> None:
        self._pending = {}
        self._end("ROLLBACK")


class PostgresEngine(Engine):
    name = "postgres"
    #: A B-tree entry holds at most about 2.7 KB; stay well inside it.
    max_key_bytes = 2048

    def __init__(self, dsn: str = "", *, table: str = DEFAULT_TABLE, sync: bool = True, connections: int = 8) -> None:
        psycopg = driver()
        if not _TABLE_NAME.match(table):
            raise ValueError(f"postgres table must be a lower-case SQL name (letters, digits, _), not {table!r}")
        self.dsn = dsn or os.environ.get(DSN_ENV, "")
        self.shown_dsn = safe_dsn(self.dsn)
        self.table = table
        self._sync = sync
        self._sql = _Statements(table)
        self._psycopg = psycopg
        self._pool = Pool(self._connect, connections)
        self._begin_write = "BEGIN ISOLATION LEVEL READ COMMITTED" + (
            "" if sync else "; SET LOCAL synchronous_commit TO OFF")
        self._create_table()
        with self.reading() as txn:
            assert isinstance(txn, _PGRead)
            with translated():
                self.created = txn._cur.execute(self._sql.any_row).fetchone() is None

    def _connect(self) -> Any:
        try:
            conn = self._psycopg.connect(self.dsn, autocommit=True)
        except self._psycopg.Error as exc:
            reason = " ".join(str(exc).split())  # libpq's message, on one line
            raise StoreUnavailable(f"cannot connect to PostgreSQL ({self.shown_dsn}): {reason}") from None
        conn.execute(f"SET idle_in_transaction_session_timeout = '{IDLE_IN_TRANSACTION}'")
        return conn

    def lock_key(self, name: bytes) -> int:
        """The advisory lock key of a write exclusion: 64 bits of a hash of table and name."""
        digest = hashlib.blake2b(self.table.encode() + b"\x00" + name, digest_size=8).digest()
        return int.from_bytes(digest, "big", signed=True)

    def _create_table(self) -> None:
        """Create the table once, even when several servers start at the same moment."""
        conn, _ = self._pool.take()
        try:
            with translated(), conn.transaction():
                cur = conn.cursor(binary=True)
                cur.execute("SELECT pg_advisory_xact_lock(%b)", (self.lock_key(b"schema"),))
                if cur.execute(self._sql.exists, (self.table,)).fetchone() is None:
                    version = cur.execute("SELECT version()").fetchone()[0]
                    for statement in schema(self.table, version):
                        conn.execute(statement)
                    log.info("created table %s (%s)", self.table, self.shown_dsn)
        finally:
            self._pool.give(conn)

    def _begin(self, statement: str) -> Any:
        """A connection inside a new transaction; a pooled one found dead is replaced once."""
        for attempt in range(2):
            conn, reused = self._pool.take()
            try:
                with translated():
                    conn.execute(statement)
                return conn
            except StoreUnavailable:
                self._pool.give(conn)
                if not reused or attempt:
                    raise
                self._pool.drop_idle()
        raise AssertionError("unreachable")

    def begin_read(self) -> ReadTxn:
        # The snapshot is taken by a transaction's first query, not by BEGIN: ask one at once,
        # in the same round trip, so the snapshot is the store as of begin_read.
        return _PGRead(self, self._begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1"))

    def end_read(self, txn: ReadTxn) -> None:
        assert isinstance(txn, _PGRead)
        txn._end("ROLLBACK")

    def begin_write(self) -> WriteTxn:
        return _PGWrite(self, self._begin(self._begin_write))

    def describe(self) -> str:
        return f"postgres @ {self.shown_dsn}, table {self.table}"

    def sync(self) -> None:
        """Commits already wait for the WAL flush unless ``sync`` is off; then one synchronous
        commit flushes every earlier one."""
        if not self._sync:
            conn = self._begin("BEGIN")
            try:
                with translated():
                    conn.execute("SELECT pg_current_xact_id()")
                    conn.execute("COMMIT")
            finally:
                self._pool.give(conn)

    def close(self) -> None:
        self._pool.close()


register_engine(EngineSpec(
    name="postgres",
    open=lambda path, options: PostgresEngine(**options),
    options={
        "dsn": EngineOption(str, "", f"libpq connection string or URL (password included if needed); "
                                     f"empty: {DSN_ENV}, then libpq's defaults"),
        "table": EngineOption(str, DEFAULT_TABLE, "the table holding the store; servers sharing it share the data"),
        "sync": EngineOption(bool, True, "each commit waits for the database's WAL flush (synchronous_commit); "
                                         "false trades the last commits before a database crash for faster writes"),
        "connections": EngineOption(int, 8, "database connections one server process uses at most for its requests"),
    },
    local=False,
))
