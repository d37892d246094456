"""The server's repos: UUID resolution, ID allocation and persistence in the store.

Every repo is one msgpack record under a metadata key, re-written whole after each change
inside one write transaction together with the ID counters. If the transaction fails, the
repo's in-memory state is rolled back to its last saved record, so memory and store agree.
"""

from __future__ import annotations

import bisect
import itertools
import struct
import threading
from collections.abc import Callable
from typing import TypeVar

import msgpack

from dvidpy.errors import bad_request
from dvidpy.instances import Instance
from dvidpy.storage import keys
from dvidpy.storage.engine import Engine, WriteTxn
from dvidpy.storage.versioned import Ancestry
from dvidpy.timefmt import log_line
from dvidpy.versions import Node, Repo, new_uuid

T = TypeVar("T")

# Metadata key classes (DVID's numbering where it has one).
_CLASS_COUNTERS = 3
_CLASS_REPO = 4
_CLASS_FORMAT = 5
_CLASS_PENDING_DELETE = 8
_FORMAT_VERSION = 1

MUTATION_ID_START = 1_000_000_000
MUTATION_ID_STRIDE = 100


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
        self.lock = threading.RLock()
        self.repos: dict[int, Repo] = {}
        self.next_repo_id = 1
        self.next_version_id = 1
        self.next_instance_id = max(1, instance_id_start)
        self.mutation_id_start = mutation_id_start
        self._node_index: dict[str, tuple[int, int]] = {}
        self._sorted_uuids: list[str] = []
        self._ancestries: dict[int, Ancestry] = {}
        self._load()

    # -- loading and saving ----------------------------------------------------------------------

    def _load(self) -> None:
        start = keys.metadata_key(_CLASS_REPO, b"")
        stop = keys.metadata_key(_CLASS_REPO + 1, b"")
        with self.engine.reading() as txn:
            counters = txn.get(keys.metadata_key(_CLASS_COUNTERS))
            if counters is not None:
                self.next_repo_id, self.next_version_id, self.next_instance_id = struct.unpack(
                    ">III", bytes(counters)
                )
            for _, value in txn.scan(start, stop):
                repo = Repo.from_record(msgpack.unpackb(bytes(value)))
                self.repos[repo.repo_id] = repo
        for repo in self.repos.values():
            top = max(repo.nodes)
            self.next_version_id = max(self.next_version_id, top + 1)
            if repo.instances:
                top_inst = max(i.instance_id for i in repo.instances.values())
                self.next_instance_id = max(self.next_instance_id, top_inst + 1)
            self.next_repo_id = max(self.next_repo_id, repo.repo_id + 1)
        self._reindex()
        if not self.read_only and self.repos:
            with self.engine.writing() as txn:
                for repo in self.repos.values():
                    repo.mutation_id = max(repo.saved_mutation_id, self.mutation_id_start)
                    repo.saved_mutation_id = repo.mutation_id + MUTATION_ID_STRIDE
                    self._save(repo, txn)

    def _reindex(self) -> None:
        self._node_index = {
            node.uuid: (repo.repo_id, node.version_id)
            for repo in self.repos.values()
            for node in repo.nodes.values()
        }
        self._sorted_uuids = sorted(self._node_index)

    def _save(self, repo: Repo, txn: WriteTxn) -> None:
        txn.put(keys.metadata_key(_CLASS_FORMAT), struct.pack(">Q", _FORMAT_VERSION))
        txn.put(
            keys.metadata_key(_CLASS_COUNTERS),
            struct.pack(">III", self.next_repo_id, self.next_version_id, self.next_instance_id),
        )
        txn.put(
            keys.metadata_key(_CLASS_REPO, struct.pack(">I", repo.repo_id)),
            msgpack.packb(repo.to_record()),
        )

    def change(
        self,
        repo: Repo | None,
        action: Callable[[], T],
        txn: WriteTxn | None = None,
        *,
        also: Callable[[WriteTxn], None] | None = None,
    ) -> T:
        """Run ``action`` (which mutates ``repo``, or makes a new repo when ``repo`` is None) and
        persist the repo, all or nothing.

        Without ``txn`` the change is committed in its own transaction; with one (a data
        request's), it joins that transaction. The write transaction is always taken before
        :attr:`lock`, the order every writer follows. If anything fails, including the commit,
        the repo in memory goes back to its last saved record and the error propagates
        (:class:`StoreFull` included: the caller grows the store and retries from the start).
        ``also`` may add more writes to the same transaction.
        """
        own = txn is None
        writer = self.engine.begin_write() if txn is None else txn
        with self.lock:
            snapshot = repo.to_record() if repo is not None else None
            try:
                result = action()
                self._save(repo if repo is not None else result, writer)  # type: ignore[arg-type]
                if also is not None:
                    also(writer)
                if own:
                    writer.commit()
            except BaseException:
                if own:
                    writer.abort()
                self.restore(repo.repo_id if repo is not None else None, snapshot)
                raise
            self._reindex()
            return result

    def restore(self, repo_id: int | None, snapshot: dict | None) -> None:
        """Put a repo back to a saved record (or forget a repo that was never saved)."""
        with self.lock:
            if snapshot is not None and repo_id is not None:
                self.repos[repo_id] = Repo.from_record(snapshot)
            self._drop_unsaved()
            self._reindex()

    def _drop_unsaved(self) -> None:
        with self.engine.reading() as txn:
            for repo_id in list(self.repos):
                key = keys.metadata_key(_CLASS_REPO, struct.pack(">I", repo_id))
                if txn.get(key) is None:
                    del self.repos[repo_id]

    # -- lookups -------------------------------------------------------------------------------

    def repo_of(self, node: Node) -> Repo:
        return self.repos[self._node_index[node.uuid][0]]

    def node(self, uuid: str) -> tuple[Repo, Node]:
        repo_id, version = self._node_index[uuid]
        repo = self.repos[repo_id]
        return repo, repo.nodes[version]

    def uuid_exists(self, uuid: str) -> bool:
        return uuid in self._node_index

    def match_prefix(self, prefix: str) -> str:
        uuids = self._sorted_uuids
        i = bisect.bisect_left(uuids, prefix)
        matches = []
        while i < len(uuids) and uuids[i].startswith(prefix) and len(matches) < 2:
            matches.append(uuids[i])
            i += 1
        if not matches:
            raise bad_request(f"could not find UUID with partial match to {prefix}")
        if len(matches) > 1:
            raise bad_request(f"more than one UUID matches {prefix}")
        return matches[0]

    def resolve(self, spec: str) -> tuple[Repo, Node]:
        """A UUID specifier: a unique prefix, ``prefix:branch``, ``:branch`` or ``branch~N``."""
        if spec.count(":") > 1:
            raise bad_request(f'bad UUID specification "{spec}"')
        prefix, colon, branch = spec.partition(":")
        if not colon:
            return self.node(self.match_prefix(prefix))
        if prefix:
            repo, _ = self.node(self.match_prefix(prefix))
        elif len(self.repos) == 1:
            repo = next(iter(self.repos.values()))
        else:
            raise bad_request("UUID must be specified if more than one repo exists")
        return repo, repo.resolve_branch(branch)

    def ancestry(self, repo: Repo, version_id: int) -> Ancestry:
        """What a version sees; computed once, since a version's ancestors never change."""
        cached = self._ancestries.get(version_id)
        if cached is None:
            cached = Ancestry.build(version_id, lambda v: repo.nodes[v].parents)
            self._ancestries[version_id] = cached
        return cached

    def instance_by_data_uuid(self, data_uuid: str) -> tuple[Repo, Instance] | None:
        for repo in self.repos.values():
            for inst in repo.instances.values():
                if inst.data_uuid == data_uuid:
                    return repo, inst
        return None

    # -- allocation ----------------------------------------------------------------------------

    def _new_version_id(self) -> int:
        v = self.next_version_id
        self.next_version_id += 1
        return v

    def new_instance_id(self) -> int:
        with self.lock:
            i = self.next_instance_id
            self.next_instance_id += 1
            return i

    def _check_new_uuid(self, uuid: str) -> None:
        if uuid in self._node_index:
            raise bad_request("UUID already exists in datastore")

    def next_mutation_id(self, repo: Repo, txn: WriteTxn) -> int:
        """A new mutation id for ``repo``; ids are saved in strides so they survive restarts."""
        with self.lock:
            repo.mutation_id += 1
            if repo.mutation_id >= repo.saved_mutation_id:
                repo.saved_mutation_id += MUTATION_ID_STRIDE
                self._save(repo, txn)
            return repo.mutation_id

    # -- repo and DAG operations ------------------------------------------------------------------

    def new_repo(self, alias: str = "", description: str = "", passcode: str = "", root: str = "") -> Repo:
        def create() -> Repo:
            uuid = root or new_uuid()
            self._check_new_uuid(uuid)
            repo = Repo(repo_id=self.next_repo_id, root=uuid, alias=alias,
                        description=description, passcode=passcode)
            self.next_repo_id += 1
            version = self._new_version_id()
            repo.nodes[version] = Node(uuid=uuid, version_id=version)
            repo.mutation_id = self.mutation_id_start
            repo.saved_mutation_id = repo.mutation_id + MUTATION_ID_STRIDE
            self.repos[repo.repo_id] = repo
            return repo

        return self.change(None, create)

    def new_child(
        self,
        repo: Repo,
        parent: Node,
        *,
        branch: str = "",
        note: str = "",
        uuid: str = "",
        commit_note: str | None = None,
    ) -> Node:
        """A child of a locked node; with ``commit_note`` it is committed at once (a tag)."""

        def create() -> Node:
            child_branch = repo.check_new_child(parent, branch)
            child_uuid = uuid or new_uuid()
            self._check_new_uuid(child_uuid)
            child = repo.add_child([parent], child_uuid, self._new_version_id(), child_branch, note)
            if commit_note is not None:
                repo.commit(child, commit_note, [])
            return child

        return self.change(repo, create)

    def merge(self, repo: Repo, parents: list[Node], note: str) -> Node:
        def create() -> Node:
            for p in parents:
                if not p.locked:
                    raise bad_request("can't branch an unlocked node")
            return repo.add_child(parents, new_uuid(), self._new_version_id(), "", note)

        return self.change(repo, create)

    def rename_instance(self, repo: Repo, old: str, new: str) -> None:
        def rename() -> None:
            if old not in repo.instances:
                raise bad_request(f'no data instance "{old}" in repo {repo.root}')
            if new in repo.instances:
                raise bad_request(f'Data named "{new}" already exists in repo (root {repo.root})')
            instance = repo.instances.pop(old)
            instance.name = new
            repo.instances[new] = instance
            repo.log.append(log_line(f'Renamed data instance "{old}" to "{new}"'))
            repo.touch()

        self.change(repo, rename)

    def delete_instance(self, repo: Repo, name: str) -> Instance:
        """Remove an instance from its repo at once; its data is purged by :meth:`purge_deleted`."""
        found: list[Instance] = []

        def remove() -> Instance:
            if name not in repo.instances:
                raise bad_request(f'no data instance "{name}" in repo {repo.root}')
            instance = repo.instances.pop(name)
            repo.log.append(log_line(f"Delete data instance '{name}' of type '{instance.typename}'"))
            repo.touch()
            found.append(instance)
            return instance

        def mark(txn: WriteTxn) -> None:
            txn.put(_pending_key(found[0].instance_id), b"")

        return self.change(repo, remove, also=mark)

    def delete_repo(self, repo: Repo) -> None:
        """Forget a repo and mark every instance's data for purging."""
        with self.engine.writing() as txn, self.lock:
            txn.delete(keys.metadata_key(_CLASS_REPO, struct.pack(">I", repo.repo_id)))
            for inst in repo.instances.values():
                txn.put(_pending_key(inst.instance_id), b"")
        with self.lock:
            self.repos.pop(repo.repo_id, None)
            self._reindex()

    def purge_deleted(self, batch: int = 10_000, stop: Callable[[], bool] = lambda: False) -> int:
        """Physically delete the data of deleted instances, ``batch`` keys per transaction.

        Stops early (to resume at the next start) when ``stop()`` becomes true.
        """
        start, stop = keys.metadata_key(_CLASS_PENDING_DELETE), keys.metadata_key(_CLASS_PENDING_DELETE + 1)
        with self.engine.reading() as txn:
            pending = [bytes(k) for k, _ in txn.scan(start, stop, keys_only=True)]
        purged = 0
        for key in pending:
            instance_id = struct.unpack(">I", key[-4:])[0]
            lo, hi = keys.instance_range(instance_id)
            while True:
                with self.engine.writing() as txn:
                    doomed = [k for k, _ in itertools.islice(txn.scan(lo, hi, keys_only=True), batch)]
                    for k in doomed:
                        txn.delete(k)
                    if len(doomed) < batch:
                        txn.delete(key)
                purged += len(doomed)
                if len(doomed) < batch or stop():
                    break
        return purged


def _pending_key(instance_id: int) -> bytes:
    return keys.metadata_key(_CLASS_PENDING_DELETE, struct.pack(">I", instance_id))
