"""Server-wide routes: help, load, heartbeat, latencies, and ``/api/server/{action}``."""

from __future__ import annotations

import html
import os
import time

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from dvidpy import __version__, native
from dvidpy.errors import bad_request
from dvidpy.json_io import json_response
from dvidpy.routes.context import in_store, is_admin, json_object, route, server_of
from dvidpy.timefmt import now

DATASTORE_VERSION = "0.11.0"


HELP_PAGE = """<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>dvidpy server on {host}</title></head>
<body>
<h2>dvidpy on {host}</h2>
<p>dvidpy serves versioned, image-oriented data with DVID's HTTP API. Every endpoint is under
<code>/api/</code>.</p>
<h3>Server</h3>
<pre>
GET  /api/help                          this page
GET  /api/help/{{typename}}               help for a datatype
GET  /api/load                          requests and bytes per second
GET  /api/heartbeat                     answers OK
GET  /api/server/info                   server facts as JSON
GET  /api/server/note                   the note from the configuration
GET  /api/server/types                  datatypes with instances in some repo
GET  /api/server/compiled-types         every datatype this server offers
POST /api/server/settings               (admin) {{"throttle": "N"}}
</pre>
<h3>Repos and versions</h3>
<pre>
POST /api/repos                         new repo; body {{"alias": ..., "description": ...}}
GET  /api/repos/info                    every repo
GET  /api/repo/{{uuid}}/info              one repo; POST sets alias and description
POST /api/repo/{{uuid}}/instance          new data instance; body {{"typename": ..., "dataname": ...}}
GET  /api/repo/{{uuid}}/log               repo log; POST {{"log": [...]}} appends
POST /api/repo/{{uuid}}/merge             {{"mergeType": "conflict-free", "parents": [...], "note": ...}}
POST /api/repo/{{uuid}}/resolve           {{"data": [...], "parents": [...], "note": ...}}
GET  /api/repo/{{uuid}}/branch-versions/{{name}}
GET  /api/node/{{uuid}}/commit            {{"Locked": ...}}; POST commits (locks) the node
POST /api/node/{{uuid}}/newversion        child on the same branch
POST /api/node/{{uuid}}/branch            {{"branch": name}}: child on a new branch
POST /api/node/{{uuid}}/tag               {{"tag": name}}: a committed child named by the tag
GET  /api/node/{{uuid}}/note, /log        POST sets the note or appends to the log
</pre>
<p>A UUID may be any unique prefix, <code>prefix:branch</code> or <code>prefix:branch~N</code>.</p>
<h3>Datatypes</h3>
<ul>
{types}
</ul>
</body>
</html>
"""


async def help_index(request: Request) -> Response:
    server = server_of(request)
    items = "\n".join(
        f"<li><a href='/api/help/{name}'>{html.escape(name)}</a></li>" for name in server.types
    )
    return HTMLResponse(HELP_PAGE.format(host=html.escape(server.config.server_name), types=items))


async def help_type(request: Request) -> Response:
    typename = request.path_params["typename"]
    datatype = server_of(request).datatype(typename)
    return PlainTextResponse(datatype.help_text.rstrip("\n") + "\n")


def _record_latency(request: Request, started: float) -> None:
    user = request.query_params.get("u")
    if user:
        server_of(request).latencies.record(user, int((time.perf_counter() - started) * 1000))


async def load(request: Request) -> Response:
    started = time.perf_counter()
    reply = json_response(server_of(request).load.rates())
    _record_latency(request, started)
    return reply


async def heartbeat(request: Request) -> Response:
    started = time.perf_counter()
    _record_latency(request, started)
    return PlainTextResponse("OK")


async def user_latencies(request: Request) -> Response:
    started = time.perf_counter()
    # As DVID's latency middleware: the request is recorded after it is answered, so a user's
    # first ``?u=`` query sees no entry yet.
    reply = json_response(server_of(request).latencies.to_json(request.query_params.get("u")))
    _record_latency(request, started)
    return reply


def _uptime(seconds: float) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h)}h{int(m)}m{s:.6f}s"


def server_info(request: Request) -> dict[str, str]:
    server = server_of(request)
    config = server.config
    cores = str(len(os.sched_getaffinity(0))) if hasattr(os, "sched_getaffinity") else str(os.cpu_count())
    info = {
        "Cores": cores,
        "Maximum Cores": str(os.cpu_count()),
        "Datastore Version": DATASTORE_VERSION,
        "DVID Version": f"dvidpy {__version__}",
        "Storage backend": server.engine.name,
        "Server time": now().isoformat(sep=" "),
        "Server uptime": _uptime(time.time() - server.started),
        "Host": config.host_label,
        "Note": config.note,
        "TOML location": config.toml_path,
        "Process": str(os.getpid()),
        "Hot path": native.PATH,
    }
    if config.read_only:
        info["Mode"] = "read only"
    elif config.full_write:
        info["Mode"] = "allow writes on committed nodes"
    try:
        import resource

        info["Max Open Files"] = str(resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    except (ImportError, OSError):
        pass
    return info


def types_in_use(request: Request) -> dict[str, str]:
    server = server_of(request)
    used = server.datastore.catalog().typenames()
    return {name: reg.datatype.url for name, reg in server.types.items() if name in used}


def compiled_types(request: Request) -> dict[str, str]:
    return {name: reg.datatype.url for name, reg in server_of(request).types.items()}


async def info(request: Request) -> Response:
    return json_response(server_info(request))


async def note(request: Request) -> Response:
    return PlainTextResponse(server_of(request).config.note)


async def types(request: Request) -> Response:
    return json_response(types_in_use(request))


async def all_types(request: Request) -> Response:
    return json_response(compiled_types(request))


async def config(request: Request) -> Response:
    if not is_admin(request):
        raise bad_request("GET /api/server/config requires admin privileges (admintoken)")
    return PlainTextResponse(server_of(request).config.toml_text)


async def settings(request: Request) -> Response:
    """Admin-only run-time settings: ``throttle`` (max throttled ops) and ``gc`` (accepted, unused)."""
    server = server_of(request)
    if not is_admin(request) and server.config.admin_token:
        raise bad_request("POST on settings endpoint requires admin privileges (admintoken)")
    body = await json_object(request)
    parsed = {}
    for key, value in body.items():
        if key not in ("throttle", "gc"):
            raise bad_request(f"POST on settings endpoint had unknown key '{key}'")
        try:
            parsed[key] = int(value)
        except (TypeError, ValueError, OverflowError):
            raise bad_request(f"POST on settings endpoint had bad parsing of '{key}' key: {value!r} is not an integer")
    if parsed.get("throttle", 1) < 1:
        raise bad_request("POST on settings endpoint: 'throttle' must be at least 1")
    if parsed.get("throttle", 1) > MAX_THROTTLE:
        raise bad_request(f"POST on settings endpoint had bad parsing of 'throttle' key: at most {MAX_THROTTLE}")
    lines = []
    if "gc" in parsed:
        lines.append(f"Garbage collection target percentage {parsed['gc']} accepted (Python manages its own memory)\n")
    if "throttle" in parsed:
        before = server.throttle.max_ops
        await in_store(request, lambda: server.set_max_throttled_ops(parsed["throttle"]))
        lines.append(f"Maximum throttled ops set to {parsed['throttle']} from {before}\n")
    return PlainTextResponse("".join(lines))


#: The most throttled operations that may be allowed at once (each is a slot file).
MAX_THROTTLE = 1024


def _both(path: str, endpoint, methods: list[str]) -> list[Route]:
    """DVID answers its server routes with and without a trailing slash."""
    return [Route(path, endpoint, methods=methods), Route(path + "/", endpoint, methods=methods)]


ROUTES = [
    Route("/api/help", help_index, methods=["GET"]),
    Route("/api/help/", help_index, methods=["GET"]),
    Route("/api/help/{typename}", help_type, methods=["GET"]),
    Route("/api/load", load, methods=["GET"]),
    Route("/api/heartbeat", heartbeat, methods=["GET"]),
    Route("/api/user-latencies", user_latencies, methods=["GET"]),
    *_both("/api/server/info", info, ["GET"]),
    *_both("/api/server/note", note, ["GET"]),
    *_both("/api/server/types", types, ["GET"]),
    *_both("/api/server/compiled-types", all_types, ["GET"]),
    *_both("/api/server/config", config, ["GET"]),
    route("/api/server/settings", POST=settings),
    route("/api/server/settings/", POST=settings),
]
