"""Versioned contexts (core/storage/versioned.py): copy-on-write reads, tombstones, ranges and
merges, first on the store directly over a fixed DAG, then over HTTP through the third-party
``testkv`` plugin (tests/plugins/dvidpy_testkv), including a restart of the server.

The scenarios follow DVID's keyvalue tests (TestKeyvalueVersioning, TestDiamondGetOnMerge,
TestKeyvalueUnversioned) and badger's TestVersionedRangeMatchesLegacySelection.
"""

from __future__ import annotations

import pytest

from dvidpy.storage import keys
from dvidpy.storage.session import Session
from dvidpy.storage.versioned import Ancestry, VersionConflict, VersionedStore

INSTANCE = 9

#: The DAG of DVID's TestKeyvalueVersioning, by version id:
#: 1 root; 2 <- 1; 3 <- 2; 4 <- 3; 5 <- 2 (a fork); 6 <- 5; 7 <- 1 (untouched);
#: merges 10 = (4, 5) conflicting, 11 = (4, 6), 12 = (11, 7), 13 = (7, 11);
#: a diamond 30 <- 1, 31 <- 1, 32 = (30, 31); 42 <- 1 and a three-way merge 43 = (7, 42, 31);
#: 50 <- 10 (below the conflicting merge).
PARENTS: dict[int, tuple[int, ...]] = {
    1: (), 2: (1,), 3: (2,), 4: (3,), 5: (2,), 6: (5,), 7: (1,),
    10: (4, 5), 11: (4, 6), 12: (11, 7), 13: (7, 11),
    30: (1,), 31: (1,), 32: (30, 31), 42: (1,), 43: (7, 42, 31), 50: (10,),
}


def tk(name: str) -> bytes:
    """A TKey in DVID's convention with a terminator (no TKey is a prefix of another)."""
    return keys.tkey(0x30, name.encode() + b"\x00")


def at(session: Session, version: int, instance: int = INSTANCE) -> VersionedStore:
    return VersionedStore(session, instance, Ancestry.build(version, lambda v: PARENTS[v]))


def write(engine, version: int, **values: bytes | None) -> None:
    """Put (or, for None, delete) keys at ``version`` in one transaction."""
    with Session(engine) as session:
        store = at(session, version)
        for name, value in values.items():
            if value is None:
                store.delete(tk(name))
            else:
                store.put(tk(name), value)


def get(engine, version: int, name: str) -> bytes | None:
    with Session(engine, writable=False) as session:
        return at(session, version).get(tk(name))


def view(engine, version: int, lo: str = "", hi: str = "\x7f") -> dict[str, bytes]:
    with Session(engine, writable=False) as session:
        return {t[2:-1].decode(): v for t, v in at(session, version).scan(tk(lo), tk(hi))}


def raw_keys(engine, instance: int = INSTANCE) -> list[tuple[bytes, int, bool, bytes]]:
    lo, hi = keys.instance_range(instance)
    with engine.reading() as txn:
        out = []
        for key, value in txn.scan(lo, hi):
            t, version, tomb = keys.split_data_key(key)
            out.append((t, version, tomb, bytes(value)))
        return out


def keyvalue_scenario(engine) -> None:
    write(engine, 1, k=b"v1", other=b"o1")
    write(engine, 2, k=b"v2")
    write(engine, 3, k=None)
    write(engine, 4, k=b"v4")
    write(engine, 5, k=b"v5")
    write(engine, 6, k=None)


# -- single line of ancestry ------------------------------------------------------------------------------


def test_read_sees_the_nearest_ancestor(engine):
    write(engine, 1, a=b"a1", b=b"b1")
    write(engine, 2, a=b"a2")
    assert get(engine, 1, "a") == b"a1"
    assert get(engine, 2, "a") == b"a2"
    assert get(engine, 3, "a") == b"a2"  # 3 never wrote: its parent 2's value
    assert get(engine, 4, "a") == b"a2"  # two generations down
    assert get(engine, 4, "b") == b"b1"  # from the root
    assert get(engine, 7, "a") == b"a1"  # a sibling line never sees 2's write
    assert get(engine, 4, "c") is None


def test_writing_a_child_leaves_the_parent_alone(engine):
    write(engine, 1, k=b"parent")
    write(engine, 2, k=b"child")
    assert get(engine, 1, "k") == b"parent"
    assert [(t, v, tomb) for t, v, tomb, _ in raw_keys(engine)] == [(tk("k"), 1, False), (tk("k"), 2, False)]


def test_tombstone_hides_at_the_child_and_below_but_not_above(engine):
    write(engine, 1, k=b"root", keep=b"x")
    write(engine, 2, k=None)
    assert get(engine, 1, "k") == b"root"
    assert get(engine, 2, "k") is None
    assert get(engine, 3, "k") is None
    assert get(engine, 4, "k") is None
    assert get(engine, 7, "k") == b"root"
    assert view(engine, 3) == {"keep": b"x"}
    # the tombstone is DVID's: same key bytes with marker 0x4F and an empty value
    assert (tk("k"), 2, True, b"") in raw_keys(engine)


def test_rewriting_below_a_tombstone_brings_the_key_back(engine):
    keyvalue_scenario(engine)
    assert get(engine, 3, "k") is None
    assert get(engine, 4, "k") == b"v4"
    assert get(engine, 2, "k") == b"v2"
    assert get(engine, 1, "k") == b"v1"


def test_put_after_delete_at_the_same_version_clears_the_tombstone(engine):
    write(engine, 1, k=b"one")
    write(engine, 2, k=None)
    write(engine, 2, k=b"again")
    assert get(engine, 2, "k") == b"again"
    assert get(engine, 3, "k") == b"again"
    assert [(v, tomb) for _, v, tomb, _ in raw_keys(engine)] == [(1, False), (2, False)]
    write(engine, 2, k=None)
    assert [(v, tomb) for _, v, tomb, _ in raw_keys(engine)] == [(1, False), (2, True)]


def test_exists_and_version_of(engine):
    write(engine, 1, k=b"v1")
    write(engine, 2, k=b"v2")
    write(engine, 3, k=None)
    with Session(engine, writable=False) as session:
        assert [at(session, v).exists(tk("k")) for v in (1, 2, 3, 4, 7)] == [True, True, False, False, True]
        assert [at(session, v).version_of(tk("k")) for v in (1, 2, 3, 4, 7)] == [1, 2, 0, 0, 1]
        assert at(session, 1).exists(tk("none")) is False
        assert at(session, 1).version_of(tk("none")) == 0


def test_a_key_is_not_found_through_a_longer_key(engine):
    """``get(k)`` must not answer with the value of another TKey that merely starts with ``k``."""
    with Session(engine) as session:
        store = at(session, 1)
        store.put(b"\x30\x01ab", b"longer")
    with Session(engine, writable=False) as session:
        store = at(session, 1)
        assert store.get(b"\x30\x01a") is None
        assert store.exists(b"\x30\x01a") is False
        assert store.version_of(b"\x30\x01a") == 0
        assert store.get(b"\x30\x01ab") == b"longer"


# -- ranges -------------------------------------------------------------------------------------------------


def test_range_is_inclusive_and_merged_across_versions(engine):
    write(engine, 1, a=b"a1", b=b"b1", c=b"c1", d=b"d1")
    write(engine, 2, b=b"b2", c=None, e=b"e2")
    write(engine, 3, a=None)
    assert view(engine, 1) == {"a": b"a1", "b": b"b1", "c": b"c1", "d": b"d1"}
    assert view(engine, 2) == {"a": b"a1", "b": b"b2", "d": b"d1", "e": b"e2"}
    assert view(engine, 3) == {"b": b"b2", "d": b"d1", "e": b"e2"}
    assert view(engine, 2, "b", "d") == {"b": b"b2", "d": b"d1"}  # both ends inclusive
    assert view(engine, 2, "c", "c") == {}
    assert view(engine, 2, "e", "z") == {"e": b"e2"}
    assert view(engine, 7, "a", "z") == {"a": b"a1", "b": b"b1", "c": b"c1", "d": b"d1"}


def test_scan_many_reads_several_ranges_as_the_scans_would(engine):
    write(engine, 1, a=b"a1", b=b"b1", c=b"c1", d=b"d1", e=b"e1", f=b"f1")
    write(engine, 2, b=b"b2", c=None, f=b"f2")
    write(engine, 4, d=b"d4")
    ranges = [(tk("a"), tk("c")), (tk("d"), tk("d")), (tk("f"), tk("z"))]
    for version in (1, 3, 4, 10, 11):  # lines of ancestry and merges
        with Session(engine, writable=False) as session:
            store = at(session, version)
            expected = [(k, bytes(v)) for lo, hi in ranges for k, v in store.scan(lo, hi)]
            assert [(k, bytes(v)) for k, v in store.scan_many(ranges)] == expected
    with Session(engine, writable=False) as session:
        got = {k: bytes(v) for k, v in at(session, 4).scan_many(ranges)}
    assert got == {tk("a"): b"a1", tk("b"): b"b2", tk("d"): b"d4", tk("f"): b"f2"}


def test_range_keys_only_and_ascending_order(engine):
    write(engine, 1, zeta=b"1", alpha=b"2", mid=b"3")
    write(engine, 2, beta=b"4")
    with Session(engine, writable=False) as session:
        assert at(session, 2).keys(tk(""), tk("\x7f")) == [tk("alpha"), tk("beta"), tk("mid"), tk("zeta")]
        assert [v for _, v in at(session, 2).scan(tk(""), tk("\x7f"), keys_only=True)] == [None] * 4


def test_range_of_one_instance_ignores_another(engine):
    write(engine, 1, a=b"mine")
    with Session(engine) as session:
        at(session, 1, instance=INSTANCE + 1).put(tk("a"), b"theirs")
        at(session, 1, instance=INSTANCE - 1).put(tk("b"), b"theirs too")
    assert view(engine, 1) == {"a": b"mine"}


def test_delete_range_tombstones_only_visible_keys_in_range(engine):
    write(engine, 1, a=b"1", b=b"2", c=b"3", d=b"4")
    write(engine, 2, c=None)
    with Session(engine) as session:
        assert at(session, 3).delete_range(tk("b"), tk("d")) == 2  # b and d; c is already gone
    assert view(engine, 3) == {"a": b"1"}
    assert view(engine, 2) == {"a": b"1", "b": b"2", "d": b"4"}
    assert view(engine, 1) == {"a": b"1", "b": b"2", "c": b"3", "d": b"4"}


def test_put_many_and_delete_all(engine):
    with Session(engine) as session:
        assert at(session, 1).put_many((tk(n), n.encode()) for n in ("x", "y", "z")) == 3
        at(session, 2).put(tk("x"), b"x2")
    assert view(engine, 2) == {"x": b"x2", "y": b"y", "z": b"z"}
    with Session(engine) as session:
        assert at(session, 2).delete_all() == 4  # every version's keys, physically
    assert raw_keys(engine) == []
    assert view(engine, 1) == {}


def test_failed_session_writes_nothing(engine):
    write(engine, 1, k=b"before")
    with pytest.raises(RuntimeError):
        with Session(engine) as session:
            store = at(session, 1)
            store.put(tk("k"), b"after")
            store.put(tk("new"), b"x")
            raise RuntimeError("handler failed")
    assert view(engine, 1) == {"k": b"before"}


# -- merges --------------------------------------------------------------------------------------------------


def test_diamond_merge_sees_the_common_ancestor_once(engine):
    write(engine, 1, k=b"root")
    assert get(engine, 32, "k") == b"root"
    assert view(engine, 32) == {"k": b"root"}


def test_merge_sees_keys_written_on_either_side(engine):
    write(engine, 1, base=b"0")
    write(engine, 30, left=b"L")
    write(engine, 31, right=b"R")
    assert view(engine, 32) == {"base": b"0", "left": b"L", "right": b"R"}


def test_conflicting_merge_is_an_error_at_read_time(engine):
    keyvalue_scenario(engine)
    with Session(engine, writable=False) as session:
        store = at(session, 10)
        with pytest.raises(VersionConflict) as err:
            store.get(tk("k"))
        assert str(err.value) == f"found multiple kv for key {tk('k').hex()} among parents: versions [4, 5]"
        assert store.get(tk("other")) == b"o1"  # other keys of the merge are fine
        with pytest.raises(VersionConflict):
            list(store.scan(tk(""), tk("\x7f")))  # a range over the conflict fails as a whole
    with pytest.raises(VersionConflict):
        get(engine, 50, "k")  # and below the merge


def test_deleting_on_one_side_resolves_the_conflict(engine):
    keyvalue_scenario(engine)
    assert get(engine, 11, "k") == b"v4"


@pytest.mark.parametrize("merge", [12, 13])
def test_invalidation_does_not_depend_on_parent_order(engine, merge):
    """Merging with an untouched branch off the root, in either parent order, keeps the value
    the other path rewrote below the root (DVID invalidates ancestors of a found entry)."""
    keyvalue_scenario(engine)
    assert PARENTS[merge] in ((11, 7), (7, 11))
    assert get(engine, merge, "k") == b"v4"
    assert get(engine, merge, "other") == b"o1"


def test_merge_prefers_a_tombstone_below_the_common_ancestor(engine):
    write(engine, 1, k=b"root")
    write(engine, 30, k=None)
    assert get(engine, 32, "k") is None  # 30 deleted it below the root; 31 only inherits


def test_three_parent_merge_returns_the_surviving_value(engine):
    write(engine, 1, k=b"root")
    write(engine, 42, k=b"rewritten")
    assert PARENTS[43] == (7, 42, 31)
    assert get(engine, 43, "k") == b"rewritten"


def resolve(parents: dict[int, tuple[int, ...]], version: int, entries: dict[int, bool]) -> int | None:
    return Ancestry.build(version, lambda v: parents[v]).visible(entries)


def test_long_history_after_a_merge(engine):
    """Thousands of versions below a merge: the read is no deeper than the data (no recursion)."""
    parents = {1: (), 2: (1,), 3: (1,), 4: (2, 3)}
    parents.update({v: (v - 1,) for v in range(5, 5000)})
    assert resolve(parents, 4999, {1: False}) == 1
    assert resolve(parents, 4999, {1: False, 2: False, 4000: True}) is None
    with pytest.raises(VersionConflict, match=r"versions \[2, 3\]"):
        resolve(parents, 4999, {2: False, 3: False})


def test_many_merges_stay_fast():
    """Forty rounds of fork-and-merge (2**40 paths from the head to the root): a read still
    answers at once, as the set of versions is small."""
    parents: dict[int, tuple[int, ...]] = {1: ()}
    master, nxt, forks = 1, 2, []
    for _ in range(40):
        fork, main, merge = nxt, nxt + 1, nxt + 2
        parents[fork], parents[main], parents[merge] = (master,), (master,), (main, fork)
        forks.append(fork)
        master, nxt = merge, nxt + 3
    assert resolve(parents, master, {1: False}) == 1
    assert resolve(parents, master, {1: False, forks[0]: False}) == forks[0]
    assert resolve(parents, master, {1: False, forks[0]: True}) is None
    assert resolve(parents, master, {forks[3]: False, forks[7]: False}) == forks[7]  # 7 is below 3
    merge7, main7 = forks[7] + 2, forks[7] + 1
    assert parents[merge7] == (main7, forks[7])
    with pytest.raises(VersionConflict, match=rf"versions \[{forks[7]}, {main7}\]"):
        resolve(parents, master, {forks[7]: False, main7: False, 1: False})


def test_ancestry_parents_keep_dvids_order():
    ancestry = Ancestry.build(13, lambda v: PARENTS[v])
    assert ancestry.parents[13] == (7, 11)
    assert ancestry.depths is None  # a merge is involved
    linear = Ancestry.build(4, lambda v: PARENTS[v])
    assert linear.depths == {4: 0, 3: 1, 2: 2, 1: 3}


# -- over HTTP, through the third-party testkv plugin ------------------------------------------------------


def kv(uuid: str, key: str, name: str = "kv") -> str:
    return f"/api/node/{uuid}/{name}/key/{key}"


def keyrange(dvid, uuid: str, lo: str = "a", hi: str = "z", name: str = "kv") -> dict:
    return dvid.ok("GET", f"/api/node/{uuid}/{name}/keyrange/{lo}/{hi}").json()


@pytest.fixture
def dag(dvid):
    """DVID's TestKeyvalueVersioning over HTTP; returns the harness and the named nodes."""
    root = dvid.new_repo("versions", "keyvalue versioning")
    dvid.new_instance(root, "testkv", "kv")
    dvid.ok("POST", kv(root, "mykey"), content=b'"some stuff"')
    dvid.ok("POST", kv(root, "my2ndkey"), content=b'"more good stuff"')
    dvid.commit(root, "my commit msg")
    n2 = dvid.newversion(root)
    dvid.ok("POST", kv(n2, "my2ndkey"), content=b"this is completely different")
    dvid.commit(n2)
    n3 = dvid.newversion(n2)
    dvid.ok("DELETE", kv(n3, "my2ndkey"))
    dvid.commit(n3)
    n4 = dvid.newversion(n3)
    dvid.ok("POST", kv(n4, "my2ndkey"), content=b"we are reintroducing this k/v")
    dvid.commit(n4)
    n5 = dvid.branch(n2, "some child")
    dvid.ok("POST", kv(n5, "my2ndkey"), content=b"this is forked value")
    dvid.commit(n5)
    nodes = {"root": root, "n2": n2, "n3": n3, "n4": n4, "n5": n5}
    return dvid, nodes


def merge(dvid, repo: str, parents: list[str], note: str = "") -> str:
    body = {"mergeType": "conflict-free", "parents": parents, "note": note}
    return dvid.ok("POST", f"/api/repo/{repo}/merge", json=body).json()["child"]


def test_http_copy_on_write_and_tombstones(dag):
    dvid, n = dag
    expected = {
        "root": b'"more good stuff"',
        "n2": b"this is completely different",
        "n4": b"we are reintroducing this k/v",
        "n5": b"this is forked value",
    }
    for node, value in expected.items():
        assert dvid.ok("GET", kv(n[node], "my2ndkey")).content == value, node
    r = dvid.get(kv(n["n3"], "my2ndkey"))
    assert (r.status_code, r.content) == (404, b"")
    assert dvid.request("HEAD", kv(n["n3"], "my2ndkey")).status_code == 404
    assert dvid.request("HEAD", kv(n["n4"], "my2ndkey")).status_code == 200
    assert dvid.ok("GET", kv(n["n4"], "mykey")).content == b'"some stuff"'
    assert keyrange(dvid, n["n3"]) == {"mykey": '"some stuff"'}
    assert dvid.ok("GET", f"/api/node/{n['n3']}/kv/keys").json() == ["mykey"]
    assert dvid.ok("GET", f"/api/node/{n['root']}/kv/keys").json() == ["my2ndkey", "mykey"]


def test_http_merges(dag):
    dvid, n = dag
    root = n["root"]
    bad = merge(dvid, root, [n["n4"], n["n5"]], "conflicting")
    r = dvid.get(kv(bad, "my2ndkey"))
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text.startswith("found multiple kv for key ")
    assert "among parents: versions [" in r.text
    assert r.text.endswith(f" ({kv(bad, 'my2ndkey')}).\n")
    assert dvid.ok("GET", kv(bad, "mykey")).content == b'"some stuff"'

    # fix by deleting the key on one side, then merge again
    n6 = dvid.newversion(n["n5"])
    dvid.ok("DELETE", kv(n6, "my2ndkey"))
    assert dvid.get(kv(n6, "my2ndkey")).status_code == 404
    dvid.commit(n6)
    good = merge(dvid, root, [n["n4"], n6], "merging stuff")
    assert dvid.ok("GET", kv(good, "my2ndkey")).content == b"we are reintroducing this k/v"

    # an untouched branch off the root merged in both orders: the rewritten value still wins
    n7 = dvid.branch(root, "2nd child off root")
    dvid.commit(n7)
    dvid.commit(good)
    for parents in ([good, n7], [n7, good]):
        child = merge(dvid, root, parents)
        assert dvid.ok("GET", kv(child, "my2ndkey")).content == b"we are reintroducing this k/v"
        dag_nodes = dvid.ok("GET", f"/api/repo/{root}/info").json()["DAG"]["Nodes"]
        versions = [dag_nodes[p]["VersionID"] for p in parents]
        assert dag_nodes[child]["Parents"] == versions  # DVID's order: as given


def test_http_diamond_merge(dvid):
    root = dvid.new_repo()
    dvid.new_instance(root, "testkv", "kv")
    dvid.ok("POST", kv(root, "k"), content=b"root value")
    dvid.commit(root)
    left, right = dvid.newversion(root), dvid.branch(root, "right")
    dvid.commit(left)
    dvid.commit(right)
    child = merge(dvid, root, [left, right])
    assert dvid.ok("GET", kv(child, "k")).content == b"root value"


def test_http_resolve_prefers_the_first_parent(dag):
    dvid, n = dag
    r = dvid.ok("POST", f"/api/repo/{n['n4']}/resolve",
                json={"data": ["kv"], "parents": [n["n5"], n["n4"]], "note": "automatic resolved merge"})
    child = r.json()["child"]
    assert dvid.ok("GET", kv(child, "my2ndkey")).content == b"this is forked value"
    assert dvid.ok("GET", kv(n["n4"], "my2ndkey")).content == b"we are reintroducing this k/v"


def test_http_range_at_a_merge(dvid):
    root = dvid.new_repo()
    dvid.new_instance(root, "testkv", "kv")
    for key in ("a", "b", "c"):
        dvid.ok("POST", kv(root, key), content=key.encode())
    dvid.commit(root)
    left, right = dvid.newversion(root), dvid.branch(root, "right")
    dvid.ok("POST", kv(left, "b"), content=b"left b")
    dvid.ok("DELETE", kv(left, "c"))
    dvid.ok("POST", kv(right, "d"), content=b"right d")
    dvid.commit(left)
    dvid.commit(right)
    child = merge(dvid, root, [left, right])
    assert keyrange(dvid, child) == {"a": "a", "b": "left b", "d": "right d"}
    assert keyrange(dvid, child, "b", "c") == {"b": "left b"}
    assert keyrange(dvid, right) == {"a": "a", "b": "b", "c": "c", "d": "right d"}


def test_http_instance_created_at_an_interior_node(dvid):
    root = dvid.new_repo()
    dvid.commit(root)
    child = dvid.newversion(root)
    dvid.new_instance(child, "testkv", "leafdata")
    dvid.ok("POST", kv(child, "k", "leafdata"), content=b"v")
    # every node of the repo finds the instance; the root simply holds no data for it
    assert dvid.get(kv(root, "k", "leafdata")).status_code == 404
    assert dvid.ok("GET", f"/api/node/{root}/leafdata/keys").json() == []
    info = dvid.ok("GET", f"/api/node/{root}/leafdata/info").json()
    assert info["Base"]["RepoUUID"] == child


def test_http_unversioned_instance_is_one_context(dvid):
    root = dvid.new_repo()
    for flag in ("false", "0", False):
        dvid.new_instance(root, "testkv", f"flat{flag}", versioned=flag)
        info = dvid.ok("GET", f"/api/node/{root}/flat{flag}/info").json()
        assert info["Base"]["Versioned"] is False
    dvid.ok("POST", kv(root, "k", "flatfalse"), content=b"at root")
    dvid.commit(root)
    child = dvid.newversion(root)
    side = dvid.branch(root, "side")
    dvid.ok("POST", kv(child, "k", "flatfalse"), content=b"via child")  # a locked root does not matter
    for node in (root, child, side):
        assert dvid.ok("GET", kv(node, "k", "flatfalse")).content == b"via child"
    dvid.ok("POST", kv(root, "k2", "flatfalse"), content=b"written through the locked root")
    assert dvid.ok("GET", kv(side, "k2", "flatfalse")).content == b"written through the locked root"
    dvid.ok("DELETE", kv(side, "k", "flatfalse"))
    assert dvid.get(kv(root, "k", "flatfalse")).status_code == 404
    # everything is stored at the root's version
    inst = dvid.server.datastore.catalog().repos[1].instances["flatfalse"]
    root_version = dvid.ok("GET", f"/api/repo/{root}/info").json()["DAG"]["Nodes"][root]["VersionID"]
    assert {v for _, v, _, _ in raw_keys(dvid.server.engine, inst.instance_id)} == {root_version}


def test_http_everything_survives_a_restart(dag):
    dvid, n = dag
    root = n["root"]
    n6 = dvid.newversion(n["n5"])
    dvid.ok("DELETE", kv(n6, "my2ndkey"))
    dvid.commit(n6)
    good = merge(dvid, root, [n["n4"], n6])
    dvid.new_instance(good, "testkv", "flat", versioned="false")
    dvid.ok("POST", kv(root, "f", "flat"), content=b"flat value")
    before = {node: keyrange(dvid, node) for node in [*n.values(), n6, good]}
    info_before = dvid.ok("GET", f"/api/repo/{root}/info").json()

    dvid.restart()

    after = {node: keyrange(dvid, node) for node in [*n.values(), n6, good]}
    assert after == before
    assert after[good] == {"my2ndkey": "we are reintroducing this k/v", "mykey": '"some stuff"'}
    assert after[n["n3"]] == {"mykey": '"some stuff"'}
    assert dvid.ok("GET", kv(n["n2"], "f", "flat")).content == b"flat value"
    info_after = dvid.ok("GET", f"/api/repo/{root}/info").json()
    assert info_after["DAG"] == info_before["DAG"]
    assert info_after["DataInstances"] == info_before["DataInstances"]
    # the open merge node still takes writes and new versions after the restart
    dvid.ok("POST", kv(good, "new"), content=b"after restart")
    assert keyrange(dvid, good)["new"] == "after restart"
    assert dvid.get(kv(n["n4"], "new")).status_code == 404
