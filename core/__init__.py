"""dvidpy's core: repos and versions, storage, the plugin framework and the HTTP app.

Plugins import what they need from here::

    from dvidpy import hookimpl, Datatype, InstanceRequest
"""

from importlib.metadata import PackageNotFoundError, version

from dvidpy.datatypes import Datatype, DatatypeRegistry, InstanceRequest, Region, json_response
from dvidpy.errors import DVIDError, bad_request
from dvidpy.hookspecs import hookimpl
from dvidpy.instances import Instance, Settings
from dvidpy.storage.versioned import VersionedStore

try:
    __version__ = version("dvidpy")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = [
    "hookimpl",
    "Datatype",
    "DatatypeRegistry",
    "InstanceRequest",
    "Region",
    "Instance",
    "Settings",
    "VersionedStore",
    "DVIDError",
    "bad_request",
    "json_response",
]
