"""The ordered key-value engine interface (core/storage/engine.py) and request sessions: the
conformance suite that every registered engine runs (the ``engine`` fixture opens each one for
real), then LMDB's own behaviour (growth of the map, reopening)."""

from __future__ import annotations

import threading

import pytest
from conftest import TEST_ENGINES

from dvidpy.storage import keys
from dvidpy.storage.engine import ENGINES, StoreFull, open_engine
from dvidpy.storage.session import ReadOnlySession, Session

SMALL_MAP = 64 << 10  # 64 KiB: LMDB's minimum useful size, far below what the tests write


def put_all(engine, items) -> None:
    with engine.writing() as txn:
        for k, v in items:
            txn.put(k, v)


def scan(engine, start: bytes, stop: bytes, **kw) -> list:
    with engine.reading() as txn:
        return [(k, None if v is None else bytes(v)) for k, v in txn.scan(start, stop, **kw)]


ALPHABET = [(bytes([c]), b"v" + bytes([c])) for c in b"bdfhj"]  # keys b, d, f, h, j


# -- point operations --------------------------------------------------------------------------------


def test_get_put_overwrite_and_missing(engine):
    put_all(engine, [(b"k1", b"one"), (b"k2", b"")])
    with engine.reading() as txn:
        assert bytes(txn.get(b"k1")) == b"one"
        assert bytes(txn.get(b"k2")) == b""  # an empty value is a value, not a miss
        assert txn.get(b"k3") is None
        assert txn.get(b"k") is None  # a prefix of a key is not that key
    put_all(engine, [(b"k1", b"uno")])
    with engine.reading() as txn:
        assert bytes(txn.get(b"k1")) == b"uno"


def test_delete_reports_whether_the_key_existed(engine):
    put_all(engine, [(b"a", b"1"), (b"b", b"2")])
    with engine.writing() as txn:
        assert txn.delete(b"a") is True
        assert txn.delete(b"a") is False
        assert txn.delete(b"zz") is False
    assert scan(engine, b"", b"\xff") == [(b"b", b"2")]


def test_binary_keys_sort_bytewise(engine):
    items = [(b"\x01\x00", b"x"), (b"\x00\xff", b"y"), (b"\x01", b"z"), (b"\x00", b"w")]
    put_all(engine, items)
    assert [k for k, _ in scan(engine, b"\x00", b"\x02")] == [b"\x00", b"\x00\xff", b"\x01", b"\x01\x00"]


def test_values_survive_a_large_value(engine):
    big = bytes(range(256)) * 4096  # 1 MiB, many LMDB overflow pages
    put_all(engine, [(b"big", big)])
    with engine.reading() as txn:
        assert bytes(txn.get(b"big")) == big


# -- range scans -------------------------------------------------------------------------------------


def test_forward_scan_is_half_open_with_values(engine):
    put_all(engine, ALPHABET)
    assert scan(engine, b"d", b"h") == [(b"d", b"vd"), (b"f", b"vf")]
    assert scan(engine, b"c", b"i") == [(b"d", b"vd"), (b"f", b"vf"), (b"h", b"vh")]
    assert scan(engine, b"", b"\xff") == ALPHABET
    assert scan(engine, b"k", b"z") == []
    assert scan(engine, b"d", b"d") == []
    assert scan(engine, b"h", b"d") == []


def test_forward_scan_keys_only(engine):
    put_all(engine, ALPHABET)
    assert scan(engine, b"a", b"g", keys_only=True) == [(b"b", None), (b"d", None), (b"f", None)]


def test_reverse_scan_with_values(engine):
    put_all(engine, ALPHABET)
    assert scan(engine, b"d", b"h", reverse=True) == [(b"f", b"vf"), (b"d", b"vd")]
    assert scan(engine, b"c", b"i", reverse=True) == [(b"h", b"vh"), (b"f", b"vf"), (b"d", b"vd")]
    # stop past the last key and start before the first
    assert scan(engine, b"", b"\xff", reverse=True) == ALPHABET[::-1]
    assert scan(engine, b"k", b"z", reverse=True) == []
    assert scan(engine, b"a", b"b", reverse=True) == []
    assert scan(engine, b"j", b"j", reverse=True) == []


def test_reverse_scan_keys_only(engine):
    put_all(engine, ALPHABET)
    assert scan(engine, b"e", b"\xff", reverse=True, keys_only=True) == [(b"j", None), (b"h", None), (b"f", None)]
    assert scan(engine, b"b", b"c", reverse=True, keys_only=True) == [(b"b", None)]


def test_scan_on_an_empty_store(engine):
    assert scan(engine, b"", b"\xff") == []
    assert scan(engine, b"", b"\xff", reverse=True) == []


def test_scan_of_one_key_space_ignores_the_others(engine):
    data = [(keys.data_key(7, b"\x05\x01a", v), b"d%d" % v) for v in (1, 2)]
    meta = [(keys.metadata_key(4, b"\x00\x00\x00\x01"), b"repo")]
    other = [(keys.data_key(8, b"\x05\x01a", 1), b"other instance")]
    put_all(engine, data + meta + other)
    lo, hi = keys.instance_range(7)
    assert scan(engine, lo, hi) == [(data[0][0], b"d1"), (data[1][0], b"d2")]
    assert scan(engine, lo, hi, reverse=True) == [(data[1][0], b"d2"), (data[0][0], b"d1")]


# -- range deletion ------------------------------------------------------------------------------------


def test_delete_range_is_half_open(engine):
    put_all(engine, ALPHABET)
    with engine.writing() as txn:
        assert txn.delete_range(b"d", b"h") == 2
        assert txn.delete_range(b"d", b"h") == 0
    assert [k for k, _ in scan(engine, b"", b"\xff")] == [b"b", b"h", b"j"]


def test_delete_range_of_everything(engine):
    put_all(engine, ALPHABET)
    with engine.writing() as txn:
        assert txn.delete_range(b"", b"\xff") == 5
    assert scan(engine, b"", b"\xff") == []


def test_delete_range_of_one_instance_keeps_neighbours(engine):
    put_all(engine, [(keys.data_key(i, b"\x05\x01k", 1), b"%d" % i) for i in (6, 7, 8)])
    lo, hi = keys.instance_range(7)
    with engine.writing() as txn:
        assert txn.delete_range(lo, hi) == 1
    assert [bytes(v) for _, v in scan(engine, b"", b"\xff")] == [b"6", b"8"]


# -- transactions ----------------------------------------------------------------------------------------


def test_exception_inside_a_write_leaves_nothing(engine):
    put_all(engine, [(b"keep", b"1"), (b"gone", b"2")])
    with pytest.raises(ZeroDivisionError):
        with engine.writing() as txn:
            txn.put(b"new", b"x")
            txn.put(b"keep", b"changed")
            txn.delete(b"gone")
            txn.delete_range(b"", b"\xff")
            1 / 0
    assert scan(engine, b"", b"\xff") == [(b"gone", b"2"), (b"keep", b"1")]


def test_explicit_abort_leaves_nothing(engine):
    txn = engine.begin_write()
    txn.put(b"k", b"v")
    txn.abort()
    txn.abort()  # a second abort is harmless
    assert scan(engine, b"", b"\xff") == []


def test_a_write_sees_its_own_changes_before_commit(engine):
    put_all(engine, [(b"a", b"1")])
    with engine.writing() as txn:
        txn.put(b"b", b"2")
        txn.delete(b"a")
        assert txn.get(b"a") is None
        assert bytes(txn.get(b"b")) == b"2"
        assert [(k, bytes(v)) for k, v in txn.scan(b"", b"\xff")] == [(b"b", b"2")]
        assert [k for k, _ in txn.scan(b"", b"\xff", reverse=True)] == [b"b"]


def test_readers_see_a_snapshot(engine):
    put_all(engine, [(b"a", b"old")])
    with engine.reading() as before:
        put_all(engine, [(b"a", b"new"), (b"b", b"added")])
        assert bytes(before.get(b"a")) == b"old"
        assert before.get(b"b") is None
        assert [k for k, _ in before.scan(b"", b"\xff")] == [b"a"]
    assert scan(engine, b"", b"\xff") == [(b"a", b"new"), (b"b", b"added")]


def test_uncommitted_writes_are_invisible_to_readers(engine):
    txn = engine.begin_write()
    try:
        txn.put(b"pending", b"x")
        with engine.reading() as reader:
            assert reader.get(b"pending") is None
    finally:
        txn.commit()
    assert scan(engine, b"", b"\xff") == [(b"pending", b"x")]


# -- long ranges, big writes, write exclusions, reopening ------------------------------------------------


def many(n: int = 3000) -> list[tuple[bytes, bytes]]:
    """Keys in order with values from empty to 40 KiB (engines page and batch by count and size)."""
    return [(b"m%05d" % i, bytes([i % 256]) * ((i * 37) % 40_000)) for i in range(n)]


def test_long_scans_see_every_key_in_both_directions(engine):
    items = many()
    put_all(engine, items)
    assert scan(engine, b"m", b"n") == items
    assert scan(engine, b"m", b"n", reverse=True) == items[::-1]
    assert scan(engine, b"m", b"n", keys_only=True) == [(k, None) for k, _ in items]
    assert scan(engine, b"m", b"n", reverse=True, keys_only=True) == [(k, None) for k, _ in items[::-1]]
    assert scan(engine, b"m00100", b"m02900\x00") == items[100:2901]
    assert scan(engine, b"m00100", b"m02900", reverse=True) == items[100:2900][::-1]


def scan_ranges(engine, ranges, **kw) -> list:
    with engine.reading() as txn:
        return [(k, None if v is None else bytes(v)) for k, v in txn.scan_ranges(ranges, **kw)]


def test_scan_ranges_is_the_scans_of_each_range_in_turn(engine):
    items = many(400)
    put_all(engine, items)
    ranges = [(b"m00010", b"m00013"), (b"m00013", b"m00015"), (b"m00100", b"m00100"),
              (b"m00200", b"m00201\x00"), (b"m00390", b"z")]
    expected = [pair for start, stop in ranges for pair in scan(engine, start, stop)]
    assert scan_ranges(engine, ranges) == expected
    assert [k for k, _ in expected] == [b"m00010", b"m00011", b"m00012", b"m00013", b"m00014",
                                        b"m00200", b"m00201", *(b"m%05d" % i for i in range(390, 400))]
    assert scan_ranges(engine, ranges, keys_only=True) == [(k, None) for k, _ in expected]
    assert scan_ranges(engine, []) == []
    assert scan_ranges(engine, [(b"a", b"b"), (b"z", b"zz")]) == []  # before and after every key


def test_a_long_scan_stays_in_its_snapshot_while_others_commit(engine):
    items = many()
    put_all(engine, items)
    with engine.reading() as txn:
        walk = txn.scan(b"m", b"n")
        first = [next(walk) for _ in range(10)]
        with engine.writing() as other:
            other.delete_range(b"m", b"n")
            other.put(b"m99999", b"late")
        rest = [(k, bytes(v)) for k, v in walk]
    assert [(k, bytes(v)) for k, v in first] + rest == items
    assert scan(engine, b"m", b"n") == [(b"m99999", b"late")]


def test_a_large_write_is_all_or_nothing(engine):
    put_all(engine, [(b"m00007", b"before")])
    with pytest.raises(ZeroDivisionError):
        with engine.writing() as txn:
            for key, value in many():
                txn.put(key, value)
                txn.discard(key + b"-tomb")
            assert bytes(txn.get(b"m02999")) == many()[2999][1]  # reads see the pending writes
            1 / 0
    assert scan(engine, b"", b"\xff") == [(b"m00007", b"before")]
    with engine.writing() as txn:
        for key, value in many():
            txn.put(key, value)
        txn.discard(b"m00001")
        assert txn.delete(b"m00002") is True and txn.delete(b"m00001") is False
    assert scan(engine, b"m", b"n") == [kv for kv in many() if kv[0] not in (b"m00001", b"m00002")]


def test_discard_deletes_without_asking(engine):
    put_all(engine, ALPHABET)
    with engine.writing() as txn:
        txn.discard(b"d")
        txn.discard(b"nothing")
        txn.put(b"f", b"new")
        txn.discard(b"f")
    assert [k for k, _ in scan(engine, b"", b"\xff")] == [b"b", b"h", b"j"]


def test_a_write_exclusion_makes_read_modify_writes_take_turns(engine):
    """Four threads add 1 to a counter 25 times each, each time in a write transaction that
    first takes the exclusion: no increment is lost (without it, concurrent engines lose some)."""
    put_all(engine, [(b"counter", b"0")])

    def add() -> None:
        for _ in range(25):
            with engine.writing() as txn:
                txn.lock(b"counter")
                txn.put(b"counter", b"%d" % (int(bytes(txn.get(b"counter"))) + 1))

    threads = [threading.Thread(target=add) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert scan(engine, b"counter", b"counter\x00") == [(b"counter", b"100")]


def test_a_store_reopens_with_everything(open_store):
    eng = open_store()
    assert eng.created is True
    put_all(eng, ALPHABET)
    with eng.writing() as txn:
        txn.delete(b"d")
    eng.close()
    again = open_store()
    assert again.created is False
    assert scan(again, b"", b"\xff") == [kv for kv in ALPHABET if kv[0] != b"d"]


# -- map size growth ------------------------------------------------------------------------------------


def write_growing(engine, items) -> int:
    """Write ``items`` in one transaction the way the core does: on StoreFull grow and retry."""
    grown = 0
    while True:
        try:
            put_all(engine, items)
            return grown
        except StoreFull:
            engine.grow()
            grown += 1
            assert grown < 20, "the store never grew enough"


def test_tiny_map_grows_until_the_write_fits(tmp_path):
    eng = open_engine("lmdb", tmp_path / "tiny", {"map_size": SMALL_MAP})
    try:
        start = eng.map_size
        assert start == SMALL_MAP
        items = [(b"key%04d" % i, bytes([i % 256]) * 4096) for i in range(256)]  # 1 MiB in one txn
        assert write_growing(eng, items) >= 1
        assert eng.map_size >= 16 * start
        with eng.reading() as txn:
            assert [bytes(txn.get(k)) for k, _ in items] == [v for _, v in items]
    finally:
        eng.close()


def test_a_full_write_leaves_nothing_behind(tmp_path):
    eng = open_engine("lmdb", tmp_path / "tiny", {"map_size": SMALL_MAP})
    try:
        put_all(eng, [(b"before", b"1")])
        with pytest.raises(StoreFull):
            put_all(eng, [(b"x%04d" % i, bytes(4096)) for i in range(256)])
        assert scan(eng, b"", b"\xff") == [(b"before", b"1")]
        # after a failed write the engine is usable: grow works (no transaction left open)
        eng.grow()
        put_all(eng, [(b"after", b"2")])
        assert scan(eng, b"", b"\xff") == [(b"after", b"2"), (b"before", b"1")]
    finally:
        eng.close()


def test_grown_store_reopens_with_room_to_write(tmp_path):
    path = tmp_path / "tiny"
    eng = open_engine("lmdb", path, {"map_size": SMALL_MAP})
    items = [(b"key%04d" % i, bytes([i % 256]) * 4096) for i in range(256)]
    write_growing(eng, items)
    eng.close()
    eng = open_engine("lmdb", path, {"map_size": SMALL_MAP})
    try:
        with eng.reading() as txn:
            assert sum(1 for _ in txn.scan(b"", b"\xff", keys_only=True)) == 256
            assert bytes(txn.get(b"key0255")) == bytes([255]) * 4096
        put_all(eng, [(b"one more", b"small")])  # no StoreFull on the first write after reopening
        with eng.reading() as txn:
            assert bytes(txn.get(b"one more")) == b"small"
    finally:
        eng.close()


@pytest.mark.engines("lmdb")  # LMDB's map; a database server has no map to grow
def test_server_grows_the_store_for_a_request(make_dvid):
    dvid = make_dvid(store_options={"map_size": SMALL_MAP})
    start = dvid.server.engine.map_size
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "testkv", "kv")
    value = bytes(range(256)) * 8192  # 2 MiB
    dvid.ok("POST", f"/api/node/{uuid}/kv/key/big", content=value)
    assert dvid.server.engine.map_size > start
    assert dvid.ok("GET", f"/api/node/{uuid}/kv/key/big").content == value
    dvid.restart()
    assert dvid.ok("GET", f"/api/node/{uuid}/kv/key/big").content == value
    dvid.ok("POST", f"/api/node/{uuid}/kv/key/small", content=b"s")
    assert dvid.ok("GET", f"/api/node/{uuid}/kv/keys").json() == ["big", "small"]


@pytest.mark.engines("lmdb")  # LMDB's map; a database server has no map to grow
def test_core_metadata_writes_grow_the_store_too(make_dvid):
    """Repo metadata (many instances, a long log) outgrowing a tiny map is no error either."""
    dvid = make_dvid(store_options={"map_size": SMALL_MAP})
    uuid = dvid.new_repo()
    dvid.ok("POST", f"/api/repo/{uuid}/log", json={"log": ["x" * 1000] * 300})
    assert len(dvid.ok("GET", f"/api/repo/{uuid}/log").json()["log"]) == 300


# -- reopening ----------------------------------------------------------------------------------------------


def test_reopen_keeps_everything_and_reports_created(tmp_path):
    path = tmp_path / "s"
    eng = open_engine("lmdb", path)
    assert eng.created is True
    put_all(eng, ALPHABET)
    with eng.writing() as txn:
        txn.delete(b"d")
    eng.close()
    eng = open_engine("lmdb", path)
    try:
        assert eng.created is False
        assert scan(eng, b"", b"\xff") == [kv for kv in ALPHABET if kv[0] != b"d"]
    finally:
        eng.close()


def test_lmdb_sync_and_describe(tmp_path):
    engine = open_engine("lmdb", tmp_path / "store")
    try:
        put_all(engine, [(b"k", b"v")])
        engine.sync()
        assert engine.describe() == f"lmdb @ {tmp_path / 'store'}"
        assert engine.name == "lmdb"
    finally:
        engine.close()


def test_engine_options_are_declared_and_checked(tmp_path):
    assert set(ENGINES["lmdb"].options) == {"map_size", "sync"}
    with pytest.raises(ValueError, match="storage engine 'lmdb' has no option 'mapsize' .its options: map_size, sync"):
        open_engine("lmdb", tmp_path / "x", {"mapsize": 1})


def test_every_registered_engine_runs_the_conformance_suite():
    assert sorted(ENGINES) == sorted(TEST_ENGINES)


def test_unknown_engine_name(tmp_path):
    with pytest.raises(ValueError, match="unknown storage engine 'rocks'"):
        open_engine("rocks", tmp_path / "x")
    assert "lmdb" in ENGINES


# -- sessions (one per request) --------------------------------------------------------------------------


def test_session_commits_on_success(engine):
    with Session(engine) as session:
        session.writer().put(b"k", b"v")
        with session.reading() as txn:  # a request sees its own writes
            assert bytes(txn.get(b"k")) == b"v"
        assert session.dirty
    assert scan(engine, b"", b"\xff") == [(b"k", b"v")]


def test_session_aborts_on_error_and_runs_undo_actions(engine):
    undone = []
    with pytest.raises(KeyError):
        with Session(engine) as session:
            session.writer().put(b"k", b"v")
            session.on_abort.append(lambda: undone.append("first"))
            session.on_abort.append(lambda: undone.append("second"))
            raise KeyError("boom")
    assert undone == ["second", "first"]
    assert scan(engine, b"", b"\xff") == []


def test_read_only_session_refuses_to_write(engine):
    with pytest.raises(ReadOnlySession):
        with Session(engine, writable=False) as session:
            session.writer()
    assert scan(engine, b"", b"\xff") == []


def test_session_reads_share_one_snapshot(engine):
    put_all(engine, [(b"a", b"1")])
    with Session(engine, writable=False) as session:
        with session.reading() as outer:
            put_all(engine, [(b"a", b"2")])
            with session.reading() as inner:
                assert inner is outer
                assert bytes(inner.get(b"a")) == b"1"
        with session.reading() as later:
            assert bytes(later.get(b"a")) == b"2"


def test_session_cannot_start_writing_inside_a_snapshot(engine):
    with Session(engine) as session:
        with session.reading():
            with pytest.raises(RuntimeError, match="cannot begin writing inside a read snapshot"):
                session.writer()
    assert scan(engine, b"", b"\xff") == []


# -- key layout ------------------------------------------------------------------------------------------


def test_block_index_refuses_coordinates_outside_int32():
    import struct

    assert keys.decode_index_zyx(keys.index_zyx(-(2**31), 2**31 - 1, 0)) == (-(2**31), 2**31 - 1, 0)
    for bad in ((2**31, 0, 0), (0, -(2**31) - 1, 0), (0, 0, 2**32)):
        with pytest.raises(struct.error):
            keys.index_zyx(*bad)


def test_key_order_coordinates_round_trip_and_sort():
    import numpy as np

    values = np.array([-(2**31), -1, 0, 1, 2**31 - 1])
    ordered = keys.to_key_order(values)
    assert list(ordered) == sorted(ordered)
    assert list(keys.from_key_order(ordered)) == list(values)
    assert keys.version_of(keys.data_key(7, b"\x17\x01k", 12345)) == 12345
    assert keys.is_tombstone(keys.data_key(7, b"\x17\x01k", 3, tombstone=True))
    prefix = keys.without_version(keys.data_key(7, b"\x17\x01k", 3))
    assert keys.versioned_key(prefix, 3) == keys.data_key(7, b"\x17\x01k", 3)
