"""DVID's ``resolve``: merge parents after deleting, by priority, the values that would conflict.

For every key of the named instances, the first parent (in the given order) that sees a value
wins. Every later parent that sees a value written at a *different* version gets a tombstone
for that key, written in a new child of that parent (branch ``conflict-<parent uuid>``), which
is then committed. Finally the (possibly replaced) parents are merged conflict-free. All of it
is one write transaction: a refused resolve leaves nothing behind.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from dvidpy.datastore import Datastore, Edit, parent_nodes
from dvidpy.errors import bad_request
from dvidpy.storage import keys
from dvidpy.storage.engine import ReadTxn
from dvidpy.storage.versioned import VersionConflict
from dvidpy.versions import new_uuid

if TYPE_CHECKING:
    from dvidpy.versions import Node, Repo

CONFLICT_NOTE = "Version for deleting conflicts before merge"


def find_conflicts(datastore: Datastore, txn: ReadTxn, repo: Repo, parents: list[Node],
                   names: list[str]) -> dict[int, list[bytes]]:
    """For each parent index, the keys (instance + TKey, no version) it must delete."""
    ancestries = [datastore.ancestry(repo, p.version_id) for p in parents]
    doomed: dict[int, list[bytes]] = defaultdict(list)

    def settle(name: str, prefix: bytes, entries: dict[int, bool]) -> None:
        visible = []
        for parent, ancestry in zip(parents, ancestries):
            try:
                visible.append(ancestry.visible(entries))
            except VersionConflict as exc:
                raise bad_request(
                    f'cannot resolve data "{name}": parent {parent.uuid} itself sees conflicting values ({exc}); '
                    "resolve that parent first"
                ) from None
        first = next((i for i, v in enumerate(visible) if v is not None), None)
        if first is None:
            return
        for i in range(first + 1, len(parents)):
            if visible[i] is not None and visible[i] != visible[first]:
                doomed[i].append(prefix)

    for name in names:
        lo, hi = keys.instance_range(repo.instances[name].instance_id)
        current, entries = None, {}
        for key, _ in txn.scan(lo, hi, keys_only=True):
            prefix = keys.without_version(key)
            if prefix != current:
                if entries:
                    settle(name, current, entries)
                current, entries = prefix, {}
            entries[keys.version_of(key)] = keys.is_tombstone(key)
        if entries:
            settle(name, current, entries)
    return doomed


def resolve_conflicts(datastore: Datastore, specs: list[str], names: list[str], note: str) -> Node:
    def resolve(edit: Edit) -> Node:
        repo, parents = parent_nodes(edit, specs)
        for name in names:
            if name not in repo.instances:
                raise bad_request(f'no data instance "{name}" in repo {repo.root}')
        for p in parents:
            if not p.locked:
                raise bad_request("can't branch an unlocked node")
        merged = list(parents)
        for i, prefixes in sorted(find_conflicts(datastore, edit.txn, repo, parents, names).items()):
            parent = parents[i]
            branch = repo.check_new_child(parent, f"conflict-{parent.uuid}")
            child = repo.add_child([parent], new_uuid(), edit.new_version_id(), branch, CONFLICT_NOTE)
            for prefix in prefixes:
                edit.txn.discard(keys.versioned_key(prefix, child.version_id))
                edit.txn.put(keys.versioned_key(prefix, child.version_id, tombstone=True), b"")
            repo.commit(child, "", [])
            merged[i] = child
        return repo.add_child(merged, new_uuid(), edit.new_version_id(), "", note)

    return datastore.change(resolve)
