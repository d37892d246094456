"""Dispatch of ``/api/node/{uuid}/{dataname}/...`` to the instance's datatype.

The core does everything that is the same for every datatype: read-only mode, UUID and
instance resolution, the core-owned ``blobstore`` keyword, the locked-node check for
mutations of versioned instances, and running the datatype's handler in a worker thread
inside one store transaction.
"""

from __future__ import annotations

import base64
import hashlib
from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dvidpy.chunk_cache import NeedsWorkerThread
from dvidpy.datatypes import Datatype, InstanceRequest, RequestHead
from dvidpy.errors import bad_request, not_found
from dvidpy.instances import RESERVED_NAMES
from dvidpy.json_io import dvid_json
from dvidpy.routes.context import body_cap, check_writable, in_store, is_admin, may_skip_locks, read_body, server_of
from dvidpy.server import Server, Target
from dvidpy.storage import keys
from dvidpy.storage.session import Session
from dvidpy.versions import Node


class DataName(Convertor):
    """A data instance name in a URL: one path segment that is not a node action's word, so
    ``/api/node/{uuid}/commit`` stays the node's and a wrong verb there is a 405."""

    regex = "(?!(?:" + "|".join(sorted(RESERVED_NAMES)) + ")(?:/|$))[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("dataname", DataName())


async def instance_root(request: Request) -> Response:
    return await dispatch(request, request.path_params["name"])


def url_parts(path: str) -> list[str]:
    """The path after ``/api/`` split on ``/``, one trailing empty part dropped (as DVID does)."""
    parts = path[len("/api/"):].split("/")
    if parts and parts[-1] == "":
        parts.pop()
    return parts


async def dispatch(request: Request, name: str) -> Response:
    """Resolve, refuse early what is already refused (no body is read for it), read the body,
    then run the datatype, which re-checks node and instance inside its transaction."""
    server = server_of(request)
    check_writable(request)
    repo, node = server.datastore.resolve(request.path_params["uuid"])
    instance = repo.instances.get(name)
    if instance is None:
        raise bad_request("invalid data instance name")
    parts = url_parts(request.url.path)
    keyword = parts[3] if len(parts) > 3 else ""
    if keyword == "blobstore":
        return await blobstore(request, parts)
    datatype = server.datatype(instance.typename)
    mutation = datatype.is_mutation(request.method, keyword)
    skip_locks = may_skip_locks(request)
    if mutation and instance.versioned and node.locked and not skip_locks:
        raise bad_request(f'Cannot do {request.method} on endpoint "{keyword}" of locked node {node.uuid}')
    head = RequestHead(request.method, request.url.path, parts, request.query_params, request.headers, instance)
    size = checked_size(server, datatype, head)
    body = await read_body(request, body_cap(size, server.config.max_request_bytes))
    writable = mutation and (not server.config.read_only or is_admin(request))
    return await run_data_request(server, head, node, body, mutation=mutation, writable=writable,
                                  skip_locks=skip_locks)


def checked_size(server: Server, datatype: Datatype, head: RequestHead) -> int | None:
    """The bytes ``head``'s answer or decoded body will take, if known; a 400 over the limit."""
    limit = server.config.max_request_bytes
    size = datatype.request_size(head)
    if size is not None and size > limit:
        raise bad_request(f"Requested payload ({size} bytes) exceeds this DVID server's set limit ({limit})")
    return size


async def run_data_request(server: Server, head: RequestHead, node: Node, body: bytes, *, mutation: bool,
                           writable: bool, skip_locks: bool, inline: bool = False) -> Response:
    """Run the datatype's handler for a resolved request in one store transaction that finds
    node and instance again (:meth:`Server.run_instance_request`): in a worker thread, or,
    ``inline``, first on the event loop's own thread (for short reads, where the hop costs
    more than the work), and again in a worker thread if it turns out to need encoding
    (:class:`~dvidpy.chunk_cache.NeedsWorkerThread`: a cache miss)."""
    instance = head.instance
    target = Target(
        uuid=node.uuid, name=instance.name, data_uuid=instance.data_uuid, method=head.method, keyword=head.keyword,
        mutation=mutation, writable=writable, skip_locks=skip_locks,
    )

    def make(session: Session, repo, node, instance, inline: bool = False) -> InstanceRequest:
        return InstanceRequest(
            method=head.method,
            path=head.path,
            parts=head.parts,
            query=head.query,
            headers=head.headers,
            body=body,
            instance=instance,
            store=server.versioned_store(session, repo, node, instance),
            max_request_bytes=server.config.max_request_bytes,
            _repo=repo,
            _node=node,
            _services=server,
            _inline=inline,
        )

    server.load.active += 1
    try:
        if inline:
            try:
                return server.run_instance_request(target, partial(make, inline=True))
            except NeedsWorkerThread:
                pass  # it would encode: again from the start, where encoding does not hold the loop
        return await run_in_threadpool(server.run_instance_request, target, make)
    finally:
        server.load.active -= 1


async def blobstore(request: Request, parts: list[str]) -> Response:
    """Content-addressed blobs shared by the store: POST returns a reference, GET returns bytes.

    References are the URL-safe base64 of a 16-byte BLAKE2b digest of the blob (DVID uses
    FNV-128; a reference is opaque to clients, see docs/compatibility.md).
    """
    server = server_of(request)
    if request.method == "POST":
        data = await request.body()
        digest = hashlib.blake2b(data, digest_size=16).digest()

        def put() -> None:
            with server.engine.writing() as txn:
                txn.put(keys.blob_key(digest), data)

        await in_store(request, put)
        ref = base64.urlsafe_b64encode(digest).decode()
        return dvid_json("reference", ref)
    if request.method in ("GET", "HEAD"):
        if len(parts) != 5:
            raise bad_request("GET /blobstore requires reference")
        ref = parts[4]
        try:
            digest = base64.urlsafe_b64decode(ref.encode())
        except ValueError:
            raise bad_request(f'bad blob reference "{ref}"')

        def get() -> bytes | None:
            with server.engine.reading() as txn:
                value = txn.get(keys.blob_key(digest))
                return None if value is None else bytes(value)

        value = await run_in_threadpool(get)
        if value is None:
            raise not_found(f'Reference "{ref}" not found')
        return Response(value, media_type="application/octet-stream")
    raise bad_request("can only do GET and POST actions on blobstore endpoint")


#: Every verb reaches the datatype, which answers the ones its endpoints do not take.
ANY_VERB = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]

ROUTES = [
    Route("/api/node/{uuid}/{name:dataname}", instance_root, methods=ANY_VERB),
    Route("/api/node/{uuid}/{name}/{rest:path}", instance_root, methods=ANY_VERB),
]
