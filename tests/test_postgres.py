"""The postgres engine's own behaviour, on a real throw-away cluster: its options and what it
shows, the schema (values stored as they come), shared and exclusive write exclusions,
deadlocks as conflicts, a database that is gone, connections that died, and the pool's limit.
The conformance suite (tests/test_storage.py, test_versioned.py) and every HTTP test run on it
too; tests/test_cross_server.py runs several servers on one table."""

from __future__ import annotations

import threading
import time

import pytest
from served import cli

psycopg = pytest.importorskip("psycopg", reason="the postgres engine's tests need psycopg (the test extra)")

from dvidpy.storage.engine import ENGINES, Conflict, StoreUnavailable, open_engine
from dvidpy.storage.postgres import DSN_ENV, safe_dsn


def opened(options: dict, **more):
    return open_engine("postgres", None, {**options, **more})


def sql(dsn: str, statement: str, *args):
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(statement, args).fetchall()


def test_options_are_declared():
    assert ENGINES["postgres"].local is False
    assert set(ENGINES["postgres"].options) == {"dsn", "table", "sync", "connections"}


def test_describe_and_errors_never_show_the_password(pg_tables):
    options = pg_tables()
    with_password = options["dsn"] + " password=s3cret"
    eng = opened(options, dsn=with_password)
    try:
        assert eng.describe() == f"postgres @ {safe_dsn(options['dsn'])}, table {options['table']}"
        assert "s3cret" not in eng.describe() and "host=127.0.0.1" in eng.describe()
    finally:
        eng.close()
    assert safe_dsn("postgresql://dvid:s3cret@db.lab.org:6543/dvid") == (
        "user=dvid dbname=dvid host=db.lab.org port=6543")
    with pytest.raises(ValueError, match="^the postgres dsn is not a libpq connection string or URL$"):
        safe_dsn("host=x password=s3 cret")
    nowhere = "host=127.0.0.1 port=1 user=postgres password=s3cret"
    with pytest.raises(StoreUnavailable) as refused:
        opened(options, dsn=nowhere)
    assert str(refused.value).startswith(f"cannot connect to PostgreSQL ({safe_dsn(nowhere)}): connection failed: ")
    assert "s3cret" not in str(refused.value) and "\n" not in str(refused.value)


def test_the_dsn_comes_from_the_environment_when_not_configured(pg_tables, monkeypatch):
    options = pg_tables()
    monkeypatch.setenv(DSN_ENV, options["dsn"])
    eng = opened({"table": options["table"]})
    try:
        with eng.writing() as txn:
            txn.put(b"k", b"v")
        assert sql(options["dsn"], f"SELECT k, v FROM {options['table']}") == [(b"k", b"v")]
    finally:
        eng.close()


def test_table_names_are_checked(pg_tables):
    for bad in ("Kv", "kv; drop table x", "1kv", ""):
        with pytest.raises(ValueError, match="postgres table must be a lower-case SQL name"):
            opened(pg_tables(), table=bad)


def test_one_table_of_keys_and_values_stored_as_they_come(pg_tables):
    options = pg_tables()
    table = options["table"]
    eng = opened(options)
    try:
        compressible = bytes(1 << 20)  # 1 MiB of zeros: PostgreSQL would compress it by itself
        with eng.writing() as txn:
            txn.put(b"\x00zeros", compressible)
        columns = sql(options["dsn"], "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                                      "WHERE table_name = %s ORDER BY ordinal_position", table)
        assert columns == [("k", "bytea", "NO"), ("v", "bytea", "NO")]
        assert sql(options["dsn"], "SELECT a.attname, a.attstorage FROM pg_attribute a WHERE a.attrelid = %s::regclass "
                                   "AND a.attnum > 0 ORDER BY a.attnum", table) == [("k", "x"), ("v", "e")]
        assert sql(options["dsn"], f"SELECT pg_column_compression(v), pg_column_size(v) FROM {table}") == [
            (None, 1 << 20)]
        primary = sql(options["dsn"], "SELECT indexdef FROM pg_indexes WHERE tablename = %s", table)
        assert primary == [(f"CREATE UNIQUE INDEX {table}_pkey ON public.{table} USING btree (k)",)]
    finally:
        eng.close()


def test_shared_holders_run_together_and_an_exclusive_one_waits_for_them(pg_tables):
    options = pg_tables()
    eng = opened(options)
    try:
        first, second = eng.begin_write(), eng.begin_write()
        first.lock(b"writes", shared=True)
        second.lock(b"writes", shared=True)  # would wait for ever if shared holders excluded each other
        second.put(b"from second", b"2")
        done = threading.Event()

        def exclusive() -> None:
            with eng.writing() as txn:
                txn.lock(b"writes")
                assert bytes(txn.get(b"from second")) == b"2"  # it reads what the holders committed
                done.set()

        waiter = threading.Thread(target=exclusive)
        waiter.start()
        key = eng.lock_key(b"writes")
        deadline = time.monotonic() + 30
        while not sql(options["dsn"], "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                                      "AND (classid::bigint << 32 | objid::bigint) = %s", key):
            assert time.monotonic() < deadline, "the exclusive holder never asked"
            time.sleep(0.01)
        assert not done.is_set()
        second.commit()
        first.commit()
        waiter.join(30)
        assert done.is_set()
    finally:
        eng.close()


def test_a_deadlock_is_a_conflict_and_the_core_runs_the_work_again(pg_tables):
    eng = opened(pg_tables())
    try:
        a, b = eng.begin_write(), eng.begin_write()
        a.lock(b"one")
        b.lock(b"two")
        errors: list[BaseException] = []

        def wants(txn, name: bytes) -> None:
            try:
                txn.lock(name)
            except Conflict as exc:  # given up: it ends, and the other goes on
                errors.append(exc)
                txn.abort()

        waiting = threading.Thread(target=wants, args=(a, b"two"))
        waiting.start()
        wants(b, b"one")
        waiting.join(30)
        a.abort()
        b.abort()
        assert len(errors) == 1 and "deadlock detected" in str(errors[0])
    finally:
        eng.close()


def test_a_pooled_connection_that_died_is_replaced(pg_tables):
    options = pg_tables()
    eng = opened(options)
    try:
        with eng.writing() as txn:
            txn.put(b"k", b"v")
        killed = sql(options["dsn"], "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE pid <> pg_backend_pid() AND datname = current_database() "
                                     "AND backend_type = 'client backend' AND state = 'idle'")
        assert killed and all(ok for (ok,) in killed)
        with eng.reading() as txn:
            assert bytes(txn.get(b"k")) == b"v"
    finally:
        eng.close()


def test_a_thread_holding_the_last_connection_may_still_read(pg_tables):
    """With one connection per process, a read inside the thread's own write transaction (the
    core's throttle reads settings so) takes a second one instead of waiting for itself."""
    eng = opened(pg_tables(), connections=1)
    result: list[bytes] = []

    def nested() -> None:
        with eng.writing() as txn:
            txn.put(b"k", b"mine")
            with eng.reading() as other:
                result.append(other.get(b"k"))

    try:
        worker = threading.Thread(target=nested)
        worker.start()
        worker.join(30)
        assert not worker.is_alive() and result == [None]  # the other snapshot does not see it yet
    finally:
        eng.close()


def test_sync_off_commits_without_waiting_for_the_flush(pg_tables):
    eng = opened(pg_tables(), sync=False)
    try:
        with eng.writing() as txn:
            txn.put(b"k", b"v")
            assert txn._cur.execute("SELECT current_setting('synchronous_commit')").fetchone() == ("off",)
        eng.sync()
        with eng.reading() as txn:
            assert bytes(txn.get(b"k")) == b"v"
    finally:
        eng.close()


@pytest.mark.engines("postgres")
def test_a_request_without_its_database_is_a_503(dvid):
    uuid = dvid.new_repo()
    dvid.server.engine.dsn += " port=1"  # the database moved away
    dvid.server.engine._pool.drop_idle()
    r = dvid.get(f"/api/repo/{uuid}/info")
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    assert r.text.startswith("cannot connect to PostgreSQL (") and r.text.endswith(f"(/api/repo/{uuid}/info).\n")


def test_serve_stops_with_one_line_when_the_database_cannot_be_reached(tmp_path):
    config = tmp_path / "pg.toml"
    config.write_text('[store]\nengine = "postgres"\ndsn = "host=127.0.0.1 port=1 user=x password=s3cret"\n')
    out = cli("serve", "--config", str(config), "--data", str(tmp_path / "d"), "--port", "0")
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.startswith("dvidpy: cannot connect to PostgreSQL (user=x host=127.0.0.1 port=1): ")
    assert out.stderr.count("\n") == 1 and "s3cret" not in out.stderr and "Connection refused" in out.stderr
    misspelled = cli("serve", "--engine", "postgress", "--data", str(tmp_path / "d"))
    assert (misspelled.returncode, misspelled.stderr) == (
        2, "dvidpy: unknown storage engine 'postgress' (known: lmdb, postgres)\n")
