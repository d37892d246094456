"""core/merging.py directly: which parent deletes what before a resolve, and that a resolve is
one transaction (a refused one leaves nothing)."""

from __future__ import annotations

import pytest

from dvidpy.datastore import Datastore
from dvidpy.errors import DVIDError
from dvidpy.instances import Instance
from dvidpy.merging import CONFLICT_NOTE, find_conflicts, resolve_conflicts
from dvidpy.storage import keys
from dvidpy.storage.engine import open_engine

TK = b"\x30\x01k"


@pytest.fixture
def world(tmp_path):
    """A repo whose root (version 1) holds key k; two committed children, left and right."""
    engine = open_engine("lmdb", tmp_path / "store")
    datastore = Datastore(engine)
    repo = datastore.new_repo()

    def setup(edit):
        copy, root = edit.resolve(repo.root)
        copy.instances["kv"] = Instance("kv", "testkv", edit.new_instance_id(), "d" * 32, root.uuid)
        copy.commit(root, "", [])

    datastore.change(setup)
    left = datastore.new_child(repo.root)
    right = datastore.new_child(repo.root, branch="right")
    yield engine, datastore, repo, left, right
    engine.close()


def put(engine, instance_id: int, version: int, value: bytes | None) -> None:
    with engine.writing() as txn:
        txn.put(keys.data_key(instance_id, TK, version, tombstone=value is None), value or b"")


def lock(datastore, uuid: str) -> None:
    datastore.change(lambda edit: edit.node(uuid)[0].commit(edit.node(uuid)[1], "", []))


def test_later_parents_delete_what_differs_from_the_first(world):
    engine, datastore, repo, left, right = world
    put(engine, 1, left.version_id, b"left")
    put(engine, 1, right.version_id, b"right")
    lock(datastore, left.uuid)
    lock(datastore, right.uuid)
    catalog = datastore.catalog()
    fresh = catalog.repos[repo.repo_id]
    parents = [fresh.nodes[left.version_id], fresh.nodes[right.version_id]]
    with engine.reading() as txn:
        doomed = find_conflicts(datastore, txn, fresh, parents, ["kv"])
    assert doomed == {1: [keys.without_version(keys.data_key(1, TK, 0))]}


def test_same_values_from_the_common_ancestor_are_no_conflict(world):
    engine, datastore, repo, left, right = world
    put(engine, 1, 1, b"root")
    lock(datastore, left.uuid)
    lock(datastore, right.uuid)
    fresh = datastore.catalog().repos[repo.repo_id]
    with engine.reading() as txn:
        assert find_conflicts(datastore, txn, fresh, [fresh.nodes[left.version_id],
                                                      fresh.nodes[right.version_id]], ["kv"]) == {}


def test_resolve_makes_a_committed_conflict_child_and_merges(world):
    engine, datastore, repo, left, right = world
    put(engine, 1, left.version_id, b"left")
    put(engine, 1, right.version_id, b"right")
    lock(datastore, left.uuid)
    lock(datastore, right.uuid)
    child = resolve_conflicts(datastore, [left.uuid, right.uuid], ["kv"], "resolved")
    nodes = datastore.catalog().repos[repo.repo_id].nodes
    merged = nodes[child.version_id]
    conflict = nodes[merged.parents[1]]
    assert merged.parents[0] == left.version_id and conflict.parents == [right.version_id]
    assert (conflict.note, conflict.locked, conflict.branch) == (CONFLICT_NOTE, True, f"conflict-{right.uuid}")
    with engine.reading() as txn:
        assert txn.get(keys.data_key(1, TK, conflict.version_id, tombstone=True)) is not None


def test_a_refused_resolve_writes_nothing(world):
    engine, datastore, repo, left, right = world
    put(engine, 1, left.version_id, b"left")
    put(engine, 1, right.version_id, b"right")
    lock(datastore, left.uuid)  # right stays open: the resolve is refused after conflicts are found
    before = datastore.catalog()
    with engine.reading() as txn:
        stored = [(k, bytes(v)) for k, v in txn.scan(b"", b"\xff" * 8)]
    with pytest.raises(DVIDError, match="can't branch an unlocked node"):
        resolve_conflicts(datastore, [left.uuid, right.uuid], ["kv"], "")
    with pytest.raises(DVIDError, match='no data instance "nosuch"'):
        resolve_conflicts(datastore, [left.uuid, right.uuid], ["nosuch"], "")
    assert datastore.catalog() is before
    with engine.reading() as txn:
        assert [(k, bytes(v)) for k, v in txn.scan(b"", b"\xff" * 8)] == stored
