"""Configuration (core/config.py: defaults, a TOML file, overrides; DVID's key names too) and the
throttle (core/throttle.py): ``throttle=on|true`` requests get a 503 while every slot is taken.

The throttle is made full by holding its slots through the server object, not by timing.
Ported scenarios: DVID's server_local_test.go (TestParseConfig, TestTOMLConfigAbsolutePath).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dvidpy.config import ADMIN_TOKEN_ENV, Config, ConfigError, load_config
from dvidpy.errors import DVIDError
from dvidpy.queries import query_flag
from dvidpy.throttle import Throttle

VOLUME = "0_1_2/32_32_32/0_0_0"


def write_toml(tmp_path: Path, text: str, name: str = "server.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# -- configuration -------------------------------------------------------------------------------------


def test_defaults(monkeypatch):
    monkeypatch.delenv(ADMIN_TOKEN_ENV, raising=False)
    config = load_config()
    assert (config.data, config.host, config.port, config.read_only, config.full_write) == (
        Path("dvidpy-data"), "127.0.0.1", 8000, False, False)
    assert (config.max_throttled_ops, config.cors_domains, config.note, config.admin_token) == (1, ("*",), "", "")
    assert (config.engine, config.store_options, config.instance_id_start, config.mutation_id_start) == (
        "lmdb", {}, 1, 1_000_000_000)
    assert (config.toml_path, config.toml_text) == ("", "")


def test_every_dvidpy_option(tmp_path, monkeypatch):
    monkeypatch.delenv(ADMIN_TOKEN_ENV, raising=False)
    text = """
[server]
data = "mydata"
host = "0.0.0.0"
port = 9123
server_name = "myhost.example.org"
read_only = true
max_throttled_ops = 3
cors_domains = ["https://a.org", "https://b.org"]
note = "free text"
admin_token = "secret"
instance_id_start = 100
min_mutation_id_start = 1000100000

[store]
engine = "lmdb"
map_size = 1048576
sync = false
"""
    path = write_toml(tmp_path, text)
    config = load_config(str(path))
    assert config.data == (tmp_path / "mydata").resolve()
    assert (config.host, config.port, config.server_name, config.host_label) == (
        "0.0.0.0", 9123, "myhost.example.org", "myhost.example.org:9123")
    assert (config.read_only, config.max_throttled_ops, config.cors_domains) == (True, 3, ("https://a.org", "https://b.org"))
    assert (config.note, config.admin_token, config.instance_id_start, config.mutation_id_start) == (
        "free text", "secret", 100, 1_000_100_000)
    assert (config.engine, config.store_options) == ("lmdb", {"map_size": 1048576, "sync": False})
    assert (config.toml_path, config.toml_text) == (str(path), text)


def test_dvid_key_names(tmp_path):
    """DVID's own keys, matched case-insensitively: httpAddress, rwMode, corsDomains, throttle."""
    config = load_config(str(write_toml(tmp_path, """
[Server]
HTTPAddress = ":8001"
rwMode = "fullwrite"
corsDomains = []
Throttle = 2
""")))
    assert (config.host, config.port, config.full_write, config.read_only) == ("0.0.0.0", 8001, True, False)
    assert (config.cors_domains, config.max_throttled_ops) == ((), 2)
    config = load_config(str(write_toml(tmp_path, '[server]\nhttpAddress = "localhost:8123"\nrwMode = "ReadOnly"\n')))
    assert (config.host, config.port, config.read_only) == ("localhost", 8123, True)


def test_paths_relative_to_the_toml_file(tmp_path):
    """TestTOMLConfigAbsolutePath: relative paths are resolved against the TOML file's folder,
    absolute paths are kept."""
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    config = load_config(str(write_toml(conf_dir, '[store]\npath = "data/dvid-db"\n')))
    assert config.data == (conf_dir / "data" / "dvid-db").resolve()
    assert config.store_options == {}
    absolute = tmp_path / "elsewhere"
    config = load_config(str(write_toml(conf_dir, f'[server]\ndata = "{absolute}"\n[store]\npath = "ignored"\n')))
    assert config.data == absolute


def test_overrides_win_over_the_file(tmp_path):
    path = write_toml(tmp_path, '[server]\nport = 9000\nread_only = true\ndata = "a"\n')
    config = load_config(str(path), port=9001, read_only=None, data=tmp_path / "b")
    assert (config.port, config.read_only, config.data) == (9001, True, tmp_path / "b")


def test_admin_token_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(ADMIN_TOKEN_ENV, "from-env")
    assert load_config().admin_token == "from-env"
    assert load_config(str(write_toml(tmp_path, '[server]\nadmin_token = "from-file"\n'))).admin_token == "from-file"


@pytest.mark.parametrize("text, message", [
    ("[server\n", "cannot read config file "),
    ('[server]\nport = "abc"\n', "port must be an integer, not 'abc'"),
    ("[server]\nport = 70000\n", "port must be between 0 and 65535, not 70000"),
    ('[server]\nhttpAddress = "localhost"\n', "httpAddress must be host:port or :port, not 'localhost'"),
    ('[server]\nhttpAddress = "host:http"\n', "httpAddress must be an integer, not 'http'"),
    ('[server]\nrwMode = "sometimes"\n', 'rwMode must be "", "readonly" or "fullwrite", not \'sometimes\''),
    ('[server]\nrwMode = "fullwrite"\nread_only = true\n', "a server cannot be read-only and full-write at once"),
    ('[server]\nread_only = "no"\n', "read_only must be true or false, not 'no'"),
    ("[server]\nmax_throttled_ops = 0\n", "max_throttled_ops must be at least 1"),
    ('[server]\nthrottle = "many"\n', "max_throttled_ops must be an integer, not 'many'"),
    ('[server]\ncors_domains = "*"\n', "cors_domains must be a list of strings"),
    ('[server]\ninstance_id_start = 1.5\n', "instance_id_start must be an integer, not 1.5"),
    ('[store]\nmap_size = "big"\n', "map_size must be an integer, not 'big'"),
    ('[store]\nsync = "yes"\n', "sync must be true or false, not 'yes'"),
    ('[store]\nengine = "lmdb"\nmap_size = 0\n', "map_size must be at least 1"),
    ('server = 5\n', "[server] must be a table"),
])
def test_bad_config_files(tmp_path, text, message):
    with pytest.raises(ConfigError) as err:
        load_config(str(write_toml(tmp_path, text)))
    assert str(err.value).startswith(message)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file .*nope.toml"):
        load_config(str(tmp_path / "nope.toml"))


def test_read_only_string_false_is_false(tmp_path):
    assert load_config(str(write_toml(tmp_path, '[server]\nread_only = "false"\n'))).read_only is False


def test_config_reaches_the_server(make_dvid):
    dvid = make_dvid(instance_id_start=100, max_throttled_ops=4, note="the note", store_options={"sync": False})
    assert dvid.server.throttle.max_ops == 4
    root = dvid.new_repo()
    dvid.new_instance(root, "testkv", "a")
    dvid.new_instance(root, "testkv", "b")
    ids = sorted(i.instance_id for i in dvid.server.datastore.catalog().repos[1].instances.values())
    assert ids == [100, 101]
    assert dvid.ok("GET", "/api/server/note").text == "the note"


def test_mutation_id_start(make_dvid):
    dvid = make_dvid(mutation_id_start=2_000_000_000)
    root = dvid.new_repo()
    info = dvid.ok("GET", f"/api/repo/{root}/info").json()
    assert (info["MutationID"], info["SavedMutationID"]) == (2_000_000_000, 2_000_000_000)


# -- the throttle itself ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, wanted", [
    ("on", True), ("true", True), ("ON", True), ("True", True), ("off", False), ("false", False),
    ("1", False), ("", False), (None, False),
])
def test_query_flags(value, wanted):
    assert query_flag(value) is wanted


def test_throttle_slots(tmp_path):
    throttle = Throttle(tmp_path, lambda: 2)
    with throttle.slot():
        with throttle.slot():
            assert throttle.running == 2
            with pytest.raises(DVIDError) as err:
                with throttle.slot():
                    pass
            assert (err.value.status, err.value.message) == (
                503, "Server already running 2 throttled operations (max = 2)")
            assert err.value.body("/any") == "Server already running 2 throttled operations (max = 2)\n"
        assert throttle.running == 1
    assert throttle.running == 0


def test_throttle_slot_is_released_on_error(tmp_path):
    throttle = Throttle(tmp_path, lambda: 1)
    with pytest.raises(KeyError):
        with throttle.slot():
            raise KeyError("handler failed")
    assert throttle.running == 0
    with throttle.slot():
        assert throttle.running == 1


# -- throttle over HTTP -------------------------------------------------------------------------------------


@pytest.fixture
def gray(make_dvid):
    dvid = make_dvid()
    root = dvid.new_repo()
    dvid.new_instance(root, "uint8blk", "gray")
    dvid.new_instance(root, "labelblk", "labels")
    dvid.ok("POST", f"/api/node/{root}/gray/raw/{VOLUME}", content=bytes(range(256)) * 128)
    return dvid, root


def busy(r, running: int = 1, maximum: int = 1) -> None:
    assert r.status_code == 503
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text == f"Server already running {running} throttled operations (max = {maximum})\n"


@pytest.mark.parametrize("flag", ["on", "true", "ON"])
def test_throttled_read_is_503_when_full(gray, flag):
    dvid, root = gray
    url = f"/api/node/{root}/gray/raw/{VOLUME}?throttle={flag}"
    assert dvid.ok("GET", url).content == bytes(range(256)) * 128  # a free slot: served
    with dvid.server.throttle.slot():
        busy(dvid.get(url))
        busy(dvid.get(f"/api/node/{root}/labels/raw/{VOLUME}?throttle={flag}"))
        busy(dvid.get(f"/api/node/{root}/gray/subvolblocks/32_32_32/0_0_0?throttle={flag}"))
    assert dvid.server.throttle.running == 0
    assert dvid.ok("GET", url).content == bytes(range(256)) * 128


def test_unthrottled_requests_are_never_refused(gray):
    dvid, root = gray
    with dvid.server.throttle.slot():
        for query in ("", "?throttle=off", "?throttle=false", "?throttle="):
            assert dvid.ok("GET", f"/api/node/{root}/gray/raw/{VOLUME}{query}").content == bytes(range(256)) * 128
        # 2D slices and core routes do not take part in throttling
        assert dvid.ok("GET", f"/api/node/{root}/gray/raw/xy/32_32/0_0_0?throttle=on").content[:4] == b"\x89PNG"
        assert dvid.ok("GET", f"/api/repo/{root}/info?throttle=on").json()["Root"] == root


def test_throttled_write_refused_when_full_writes_nothing(gray):
    dvid, root = gray
    url = f"/api/node/{root}/gray/raw/{VOLUME}"
    with dvid.server.throttle.slot():
        busy(dvid.post(url + "?throttle=on", content=bytes(32**3)))
    assert dvid.ok("GET", url).content == bytes(range(256)) * 128
    dvid.ok("POST", url + "?throttle=on", content=bytes(32**3))
    assert dvid.ok("GET", url).content == bytes(32**3)


def test_raising_the_maximum_at_run_time(gray):
    dvid, root = gray
    url = f"/api/node/{root}/gray/raw/{VOLUME}?throttle=on"
    throttle = dvid.server.throttle
    with throttle.slot():
        busy(dvid.get(url))
        dvid.ok("POST", "/api/server/settings", json={"throttle": "2"})
        assert dvid.ok("GET", url).content == bytes(range(256)) * 128
        with throttle.slot():
            busy(dvid.get(url), running=2, maximum=2)


def test_configured_maximum(make_dvid):
    dvid = make_dvid(max_throttled_ops=2)
    root = dvid.new_repo()
    dvid.new_instance(root, "uint8blk", "gray")
    url = f"/api/node/{root}/gray/raw/{VOLUME}?throttle=on"
    with dvid.server.throttle.slot():
        assert dvid.ok("GET", url).content == bytes(32**3)
        with dvid.server.throttle.slot():
            busy(dvid.get(url), running=2, maximum=2)


def test_config_is_frozen():
    config = Config()
    with pytest.raises(AttributeError):
        config.port = 1  # type: ignore[misc]
    assert config.with_overrides(port=1, host=None).host == "127.0.0.1"


def test_throttle_slots_are_shared_by_processes(tmp_path):
    """A slot held by another process counts: the slots are file locks, not counters."""
    import subprocess
    import sys
    import textwrap

    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import fcntl, os, sys, time
        fd = os.open({str(tmp_path / "slot-0")!r}, os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX)
        print("held", flush=True)
        sys.stdin.read()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        throttle = Throttle(tmp_path, lambda: 1)
        with pytest.raises(DVIDError) as err:
            with throttle.slot():
                pass
        assert err.value.status == 503
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    with Throttle(tmp_path, lambda: 1).slot():
        pass
