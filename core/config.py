"""Server configuration: defaults, a TOML file, then command-line flags (each overriding the last).

Every key the file may hold is declared once in :data:`SETTINGS`, with its table, its type, its
DVID spelling where DVID has one, and a line of help; the loader is a loop over the file, and a
key or table that is not declared stops start-up with an error naming it, the nearest known
key and the known ones. dvidpy's own form::

    [server]
    data = "./dvidpy-data"     # the data folder (the LMDB store lives in it)
    host = "127.0.0.1"          # the address to listen on
    port = 8000

    [store]
    engine = "lmdb"
    sync = true                 # the engine's own options, as it declares them

DVID's own files are read too (keys match case-insensitively): ``httpAddress``, ``rwMode``,
``corsDomains``, ``note``, ``instance_id_start``, ``min_mutation_id_start``, ``[logging]``, and
its stores as ``[store.<nickname>]`` tables with ``[backend.default] store = "<nickname>"``.
DVID settings that mean nothing here (``rpcAddress``, ``webClient``, ``[auth]``, ...) are
refused by name rather than silently dropped.
"""

from __future__ import annotations

import difflib
import json
import os
import socket
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from dvidpy.limits import MAX_REQUEST_BYTES
from dvidpy.storage.engine import UnknownEngine, engine_spec

ADMIN_TOKEN_ENV = "DVID_ADMIN_TOKEN"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Config:
    data: Path = Path("dvidpy-data")
    host: str = "127.0.0.1"
    port: int = 8000
    read_only: bool = False
    full_write: bool = False
    max_throttled_ops: int = 1
    cors_domains: tuple[str, ...] = ("*",)
    note: str = ""
    admin_token: str = ""
    server_name: str = field(default_factory=socket.gethostname)
    engine: str = "lmdb"
    store_options: dict[str, Any] = field(default_factory=dict)
    instance_id_start: int = 1
    mutation_id_start: int = 1_000_000_000
    workers: int = 0  # 0: one per core (dvidpy.serving.default_workers)
    max_request_bytes: int = MAX_REQUEST_BYTES
    request_timeout: float = 120.0
    chunk_cache_mb: int = 128
    log_file: Path | None = None
    log_max_mb: int = 500
    log_max_days: int = 30
    toml_path: str = ""
    toml_text: str = ""

    @property
    def host_label(self) -> str:
        """DVID's ``Host`` of server info: the server name and the port."""
        return f"{self.server_name}:{self.port}"

    def with_overrides(self, **changes: Any) -> Config:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_json(self) -> str:
        """The whole configuration as JSON (handed to worker processes)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("data", "log_file"):
            values[name] = None if values[name] is None else str(values[name])
        return json.dumps(values)

    @classmethod
    def from_json(cls, text: str) -> Config:
        values = json.loads(text)
        for name in ("data", "log_file"):
            values[name] = None if values[name] is None else Path(values[name])
        values["cors_domains"] = tuple(values["cors_domains"])
        return cls(**values)


# -- value readers: each checks one type and names the key when it is wrong ---------------------------

Reader = Callable[[str, Any, Path], dict[str, Any]]


def as_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ConfigError(f"{key} must be an integer, not {value!r}")
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{key} must be an integer, not {value!r}") from None


def as_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ConfigError(f"{key} must be true or false, not {value!r}")


def as_seconds(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        raise ConfigError(f"{key} must be a positive number of seconds, not {value!r}")
    return float(value)


def as_str(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be a string, not {value!r}")
    return value


def as_strings(key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f'{key} must be a list of strings, such as ["*"], not {value!r}')
    return tuple(value)


def to_field(name: str, read: Callable[[str, Any], Any], *, lo: int | None = None, hi: int | None = None,
             label: str | None = None) -> Reader:
    """A reader that sets one :class:`Config` field from one key."""

    def reader(key: str, value: Any, base: Path) -> dict[str, Any]:
        parsed = read(label or key, value)
        if lo is not None and parsed < lo:
            raise ConfigError(f"{label or key} must be at least {lo}" if hi is None
                              else f"{label or key} must be between {lo} and {hi}, not {parsed}")
        if hi is not None and parsed > hi:
            raise ConfigError(f"{label or key} must be between {lo} and {hi}, not {parsed}")
        return {name: parsed}

    return reader


def to_path(name: str) -> Reader:
    """A path, relative to the TOML file's folder unless absolute."""

    def reader(key: str, value: Any, base: Path) -> dict[str, Any]:
        return {name: (base / as_str(key, value)).resolve()}

    return reader


def read_http_address(key: str, value: Any, base: Path) -> dict[str, Any]:
    host, colon, port = as_str(key, value).rpartition(":")
    if not colon:
        raise ConfigError(f"httpAddress must be host:port or :port, not {value!r}")
    port_number = as_int("httpAddress", port)
    if not 0 <= port_number <= 65535:
        raise ConfigError(f"port must be between 0 and 65535, not {port_number}")
    return {"host": host or "0.0.0.0", "port": port_number}


def read_rw_mode(key: str, value: Any, base: Path) -> dict[str, Any]:
    mode = str(value).lower()
    if mode not in ("", "readonly", "fullwrite"):
        raise ConfigError(f'rwMode must be "", "readonly" or "fullwrite", not {mode!r}')
    return {"read_only": mode == "readonly", "full_write": mode == "fullwrite"}


def read_mutation_start(key: str, value: Any, base: Path) -> dict[str, Any]:
    return {"mutation_id_start": max(Config.mutation_id_start, as_int(key, value))}


@dataclass(frozen=True)
class Setting:
    """One key a config file may hold: where, how it is read, DVID's spellings, and what it does."""

    table: str
    name: str
    read: Reader
    help: str
    aliases: tuple[str, ...] = ()


SETTINGS: tuple[Setting, ...] = (
    Setting("server", "data", to_path("data"), "the data folder; the LMDB store lives in it"),
    Setting("server", "host", to_field("host", as_str), "the address to listen on (127.0.0.1)"),
    Setting("server", "port", to_field("port", as_int, lo=0, hi=65535), "the port to listen on (8000)"),
    Setting("server", "httpAddress", read_http_address, "DVID's host:port or :port to listen on"),
    Setting("server", "server_name", to_field("server_name", as_str),
            "the name /api/server/info shows (this machine's name)"),
    Setting("server", "read_only", to_field("read_only", as_bool), "refuse every change (false)"),
    Setting("server", "rwMode", read_rw_mode, 'DVID\'s mode: "readonly", "fullwrite" or ""'),
    Setting("server", "max_throttled_ops", to_field("max_throttled_ops", as_int, lo=1, label="max_throttled_ops"),
            "how many throttle=on requests may run at once (1)", aliases=("throttle",)),
    Setting("server", "cors_domains", to_field("cors_domains", as_strings),
            'origins allowed by CORS (["*"]); [] sends no CORS headers', aliases=("corsDomains",)),
    Setting("server", "note", to_field("note", as_str), "free text shown by /api/server/note"),
    Setting("server", "workers", to_field("workers", as_int, lo=0, hi=256),
            "worker processes serving the port (0: one per core)"),
    Setting("server", "max_request_bytes", to_field("max_request_bytes", as_int, lo=1),
            "the most bytes one request's answer or decoded body may take (3 GiB, DVID's limit)"),
    Setting("server", "request_timeout", to_field("request_timeout", as_seconds),
            "seconds a request may work before it is stopped and its transaction released (120)"),
    Setting("server", "chunk_cache_mb", to_field("chunk_cache_mb", as_int, lo=0),
            "MB of encoded chunks (JPEG, compressed segmentation) each worker keeps (128); 0: none"),
    Setting("server", "admin_token", to_field("admin_token", as_str),
            "the admin token (also DVID_ADMIN_TOKEN); when set, admin routes need ?admintoken="),
    Setting("server", "instance_id_start", to_field("instance_id_start", as_int),
            "new data instance ids start at least from this"),
    Setting("server", "min_mutation_id_start", read_mutation_start,
            "mutation ids start at least from this (1000000000)"),
    Setting("store", "engine", to_field("engine", as_str), 'the storage engine ("lmdb")'),
    Setting("store", "path", to_path("store_path"), "DVID's store path: the data folder, unless data is set"),
    Setting("logging", "logfile", to_path("log_file"), "write the log to this file as well as to stderr"),
    Setting("logging", "max_log_size", to_field("log_max_mb", as_int, lo=1),
            "start a new log file past this many MB (500)"),
    Setting("logging", "max_log_age", to_field("log_max_days", as_int, lo=1),
            "delete rotated log files older than this many days (30)"),
)

#: DVID settings with no meaning in dvidpy, and why: refused by name, never dropped silently.
DVID_ONLY = {
    "rpcAddress": "dvidpy has no RPC server",
    "webClient": "dvidpy has no web console; / serves an index page",
    "webDefaultFile": "dvidpy has no web console; / serves an index page",
    "webRedirectPath": "dvidpy has no web console; / serves an index page",
    "interactiveOpsBeforeBlock": "dvidpy does not block background work",
    "shutdownDelay": "dvidpy drains requests on SIGTERM by itself",
    "noLabelmapSplit": "dvidpy has no labelmap",
    "blockListFile": "dvidpy has no request block list",
    "instance_id_gen": "dvidpy generates instance ids sequentially",
    "log": "dvidpy keeps no mutation log",
    "auth": "dvidpy's only access control is admin_token",
    "email": "dvidpy sends no email",
    "mutations": "dvidpy keeps no mutation log",
    "kafka": "dvidpy publishes no events to Kafka",
    "mutcache": "dvidpy has no labelmap",
    "cache": "dvidpy has no labelmap cache",
    "groupcache": "dvidpy has no groupcache",
    "mirror": "dvidpy does not mirror writes",
}

TABLES = ("server", "store", "logging", "backend")
_BY_NAME = {(s.table, n.lower()): s for s in SETTINGS for n in (s.name, *s.aliases)}
_DVID_ONLY = {k.lower(): (k, why) for k, why in DVID_ONLY.items()}


def load_config(path: str | None = None, **overrides: Any) -> Config:
    """Defaults, then the TOML file at ``path`` (if given), then ``overrides`` that are not None."""
    config = Config(admin_token=os.environ.get(ADMIN_TOKEN_ENV, ""))
    if path:
        config = _apply_toml(config, Path(path))
    return config.with_overrides(**overrides)


def _read_file(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text()
        return text, tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc


def _apply_toml(config: Config, path: Path) -> Config:
    text, doc = _read_file(path)
    unknown: list[str] = []
    tables: dict[str, dict[str, Any]] = {}
    for name, table in doc.items():
        lowered = name.lower()
        if lowered not in TABLES:
            unknown.append(_unknown(name, "table", TABLES))
        elif not isinstance(table, dict):
            raise ConfigError(f"[{lowered}] must be a table in {path}")
        else:
            tables[lowered] = table
    store_problems: list[str] = []
    store = _dvid_store(tables.get("store", {}), tables.pop("backend", {}), store_problems)
    changes: dict[str, Any] = {}
    engine_options: dict[str, Any] = {}
    for table_name, table in (("server", tables.get("server", {})), ("store", store),
                              ("logging", tables.get("logging", {}))):
        for key, value in table.items():
            setting = _BY_NAME.get((table_name, key.lower()))
            if setting is not None:
                changes.update(setting.read(key, value, path.parent))
            elif table_name == "store":
                engine_options[key] = value
            else:
                unknown.append(_unknown(key, f"key in [{table_name}]",
                                        [s.name for s in SETTINGS if s.table == table_name]))
    options = _engine_options(changes.get("engine", config.engine), engine_options, unknown)
    unknown += store_problems
    if unknown:
        raise ConfigError(f"{path}: " + "; ".join(unknown))
    return _settle(config, changes, options, path, text)


_READERS = {int: as_int, bool: as_bool, str: as_str}


def _engine_options(engine: str, given: dict[str, Any], unknown: list[str]) -> dict[str, Any]:
    """The ``[store]`` keys that are the engine's own options, checked against what it declares."""
    try:
        spec = engine_spec(engine)
    except UnknownEngine as exc:
        unknown.append(str(exc))
        return {}
    known = [s.name for s in SETTINGS if s.table == "store"] + list(spec.options)
    by_lower = {name.lower(): name for name in spec.options}
    options = {}
    for key, value in given.items():
        name = by_lower.get(key.lower())
        if name is None:
            unknown.append(_unknown(key, "key in [store]", known))
            continue
        option = spec.options[name]
        parsed = _READERS[option.type](name, value)
        if option.type is int and parsed < 1:
            raise ConfigError(f"{name} must be at least 1")
        options[name] = parsed
    return options


def _settle(config: Config, changes: dict[str, Any], options: dict[str, Any], path: Path, text: str) -> Config:
    """Combine what the keys said: flags that exclude each other, and which path wins."""
    store_path = changes.pop("store_path", None)
    if store_path is not None and "data" not in changes:
        changes["data"] = store_path
    if changes.get("read_only") and changes.get("full_write"):
        raise ConfigError("a server cannot be read-only and full-write at once")
    return replace(config, **changes, store_options=options, toml_path=str(path), toml_text=text)


def _dvid_store(store: dict[str, Any], backend: dict[str, Any], unknown: list[str]) -> dict[str, Any]:
    """DVID's nicknamed stores (``[store.raid6]``) picked by ``[backend.default] store``, as one
    plain ``[store]`` table; dvidpy's own flat ``[store]`` passes through unchanged."""
    nicknamed = {k: v for k, v in store.items() if isinstance(v, dict)}
    if not nicknamed:
        if backend:
            unknown.append("[backend] names DVID stores, but [store] holds no [store.<nickname>] tables")
        return store
    flat = [k for k in store if k not in nicknamed]
    if flat:
        unknown.append(f"[store] mixes keys ({', '.join(flat)}) with DVID's [store.<nickname>] tables")
    default = backend.get("default", {})
    for name, value in backend.items():
        if name != "default":
            unknown.append(f"[backend.{name}]: dvidpy keeps every instance in one store; use [backend.default]")
    for key in default:
        if key.lower() != "store":
            unknown.append(_unknown(key, "key in [backend.default]", ["store"]))
    chosen = default.get("store") if isinstance(default, dict) else None
    if chosen is None and len(nicknamed) == 1:
        chosen = next(iter(nicknamed))
    if chosen not in nicknamed:
        unknown.append(f"[backend.default] store must name one of the [store.<nickname>] tables "
                       f"({', '.join(sorted(nicknamed))}), not {chosen!r}")
        return {}
    for other in nicknamed:
        if other != chosen:
            unknown.append(f"[store.{other}]: dvidpy uses one store, [store.{chosen}]")
    return nicknamed[chosen]


def _unknown(key: str, where: str, known: Any) -> str:
    dvid = _DVID_ONLY.get(key.lower())
    if dvid is not None:
        return f"{dvid[0]} is a DVID setting that dvidpy does not support ({dvid[1]}); remove it"
    close = difflib.get_close_matches(key.lower(), [k.lower() for k in known], n=1, cutoff=0.6)
    hint = ""
    if close:
        hint = f" (did you mean {next(k for k in known if k.lower() == close[0])!r}?)"
    return f"unknown {where} {key!r}{hint}; known: {', '.join(known)}"
