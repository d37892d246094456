"""The plugin manager: built-in plugins, entry-point plugins, and a typed facade over them.

Built-in datatypes are registered exactly like third-party ones; the only difference is where
they are found (this list instead of the ``dvidpy.plugins`` entry-point group). Set
``DVIDPY_BLOCK_PLUGINS=name1,name2`` to keep plugins from loading.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from types import ModuleType

import pluggy

from dvidpy import hookspecs
from dvidpy.datatypes import DatatypeRegistry, Region, RegisteredType
from dvidpy.instances import Instance
from dvidpy.storage.versioned import VersionedStore

ENTRY_POINT_GROUP = "dvidpy.plugins"
DEFAULT_PLUGINS = ("dvidpy.plugins.imageblk", "dvidpy.plugins.labelblk", "dvidpy.plugins.roi")
BLOCK_ENV = "DVIDPY_BLOCK_PLUGINS"


def make_plugin_manager(
    *,
    builtins: bool = True,
    entry_points: bool = True,
    extra: Iterable[ModuleType | object] = (),
) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in filter(None, (n.strip() for n in os.environ.get(BLOCK_ENV, "").split(","))):
        pm.set_blocked(name)
    if builtins:
        for module_name in DEFAULT_PLUGINS:
            if not pm.is_blocked(module_name):
                pm.register(importlib.import_module(module_name), name=module_name)
    if entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in extra:
        pm.register(plugin)
    pm.check_pending()
    return pm


class Plugins:
    """What the core needs from its plugins, resolved once at start-up into plain dicts."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self.types: dict[str, RegisteredType] = self._collect_types()

    def _collect_types(self) -> dict[str, RegisteredType]:
        registry = DatatypeRegistry()
        for impl in self.pm.hook.dvidpy_register_datatypes.get_hookimpls():
            with registry.from_plugin(self._source(impl.plugin_name)) as reg:
                impl.function(registry=reg)
        return dict(sorted(registry.types.items()))

    def _source(self, plugin_name: str) -> str:
        for dist_plugin, dist in self.pm.list_plugin_distinfo():
            if self.pm.get_name(dist_plugin) == plugin_name:
                return f"{dist.project_name} {dist.version} ({plugin_name})"
        return plugin_name

    def region(self, instance: Instance, store: VersionedStore) -> Region | None:
        return self.pm.hook.dvidpy_region(instance=instance, store=store)
