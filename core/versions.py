"""Repos and their version DAG: nodes, commit, branch, newversion, tag and merge.

A repo is a DAG of nodes. Each node has a 32-hex UUID and a server-wide VersionID; parents and
children are kept as VersionIDs, ``parents[0]`` first. Only a locked (committed) node can have
children, a node has at most one child per branch name, and a branch name is used by one chain
only. These classes hold the state and the rules; :mod:`dvidpy.datastore` persists them, and a
change is always made on a private copy (``Repo.from_record(repo.to_record())``).
"""

from __future__ import annotations

import re
import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dvidpy.errors import bad_request
from dvidpy.instances import Instance
from dvidpy.timefmt import log_line, now, rfc3339_nano

HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
MASTER = "master"


def new_uuid() -> str:
    return uuidlib.uuid4().hex


@dataclass
class Node:
    uuid: str
    version_id: int
    branch: str = ""
    note: str = ""
    log: list[str] = field(default_factory=list)
    locked: bool = False
    parents: list[int] = field(default_factory=list)
    children: list[int] = field(default_factory=list)
    created: datetime = field(default_factory=now)
    updated: datetime = field(default_factory=now)

    def to_json(self) -> dict[str, Any]:
        return {
            "Branch": self.branch,
            "Note": self.note,
            "Log": list(self.log),
            "UUID": self.uuid,
            "VersionID": self.version_id,
            "Locked": self.locked,
            "Parents": list(self.parents),
            "Children": list(self.children),
            "Created": rfc3339_nano(self.created),
            "Updated": rfc3339_nano(self.updated),
        }

    def to_record(self) -> dict[str, Any]:
        rec = self.__dict__.copy()
        rec["created"] = self.created.isoformat()
        rec["updated"] = self.updated.isoformat()
        return rec

    @classmethod
    def from_record(cls, rec: Mapping[str, Any]) -> Node:
        values = dict(rec)
        values["created"] = datetime.fromisoformat(values["created"])
        values["updated"] = datetime.fromisoformat(values["updated"])
        return cls(**values)


@dataclass
class Repo:
    repo_id: int
    root: str
    alias: str = ""
    description: str = ""
    passcode: str = ""
    log: list[str] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    nodes: dict[int, Node] = field(default_factory=dict)
    instances: dict[str, Instance] = field(default_factory=dict)
    created: datetime = field(default_factory=now)
    updated: datetime = field(default_factory=now)

    # -- lookups -----------------------------------------------------------------------------

    @property
    def root_node(self) -> Node:
        return self.node_by_uuid(self.root)

    def node_by_uuid(self, uuid: str) -> Node:
        for node in self.nodes.values():
            if node.uuid == uuid:
                return node
        raise KeyError(uuid)

    def touch(self) -> None:
        self.updated = now()

    def leaf(self, branch: str) -> Node | None:
        """The open end of a branch (``master`` or ``""`` is the default branch)."""
        name = "" if branch == MASTER else branch
        start = next((n for n in self.nodes.values() if n.branch == name), None)
        if start is None:
            return None
        return self._walk_down(start)

    def _walk_down(self, node: Node) -> Node:
        """Follow a branch to its open end. A node has one child per branch, except when a merge
        added a second one (merging a node that had a child on its branch already): then the
        branch keeps the leaf it had, through its own child, as DVID does."""
        while True:
            same = [self.nodes[c] for c in node.children if self.nodes[c].branch == node.branch]
            if not same:
                return node
            node = min(same, key=lambda n: (len(n.parents) > 1, n.version_id))

    def branch_versions(self, branch: str) -> list[str]:
        """UUIDs from the leaf of ``branch`` back to the root (DVID's branch ancestry list).

        At a merge node the other parents are listed too and the walk goes on through the last.
        """
        leaf = self.leaf(branch)
        if leaf is None:
            return []
        out, node = [], leaf
        while True:
            out.append(node.uuid)
            if not node.parents:
                return out
            for p in node.parents[:-1]:
                out.append(self.nodes[p].uuid)
            node = self.nodes[node.parents[-1]]

    def resolve_branch(self, spec: str) -> Node:
        """A ``name`` or ``name~N`` branch spec inside this repo."""
        name, tilde, steps = spec.partition("~")
        if not tilde:
            leaf = self.leaf(name)
            if leaf is None:
                raise bad_request(f'branch "{name}" not found in repo "{self.root}"')
            return leaf
        try:
            n = int(steps)
        except ValueError:
            raise bad_request(f'can\'t parse parent "{steps}" in branch "{name}"')
        chain = self.branch_versions(name)
        if not chain:
            raise bad_request(f'branch "{name}" not found in repo "{self.root}"')
        if not 0 <= n < len(chain):
            raise bad_request(f'parent {n} is out of range for branch "{name}"')
        return self.node_by_uuid(chain[n])

    # -- changes -----------------------------------------------------------------------------

    def commit(self, node: Node, note: str, log: list[str]) -> None:
        if node.locked:
            raise bad_request(f"node {node.uuid} already committed")
        node.locked = True
        if note:
            node.note = note
        node.log.extend(log_line(m) for m in log)
        node.updated = now()
        self.touch()

    def check_new_child(self, parent: Node, branch: str) -> str:
        """Validate a new child of ``parent`` on ``branch``; returns the child's branch."""
        if not parent.locked:
            raise bad_request("can't branch an unlocked node")
        if branch in ("", parent.branch):
            if any(self.nodes[c].branch == parent.branch for c in parent.children):
                raise bad_request("branch already exists with given name")
            return parent.branch
        if any(n.branch == branch for n in self.nodes.values()):
            raise bad_request("branch already exists with given name")
        return branch

    def add_child(self, parents: list[Node], uuid: str, version_id: int, branch: str, note: str) -> Node:
        child = Node(uuid=uuid, version_id=version_id, branch=branch, note=note,
                     parents=[p.version_id for p in parents])
        self.nodes[version_id] = child
        for p in parents:
            p.children.append(version_id)
            p.updated = child.created
        self.touch()
        return child

    # -- JSON and records ----------------------------------------------------------------------

    def dag_json(self) -> dict[str, Any]:
        return {"Root": self.root, "Nodes": {n.uuid: n.to_json() for n in self.nodes.values()}}

    def to_record(self) -> dict[str, Any]:
        return {
            "repo_id": self.repo_id,
            "root": self.root,
            "alias": self.alias,
            "description": self.description,
            "passcode": self.passcode,
            "log": list(self.log),
            "properties": self.properties,
            "nodes": [n.to_record() for n in self.nodes.values()],
            "instances": [i.to_record() for i in self.instances.values()],
            "created": self.created.isoformat(),
            "updated": self.updated.isoformat(),
        }

    @classmethod
    def from_record(cls, rec: Mapping[str, Any]) -> Repo:
        nodes = [Node.from_record(n) for n in rec["nodes"]]
        instances = [Instance.from_record(i) for i in rec["instances"]]
        return cls(
            repo_id=rec["repo_id"],
            root=rec["root"],
            alias=rec["alias"],
            description=rec["description"],
            passcode=rec["passcode"],
            log=list(rec["log"]),
            properties=dict(rec["properties"]),
            nodes={n.version_id: n for n in nodes},
            instances={i.name: i for i in instances},
            created=datetime.fromisoformat(rec["created"]),
            updated=datetime.fromisoformat(rec["updated"]),
        )
