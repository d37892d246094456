"""The documentation keeps up with the code: every hook, every public InstanceRequest member and
every configuration key is documented (as datasette's test_docs does)."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import pytest

from dvidpy import InstanceRequest, hookspecs
from dvidpy.config import SETTINGS
from dvidpy.storage.engine import ENGINES

DOCS = Path(__file__).resolve().parent.parent / "docs"
PLUGINS_DOC = (DOCS / "plugins.md").read_text()
CONFIG_DOC = (DOCS / "configuration.md").read_text()

HOOKS = [name for name, f in vars(hookspecs).items() if name.startswith("dvidpy_") and callable(f)]
REQUEST_MEMBERS = sorted(
    {f.name for f in dataclasses.fields(InstanceRequest) if not f.name.startswith("_")}
    | {name for name, _ in inspect.getmembers(InstanceRequest) if not name.startswith("_")}
)
CONFIG_KEYS = [(s.table, s.name) for s in SETTINGS] + [
    ("store", option) for spec in ENGINES.values() for option in spec.options
]


def test_there_is_something_to_check():
    assert HOOKS == ["dvidpy_register_datatypes", "dvidpy_region"]
    assert {"store", "region", "save_instance"} <= set(REQUEST_MEMBERS)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented(hook):
    assert f"### `{hook}(" in PLUGINS_DOC
    doc = getattr(hookspecs, hook).__doc__
    assert ":param" in doc and ":return:" in doc


@pytest.mark.parametrize("member", REQUEST_MEMBERS)
def test_every_public_request_member_is_documented(member):
    assert f"| `{member}" in PLUGINS_DOC


@pytest.mark.parametrize("table, key", CONFIG_KEYS)
def test_every_config_key_is_documented(table, key):
    assert f"| `[{table}]` | `{key}` |" in CONFIG_DOC
