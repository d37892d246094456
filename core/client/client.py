"""The entry point, :class:`Client` (one server), and :class:`Repo` (one version DAG on it)."""

from __future__ import annotations

import json
from typing import Any

from dvidpy.client.errors import DVIDClientError
from dvidpy.client.nodes import Node, resolve_uuid
from dvidpy.client.paths import quoted
from dvidpy.client.transport import RetryPolicy, Transport
from dvidpy.client.volumes import DEFAULT_PIECE_BYTES, VolumeOptions


class Client:
    """A DVID (or dvidpy) server at ``url``, spoken to only through DVID's HTTP API.

    ``admintoken`` is sent with every request (DVID's ``?admintoken=``). ``concurrency`` and
    ``piece_bytes`` shape big array transfers; ``progress=True`` shows a bar on each one that is
    split into pieces; ``retries`` is how many times a 503 (a busy, throttled server) is retried
    with exponential backoff before :class:`DVIDClientError` is raised.
    """

    def __init__(self, url: str, *, admintoken: str = "", concurrency: int = 4,
                 piece_bytes: int = DEFAULT_PIECE_BYTES, progress: bool = False, retries: int = 10,
                 timeout: float = 600.0) -> None:
        if concurrency < 1 or piece_bytes < 1:
            raise ValueError("concurrency and piece_bytes must be at least 1")
        self.transport = Transport(url, admintoken=admintoken, timeout=timeout, connections=max(concurrency, 2),
                                   retry=RetryPolicy(attempts=retries))
        self.volume_options = VolumeOptions(progress=progress, concurrency=concurrency, piece_bytes=piece_bytes)

    @property
    def url(self) -> str:
        return self.transport.url

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.url!r})"

    # -- the server ------------------------------------------------------------------------------

    def info(self) -> dict[str, str]:
        """``GET /api/server/info``: every value a string, as DVID sends them."""
        return self.transport.get_json("api/server/info")

    def types(self) -> dict[str, str]:
        """Every datatype the server offers, name -> type URL (``/api/server/compiled-types``)."""
        return self.transport.get_json("api/server/compiled-types")

    def set_throttle(self, max_ops: int) -> str:
        """``POST /api/server/settings``: at most ``max_ops`` requests with ``throttle=on`` at once."""
        body = json.dumps({"throttle": str(int(max_ops))}).encode()
        return self.transport.post("api/server/settings", body).decode()

    # -- repos -----------------------------------------------------------------------------------

    def repos(self) -> list[Repo]:
        """Every repo on the server (``/api/repos/info``)."""
        return [Repo(self, root, info) for root, info in sorted(self.transport.get_json("api/repos/info").items())]

    def new_repo(self, alias: str = "", description: str = "", *, passcode: str = "", root: str = "") -> Repo:
        """A new repo with one open root version; ``root`` assigns the root's UUID."""
        body = {"alias": alias, "description": description}
        if passcode:
            body["passcode"] = passcode
        if root:
            body["root"] = root
        return Repo(self, self.transport.post_json("api/repos", body)["root"])

    def repo(self, uuid_or_alias: str) -> Repo:
        """The repo holding a version (a UUID, prefix or ``uuid:branch``), or with this alias."""
        by_alias = [r for r in self.repos() if r.alias == uuid_or_alias]
        if len(by_alias) > 1:
            roots = ", ".join(r.uuid for r in by_alias)
            raise DVIDClientError(None, f'more than one repo has the alias "{uuid_or_alias}": {roots}')
        if by_alias:
            return by_alias[0]
        info = self.transport.get_json(f"api/repo/{quoted(uuid_or_alias)}/info")
        return Repo(self, info["Root"], info)

    def node(self, spec: str) -> Node:
        """A version by full UUID, unique prefix, ``uuid:branch`` or ``uuid:branch~N``,
        resolved once to its full UUID."""
        info = self.transport.get_json(f"api/repo/{quoted(spec)}/info")
        repo = Repo(self, info["Root"], info)
        return Node(repo, resolve_uuid(self.transport, spec, info))

    def delete_repo(self, uuid: str, *, passcode: str = "") -> str:
        """Delete a repo and all its data (a dvidpy extension; DVID does this on its command line)."""
        params = {"imsure": "true", **({"passcode": passcode} if passcode else {})}
        return self.transport.text("DELETE", f"api/repo/{quoted(uuid)}", params=params).strip()


class Repo:
    """A repo: its root version's UUID, alias, description, log and instances."""

    def __init__(self, client: Client, root: str, info: dict[str, Any] | None = None) -> None:
        self.client = client
        self.uuid = root
        self._info = info

    def __repr__(self) -> str:
        return f"Repo({self.uuid!r}, alias={self.alias!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Repo) and (other.client.url, other.uuid) == (self.client.url, self.uuid)

    def __hash__(self) -> int:
        return hash((self.client.url, self.uuid))

    @property
    def _path(self) -> str:
        return f"api/repo/{quoted(self.uuid)}"

    def info(self) -> dict[str, Any]:
        """``GET /api/repo/<root>/info``, fetched anew."""
        self._info = self.client.transport.get_json(f"{self._path}/info")
        return self._info

    @property
    def alias(self) -> str:
        return (self._info or self.info())["Alias"]

    @property
    def description(self) -> str:
        return (self._info or self.info())["Description"]

    def set_info(self, *, alias: str | None = None, description: str | None = None) -> None:
        body = {k: v for k, v in (("alias", alias), ("description", description)) if v is not None}
        self.client.transport.post_json(f"{self._path}/info", body)
        self._info = None

    @property
    def root(self) -> Node:
        return Node(self, self.uuid)

    def node(self, spec: str) -> Node:
        """A version of this repo (UUID, prefix or ``uuid:branch``)."""
        node = self.client.node(spec)
        if node.repo != self:
            raise DVIDClientError(None, f"version {node.uuid} is in repo {node.repo.uuid}, not {self.uuid}")
        return node

    def versions(self) -> dict[str, dict[str, Any]]:
        """The DAG's nodes by UUID, as DVID describes them (``Parents``/``Children`` as version ids)."""
        return self.info()["DAG"]["Nodes"]

    def instances(self) -> dict[str, str]:
        """Data instance names and their typenames."""
        return {name: inst["Base"]["TypeName"] for name, inst in self.info()["DataInstances"].items()}

    def log(self) -> list[str]:
        return self.client.transport.get_json(f"{self._path}/log")["log"]

    def add_log(self, *lines: str) -> None:
        self.client.transport.post_json(f"{self._path}/log", {"log": list(lines)})

    def branch_versions(self, branch: str = "master") -> list[str]:
        """UUIDs from the leaf of ``branch`` back to the root."""
        return self.client.transport.get_json(f"{self._path}/branch-versions/{quoted(branch)}")

    def merge(self, parents: list[Node | str], note: str = "") -> Node:
        """A conflict-free merge of committed versions; the new child is open."""
        uuids = [p.uuid if isinstance(p, Node) else p for p in parents]
        body = {"mergeType": "conflict-free", "parents": uuids, "note": note}
        child = self.client.transport.post_json(f"{self._path}/merge", body)["child"]
        return Node(self, child)

    def delete(self, *, passcode: str = "") -> str:
        return self.client.delete_repo(self.uuid, passcode=passcode)

    def delete_instance(self, name: str, *, passcode: str = "") -> str:
        """Delete a data instance and its data (a dvidpy extension)."""
        params = {"imsure": "true", **({"passcode": passcode} if passcode else {})}
        return self.client.transport.text("DELETE", f"{self._path}/instance/{quoted(name)}", params=params).strip()

    def rename_instance(self, old: str, new: str, *, passcode: str = "") -> str:
        """Rename a data instance (a dvidpy extension)."""
        params = {"passcode": passcode} if passcode else {}
        body = json.dumps({"name": new}).encode()
        path = f"{self._path}/instance/{quoted(old)}/rename"
        return self.client.transport.text("POST", path, body, params=params).strip()
