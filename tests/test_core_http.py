"""The core over HTTP: repos, the version DAG, nodes, instances, server routes, locking and
read-only mode, and versioned storage seen through the third-party test plugin."""

from __future__ import annotations

import pytest

from dvidpy.config import load_config


def texts(lines: list[str]) -> list[str]:
    """Log lines without DVID's ``<RFC3339>  `` prefix (checked for its shape)."""
    for line in lines:
        stamp, _, _ = line.partition("  ")
        assert len(stamp) == 20 and stamp[10] == "T" and stamp.endswith("Z"), line
    return [line.partition("  ")[2] for line in lines]


def kv(uuid: str, key: str, name: str = "kv") -> str:
    return f"/api/node/{uuid}/{name}/key/{key}"


@pytest.fixture
def repo(dvid):
    uuid = dvid.new_repo("myrepo", "a test repo")
    dvid.new_instance(uuid, "testkv", "kv")
    return dvid, uuid


# -- repos ----------------------------------------------------------------------------------------


def test_new_repo_and_info(dvid):
    r = dvid.ok("POST", "/api/repos", json={"alias": "mine", "description": "first"})
    root = r.json()["root"]
    assert len(root) == 32 and int(root, 16) >= 0
    info = dvid.ok("GET", f"/api/repo/{root[:6]}/info").json()
    assert info["Root"] == root
    assert info["Alias"] == "mine"
    assert info["Description"] == "first"
    assert list(info["DAG"]["Nodes"]) == [root]
    all_repos = dvid.ok("GET", "/api/repos/info").json()
    assert list(all_repos) == [root]
    assert all_repos[root]["Alias"] == "mine"


def test_set_repo_info(repo):
    dvid, uuid = repo
    dvid.ok("POST", f"/api/repo/{uuid}/info", json={"alias": "renamed", "description": "new words"})
    info = dvid.ok("GET", f"/api/repo/{uuid}/info").json()
    assert (info["Alias"], info["Description"]) == ("renamed", "new words")


def test_repo_log(repo):
    dvid, uuid = repo
    dvid.ok("POST", f"/api/repo/{uuid}/log", json={"log": ["one", "two"]})
    assert texts(dvid.ok("GET", f"/api/repo/{uuid}/log").json()["log"][-2:]) == ["one", "two"]
    r = dvid.post(f"/api/repo/{uuid}/log", json={"note": "no log key"})
    assert r.status_code == 400
    assert texts(dvid.ok("GET", f"/api/repo/{uuid}/log").json()["log"][-2:]) == ["one", "two"]


@pytest.mark.parametrize("uuid, message", [
    ("0000", "0000"),
    ("zz", "zz"),
])
def test_unknown_uuid(dvid, uuid, message):
    r = dvid.get(f"/api/repo/{uuid}/info")
    assert r.status_code == 400
    assert message in r.text
    assert r.headers["content-type"].startswith("text/plain")


def test_ambiguous_prefix(dvid):
    roots = [dvid.new_repo() for _ in range(40)]
    firsts = [r[0] for r in roots]
    shared = next(c for c in firsts if firsts.count(c) > 1)
    r = dvid.get(f"/api/repo/{shared}/info")
    assert r.status_code == 400
    assert "ambiguous" in r.text.lower() or "more than one" in r.text.lower()


# -- nodes: commit, newversion, branch, tag, note, log, status -------------------------------------


def test_commit_and_status(repo):
    dvid, uuid = repo
    assert dvid.ok("GET", f"/api/node/{uuid}/commit").json() == {"Locked": False}
    r = dvid.ok("POST", f"/api/node/{uuid}/commit", json={"note": "done", "log": ["a", "b"]})
    assert r.json() == {"committed": uuid}
    assert dvid.ok("GET", f"/api/node/{uuid}/commit").json() == {"Locked": True}
    assert dvid.ok("GET", f"/api/node/{uuid}/status").json() == {"Locked": True}
    assert dvid.ok("GET", f"/api/node/{uuid}/note").json()["note"] == "done"
    assert texts(dvid.ok("GET", f"/api/node/{uuid}/log").json()["log"]) == ["a", "b"]
    r = dvid.post(f"/api/node/{uuid}/commit", json={})
    assert r.status_code == 400


def test_newversion_needs_a_locked_parent(repo):
    dvid, uuid = repo
    r = dvid.post(f"/api/node/{uuid}/newversion", json={})
    assert r.status_code == 400
    dvid.commit(uuid)
    child = dvid.newversion(uuid)
    dag = dvid.ok("GET", f"/api/repo/{uuid}/info").json()["DAG"]["Nodes"]
    assert set(dag) == {uuid, child}
    assert dag[child]["Parents"] == [dag[uuid]["VersionID"]]
    assert dag[uuid]["Children"] == [dag[child]["VersionID"]]


def test_branches_and_branch_addressing(repo):
    dvid, uuid = repo
    dvid.ok("POST", kv(uuid, "k"), content=b"root")
    dvid.commit(uuid)
    main = dvid.newversion(uuid)
    side = dvid.branch(uuid, "experiment")
    dvid.ok("POST", kv(side, "k"), content=b"side")
    assert dvid.ok("GET", kv(f"{uuid[:6]}:experiment", "k")).content == b"side"
    assert dvid.ok("GET", kv(f"{uuid[:6]}:master", "k")).content == b"root"
    assert dvid.ok("GET", f"/api/repo/{uuid}/branch-versions/experiment").json() == [side, uuid]
    assert dvid.ok("GET", f"/api/repo/{uuid}/branch-versions/master").json() == [main, uuid]
    r = dvid.post(f"/api/node/{uuid}/branch", json={"branch": "master"})
    assert r.status_code == 400
    r = dvid.get(kv(f"{uuid[:6]}:nosuchbranch", "k"))
    assert r.status_code == 400


def test_tag(repo):
    dvid, uuid = repo
    dvid.commit(uuid)
    r = dvid.ok("POST", f"/api/node/{uuid}/tag", json={"tag": "v1", "note": "release"})
    assert r.json() == {"child": "v1"}
    r = dvid.post(f"/api/node/{uuid}/tag", json={"tag": "has space"})
    assert r.status_code == 400


def test_node_note_and_log(repo):
    dvid, uuid = repo
    dvid.ok("POST", f"/api/node/{uuid}/note", json={"note": "hello"})
    assert dvid.ok("GET", f"/api/node/{uuid}/note").json() == {"note": "hello"}
    dvid.ok("POST", f"/api/node/{uuid}/log", json={"log": ["x"]})
    dvid.ok("POST", f"/api/node/{uuid}/log", json={"log": ["y"]})
    assert texts(dvid.ok("GET", f"/api/node/{uuid}/log").json()["log"]) == ["x", "y"]
    assert dvid.post(f"/api/node/{uuid}/note", json={"nope": 1}).status_code == 400
    assert dvid.ok("GET", f"/api/node/{uuid}/note").json() == {"note": "hello"}


def test_merge(repo):
    dvid, uuid = repo
    dvid.ok("POST", kv(uuid, "base"), content=b"0")
    dvid.commit(uuid)
    a = dvid.newversion(uuid)
    b = dvid.branch(uuid, "b")
    dvid.ok("POST", kv(a, "from-a"), content=b"a")
    dvid.ok("POST", kv(b, "from-b"), content=b"b")
    for node in (a, b):
        dvid.commit(node)
    r = dvid.post(f"/api/repo/{uuid}/merge", json={"mergeType": "conflict-free", "parents": [a, b], "note": "m"})
    assert r.status_code == 200, r.text
    merged = r.json()["child"]
    assert dvid.ok("GET", f"/api/node/{merged}/kv/keys").json() == ["base", "from-a", "from-b"]
    bad = dvid.post(f"/api/repo/{uuid}/merge", json={"mergeType": "other", "parents": [a, b]})
    assert bad.status_code == 400
    assert "conflict-free" in bad.text
    one = dvid.post(f"/api/repo/{uuid}/merge", json={"mergeType": "conflict-free", "parents": [a]})
    assert one.status_code == 400


# -- instances ------------------------------------------------------------------------------------


def test_instance_info_and_listing(repo):
    dvid, uuid = repo
    info = dvid.ok("GET", f"/api/node/{uuid}/kv/info").json()
    assert info["Base"]["TypeName"] == "testkv"
    assert info["Base"]["Name"] == "kv"
    assert "kv" in dvid.ok("GET", f"/api/repo/{uuid}/info").json()["DataInstances"]


@pytest.mark.parametrize("body, message", [
    ({"typename": "nosuchtype", "dataname": "x"}, "nosuchtype"),
    ({"dataname": "x"}, "typename"),
    ({"typename": "testkv"}, "dataname"),
    ({"typename": "testkv", "dataname": "kv"}, "kv"),
])
def test_bad_instance_creation(repo, body, message):
    dvid, uuid = repo
    r = dvid.post(f"/api/repo/{uuid}/instance", json=body)
    assert r.status_code == 400
    assert message in r.text
    assert list(dvid.ok("GET", f"/api/repo/{uuid}/info").json()["DataInstances"]) == ["kv"]


def test_rename_and_delete_instance(repo):
    dvid, uuid = repo
    dvid.ok("POST", kv(uuid, "k"), content=b"v")
    dvid.ok("POST", f"/api/repo/{uuid}/instance/kv/rename", json={"name": "kv2"})
    assert dvid.ok("GET", kv(uuid, "k", "kv2")).content == b"v"
    assert dvid.get(kv(uuid, "k")).status_code == 400
    assert dvid.delete(f"/api/repo/{uuid}/instance/kv2").status_code == 400  # needs imsure
    dvid.ok("DELETE", f"/api/repo/{uuid}/instance/kv2?imsure=true")
    assert dvid.get(kv(uuid, "k", "kv2")).status_code == 400
    assert dvid.ok("GET", f"/api/repo/{uuid}/info").json()["DataInstances"] == {}


# -- versioned storage through the third-party plugin ----------------------------------------------


def test_versioning_through_the_core(repo):
    dvid, uuid = repo
    dvid.ok("POST", kv(uuid, "a"), content=b"parent-a")
    dvid.ok("POST", kv(uuid, "b"), content=b"parent-b")
    dvid.commit(uuid)
    child = dvid.branch(uuid, "work")
    dvid.ok("POST", kv(child, "a"), content=b"child-a")
    dvid.ok("DELETE", kv(child, "b"))
    dvid.ok("POST", kv(child, "c"), content=b"child-c")
    dvid.commit(child)
    grandchild = dvid.newversion(child)

    def view(node):
        return dvid.ok("GET", f"/api/node/{node}/kv/keyrange/a/z").json()

    assert view(uuid) == {"a": "parent-a", "b": "parent-b"}
    assert view(child) == {"a": "child-a", "c": "child-c"}
    assert view(grandchild) == {"a": "child-a", "c": "child-c"}
    assert dvid.get(kv(grandchild, "b")).status_code == 404
    dvid.restart()
    assert view(uuid) == {"a": "parent-a", "b": "parent-b"}
    assert view(grandchild) == {"a": "child-a", "c": "child-c"}


def test_unversioned_instance_is_one_context(repo):
    dvid, uuid = repo
    dvid.new_instance(uuid, "testkv", "flat", versioned=False)
    dvid.ok("POST", kv(uuid, "k", "flat"), content=b"1")
    dvid.commit(uuid)
    child = dvid.newversion(uuid)
    dvid.ok("POST", kv(child, "k", "flat"), content=b"2")
    assert dvid.ok("GET", kv(uuid, "k", "flat")).content == b"2"


def test_failed_request_writes_nothing(repo):
    dvid, uuid = repo
    dvid.ok("POST", kv(uuid, "k"), content=b"before")
    r = dvid.post(kv(uuid, "k") + "?fail=after-write", content=b"after")
    assert r.status_code == 400
    assert "failing on purpose" in r.text
    assert dvid.ok("GET", kv(uuid, "k")).content == b"before"


def test_locked_node_refuses_writes_for_every_type(repo):
    dvid, uuid = repo
    dvid.new_instance(uuid, "uint8blk", "gray")
    dvid.ok("POST", kv(uuid, "k"), content=b"v")
    dvid.commit(uuid)
    r = dvid.post(kv(uuid, "k"), content=b"changed")
    assert r.status_code == 400
    assert "locked" in r.text
    r = dvid.post(f"/api/node/{uuid}/gray/raw/0_1_2/32_32_32/0_0_0", content=bytes(32**3))
    assert r.status_code == 400
    assert "locked" in r.text
    assert dvid.ok("GET", kv(uuid, "k")).content == b"v"
    assert dvid.ok("GET", f"/api/node/{uuid}/gray/raw/0_1_2/32_32_32/0_0_0").content == bytes(32**3)


def test_read_only_refuses_mutations(tmp_path):
    from conftest import Harness

    data = tmp_path / "ro"
    writer = Harness(data)
    uuid = writer.new_repo()
    writer.new_instance(uuid, "testkv", "kv")
    writer.ok("POST", kv(uuid, "k"), content=b"v")
    writer.restart(read_only=True)
    try:
        for method, url, body in [
            ("POST", kv(uuid, "k"), b"x"),
            ("DELETE", kv(uuid, "k"), b""),
            ("POST", "/api/repos", b"{}"),
            ("POST", f"/api/node/{uuid}/commit", b"{}"),
            ("POST", f"/api/repo/{uuid}/instance", b'{"typename": "testkv", "dataname": "x"}'),
        ]:
            r = writer.request(method, url, content=body)
            assert r.status_code == 400, (method, url, r.text)
            assert "read-only" in r.text
        assert writer.ok("GET", kv(uuid, "k")).content == b"v"
        assert writer.ok("GET", f"/api/node/{uuid}/commit").json() == {"Locked": False}
    finally:
        writer.close()


# -- server routes --------------------------------------------------------------------------------


def test_server_info_types_and_help(repo):
    dvid, uuid = repo
    info = dvid.ok("GET", "/api/server/info").json()
    assert info["DVID Version"].startswith("dvidpy")
    assert info["Storage backend"] == dvid.config.engine
    types = dvid.ok("GET", "/api/server/types").json()
    assert types["testkv"] == "example.org/dvidpy-testkv"
    compiled = dvid.ok("GET", "/api/server/compiled-types").json()
    assert {"uint8blk", "labelblk", "roi", "testkv"} <= set(compiled)
    assert "testkv" in dvid.ok("GET", "/api/help").text
    r = dvid.ok("GET", "/api/help/testkv")
    assert r.text == "testkv: versioned key-value pairs for plugin tests.\n"
    assert dvid.get("/api/help/nosuchtype").status_code in (400, 404)


def test_load(repo):
    dvid, _ = repo
    load = dvid.ok("GET", "/api/load").json()
    for key in ("GET requests", "PUT requests", "handlers active", "goroutines",
                "file bytes read", "file bytes written", "key bytes read", "key bytes written"):
        assert isinstance(load[key], int), key
    assert load["handlers active"] == 0
    assert load["goroutines"] >= 1


def test_unknown_routes_and_cors(dvid):
    r = dvid.get("/api/nothing/here")
    assert r.status_code == 404
    assert r.text == "404 page not found\n"
    r = dvid.get("/api/server/info", headers={"Origin": "http://example.org"})
    assert r.headers["access-control-allow-origin"] == "*"
    r = dvid.request("OPTIONS", "/api/repos", headers={
        "Origin": "http://example.org", "Access-Control-Request-Method": "POST"})
    assert r.status_code in (200, 204)
    assert "POST" in r.headers["access-control-allow-methods"]


def test_no_cors_when_disabled(make_dvid):
    harness = make_dvid(cors_domains=[])
    r = harness.get("/api/server/info", headers={"Origin": "http://example.org"})
    assert "access-control-allow-origin" not in r.headers


def test_throttle_answers_503_when_busy(make_dvid):
    harness = make_dvid(max_throttled_ops=1)
    uuid = harness.new_repo()
    harness.new_instance(uuid, "uint8blk", "g")
    url = f"/api/node/{uuid}/g/raw/0_1_2/32_32_32/0_0_0?throttle=on"
    assert harness.ok("GET", url).content == bytes(32**3)
    throttle = harness.server.throttle
    with throttle.slot():
        r = harness.get(url)
        assert r.status_code == 503
        r = harness.get(url.replace("throttle=on", "throttle=true"))
        assert r.status_code == 503
        assert harness.ok("GET", url.split("?")[0]).content == bytes(32**3)
    assert harness.ok("GET", url).content == bytes(32**3)


def test_config_file(tmp_path):
    path = tmp_path / "server.toml"
    path.write_text('[server]\nport = 9123\nread_only = true\nmax_throttled_ops = 3\n[store]\nsync = false\n')
    config = load_config(str(path))
    assert config.port == 9123
    assert config.read_only is True
    assert config.max_throttled_ops == 3
    assert config.store_options == {"sync": False}
