"""The front page at ``/`` and ``/api/``: what this server holds, with links to start from.

DVID serves a web console at ``/``; until dvidpy has one, this small HTML index lists every
repo with its versions and data instances and links to the help pages and the JSON views.
"""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from dvidpy.routes.context import route, server_of
from dvidpy.versions import Repo

PAGE = """<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>dvidpy on {host}</title></head>
<body>
<h2>dvidpy on {host}</h2>
<p>{mode}Data in <code>{store}</code>. The HTTP API is DVID's; see <a href="/api/help">/api/help</a>
for every endpoint and <a href="/api/repos/info">/api/repos/info</a> for this page as JSON.</p>
<h3>Repos</h3>
{repos}
</body>
</html>
"""


def _repo_html(repo: Repo, host: str) -> str:
    title = escape(repo.alias or "(no alias)")
    nodes = sorted(repo.nodes.values(), key=lambda n: n.version_id)
    versions = ", ".join(
        f"<code>{escape(n.uuid)}</code>{' (committed)' if n.locked else ' (open)'}" for n in nodes
    )
    rows = "\n".join(
        f"<li><b>{escape(name)}</b> ({escape(inst.typename)}, <a href='/api/help/{escape(inst.typename)}'>help</a>,"
        f" <a href='/api/node/{escape(repo.root)}/{escape(name)}/info'>info</a>; neuroglancer source"
        f" <code>dvid://http://{escape(host)}/{escape(repo.root)}/{escape(name)}</code>)</li>"
        for name, inst in sorted(repo.instances.items())
    )
    return (
        f"<h4>{title} &mdash; root <code>{escape(repo.root)}</code></h4>\n"
        f"<p>{escape(repo.description)}</p>\n<p>Versions: {versions}</p>\n"
        f"<ul>\n{rows or '<li>no data instances yet</li>'}\n</ul>"
    )


async def front_page(request: Request) -> Response:
    server = server_of(request)
    host = request.headers.get("host", server.config.host_label)
    repos = server.datastore.catalog().sorted_repos()
    body = "\n".join(_repo_html(r, host) for r in repos) or (
        "<p>No repos yet. Create one with <code>curl -X POST http://"
        f"{escape(host)}/api/repos -d '{{\"alias\": \"mydata\"}}'</code>.</p>"
    )
    mode = "This server is read-only. " if server.config.read_only else ""
    return HTMLResponse(PAGE.format(host=escape(host), mode=mode, store=escape(server.engine.describe()),
                                    repos=body))


ROUTES = [route("/", GET=front_page), route("/api", GET=front_page), route("/api/", GET=front_page)]
