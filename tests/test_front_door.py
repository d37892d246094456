"""What a newcomer meets when starting ``dvidpy serve``, with real processes: one server per data
folder, a busy port, config files in dvidpy's and DVID's forms, the banner and the request log."""

from __future__ import annotations

import re
import signal
import socket
import textwrap

import pytest
from served import Served, cli

from dvidpy import __version__, native

DVID_CONFIG_SIMPLE = """
[server]
httpAddress = ":8000"
rpcAddress = ":8001"
webClient = "./http/dvid-web-console"
webDefaultFile = "index.html"

[logging]
logfile = "/tmp/dvid.log"
max_log_size = 500 # MB
max_log_age = 30   # days

[backend]
    [backend.default]
    store = "instancedata"
    log = "mutationlog"

[store]
    [store.instancedata]
    engine = "badger"
    path = "/tmp/badgerdb"

    [store.mutationlog]
    engine = "filelog"
    path = "/tmp/mutationlog"
"""


def test_a_second_server_on_the_same_folder_is_refused(tmp_path):
    data = tmp_path / "data"
    with Served(tmp_path, "--data", str(data)) as first:
        root = first.json("POST", "/api/repos", b'{"alias": "first"}')["root"]
        second = cli("serve", "--data", str(data), "--port", "0", cwd=tmp_path, timeout=30)
        assert second.returncode == 1
        assert second.stderr.strip() == (
            f"dvidpy: data folder {data} is in use by another dvidpy server (pid {first.proc.pid}, 127.0.0.1:0); "
            "stop it, or give this server another --data folder")
        assert "serving" not in second.stdout
        assert list(first.json("GET", "/api/repos/info")) == [root]
        code, _ = first.stop()
    assert code == 0
    with Served(tmp_path, "--data", str(data)) as again:  # the lock went with the first server
        assert list(again.json("GET", "/api/repos/info")) == [root]
        again.stop()


def test_the_lock_dies_with_a_killed_server(tmp_path):
    data = tmp_path / "data"
    first = Served(tmp_path, "--data", str(data))
    root = first.json("POST", "/api/repos", b"{}")["root"]
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(timeout=30)
    with Served(tmp_path, "--data", str(data)) as second:
        assert list(second.json("GET", "/api/repos/info")) == [root]
        second.stop()


def test_a_busy_port_is_one_line_and_exit_1(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = cli("serve", "--data", str(tmp_path / "d"), "--port", str(port), cwd=tmp_path, timeout=30)
    assert out.returncode == 1
    assert out.stderr == f"dvidpy: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    assert out.stdout == ""


def test_the_banner_tells_the_truth_and_its_url_opens_a_page(tmp_path):
    data = tmp_path / "data"
    with Served(tmp_path, "--data", str(data), "--read-only", "--workers", "1") as server:
        assert server.banner == (f"dvidpy {__version__} serving http://127.0.0.1:{server.port}/ "
                                 f"(data {data.resolve()}, engine lmdb, read-only, hot path {native.PATH})")
        status, body = server.request("GET", "/")
        assert status == 200 and b"This server is read-only." in body
        server.stop()


def test_dvid_config_form_positionally(tmp_path):
    config = tmp_path / "dvid.toml"
    config.write_text(textwrap.dedent(f"""
        [server]
        httpAddress = "127.0.0.1:0"
        rwMode = "readonly"
        corsDomains = ["https://example.org"]
        note = "from DVID's file"
        workers = 2

        [logging]
        logfile = "logs/dvid.log"

        [backend.default]
        store = "main"

        [store.main]
        engine = "lmdb"
        path = "dvid-data"
    """))
    with Served(tmp_path, str(config), free_port=False) as server:
        assert server.banner.endswith(f"(data {tmp_path / 'dvid-data'}, engine lmdb, read-only, 2 worker processes, "
                                      f"hot path {native.PATH})")
        info = server.json("GET", "/api/server/info")
        assert (info["Note"], info["Mode"], info["TOML location"]) == ("from DVID's file", "read only", str(config))
        status, _ = server.request("GET", "/api/heartbeat", headers={"Origin": "https://example.org"})
        assert status == 200
        server.stop()
    log = (tmp_path / "logs" / "dvid.log").read_text()
    assert re.search(r'127\.0\.0\.1:\d+ "GET /api/heartbeat" 200 in=0 out=2 [\d.]+ ms', log)


def test_dvid_config_simple_is_refused_by_name(tmp_path):
    config = tmp_path / "config-simple.toml"
    config.write_text(DVID_CONFIG_SIMPLE)
    out = cli("serve", str(config), cwd=tmp_path, timeout=30)
    assert out.returncode == 2
    assert out.stderr == (
        f"dvidpy: {config}: rpcAddress is a DVID setting that dvidpy does not support (dvidpy has no RPC server); "
        "remove it; webClient is a DVID setting that dvidpy does not support (dvidpy has no web console; / serves "
        "an index page); remove it; webDefaultFile is a DVID setting that dvidpy does not support (dvidpy has no "
        "web console; / serves an index page); remove it; unknown storage engine 'badger' (known: lmdb, postgres); "
        "log is a DVID setting that dvidpy does not support (dvidpy keeps no mutation log); remove it; "
        "[store.mutationlog]: dvidpy uses one store, [store.instancedata]\n")
    assert not (tmp_path / "dvidpy-data").exists()


def test_an_unknown_engine_is_refused(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[store.main]\nengine = "badger"\npath = "db"\n')
    out = cli("serve", str(config), cwd=tmp_path, timeout=30)
    assert (out.returncode, out.stderr) == (2, f"dvidpy: {config}: unknown storage engine 'badger' (known: lmdb, postgres)\n")


@pytest.mark.parametrize("text, message", [
    ("[server]\nprot = 8001\n", "unknown key in [server] 'prot' (did you mean 'port'?); known: data, host, port"),
    ("[sever]\nport = 8001\n", "unknown table 'sever' (did you mean 'server'?); known: server, store, logging, backend"),
    ("[store]\nmapsize = 1\n",
     "unknown key in [store] 'mapsize' (did you mean 'map_size'?); known: engine, path, map_size, sync"),
])
def test_config_mistakes_stop_start_up(tmp_path, text, message):
    config = tmp_path / "c.toml"
    config.write_text(text)
    for args in (["serve", str(config)], ["serve", "--config", str(config)]):
        out = cli(*args, cwd=tmp_path, timeout=30)
        assert out.returncode == 2
        assert out.stderr.startswith(f"dvidpy: {config}: {message}")
    assert not (tmp_path / "dvidpy-data").exists()


def test_config_given_twice_is_refused(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[server]\n")
    out = cli("serve", str(config), "--config", str(config), cwd=tmp_path, timeout=30)
    assert (out.returncode, out.stderr) == (2, "dvidpy: give the config file once, as an argument or with --config\n")


def test_one_log_line_per_request(tmp_path):
    with Served(tmp_path, "--data", str(tmp_path / "d")) as server:
        assert server.request("POST", "/api/repos", b"[")[0] == 400
        assert server.request("GET", "/api/repos/info")[0] == 200
        server.stop()
        log = server.stderr()
    refused = [line for line in log.splitlines() if "/api/repos" in line and '"POST' in line]
    assert len(refused) == 1, log
    assert re.search(r'INFO dvidpy\.requests: 127\.0\.0\.1:\d+ "POST /api/repos" 400 in=1 out=\d+ [\d.]+ ms$', refused[0])
    assert "Malformed JSON" not in refused[0]


def test_debug_log_names_what_was_wrong(tmp_path):
    with Served(tmp_path, "--data", str(tmp_path / "d"), "--log-level", "debug") as server:
        assert server.request("POST", "/api/repos", b"[")[0] == 400
        server.stop()
        log = server.stderr()
    (line,) = [line for line in log.splitlines() if '"POST /api/repos"' in line]
    assert line.endswith("Error decoding POSTed JSON config for new repo: Malformed JSON request in body: "
                         "Expecting value: line 1 column 2 (char 1)")
