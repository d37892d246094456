"""Plugins found the way an outside package is found: through the ``dvidpy.plugins`` entry-point
group of an installed distribution (here a ``name-version.dist-info`` folder with METADATA and
entry_points.txt next to the module, on a temporary sys.path entry), plus the
DVIDPY_BLOCK_PLUGINS environment variable (core/plugins.py)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from dvidpy.plugin_manager import BLOCK_ENV, DEFAULT_PLUGINS, ENTRY_POINT_GROUP, Plugins, make_plugin_manager

TESTKV_DIR = Path(__file__).resolve().parent / "plugins" / "dvidpy_testkv"

ECHO_SOURCE = textwrap.dedent('''
    """A datatype an outside package ships: it answers what it is sent."""
    from starlette.responses import Response

    from dvidpy import ANY_VERB, Datatype, Endpoint, hookimpl


    class Echo(Datatype):
        name = "echotype"
        version = "1.2"
        url = "example.org/dvidpy-echo"
        help_text = "echotype: answers what it is sent.\\n"

        def echo(self, req):
            req.store.put(b"\\x10\\x01last", req.body)
            return Response(req.body, media_type="application/octet-stream")

        endpoints = Datatype.endpoints + (Endpoint("echo", echo, ANY_VERB),)


    @hookimpl
    def dvidpy_register_datatypes(registry):
        registry.add(Echo())
''')


def install(site: Path, dist: str, version: str, module: str, source: str | None, entry: str) -> None:
    """Lay out what ``pip install`` leaves: the module and its dist-info with an entry point."""
    if source is not None:
        (site / f"{module}.py").write_text(source)
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{entry} = {module}\n")


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A temporary site-packages on sys.path holding two installed plugin distributions:
    ``dvidpy-echo`` (written here) and ``dvidpy-testkv`` (tests/plugins/dvidpy_testkv)."""
    folder = tmp_path / "site-packages"
    folder.mkdir()
    install(folder, "dvidpy-echo", "1.2", "dvidpy_echo", ECHO_SOURCE, "echo")
    install(folder, "dvidpy-testkv", "0.3", "dvidpy_testkv", None, "testkv")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.syspath_prepend(str(TESTKV_DIR))
    monkeypatch.delenv(BLOCK_ENV, raising=False)
    yield folder
    sys.modules.pop("dvidpy_echo", None)


def entry_point_plugins() -> Plugins:
    return Plugins(make_plugin_manager(entry_points=True))


def test_entry_point_plugins_are_found(site):
    types = entry_point_plugins().types
    assert types["echotype"].plugin == "dvidpy-echo 1.2 (echo)"
    assert types["testkv"].plugin == "dvidpy-testkv 0.3 (testkv)"
    assert types["uint8blk"].plugin == "dvidpy.plugins.imageblk"
    assert list(types) == sorted(types)  # one name-sorted table, built-ins and outside plugins alike
    assert {"echotype", "testkv", "uint8blk", "labelblk", "roi"} <= set(types)


def test_without_entry_points_only_builtins(site):
    types = Plugins(make_plugin_manager(entry_points=False)).types
    assert "echotype" not in types and "testkv" not in types
    assert {reg.plugin for reg in types.values()} == set(DEFAULT_PLUGINS)


def test_entry_point_plugin_over_http(site, make_dvid):
    dvid = make_dvid(plugins_factory=entry_point_plugins)
    compiled = dvid.ok("GET", "/api/server/compiled-types").json()
    assert (compiled["echotype"], compiled["testkv"]) == ("example.org/dvidpy-echo", "example.org/dvidpy-testkv")
    assert dvid.ok("GET", "/api/server/types").json() == {}
    root = dvid.new_repo()
    dvid.new_instance(root, "echotype", "e")
    dvid.new_instance(root, "testkv", "kv")
    assert dvid.ok("GET", "/api/server/types").json() == {
        "echotype": "example.org/dvidpy-echo", "testkv": "example.org/dvidpy-testkv"}
    assert dvid.ok("POST", f"/api/node/{root}/e/echo", content=b"hello").content == b"hello"
    dvid.ok("POST", f"/api/node/{root}/kv/key/a", content=b"1")
    assert dvid.ok("GET", f"/api/node/{root}/kv/keys").json() == ["a"]
    assert dvid.ok("GET", "/api/help/echotype").text == "echotype: answers what it is sent.\n"
    assert "<li><a href='/api/help/echotype'>echotype</a></li>" in dvid.ok("GET", "/api/help").text
    info = dvid.ok("GET", f"/api/node/{root}/e/info").json()["Base"]
    assert (info["TypeName"], info["TypeURL"], info["TypeVersion"]) == ("echotype", "example.org/dvidpy-echo", "1.2")
    # the plugin's writes are versioned and locked like any other
    dvid.commit(root)
    path = f"/api/node/{root}/e/echo"
    r = dvid.post(path, content=b"late")
    assert (r.status_code, r.text) == (400, f'Cannot do POST on endpoint "echo" of locked node {root} ({path}).\n')
    dvid.restart()
    assert dvid.ok("GET", "/api/server/types").json()["echotype"] == "example.org/dvidpy-echo"


def test_instances_of_a_missing_plugin_do_not_hide_the_repo(site, make_dvid):
    """After a plugin is uninstalled (or blocked), its instances stay listed and the rest of the
    repo keeps working; requests to those instances name the missing type."""
    dvid = make_dvid(plugins_factory=entry_point_plugins)
    root = dvid.new_repo("keep", "me")
    dvid.new_instance(root, "testkv", "kv")
    dvid.new_instance(root, "uint8blk", "gray")
    dvid.ok("POST", f"/api/node/{root}/kv/key/a", content=b"1")
    dvid.plugins_factory = lambda: Plugins(make_plugin_manager(entry_points=False))
    dvid.restart()
    repo = dvid.ok("GET", "/api/repos/info").json()[root]
    assert repo["Alias"] == "keep"
    kv = repo["DataInstances"]["kv"]
    assert kv["Extended"] == {}
    assert (kv["Base"]["TypeName"], kv["Base"]["TypeURL"], kv["Base"]["TypeVersion"], kv["Base"]["Name"]) == (
        "testkv", "", "", "kv")
    assert dvid.ok("GET", f"/api/repo/{root}/info").json()["DataInstances"]["kv"] == kv
    assert dvid.ok("GET", "/api/server/types").json() == {"uint8blk": "github.com/janelia-flyem/dvid/datatype/imageblk/uint8.go"}
    for path in (f"/api/node/{root}/kv/key/a", f"/api/node/{root}/kv/info"):
        r = dvid.get(path)
        assert (r.status_code, r.text) == (400, f'Data type "testkv" is not supported by current DVID server ({path}).\n')
    path = f"/api/repo/{root}/instance"
    r = dvid.post(path, json={"typename": "testkv", "dataname": "kv2"})
    assert (r.status_code, r.text) == (400, f'Data type "testkv" is not supported by current DVID server ({path}).\n')
    assert dvid.ok("GET", f"/api/node/{root}/gray/info").json()["Base"]["Name"] == "gray"
    # reinstalled, the data is all there
    dvid.plugins_factory = entry_point_plugins
    dvid.restart()
    assert dvid.ok("GET", f"/api/node/{root}/kv/key/a").content == b"1"


@pytest.mark.parametrize("blocked, gone", [
    ("echo", {"echotype"}),
    ("testkv", {"testkv"}),
    ("echo, dvidpy.plugins.roi", {"echotype", "roi"}),
    (" dvidpy.plugins.imageblk ,", {"uint8blk", "uint16blk", "uint32blk", "uint64blk", "float32blk", "rgba8blk"}),
    ("", set()),
    ("not-a-plugin", set()),
])
def test_blocked_plugins(site, monkeypatch, blocked, gone):
    everything = set(entry_point_plugins().types)
    monkeypatch.setenv(BLOCK_ENV, blocked)
    assert set(entry_point_plugins().types) == everything - gone


def test_blocked_plugin_over_http(site, monkeypatch, make_dvid):
    monkeypatch.setenv(BLOCK_ENV, "echo")
    dvid = make_dvid(plugins_factory=entry_point_plugins)
    assert "echotype" not in dvid.ok("GET", "/api/server/compiled-types").json()
    root = dvid.new_repo()
    path = f"/api/repo/{root}/instance"
    r = dvid.post(path, json={"typename": "echotype", "dataname": "e"})
    assert (r.status_code, r.text) == (400, f'Data type "echotype" is not supported by current DVID server ({path}).\n')
    path = "/api/help/echotype"
    assert dvid.get(path).text == f'Data type "echotype" is not supported by current DVID server ({path}).\n'


def test_two_plugins_with_one_type_name_are_refused(site):
    clash = site / "dvidpy_clash.py"
    clash.write_text(ECHO_SOURCE.replace('name = "echotype"', 'name = "uint8blk"'))
    install(site, "dvidpy-clash", "0.1", "dvidpy_clash", None, "clash")
    try:
        with pytest.raises(ValueError, match="datatype 'uint8blk' registered by both dvidpy.plugins.imageblk and dvidpy-clash 0.1 \\(clash\\)"):
            entry_point_plugins()
    finally:
        sys.modules.pop("dvidpy_clash", None)


def test_type_without_a_name_is_refused(site, monkeypatch):
    (site / "dvidpy_nameless.py").write_text(ECHO_SOURCE.replace('name = "echotype"', 'name = ""'))
    install(site, "dvidpy-nameless", "0.1", "dvidpy_nameless", None, "nameless")
    try:
        with pytest.raises(ValueError, match="has no name"):
            entry_point_plugins()
        monkeypatch.setenv(BLOCK_ENV, "nameless")
        assert "echotype" in entry_point_plugins().types
    finally:
        sys.modules.pop("dvidpy_nameless", None)
