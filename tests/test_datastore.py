"""core/datastore.py and core/catalog.py directly, on a real LMDB store: metadata changes are one
transaction each, made on private copies, and a refused change leaves memory and store as they were."""

from __future__ import annotations

import pytest

from dvidpy.catalog import Catalog
from dvidpy.datastore import Datastore, parent_nodes
from dvidpy.errors import DVIDError
from dvidpy.storage.engine import open_engine
from dvidpy.storage.session import Session


@pytest.fixture
def engine(tmp_path):
    eng = open_engine("lmdb", tmp_path / "store")
    yield eng
    eng.close()


@pytest.fixture
def datastore(engine):
    return Datastore(engine)


def dump(engine) -> list[tuple[bytes, bytes]]:
    with engine.reading() as txn:
        return [(k, bytes(v)) for k, v in txn.scan(b"", b"\xff" * 8)]


def test_a_new_repo_is_in_the_store_and_the_catalog(datastore, engine):
    repo = datastore.new_repo("alias", "described")
    assert datastore.catalog().generation == 1
    with engine.reading() as txn:
        loaded = Catalog.load(txn)
    assert loaded.generation == 1
    assert loaded.repos[repo.repo_id].to_record() == repo.to_record()
    assert Datastore(engine).catalog().resolve(repo.root[:5])[0].alias == "alias"


def test_changes_work_on_copies_and_publish_after_commit(datastore):
    repo = datastore.new_repo()
    before = datastore.catalog()
    shared = before.repos[repo.repo_id]
    datastore.change(lambda edit: edit.resolve(repo.root)[0].log.append("line"))
    after = datastore.catalog()
    assert shared.log == [] and after.repos[repo.repo_id].log == ["line"]
    assert after.generation == before.generation + 1


def test_a_refused_change_changes_nothing(datastore, engine):
    repo = datastore.new_repo()
    datastore.change(lambda edit: edit.resolve(repo.root)[1].__setattr__("locked", True))
    before, stored = datastore.catalog(), dump(engine)

    def half_then_refuse(edit):
        copy, node = edit.resolve(repo.root)
        copy.alias = "changed"
        node.note = "changed"
        edit.new_version_id()
        raise DVIDError("no")

    with pytest.raises(DVIDError):
        datastore.change(half_then_refuse)
    assert datastore.catalog() is before and dump(engine) == stored
    assert before.repos[repo.repo_id].alias == ""


def test_a_change_joined_to_a_session_waits_for_its_commit(datastore, engine):
    repo = datastore.new_repo()
    generation = datastore.catalog().generation
    session = Session(engine)
    datastore.change(lambda edit: edit.resolve(repo.root)[0].log.append("later"), session)
    assert datastore.cached().generation == generation  # not published yet
    session.commit()
    assert datastore.catalog().repos[repo.repo_id].log == ["later"]
    aborted = Session(engine)
    datastore.change(lambda edit: edit.resolve(repo.root)[0].log.append("never"), aborted)
    aborted.abort()
    assert datastore.catalog().repos[repo.repo_id].log == ["later"]


def test_another_process_change_is_seen_through_the_generation(engine):
    mine, theirs = Datastore(engine), Datastore(engine)  # two processes' views of one store
    repo = mine.new_repo()
    assert theirs.cached().repos == {}
    assert theirs.catalog().repos[repo.repo_id].root == repo.root
    with pytest.raises(DVIDError, match="can't branch an unlocked node"):
        theirs.new_child(repo.root)


def test_ids_come_from_the_store_and_never_repeat(engine):
    first, second = Datastore(engine), Datastore(engine)
    a, b = first.new_repo(), second.new_repo()
    assert (a.repo_id, b.repo_id) == (1, 2)
    versions = {n for r in first.catalog().repos.values() for n in r.nodes}
    assert versions == {1, 2}


def test_mutation_ids_are_exact_and_shared(engine):
    first, second = Datastore(engine, mutation_id_start=100), Datastore(engine, mutation_id_start=100)
    repo = first.new_repo()
    assert first.mutation_id(repo.repo_id) == 100
    ids = []
    for store in (first, second, first):
        with engine.writing() as txn:
            ids.append(store.next_mutation_id(repo.repo_id, txn))
    assert ids == [101, 102, 103] and second.mutation_id(repo.repo_id) == 103


def test_tags_children_and_the_exact_uuid_rule(datastore):
    repo = datastore.new_repo()
    datastore.change(lambda edit: edit.resolve(repo.root)[0].commit(edit.resolve(repo.root)[1], "", []))
    child = datastore.new_child(repo.root, tag="v1")
    assert (child.uuid, child.locked, child.branch) == ("v1", True, "tag-v1")
    with pytest.raises(DVIDError, match="branch already exists with given name"):
        datastore.new_child(repo.root, tag="v1")
    assert datastore.catalog().resolve("v1")[1].uuid == "v1"


def test_parent_nodes_refuse_repeats_and_other_repos(datastore):
    one, two = datastore.new_repo(), datastore.new_repo()

    def check(specs):
        return datastore.change(lambda edit: parent_nodes(edit, specs))

    with pytest.raises(DVIDError, match="is given twice"):
        check([one.root, one.root])
    with pytest.raises(DVIDError, match="is not in the same repo"):
        check([one.root, two.root])
    with pytest.raises(DVIDError, match="Must specify at least two parent UUIDs"):
        check([one.root])


def test_deleting_a_repo_marks_its_data_for_purging(datastore, engine):
    from dvidpy.catalog import pending_delete_key

    repo = datastore.new_repo()

    def add(edit):
        from dvidpy.instances import Instance

        copy, node = edit.resolve(repo.root)
        copy.instances["kv"] = Instance("kv", "testkv", edit.new_instance_id(), "d" * 32, node.uuid)

    datastore.change(add)
    instance_id = datastore.catalog().repos[repo.repo_id].instances["kv"].instance_id
    datastore.delete_repo(repo.root)
    assert datastore.catalog().repos == {}
    with engine.reading() as txn:
        assert txn.get(pending_delete_key(instance_id)) is not None
    assert datastore.purge_deleted() == 0
    with engine.reading() as txn:
        assert txn.get(pending_delete_key(instance_id)) is None
