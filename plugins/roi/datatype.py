"""The roi datatype: creation settings, info JSON and the endpoint table."""

from __future__ import annotations

from typing import Any

from dvidpy.datatypes import Datatype, InstanceRequest
from dvidpy.errors import bad_request
from dvidpy.geometry import parse_ints
from dvidpy.instances import Instance, Settings
from dvidpy.storage.versioned import VersionedStore
from dvidpy.plugins.roi import routes
from dvidpy.plugins.roi.help import HELP
from dvidpy.plugins.roi.routes import DEFAULT_BLOCK_SIZE, block_size_of
from dvidpy.plugins.roi.spans import RoiRegion, load_spans, z_range


def parse_block_size(text: str) -> tuple[int, int, int]:
    """``"X,Y,Z"``: three positive integers."""
    values = parse_ints(text, ",", what="BlockSize")
    if len(values) != 3:
        raise bad_request(f"BlockSize must be 3d, not {len(values)}d")
    if any(v <= 0 for v in values):
        raise bad_request(f"BlockSize must be positive on every axis, not {text!r}")
    x, y, z = values
    return x, y, z


class RoiType(Datatype):
    name = "roi"
    version = "0.1"
    url = "github.com/janelia-flyem/dvid/datatype/roi"
    help_text = HELP
    non_mutating = frozenset({("POST", "ptquery")})

    def __init__(self) -> None:
        super().__init__()
        self.endpoints.update({
            "roi": routes.serve_roi,
            "ptquery": routes.serve_ptquery,
            "mask": routes.serve_mask,
            "partition": routes.serve_partition,
        })

    def create(self, settings: Settings, instance: Instance) -> None:
        # DVID's generic instance setup starts every instance versioned (roi's help says otherwise).
        if "versioned" not in settings:
            instance.versioned = True
        text = settings.text("BlockSize")
        block_size = DEFAULT_BLOCK_SIZE if text is None else parse_block_size(text)
        instance.config["block_size"] = list(block_size)

    def describe(self, instance: Instance, base: dict[str, Any]) -> dict[str, Any]:
        """Repo-level listing: no version, so MinZ/MaxZ (a per-version property here) are left out."""
        return {"Base": base, "Extended": {"BlockSize": list(block_size_of(instance))}}

    def info(self, req: InstanceRequest) -> dict[str, Any]:
        min_z, max_z = z_range(load_spans(req.store))
        extended = {"BlockSize": list(block_size_of(req.instance)), "MinZ": min_z, "MaxZ": max_z}
        return {"Base": req.base_info(), "Extended": extended}

    def region(self, instance: Instance, store: VersionedStore) -> RoiRegion:
        return RoiRegion(store, block_size_of(instance))
