"""Data instances over HTTP: POST /api/repo/{uuid}/instance with DVID's settings, dispatch of
/api/node/{uuid}/{name}/..., the locked-node rule for every datatype, the conventional info,
help, tags and sync endpoints, the core's blobstore, and deletion and renaming (HTTP extensions,
see docs/compatibility.md).

Ported scenarios: DVID's tests_integration/api_test.go (TestCommitAndBranch, TestReloadMetadata,
TestNewInstance, TestInstanceTags, TestSyncs, TestBlobStore) and keyvalue_test.go
(TestKeyvalueRequests, renaming in TestKeyvalueVersioning).
"""

from __future__ import annotations

import json
import os
import re
import threading

import pytest
from conftest import error_message

from dvidpy.storage import keys

VOLUME = "0_1_2/32_32_32/0_0_0"


def kv(uuid: str, key: str, name: str = "kv") -> str:
    return f"/api/node/{uuid}/{name}/key/{key}"


def instances(dvid, uuid: str) -> dict:
    return dvid.ok("GET", f"/api/repo/{uuid}/info").json()["DataInstances"]


def wait_for_purges() -> None:
    for thread in threading.enumerate():
        if thread.name == "dvidpy-purge":
            thread.join()


def stored_keys(dvid, instance_id: int) -> int:
    lo, hi = keys.instance_range(instance_id)
    with dvid.server.engine.reading() as txn:
        return sum(1 for _ in txn.scan(lo, hi, keys_only=True))


@pytest.fixture
def root(dvid) -> str:
    return dvid.new_repo("instances", "instance tests")


# -- creation -------------------------------------------------------------------------------------------


def test_new_instance_reply_and_log(dvid, root):
    r = dvid.ok("POST", f"/api/repo/{root[:6]}/instance", json={"typename": "testkv", "dataname": "kv"})
    assert r.headers["content-type"] == "application/json"
    assert r.text == f'{{"result": "Added kv [testkv] to node {root}"}}'
    log = dvid.ok("GET", f"/api/repo/{root}/log").json()["log"]
    assert log[-1].split("  ", 1)[1] == (
        'New data instance "kv" of type "testkv" with config {"dataname": "kv", "typename": "testkv"}')
    base = instances(dvid, root)["kv"]["Base"]
    assert (base["Name"], base["TypeName"], base["RepoUUID"], base["Versioned"]) == ("kv", "testkv", root, True)


def test_reply_is_valid_json_for_any_name(dvid, root):
    r = dvid.ok("POST", f"/api/repo/{root}/instance", json={"typename": "testkv", "dataname": 'say "hi" \\'})
    assert r.json() == {"result": f'Added say "hi" \\ [testkv] to node {root}'}
    assert r.text == '{"result": "Added say \\"hi\\" \\\\ [testkv] to node ' + root + '"}'
    dvid.ok("POST", kv(root, "k", 'say "hi" \\'), content=b"quoted")
    assert dvid.ok("GET", kv(root, "k", 'say "hi" \\')).content == b"quoted"


def test_settings_keys_are_case_insensitive(dvid, root):
    """TestNewInstance: lowercase ``compression`` and other spellings of the keys."""
    dvid.ok("POST", f"/api/repo/{root}/instance",
            json={"TypeName": "testkv", "DataName": "Mixed", "Versioned": "FALSE", "compression": "gzip:7",
                  "CHECKSUM": "crc32"})
    base = instances(dvid, root)["Mixed"]["Base"]
    assert (base["Versioned"], base["Compression"], base["Checksum"]) == (False, "gzip compression, level 7", "CRC32 checksum")


@pytest.mark.parametrize("setting, shown", [
    ("none", "No compression, level -1"),
    ("lz4", "LZ4 compression, level -1"),
    ("gzip", "gzip compression, level -1"),
    ("gzip:9", "gzip compression, level 9"),
    ("LZ4", "LZ4 compression, level -1"),
])
def test_compression_settings(dvid, root, setting, shown):
    dvid.new_instance(root, "testkv", "c", Compression=setting)
    assert instances(dvid, root)["c"]["Base"]["Compression"] == shown


@pytest.mark.parametrize("value, versioned", [
    (True, True), (False, False), ("true", True), ("1", True), ("false", False), ("0", False), ("False", False),
])
def test_versioned_settings(dvid, root, value, versioned):
    """TestJsonSet: ``versioned`` takes JSON booleans and the strings DVID accepts."""
    dvid.new_instance(root, "testkv", "v", versioned=value)
    assert instances(dvid, root)["v"]["Base"]["Versioned"] is versioned


def test_tags_at_creation(dvid, root):
    dvid.new_instance(root, "testkv", "kv", tags="type=meshes,stuff=something-something,novalue,=x, k = v ")
    assert instances(dvid, root)["kv"]["Base"]["Tags"] == {"type": "meshes", "stuff": "something-something", "k": "v"}
    assert dvid.ok("GET", f"/api/node/{root}/kv/tags").json() == {
        "Tags": {"type": "meshes", "stuff": "something-something", "k": "v"}}


@pytest.mark.parametrize("body, message", [
    ({"dataname": "x"}, "POST on repo endpoint requires specification of valid 'typename'"),
    ({"typename": "testkv"}, "POST on repo endpoint requires specification of valid 'dataname'"),
    ({"typename": "", "dataname": "x"}, "POST on repo endpoint requires specification of valid 'typename'"),
    ({"typename": "nosuchtype", "dataname": "x"}, 'Data type "nosuchtype" is not supported by current DVID server'),
    ({"typename": "uint8blck", "dataname": "x"},
     'Data type "uint8blck" is not supported by current DVID server; did you mean "uint8blk"?'),
    ({"typename": "LabelBlk", "dataname": "x"},
     'Data type "LabelBlk" is not supported by current DVID server; did you mean "labelblk"?'),
    ({"typename": "testkv", "dataname": "kv"}, 'Data named "kv" already exists in repo (root {root})'),
    ({"typename": "testkv", "dataname": "log"}, 'cannot use reserved name "log"'),
    ({"typename": "testkv", "dataname": "newversion"}, 'cannot use reserved name "newversion"'),
    ({"typename": "testkv", "dataname": "a/b"}, 'data instance names cannot contain "/": "a/b"'),
    ({"typename": "testkv", "dataname": "x", "versioned": "maybe"},
     "Illegal setting for 'versioned' (must be true or false): 'maybe'"),
    ({"typename": "testkv", "dataname": "x", "versioned": 1},
     "Illegal setting for 'versioned' (must be true or false): 1"),
    ({"typename": "testkv", "dataname": "x", "compression": "jpeg:80"}, "Illegal compression specified: jpeg:80"),
    ({"typename": "testkv", "dataname": "x", "compression": "zstd"}, "Illegal compression specified: zstd"),
    ({"typename": "testkv", "dataname": "x", "checksum": "md5"}, "Illegal checksum specified: md5"),
    ({"typename": "testkv", "dataname": "x", "sync": "nothere"},
     'Unable to sync with "nothere": no such data instance in repo'),
    ({"typename": "testkv", "dataname": "x", "tags": {"a": "b"}}, "Setting for 'tags' was not a string: {'a': 'b'}"),
])
def test_bad_instance_settings_create_nothing(dvid, root, body, message):
    dvid.new_instance(root, "testkv", "kv")
    log_before = dvid.ok("GET", f"/api/repo/{root}/log").json()
    path = f"/api/repo/{root}/instance"
    assert error_message(dvid.post(path, json=body), path) == message.replace("{root}", root)
    assert list(instances(dvid, root)) == ["kv"]
    assert dvid.ok("GET", f"/api/repo/{root}/log").json() == log_before


@pytest.mark.parametrize("body, message", [
    (b"", "Malformed JSON request in body: unexpected end of JSON input"),
    (b"{", "Malformed JSON request in body: "),
    (b'["typename"]', "Malformed JSON request in body: expected a JSON object"),
])
def test_bad_instance_bodies(dvid, root, body, message):
    path = f"/api/repo/{root}/instance"
    assert error_message(dvid.post(path, content=body), path).startswith(message)
    assert instances(dvid, root) == {}


def test_instance_creation_needs_an_open_node(dvid, root):
    dvid.commit(root)
    path = f"/api/repo/{root}/instance"
    r = dvid.post(path, json={"typename": "testkv", "dataname": "kv"})
    assert error_message(r, path) == f"New data instance cannot be created on locked node {root}"
    child = dvid.newversion(root)
    # through the open child (here named by a branch specifier); the name is repo-wide
    r = dvid.ok("POST", f"/api/repo/{root[:5]}:master/instance", json={"typename": "testkv", "dataname": "kv"})
    assert r.json() == {"result": f"Added kv [testkv] to node {child}"}
    assert instances(dvid, root)["kv"]["Base"]["RepoUUID"] == child
    assert dvid.get(kv(root, "k")).status_code == 404  # the root finds the instance, holds no data


def test_instances_survive_a_restart(dvid, root):
    """TestReloadMetadata: instances of several types, with their settings, after a restart."""
    dvid.new_instance(root, "testkv", "kv", tags="a=b")
    dvid.new_instance(root, "uint8blk", "grayscale", BlockSize="64,64,64", VoxelSize="3.2,3.2,40.0")
    dvid.new_instance(root, "labelblk", "labels")
    dvid.new_instance(root, "roi", "roi", versioned="false")
    dvid.ok("POST", kv(root, "k"), content=b"value")
    before = instances(dvid, root)
    dvid.restart()
    assert instances(dvid, root) == before
    assert dvid.ok("GET", kv(root, "k")).content == b"value"
    assert dvid.ok("GET", f"/api/node/{root}/grayscale/info").json()["Extended"]["BlockSize"] == [64, 64, 64]
    # ids keep counting after a restart: a new instance gets a fresh id and no old data
    dvid.new_instance(root, "testkv", "kv2")
    assert dvid.ok("GET", f"/api/node/{root}/kv2/keys").json() == []


# -- dispatch -------------------------------------------------------------------------------------------------


def test_key_requests(dvid, root):
    """TestKeyvalueRequests: HEAD on a missing key 404, after POST 200; GET the value."""
    dvid.new_instance(root, "testkv", "kv")
    assert dvid.request("HEAD", kv(root, "mykey")).status_code == 404
    dvid.ok("POST", kv(root, "mykey"), content=b"some data")
    assert dvid.request("HEAD", kv(root, "mykey")).status_code == 200
    r = dvid.ok("GET", kv(root, "mykey"))
    assert (r.content, r.headers["content-type"]) == (b"some data", "application/octet-stream")
    path = f"/api/node/{root}/kv/key/"
    assert error_message(dvid.get(path), path) == "key endpoint needs a key"


def test_unknown_instance_and_endpoint(dvid, root):
    dvid.new_instance(root, "testkv", "kv")
    path = f"/api/node/{root}/nosuch/key/a"
    assert error_message(dvid.get(path), path) == "invalid data instance name"
    path = f"/api/node/{root}/kv/nosuch"
    r = dvid.get(path)
    assert (r.status_code, r.text) == (
        400, f'Bad API call ({path}) for data "kv".  See API help at http://testserver/api/help/testkv\n')
    assert r.headers["content-type"].startswith("text/plain")
    path = f"/api/node/{root}/kv"
    assert dvid.get(path).text.startswith(f"Bad API call ({path}) for data \"kv\".")
    path = f"/api/node/0000/kv/key/a"
    assert error_message(dvid.get(path), path) == "could not find UUID with partial match to 0000"


def test_info_and_help_endpoints(dvid, root):
    dvid.new_instance(root, "testkv", "kv")
    r = dvid.ok("GET", f"/api/node/{root}/kv/info")
    assert r.headers["content-type"] == "application/json"
    assert r.json() == instances(dvid, root)["kv"]
    path = f"/api/node/{root}/kv/info"
    assert error_message(dvid.post(path, content=b"{}"), path) == "info endpoint only supports GET HTTP verb"
    r = dvid.ok("GET", f"/api/node/{root}/kv/help")
    assert (r.text, r.headers["content-type"]) == (
        "testkv: versioned key-value pairs for plugin tests.\n", "text/plain; charset=utf-8")


def test_instance_tags(dvid, root):
    """TestInstanceTags: tags at creation, POST merges, ?replace=true replaces."""
    dvid.new_instance(root, "testkv", "kv", tags="type=meshes,stuff=something-something")
    dvid.ok("POST", f"/api/node/{root}/kv/tags", json={"tag1": "value1", "tag2": "value2"})
    expected = {"type": "meshes", "stuff": "something-something", "tag1": "value1", "tag2": "value2"}
    assert dvid.ok("GET", f"/api/node/{root}/kv/tags").json() == {"Tags": expected}
    assert dvid.ok("GET", f"/api/node/{root}/kv/info").json()["Base"]["Tags"] == expected
    dvid.restart()
    assert dvid.ok("GET", f"/api/node/{root}/kv/tags").json() == {"Tags": expected}
    dvid.ok("POST", f"/api/node/{root}/kv/tags?replace=true", json={})
    assert dvid.ok("GET", f"/api/node/{root}/kv/tags").json() == {"Tags": {}}
    path = f"/api/node/{root}/kv/tags"
    assert error_message(dvid.post(path, json={"a": 1}), path) == "tags must be posted as a JSON object of strings"


def test_instance_syncs(dvid, root):
    """TestSyncs: POST sync appends, ?replace=true replaces, an empty list replaces with none."""
    for name in ("labels", "labels2", "labels3"):
        dvid.new_instance(root, "labelblk", name)
    sync = f"/api/node/{root}/labels/sync"

    def syncs() -> list:
        return dvid.ok("GET", f"/api/node/{root}/labels/info").json()["Base"]["Syncs"]

    assert syncs() == []
    dvid.ok("POST", sync, json={"sync": "labels2"})
    assert syncs() == ["labels2"]
    dvid.ok("POST", sync, json={"sync": "labels3"})
    assert syncs() == ["labels2", "labels3"]
    dvid.ok("POST", sync + "?replace=true", json={"sync": "labels3"})
    assert syncs() == ["labels3"]
    dvid.restart()
    assert syncs() == ["labels3"]
    dvid.ok("POST", sync + "?replace=true", json={"sync": ""})
    assert syncs() == []
    assert error_message(dvid.post(sync, json={"sync": "nope"}), sync) == (
        'Unable to sync with "nope": no such data instance in repo')


def test_failed_request_writes_nothing(dvid, root):
    dvid.new_instance(root, "testkv", "kv")
    dvid.ok("POST", kv(root, "k"), content=b"before")
    path = kv(root, "k")
    r = dvid.post(path + "?fail=after-write", content=b"after")
    assert error_message(r, path) == "failing on purpose after writing"
    assert dvid.ok("GET", path).content == b"before"


# -- locked nodes, for every datatype -------------------------------------------------------------------------


@pytest.fixture
def locked(dvid, root):
    dvid.new_instance(root, "testkv", "kv")
    dvid.new_instance(root, "uint8blk", "grayscale")
    dvid.new_instance(root, "labelblk", "labels")
    dvid.new_instance(root, "roi", "roi")
    dvid.new_instance(root, "testkv", "flat", versioned="false")
    dvid.ok("POST", kv(root, "k"), content=b"v")
    dvid.ok("POST", f"/api/node/{root}/grayscale/raw/{VOLUME}", content=bytes(range(256)) * 128)
    dvid.commit(root)
    return dvid, root


MUTATIONS = [
    ("POST", "kv", "key/k", b"changed"),
    ("DELETE", "kv", "key/k", b""),
    ("POST", "kv", "tags", b'{"a": "b"}'),
    ("POST", "grayscale", f"raw/{VOLUME}", bytes(32**3)),
    ("POST", "grayscale", "blocks/0_0_0/1", bytes(32**3)),
    ("POST", "labels", f"raw/{VOLUME}", bytes(8 * 32**3)),
    ("DELETE", "labels", "blocks/0_0_0/1", b""),
    ("POST", "labels", "sync", b'{"sync": ""}'),
    ("POST", "roi", "", b"[[0, 0, 0, 1]]"),
    ("DELETE", "roi", "", b""),
]


@pytest.mark.parametrize("method, name, rest, body", MUTATIONS)
def test_locked_node_refuses_mutations(locked, method, name, rest, body):
    dvid, root = locked
    path = f"/api/node/{root}/{name}/{rest}".rstrip("/")
    keyword = rest.split("/")[0]
    r = dvid.request(method, path, content=body)
    assert error_message(r, path) == f'Cannot do {method} on endpoint "{keyword}" of locked node {root}'
    assert dvid.ok("GET", kv(root, "k")).content == b"v"
    assert dvid.ok("GET", f"/api/node/{root}/grayscale/raw/{VOLUME}").content == bytes(range(256)) * 128


def test_locked_node_allows_reads_and_non_mutating_posts(locked):
    dvid, root = locked
    assert dvid.ok("POST", f"/api/node/{root}/roi/ptquery", content=b"[[0, 0, 0]]").json() == [False]
    assert dvid.ok("GET", f"/api/node/{root}/labels/raw/{VOLUME}").content == bytes(8 * 32**3)
    # unversioned instances ignore locks; the blobstore too
    dvid.ok("POST", kv(root, "k", "flat"), content=b"flat")
    assert dvid.ok("GET", kv(root, "k", "flat")).content == b"flat"
    dvid.ok("POST", f"/api/node/{root}/kv/blobstore", content=b"blob")


def test_commit_and_branch_then_write_in_the_child(locked):
    """TestCommitAndBranch: after the commit, writes go to a new version."""
    dvid, root = locked
    child = dvid.newversion(root)
    dvid.ok("POST", kv(child, "k"), content=b"child value")
    dvid.ok("POST", f"/api/node/{child}/grayscale/raw/{VOLUME}", content=bytes(32**3))
    assert dvid.ok("GET", kv(root, "k")).content == b"v"
    assert dvid.ok("GET", kv(child, "k")).content == b"child value"
    assert dvid.ok("GET", f"/api/node/{root}/grayscale/raw/{VOLUME}").content == bytes(range(256)) * 128
    assert dvid.ok("GET", f"/api/node/{child}/grayscale/raw/{VOLUME}").content == bytes(32**3)
    r = dvid.post(f"/api/node/{root}/branch", json={"branch": "x"})
    assert r.status_code == 200
    assert dvid.post(f"/api/node/{root}/branch", json={"branch": "x"}).status_code == 400
    dvid.ok("POST", f"/api/repo/{root}/log", json={"log": ["on the locked root"]})


def test_admin_token_and_full_write_bypass_locks(make_dvid):
    for config, suffix in (({"admin_token": "tok"}, "?admintoken=tok"), ({"full_write": True}, "")):
        dvid = make_dvid(**config)
        root = dvid.ok("POST", "/api/repos" + suffix).json()["root"]
        dvid.new_instance(root, "testkv", "kv")
        dvid.new_instance(root, "uint8blk", "g")
        dvid.commit(root)
        dvid.ok("POST", kv(root, "k") + suffix, content=b"admin write")
        dvid.ok("POST", f"/api/node/{root}/g/raw/{VOLUME}{suffix}", content=bytes([7]) * 32**3)
        assert dvid.ok("GET", kv(root, "k")).content == b"admin write"
        assert dvid.ok("GET", f"/api/node/{root}/g/raw/{VOLUME}").content == bytes([7]) * 32**3
        dvid.ok("POST", f"/api/repo/{root}/instance{suffix}", json={"typename": "testkv", "dataname": "late"})
        if suffix:
            assert dvid.post(kv(root, "k"), content=b"x").status_code == 400


# -- blobstore -------------------------------------------------------------------------------------------------


def test_blobstore(dvid, root):
    """TestBlobStore: random blobs POSTed return references; GET returns identical bytes."""
    dvid.new_instance(root, "testkv", "kv")
    blobs = [os.urandom(n * 97 + 1) for n in range(20)]
    refs = []
    for blob in blobs:
        r = dvid.ok("POST", f"/api/node/{root}/kv/blobstore", content=blob)
        ref = r.json()["reference"]
        assert r.text == f'{{"reference": "{ref}"}}'
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}==", ref)
        refs.append(ref)
    assert len(set(refs)) == 20
    for blob, ref in zip(blobs, refs):
        r = dvid.ok("GET", f"/api/node/{root}/kv/blobstore/{ref}")
        assert (r.content, r.headers["content-type"]) == (blob, "application/octet-stream")
    # the same bytes give the same reference
    assert dvid.ok("POST", f"/api/node/{root}/kv/blobstore", content=blobs[0]).json()["reference"] == refs[0]
    dvid.restart()
    assert dvid.ok("GET", f"/api/node/{root}/kv/blobstore/{refs[3]}").content == blobs[3]


def test_blobstore_errors(dvid, root):
    dvid.new_instance(root, "testkv", "kv")
    path = f"/api/node/{root}/kv/blobstore"
    assert error_message(dvid.get(path), path) == "GET /blobstore requires reference"
    missing = "AAAAAAAAAAAAAAAAAAAAAA=="
    r = dvid.get(f"{path}/{missing}")
    assert (r.status_code, r.text) == (404, f'Reference "{missing}" not found\n')
    r = dvid.delete(f"{path}/{missing}")
    assert error_message(r, f"{path}/{missing}") == "can only do GET and POST actions on blobstore endpoint"
    path = f"/api/node/{root}/nope/blobstore"
    assert error_message(dvid.post(path, content=b"x"), path) == "invalid data instance name"


# -- rename and delete (HTTP extensions of DVID's command-line operations) ------------------------------------


def test_rename_keeps_data_and_identity(dvid, root):
    dvid.new_instance(root, "testkv", "leafdata")
    dvid.new_instance(root, "testkv", "versiontest")
    dvid.ok("POST", kv(root, "k", "leafdata"), content=b"v")
    data_uuid = instances(dvid, root)["leafdata"]["Base"]["DataUUID"]
    path = f"/api/repo/{root}/instance/leafdata/rename"
    r = dvid.post(path, json={"name": "versiontest"})
    assert error_message(r, path) == f'Data named "versiontest" already exists in repo (root {root})'
    r = dvid.ok("POST", path, json={"name": "renamedData"})
    assert (r.text, r.headers["content-type"]) == (
        'Renamed data instance "leafdata" to "renamedData"\n', "text/plain; charset=utf-8")
    assert dvid.ok("GET", kv(root, "k", "renamedData")).content == b"v"
    old = kv(root, "k", "leafdata")
    assert error_message(dvid.get(old), old) == "invalid data instance name"
    info = instances(dvid, root)
    assert sorted(info) == ["renamedData", "versiontest"]
    assert (info["renamedData"]["Base"]["Name"], info["renamedData"]["Base"]["DataUUID"]) == ("renamedData", data_uuid)
    log = dvid.ok("GET", f"/api/repo/{root}/log").json()["log"]
    assert log[-1].split("  ", 1)[1] == 'Renamed data instance "leafdata" to "renamedData"'
    dvid.restart()
    assert dvid.ok("GET", kv(root, "k", "renamedData")).content == b"v"


@pytest.mark.parametrize("body, message", [
    (b"", "Malformed JSON request in body: unexpected end of JSON input"),
    (b"{}", "rename needs a new name without '/' in field 'name'"),
    (b'{"name": "a/b"}', "rename needs a new name without '/' in field 'name'"),
    (b'{"name": 4}', "'name' must be a string, not 4"),
])
def test_rename_bad_bodies(dvid, root, body, message):
    dvid.new_instance(root, "testkv", "kv")
    path = f"/api/repo/{root}/instance/kv/rename"
    assert error_message(dvid.post(path, content=body), path) == message
    assert list(instances(dvid, root)) == ["kv"]


def test_rename_unknown_instance(dvid, root):
    path = f"/api/repo/{root}/instance/nosuch/rename"
    assert error_message(dvid.post(path, json={"name": "x"}), path) == f'no data instance "nosuch" in repo {root}'


def test_delete_instance_and_purge(dvid, root):
    dvid.new_instance(root, "testkv", "kv")
    dvid.new_instance(root, "testkv", "other")
    for i in range(50):
        dvid.ok("POST", kv(root, f"k{i}"), content=b"x")
    dvid.ok("POST", kv(root, "keep", "other"), content=b"kept")
    instance_id = dvid.server.datastore.catalog().repos[1].instances["kv"].instance_id
    assert stored_keys(dvid, instance_id) == 50
    path = f"/api/repo/{root}/instance/kv"
    assert error_message(dvid.delete(path), path) == "deletion is permanent; confirm it with ?imsure=true"
    assert list(instances(dvid, root)) == ["kv", "other"]
    r = dvid.ok("DELETE", path + "?imsure=true")
    assert r.text == f'Deleted data instance "kv" from repo {root}\n'
    assert list(instances(dvid, root)) == ["other"]
    gone = kv(root, "k1")
    assert error_message(dvid.get(gone), gone) == "invalid data instance name"
    log = dvid.ok("GET", f"/api/repo/{root}/log").json()["log"]
    assert log[-1].split("  ", 1)[1] == "Delete data instance 'kv' of type 'testkv'"
    wait_for_purges()
    assert stored_keys(dvid, instance_id) == 0
    assert dvid.ok("GET", kv(root, "keep", "other")).content == b"kept"
    # the name can be used again, for a fresh instance without the old data
    dvid.new_instance(root, "testkv", "kv")
    assert dvid.ok("GET", f"/api/node/{root}/kv/keys").json() == []
    dvid.restart()
    assert sorted(instances(dvid, root)) == ["kv", "other"]
    path = f"/api/repo/{root}/instance/nosuch?imsure=true"
    assert error_message(dvid.delete(path), path.split("?")[0]) == f'no data instance "nosuch" in repo {root}'


def test_delete_and_rename_need_the_passcode_and_admin_token(make_dvid):
    dvid = make_dvid(admin_token="tok")
    root = dvid.ok("POST", "/api/repos?admintoken=tok", json={"passcode": "secret"}).json()["root"]
    dvid.new_instance(root, "testkv", "kv")
    rename = f"/api/repo/{root}/instance/kv/rename"
    r = dvid.post(rename + "?passcode=secret", json={"name": "x"})
    assert error_message(r, rename) == "deleting or renaming requires admin privileges (admintoken)"
    r = dvid.post(rename + "?admintoken=tok", json={"name": "x"})
    assert error_message(r, rename) == f"repo {root} has a passcode; give it as ?passcode="
    r = dvid.post(rename + "?admintoken=tok&passcode=wrong", json={"name": "x"})
    assert error_message(r, rename) == f"repo {root} has a passcode; give it as ?passcode="
    dvid.ok("POST", rename + "?admintoken=tok&passcode=secret", json={"name": "x"})
    delete = f"/api/repo/{root}/instance/x"
    assert dvid.delete(delete + "?imsure=true&passcode=secret").status_code == 400
    dvid.ok("DELETE", delete + "?imsure=true&passcode=secret&admintoken=tok")
    assert instances(dvid, root) == {}
    # and the whole repo
    repo = f"/api/repo/{root}"
    assert error_message(dvid.delete(repo + "?imsure=true&admintoken=tok"), repo) == (
        f"repo {root} has a passcode; give it as ?passcode=")
    assert dvid.ok("DELETE", repo + "?imsure=true&admintoken=tok&passcode=secret").text == f"Deleted repo {root}\n"
    assert dvid.ok("GET", "/api/repos/info").json() == {}


def test_delete_repo_purges_its_data(dvid, root):
    dvid.new_instance(root, "testkv", "kv")
    dvid.ok("POST", kv(root, "k"), content=b"v")
    dvid.commit(root)
    child = dvid.newversion(root)
    instance_id = dvid.server.datastore.catalog().repos[1].instances["kv"].instance_id
    keep = dvid.new_repo()
    dvid.ok("DELETE", f"/api/repo/{child[:6]}?imsure=true")
    assert list(dvid.ok("GET", "/api/repos/info").json()) == [keep]
    for uuid in (root, child):
        path = f"/api/node/{uuid}/note"
        assert error_message(dvid.get(path), path) == f"could not find UUID with partial match to {uuid}"
    wait_for_purges()
    assert stored_keys(dvid, instance_id) == 0
    dvid.restart()
    assert list(dvid.ok("GET", "/api/repos/info").json()) == [keep]


def test_read_only_server_does_not_purge(dvid, root):
    """A deletion pending at start-up is finished by a writable server, never by a read-only one."""
    dvid.new_instance(root, "testkv", "kv")
    dvid.ok("POST", kv(root, "k"), content=b"v")
    instance_id = dvid.server.datastore.catalog().repos[1].instances["kv"].instance_id
    dvid.server._stopping.set()  # this server must not purge: leave the deletion pending
    dvid.ok("DELETE", f"/api/repo/{root}/instance/kv?imsure=true")
    wait_for_purges()
    assert stored_keys(dvid, instance_id) == 1
    dvid.restart(read_only=True)
    wait_for_purges()
    assert stored_keys(dvid, instance_id) == 1
    dvid.restart(read_only=False)
    wait_for_purges()
    assert stored_keys(dvid, instance_id) == 0


def test_settings_dump_in_the_log_is_json(dvid, root):
    dvid.new_instance(root, "uint8blk", "g", BlockSize=[64, 64, 64], Versioned=True)
    line = dvid.ok("GET", f"/api/repo/{root}/log").json()["log"][-1]
    dump = line.split(" with config ", 1)[1]
    assert json.loads(dump) == {"blocksize": [64, 64, 64], "dataname": "g", "typename": "uint8blk", "versioned": True}
    assert dvid.ok("GET", f"/api/node/{root}/g/info").json()["Extended"]["BlockSize"] == [64, 64, 64]
