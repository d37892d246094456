"""Server configuration: defaults, a TOML file, then command-line flags (each overriding the last).

The TOML file uses a ``[server]`` table (and an optional ``[store]`` table)::

    [server]
    data = "./dvidpy-data"     # the data folder (the LMDB store lives in it)
    host = "127.0.0.1"          # the address to listen on
    port = 8000
    server_name = "myhost"     # the name /api/server/info shows (default: this machine's)
    read_only = false          # or DVID's rwMode = "readonly" | "fullwrite"
    max_throttled_ops = 1      # how many throttle=on requests may run at once
    cors_domains = ["*"]       # [] sends no CORS headers
    note = "free text shown by /api/server/note"
    admin_token = ""           # also from the DVID_ADMIN_TOKEN environment variable

    [store]
    engine = "lmdb"
    map_size = 68719476736     # starting LMDB map size in bytes; it grows by itself
    sync = true                # false trades durability for ingest speed

DVID's own key names (``httpAddress`` for host and port, ``rwMode``, ``corsDomains``, ``instance_id_start``,
``min_mutation_id_start``) are accepted too; keys are matched case-insensitively.
"""

from __future__ import annotations

import os
import socket
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

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
    toml_path: str = ""
    toml_text: str = ""

    @property
    def host_label(self) -> str:
        """DVID's ``Host`` of server info: the server name and the port."""
        return f"{self.server_name}:{self.port}"

    def with_overrides(self, **changes: Any) -> Config:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _lower_keys(table: dict[str, Any]) -> dict[str, Any]:
    return {k.lower(): v for k, v in table.items()}


def load_config(path: str | None = None, **overrides: Any) -> Config:
    """Defaults, then the TOML file at ``path`` (if given), then ``overrides`` that are not None."""
    config = Config(admin_token=os.environ.get(ADMIN_TOKEN_ENV, ""))
    if path:
        config = _apply_toml(config, Path(path))
    return config.with_overrides(**overrides)


def _int(table: dict[str, Any], key: str, *, name: str | None = None) -> int:
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ConfigError(f"{name or key} must be an integer, not {value!r}")
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name or key} must be an integer, not {value!r}") from None


def _bool(table: dict[str, Any], key: str) -> bool:
    value = table[key]
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ConfigError(f"{key} must be true or false, not {value!r}")


def _strings(table: dict[str, Any], key: str) -> tuple[str, ...]:
    value = table[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key} must be a list of strings, such as [\"*\"], not {value!r}")
    return tuple(value)


def _apply_toml(config: Config, path: Path) -> Config:
    try:
        text = path.read_text()
        doc = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    doc = _lower_keys(doc)
    for table in ("server", "store"):
        if not isinstance(doc.get(table, {}), dict):
            raise ConfigError(f"[{table}] must be a table in {path}")
    server = _lower_keys(doc.get("server", {}))
    store = _lower_keys(doc.get("store", {}))
    changes: dict[str, Any] = {"toml_path": str(path), "toml_text": text}
    base = path.parent

    if "data" in server:
        changes["data"] = (base / str(server["data"])).resolve()
    if "host" in server:
        changes["host"] = str(server["host"])
    if "server_name" in server:
        changes["server_name"] = str(server["server_name"])
    if "httpaddress" in server:
        host, colon, port = str(server["httpaddress"]).rpartition(":")
        if not colon:
            raise ConfigError(f"httpAddress must be host:port or :port, not {server['httpaddress']!r}")
        changes["host"] = host or "0.0.0.0"
        changes["port"] = _int({"httpAddress": port}, "httpAddress")
    if "port" in server:
        changes["port"] = _int(server, "port")
    if not 0 <= changes.get("port", config.port) <= 65535:
        raise ConfigError(f"port must be between 0 and 65535, not {changes['port']}")
    mode = str(server.get("rwmode", "")).lower()
    if mode not in ("", "readonly", "fullwrite"):
        raise ConfigError(f'rwMode must be "", "readonly" or "fullwrite", not {mode!r}')
    changes["read_only"] = _bool(server, "read_only") if "read_only" in server else mode == "readonly"
    changes["full_write"] = mode == "fullwrite"
    if changes["read_only"] and changes["full_write"]:
        raise ConfigError("a server cannot be read-only and full-write at once")
    if "max_throttled_ops" in server or "throttle" in server:
        key = "max_throttled_ops" if "max_throttled_ops" in server else "throttle"
        changes["max_throttled_ops"] = _int(server, key, name="max_throttled_ops")
        if changes["max_throttled_ops"] < 1:
            raise ConfigError("max_throttled_ops must be at least 1")
    for key in ("cors_domains", "corsdomains"):
        if key in server:
            changes["cors_domains"] = _strings(server, key)
            break
    for key in ("note", "admin_token"):
        if key in server:
            changes[key] = str(server[key])
    if "instance_id_start" in server:
        changes["instance_id_start"] = _int(server, "instance_id_start")
    if "min_mutation_id_start" in server:
        changes["mutation_id_start"] = max(config.mutation_id_start, _int(server, "min_mutation_id_start"))
    if "engine" in store:
        changes["engine"] = str(store["engine"])
    options = {k: v for k, v in store.items() if k not in ("engine", "path")}
    if "map_size" in options:
        options["map_size"] = _int(options, "map_size")
    if "sync" in options:
        options["sync"] = _bool(options, "sync")
    if "path" in store and "data" not in server:
        changes["data"] = (base / str(store["path"])).resolve()
    changes["store_options"] = options
    return replace(config, **changes)
