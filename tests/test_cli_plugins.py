"""Plugins found through entry points and plugin blocking (the command line is tests/test_cli.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dvidpy.plugin_manager import Plugins, make_plugin_manager

ROOT = Path(__file__).resolve().parent.parent

PLUGIN_SOURCE = '''
from starlette.responses import Response
from dvidpy import ANY_VERB, Datatype, Endpoint, hookimpl


class Echo(Datatype):
    name = "echotype"
    version = "1.2"
    url = "example.org/echotype"
    help_text = "echotype: says what it is sent.\\n"

    endpoints = Datatype.endpoints + (Endpoint("echo", lambda dt, req: Response(req.body), ANY_VERB),)


@hookimpl
def dvidpy_register_datatypes(registry):
    registry.add(Echo())
'''


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch):
    """A separate distribution ``dvidpy-echo`` with an entry point, as ``pip install`` leaves one."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "dvidpy_echo.py").write_text(PLUGIN_SOURCE)
    dist = site / "dvidpy_echo-1.2.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: dvidpy-echo\nVersion: 1.2\n")
    (dist / "entry_points.txt").write_text("[dvidpy.plugins]\necho = dvidpy_echo\n")
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("dvidpy_echo", None)


def test_entry_point_plugin_is_loaded_like_a_builtin(installed_plugin, make_dvid):
    plugins = Plugins(make_plugin_manager(entry_points=True))
    assert plugins.types["echotype"].plugin == "dvidpy-echo 1.2 (echo)"
    dvid = make_dvid(lambda: Plugins(make_plugin_manager(entry_points=True)))
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "echotype", "e")
    assert dvid.ok("POST", f"/api/node/{uuid}/e/echo", content=b"hello").content == b"hello"
    assert dvid.ok("GET", "/api/server/types").json()["echotype"] == "example.org/echotype"
    assert dvid.ok("GET", "/api/help/echotype").text == "echotype: says what it is sent.\n"


def test_blocked_plugins_are_not_loaded(installed_plugin, monkeypatch):
    monkeypatch.setenv("DVIDPY_BLOCK_PLUGINS", "echo, dvidpy.plugins.roi")
    types = Plugins(make_plugin_manager(entry_points=True)).types
    assert "echotype" not in types
    assert "roi" not in types
    assert {"uint8blk", "labelblk"} <= set(types)
