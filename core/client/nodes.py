"""Versions (DVID's nodes): commit, newversion, branch, tag, merge, note and log, and the data
instances seen from a version.

A :class:`Node` holds a full UUID. A prefix or ``uuid:branch`` is resolved once, when the node
is made, the way DVID resolves it (exact UUID or tag first, then a unique prefix; a branch spec
names its leaf, ``~N`` steps back along the branch), so a node keeps meaning the same version
after the branch moves on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dvidpy.client.errors import DVIDClientError
from dvidpy.client.instances import Instance, open_instance, settings_body
from dvidpy.client.paths import quoted
from dvidpy.client.transport import Transport

if TYPE_CHECKING:
    from dvidpy.client.client import Repo


def resolve_uuid(transport: Transport, spec: str, repo_info: dict[str, Any]) -> str:
    """The full UUID ``spec`` names in the repo ``repo_info`` describes (the server has already
    accepted ``spec`` when it answered for that repo)."""
    prefix, colon, branch = spec.partition(":")
    if colon:
        name, tilde, steps = branch.partition("~")
        chain = transport.get_json(f"api/repo/{quoted(spec)}/branch-versions/{quoted(name or 'master')}")
        step = int(steps) if tilde else 0
        if not 0 <= step < len(chain):
            raise DVIDClientError(None, f'"{spec}" names no version: branch "{name}" has {len(chain)}')
        return chain[step]
    nodes = repo_info["DAG"]["Nodes"]
    if prefix in nodes:
        return prefix
    matches = [uuid for uuid in nodes if uuid.startswith(prefix)]
    if len(matches) != 1:
        raise DVIDClientError(None, f'"{spec}" matches {len(matches)} versions of repo {repo_info["Root"]}')
    return matches[0]


class Node:
    """One version of a repo, by its full UUID."""

    def __init__(self, repo: Repo, uuid: str) -> None:
        self.repo = repo
        self.uuid = uuid

    def __repr__(self) -> str:
        return f"Node({self.uuid!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and other.repo == self.repo and other.uuid == self.uuid

    def __hash__(self) -> int:
        return hash((self.repo, self.uuid))

    @property
    def transport(self) -> Transport:
        return self.repo.client.transport

    @property
    def path(self) -> str:
        """``api/node/<uuid>``: where this version's node and instance endpoints are."""
        return f"api/node/{quoted(self.uuid)}"

    # -- the version itself ----------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """This version as the repo's DAG describes it (Branch, Note, Log, Locked, Parents, ...)."""
        return self.repo.versions()[self.uuid]

    @property
    def locked(self) -> bool:
        """Committed versions are locked: they refuse changes to versioned data."""
        return self.transport.get_json(f"{self.path}/commit")["Locked"]

    def note(self) -> str:
        return self.transport.get_json(f"{self.path}/note")["note"]

    def set_note(self, note: str) -> None:
        self.transport.post_json(f"{self.path}/note", {"note": note})

    def log(self) -> list[str]:
        """The version's log lines, each ``<timestamp>  <text>``."""
        return self.transport.get_json(f"{self.path}/log")["log"]

    def add_log(self, *lines: str) -> None:
        self.transport.post_json(f"{self.path}/log", {"log": list(lines)})

    def commit(self, note: str = "", log: list[str] | None = None) -> None:
        """Lock this version; only locked versions can have children."""
        self.transport.post_json(f"{self.path}/commit", {"note": note, "log": list(log or [])})

    def newversion(self, note: str = "", *, uuid: str = "") -> Node:
        """An open child on this version's branch."""
        return self._child("newversion", {"note": note, **({"uuid": uuid} if uuid else {})})

    def branch(self, name: str, note: str = "", *, uuid: str = "") -> Node:
        """An open child on a new branch ``name``."""
        return self._child("branch", {"branch": name, "note": note, **({"uuid": uuid} if uuid else {})})

    def tag(self, tag: str, note: str = "") -> Node:
        """A committed child whose UUID is ``tag``."""
        return self._child("tag", {"tag": tag, "note": note})

    def merge(self, *others: Node | str, note: str = "") -> Node:
        """A conflict-free merge of this version with ``others`` (all committed)."""
        return self.repo.merge([self, *others], note)

    def _child(self, action: str, body: dict[str, str]) -> Node:
        return Node(self.repo, self.transport.post_json(f"{self.path}/{action}", body)["child"])

    # -- data instances --------------------------------------------------------------------------

    def instances(self) -> dict[str, str]:
        """Data instance names and their typenames (one name space for the whole repo)."""
        return self.repo.instances()

    def new_instance(self, typename: str, name: str, **settings: str | int | float | bool) -> Instance:
        """Create a data instance here and return it; ``settings`` are DVID's creation settings
        (``BlockSize="64,64,64"``, ``VoxelSize="8,8,40"``, ``Compression="jpeg"``, ...)."""
        body = {"typename": typename, "dataname": name, **settings_body(settings)}
        self.transport.post_json(f"api/repo/{quoted(self.uuid)}/instance", body)
        return self.instance(name)

    def instance(self, name: str) -> Instance:
        """An existing data instance, as the handle its type calls for (a volume, labels, an ROI)."""
        info = self.transport.get_json(f"{self.path}/{quoted(name)}/info")
        return open_instance(self, name, info)

    __getitem__ = instance
