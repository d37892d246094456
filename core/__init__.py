"""dvidpy: a versioned, image-oriented data server that speaks DVID's HTTP API.

This module is the plugin API: what a datatype plugin (built-in or third-party) may use is
exported here, together with the public service modules listed in :data:`PUBLIC_MODULES`
(``dvidpy.geometry``, ``dvidpy.codecs``, ``dvidpy.segmentation``, ``dvidpy.imaging``,
``dvidpy.native``). Everything else in the package
is the server's own and may change. ``docs/plugins.md`` documents every name::

    from dvidpy import hookimpl, Datatype, Endpoint, InstanceRequest
"""

from importlib.metadata import PackageNotFoundError, version

from dvidpy.datatypes import (
    ANY_VERB,
    MUTATING_VERBS,
    SYNC,
    Datatype,
    DatatypeRegistry,
    Endpoint,
    InstanceRequest,
    Region,
    RequestHead,
)
from dvidpy.errors import DVIDError, bad_request, not_found
from dvidpy.hookspecs import hookimpl
from dvidpy.instances import Instance, Settings
from dvidpy.json_io import json_response, json_text, parse_json
from dvidpy.limits import MAX_REQUEST_BYTES
from dvidpy.queries import query_flag
from dvidpy.storage.keys import (
    decode_index_zyx,
    from_key_order,
    index_zyx,
    indexes_zyx,
    tkey,
    tkey_class_range,
    to_key_order,
)
from dvidpy.storage.versioned import VersionConflict, VersionedStore

try:
    __version__ = version("dvidpy")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

#: The modules a plugin may import besides this one (and its own package).
PUBLIC_MODULES = ("dvidpy", "dvidpy.geometry", "dvidpy.codecs", "dvidpy.segmentation", "dvidpy.imaging",
                  "dvidpy.native")

__all__ = [
    "hookimpl",
    "Datatype",
    "DatatypeRegistry",
    "Endpoint",
    "SYNC",
    "ANY_VERB",
    "MUTATING_VERBS",
    "InstanceRequest",
    "RequestHead",
    "Region",
    "Instance",
    "Settings",
    "VersionedStore",
    "VersionConflict",
    "DVIDError",
    "bad_request",
    "not_found",
    "json_response",
    "json_text",
    "parse_json",
    "query_flag",
    "MAX_REQUEST_BYTES",
    "tkey",
    "tkey_class_range",
    "index_zyx",
    "decode_index_zyx",
    "indexes_zyx",
    "to_key_order",
    "from_key_order",
]
