"""The plugin API holds: built-in plugins import only what a third-party plugin may, and each
datatype's endpoint table and help text name the same endpoints."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import dvidpy
from dvidpy import ANY_VERB, Datatype, Endpoint
from dvidpy.plugin_manager import Plugins, make_plugin_manager

ROOT = Path(__file__).resolve().parent.parent
BUILTINS = ROOT / "plugins"
#: What a plugin may import besides the public modules: itself, and the hookless library.
OWN = ("dvidpy.plugins.",)


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
        elif isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
    return out


@pytest.mark.parametrize("path", sorted(BUILTINS.rglob("*.py")), ids=lambda p: str(p.relative_to(BUILTINS)))
def test_built_in_plugins_import_only_the_public_api(path):
    private = [
        m for m in imported_modules(path)
        if m.startswith("dvidpy") and m not in dvidpy.PUBLIC_MODULES and not m.startswith(OWN)
    ]
    assert private == [], f"{path.name} imports non-public core modules"


def test_the_check_catches_a_private_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from dvidpy.server import Server\nfrom dvidpy import hookimpl\nimport dvidpy.storage.keys\n")
    found = [m for m in imported_modules(bad) if m not in dvidpy.PUBLIC_MODULES and not m.startswith(OWN)]
    assert found == ["dvidpy.server", "dvidpy.storage.keys"]


def test_every_public_name_exists():
    for name in dvidpy.__all__:
        assert hasattr(dvidpy, name), name


def test_plugins_depend_on_the_library_not_on_each_other():
    for plugin in ("imageblk", "labelblk", "roi"):
        for path in (BUILTINS / plugin).glob("*.py"):
            others = [m for m in imported_modules(path)
                      if m.startswith("dvidpy.plugins.") and not m.startswith(("dvidpy.plugins.blockvolume",
                                                                                 f"dvidpy.plugins.{plugin}"))]
            assert others == [], f"{plugin}/{path.name} imports another plugin: {others}"


# -- endpoint tables and help texts ------------------------------------------------------------------------

DATATYPES = Plugins(make_plugin_manager(entry_points=False)).types
HELP_KEYWORD = re.compile(r"<data>/([a-z]+)|^(?:GET|POST|PUT|DELETE|HEAD)(?:, ?(?:GET|POST|PUT|DELETE))*\s+([a-z]+)\b",
                          re.M)
HELP_ROOT = re.compile(r"^POST\s+<data>\s", re.M)


def help_keywords(text: str) -> set[str]:
    found = {a or b for a, b in HELP_KEYWORD.findall(text)}
    if HELP_ROOT.search(text):
        found.add("")
    return found


@pytest.mark.parametrize("typename", sorted(DATATYPES))
def test_help_and_endpoint_table_agree(typename):
    datatype = DATATYPES[typename].datatype
    table = {e.keyword for e in type(datatype).endpoints}
    assert help_keywords(datatype.help_text) == table


@pytest.mark.parametrize("typename", sorted(DATATYPES))
def test_every_endpoint_is_declared_once(typename):
    keywords = [e.keyword for e in type(DATATYPES[typename].datatype).endpoints]
    assert len(keywords) == len(set(keywords))


def test_the_table_drives_refusals_and_mutations():
    class Probe(Datatype):
        name = "probe"
        verbs = ("GET", "POST")
        refusal = "probe takes GET and POST, not {method}"

        def look(self, req):
            raise AssertionError("not called")

        endpoints = Datatype.endpoints + (
            Endpoint("look", look, ("GET",), "look is read-only, not {method} on {name}"),
            Endpoint("ask", look, ("POST",), mutates=()),
            Endpoint("any", look, ANY_VERB),
        )

    probe = Probe()
    assert probe.endpoint("look").takes("HEAD") and not probe.endpoint("look").takes("POST")
    assert [probe.is_mutation(m, "look") for m in ("GET", "POST", "DELETE")] == [False, True, True]
    assert probe.is_mutation("POST", "ask") is False
    assert probe.is_mutation("POST", "unknown") is True
    assert probe.is_mutation("POST", "help") is True
