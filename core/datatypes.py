"""What a datatype is to the core: the :class:`Datatype` base class and its declared
:class:`Endpoint` table, its registry, the per-request :class:`InstanceRequest` handed to its
endpoints, and the :class:`Region` protocol.

A datatype owns the URLs ``/api/node/{uuid}/{dataname}/{keyword}/...`` of its instances. The
core resolves the UUID, finds the instance, refuses mutations of locked nodes (a mutation is
what the endpoint table says it is), builds an :class:`InstanceRequest` and calls
:meth:`Datatype.handle` in a worker thread. Everything the endpoint writes goes into the
request's single transaction, committed only if it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np
from starlette.responses import PlainTextResponse, Response

from dvidpy.errors import DVIDError, bad_api_call, bad_request
from dvidpy.instances import Instance, Settings
from dvidpy.json_io import json_response, parse_json
from dvidpy.queries import query_flag
from dvidpy.storage.versioned import VersionedStore

if TYPE_CHECKING:
    from dvidpy.versions import Node, Repo

#: The verbs that change data unless an endpoint says otherwise (DVID's IsMutationRequest).
MUTATING_VERBS = ("POST", "PUT", "DELETE", "PATCH")
#: Every verb a datatype URL may be asked with; HEAD follows GET everywhere.
ANY_VERB = ("GET", "POST", "PUT", "DELETE", "PATCH")


class Region(Protocol):
    """A set of blocks (a region of interest) at one version, as the roi datatype offers it."""

    block_size: tuple[int, int, int]

    def contains_blocks(self, blocks: np.ndarray) -> np.ndarray:
        """For an ``(N, 3)`` array of (x, y, z) block coordinates, a bool array: inside or not."""
        ...


@dataclass(frozen=True)
class Endpoint:
    """One endpoint of a datatype, declared once.

    ``handler`` is called as ``handler(datatype, request)`` (a method of the datatype, or a
    function taking it first). ``verbs`` are the verbs it takes (HEAD follows GET); any other
    verb is answered 400 with ``refusal`` (DVID's text; ``{method}``, ``{keyword}`` and
    ``{name}`` are filled in). ``mutates`` are the verbs that change data, so the core refuses
    them on a committed node; by default every mutating verb does, as in DVID (roi's ``POST
    ptquery`` declares ``mutates=()``). ``size``, when given, says before any work how many
    bytes the answer (or decoded body) will take. ``lean`` says that a GET of the endpoint
    reads no body and may be served by the core's lean route (:mod:`dvidpy.routes.lean`),
    which calls the same handler without the web framework's routing: declare it for the reads
    clients send by the hundred (neuroglancer's chunks).
    """

    keyword: str
    handler: Callable[..., Response]
    verbs: tuple[str, ...] = ("GET",)
    refusal: str = "{keyword} endpoint does not support {method}"
    mutates: tuple[str, ...] = MUTATING_VERBS
    size: Callable[..., int] | None = None
    lean: bool = False

    def __post_init__(self) -> None:
        if self.lean and ("GET" not in self.verbs or "GET" in self.mutates):
            raise ValueError(f"endpoint {self.keyword!r} is lean but does not take GET as a read")

    def takes(self, method: str) -> bool:
        return method in self.verbs or (method == "HEAD" and "GET" in self.verbs)


class RequestServices(Protocol):
    """What the core does for an :class:`InstanceRequest` (implemented by the server, private)."""

    def throttle_slot(self) -> AbstractContextManager[None]: ...
    def region(self, req: InstanceRequest, name: str) -> Region: ...
    def store_for(self, req: InstanceRequest, instance: Instance) -> VersionedStore: ...
    def save_instance(self, req: InstanceRequest, change: Callable[[], None]) -> None: ...
    def mutation_id(self, req: InstanceRequest) -> int: ...
    def base_info(self, repo: Repo, instance: Instance) -> dict[str, Any]: ...
    def sync_targets(self, repo: Repo, names: str) -> list[str]: ...
    def host_label(self) -> str: ...
    def cached(self, req: InstanceRequest, key_of: Callable[[], bytes], make: Callable[[], bytes]) -> bytes: ...


@dataclass
class RequestHead:
    """What is known of a request to a data instance before its body is read: enough to size
    its work (an :class:`Endpoint`'s ``size`` rule gets this).

    ``parts`` is the URL path after ``/api/`` split on ``/`` (trailing empty part dropped), as
    DVID's handlers see it: ``parts[0] == "node"``, ``parts[2]`` the data name, ``parts[3]`` the
    keyword; ``args`` are the parts after the keyword.
    """

    method: str
    path: str
    parts: list[str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    instance: Instance

    @property
    def keyword(self) -> str:
        return self.parts[3] if len(self.parts) > 3 else ""

    @property
    def args(self) -> list[str]:
        return self.parts[4:]


@dataclass
class InstanceRequest(RequestHead):
    """One HTTP request to a data instance, as its datatype sees it: the :class:`RequestHead`
    with its body, and ``store``, the instance's data seen from the request's version inside
    the request's one transaction.
    """

    body: bytes
    store: VersionedStore
    max_request_bytes: int = field(repr=False)
    _repo: Repo = field(repr=False)
    _node: Node = field(repr=False)
    _services: RequestServices = field(repr=False)
    #: Running on the event loop's thread (the lean route's short reads), not a worker thread.
    _inline: bool = field(default=False, repr=False)

    @property
    def uuid(self) -> str:
        """The UUID of the version the request addresses."""
        return self._node.uuid

    @property
    def version(self) -> int:
        """The server-wide version id the request reads and writes at."""
        return self.store.version

    @property
    def host(self) -> str:
        """The server's address as the client named it (for help links)."""
        return self.headers.get("host", self._services.host_label())

    def json_body(self, what: str = "request") -> Any:
        """The body parsed as JSON (``None`` when empty), or a 400 naming what could not be parsed."""
        return parse_json(self.body, f"Malformed JSON in {what} body")

    def throttled(self) -> AbstractContextManager[None]:
        """A context holding a throttle slot if the client asked for ``throttle=on|true``
        (a 503 when every slot is taken); a no-op otherwise."""
        if query_flag(self.query.get("throttle")):
            return self._services.throttle_slot()
        return nullcontext()

    def cached(self, key_of: Callable[[], bytes], make: Callable[[], bytes]) -> bytes:
        """An encoded answer from the server's chunk cache, or ``make()``'s, kept there.

        The key ``key_of()`` gives (called only when the cache is on) must name everything the
        answer depends on, including a digest of the stored bytes it is made from read in this
        request's transaction (never a version number or an in-process counter: other workers
        and servers write to the same store), so that a changed block can never be answered
        from the cache.
        """
        return self._services.cached(self, key_of, make)

    def bad_api(self) -> DVIDError:
        """DVID's answer for a URL the datatype does not understand."""
        return bad_api_call(self.path, self.instance.name, self.instance.typename, self.host)

    def region(self, name: str) -> Region:
        """The region named ``name`` in this repo, read at this request's version."""
        return self._services.region(self, name)

    def store_of(self, other: Instance) -> VersionedStore:
        """Another instance of this repo, as seen from this request's node, in this transaction."""
        return self._services.store_for(self, other)

    def instances(self) -> list[Instance]:
        """Every data instance of this request's repo."""
        return list(self._repo.instances.values())

    def instance_named(self, name: str) -> Instance | None:
        return self._repo.instances.get(name)

    def subscribers(self) -> list[Instance]:
        """Instances of this repo whose sync list names this instance (they follow its changes)."""
        me = self.instance.data_uuid
        return [inst for inst in self._repo.instances.values() if me in inst.syncs]

    def synced_to(self) -> list[Instance]:
        """The instances this instance's sync list names."""
        wanted = set(self.instance.syncs)
        return [inst for inst in self._repo.instances.values() if inst.data_uuid in wanted]

    def sync_targets(self, names: str) -> list[Instance]:
        """The instances named in a comma-separated ``sync`` setting (a 400 for a missing one)."""
        wanted = self._services.sync_targets(self._repo, names)
        by_uuid = {inst.data_uuid: inst for inst in self._repo.instances.values()}
        return [by_uuid[data_uuid] for data_uuid in wanted]

    def save_instance(self, change: Callable[[], None]) -> None:
        """Apply ``change`` to ``self.instance`` (or another instance of the repo) and persist
        it with this request's writes; it is undone if the request fails."""
        self._services.save_instance(self, change)

    def mutation_id(self) -> int:
        """A new mutation id from the repo's counter (saved with this request's writes)."""
        return self._services.mutation_id(self)

    def base_info(self) -> dict[str, Any]:
        """The ``Base`` object of the instance's info JSON."""
        return self._services.base_info(self._repo, self.instance)


class Datatype:
    """Base class for datatypes. Subclasses set the class attributes and extend :attr:`endpoints`.

    ``endpoints`` declares every keyword the datatype answers (``""`` is the instance root,
    ``POST /api/node/{uuid}/{name}``); the base class provides DVID's conventional ``help``,
    ``info`` and ``tags``, and :data:`SYNC` is there for datatypes that follow others. ``verbs``
    are the verbs any URL of the datatype takes, ``refusal`` DVID's answer for the others, and
    ``verb_refusals`` a verb-specific answer used wherever that verb is refused.
    """

    name: str = ""
    version: str = "0.1"
    url: str = ""
    help_text: str = ""
    endpoints: ClassVar[tuple[Endpoint, ...]] = ()
    verbs: ClassVar[tuple[str, ...]] = ANY_VERB
    refusal: ClassVar[str] = "{name} does not take {method} requests"
    verb_refusals: ClassVar[Mapping[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._table = {e.keyword: e for e in cls.endpoints}

    # -- what subclasses override ---------------------------------------------------------------

    def create(self, settings: Settings, instance: Instance) -> None:
        """Validate creation settings and fill ``instance.config``; raise a 400 on bad input."""

    def describe(self, instance: Instance, base: dict[str, Any]) -> dict[str, Any]:
        """The instance as listed in repo info JSON (no request, no version)."""
        return {"Base": base, "Extended": {}}

    def info(self, req: InstanceRequest) -> dict[str, Any]:
        """The ``info`` endpoint's JSON; by default the same as :meth:`describe`."""
        return self.describe(req.instance, req.base_info())

    def check_sync(self, req: InstanceRequest, source: Instance) -> None:
        """Refuse (raise a 400) a sync source this datatype cannot follow; default accepts all."""

    # -- what the table says ----------------------------------------------------------------------

    def endpoint(self, keyword: str) -> Endpoint | None:
        return self._table.get(keyword)

    def request_size(self, head: RequestHead) -> int | None:
        """The bytes ``head``'s answer or decoded body will take, if its endpoint can tell."""
        endpoint = self._table.get(head.keyword)
        if endpoint is None or endpoint.size is None or not endpoint.takes(head.method):
            return None
        return endpoint.size(self, head)

    def is_lean(self, method: str, keyword: str) -> bool:
        """Whether the lean route may serve ``method`` on ``keyword`` (a GET the table marks lean)."""
        endpoint = self._table.get(keyword)
        return method == "GET" and endpoint is not None and endpoint.lean and "GET" in self.verbs

    def is_mutation(self, method: str, keyword: str) -> bool:
        """Whether ``method`` on ``keyword`` changes data (so a committed node refuses it)."""
        endpoint = self._table.get(keyword)
        return method in (endpoint.mutates if endpoint is not None else MUTATING_VERBS)

    def handle(self, req: InstanceRequest) -> Response:
        """Dispatch by the table: refuse what the datatype or the endpoint does not take."""
        method, keyword = req.method, req.keyword
        fill = {"method": method, "keyword": keyword, "name": req.instance.name}
        if not (method in self.verbs or (method == "HEAD" and "GET" in self.verbs)):
            raise bad_request(self.refusal.format(**fill))
        endpoint = self._table.get(keyword)
        if endpoint is None or not endpoint.takes(method):
            if method in self.verb_refusals:
                raise bad_request(self.verb_refusals[method].format(**fill))
            if endpoint is None:
                raise req.bad_api()
            raise bad_request(endpoint.refusal.format(**fill))
        return endpoint.handler(self, req)

    # -- conventional endpoints ------------------------------------------------------------------

    def serve_help(self, req: InstanceRequest) -> Response:
        return PlainTextResponse(self.help_text.rstrip("\n") + "\n")

    def serve_info(self, req: InstanceRequest) -> Response:
        return json_response(self.info(req))

    def serve_sync(self, req: InstanceRequest) -> Response:
        """``POST .../sync`` with ``{"sync": "name1,name2"}``: append to (or with ``?replace=true``
        replace) the instances this one follows."""
        body = req.json_body("sync")
        if not isinstance(body, dict) or not isinstance(body.get("sync", ""), str):
            raise bad_request('sync must be posted as {"sync": "name1,name2"}')
        targets = req.sync_targets(body.get("sync", ""))
        for other in targets:
            self.check_sync(req, other)
            if _follows(other, req.instance, req.instances()):
                raise bad_request(f"Unable to sync {req.instance.name} with {other.name}: "
                                  f"{other.name} already follows {req.instance.name}, so the syncs would make a cycle")
        replace = query_flag(req.query.get("replace"))
        wanted = [t.data_uuid for t in targets]

        def change() -> None:
            syncs = [] if replace else list(req.instance.syncs)
            req.instance.syncs = syncs + [t for t in wanted if t not in syncs]

        req.save_instance(change)
        return Response(b"")

    def serve_tags(self, req: InstanceRequest) -> Response:
        if req.method in ("GET", "HEAD"):
            return json_response({"Tags": req.instance.tags or {}})
        body = req.json_body("tags")
        if not isinstance(body, dict) or not all(isinstance(v, str) for v in body.values()):
            raise bad_request("tags must be posted as a JSON object of strings")
        replace = query_flag(req.query.get("replace"))

        def change() -> None:
            tags = {} if replace or req.instance.tags is None else dict(req.instance.tags)
            tags.update(body)
            req.instance.tags = tags

        req.save_instance(change)
        return Response(b"")

    endpoints = (
        Endpoint("help", serve_help, ANY_VERB),
        Endpoint("info", serve_info, ("GET",), "info endpoint only supports GET HTTP verb"),
        Endpoint("tags", serve_tags, ("GET", "POST"), "tags endpoint only supports GET and POST"),
    )


Datatype._table = {e.keyword: e for e in Datatype.endpoints}

def _follows(start: Instance, target: Instance, instances: list[Instance]) -> bool:
    """Whether ``start`` is ``target`` or follows it through a chain of syncs."""
    by_uuid = {inst.data_uuid: inst for inst in instances}
    seen, todo = set(), [start]
    while todo:
        inst = todo.pop()
        if inst.data_uuid == target.data_uuid:
            return True
        if inst.data_uuid not in seen:
            seen.add(inst.data_uuid)
            todo += [by_uuid[u] for u in inst.syncs if u in by_uuid]
    return False


#: ``POST .../sync``, for datatypes that follow other instances (they add it to their table).
SYNC = Endpoint("sync", Datatype.serve_sync, ("POST",), "Only POST allowed to sync endpoint")


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
        """Register ``datatype`` under its ``name``; a nameless or already taken name is refused."""
        if not datatype.name:
            raise ValueError(f"{datatype!r} has no name")
        if datatype.name in self.types:
            other = self.types[datatype.name].plugin
            raise ValueError(f"datatype {datatype.name!r} registered by both {other} and {self._plugin}")
        self.types[datatype.name] = RegisteredType(datatype, self._plugin)
