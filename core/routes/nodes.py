"""Node routes: note, log, commit status, commit, newversion, branch and tag."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response

from dvidpy.datastore import Edit
from dvidpy.errors import bad_request, not_found
from dvidpy.json_io import dvid_json, json_response
from dvidpy.routes.context import (
    Endpoint,
    in_store,
    json_object,
    log_lines,
    may_skip_locks,
    route,
    server_of,
    string_field,
)
from dvidpy.timefmt import log_line, now
from dvidpy.versions import HEX32, MASTER, Node, Repo

T = TypeVar("T")

#: Characters a tag may not hold: UUID-specifier syntax (``:``, ``~``) and what URLs or JSON
#: would need escaped.
TAG_FORBIDDEN = frozenset('/:~?#%"\\')


def _on_open_node(handler: Endpoint) -> Endpoint:
    """A change to the node itself (note, log, commit) needs the node open."""

    async def checked(request: Request) -> Response:
        _, node = _node(request)
        if node.locked and not may_skip_locks(request):
            raise bad_request(f"Cannot do post on locked node {node.uuid}")
        return await handler(request)

    return checked


async def node_root(request: Request) -> Response:
    """``/api/node/{uuid}``: the UUID must resolve, then there is nothing here."""
    _node(request)
    raise not_found("404 page not found")


def _node(request: Request):
    return server_of(request).datastore.resolve(request.path_params["uuid"])


async def get_note(request: Request) -> Response:
    _, node = _node(request)
    return json_response({"note": node.note})


def _change_open_node(request: Request, apply: Callable[[Repo, Node], T]) -> T:
    """Change the node the URL names, re-checked open inside the change's own transaction."""
    spec, skip = request.path_params["uuid"], may_skip_locks(request)

    def change(edit: Edit) -> T:
        repo, node = edit.resolve(spec)
        if node.locked and not skip:
            raise bad_request(f"Cannot do post on locked node {node.uuid}")
        return apply(repo, node)

    return server_of(request).datastore.change(change)


async def set_note(request: Request) -> Response:
    body = await json_object(request)
    if "note" not in body:
        raise bad_request("Could not find 'note' value in POSTed JSON.")
    note = string_field(body, "note")

    def apply(repo: Repo, node: Node) -> None:
        node.note = note
        node.updated = repo.updated = now()

    await in_store(request, lambda: _change_open_node(request, apply))
    return Response(b"")


async def get_log(request: Request) -> Response:
    _, node = _node(request)
    return json_response({"log": list(node.log)})


async def append_log(request: Request) -> Response:
    lines = log_lines(await json_object(request))

    def apply(repo: Repo, node: Node) -> None:
        node.log.extend(log_line(m) for m in lines)
        node.updated = repo.updated = now()

    await in_store(request, lambda: _change_open_node(request, apply))
    return Response(b"")


async def lock_status(request: Request) -> Response:
    _, node = _node(request)
    return json_response({"Locked": node.locked})


async def commit(request: Request) -> Response:
    body = await json_object(request, required=True)
    note = string_field(body, "note")
    lines = body.get("log", [])
    if not isinstance(lines, list) or not all(isinstance(m, str) for m in lines):
        raise bad_request("'log' must be a JSON array of strings")

    def apply(repo: Repo, node: Node) -> Node:
        repo.commit(node, note, lines)
        return node

    node = await in_store(request, lambda: _change_open_node(request, apply))
    return dvid_json("committed", node.uuid)


def _assigned_uuid(body: dict) -> str:
    uuid = string_field(body, "uuid")
    if uuid and not HEX32.match(uuid):
        raise bad_request(f"Bad UUID provided: {uuid!r} must be 32 hexadecimal digits")
    return uuid


async def _new_child(request: Request, *, branch: str = "", note: str, uuid: str = "", tag: str = "") -> Response:
    spec = request.path_params["uuid"]
    datastore = server_of(request).datastore
    child = await in_store(request, lambda: datastore.new_child(spec, branch=branch, note=note, uuid=uuid, tag=tag))
    return dvid_json("child", child.uuid)


async def new_version(request: Request) -> Response:
    body = await json_object(request)
    return await _new_child(request, branch="", note=string_field(body, "note"), uuid=_assigned_uuid(body))


async def new_branch(request: Request) -> Response:
    body = await json_object(request, required=True)
    branch = string_field(body, "branch")
    if branch in ("", MASTER):
        raise bad_request("Cannot create a master branch")
    return await _new_child(request, branch=branch, note=string_field(body, "note"), uuid=_assigned_uuid(body))


async def new_tag(request: Request) -> Response:
    body = await json_object(request, required=True)
    tag = string_field(body, "tag")
    # A tag becomes the child's UUID, used in URLs and JSON: refuse what would break either.
    if not tag or any(c in TAG_FORBIDDEN or not c.isprintable() or c.isspace() for c in tag):
        raise bad_request(
            "'tag' must be a non-empty name without '/', ':', '~', '?', '#', '%', '\"', '\\' or spaces"
        )
    return await _new_child(request, note=string_field(body, "note"), tag=tag)


ROUTES = [
    route("/api/node/{uuid}", GET=node_root),
    route("/api/node/{uuid}/note", GET=get_note, POST=_on_open_node(set_note)),
    route("/api/node/{uuid}/log", GET=get_log, POST=_on_open_node(append_log)),
    route("/api/node/{uuid}/commit", GET=lock_status, POST=_on_open_node(commit)),
    route("/api/node/{uuid}/status", GET=lock_status),
    route("/api/node/{uuid}/newversion", POST=new_version),
    route("/api/node/{uuid}/branch", POST=new_branch),
    route("/api/node/{uuid}/tag", POST=new_tag),
]
