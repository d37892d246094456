"""The server's metadata at one moment: every repo with its version DAG and data instances.

A :class:`Catalog` is read from the store and never changed afterwards; requests may share one.
It carries the store's metadata *generation*, a counter that every metadata change increments
in the same transaction, so a process can tell with one key read whether its cached catalog is
still the store's. Changes are made on private copies through an :class:`Edit` (see
:mod:`dvidpy.datastore`), never on a catalog.
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Iterable, Mapping
from typing import Any

import msgpack

from dvidpy.errors import bad_request
from dvidpy.instances import Instance
from dvidpy.storage import keys
from dvidpy.storage.engine import ReadTxn
from dvidpy.versions import Node, Repo

# Metadata key classes (DVID's numbering where it has one).
CLASS_COUNTERS = 3
CLASS_REPO = 4
CLASS_FORMAT = 5
CLASS_GENERATION = 6
CLASS_SETTINGS = 7
CLASS_PENDING_DELETE = 8
CLASS_MUTATION_ID = 9

GENERATION_KEY = keys.metadata_key(CLASS_GENERATION)
COUNTERS_KEY = keys.metadata_key(CLASS_COUNTERS)
SETTINGS_KEY = keys.metadata_key(CLASS_SETTINGS)
FORMAT_KEY = keys.metadata_key(CLASS_FORMAT)
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")


def repo_key(repo_id: int) -> bytes:
    return keys.metadata_key(CLASS_REPO, _U32.pack(repo_id))


def pending_delete_key(instance_id: int) -> bytes:
    return keys.metadata_key(CLASS_PENDING_DELETE, _U32.pack(instance_id))


def mutation_id_key(repo_id: int) -> bytes:
    return keys.metadata_key(CLASS_MUTATION_ID, _U32.pack(repo_id))


def read_u64(txn: ReadTxn, key: bytes, default: int = 0) -> int:
    value = txn.get(key)
    return default if value is None else _U64.unpack(bytes(value))[0]


def pack_u64(value: int) -> bytes:
    return _U64.pack(value)


def generation_of(txn: ReadTxn) -> int:
    return read_u64(txn, GENERATION_KEY)


class Catalog:
    """Every repo at one metadata generation, indexed for UUID resolution."""

    def __init__(self, generation: int, repos: Mapping[int, Repo], settings: Mapping[str, Any]) -> None:
        self.generation = generation
        self.repos = dict(repos)
        self.settings = dict(settings)
        self._node_index = {
            node.uuid: (repo.repo_id, node.version_id) for repo in self.repos.values() for node in repo.nodes.values()
        }
        self._sorted_uuids = sorted(self._node_index)

    @classmethod
    def load(cls, txn: ReadTxn) -> Catalog:
        """The catalog as ``txn`` sees it, all of one generation.

        In a snapshot one pass is enough. A write transaction of a store whose statements each
        see the latest commits (PostgreSQL's READ COMMITTED) might read repos of two
        generations; every change raises the generation in its own commit, so when the
        generation read before and after the records agree, the records are of that one.
        """
        generation = generation_of(txn)
        while True:
            repos, settings = cls._records(txn)
            after = generation_of(txn)
            if after == generation:
                return cls(generation, repos, settings)
            generation = after

    @staticmethod
    def _records(txn: ReadTxn) -> tuple[dict[int, Repo], dict[str, Any]]:
        start, stop = repo_key(0), keys.metadata_key(CLASS_REPO + 1)
        repos = {}
        for _, value in txn.scan(start, stop):
            repo = Repo.from_record(msgpack.unpackb(bytes(value)))
            repos[repo.repo_id] = repo
        raw = txn.get(SETTINGS_KEY)
        settings = msgpack.unpackb(bytes(raw)) if raw is not None else {}
        return repos, settings

    def sorted_repos(self) -> list[Repo]:
        return sorted(self.repos.values(), key=lambda r: r.root)

    # -- UUIDs --------------------------------------------------------------------------------------

    def uuid_exists(self, uuid: str) -> bool:
        return uuid in self._node_index

    def node(self, uuid: str) -> tuple[Repo, Node]:
        """The repo and node of an exact UUID (KeyError if there is none)."""
        repo_id, version = self._node_index[uuid]
        repo = self.repos[repo_id]
        return repo, repo.nodes[version]

    def match_prefix(self, prefix: str) -> str:
        """The one UUID equal to ``prefix`` or starting with it; an exact match (a tag, say)
        wins over longer UUIDs that start with it."""
        if prefix in self._node_index:
            return prefix
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

    def instance_by_data_uuid(self, data_uuid: str) -> tuple[Repo, Instance] | None:
        for repo in self.repos.values():
            for inst in repo.instances.values():
                if inst.data_uuid == data_uuid:
                    return repo, inst
        return None

    def typenames(self) -> set[str]:
        return {inst.typename for repo in self.repos.values() for inst in repo.instances.values()}

    def with_repos(self, generation: int, changed: Iterable[Repo], dropped: Iterable[int],
                   settings: Mapping[str, Any]) -> Catalog:
        """The catalog after an edit: ``changed`` repos replace (or join) these, ``dropped`` go."""
        repos = dict(self.repos)
        for repo_id in dropped:
            repos.pop(repo_id, None)
        for repo in changed:
            repos[repo.repo_id] = repo
        return Catalog(generation, repos, settings)
