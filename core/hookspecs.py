"""The plugin contract: the hooks a dvidpy plugin may implement. Nothing else lives here.

A plugin is a module (or object) with functions decorated by ``dvidpy.hookimpl``. Built-in
datatypes and third-party packages (entry-point group ``dvidpy.plugins``) use the same hooks.
The core calls these hooks at start-up and once per request at most, never per block.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from dvidpy.datatypes import DatatypeRegistry, Region
    from dvidpy.instances import Instance
    from dvidpy.storage.versioned import VersionedStore

PROJECT = "dvidpy"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def dvidpy_register_datatypes(registry: DatatypeRegistry) -> None:
    """Register this plugin's datatypes by calling ``registry.add(datatype)`` for each."""


@hookspec(firstresult=True)
def dvidpy_region(instance: Instance, store: VersionedStore) -> Region | None:
    """Offer ``instance`` as a region of interest read through ``store``, or return None.

    Datatypes use this to honour ``roi=<name>`` without knowing which plugin stores ROIs:
    the first plugin that recognises the instance's type answers with a :class:`Region`.
    """
