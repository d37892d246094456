"""The ``dvidpy`` command: ``serve``, ``types``, and admin commands against a running server."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from dvidpy import __version__
from dvidpy.config import ConfigError, load_config
from dvidpy.plugin_manager import Plugins, make_plugin_manager


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dvidpy",
        description="A versioned, image-oriented data server that speaks DVID's HTTP API.",
    )
    parser.add_argument("--version", action="version", version=f"dvidpy {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server on an embedded LMDB store")
    serve.add_argument("--data", type=Path, help="data folder (default ./dvidpy-data)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--config", help="a TOML configuration file")
    serve.add_argument("--read-only", action="store_true", default=None, help="refuse every change")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.set_defaults(run=cmd_serve)

    types = sub.add_parser("types", help="list installed datatypes, their versions and plugins")
    types.set_defaults(run=cmd_types)

    sub.add_parser("bench", help="run the benchmark: dvidpy bench [--quick] [--json FILE] (python -m dvidpy.benchmarks)")

    repos = sub.add_parser("repos", help="create or delete repos on a running server")
    repos.add_argument("action", choices=["new", "delete"])
    repos.add_argument("args", nargs="*", help="new: ALIAS DESCRIPTION; delete: UUID")
    _server_options(repos)
    repos.set_defaults(run=cmd_repos)

    repo = sub.add_parser("repo", help="delete or rename a data instance on a running server")
    repo.add_argument("uuid")
    repo.add_argument("action", choices=["delete", "rename"])
    repo.add_argument("args", nargs="+", help="delete: NAME; rename: OLD NEW")
    _server_options(repo)
    repo.set_defaults(run=cmd_repo)
    return parser


def _server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", default="http://127.0.0.1:8000", help="the server's URL")
    parser.add_argument("--passcode", default="", help="the repo's passcode, if it has one")
    parser.add_argument("--admintoken", default="", help="the server's admin token, if it has one")


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from dvidpy.app import create_app

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(args.config, data=args.data, host=args.host, port=args.port, read_only=args.read_only)
    except ConfigError as exc:
        print(f"dvidpy: {exc}", file=sys.stderr)
        return 2
    app = create_app(config)
    print(f"dvidpy serving {config.data.resolve()} at http://{config.host}:{config.port}/api/", flush=True)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal with the handler
    # it found; a no-op one lets the process finish normally (exit 0) once the store is closed.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    uvicorn.run(app, host=config.host, port=config.port, lifespan="on", log_level="warning",
                timeout_keep_alive=30)
    print("dvidpy stopped; store closed", flush=True)
    return 0


def cmd_types(args: argparse.Namespace) -> int:
    plugins = Plugins(make_plugin_manager())
    width = max((len(n) for n in plugins.types), default=4)
    for name, reg in plugins.types.items():
        print(f"{name:<{width}}  {reg.datatype.version:<6}  {reg.plugin}")
    return 0


def _call(args: argparse.Namespace, method: str, path: str, body: dict | None = None, **query: str) -> str:
    params = {k: v for k, v in {**query, "passcode": args.passcode, "admintoken": args.admintoken}.items() if v}
    url = args.server.rstrip("/") + path + ("?" + urllib.parse.urlencode(params) if params else "")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request) as reply:
            return reply.read().decode()
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"dvidpy: {exc.code}: {exc.read().decode().strip()}")
    except urllib.error.URLError as exc:
        raise SystemExit(f"dvidpy: cannot reach {args.server}: {exc.reason}")


def cmd_repos(args: argparse.Namespace) -> int:
    if args.action == "new":
        alias, description = (args.args + ["", ""])[:2]
        body = {"alias": alias, "description": description}
        if args.passcode:
            body["passcode"] = args.passcode
        print(_call(args, "POST", "/api/repos", body))
    else:
        if len(args.args) != 1:
            raise SystemExit("dvidpy: repos delete takes the repo's UUID")
        print(_call(args, "DELETE", f"/api/repo/{args.args[0]}", imsure="true").strip())
    return 0


def cmd_repo(args: argparse.Namespace) -> int:
    if args.action == "delete":
        if len(args.args) != 1:
            raise SystemExit("dvidpy: repo UUID delete takes one data instance name")
        print(_call(args, "DELETE", f"/api/repo/{args.uuid}/instance/{args.args[0]}", imsure="true").strip())
    else:
        if len(args.args) != 2:
            raise SystemExit("dvidpy: repo UUID rename takes the old and the new name")
        old, new = args.args
        print(_call(args, "POST", f"/api/repo/{args.uuid}/instance/{old}/rename", {"name": new}).strip())
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        from dvidpy.benchmarks.__main__ import main as bench_main

        return bench_main(argv[1:])
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
