"""What a datatype is to the core: the :class:`Datatype` base class, its registry, the
per-request :class:`InstanceRequest` handed to its endpoints, and the :class:`Region` protocol.

A datatype owns the URLs ``/api/node/{uuid}/{dataname}/{keyword}/...`` of its instances. The
core resolves the UUID, finds the instance, refuses mutations of locked nodes, builds an
:class:`InstanceRequest` and calls :meth:`Datatype.handle` in a worker thread. Everything the
endpoint writes goes into the request's single transaction, committed only if it returns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from starlette.responses import JSONResponse, PlainTextResponse, Response

from dvidpy.errors import DVIDError, bad_api_call, bad_request
from dvidpy.instances import Instance, Settings
from dvidpy.storage.versioned import VersionedStore
from dvidpy.throttle import wants_throttle

if TYPE_CHECKING:
    from dvidpy.server import Server
    from dvidpy.versions import Node, Repo

Handler = Callable[["InstanceRequest"], Response]

MUTATING_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})


class Region(Protocol):
    """A set of blocks (a region of interest) at one version, as the roi datatype offers it."""

    block_size: tuple[int, int, int]

    def contains_blocks(self, blocks: np.ndarray) -> np.ndarray:
        """For an ``(N, 3)`` array of (x, y, z) block coordinates, a bool array: inside or not."""
        ...


@dataclass
class InstanceRequest:
    """One HTTP request to a data instance, as its datatype sees it.

    ``parts`` is the URL path after ``/api/`` split on ``/`` (trailing empty part dropped), as
    DVID's handlers see it: ``parts[0] == "node"``, ``parts[2]`` the data name, ``parts[3]`` the
    keyword; ``args`` are the parts after the keyword.
    """

    method: str
    path: str
    parts: list[str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    repo: Repo
    node: Node
    instance: Instance
    store: VersionedStore
    server: Server = field(repr=False)

    @property
    def keyword(self) -> str:
        return self.parts[3] if len(self.parts) > 3 else ""

    @property
    def args(self) -> list[str]:
        return self.parts[4:]

    @property
    def uuid(self) -> str:
        return self.node.uuid

    @property
    def version(self) -> int:
        return self.store.version

    @property
    def host(self) -> str:
        return self.headers.get("host", self.server.config.host_label)

    def json_body(self, what: str = "request") -> Any:
        """The body parsed as JSON, or a 400 naming what could not be parsed."""
        try:
            return json.loads(self.body or b"null")
        except ValueError as exc:
            raise bad_request(f"Malformed JSON in {what} body: {exc}")

    def throttled(self):
        """A context holding a throttle slot if the client asked for ``throttle=on|true``."""
        if wants_throttle(self.query.get("throttle")):
            return self.server.throttle.slot()
        return nullcontext()

    def bad_api(self) -> DVIDError:
        return bad_api_call(self.path, self.instance.name, self.instance.typename, self.host)

    def region(self, name: str) -> Region:
        """The region named ``name`` in this repo, read at this request's version."""
        return self.server.region(self, name)

    def store_of(self, other: Instance) -> VersionedStore:
        """Another instance of this repo, as seen from this request's node, in this transaction."""
        return self.server.store_for(self.store.session, self.repo, self.node, other)

    def instance_named(self, name: str) -> Instance | None:
        return self.repo.instances.get(name)

    def subscribers(self) -> list[Instance]:
        """Instances of this repo whose sync list names this instance (they follow its changes)."""
        me = self.instance.data_uuid
        return [inst for inst in self.repo.instances.values() if me in inst.syncs]

    def synced_to(self) -> list[Instance]:
        """The instances this instance's sync list names."""
        wanted = set(self.instance.syncs)
        return [inst for inst in self.repo.instances.values() if inst.data_uuid in wanted]

    def save_instance(self, change: Callable[[], None]) -> None:
        """Apply ``change`` to ``self.instance`` and persist it with this request's writes."""
        self.server.save_instance(self, change)

    def mutation_id(self) -> int:
        """A new mutation id from the repo's counter (saved with this request's writes)."""
        return self.server.datastore.next_mutation_id(self.repo, self.store.session.writer())

    def base_info(self) -> dict[str, Any]:
        """The ``Base`` object of the instance's info JSON."""
        return self.server.base_info(self.repo, self.instance)


class Datatype:
    """Base class for datatypes. Subclasses set the class attributes and add endpoints.

    ``endpoints`` maps a keyword (``raw``, ``info``, ...) to a function taking the
    :class:`InstanceRequest`; ``""`` is the instance root (``POST /api/node/{uuid}/{name}``).
    The base class provides DVID's conventional ``help``, ``info`` and ``tags`` endpoints.
    """

    name: str = ""
    version: str = "0.1"
    url: str = ""
    help_text: str = ""
    #: (method, keyword) pairs that use a mutating verb but change nothing (roi's ptquery).
    non_mutating: frozenset[tuple[str, str]] = frozenset()

    def __init__(self) -> None:
        self.endpoints: dict[str, Handler] = {
            "help": self.serve_help,
            "info": self.serve_info,
            "tags": self.serve_tags,
        }

    # -- what subclasses override ---------------------------------------------------------------

    def create(self, settings: Settings, instance: Instance) -> None:
        """Validate creation settings and fill ``instance.config``; raise a 400 on bad input."""

    def describe(self, instance: Instance, base: dict[str, Any]) -> dict[str, Any]:
        """The instance as listed in repo info JSON (no request, no version)."""
        return {"Base": base, "Extended": {}}

    def info(self, req: InstanceRequest) -> dict[str, Any]:
        """The ``info`` endpoint's JSON; by default the same as :meth:`describe`."""
        return self.describe(req.instance, req.base_info())

    def is_mutation(self, method: str, keyword: str) -> bool:
        return method in MUTATING_METHODS and (method, keyword) not in self.non_mutating

    # -- dispatch ---------------------------------------------------------------------------------

    def handle(self, req: InstanceRequest) -> Response:
        handler = self.endpoints.get(req.keyword)
        if handler is None:
            raise req.bad_api()
        return handler(req)

    # -- conventional endpoints ------------------------------------------------------------------

    def serve_help(self, req: InstanceRequest) -> Response:
        return PlainTextResponse(self.help_text.rstrip("\n") + "\n")

    def serve_info(self, req: InstanceRequest) -> Response:
        if req.method not in ("GET", "HEAD"):
            raise bad_request("info endpoint only supports GET HTTP verb")
        return json_response(self.info(req))

    def serve_sync(self, req: InstanceRequest) -> Response:
        """``POST .../sync`` with ``{"sync": "name1,name2"}``: append to (or with ``?replace=true``
        replace) the instances this one follows. Datatypes that support syncs register it and may
        override :meth:`check_sync` to refuse sources they cannot follow."""
        if req.method != "POST":
            raise bad_request("Only POST allowed to sync endpoint")
        body = req.json_body("sync")
        if not isinstance(body, dict) or not isinstance(body.get("sync", ""), str):
            raise bad_request('sync must be posted as {"sync": "name1,name2"}')
        targets = req.server.sync_targets(req.repo, body.get("sync", ""))
        for data_uuid in targets:
            other = next(i for i in req.repo.instances.values() if i.data_uuid == data_uuid)
            self.check_sync(req, other)
        replace = req.query.get("replace", "").lower() in ("true", "1", "on")

        def change() -> None:
            syncs = [] if replace else list(req.instance.syncs)
            req.instance.syncs = syncs + [t for t in targets if t not in syncs]

        req.save_instance(change)
        return Response(b"")

    def check_sync(self, req: InstanceRequest, source: Instance) -> None:
        """Refuse (raise a 400) a sync source this datatype cannot follow; default accepts all."""

    def serve_tags(self, req: InstanceRequest) -> Response:
        if req.method in ("GET", "HEAD"):
            return json_response({"Tags": req.instance.tags or {}})
        if req.method != "POST":
            raise bad_request("tags endpoint only supports GET and POST")
        body = req.json_body("tags")
        if not isinstance(body, dict) or not all(isinstance(v, str) for v in body.values()):
            raise bad_request("tags must be posted as a JSON object of strings")
        replace = req.query.get("replace", "").lower() in ("true", "1", "on")

        def change() -> None:
            tags = {} if replace or req.instance.tags is None else dict(req.instance.tags)
            tags.update(body)
            req.instance.tags = tags

        req.save_instance(change)
        return Response(b"")


def json_response(data: Any, *, media_type: str = "application/json") -> Response:
    """Compact JSON, as Go's encoder writes it."""
    return Response(json.dumps(data, separators=(",", ":")).encode(), media_type=media_type)


@dataclass(frozen=True)
class RegisteredType:
    datatype: Datatype
    plugin: str


class DatatypeRegistry:
    """Collects datatypes from the ``dvidpy_register_datatypes`` hook."""

    def __init__(self) -> None:
        self.types: dict[str, RegisteredType] = {}
        self._plugin = "?"

    @contextmanager
    def from_plugin(self, name: str) -> Iterator[DatatypeRegistry]:
        self._plugin = name
        try:
            yield self
        finally:
            self._plugin = "?"

    def add(self, datatype: Datatype) -> None:
        if not datatype.name:
            raise ValueError(f"{datatype!r} has no name")
        if datatype.name in self.types:
            other = self.types[datatype.name].plugin
            raise ValueError(f"datatype {datatype.name!r} registered by both {other} and {self._plugin}")
        self.types[datatype.name] = RegisteredType(datatype, self._plugin)
