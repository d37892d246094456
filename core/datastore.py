"""The server's repos, kept in the store and read through a cached :class:`~dvidpy.catalog.Catalog`.

The store is the truth. Every repo is one msgpack record under a metadata key; a metadata change
is a read-modify-write inside one write transaction: it reads the catalog *in that transaction*,
edits private copies of the repos it touches (an :class:`Edit`), writes them back with the ID
counters and a new metadata generation, and only after the commit becomes this process's cached
catalog. A refused change raises, the transaction is dropped, and neither memory nor the store
has changed. Other processes (worker processes, other servers) see the new generation on their
next read and reload.

LMDB serializes write transactions, so two changes from anywhere never interleave, and a data
request that re-checks its node and instance inside its own write transaction sees every change
committed before it. A store that runs write transactions at once (PostgreSQL, shared by many
servers) gets the same guarantees from the write exclusions each transaction takes first
(:mod:`dvidpy.exclusions`).
"""

from __future__ import annotations

import itertools
import struct
import threading
from collections.abc import Callable
from typing import TypeVar

import msgpack

from dvidpy.catalog import (
    CLASS_PENDING_DELETE,
    COUNTERS_KEY,
    FORMAT_KEY,
    GENERATION_KEY,
    SETTINGS_KEY,
    Catalog,
    generation_of,
    mutation_id_key,
    pack_u64,
    pending_delete_key,
    read_u64,
    repo_key,
)
from dvidpy import exclusions
from dvidpy.errors import bad_request
from dvidpy.storage import keys
from dvidpy.storage.engine import Engine, ReadTxn, WriteTxn
from dvidpy.storage.session import Session
from dvidpy.storage.versioned import Ancestry
from dvidpy.versions import Node, Repo, new_uuid

T = TypeVar("T")

MUTATION_ID_START = 1_000_000_000
_FORMAT_VERSION = 2
_COUNTERS = struct.Struct(">III")


class Edit:
    """One metadata change in progress: private copies of the repos it touches, in one write
    transaction. Nothing it does is visible to anyone until the transaction commits."""

    def __init__(self, datastore: Datastore, catalog: Catalog, txn: WriteTxn) -> None:
        self.datastore = datastore
        self.catalog = catalog
        self.txn = txn
        self._copies: dict[int, Repo] = {}
        self._dropped: set[int] = set()
        self._counters: list[int] | None = None
        self.settings = dict(catalog.settings)

    # -- repos and nodes, as private copies -----------------------------------------------------------

    def repo(self, repo_id: int) -> Repo:
        copy = self._copies.get(repo_id)
        if copy is None:
            if repo_id in self._dropped or repo_id not in self.catalog.repos:
                raise bad_request(f"repo {repo_id} no longer exists")
            copy = Repo.from_record(self.catalog.repos[repo_id].to_record())
            self._copies[repo_id] = copy
        return copy

    def resolve(self, spec: str) -> tuple[Repo, Node]:
        """A UUID specifier resolved in this transaction, as a private copy."""
        repo, node = self.catalog.resolve(spec)
        copy = self.repo(repo.repo_id)
        return copy, copy.nodes[node.version_id]

    def node(self, uuid: str) -> tuple[Repo, Node]:
        """An exact UUID, as a private copy; a 400 if it is gone."""
        try:
            repo, node = self.catalog.node(uuid)
        except KeyError:
            raise bad_request(f"could not find UUID with partial match to {uuid}") from None
        copy = self.repo(repo.repo_id)
        return copy, copy.nodes[node.version_id]

    def add_repo(self, repo: Repo) -> None:
        self._copies[repo.repo_id] = repo

    def drop_repo(self, repo_id: int) -> None:
        self._copies.pop(repo_id, None)
        self._dropped.add(repo_id)
        self.txn.delete(repo_key(repo_id))

    def uuid_taken(self, uuid: str) -> bool:
        if self.catalog.uuid_exists(uuid):
            return True
        return any(n.uuid == uuid for r in self._copies.values() for n in r.nodes.values())

    # -- counters kept in the store --------------------------------------------------------------------

    def _counter(self, index: int) -> int:
        if self._counters is None:
            raw = self.txn.get(COUNTERS_KEY)
            stored = list(_COUNTERS.unpack(bytes(raw))) if raw is not None else [1, 1, 1]
            stored[2] = max(stored[2], self.datastore.instance_id_start)
            self._counters = stored
        value = self._counters[index]
        self._counters[index] += 1
        return value

    def new_repo_id(self) -> int:
        return self._counter(0)

    def new_version_id(self) -> int:
        return self._counter(1)

    def new_instance_id(self) -> int:
        return self._counter(2)

    def mark_for_purge(self, instance_id: int) -> None:
        self.txn.put(pending_delete_key(instance_id), b"")

    # -- writing it all back --------------------------------------------------------------------------

    def flush(self) -> Catalog:
        """Write the changed repos, the counters and a new generation; returns the catalog as
        it will be once the transaction commits."""
        txn = self.txn
        txn.put(FORMAT_KEY, struct.pack(">Q", _FORMAT_VERSION))
        if self._counters is not None:
            txn.put(COUNTERS_KEY, _COUNTERS.pack(*self._counters))
        for repo in self._copies.values():
            txn.put(repo_key(repo.repo_id), msgpack.packb(repo.to_record()))
        if self.settings != self.catalog.settings:
            txn.put(SETTINGS_KEY, msgpack.packb(self.settings))
        generation = self.catalog.generation + 1
        txn.put(GENERATION_KEY, pack_u64(generation))
        return self.catalog.with_repos(generation, self._copies.values(), self._dropped, self.settings)


class Datastore:
    def __init__(
        self,
        engine: Engine,
        *,
        instance_id_start: int = 1,
        mutation_id_start: int = MUTATION_ID_START,
        read_only: bool = False,
    ) -> None:
        self.engine = engine
        self.read_only = read_only
        self.instance_id_start = max(1, instance_id_start)
        self.mutation_id_start = mutation_id_start
        self._lock = threading.Lock()
        self._ancestries: dict[int, Ancestry] = {}
        with engine.reading() as txn:
            self._catalog = Catalog.load(txn)

    # -- reading -------------------------------------------------------------------------------------

    def catalog(self, txn: ReadTxn | None = None) -> Catalog:
        """The catalog as the store holds it now (or as ``txn`` sees it).

        One key read tells whether the cached catalog is current; a newer generation (another
        process's change) is loaded and cached, an older one (a snapshot that began before a
        change) is loaded for that caller only.
        """
        if txn is None:
            with self.engine.reading() as fresh:
                return self.catalog(fresh)
        cached = self._catalog
        generation = generation_of(txn)
        if generation == cached.generation:
            return cached
        loaded = Catalog.load(txn)
        if loaded.generation > cached.generation:
            with self._lock:
                if loaded.generation > self._catalog.generation:
                    self._catalog = loaded
        return loaded

    def cached(self) -> Catalog:
        """The catalog this process last saw (no store read): for what may be a moment stale."""
        return self._catalog

    def resolve(self, spec: str) -> tuple[Repo, Node]:
        return self.catalog().resolve(spec)

    def ancestry(self, repo: Repo, version_id: int) -> Ancestry:
        """What a version sees; computed once, since a version's ancestors never change."""
        cached = self._ancestries.get(version_id)
        if cached is None:
            cached = Ancestry.build(version_id, lambda v: repo.nodes[v].parents)
            self._ancestries[version_id] = cached
        return cached

    def mutation_id(self, repo_id: int, txn: ReadTxn | None = None) -> int:
        """The last mutation id handed out in a repo (its start value if none yet)."""
        if txn is None:
            with self.engine.reading() as fresh:
                return self.mutation_id(repo_id, fresh)
        return read_u64(txn, mutation_id_key(repo_id), self.mutation_id_start)

    # -- changing --------------------------------------------------------------------------------------

    def change(self, action: Callable[[Edit], T], session: Session | None = None) -> T:
        """Run ``action`` on an :class:`Edit` in one write transaction and persist what it changed.

        Without ``session`` the change commits in its own transaction; with one (a data request's)
        it joins that request's transaction and takes effect when the request commits. If
        ``action`` raises, nothing is written and nothing in memory changes.
        """
        if session is not None:
            txn = session.writer()
            exclusions.for_catalog_write(txn)
            result, new = self._run(action, txn)
            session.on_commit.append(lambda: self._publish(new))
            return result
        with self.engine.writing() as txn:
            exclusions.for_metadata_change(txn)
            result, new = self._run(action, txn)
        self._publish(new)
        return result

    def _run(self, action: Callable[[Edit], T], txn: WriteTxn) -> tuple[T, Catalog]:
        edit = Edit(self, self.catalog(txn), txn)
        result = action(edit)
        return result, edit.flush()

    def _publish(self, catalog: Catalog) -> None:
        with self._lock:
            if catalog.generation > self._catalog.generation:
                self._catalog = catalog

    def next_mutation_id(self, repo_id: int, txn: WriteTxn) -> int:
        """A new mutation id for ``repo_id``, counted in the store inside ``txn``."""
        value = max(read_u64(txn, mutation_id_key(repo_id), self.mutation_id_start), self.mutation_id_start) + 1
        txn.put(mutation_id_key(repo_id), pack_u64(value))
        return value

    # -- repo and DAG operations ------------------------------------------------------------------------

    def new_repo(self, alias: str = "", description: str = "", passcode: str = "", root: str = "") -> Repo:
        def create(edit: Edit) -> Repo:
            uuid = root or new_uuid()
            if edit.uuid_taken(uuid):
                raise bad_request("UUID already exists in datastore")
            repo = Repo(repo_id=edit.new_repo_id(), root=uuid, alias=alias, description=description,
                        passcode=passcode)
            version = edit.new_version_id()
            repo.nodes[version] = Node(uuid=uuid, version_id=version)
            edit.add_repo(repo)
            return repo

        return self.change(create)

    def new_child(self, spec: str, *, branch: str = "", note: str = "", uuid: str = "",
                  tag: str = "") -> Node:
        """A child of a locked node; a tag's child is named by the tag and committed at once."""

        def create(edit: Edit) -> Node:
            repo, parent = edit.resolve(spec)
            child_branch = repo.check_new_child(parent, f"tag-{tag}" if tag else branch)
            child_uuid = tag or uuid or new_uuid()
            if edit.uuid_taken(child_uuid):
                raise bad_request("UUID already exists in datastore")
            child = repo.add_child([parent], child_uuid, edit.new_version_id(), child_branch, note)
            if tag:
                repo.commit(child, f'Tag of version {parent.uuid} with "{tag}"', [])
            return child

        return self.change(create)

    def merge(self, specs: list[str], note: str) -> Node:
        def create(edit: Edit) -> Node:
            repo, parents = parent_nodes(edit, specs)
            for p in parents:
                if not p.locked:
                    raise bad_request("can't branch an unlocked node")
            return repo.add_child(parents, new_uuid(), edit.new_version_id(), "", note)

        return self.change(create)

    def delete_repo(self, spec: str, check: Callable[[Repo], None] = lambda repo: None) -> Repo:
        """Forget a repo and mark every instance's data for purging."""

        def remove(edit: Edit) -> Repo:
            repo, _ = edit.resolve(spec)
            check(repo)
            for inst in repo.instances.values():
                edit.mark_for_purge(inst.instance_id)
            edit.drop_repo(repo.repo_id)
            return repo

        return self.change(remove)

    def purge_deleted(self, batch: int = 10_000, stop: Callable[[], bool] = lambda: False) -> int:
        """Physically delete the data of deleted instances, ``batch`` keys per transaction.

        Stops early (to resume at the next start) when ``stop()`` becomes true.
        """
        start, end = keys.metadata_key(CLASS_PENDING_DELETE), keys.metadata_key(CLASS_PENDING_DELETE + 1)
        with self.engine.reading() as txn:
            pending = [bytes(k) for k, _ in txn.scan(start, end, keys_only=True)]
        purged = 0
        for marker in pending:
            instance_id = struct.unpack(">I", marker[-4:])[0]
            lo, hi = keys.instance_range(instance_id)
            while True:
                with self.engine.writing() as txn:
                    doomed = [k for k, _ in itertools.islice(txn.scan(lo, hi, keys_only=True), batch)]
                    for k in doomed:
                        txn.discard(k)
                    if len(doomed) < batch:
                        txn.discard(marker)
                purged += len(doomed)
                if len(doomed) < batch or stop():
                    break
            if stop():
                break
        return purged


def parent_nodes(edit: Edit, specs: list[str]) -> tuple[Repo, list[Node]]:
    """The parents of a merge, resolved in the edit's transaction: one repo, no repeats."""
    if not isinstance(specs, list) or len(specs) < 2 or not all(isinstance(p, str) for p in specs):
        raise bad_request("Must specify at least two parent UUIDs using 'parents' field")
    nodes: list[Node] = []
    repo: Repo | None = None
    for spec in specs:
        try:
            parent_repo, node = edit.resolve(spec)
        except Exception as exc:
            message = getattr(exc, "message", str(exc))
            raise bad_request(f'can\'t match parent "{spec}": {message}') from None
        if repo is None:
            repo = parent_repo
        elif parent_repo is not repo:
            raise bad_request(f'parent "{spec}" is not in the same repo as the first parent')
        if any(n is node for n in nodes):
            raise bad_request(f'parent "{spec}" is given twice')
        nodes.append(node)
    assert repo is not None
    return repo, nodes
