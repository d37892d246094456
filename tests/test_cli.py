"""The ``dvidpy`` command line as a real subprocess (``python -m dvidpy``, what the ``dvidpy``
console script runs): --help, ``types``, ``serve`` on a free port stopped by SIGINT or SIGTERM
with exit code 0 and its data kept, ``serve --config``, and the admin commands."""

from __future__ import annotations

import json
import os
import signal

import pytest
from conftest import free_port
from served import ENV, ROOT, Served, cli, http_request

from dvidpy import __version__, native

VOLUME = "0_1_2/32_32_32/0_0_0"


def test_help():
    out = cli("--help")
    assert out.returncode == 0
    assert out.stdout.startswith("usage: dvidpy ")
    for command in ("serve", "types", "repos", "repo", "bench"):
        assert command in out.stdout
    out = cli("serve", "--help")
    assert out.returncode == 0
    for option in ("--data", "--host", "--port", "--config", "--read-only"):
        assert option in out.stdout


def test_no_command_is_a_usage_error():
    out = cli()
    assert out.returncode == 2
    assert "the following arguments are required: command" in out.stderr
    assert "Traceback" not in out.stderr


def test_types():
    out = cli("types")
    assert out.returncode == 0
    assert out.stdout.splitlines() == [
        "float32blk  0.1     dvidpy.plugins.imageblk",
        "labelblk    0.1     dvidpy.plugins.labelblk",
        "rgba8blk    0.2     dvidpy.plugins.imageblk",
        "roi         0.1     dvidpy.plugins.roi",
        "uint16blk   0.1     dvidpy.plugins.imageblk",
        "uint32blk   0.1     dvidpy.plugins.imageblk",
        "uint64blk   0.1     dvidpy.plugins.imageblk",
        "uint8blk    0.2     dvidpy.plugins.imageblk",
    ]


def test_types_lists_installed_and_hides_blocked_plugins(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    info = site / "dvidpy_testkv-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: dvidpy-testkv\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text("[dvidpy.plugins]\ntestkv = dvidpy_testkv\n")
    path = os.pathsep.join([str(ROOT), str(site), str(ROOT / "tests" / "plugins" / "dvidpy_testkv")])
    out = cli("types", env={**ENV, "PYTHONPATH": path})
    assert out.returncode == 0
    assert "testkv      0.3     dvidpy-testkv 0.3 (testkv)" in out.stdout.splitlines()
    out = cli("types", env={**ENV, "PYTHONPATH": path, "DVIDPY_BLOCK_PLUGINS": "testkv,dvidpy.plugins.roi"})
    names = [line.split()[0] for line in out.stdout.splitlines()]
    assert "testkv" not in names and "roi" not in names and "uint8blk" in names


@pytest.mark.parametrize("sig, workers", [(signal.SIGINT, 1), (signal.SIGTERM, 2)], ids=["SIGINT-1", "SIGTERM-2"])
def test_serve_stops_cleanly_on_a_signal_and_keeps_its_data(tmp_path, sig, workers):
    data = tmp_path / "data"
    server = Served(tmp_path, "--data", str(data), "--workers", str(workers))
    port = server.port
    info = server.json("GET", "/api/server/info")
    assert info["Host"].endswith(f":{port}") and info["Storage backend"] == "lmdb"
    root = server.json("POST", "/api/repos", b'{"alias": "cli", "description": "served"}')["root"]
    server.json("POST", f"/api/repo/{root}/instance", b'{"typename": "uint8blk", "dataname": "gray"}')
    volume = bytes(range(256)) * 128
    assert http_request(port, "POST", f"/api/node/{root}/gray/raw/{VOLUME}", volume) == (200, b"")
    assert http_request(port, "POST", f"/api/node/{root}/note", b'{"note": "before the signal"}') == (200, b"")
    server.json("POST", f"/api/node/{root}/commit", b'{"note": "committed"}')

    code, out = server.stop(sig)
    assert code == 0, server.stderr()
    lines = out.splitlines()
    processes = ", 2 worker processes" if workers == 2 else ""
    assert lines[0] == (f"dvidpy {__version__} serving http://127.0.0.1:{port}/ (data {data.resolve()}, "
                        f"engine lmdb{processes}, hot path {native.PATH})")
    assert lines[-1] == "dvidpy stopped; store closed"
    assert "Traceback" not in server.stderr()

    server = Served(tmp_path, "--data", str(data))
    port = server.port
    try:
        assert http_request(port, "GET", f"/api/node/{root}/gray/raw/{VOLUME}") == (200, volume)
        repo = server.json("GET", "/api/repos/info")[root]
        assert (repo["Alias"], repo["Description"]) == ("cli", "served")
        assert repo["DAG"]["Nodes"][root]["Locked"] is True
        assert server.json("GET", f"/api/node/{root}/note") == {"note": "committed"}
    finally:
        code, _ = server.stop(signal.SIGTERM)
    assert code == 0


def test_serve_with_a_config_file(tmp_path):
    port = free_port()
    config = tmp_path / "server.toml"
    config.write_text(f"""
[server]
data = "cfgdata"
port = {port}
server_name = "mygreatserver.test.com"
note = "configured"
read_only = true
max_throttled_ops = 2
workers = 1
""")
    server = Served(tmp_path, "--config", str(config), free_port=False)
    try:
        info = server.json("GET", "/api/server/info")
        assert (info["Host"], info["Note"], info["Mode"], info["TOML location"]) == (
            f"mygreatserver.test.com:{port}", "configured", "read only", str(config))
        assert http_request(port, "GET", "/api/server/note") == (200, b"configured")
        status, body = http_request(port, "POST", "/api/repos", b"{}")
        assert (status, body) == (
            400, b"Creating a repo requires admin privileges (admintoken) on a server that is not read-only (/api/repos).\n")
        assert (tmp_path / "cfgdata").is_dir()  # relative to the TOML file
    finally:
        code, out = server.stop(signal.SIGINT)
    assert code == 0
    assert out.splitlines()[0] == (f"dvidpy {__version__} serving http://127.0.0.1:{port}/ "
                                   f"(data {(tmp_path / 'cfgdata').resolve()}, engine lmdb, read-only, "
                                   f"hot path {native.PATH})")


def test_flags_override_the_config_file(tmp_path):
    port = free_port()
    config = tmp_path / "server.toml"
    config.write_text('[server]\nport = 1\ndata = "fromfile"\n')
    server = Served(tmp_path, "--config", str(config), "--port", str(port), "--data", str(tmp_path / "fromflag"),
                    "--read-only")
    try:
        assert server.json("GET", "/api/server/info")["Mode"] == "read only"
        assert (tmp_path / "fromflag").is_dir() and not (tmp_path / "fromfile").exists()
    finally:
        code, _ = server.stop()
    assert code == 0


@pytest.mark.parametrize("text, message", [
    ('[server]\nport = "abc"\n', "dvidpy: port must be an integer, not 'abc'"),
    ('[server]\nrwMode = "maybe"\n', 'dvidpy: rwMode must be "", "readonly" or "fullwrite", not \'maybe\''),
])
def test_serve_with_a_bad_config_file(tmp_path, text, message):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    out = cli("serve", "--config", str(config), cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip() == message
    out = cli("serve", "--config", str(tmp_path / "missing.toml"), cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith(f"dvidpy: cannot read config file {tmp_path / 'missing.toml'}")


def test_admin_commands_against_a_running_server(tmp_path):
    server = Served(tmp_path, "--data", str(tmp_path / "data"))
    port = server.port
    url = f"http://127.0.0.1:{port}"
    try:
        out = cli("repos", "new", "myalias", "my description", "--server", url, "--passcode", "pw")
        assert out.returncode == 0, out.stderr
        root = json.loads(out.stdout)["root"]
        server.json("POST", f"/api/repo/{root}/instance", b'{"typename": "roi", "dataname": "old"}')
        out = cli("repo", root, "rename", "old", "new", "--server", url, "--passcode", "pw")
        assert (out.returncode, out.stdout) == (0, 'Renamed data instance "old" to "new"\n')
        out = cli("repo", root, "delete", "new", "--server", url)
        assert out.returncode == 1
        assert out.stderr.strip() == (
            f"dvidpy: 400: repo {root} has a passcode; give it as ?passcode= (/api/repo/{root}/instance/new).")
        out = cli("repo", root, "delete", "new", "--server", url, "--passcode", "pw")
        assert (out.returncode, out.stdout) == (0, f'Deleted data instance "new" from repo {root}\n')
        assert server.json("GET", f"/api/repo/{root}/info")["DataInstances"] == {}
        out = cli("repos", "delete", root, "--server", url, "--passcode", "pw")
        assert (out.returncode, out.stdout) == (0, f"Deleted repo {root}\n")
        assert server.json("GET", "/api/repos/info") == {}
    finally:
        code, _ = server.stop()
    assert code == 0
    out = cli("repos", "new", "x", "--server", url)
    assert out.returncode == 1
    assert out.stderr.startswith(f"dvidpy: cannot reach {url}")
