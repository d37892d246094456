"""The ``dvidpy`` command: ``serve``, ``types``, and admin commands against a running server."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dvidpy import __version__
from dvidpy.client import Client, DVIDClientError
from dvidpy.client.commands import add_commands
from dvidpy.config import ConfigError, load_config
from dvidpy.plugin_manager import Plugins, make_plugin_manager
from dvidpy.storage.engine import UnknownEngine, engine_spec


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dvidpy",
        description="A versioned, image-oriented data server that speaks DVID's HTTP API.",
    )
    parser.add_argument("--version", action="version", version=f"dvidpy {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server (on an embedded LMDB store, or PostgreSQL)")
    serve.add_argument("config_file", nargs="?", metavar="CONFIG.toml",
                       help="a TOML configuration file (dvidpy's or DVID's); the same as --config")
    serve.add_argument("--data", type=Path, help="data folder (default ./dvidpy-data)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--config", help="a TOML configuration file")
    serve.add_argument("--read-only", action="store_true", default=None, help="refuse every change")
    serve.add_argument("--engine", help='the storage engine: "lmdb" (default) or "postgres" (DSN in DVIDPY_PG_DSN)')
    serve.add_argument("--workers", type=int, help="worker processes serving the port (default: one per core)")
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

    add_commands(sub)
    return parser


def _server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", default="http://127.0.0.1:8000", help="the server's URL")
    parser.add_argument("--passcode", default="", help="the repo's passcode, if it has one")
    parser.add_argument("--admintoken", default="", help="the server's admin token, if it has one")


def cmd_serve(args: argparse.Namespace) -> int:
    from dvidpy.logs import configure_logging
    from dvidpy.serving import serve

    if args.config_file and args.config:
        print("dvidpy: give the config file once, as an argument or with --config", file=sys.stderr)
        return 2
    try:
        config = load_config(args.config_file or args.config, data=args.data, host=args.host, port=args.port,
                             read_only=args.read_only, workers=args.workers, engine=args.engine)
        engine_spec(config.engine)  # a misspelled --engine stops here
        if config.workers < 0:
            raise ConfigError(f"--workers must be 0 (one per core) or more, not {config.workers}")
        configure_logging(config, args.log_level)
        return serve(config, args.log_level)
    except (ConfigError, UnknownEngine) as exc:
        print(f"dvidpy: {exc}", file=sys.stderr)
        return 2


def cmd_types(args: argparse.Namespace) -> int:
    plugins = Plugins(make_plugin_manager())
    width = max((len(n) for n in plugins.types), default=4)
    for name, reg in plugins.types.items():
        print(f"{name:<{width}}  {reg.datatype.version:<6}  {reg.plugin}")
    return 0


def _client(args: argparse.Namespace) -> Client:
    return Client(args.server, admintoken=args.admintoken)


def cmd_repos(args: argparse.Namespace) -> int:
    with _client(args) as client:
        if args.action == "new":
            alias, description = (args.args + ["", ""])[:2]
            repo = client.new_repo(alias, description, passcode=args.passcode)
            print(json.dumps({"root": repo.uuid}))
        else:
            if len(args.args) != 1:
                raise SystemExit("dvidpy: repos delete takes the repo's UUID")
            print(client.delete_repo(args.args[0], passcode=args.passcode))
    return 0


def cmd_repo(args: argparse.Namespace) -> int:
    with _client(args) as client:
        repo = client.repo(args.uuid)
        if args.action == "delete":
            if len(args.args) != 1:
                raise SystemExit("dvidpy: repo UUID delete takes one data instance name")
            print(repo.delete_instance(args.args[0], passcode=args.passcode))
        else:
            if len(args.args) != 2:
                raise SystemExit("dvidpy: repo UUID rename takes the old and the new name")
            print(repo.rename_instance(*args.args, passcode=args.passcode))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        from dvidpy.benchmarks.__main__ import main as bench_main

        return bench_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except DVIDClientError as exc:
        print(f"dvidpy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
