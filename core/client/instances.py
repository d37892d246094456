"""Data instances: what every type has (info, help, tags), creation settings, and the choice of
handle for a type (:class:`~dvidpy.client.volumes.Volume` for the image types,
:class:`~dvidpy.client.volumes.Labels` for labelblk, :class:`~dvidpy.client.rois.ROI` for roi).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dvidpy.client.paths import quoted
from dvidpy.client.transport import Transport

if TYPE_CHECKING:
    from dvidpy.client.nodes import Node


def settings_body(settings: Mapping[str, Any]) -> dict[str, str]:
    """Creation settings as DVID wants them: every value a string.

    Coordinates in DVID's settings are x,y,z; to keep that from being mixed up with this
    client's (z, y, x), only strings, numbers and booleans are taken, never sequences.
    """
    body = {}
    for key, value in settings.items():
        if isinstance(value, bool):
            body[key] = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            body[key] = str(value)
        else:
            raise TypeError(f'setting {key}: give DVID\'s own string, e.g. {key}="64,64,64" (x,y,z), not {value!r}')
    return body


class Instance:
    """A data instance seen from one version: ``node`` and ``name``, its info, help and tags."""

    def __init__(self, node: Node, name: str, info: dict[str, Any]) -> None:
        self.node = node
        self.name = name
        self._info = info

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r} at {self.node.uuid[:8]}, {self.typename})"

    @property
    def transport(self) -> Transport:
        return self.node.transport

    @property
    def path(self) -> str:
        """``api/node/<uuid>/<name>``: the instance's endpoints are below it."""
        return f"{self.node.path}/{quoted(self.name)}"

    @property
    def typename(self) -> str:
        return self._info["Base"]["TypeName"]

    def info(self) -> dict[str, Any]:
        """``GET .../info``, fetched anew (extents change as data is written)."""
        self._info = self.transport.get_json(f"{self.path}/info")
        return self._info

    def help(self) -> str:
        return self.transport.get(f"{self.path}/help").decode()

    def tags(self) -> dict[str, str]:
        return self.transport.get_json(f"{self.path}/tags")["Tags"] or {}

    def set_tags(self, tags: Mapping[str, str], *, replace: bool = False) -> None:
        params = {"replace": "true"} if replace else {}
        self.transport.post(f"{self.path}/tags", json.dumps(dict(tags)).encode(), params=params)

    def at(self, node: Node) -> Instance:
        """The same instance seen from another version."""
        return node.instance(self.name)


#: Types whose raw transfers take ``compression=lz4`` and that answer ``label``/``labels``:
#: labelblk, and DVID's newer label types, which document the same endpoints.
LABEL_TYPES = ("labelblk", "labelarray", "labelmap")


def open_instance(node: Node, name: str, info: dict[str, Any]) -> Instance:
    from dvidpy.client.rois import ROI
    from dvidpy.client.volumes import Labels, Volume

    typename = info["Base"]["TypeName"]
    if typename in LABEL_TYPES:
        return Labels(node, name, info)
    if typename == "roi":
        return ROI(node, name, info)
    if "BlockSize" in info.get("Extended", {}) and info["Extended"].get("Values"):
        return Volume(node, name, info)
    return Instance(node, name, info)
