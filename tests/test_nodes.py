"""Node routes over HTTP: GET/POST /api/node/{uuid}/note and /log, GET /commit and /status,
POST /commit, /newversion, /branch and /tag, the locked-node rules, and metadata reads while
the DAG changes.

Ported scenarios: DVID's server/web_test.go (TestNote, TestLog, TestCommitBranchMergeDelete,
TestAssignableUUID, TestStressConcurrentMetadataOps) and tests_integration/api_test.go
(TestCommitAndBranch).
"""

from __future__ import annotations

import re
import threading

import pytest
from conftest import error_message, log_texts


def nodes(dvid, uuid: str) -> dict:
    return dvid.ok("GET", f"/api/repo/{uuid}/info").json()["DAG"]["Nodes"]


@pytest.fixture
def root(dvid) -> str:
    return dvid.new_repo("testRepo", "A test repository")


# -- note ---------------------------------------------------------------------------------------------


def test_note(dvid, root):
    r = dvid.ok("GET", f"/api/node/{root}/note")
    assert (r.text, r.headers["content-type"]) == ('{"note":""}', "application/json")
    r = dvid.ok("POST", f"/api/node/{root}/note", json={"note": "everything is awesome"})
    assert r.content == b""
    assert dvid.ok("GET", f"/api/node/{root}/note").text == '{"note":"everything is awesome"}'
    dvid.ok("POST", f"/api/node/{root[:5]}/note", json={"note": "replaced"})
    assert dvid.ok("GET", f"/api/node/{root}/note").json() == {"note": "replaced"}
    assert nodes(dvid, root)[root]["Note"] == "replaced"


@pytest.mark.parametrize("body, message", [
    (b"", "Could not find 'note' value in POSTed JSON."),
    (b'{"nope": "x"}', "Could not find 'note' value in POSTed JSON."),
    (b'{"note": 5}', "'note' must be a string, not 5"),
    (b"{bad", "Malformed JSON request in body: "),
    (b'["note"]', "Malformed JSON request in body: expected a JSON object"),
])
def test_note_bad_bodies_change_nothing(dvid, root, body, message):
    dvid.ok("POST", f"/api/node/{root}/note", json={"note": "kept"})
    path = f"/api/node/{root}/note"
    assert error_message(dvid.post(path, content=body), path).startswith(message)
    assert dvid.ok("GET", path).json() == {"note": "kept"}


# -- log ---------------------------------------------------------------------------------------------------


def test_log(dvid, root):
    """TestLog: three lines, then two more, each stored as '<timestamp>  <text>'."""
    r = dvid.ok("GET", f"/api/node/{root}/log")
    assert (r.text, r.headers["content-type"]) == ('{"log":[]}', "application/json")
    assert dvid.ok("POST", f"/api/node/{root}/log",
                   json={"log": ["line1", "line2", "some more stuff in a line"]}).content == b""
    dvid.ok("POST", f"/api/node/{root}/log", json={"log": ["line4", "line5"]})
    lines = dvid.ok("GET", f"/api/node/{root}/log").json()["log"]
    assert log_texts(lines) == ["line1", "line2", "some more stuff in a line", "line4", "line5"]
    assert nodes(dvid, root)[root]["Log"] == lines
    assert dvid.ok("GET", f"/api/repo/{root}/log").json() == {"log": []}  # the node log is not the repo log


@pytest.mark.parametrize("body, message", [
    (b"", "Could not find 'log' value in POSTed JSON."),
    (b'{"note": "x"}', "Could not find 'log' value in POSTed JSON."),
    (b'{"log": "x"}', "'log' must be a JSON array of strings"),
    (b'{"log": [["x"]]}', "'log' must be a JSON array of strings"),
])
def test_log_bad_bodies_change_nothing(dvid, root, body, message):
    path = f"/api/node/{root}/log"
    assert error_message(dvid.post(path, content=body), path) == message
    assert dvid.ok("GET", path).json() == {"log": []}


# -- commit and status ----------------------------------------------------------------------------------------


def test_commit(dvid, root):
    for action in ("commit", "status"):
        assert dvid.ok("GET", f"/api/node/{root}/{action}").text == '{"Locked":false}'
    r = dvid.ok("POST", f"/api/node/{root}/commit",
                json={"note": "This is my test commit", "log": ["line1", "line2", "some more stuff in a line"]})
    assert r.text == f'{{"committed": "{root}"}}'
    assert r.headers["content-type"] == "application/json"
    for action in ("commit", "status"):
        r = dvid.ok("GET", f"/api/node/{root}/{action}")
        assert (r.text, r.headers["content-type"]) == ('{"Locked":true}', "application/json")
    assert dvid.ok("GET", f"/api/node/{root}/note").json() == {"note": "This is my test commit"}
    assert log_texts(dvid.ok("GET", f"/api/node/{root}/log").json()["log"]) == [
        "line1", "line2", "some more stuff in a line"]
    dvid.restart()
    assert dvid.ok("GET", f"/api/node/{root}/commit").text == '{"Locked":true}'


def test_commit_by_prefix_answers_the_full_uuid(dvid, root):
    assert dvid.ok("POST", f"/api/node/{root[:6]}/commit", json={}).json() == {"committed": root}


def test_commit_keeps_the_note_when_none_is_given(dvid, root):
    dvid.ok("POST", f"/api/node/{root}/note", json={"note": "mine"})
    dvid.ok("POST", f"/api/node/{root}/commit", json={"log": ["only a log"]})
    assert dvid.ok("GET", f"/api/node/{root}/note").json() == {"note": "mine"}


@pytest.mark.parametrize("body, message", [
    (b"", "Malformed JSON request in body: unexpected end of JSON input"),
    (b"{", "Malformed JSON request in body: "),
    (b'{"note": 1}', "'note' must be a string, not 1"),
    (b'{"log": "x"}', "'log' must be a JSON array of strings"),
])
def test_commit_bad_bodies_leave_the_node_open(dvid, root, body, message):
    path = f"/api/node/{root}/commit"
    assert error_message(dvid.post(path, content=body), path).startswith(message)
    assert dvid.ok("GET", path).json() == {"Locked": False}


def test_locked_node_refuses_note_log_and_commit(dvid, root):
    dvid.commit(root, "done")
    for action, body in (("note", {"note": "x"}), ("log", {"log": ["x"]}), ("commit", {})):
        path = f"/api/node/{root}/{action}"
        assert error_message(dvid.post(path, json=body), path) == f"Cannot do post on locked node {root}"
    assert dvid.ok("GET", f"/api/node/{root}/note").json() == {"note": "done"}
    assert dvid.ok("GET", f"/api/node/{root}/log").json() == {"log": []}


def test_admin_token_bypasses_the_lock(make_dvid):
    """TestCommitBranchMergeDelete: POST log on a locked node fails, with ?admintoken= it works."""
    dvid = make_dvid(admin_token="my-secret-token")
    root = dvid.ok("POST", "/api/repos?admintoken=my-secret-token").json()["root"]
    dvid.commit(root)
    path = f"/api/node/{root}/log"
    assert error_message(dvid.post(path, json={"log": ["x"]}), path) == f"Cannot do post on locked node {root}"
    assert dvid.post(path + "?admintoken=wrong", json={"log": ["x"]}).status_code == 400
    dvid.ok("POST", path + "?admintoken=my-secret-token", json={"log": ["line1"]})
    assert log_texts(dvid.ok("GET", path).json()["log"]) == ["line1"]


def test_full_write_mode_writes_on_locked_nodes(make_dvid):
    dvid = make_dvid(full_write=True)
    root = dvid.new_repo()
    dvid.commit(root)
    dvid.ok("POST", f"/api/node/{root}/note", json={"note": "after commit"})
    assert dvid.ok("GET", f"/api/node/{root}/note").json() == {"note": "after commit"}
    assert dvid.ok("GET", "/api/server/info").json()["Mode"] == "allow writes on committed nodes"


# -- newversion ----------------------------------------------------------------------------------------------


def test_newversion(dvid, root):
    path = f"/api/node/{root}/newversion"
    assert error_message(dvid.post(path), path) == "can't branch an unlocked node"
    dvid.commit(root)
    r = dvid.ok("POST", path)  # an empty body is fine
    child = r.json()["child"]
    assert r.text == f'{{"child": "{child}"}}'
    assert re.fullmatch(r"[0-9a-f]{32}", child)
    dag = nodes(dvid, root)
    assert dag[child]["Parents"] == [dag[root]["VersionID"]]
    assert dag[child]["VersionID"] == dag[root]["VersionID"] + 1
    assert (dag[child]["Branch"], dag[child]["Locked"]) == ("", False)
    assert dag[root]["Children"] == [dag[child]["VersionID"]]
    # a second child on the same branch is refused
    assert error_message(dvid.post(path), path) == "branch already exists with given name"
    assert set(nodes(dvid, root)) == {root, child}


def test_newversion_note_and_bad_bodies(dvid, root):
    dvid.commit(root)
    path = f"/api/node/{root}/newversion"
    assert error_message(dvid.post(path, content=b"[1]"), path) == "Malformed JSON request in body: expected a JSON object"
    assert error_message(dvid.post(path, json={"note": 3}), path) == "'note' must be a string, not 3"
    child = dvid.ok("POST", path, json={"note": "some child"}).json()["child"]
    assert dvid.ok("GET", f"/api/node/{child}/note").json() == {"note": "some child"}


def test_newversion_continues_the_parents_branch(dvid, root):
    dvid.commit(root)
    b1 = dvid.branch(root, "feature")
    dvid.commit(b1)
    b2 = dvid.newversion(b1)
    assert nodes(dvid, root)[b2]["Branch"] == "feature"
    assert dvid.ok("GET", f"/api/repo/{root}/branch-versions/feature").json() == [b2, b1, root]


# -- branch --------------------------------------------------------------------------------------------------


def test_branch(dvid, root):
    dvid.commit(root)
    path = f"/api/node/{root}/branch"
    r = dvid.ok("POST", path, json={"branch": "mybranch", "note": "side work"})
    child = r.json()["child"]
    assert r.text == f'{{"child": "{child}"}}'
    dag = nodes(dvid, root)
    assert (dag[child]["Branch"], dag[child]["Note"], dag[child]["Parents"]) == (
        "mybranch", "side work", [dag[root]["VersionID"]])
    assert error_message(dvid.post(path, json={"branch": "mybranch"}), path) == "branch already exists with given name"
    # the name is taken anywhere in the DAG, not only below this parent
    main = dvid.newversion(root)
    dvid.commit(main)
    other = f"/api/node/{main}/branch"
    assert error_message(dvid.post(other, json={"branch": "mybranch"}), other) == "branch already exists with given name"


@pytest.mark.parametrize("body, message", [
    (b"", "Malformed JSON request in body: unexpected end of JSON input"),
    (b"{}", "Cannot create a master branch"),
    (b'{"branch": ""}', "Cannot create a master branch"),
    (b'{"branch": "master"}', "Cannot create a master branch"),
    (b'{"branch": 5}', "'branch' must be a string, not 5"),
])
def test_branch_bad_bodies(dvid, root, body, message):
    dvid.commit(root)
    path = f"/api/node/{root}/branch"
    assert error_message(dvid.post(path, content=body), path) == message
    assert set(nodes(dvid, root)) == {root}


def test_branch_needs_a_locked_parent(dvid, root):
    path = f"/api/node/{root}/branch"
    assert error_message(dvid.post(path, json={"branch": "b"}), path) == "can't branch an unlocked node"


def test_branch_of_the_parents_own_branch_is_a_new_version(dvid, root):
    dvid.commit(root)
    b1 = dvid.branch(root, "b")
    dvid.commit(b1)
    b2 = dvid.branch(b1, "b")
    assert nodes(dvid, root)[b2]["Branch"] == "b"
    path = f"/api/node/{b1}/branch"
    assert error_message(dvid.post(path, json={"branch": "b"}), path) == "branch already exists with given name"


# -- assigned UUIDs and tags -----------------------------------------------------------------------------------


def test_assignable_uuids(dvid, root):
    """TestAssignableUUID."""
    dvid.commit(root, "This is my test commit")
    path = f"/api/node/{root}/newversion"
    r = dvid.ok("POST", path, json={"uuid": "f3870173ad1d4a6a872b9fd860e246b3"})
    assert r.json() == {"child": "f3870173ad1d4a6a872b9fd860e246b3"}
    assert dvid.post(path, json={"uuid": "f3870173ad1d4a6a872b9fd860e246b3"}).status_code == 400
    for bad in ("f3870173ad1d4a6a872b9f0e246b3", "fXX70173ad1d4a6a872b9fd860e246b3"):
        msg = error_message(dvid.post(path, json={"uuid": bad}), path)
        assert msg == f"Bad UUID provided: {bad!r} must be 32 hexadecimal digits"
    r = dvid.ok("POST", f"/api/node/{root}/branch", json={"branch": "mybranch2", "uuid": "7487347145aa42d0bda8ae6f27d4605c"})
    assert r.json() == {"child": "7487347145aa42d0bda8ae6f27d4605c"}
    assert dvid.ok("GET", "/api/node/7487347145/note").json() == {"note": ""}
    r = dvid.ok("POST", f"/api/node/{root}/tag", json={"note": "This is my tag", "tag": "v1.0"})
    assert r.text == '{"child": "v1.0"}'
    assert dvid.ok("GET", "/api/node/v1.0/status").json() == {"Locked": True}


def test_assigned_uuid_already_in_use_is_refused(dvid, root):
    dvid.commit(root)
    child = dvid.newversion(root)
    path = f"/api/node/{root}/branch"
    assert error_message(dvid.post(path, json={"branch": "b", "uuid": child}), path) == "UUID already exists in datastore"
    assert error_message(dvid.post(path, json={"branch": "b", "uuid": root}), path) == "UUID already exists in datastore"
    assert set(nodes(dvid, root)) == {root, child}


def test_assigned_uuid_keeps_its_case(dvid, root):
    dvid.commit(root)
    upper = "F3870173AD1D4A6A872B9FD860E246B3"
    assert dvid.ok("POST", f"/api/node/{root}/branch", json={"branch": "b", "uuid": upper}).json() == {"child": upper}
    assert upper in nodes(dvid, root)
    assert dvid.ok("GET", "/api/node/F387/commit").json() == {"Locked": False}
    path = "/api/node/f387/commit"  # prefixes match case-sensitively, as in DVID
    assert error_message(dvid.get(path), path) == "could not find UUID with partial match to f387"


def test_tag(dvid, root):
    path = f"/api/node/{root}/tag"
    assert error_message(dvid.post(path, json={"tag": "v1"}), path) == "can't branch an unlocked node"
    dvid.commit(root)
    assert dvid.ok("POST", path, json={"tag": "v1.0", "note": "release"}).json() == {"child": "v1.0"}
    tag = nodes(dvid, root)["v1.0"]
    assert (tag["Branch"], tag["Locked"], tag["Note"]) == (
        "tag-v1.0", True, f'Tag of version {root} with "v1.0"')
    assert dvid.ok("GET", "/api/node/v1/status").text == '{"Locked":true}'  # prefixes apply to tags too
    assert error_message(dvid.post(path, json={"tag": "v1.0"}), path) == "branch already exists with given name"
    # a tag is a locked version: it can be branched from
    child = dvid.newversion("v1.0")
    assert nodes(dvid, root)[child]["Parents"] == [tag["VersionID"]]


@pytest.mark.parametrize("tag", ["", "has space", "a/b", "a:b", "a~1", 'say "hi"', "a\\b", "v1?x", "v1#x", "100%",
                                 "tab\there", "new\nline"])
def test_bad_tags(dvid, root, tag):
    """A tag becomes a UUID used in URLs and JSON replies: what would break either is refused."""
    dvid.commit(root)
    path = f"/api/node/{root}/tag"
    assert error_message(dvid.post(path, json={"tag": tag}), path) == (
        "'tag' must be a non-empty name without '/', ':', '~', '?', '#', '%', '\"', '\\' or spaces")
    assert set(nodes(dvid, root)) == {root}


def test_tag_names_that_are_fine(dvid, root):
    dvid.commit(root)
    for tag in ("v2.0-rc1", "release_2024", "été"):
        r = dvid.ok("POST", f"/api/node/{root}/tag", json={"tag": tag})
        assert r.json() == {"child": tag}
        assert dvid.ok("GET", f"/api/node/{tag}/status").json() == {"Locked": True}


# -- routing --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method, action, allow", [
    ("GET", "newversion", "POST"), ("GET", "branch", "POST"), ("GET", "tag", "POST"), ("PUT", "note", "GET, HEAD, POST"),
    ("DELETE", "commit", "GET, HEAD, POST"), ("PUT", "log", "GET, HEAD, POST"), ("POST", "status", "GET, HEAD"),
])
def test_wrong_methods_are_405_with_allow(dvid, root, method, action, allow):
    r = dvid.request(method, f"/api/node/{root}/{action}")
    assert (r.status_code, r.text, r.headers["allow"]) == (405, "Method Not Allowed\n", allow)
    assert dvid.ok("GET", f"/api/node/{root}/commit").json() == {"Locked": False}


def test_node_without_action(dvid, root):
    assert dvid.get(f"/api/node/{root}").status_code == 404
    path = "/api/node/0123"
    assert error_message(dvid.get(path), path) == "could not find UUID with partial match to 0123"
    path = "/api/node/0123/note"
    assert error_message(dvid.post(path, json={"note": "x"}), path) == "could not find UUID with partial match to 0123"


def test_head_on_node_gets(dvid, root):
    r = dvid.request("HEAD", f"/api/node/{root}/commit")
    assert (r.status_code, r.content) == (200, b"")


def test_metadata_reads_while_the_dag_changes(dvid, root):
    """TestStressConcurrentMetadataOps, smaller: readers of repo info, notes and logs run while
    commits, new versions and branches are made; every answer is a 200 with well-typed nodes."""
    failures: list[str] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            r = dvid.get(f"/api/repo/{root}/info")
            if r.status_code != 200:
                failures.append(r.text)
                return
            for uuid, node in r.json()["DAG"]["Nodes"].items():
                if not (isinstance(node["VersionID"], int) and isinstance(node["Locked"], bool)
                        and all(isinstance(p, int) for p in node["Parents"] + node["Children"])):
                    failures.append(repr(node))
                for action in ("note", "log"):
                    r = dvid.get(f"/api/node/{uuid}/{action}")
                    if r.status_code != 200:
                        failures.append(r.text)

    readers = [threading.Thread(target=reader) for _ in range(4)]
    for t in readers:
        t.start()
    try:
        leaf = root
        for i in range(15):
            dvid.ok("POST", f"/api/node/{leaf}/commit", json={"note": f"commit {i}", "log": ["line1", "line2"]})
            dvid.branch(leaf, f"branch-{i}")
            leaf = dvid.newversion(leaf)
    finally:
        done.set()
        for t in readers:
            t.join()
    assert failures == []
    assert len(nodes(dvid, root)) == 31
