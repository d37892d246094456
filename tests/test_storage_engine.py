"""The storage engine (LMDB) and versioned contexts, tested directly on a real store."""

from __future__ import annotations

import pytest

from dvidpy.storage.engine import open_engine
from dvidpy.storage.session import Session
from dvidpy.storage.versioned import Ancestry, VersionConflict, VersionedStore


@pytest.fixture
def engine(tmp_path):
    eng = open_engine("lmdb", tmp_path / "store")
    yield eng
    eng.close()


def put_all(engine, items):
    with engine.writing() as txn:
        for k, v in items:
            txn.put(k, v)


def test_get_put_delete_and_scans(engine):
    put_all(engine, [(b"a", b"1"), (b"b", b"2"), (b"c", b"3"), (b"d", b"4")])
    with engine.reading() as txn:
        assert bytes(txn.get(b"b")) == b"2"
        assert txn.get(b"zz") is None
        assert [(k, bytes(v)) for k, v in txn.scan(b"b", b"d")] == [(b"b", b"2"), (b"c", b"3")]
        assert [k for k, _ in txn.scan(b"a", b"e", reverse=True)] == [b"d", b"c", b"b", b"a"]
        assert [(k, v) for k, v in txn.scan(b"a", b"c", keys_only=True)] == [(b"a", None), (b"b", None)]
    with engine.writing() as txn:
        assert txn.delete(b"a") is True
        assert txn.delete(b"a") is False
        assert txn.delete_range(b"b", b"d") == 2
    with engine.reading() as txn:
        assert [k for k, _ in txn.scan(b"", b"\xff")] == [b"d"]


def test_failed_write_transaction_leaves_nothing(engine):
    put_all(engine, [(b"keep", b"1")])
    with pytest.raises(RuntimeError):
        with engine.writing() as txn:
            txn.put(b"new", b"x")
            txn.delete(b"keep")
            raise RuntimeError("boom")
    with engine.reading() as txn:
        assert bytes(txn.get(b"keep")) == b"1"
        assert txn.get(b"new") is None


def test_map_grows_instead_of_failing(make_dvid):
    """A request bigger than the LMDB map: the server grows the map and retries; nothing is lost."""
    dvid = make_dvid(store_options={"map_size": 1 << 20})
    start = dvid.server.engine.map_size
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "testkv", "kv")
    big = bytes(range(256)) * (16 << 10)  # 4 MiB
    dvid.ok("POST", f"/api/node/{uuid}/kv/key/big", content=big)
    assert dvid.server.engine.map_size > start
    assert dvid.ok("GET", f"/api/node/{uuid}/kv/key/big").content == big
    dvid.restart()
    assert dvid.ok("GET", f"/api/node/{uuid}/kv/key/big").content == big


def test_reopen_keeps_data(tmp_path):
    eng = open_engine("lmdb", tmp_path / "s")
    put_all(eng, [(b"k", b"v")])
    eng.close()
    eng = open_engine("lmdb", tmp_path / "s")
    try:
        with eng.reading() as txn:
            assert bytes(txn.get(b"k")) == b"v"
    finally:
        eng.close()


# -- versioned contexts -----------------------------------------------------------------------------

#: A DAG: 1 -> 2 -> 3, 1 -> 4, and 5 merging (3, 4) in that order.
PARENTS = {1: (), 2: (1,), 3: (2,), 4: (1,), 5: (3, 4)}


def store_at(engine, version: int, session: Session | None = None) -> VersionedStore:
    ancestry = Ancestry.build(version, lambda v: PARENTS[v])
    return VersionedStore(session or Session(engine), 7, ancestry)


def write(engine, version: int, **values: bytes | None) -> None:
    with Session(engine) as session:
        store = store_at(engine, version, session)
        for key, value in values.items():
            if value is None:
                store.delete(key.encode())
            else:
                store.put(key.encode(), value)
        session.commit()


def view(engine, version: int) -> dict[str, bytes]:
    with Session(engine, writable=False) as session:
        store = store_at(engine, version, session)
        return {tk.decode(): bytes(v) for tk, v in store.scan(b"", b"\xff")}


def test_nearest_ancestor_wins_and_tombstones_hide(engine):
    write(engine, 1, a=b"a1", b=b"b1", c=b"c1")
    write(engine, 2, a=b"a2", b=None)
    write(engine, 3, c=b"c3")
    assert view(engine, 1) == {"a": b"a1", "b": b"b1", "c": b"c1"}
    assert view(engine, 2) == {"a": b"a2", "c": b"c1"}
    assert view(engine, 3) == {"a": b"a2", "c": b"c3"}
    assert view(engine, 4) == {"a": b"a1", "b": b"b1", "c": b"c1"}


def test_rewrite_after_delete_at_same_version(engine):
    write(engine, 1, a=b"one")
    write(engine, 2, a=None)
    write(engine, 2, a=b"back")
    assert view(engine, 2) == {"a": b"back"}
    assert view(engine, 3) == {"a": b"back"}


def test_merge_sees_both_parents(engine):
    write(engine, 1, base=b"0")
    write(engine, 3, left=b"L")
    write(engine, 4, right=b"R")
    assert view(engine, 5) == {"base": b"0", "left": b"L", "right": b"R"}


def test_merge_with_conflicting_values_is_reported(engine):
    write(engine, 1, k=b"0")
    write(engine, 3, k=b"left")
    write(engine, 4, k=b"right")
    with pytest.raises(VersionConflict):
        view(engine, 5)


def test_merge_prefers_a_changed_value_over_the_common_ancestor(engine):
    write(engine, 1, k=b"old")
    write(engine, 4, k=b"new")
    assert view(engine, 5) == {"k": b"new"}


def test_block_index_refuses_coordinates_outside_int32():
    import struct

    from dvidpy.storage.keys import decode_index_zyx, index_zyx

    assert decode_index_zyx(index_zyx(-(2**31), 2**31 - 1, 0)) == (-(2**31), 2**31 - 1, 0)
    for bad in ((2**31, 0, 0), (0, -(2**31) - 1, 0), (0, 0, 2**32)):
        with pytest.raises(struct.error):
            index_zyx(*bad)
