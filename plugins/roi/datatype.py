"""The roi datatype: creation settings, info JSON and the endpoint table."""

from __future__ import annotations

from typing import Any

from dvidpy import Datatype, Endpoint, Instance, InstanceRequest, Settings, VersionedStore
from dvidpy.geometry import DEFAULT_BLOCK_SIZE
from dvidpy.plugins.roi import routes
from dvidpy.plugins.roi.config import block_size_of, parse_block_size
from dvidpy.plugins.roi.help import HELP
from dvidpy.plugins.roi.spans import RoiRegion, load_spans, z_range


class RoiType(Datatype):
    name = "roi"
    version = "0.1"
    url = "github.com/janelia-flyem/dvid/datatype/roi"
    help_text = HELP
    endpoints = Datatype.endpoints + (
        Endpoint("roi", routes.roi, ("GET", "POST", "DELETE"), "roi endpoint supports GET, POST and DELETE, not {method}"),
        # a query sent with POST: it changes nothing, so committed nodes answer it (as DVID)
        Endpoint("ptquery", routes.ptquery, ("POST",), "ptquery requires POST with list of points", mutates=()),
        Endpoint("mask", routes.mask, ("GET",), "ROI mask only supports GET", size=routes.mask_size),
        Endpoint("partition", routes.partition, ("GET",), "partition only supports GET request"),
    )

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
