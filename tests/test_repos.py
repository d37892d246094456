"""Repo routes over HTTP: POST /api/repos, GET /api/repos/info, HEAD /api/repo/{uuid},
GET/POST /api/repo/{uuid}/info and /log, POST /api/repo/{uuid}/merge,
GET /api/repo/{uuid}/branch-versions/{name}, UUID specifiers, and persistence across restarts.

Ported scenarios: DVID's server/web_test.go (TestReload, TestHTTPCreate, TestCommitBranchMergeDelete),
datastore/datastore_test.go (TestBranching) and datastore/repo_local_test.go (TestRepoPersistence,
TestNewRepoDifferent, TestUUIDAssignment).
"""

from __future__ import annotations

import re

import pytest
from conftest import error_message, log_texts

NANO_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?(Z|[+-]\d\d:\d\d)$")
NODE_FIELDS = ["Branch", "Note", "Log", "UUID", "VersionID", "Locked", "Parents", "Children", "Created", "Updated"]
REPO_FIELDS = ["Root", "Alias", "Description", "Log", "Properties", "DataInstances", "DAG",
               "MutationID", "SavedMutationID", "Created", "Updated"]
BASE_FIELDS = ["TypeName", "TypeURL", "TypeVersion", "DataUUID", "Name", "RepoUUID", "Compression",
               "Checksum", "Syncs", "Versioned", "KVStore", "LogStore", "Tags"]


def info(dvid, uuid: str) -> dict:
    return dvid.ok("GET", f"/api/repo/{uuid}/info").json()


# -- POST /api/repos --------------------------------------------------------------------------------


def test_new_repo_reply_is_dvids_literal(dvid):
    r = dvid.ok("POST", "/api/repos", json={"alias": "myrepo", "description": "test repo"})
    assert r.headers["content-type"] == "application/json"
    root = r.json()["root"]
    assert re.fullmatch(r"[0-9a-f]{32}", root)
    assert r.text == f'{{"root": "{root}"}}'
    repo = info(dvid, root)
    assert (repo["Root"], repo["Alias"], repo["Description"]) == (root, "myrepo", "test repo")


def test_new_repo_with_an_empty_body_and_case_insensitive_keys(dvid):
    empty = dvid.ok("POST", "/api/repos").json()["root"]
    assert (info(dvid, empty)["Alias"], info(dvid, empty)["Description"]) == ("", "")
    mixed = dvid.ok("POST", "/api/repos", json={"Alias": "A", "DESCRIPTION": "D", "unknown": 5}).json()["root"]
    assert (info(dvid, mixed)["Alias"], info(dvid, mixed)["Description"]) == ("A", "D")


def test_new_repos_are_different(dvid):
    """TestNewRepoDifferent: different root UUIDs and root version ids."""
    a, b = dvid.new_repo(), dvid.new_repo()
    assert a != b
    va = info(dvid, a)["DAG"]["Nodes"][a]["VersionID"]
    vb = info(dvid, b)["DAG"]["Nodes"][b]["VersionID"]
    assert (va, vb) == (1, 2)


def test_assigned_root_uuid(dvid):
    """TestHTTPCreate / TestUUIDAssignment: an assigned root is used and found by a prefix."""
    root = "28841c8277e044a7b187dda03e18da13"
    r = dvid.ok("POST", "/api/repos", json={"alias": "myrepo", "description": "test repo", "root": root})
    assert r.text == f'{{"root": "{root}"}}'
    assert list(dvid.ok("GET", "/api/repos/info").json()) == [root]
    assert info(dvid, root[:10])["Root"] == root
    again = dvid.post("/api/repos", json={"root": root})
    assert error_message(again, "/api/repos") == "UUID already exists in datastore"
    assert list(dvid.ok("GET", "/api/repos/info").json()) == [root]


@pytest.mark.parametrize("root", ["abc", "28841c8277e044a7b187dda03e18da1", "zz841c8277e044a7b187dda03e18da13"])
def test_bad_assigned_root(dvid, root):
    r = dvid.post("/api/repos", json={"root": root})
    assert error_message(r, "/api/repos") == f"Bad UUID provided for 'root': {root!r} is not 32 hexadecimal digits"
    assert dvid.ok("GET", "/api/repos/info").json() == {}


@pytest.mark.parametrize("body, message", [
    (b"not json", "Error decoding POSTed JSON config for new repo: Malformed JSON request in body: "),
    (b"[1, 2]", "Error decoding POSTed JSON config for new repo: Malformed JSON request in body: expected a JSON object"),
    (b'{"alias": 5}', "POST on repos endpoint requires valid 'alias': "),
    (b'{"description": ["x"]}', "POST on repos endpoint requires valid 'description': "),
    (b'{"passcode": true}', "POST on repos endpoint requires valid 'passcode': "),
])
def test_new_repo_bad_bodies(dvid, body, message):
    r = dvid.post("/api/repos", content=body)
    assert error_message(r, "/api/repos").startswith(message)
    assert dvid.ok("GET", "/api/repos/info").json() == {}


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_new_repo_only_by_post(dvid, method):
    r = dvid.request(method, "/api/repos")
    assert (r.status_code, r.text, r.headers["allow"]) == (405, "Method Not Allowed\n", "POST")
    assert dvid.ok("GET", "/api/repos/info").json() == {}


def test_repo_creation_needs_the_admin_token_when_one_is_set(make_dvid):
    """TestHTTPCreate: no token and a wrong token are refused, the right one is accepted."""
    dvid = make_dvid(admin_token="testadmintoken")
    message = "Creating a repo requires admin privileges (admintoken) on a server that is not read-only"
    assert error_message(dvid.post("/api/repos", json={}), "/api/repos") == message
    assert error_message(dvid.post("/api/repos?admintoken=wrongtoken", json={}), "/api/repos") == message
    assert dvid.ok("GET", "/api/repos/info").json() == {}
    root = dvid.ok("POST", "/api/repos?admintoken=testadmintoken", json={"alias": "x"}).json()["root"]
    assert list(dvid.ok("GET", "/api/repos/info").json()) == [root]


# -- GET /api/repos/info, GET /api/repo/{uuid}/info ----------------------------------------------------


def test_repos_info_empty(dvid):
    r = dvid.ok("GET", "/api/repos/info")
    assert (r.text, r.headers["content-type"]) == ("{}", "application/json")


def test_repos_info_is_keyed_by_root(dvid):
    a = dvid.new_repo("first", "one")
    dvid.commit(a)
    child = dvid.newversion(a)
    b = dvid.new_repo("second", "two")
    repos = dvid.ok("GET", "/api/repos/info").json()
    assert set(repos) == {a, b}
    assert repos[a]["Alias"] == "first" and repos[b]["Alias"] == "second"
    assert set(repos[a]["DAG"]["Nodes"]) == {a, child}
    assert repos[a] == info(dvid, child)  # any node finds its repo


def test_repo_info_fields_and_types(dvid):
    root = dvid.new_repo("myrepo", "a test repo")
    dvid.new_instance(root, "testkv", "kv", tags="type=meshes,stuff=something-something")
    dvid.new_instance(root, "uint8blk", "grayscale", BlockSize="64,64,64")
    dvid.commit(root, "first commit")
    child = dvid.newversion(root)
    repo = info(dvid, root)
    assert list(repo) == REPO_FIELDS
    assert repo["Root"] == repo["DAG"]["Root"] == root
    assert (repo["Properties"], repo["MutationID"], repo["SavedMutationID"]) == ({}, 1_000_000_000, 1_000_000_000)
    assert NANO_STAMP.match(repo["Created"]) and NANO_STAMP.match(repo["Updated"])
    assert log_texts(repo["Log"])[0].startswith('New data instance "kv" of type "testkv" with config ')
    nodes = repo["DAG"]["Nodes"]
    assert set(nodes) == {root, child}
    for node in nodes.values():
        assert list(node) == NODE_FIELDS
        assert NANO_STAMP.match(node["Created"]) and NANO_STAMP.match(node["Updated"])
    rv, cv = nodes[root]["VersionID"], nodes[child]["VersionID"]
    assert {k: nodes[root][k] for k in ("Branch", "Note", "UUID", "Locked", "Parents", "Children")} == {
        "Branch": "", "Note": "first commit", "UUID": root, "Locked": True, "Parents": [], "Children": [cv]}
    assert {k: nodes[child][k] for k in ("Branch", "Note", "Log", "Locked", "Parents", "Children")} == {
        "Branch": "", "Note": "", "Log": [], "Locked": False, "Parents": [rv], "Children": []}

    kv = repo["DataInstances"]["kv"]
    assert list(kv) == ["Base", "Extended"]
    assert list(kv["Base"]) == BASE_FIELDS
    assert {k: kv["Base"][k] for k in ("TypeName", "TypeURL", "TypeVersion", "Name", "RepoUUID", "Compression",
                                        "Checksum", "Syncs", "Versioned", "LogStore", "Tags")} == {
        "TypeName": "testkv", "TypeURL": "example.org/dvidpy-testkv", "TypeVersion": "0.3", "Name": "kv",
        "RepoUUID": root, "Compression": "LZ4 compression, level -1", "Checksum": "No checksum", "Syncs": [],
        "Versioned": True, "LogStore": "no mutation log set",
        "Tags": {"type": "meshes", "stuff": "something-something"}}
    assert re.fullmatch(r"[0-9a-f]{32}", kv["Base"]["DataUUID"])
    assert kv["Base"]["KVStore"] == dvid.server.engine.describe()
    assert kv["Base"]["KVStore"].startswith(f"{dvid.config.engine} @ ")
    gray = repo["DataInstances"]["grayscale"]
    assert gray["Base"]["TypeURL"] == "github.com/janelia-flyem/dvid/datatype/imageblk/uint8.go"
    assert gray["Base"]["Tags"] is None
    assert gray["Extended"]["Values"][0]["DataType"] == "uint8"
    assert gray["Extended"]["BlockSize"] == [64, 64, 64]


def test_repo_info_unknown_and_ambiguous_uuids(dvid):
    dvid.ok("POST", "/api/repos", json={"root": "aaaa0000000000000000000000000001"})
    dvid.ok("POST", "/api/repos", json={"root": "aaaa0000000000000000000000000002"})
    path = "/api/repo/aaaa/info"
    assert error_message(dvid.get(path), path) == "more than one UUID matches aaaa"
    path = "/api/repo/bbbb/info"
    assert error_message(dvid.get(path), path) == "could not find UUID with partial match to bbbb"
    assert info(dvid, "aaaa0000000000000000000000000002")["Root"] == "aaaa0000000000000000000000000002"
    assert info(dvid, "aaaa0000000000000000000000000001")["Root"] == "aaaa0000000000000000000000000001"


def test_head_repo(dvid):
    root = dvid.new_repo()
    dvid.commit(root)
    child = dvid.newversion(root)
    r = dvid.request("HEAD", f"/api/repo/{child[:8]}")
    assert (r.status_code, r.content) == (200, b"")
    assert r.headers["content-type"].startswith("text/plain")
    r = dvid.get(f"/api/repo/{root}")
    assert (r.status_code, r.headers["allow"]) == (405, "DELETE, HEAD")
    assert dvid.request("HEAD", "/api/repo/ffffffff").status_code == 400


# -- POST /api/repo/{uuid}/info ----------------------------------------------------------------------------


def test_set_alias_and_description(dvid):
    root = dvid.new_repo("old", "old words")
    r = dvid.ok("POST", f"/api/repo/{root}/info", json={"alias": "myGreatAlias", "description": "A super description"})
    assert r.content == b""
    repo = info(dvid, root)
    assert (repo["Alias"], repo["Description"]) == ("myGreatAlias", "A super description")
    assert repo["Updated"] >= repo["Created"]
    dvid.ok("POST", f"/api/repo/{root}/info", json={"Description": "only this"})
    repo = info(dvid, root)
    assert (repo["Alias"], repo["Description"]) == ("myGreatAlias", "only this")
    dvid.ok("POST", f"/api/repo/{root}/info")  # an empty body changes nothing
    assert info(dvid, root)["Alias"] == "myGreatAlias"


def test_set_repo_info_bad_bodies_change_nothing(dvid):
    root = dvid.new_repo("keep", "keep too")
    path = f"/api/repo/{root}/info"
    assert error_message(dvid.post(path, json={"alias": 7, "description": "x"}), path) == "'alias' must be a string, not 7"
    assert error_message(dvid.post(path, content=b"{"), path).startswith("Malformed JSON request in body: ")
    assert error_message(dvid.post(path, content=b'"str"'), path) == "Malformed JSON request in body: expected a JSON object"
    repo = info(dvid, root)
    assert (repo["Alias"], repo["Description"]) == ("keep", "keep too")


def test_repo_info_can_change_through_a_locked_node(dvid):
    root = dvid.new_repo("before")
    dvid.commit(root)
    dvid.ok("POST", f"/api/repo/{root}/info", json={"alias": "after"})
    assert info(dvid, root)["Alias"] == "after"


def test_reload(dvid):
    """TestReload: alias, description and node note survive a restart."""
    root = dvid.new_repo()
    dvid.ok("POST", f"/api/repo/{root}/info", json={"alias": "myGreatAlias", "description": "A super description"})
    dvid.ok("POST", f"/api/node/{root}/note", json={"note": "everything is awesome"})
    dvid.restart()
    repo = info(dvid, root)
    assert (repo["Alias"], repo["Description"]) == ("myGreatAlias", "A super description")
    assert dvid.ok("GET", f"/api/node/{root}/note").text == '{"note":"everything is awesome"}'


def test_repo_persistence(dvid):
    """TestRepoPersistence: everything is identical after a restart, the mutation ids too (they
    are counted exactly in the store; DVID saves them in strides of 100 and jumps on restart)."""
    root = dvid.new_repo("persist", "me")
    dvid.new_instance(root, "testkv", "kv")
    dvid.ok("POST", f"/api/repo/{root}/log", json={"log": ["a line"]})
    dvid.commit(root, "c")
    child = dvid.branch(root, "b")
    dvid.ok("POST", f"/api/node/{child}/log", json={"log": ["x"]})
    before = info(dvid, root)
    dvid.restart()
    after = info(dvid, root)
    assert (before["MutationID"], before["SavedMutationID"]) == (1_000_000_000, 1_000_000_000)
    assert after == before
    dvid.restart()
    assert info(dvid, root) == before


# -- repo log ---------------------------------------------------------------------------------------------------


def test_repo_log(dvid):
    root = dvid.new_repo()
    r = dvid.ok("GET", f"/api/repo/{root}/log")
    assert (r.text, r.headers["content-type"]) == ('{"log":[]}', "application/json")
    assert dvid.ok("POST", f"/api/repo/{root}/log", json={"log": ["line1", "line2", "some more stuff in a line"]}).content == b""
    dvid.ok("POST", f"/api/repo/{root}/log", json={"log": ["line4", "line5"]})
    lines = dvid.ok("GET", f"/api/repo/{root}/log").json()["log"]
    assert log_texts(lines) == ["line1", "line2", "some more stuff in a line", "line4", "line5"]
    assert info(dvid, root)["Log"] == lines
    dvid.commit(root)  # the repo log takes lines through a locked node too
    dvid.ok("POST", f"/api/repo/{root}/log", json={"log": ["after commit"]})
    assert log_texts(dvid.ok("GET", f"/api/repo/{root}/log").json()["log"])[-1] == "after commit"


@pytest.mark.parametrize("body, message", [
    (b"", "Could not find 'log' value in POSTed JSON."),
    (b"{}", "Could not find 'log' value in POSTed JSON."),
    (b'{"note": "x"}', "Could not find 'log' value in POSTed JSON."),
    (b'{"log": "one line"}', "'log' must be a JSON array of strings"),
    (b'{"log": [1, 2]}', "'log' must be a JSON array of strings"),
])
def test_repo_log_bad_bodies_change_nothing(dvid, body, message):
    root = dvid.new_repo()
    path = f"/api/repo/{root}/log"
    assert error_message(dvid.post(path, content=body), path) == message
    assert dvid.ok("GET", path).json() == {"log": []}


# -- branch-versions and UUID specifiers ----------------------------------------------------------------------


@pytest.fixture
def branching(dvid):
    """TestBranching: root -> m2 -> m3 (master), root -> o1 -> o2 ("other"), m3 -> r ("random", open)."""
    root = dvid.new_repo("my alias", "my desc")
    dvid.commit(root)
    m2 = dvid.newversion(root)
    dvid.commit(m2)
    o1 = dvid.branch(root, "other")
    dvid.commit(o1)
    m3 = dvid.newversion(m2)
    dvid.commit(m3)
    r = dvid.branch(m3, "random")
    o2 = dvid.newversion(o1)
    dvid.commit(o2)
    return dvid, {"root": root, "m2": m2, "m3": m3, "o1": o1, "o2": o2, "r": r}


def test_branch_versions(branching):
    dvid, n = branching
    master = dvid.ok("GET", f"/api/repo/{n['o2']}/branch-versions/master")
    assert master.headers["content-type"] == "application/json"
    assert master.json() == [n["m3"], n["m2"], n["root"]]
    assert dvid.ok("GET", f"/api/repo/{n['root']}/branch-versions/other").json() == [n["o2"], n["o1"], n["root"]]
    assert dvid.ok("GET", f"/api/repo/{n['root']}/branch-versions/random").json() == [n["r"], n["m3"], n["m2"], n["root"]]
    assert dvid.ok("GET", f"/api/repo/{n['root']}/branch-versions/foo").text == "[]"
    path = "/api/repo/nope/branch-versions/master"
    assert error_message(dvid.get(path), path) == "could not find UUID with partial match to nope"


@pytest.mark.parametrize("spec, expected", [
    ("{m2}:master", "m3"),
    ("{m2}:master~1", "m2"),
    ("{m2}:master~2", "root"),
    ("{m2}:", "m3"),
    (":master", "m3"),
    (":master~2", "root"),
    ("{m2}:other", "o2"),
    ("{r}:other~1", "o1"),
    (":random", "r"),
])
def test_branch_specifiers(branching, spec, expected):
    dvid, n = branching
    spec = spec.format(**{k: v[:5] for k, v in n.items()})
    dvid.ok("POST", f"/api/node/{n['r']}/note", json={"note": "the open leaf"})
    assert info(dvid, spec)["Root"] == n["root"]
    # the node a specifier names answers node actions for itself
    assert dvid.ok("GET", f"/api/node/{spec}/note").json() == dvid.ok("GET", f"/api/node/{n[expected]}/note").json()
    assert dvid.ok("GET", f"/api/node/{spec}/commit").json() == {"Locked": expected != "r"}
    if expected == "r":
        assert dvid.ok("GET", f"/api/node/{spec}/note").json() == {"note": "the open leaf"}
    else:
        r = dvid.post(f"/api/node/{spec}/note", json={"note": "x"})
        assert error_message(r, f"/api/node/{spec}/note") == f"Cannot do post on locked node {n[expected]}"


@pytest.mark.parametrize("spec, message", [
    ("{root}:nobranch", 'branch "nobranch" not found in repo '),
    ("{root}:master~3", 'parent 3 is out of range for branch "master"'),
    ("{root}:master~x", 'can\'t parse parent "x" in branch "master"'),
    ("a:b:c", 'bad UUID specification "a:b:c"'),
    ("ffff:master", "could not find UUID with partial match to ffff"),
])
def test_bad_branch_specifiers(branching, spec, message):
    dvid, n = branching
    spec = spec.format(root=n["root"][:6])
    path = f"/api/node/{spec}/commit"
    assert error_message(dvid.get(path), path).startswith(message)


def test_empty_prefix_needs_a_single_repo(branching):
    dvid, _ = branching
    dvid.new_repo()
    path = "/api/node/:master/note"
    assert error_message(dvid.get(path), path) == "UUID must be specified if more than one repo exists"


# -- merge -------------------------------------------------------------------------------------------------------


def test_commit_branch_merge(dvid):
    """TestCommitBranchMergeDelete, from the first newversion to the merge."""
    root = dvid.new_repo()
    assert dvid.post(f"/api/node/{root}/newversion").status_code == 400
    dvid.ok("POST", f"/api/node/{root}/commit", json={"note": "This is my test commit", "log": ["line1", "line2"]})
    p1 = dvid.ok("POST", f"/api/node/{root}/newversion").json()["child"]
    p2 = dvid.ok("POST", f"/api/node/{root}/branch", json={"branch": "mybranch"}).json()["child"]
    assert dvid.ok("GET", f"/api/repo/{p1}/branch-versions/master").json() == [p1, root]
    assert dvid.ok("GET", f"/api/repo/{p2}/branch-versions/mybranch").json() == [p2, root]
    dvid.ok("POST", f"/api/node/{p1}/commit", json={"note": "This is first parent"})
    dvid.ok("POST", f"/api/node/{p2}/commit", json={"note": "This is second parent"})
    r = dvid.ok("POST", f"/api/repo/{p1}/merge",
                json={"mergeType": "conflict-free", "note": "This is my merged node", "parents": [p1[:7], p2]})
    child = r.json()["child"]
    assert r.text == f'{{"child": "{child}"}}'
    nodes = info(dvid, root)["DAG"]["Nodes"]
    v1, v2, vc = nodes[p1]["VersionID"], nodes[p2]["VersionID"], nodes[child]["VersionID"]
    assert {k: nodes[child][k] for k in ("Branch", "Note", "Locked", "Parents", "Children")} == {
        "Branch": "", "Note": "This is my merged node", "Locked": False, "Parents": [v1, v2], "Children": []}
    assert nodes[p1]["Children"] == [vc] and nodes[p2]["Children"] == [vc]
    # dvidpy moves the master leaf to a merge on master at once (docs/compatibility.md)
    # (DVID's branch ancestry at a merge lists the other parents and walks on through the last)
    assert dvid.ok("GET", f"/api/repo/{root}/branch-versions/master").json() == [child, p1, p2, root]
    assert dvid.ok("GET", f"/api/node/{root[:6]}:master/note").json() == {"note": "This is my merged node"}
    dvid.restart()
    assert dvid.ok("GET", f"/api/repo/{root}/branch-versions/master").json() == [child, p1, p2, root]


def test_merge_lists_other_parents_and_walks_the_last(dvid):
    """DVID's branch ancestry at a merge: the other parents are listed, the walk goes on through the last."""
    root = dvid.new_repo()
    dvid.commit(root)
    side = dvid.branch(root, "side")
    dvid.commit(side)
    main = dvid.newversion(root)
    dvid.commit(main)
    child = dvid.ok("POST", f"/api/repo/{root}/merge",
                    json={"mergeType": "conflict-free", "parents": [main, side]}).json()["child"]
    assert dvid.ok("GET", f"/api/repo/{root}/branch-versions/master").json() == [child, main, side, root]


@pytest.fixture
def two_locked(dvid):
    root = dvid.new_repo()
    dvid.commit(root)
    a, b = dvid.newversion(root), dvid.branch(root, "b")
    dvid.commit(a)
    dvid.commit(b)
    return dvid, root, a, b


@pytest.mark.parametrize("body, message", [
    ({"parents": ["{a}", "{b}"]}, "'mergeType' must be 'conflict-free' at this time"),
    ({"mergeType": "automatic", "parents": ["{a}", "{b}"]}, "'mergeType' must be 'conflict-free' at this time"),
    ({"mergeType": "conflict-free"}, "Must specify at least two parent UUIDs using 'parents' field"),
    ({"mergeType": "conflict-free", "parents": ["{a}"]}, "Must specify at least two parent UUIDs using 'parents' field"),
    ({"mergeType": "conflict-free", "parents": "{a}{b}"}, "Must specify at least two parent UUIDs using 'parents' field"),
    ({"mergeType": "conflict-free", "parents": ["{a}", 3]}, "Must specify at least two parent UUIDs using 'parents' field"),
    ({"mergeType": "conflict-free", "parents": ["{a}", "ffff"]},
     'can\'t match parent "ffff": could not find UUID with partial match to ffff'),
    ({"mergeType": "conflict-free", "parents": ["{a}", "{a}"]}, 'parent "{a}" is given twice'),
])
def test_merge_bad_requests_change_nothing(two_locked, body, message):
    dvid, root, a, b = two_locked
    fill = {"a": a, "b": b}
    if isinstance(body.get("parents"), list):
        body = {**body, "parents": [p.format(**fill) if isinstance(p, str) else p for p in body["parents"]]}
    elif isinstance(body.get("parents"), str):
        body = {**body, "parents": body["parents"].format(**fill)}
    before = info(dvid, root)["DAG"]
    path = f"/api/repo/{root}/merge"
    assert error_message(dvid.post(path, json=body), path) == message.format(**fill)
    assert info(dvid, root)["DAG"] == before


def test_merge_needs_locked_parents_of_one_repo(two_locked):
    dvid, root, a, b = two_locked
    open_child = dvid.newversion(a)
    other = dvid.new_repo()
    dvid.commit(other)
    before = info(dvid, root)["DAG"]
    path = f"/api/repo/{root}/merge"
    r = dvid.post(path, json={"mergeType": "conflict-free", "parents": [b, open_child]})
    assert error_message(r, path) == "can't branch an unlocked node"
    r = dvid.post(path, json={"mergeType": "conflict-free", "parents": [a, other]})
    assert error_message(r, path) == f'parent "{other}" is not in the same repo as the first parent'
    assert error_message(dvid.post(path, content=b""), path) == "Malformed JSON request in body: unexpected end of JSON input"
    assert info(dvid, root)["DAG"] == before
    path = "/api/repo/ffff/merge"
    r = dvid.post(path, json={"mergeType": "conflict-free", "parents": [a, b]})
    assert error_message(r, path) == "could not find UUID with partial match to ffff"


def test_merge_takes_branch_specifiers(two_locked):
    dvid, root, a, b = two_locked
    r = dvid.ok("POST", f"/api/repo/{root}/merge",
                json={"mergeType": "conflict-free", "parents": [f"{root[:5]}:master", f"{root[:5]}:b"]})
    nodes = info(dvid, root)["DAG"]["Nodes"]
    assert nodes[r.json()["child"]]["Parents"] == [nodes[a]["VersionID"], nodes[b]["VersionID"]]


@pytest.mark.parametrize("method, path, allow", [
    ("GET", "merge", "POST"), ("PUT", "info", "GET, HEAD, POST"), ("DELETE", "log", "GET, HEAD, POST"),
    ("GET", "instance", "POST"), ("GET", "resolve", "POST"), ("POST", "branch-versions/master", "GET, HEAD"),
    ("GET", "instance/x/rename", "POST"), ("POST", "instance/x", "DELETE"),
])
def test_wrong_repo_verbs_are_405_with_allow(dvid, method, path, allow):
    root = dvid.new_repo()
    before = dvid.ok("GET", "/api/repos/info").json()
    r = dvid.request(method, f"/api/repo/{root}/{path}")
    assert (r.status_code, r.text, r.headers["allow"]) == (405, "Method Not Allowed\n", allow)
    assert dvid.ok("GET", "/api/repos/info").json() == before


def test_unknown_repo_actions_are_404(dvid):
    root = dvid.new_repo()
    r = dvid.get(f"/api/repo/{root}/nothing")
    assert (r.status_code, r.text) == (404, "404 page not found\n")
