"""The plugin contract: the hooks a dvidpy plugin may implement. Nothing else lives here.

A plugin is a module (or object) with functions decorated by ``dvidpy.hookimpl``. Built-in
datatypes and third-party packages (entry-point group ``dvidpy.plugins``) use the same hooks.
The core calls these hooks at start-up and once per request at most, never per block.
``docs/plugins.md`` explains them with examples.
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
    """Register this plugin's datatypes.

    Called once when the server builds its plugin manager, before it serves any request; every
    plugin's implementation is called.

    :param registry: call ``registry.add(datatype)`` once per :class:`~dvidpy.Datatype`
        instance. A datatype without a ``name``, or with a name another plugin registered
        already, raises ``ValueError``, and the server does not start.
    :return: nothing; what counts is what was added to ``registry``.
    """


@hookspec(firstresult=True)
def dvidpy_region(instance: Instance, store: VersionedStore) -> Region | None:
    """Offer ``instance`` as a region of interest read through ``store``, or return None.

    Called while a request runs, when it names another instance with ``?roi=<name>``; the
    first non-None result wins, so a plugin answers only for instances of its own types.
    Datatypes use this to honour ``roi=`` without knowing which plugin stores ROIs.

    :param instance: the named instance, of any datatype.
    :param store: that instance's data at the requesting request's version, inside the
        request's transaction.
    :return: a :class:`~dvidpy.Region` (``block_size`` and ``contains_blocks``), or None when
        ``instance`` is not a region this plugin knows. An exception raised here fails the
        request (a :class:`~dvidpy.DVIDError` with its status and message).
    """
