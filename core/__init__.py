"""dvidpy's core: repos and versions, storage, the plugin framework and the HTTP app.

Plugins import what they need from here::

    from core import hookimpl, Datatype, InstanceRequest
"""

from core.datatypes import Datatype, DatatypeRegistry, InstanceRequest, Region, json_response
from core.errors import DVIDError, bad_request
from core.hookspecs import hookimpl
from core.instances import Instance, Settings
from core.storage.versioned import VersionedStore

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
