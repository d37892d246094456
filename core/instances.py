"""Data instances and the settings they are created with."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from dvidpy.codecs import Checksum, Compression, Kind
from dvidpy.errors import bad_request

#: The words after ``/api/node/{uuid}/`` that name node actions (core/routes/nodes.py routes
#: exactly these); no data instance may take one as its name, or its root URL would be lost.
RESERVED_NAMES = frozenset({"note", "log", "commit", "status", "newversion", "branch", "tag"})


class Settings(Mapping[str, Any]):
    """A creation or configuration body: JSON keys matched case-insensitively.

    DVID wants every value as a JSON string; clients also send numbers, booleans and lists,
    which are accepted here and read as their text (lists joined by commas).
    """

    def __init__(self, raw: Mapping[str, Any] | None = None) -> None:
        self._raw = {str(k).lower(): v for k, v in (raw or {}).items()}

    def __getitem__(self, key: str) -> Any:
        return self._raw[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._raw

    def text(self, key: str, default: str | None = None) -> str | None:
        """The setting as text, or ``default`` when absent."""
        if key not in self:
            return default
        value = self[key]
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return repr(value) if isinstance(value, float) else str(value)
        if isinstance(value, list) and all(isinstance(v, (int, float)) for v in value):
            return ",".join(str(v) for v in value)
        raise bad_request(f"Setting for '{key}' was not a string: {value!r}")

    def flag(self, key: str, default: bool) -> bool:
        """A boolean setting: JSON true/false or "true", "1", "false", "0" (any case)."""
        if key not in self:
            return default
        value = self[key]
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            t = value.strip().lower()
            if t in ("true", "1"):
                return True
            if t in ("false", "0"):
                return False
        raise bad_request(f"Illegal setting for '{key}' (must be true or false): {value!r}")

    def as_dict(self) -> dict[str, Any]:
        return dict(self._raw)


def parse_tags(text: str) -> dict[str, str]:
    """``"k1=v1,k2=v2"``; pairs without ``=`` or with an empty key are ignored (as DVID does)."""
    tags = {}
    for pair in text.split(","):
        key, sep, value = pair.partition("=")
        if sep and key.strip():
            tags[key.strip()] = value.strip()
    return tags


@dataclass
class Instance:
    """A named data instance of a datatype, living in one repo.

    ``config`` is the datatype's own state (plain values that msgpack can store); the core
    persists it with the repo and never looks inside.
    """

    name: str
    typename: str
    instance_id: int
    data_uuid: str
    root_uuid: str
    versioned: bool = True
    compression: Compression = field(default_factory=Compression)
    checksum: Checksum = Checksum.NONE
    tags: dict[str, str] | None = None
    syncs: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "typename": self.typename,
            "instance_id": self.instance_id,
            "data_uuid": self.data_uuid,
            "root_uuid": self.root_uuid,
            "versioned": self.versioned,
            "compression": [int(self.compression.kind), self.compression.level],
            "checksum": int(self.checksum),
            "tags": self.tags,
            "syncs": list(self.syncs),
            "config": self.config,
        }

    @classmethod
    def from_record(cls, rec: Mapping[str, Any]) -> Instance:
        kind, level = rec["compression"]
        return cls(
            name=rec["name"],
            typename=rec["typename"],
            instance_id=rec["instance_id"],
            data_uuid=rec["data_uuid"],
            root_uuid=rec["root_uuid"],
            versioned=rec["versioned"],
            compression=Compression(Kind(kind), level),
            checksum=Checksum(rec["checksum"]),
            tags=rec["tags"],
            syncs=list(rec["syncs"]),
            config=dict(rec["config"]),
        )
