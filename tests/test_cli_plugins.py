"""Plugins found through entry points, plugin blocking, and the ``dvidpy`` command line."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import free_port
from dvidpy.plugin_manager import Plugins, make_plugin_manager

ROOT = Path(__file__).resolve().parent.parent

PLUGIN_SOURCE = '''
from starlette.responses import Response
from dvidpy import Datatype, hookimpl


class Echo(Datatype):
    name = "echotype"
    version = "1.2"
    url = "example.org/echotype"
    help_text = "echotype: says what it is sent.\\n"

    def __init__(self):
        super().__init__()
        self.endpoints["echo"] = lambda req: Response(req.body)


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


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dvidpy", *args], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


def test_help_and_types():
    out = run_cli("--help")
    assert out.returncode == 0
    assert "serve" in out.stdout and "types" in out.stdout
    types = run_cli("types")
    assert types.returncode == 0
    lines = {line.split()[0]: line.split() for line in types.stdout.splitlines() if line.strip()}
    assert lines["uint8blk"][1:] == ["0.2", "dvidpy.plugins.imageblk"]
    assert lines["roi"][1] == "0.1"
    assert "dvidpy.plugins.roi" in " ".join(lines["roi"])


def request(port: int, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def start_server(data: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "dvidpy", "serve", "--data", str(data), "--port", str(port)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", "/api/server/info")[0] == 200:
                return proc
        except OSError:
            time.sleep(0.1)
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read())
    proc.kill()
    raise AssertionError("server did not start")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_cleanly_and_keeps_data(tmp_path, sig):
    data, port = tmp_path / "data", free_port()
    proc = start_server(data, port)
    status, body = request(port, "POST", "/api/repos", b'{"alias": "cli"}')
    assert status == 200
    root = json.loads(body)["root"]
    status, _ = request(port, "POST", f"/api/repo/{root}/instance", b'{"typename": "uint8blk", "dataname": "g"}')
    assert status == 200
    volume = bytes(range(256)) * 128
    assert request(port, "POST", f"/api/node/{root}/g/raw/0_1_2/32_32_32/0_0_0", volume)[0] == 200
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert f"http://127.0.0.1:{port}/api/" in out
    assert "store closed" in out

    port = free_port()
    proc = start_server(data, port)
    try:
        status, body = request(port, "GET", f"/api/node/{root}/g/raw/0_1_2/32_32_32/0_0_0")
        assert (status, body) == (200, volume)
        status, body = request(port, "GET", "/api/repos/info")
        assert json.loads(body)[root]["Alias"] == "cli"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def test_serve_with_a_config_file(tmp_path):
    port = free_port()
    config = tmp_path / "server.toml"
    config.write_text(textwrap.dedent(f"""
        [server]
        data = "{tmp_path / 'cfgdata'}"
        port = {port}
        read_only = true
    """))
    proc = subprocess.Popen(
        [sys.executable, "-m", "dvidpy", "serve", "--config", str(config)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _ = request(port, "GET", "/api/server/info")
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)
        assert status == 200
        status, body = request(port, "POST", "/api/repos", b"{}")
        assert status == 400
        assert b"read-only" in body
        assert (tmp_path / "cfgdata").is_dir()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 0
