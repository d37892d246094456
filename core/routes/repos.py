"""Repo routes: create and list repos, repo info and log, instances, merge, resolve, branches."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from dvidpy.datastore import Edit
from dvidpy.errors import DVIDError, bad_request
from dvidpy.instances import Settings
from dvidpy.json_io import dvid_json, json_response
from dvidpy.merging import resolve_conflicts
from dvidpy.routes.context import (
    in_store,
    is_admin,
    json_body,
    json_object,
    log_lines,
    may_skip_locks,
    route,
    server_of,
    string_field,
)
from dvidpy.server import Server
from dvidpy.timefmt import log_line, rfc3339_nano
from dvidpy.versions import HEX32, Repo


def repo_json(server: Server, repo: Repo) -> dict[str, Any]:
    mutation_id = server.datastore.mutation_id(repo.repo_id)
    instances = {
        name: server.describe(repo, inst)
        for name, inst in sorted(repo.instances.items())
    }
    return {
        "Root": repo.root,
        "Alias": repo.alias,
        "Description": repo.description,
        "Log": list(repo.log),
        "Properties": repo.properties,
        "DataInstances": instances,
        "DAG": {"Root": repo.root, "Nodes": dict(sorted(repo.dag_json()["Nodes"].items()))},
        "MutationID": mutation_id,
        "SavedMutationID": mutation_id,
        "Created": rfc3339_nano(repo.created),
        "Updated": rfc3339_nano(repo.updated),
    }


# -- /api/repos ------------------------------------------------------------------------------------


async def new_repo(request: Request) -> Response:
    server = server_of(request)
    if server.config.read_only or (server.config.admin_token and not is_admin(request)):
        raise bad_request(
            "Creating a repo requires admin privileges (admintoken) on a server that is not read-only"
        )
    try:
        body = await json_object(request)
    except DVIDError as exc:
        raise bad_request(f"Error decoding POSTed JSON config for new repo: {exc.message}")
    fields = {}
    for key in ("alias", "description", "passcode", "root"):
        try:
            fields[key] = string_field(body, key)
        except DVIDError as exc:
            raise bad_request(f"POST on repos endpoint requires valid '{key}': {exc.message}")
    alias, description, passcode, root = (fields[k] for k in ("alias", "description", "passcode", "root"))
    if root and not HEX32.match(root):
        raise bad_request(f"Bad UUID provided for 'root': {root!r} is not 32 hexadecimal digits")
    repo = await in_store(request, lambda: server.datastore.new_repo(alias, description, passcode, root))
    return dvid_json("root", repo.root)


async def repos_info(request: Request) -> Response:
    server = server_of(request)
    repos = server.datastore.catalog().sorted_repos()
    return json_response({repo.root: repo_json(server, repo) for repo in repos})


# -- /api/repo/{uuid} -------------------------------------------------------------------------------


async def repo_head(request: Request) -> Response:
    """HEAD: does the repo exist."""
    repo, _ = server_of(request).datastore.resolve(request.path_params["uuid"])
    return PlainTextResponse(f"Repo available with root UUID {repo.root}\n")


def _destructive_check(request: Request):
    """Deletion and renaming need admin privilege (when a token is set) and the repo passcode;
    checked again inside the change on the repo as the transaction sees it."""
    server = server_of(request)
    if server.config.admin_token and not is_admin(request):
        raise bad_request("deleting or renaming requires admin privileges (admintoken)")
    if request.method == "DELETE" and request.query_params.get("imsure") != "true":
        raise bad_request("deletion is permanent; confirm it with ?imsure=true")
    passcode = request.query_params.get("passcode")

    def check(repo: Repo) -> None:
        if repo.passcode and passcode != repo.passcode:
            raise bad_request(f"repo {repo.root} has a passcode; give it as ?passcode=")

    return check


async def delete_repo(request: Request) -> Response:
    """DELETE (an extension, admin): delete the repo and its data."""
    server = server_of(request)
    spec = request.path_params["uuid"]
    server.datastore.resolve(spec)
    check = _destructive_check(request)
    repo = await in_store(request, lambda: server.datastore.delete_repo(spec, check))
    server.purge_soon()
    return PlainTextResponse(f"Deleted repo {repo.root}\n")


async def repo_info(request: Request) -> Response:
    server = server_of(request)
    repo, _ = server.datastore.resolve(request.path_params["uuid"])
    return json_response(repo_json(server, repo))


def _change_repo(request: Request, apply) -> None:
    spec = request.path_params["uuid"]

    def change(edit: Edit) -> None:
        repo, _ = edit.resolve(spec)
        apply(repo)
        repo.touch()

    server_of(request).datastore.change(change)


async def set_repo_info(request: Request) -> Response:
    body = await json_object(request)
    alias = string_field(body, "alias", None)  # type: ignore[arg-type]
    description = string_field(body, "description", None)  # type: ignore[arg-type]

    def apply(repo: Repo) -> None:
        if alias is not None:
            repo.alias = alias
        if description is not None:
            repo.description = description

    await in_store(request, lambda: _change_repo(request, apply))
    return Response(b"")


async def new_instance(request: Request) -> Response:
    server = server_of(request)
    spec = request.path_params["uuid"]
    _, node = server.datastore.resolve(spec)
    skip_locks = may_skip_locks(request)
    if node.locked and not skip_locks:
        raise bad_request(f"New data instance cannot be created on locked node {node.uuid}")
    body = await json_body(request, required=True)
    if not isinstance(body, dict):
        raise bad_request("Malformed JSON request in body: expected a JSON object")
    instance, node = await in_store(request, lambda: server.new_instance(spec, Settings(body), skip_locks=skip_locks))
    return dvid_json("result", f"Added {instance.name} [{instance.typename}] to node {node.uuid}")


async def repo_log(request: Request) -> Response:
    repo, _ = server_of(request).datastore.resolve(request.path_params["uuid"])
    return json_response({"log": list(repo.log)})


async def append_repo_log(request: Request) -> Response:
    lines = log_lines(await json_object(request))

    def apply(repo: Repo) -> None:
        repo.log.extend(log_line(m) for m in lines)

    await in_store(request, lambda: _change_repo(request, apply))
    return Response(b"")


async def merge(request: Request) -> Response:
    server = server_of(request)
    server.datastore.resolve(request.path_params["uuid"])
    body = await json_object(request, required=True)
    if body.get("mergeType") != "conflict-free":
        raise bad_request("'mergeType' must be 'conflict-free' at this time")
    note = string_field(body, "note")
    parents = body.get("parents")
    child = await in_store(request, lambda: server.datastore.merge(parents, note))
    return dvid_json("child", child.uuid)


async def resolve(request: Request) -> Response:
    server = server_of(request)
    server.datastore.resolve(request.path_params["uuid"])
    body = await json_object(request, required=True)
    names = body.get("data")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise bad_request("Must specify at least one data instance using 'data' field")
    note = string_field(body, "note")
    parents = body.get("parents")
    child = await in_store(request, lambda: resolve_conflicts(server.datastore, parents, names, note))
    return dvid_json("child", child.uuid)


async def branch_versions(request: Request) -> Response:
    repo, _ = server_of(request).datastore.resolve(request.path_params["uuid"])
    return json_response(repo.branch_versions(request.path_params["name"].strip("/")))


async def delete_instance(request: Request) -> Response:
    """Extension: delete a data instance (its data is purged in the background)."""
    name = request.path_params["name"]
    server = server_of(request)
    spec = request.path_params["uuid"]
    server.datastore.resolve(spec)
    check = _destructive_check(request)
    repo = await in_store(request, lambda: server.delete_instance(spec, name, check))
    server.purge_soon()
    return PlainTextResponse(f'Deleted data instance "{name}" from repo {repo.root}\n')


async def rename_instance(request: Request) -> Response:
    """Extension: rename a data instance; body ``{"name": "<new name>"}``."""
    name = request.path_params["name"]
    server = server_of(request)
    spec = request.path_params["uuid"]
    server.datastore.resolve(spec)
    check = _destructive_check(request)
    new = string_field(await json_object(request, required=True), "name")
    if not new or "/" in new:
        raise bad_request("rename needs a new name without '/' in field 'name'")
    await in_store(request, lambda: server.rename_instance(spec, name, new, check))
    return PlainTextResponse(f'Renamed data instance "{name}" to "{new}"\n')


ROUTES = [
    route("/api/repos", read_only_refuses=False, POST=new_repo),
    route("/api/repos/info", GET=repos_info),
    route("/api/repo/{uuid}", HEAD=repo_head, DELETE=delete_repo),
    route("/api/repo/{uuid}/info", GET=repo_info, POST=set_repo_info),
    route("/api/repo/{uuid}/instance", POST=new_instance),
    route("/api/repo/{uuid}/instance/{name}", DELETE=delete_instance),
    route("/api/repo/{uuid}/instance/{name}/rename", POST=rename_instance),
    route("/api/repo/{uuid}/log", GET=repo_log, POST=append_repo_log),
    route("/api/repo/{uuid}/merge", POST=merge),
    route("/api/repo/{uuid}/resolve", POST=resolve),
    route("/api/repo/{uuid}/branch-versions/{name:path}", GET=branch_versions),
]
