"""Server-wide routes and behaviour over HTTP: /api/help, /api/help/{typename}, /api/server/info,
/note, /types, /compiled-types, /config, /settings, /api/load, /api/heartbeat,
/api/user-latencies; unknown routes; DVID's error form (text/plain, never a traceback); what real
clients send; CORS and OPTIONS; and read-only mode refusing every mutation.

Ported scenarios: DVID's server/web_test.go (TestLatencies) and server/server_local_test.go
(TestServerInfo); read-only mode and CORS have no DVID test (spec §5, "write new ones").
"""

from __future__ import annotations

import os
import re
import types

import pytest
from conftest import error_message, test_plugins

from dvidpy import ANY_VERB, Datatype, Endpoint, hookimpl, native

BUILTIN_URLS = {
    "float32blk": "github.com/janelia-flyem/dvid/datatype/imageblk/float32.go",
    "labelblk": "github.com/janelia-flyem/dvid/datatype/labelblk",
    "rgba8blk": "github.com/janelia-flyem/dvid/datatype/imageblk/rgba8.go",
    "roi": "github.com/janelia-flyem/dvid/datatype/roi",
    "uint16blk": "github.com/janelia-flyem/dvid/datatype/imageblk/uint16.go",
    "uint32blk": "github.com/janelia-flyem/dvid/datatype/imageblk/uint32.go",
    "uint64blk": "github.com/janelia-flyem/dvid/datatype/imageblk/uint64.go",
    "uint8blk": "github.com/janelia-flyem/dvid/datatype/imageblk/uint8.go",
}
TESTKV_URL = "example.org/dvidpy-testkv"
READ_ONLY = "Server in read-only mode and will only accept GET and HEAD requests"
VOLUME = "0_1_2/32_32_32/0_0_0"


# -- help --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/help", "/api/help/"])
def test_help_page_lists_every_type(make_dvid, path):
    dvid = make_dvid(server_name="myhost.example.org")
    r = dvid.ok("GET", path)
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    items = re.findall(r"<li><a href='/api/help/([^']+)'>([^<]+)</a></li>", r.text)
    names = sorted([*BUILTIN_URLS, "testkv"])
    assert items == [(n, n) for n in names]
    assert "myhost.example.org" in r.text
    assert "Traceback" not in r.text


def test_help_for_a_type(dvid):
    r = dvid.ok("GET", "/api/help/testkv")
    assert (r.text, r.headers["content-type"]) == (
        "testkv: versioned key-value pairs for plugin tests.\n", "text/plain; charset=utf-8")
    for name in BUILTIN_URLS:
        text = dvid.ok("GET", f"/api/help/{name}").text
        assert len(text) > 100 and text.endswith("\n"), name
    path = "/api/help/nosuchtype"
    assert error_message(dvid.get(path), path) == 'Data type "nosuchtype" is not supported by current DVID server'


# -- /api/server/... ------------------------------------------------------------------------------------


INFO_KEYS = {"Cores", "Maximum Cores", "Datastore Version", "DVID Version", "Storage backend", "Server time",
             "Server uptime", "Host", "Note", "TOML location", "Max Open Files", "Process", "Hot path"}


def test_server_info(make_dvid):
    """TestServerInfo: every value a string; Host is the server name and the port."""
    dvid = make_dvid(server_name="mygreatserver.test.com", port=8000, note="free text")
    r = dvid.ok("GET", "/api/server/info")
    assert r.headers["content-type"] == "application/json"
    info = r.json()
    assert set(info) == INFO_KEYS
    assert all(isinstance(v, str) for v in info.values())
    assert info["Host"] == "mygreatserver.test.com:8000"
    assert (info["Datastore Version"], info["Storage backend"], info["Note"], info["TOML location"]) == (
        "0.11.0", dvid.config.engine, "free text", "")
    assert info["DVID Version"].startswith("dvidpy ")
    assert int(info["Cores"]) >= 1 and int(info["Maximum Cores"]) >= int(info["Cores"])
    assert info["Process"] == str(os.getpid())  # the worker process that answered
    assert info["Hot path"] == native.PATH
    assert re.fullmatch(r"\d+h\d+m\d+\.\d{6}s", info["Server uptime"])
    assert dvid.ok("GET", "/api/server/info/").json()["Host"] == "mygreatserver.test.com:8000"


def test_server_info_mode(make_dvid):
    assert make_dvid(read_only=True).ok("GET", "/api/server/info").json()["Mode"] == "read only"
    assert make_dvid(full_write=True).ok("GET", "/api/server/info").json()["Mode"] == "allow writes on committed nodes"


def test_server_note(make_dvid):
    r = make_dvid(note="shown by /api/server/note").ok("GET", "/api/server/note")
    assert (r.text, r.headers["content-type"]) == ("shown by /api/server/note", "text/plain; charset=utf-8")


def test_types_in_use_and_compiled_types(dvid):
    r = dvid.ok("GET", "/api/server/types")
    assert (r.text, r.headers["content-type"]) == ("{}", "application/json")
    assert dvid.ok("GET", "/api/server/compiled-types").json() == {**BUILTIN_URLS, "testkv": TESTKV_URL}
    root = dvid.new_repo()
    dvid.new_instance(root, "testkv", "kv")
    dvid.new_instance(root, "uint8blk", "g1")
    dvid.new_instance(root, "uint8blk", "g2")
    other = dvid.new_repo()
    dvid.new_instance(other, "roi", "r")
    expected = {"testkv": TESTKV_URL, "uint8blk": BUILTIN_URLS["uint8blk"], "roi": BUILTIN_URLS["roi"]}
    assert dvid.ok("GET", "/api/server/types").json() == expected
    assert dvid.ok("GET", "/api/server/types/").json() == expected
    dvid.restart()
    assert dvid.ok("GET", "/api/server/types").json() == expected


def test_server_config_is_admin_only(make_dvid):
    dvid = make_dvid(admin_token="tok", toml_text="[server]\nport = 1\n")
    path = "/api/server/config"
    assert error_message(dvid.get(path), path) == "GET /api/server/config requires admin privileges (admintoken)"
    assert error_message(dvid.get(path + "?admintoken=bad"), path).endswith("requires admin privileges (admintoken)")
    r = dvid.ok("GET", path + "?admintoken=tok")
    assert (r.text, r.headers["content-type"]) == ("[server]\nport = 1\n", "text/plain; charset=utf-8")


def test_settings(make_dvid):
    dvid = make_dvid(admin_token="tok")
    path = "/api/server/settings"
    assert error_message(dvid.post(path, json={"throttle": "2"}), path) == (
        "POST on settings endpoint requires admin privileges (admintoken)")
    assert dvid.server.throttle.max_ops == 1
    r = dvid.ok("POST", path + "?admintoken=tok", json={"throttle": "2"})
    assert (r.text, r.headers["content-type"]) == ("Maximum throttled ops set to 2 from 1\n", "text/plain; charset=utf-8")
    assert dvid.ok("POST", path + "?admintoken=tok", json={"throttle": 3}).text == "Maximum throttled ops set to 3 from 2\n"
    r = dvid.ok("POST", path + "?admintoken=tok", json={"gc": "400"})
    assert r.text.startswith("Garbage collection target percentage 400 accepted")
    assert dvid.server.throttle.max_ops == 3


@pytest.mark.parametrize("body, message", [
    ({"throttle": "x"}, "POST on settings endpoint had bad parsing of 'throttle' key: 'x' is not an integer"),
    ({"throttle": [1]}, "POST on settings endpoint had bad parsing of 'throttle' key: [1] is not an integer"),
    ({"throttle": "0"}, "POST on settings endpoint: 'throttle' must be at least 1"),
    ({"speed": "1"}, "POST on settings endpoint had unknown key 'speed'"),
])
def test_bad_settings_change_nothing(dvid, body, message):
    path = "/api/server/settings"
    assert error_message(dvid.post(path, json=body), path) == message
    assert dvid.server.throttle.max_ops == 1


@pytest.mark.parametrize("path", ["/api/server/nosuch", "/api/nothing/here", "/favicon.ico", "/api/help/x/y"])
def test_unknown_routes_are_404(dvid, path):
    r = dvid.get(path)
    assert (r.status_code, r.text) == (404, "404 page not found\n")
    assert r.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("method, path, allow", [
    ("POST", "/api/server/info", "GET, HEAD"), ("GET", "/api/server/settings", "POST"),
    ("DELETE", "/api/server/types", "GET, HEAD"), ("POST", "/", "GET, HEAD"), ("PUT", "/api/", "GET, HEAD"),
    ("POST", "/api/help", "GET, HEAD"), ("PUT", "/api/load", "GET, HEAD"), ("POST", "/api/repos/info", "GET, HEAD"),
    ("DELETE", "/api/heartbeat", "GET, HEAD"), ("POST", "/api/help/uint8blk", "GET, HEAD"),
    ("PUT", "/api/server/info/", "GET, HEAD"), ("DELETE", "/api/repos", "POST"),
])
def test_wrong_verbs_are_405_with_allow(dvid, method, path, allow):
    r = dvid.request(method, path)
    assert (r.status_code, r.text, r.headers["allow"]) == (405, "Method Not Allowed\n", allow)
    assert dvid.ok("GET", "/api/repos/info").json() == {}


def test_front_page_lists_repos_and_instances(dvid):
    empty = dvid.ok("GET", "/")
    assert empty.headers["content-type"].startswith("text/html")
    assert "No repos yet" in empty.text
    root = dvid.new_repo(alias="my<data>")
    dvid.new_instance(root, "uint8blk", "grayscale")
    for path in ("/", "/api", "/api/"):
        page = dvid.ok("GET", path).text
        assert "my&lt;data&gt;" in page
        assert f"dvid://http://testserver/{root}/grayscale" in page
        assert "<a href='/api/help/uint8blk'>help</a>" in page


# -- load, heartbeat, latencies ------------------------------------------------------------------------------


def test_load(dvid):
    r = dvid.ok("GET", "/api/load")
    assert r.headers["content-type"] == "application/json"
    load = r.json()
    assert list(load) == ["GET requests", "PUT requests", "active CGo writes", "file bytes read",
                          "file bytes written", "goroutines", "handlers active", "key bytes read",
                          "key bytes written", "pending log messages", "value bytes read", "value bytes written"]
    assert all(isinstance(v, int) for v in load.values())
    assert (load["active CGo writes"], load["handlers active"]) == (0, 0)
    assert load["goroutines"] >= 1


def test_heartbeat_and_latencies(dvid):
    """TestLatencies: heartbeats with u=user0..9 make ten users; ?u=user3 is that user's object."""
    for i in range(50):
        r = dvid.ok("GET", f"/api/heartbeat?u=user{i % 10}")
        assert (r.text, r.headers["content-type"]) == ("OK", "text/plain; charset=utf-8")
    users = dvid.ok("GET", "/api/user-latencies").json()
    assert sorted(users) == sorted(f"user{i}" for i in range(10))
    one = dvid.ok("GET", "/api/user-latencies?u=user3").json()
    assert list(one) == ["User", "LastPing", "LastLatency", "MinLatency", "MaxLatency"]
    assert one["User"] == "user3"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", one["LastPing"])
    assert 0 <= one["MinLatency"] <= one["MaxLatency"]
    assert dvid.ok("GET", "/api/user-latencies?u=nobody").json() == {
        "User": "", "LastPing": "", "LastLatency": 0, "MinLatency": 0, "MaxLatency": 0}


# -- errors are DVID's, never a traceback ---------------------------------------------------------------------


class Fragile(Datatype):
    name = "fragile"
    url = "example.org/fragile"
    help_text = "fragile: fails on purpose.\n"

    def crash(self, req):
        raise RuntimeError("kaboom in the handler")

    endpoints = Datatype.endpoints + (Endpoint("crash", crash, ANY_VERB),)


def fragile_plugins():
    module = types.ModuleType("fragile_plugin")

    @hookimpl
    def dvidpy_register_datatypes(registry) -> None:
        registry.add(Fragile())

    module.dvidpy_register_datatypes = dvidpy_register_datatypes
    return test_plugins(module)


def test_unexpected_errors_are_500_text_without_a_traceback(make_dvid):
    dvid = make_dvid(plugins_factory=fragile_plugins)
    root = dvid.new_repo()
    dvid.new_instance(root, "fragile", "f")
    path = f"/api/node/{root}/f/crash"
    r = dvid.get(path)
    assert r.status_code == 500
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text == f"Internal error on GET {path}: RuntimeError: kaboom in the handler\n"
    assert "Traceback" not in r.text and "File " not in r.text
    assert dvid.ok("GET", f"/api/node/{root}/f/help").text == "fragile: fails on purpose.\n"  # the server goes on


def test_errors_are_text_plain_with_the_path(dvid):
    r = dvid.post("/api/repos", content=b"{nope")
    assert r.status_code == 400
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.text.startswith("Error decoding POSTed JSON config for new repo: Malformed JSON request in body: ")
    assert r.text.endswith(" (/api/repos).\n")
    assert "Traceback" not in r.text


def test_query_strings_and_bodies_real_clients_send(dvid):
    root = dvid.new_repo()
    dvid.new_instance(root, "testkv", "kv")
    extra = "?u=someone&app=Neuroglancer&mutate=true&scale=0&supervoxels=false&throttle=on&interactive=false"
    dvid.ok("POST", f"/api/node/{root}/kv/key/k{extra}", content=b"v")
    assert dvid.ok("GET", f"/api/node/{root}/kv/key/k{extra}").content == b"v"
    assert list(dvid.ok("GET", f"/api/repos/info{extra}").json()) == [root]
    assert dvid.ok("GET", f"/api/node/{root}/commit{extra}").json() == {"Locked": False}
    # a JSON body on a GET is tolerated
    r = dvid.request("GET", f"/api/repo/{root}/info", content=b'{"ignored": true}')
    assert r.status_code == 200 and r.json()["Root"] == root


# -- CORS and OPTIONS ----------------------------------------------------------------------------------------


def test_cors_any_origin_by_default(dvid):
    root = dvid.new_repo()
    for r in (dvid.get("/api/server/info"), dvid.get("/api/nothing"), dvid.get(f"/api/repo/{root}/info"),
              dvid.get("/api/repo/ffff/info"), dvid.get("/api/load")):
        assert r.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("path", ["/api/repos", "/api/server/info", "/api/node/abc/grayscale/raw/xy/64_64/0_0_0",
                                  "/api/no/such/route"])
def test_options_preflight(dvid, path):
    r = dvid.request("OPTIONS", path, headers={
        "Origin": "http://neuroglancer.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert (r.status_code, r.content) == (200, b"")
    assert r.headers["allow"] == "DELETE, GET, HEAD, OPTIONS, POST, PUT"
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-methods"] == "DELETE, GET, HEAD, OPTIONS, POST, PUT"
    assert "Authorization" in r.headers["access-control-allow-headers"].split(", ")


def test_cors_listed_origins_only(make_dvid):
    dvid = make_dvid(cors_domains=("https://a.example.org",))
    r = dvid.get("/api/server/info", headers={"Origin": "https://a.example.org"})
    assert r.headers["access-control-allow-origin"] == "https://a.example.org"
    r = dvid.get("/api/server/info", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in r.headers
    r = dvid.request("OPTIONS", "/api/repos", headers={"Origin": "https://evil.example.com"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    r = dvid.request("OPTIONS", "/api/repos", headers={"Origin": "https://a.example.org"})
    assert r.headers["access-control-allow-origin"] == "https://a.example.org"


def test_no_cors_when_turned_off(make_dvid):
    dvid = make_dvid(cors_domains=())
    r = dvid.get("/api/server/info", headers={"Origin": "https://a.example.org"})
    assert "access-control-allow-origin" not in r.headers
    r = dvid.request("OPTIONS", "/api/server/info", headers={"Origin": "https://a.example.org"})
    assert (r.status_code, r.headers["allow"]) == (200, "DELETE, GET, HEAD, OPTIONS, POST, PUT")
    assert "access-control-allow-origin" not in r.headers


# -- read-only mode ---------------------------------------------------------------------------------------------


def store_dump(dvid) -> list[tuple[bytes, bytes]]:
    with dvid.server.engine.reading() as txn:
        return [(k, bytes(v)) for k, v in txn.scan(b"", b"\xff" * 8)]


@pytest.fixture
def read_only(make_dvid):
    """A store with a repo (open child, committed root), instances and data, reopened read-only."""
    dvid = make_dvid(admin_token="tok")
    root = dvid.ok("POST", "/api/repos?admintoken=tok", json={"alias": "ro"}).json()["root"]
    dvid.new_instance(root, "testkv", "kv")
    dvid.new_instance(root, "testkv", "flat", versioned="false")
    dvid.new_instance(root, "uint8blk", "gray")
    dvid.ok("POST", f"/api/node/{root}/kv/key/k", content=b"v")
    dvid.ok("POST", f"/api/node/{root}/gray/raw/{VOLUME}", content=bytes(range(256)) * 128)
    dvid.commit(root)
    child = dvid.newversion(root)
    side = dvid.branch(root, "side")
    dvid.commit(side)
    dvid.restart(read_only=True)
    return dvid, root, child, side


def mutations(root: str, child: str, side: str) -> list[tuple[str, str, bytes]]:
    return [
        ("POST", f"/api/repo/{root}/info", b'{"alias": "x"}'),
        ("POST", f"/api/repo/{root}/log", b'{"log": ["x"]}'),
        ("POST", f"/api/repo/{child}/instance", b'{"typename": "testkv", "dataname": "new"}'),
        ("POST", f"/api/repo/{root}/merge", f'{{"mergeType": "conflict-free", "parents": ["{root}", "{side}"]}}'.encode()),
        ("POST", f"/api/repo/{root}/resolve", f'{{"data": ["kv"], "parents": ["{root}", "{side}"]}}'.encode()),
        ("POST", f"/api/repo/{root}/instance/kv/rename", b'{"name": "kv2"}'),
        ("DELETE", f"/api/repo/{root}/instance/kv?imsure=true", b""),
        ("DELETE", f"/api/repo/{root}?imsure=true", b""),
        ("POST", f"/api/node/{child}/note", b'{"note": "x"}'),
        ("POST", f"/api/node/{child}/log", b'{"log": ["x"]}'),
        ("POST", f"/api/node/{child}/commit", b"{}"),
        ("POST", f"/api/node/{side}/newversion", b"{}"),
        ("POST", f"/api/node/{side}/branch", b'{"branch": "other"}'),
        ("POST", f"/api/node/{side}/tag", b'{"tag": "v1"}'),
        ("POST", f"/api/node/{child}/kv/key/k", b"changed"),
        ("DELETE", f"/api/node/{child}/kv/key/k", b""),
        ("POST", f"/api/node/{root}/flat/key/k", b"unversioned"),
        ("POST", f"/api/node/{child}/kv/tags", b'{"a": "b"}'),
        ("POST", f"/api/node/{child}/gray/raw/{VOLUME}", bytes(32**3)),
        ("POST", f"/api/node/{child}/kv/blobstore", b"blob"),
    ]


def test_read_only_refuses_every_mutation(read_only):
    dvid, root, child, side = read_only
    before = store_dump(dvid)
    for method, url, body in mutations(root, child, side):
        r = dvid.request(method, url, content=body)
        assert error_message(r, url.split("?")[0]) == READ_ONLY, (method, url)
    path = "/api/repos"
    for url in (path, path + "?admintoken=tok"):  # even an admin cannot create repos
        assert error_message(dvid.post(url, json={}), path) == (
            "Creating a repo requires admin privileges (admintoken) on a server that is not read-only")
    assert store_dump(dvid) == before


def test_read_only_still_reads(read_only):
    dvid, root, child, side = read_only
    assert dvid.ok("GET", f"/api/node/{child}/kv/key/k").content == b"v"
    assert dvid.ok("GET", f"/api/node/{child}/gray/raw/{VOLUME}").content == bytes(range(256)) * 128
    assert dvid.ok("GET", f"/api/repo/{root}/info").json()["Alias"] == "ro"
    assert dvid.ok("GET", f"/api/node/{child}/commit").json() == {"Locked": False}
    assert dvid.ok("GET", f"/api/repo/{root}/branch-versions/side").json() == [side, root]
    assert dvid.request("HEAD", f"/api/node/{child}/kv/key/k").status_code == 200
    assert dvid.ok("GET", "/api/server/info").json()["Mode"] == "read only"


def test_admin_writes_data_on_a_read_only_server(read_only):
    dvid, root, child, side = read_only
    dvid.ok("POST", f"/api/node/{child}/kv/key/k?admintoken=tok", content=b"by admin")
    assert dvid.ok("GET", f"/api/node/{child}/kv/key/k").content == b"by admin"
    dvid.ok("POST", f"/api/node/{child}/note?admintoken=tok", json={"note": "admin note"})
    assert dvid.ok("GET", f"/api/node/{child}/note").json() == {"note": "admin note"}


def test_read_only_mutation_ids_are_not_advanced(read_only):
    dvid, root, child, side = read_only
    before = store_dump(dvid)
    ids = dvid.ok("GET", f"/api/repo/{root}/info").json()["SavedMutationID"]
    dvid.restart(read_only=True)
    assert dvid.ok("GET", f"/api/repo/{root}/info").json()["SavedMutationID"] == ids
    assert store_dump(dvid) == before
