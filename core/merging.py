"""DVID's ``resolve``: merge parents after deleting, by priority, the values that would conflict.

For every key of the named instances, the first parent (in the given order) that sees a value
wins. Every later parent that sees a value written at a *different* version gets a tombstone
for that key, written in a new child of that parent (branch ``conflict-<parent uuid>``), which
is then committed. Finally the (possibly replaced) parents are merged conflict-free.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from dvidpy.storage import keys

if TYPE_CHECKING:
    from dvidpy.server import Server
    from dvidpy.versions import Node, Repo

CONFLICT_NOTE = "Version for deleting conflicts before merge"
BATCH = 10_000


def find_conflicts(server: Server, repo: Repo, parents: list[Node], names: list[str]) -> dict[int, list[bytes]]:
    """For each parent index, the full keys (instance + TKey, no version) it must delete."""
    ancestries = [server.datastore.ancestry(repo, p.version_id) for p in parents]
    doomed: dict[int, list[bytes]] = defaultdict(list)

    def settle(prefix: bytes, entries: dict[int, bool]) -> None:
        visible = [a.visible(entries) for a in ancestries]
        first = next((i for i, v in enumerate(visible) if v is not None), None)
        if first is None:
            return
        for i in range(first + 1, len(parents)):
            if visible[i] is not None and visible[i] != visible[first]:
                doomed[i].append(prefix)

    with server.engine.reading() as txn:
        for name in names:
            lo, hi = keys.instance_range(repo.instances[name].instance_id)
            current, entries = None, {}
            for key, _ in txn.scan(lo, hi, keys_only=True):
                prefix = keys.without_version(key)
                if prefix != current:
                    if entries:
                        settle(current, entries)
                    current, entries = prefix, {}
                entries[keys.version_of(key)] = keys.is_tombstone(key)
            if entries:
                settle(current, entries)
    return doomed


def resolve_conflicts(server: Server, repo: Repo, parents: list[Node], names: list[str], note: str) -> Node:
    datastore = server.datastore
    doomed = find_conflicts(server, repo, parents, names)
    merged = list(parents)
    for i, prefixes in sorted(doomed.items()):
        parent = parents[i]
        child = datastore.new_child(repo, parent, branch=f"conflict-{parent.uuid}", note=CONFLICT_NOTE)
        version = child.version_id
        for start in range(0, len(prefixes), BATCH):
            with server.engine.writing() as txn:
                for prefix in prefixes[start : start + BATCH]:
                    txn.delete(keys.versioned_key(prefix, version))
                    txn.put(keys.versioned_key(prefix, version, tombstone=True), b"")
        datastore.change(repo, lambda child=child: repo.commit(child, "", []))
        merged[i] = child
    return datastore.merge(repo, merged, note)
