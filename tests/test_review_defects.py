"""The seven defects a review against DVID found, each with the test that would have caught it."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest

from conftest import error_message
from dvidpy.storage import keys

ROOT = Path(__file__).resolve().parent.parent


def labels_raw(dvid, uuid: str, name: str, size=(64, 64, 64), offset=(0, 0, 0)) -> np.ndarray:
    body = dvid.ok("GET", f"/api/node/{uuid}/{name}/raw/0_1_2/{'_'.join(map(str, size))}/"
                          f"{'_'.join(map(str, offset))}").content
    return np.frombuffer(body, dtype="<u8").reshape(size[::-1])


# -- 1. a block delete reaches the lower scales ----------------------------------------------------------


def test_deleting_label_blocks_updates_the_synced_lower_scale(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "labelblk", "labels")
    dvid.new_instance(uuid, "labelblk", "labels_1")
    dvid.ok("POST", f"/api/node/{uuid}/labels_1/sync", json={"sync": "labels"})
    dvid.ok("POST", f"/api/node/{uuid}/labels/raw/0_1_2/64_64_64/0_0_0",
            content=np.full(64**3, 7, dtype="<u8").tobytes())
    assert (labels_raw(dvid, uuid, "labels_1", (32, 32, 32)) == 7).all()
    for y in (0, 1):
        for z in (0, 1):
            dvid.ok("DELETE", f"/api/node/{uuid}/labels/blocks/0_{y}_{z}/2")
    assert not labels_raw(dvid, uuid, "labels").any()
    assert not labels_raw(dvid, uuid, "labels_1", (32, 32, 32)).any()


def test_deleting_some_blocks_recomputes_only_their_octants(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "labelblk", "labels")
    dvid.new_instance(uuid, "labelblk", "labels_1")
    dvid.ok("POST", f"/api/node/{uuid}/labels_1/sync", json={"sync": "labels"})
    dvid.ok("POST", f"/api/node/{uuid}/labels/raw/0_1_2/64_64_64/0_0_0",
            content=np.full(64**3, 7, dtype="<u8").tobytes())
    dvid.ok("DELETE", f"/api/node/{uuid}/labels/blocks/1_0_0/1")
    half = labels_raw(dvid, uuid, "labels_1", (32, 32, 32)).copy()
    assert not half[:16, :16, 16:].any()
    half[:16, :16, 16:] = 7
    assert (half == 7).all()


def test_a_huge_delete_run_costs_only_the_stored_blocks(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "labelblk", "labels")
    dvid.ok("POST", f"/api/node/{uuid}/labels/raw/0_1_2/32_32_32/0_0_0", content=np.ones(32**3, "<u8").tobytes())
    dvid.ok("DELETE", f"/api/node/{uuid}/labels/blocks/0_0_0/100000000")
    assert not labels_raw(dvid, uuid, "labels", (32, 32, 32)).any()
    path = f"/api/node/{uuid}/labels/blocks/2147483000_0_0/1000"
    assert error_message(dvid.request("DELETE", path), path).startswith("a run of 1000 blocks from block x 2147483000")


# -- 2. merging keeps :master resolvable ------------------------------------------------------------------


def test_merging_a_node_with_a_master_child_keeps_master_resolvable(dvid):
    root = dvid.new_repo()
    dvid.commit(root)
    master_child = dvid.newversion(root)
    side = dvid.branch(root, "side")
    dvid.commit(side)
    merged = dvid.ok("POST", f"/api/repo/{root}/merge",
                     json={"mergeType": "conflict-free", "parents": [root, side]}).json()["child"]
    for _ in range(2):  # and again after a restart
        assert dvid.ok("GET", f"/api/node/{root}:master/commit").json() == {"Locked": False}
        r = dvid.ok("POST", f"/api/node/{root}:master/note", json={"note": "the leaf"})
        assert r.status_code == 200
        assert dvid.ok("GET", f"/api/node/{master_child}/note").json() == {"note": "the leaf"}
        assert dvid.ok("GET", f"/api/repo/{root}/branch-versions/master").json() == [master_child, root]
        assert dvid.ok("GET", f"/api/node/{merged}/commit").json() == {"Locked": False}
        dvid.restart()


# -- 3. invalid JSON point lists are refused --------------------------------------------------------------


@pytest.mark.parametrize("body", [b"[[1 2,3,4]]", b"[[1,2 3]]", b"[[01,2,3]]", b"[[1,2,3]", b"[[1,2,3],]",
                                  b"[[1,2,-]]", b"[[1,2,3,4]]", b"[[1.5,2,3]]", b"[1,2,3]", b"{}"])
def test_malformed_point_lists_are_400(dvid, body):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "labelblk", "labels")
    dvid.new_instance(uuid, "roi", "r")
    for path, prefix in ((f"/api/node/{uuid}/labels/labels", "Bad labels request JSON"),
                         (f"/api/node/{uuid}/r/ptquery", "Error trying to parse POSTed JSON")):
        r = dvid.post(path, content=body)
        assert error_message(r, path).startswith(prefix + ":"), (body, r.text)


def test_well_formed_point_lists_still_answer(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "labelblk", "labels")
    dvid.ok("POST", f"/api/node/{uuid}/labels/raw/0_1_2/32_32_32/0_0_0",
            content=np.arange(32**3, dtype="<u8").tobytes())
    body = b'[ [1, 2, 3],\n [0,0,0] , [31,31,31]]'
    assert dvid.ok("POST", f"/api/node/{uuid}/labels/labels", content=body).json() == [
        3 * 1024 + 2 * 32 + 1, 0, 32**3 - 1]


# -- 4. sync cycles are refused -------------------------------------------------------------------------


def test_a_labelblk_cannot_sync_to_itself_or_in_a_cycle(dvid):
    uuid = dvid.new_repo()
    for name in ("a", "b", "c"):
        dvid.new_instance(uuid, "labelblk", name)
    path = f"/api/node/{uuid}/a/sync"
    assert error_message(dvid.post(path, json={"sync": "a"}), path) == (
        "Unable to sync a with a: a already follows a, so the syncs would make a cycle")
    dvid.ok("POST", f"/api/node/{uuid}/b/sync", json={"sync": "a"})
    dvid.ok("POST", f"/api/node/{uuid}/c/sync", json={"sync": "b"})
    assert error_message(dvid.post(path, json={"sync": "c"}), path) == (
        "Unable to sync a with c: c already follows a, so the syncs would make a cycle")
    assert dvid.ok("GET", f"/api/node/{uuid}/a/info").json()["Base"]["Syncs"] == []
    dvid.ok("POST", f"/api/node/{uuid}/a/raw/0_1_2/32_32_32/0_0_0", content=np.full(32**3, 3, "<u8").tobytes())
    assert (labels_raw(dvid, uuid, "c", (32, 32, 32))[:8, :8, :8] == 3).all()


# -- 5. resolve with a parent that is itself an unresolved merge --------------------------------------------


def test_resolve_with_an_unresolved_merge_parent_is_a_400(dvid):
    root = dvid.new_repo()
    dvid.new_instance(root, "testkv", "kv")
    dvid.commit(root)
    left, right = dvid.newversion(root), dvid.branch(root, "right")
    dvid.ok("POST", f"/api/node/{left}/kv/key/k", content=b"left")
    dvid.ok("POST", f"/api/node/{right}/kv/key/k", content=b"right")
    dvid.commit(left)
    dvid.commit(right)
    merged = dvid.ok("POST", f"/api/repo/{root}/merge",
                     json={"mergeType": "conflict-free", "parents": [left, right]}).json()["child"]
    dvid.commit(merged)
    other = dvid.branch(root, "other")
    dvid.commit(other)
    before = dvid.ok("GET", f"/api/repo/{root}/info").json()
    path = f"/api/repo/{root}/resolve"
    r = dvid.post(path, json={"data": ["kv"], "parents": [merged, other]})
    assert error_message(r, path).startswith(f'cannot resolve data "kv": parent {merged} itself sees conflicting values')
    assert dvid.ok("GET", f"/api/repo/{root}/info").json() == before


# -- 6. purging a large deleted instance finishes ------------------------------------------------------------


def key_count(engine) -> int:
    with engine.reading() as txn:
        return sum(1 for _ in txn.scan(b"", b"\xff" * 8, keys_only=True))


def delete_without_purging(dvid, uuid: str, name: str) -> int:
    """Delete an instance as the route does, but leave the purge to the test."""
    instance_id = dvid.server.datastore.catalog().repos[1].instances[name].instance_id
    dvid.server.delete_instance(uuid, name, lambda repo: None)
    return instance_id


def test_purge_deleted_works_through_every_batch(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "testkv", "keep")
    dvid.ok("POST", f"/api/node/{uuid}/keep/key/k", content=b"kept")
    dvid.new_instance(uuid, "testkv", "big")
    baseline = key_count(dvid.server.engine)
    for i in range(25):
        dvid.ok("POST", f"/api/node/{uuid}/big/key/k{i:03d}", content=b"x")
    instance_id = delete_without_purging(dvid, uuid, "big")
    assert key_count(dvid.server.engine) == baseline + 25 + 1  # the data and the purge marker
    assert dvid.server.datastore.purge_deleted(batch=4) == 25
    lo, hi = keys.instance_range(instance_id)
    with dvid.server.engine.reading() as txn:
        assert list(txn.scan(lo, hi, keys_only=True)) == []
    assert key_count(dvid.server.engine) == baseline
    assert dvid.ok("GET", f"/api/node/{uuid}/keep/key/k").content == b"kept"


def test_purge_stops_when_asked_and_resumes(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "testkv", "big")
    for i in range(12):
        dvid.ok("POST", f"/api/node/{uuid}/big/key/k{i:03d}", content=b"x")
    instance_id = delete_without_purging(dvid, uuid, "big")
    datastore = dvid.server.datastore
    assert datastore.purge_deleted(batch=5, stop=lambda: True) == 5
    lo, hi = keys.instance_range(instance_id)
    with dvid.server.engine.reading() as txn:
        assert len(list(txn.scan(lo, hi, keys_only=True))) == 7
    assert datastore.purge_deleted(batch=5) == 7
    assert datastore.purge_deleted(batch=5) == 0


def test_restart_purges_and_the_space_comes_back(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "testkv", "keep")
    dvid.new_instance(uuid, "testkv", "big")
    before = key_count(dvid.server.engine)
    for i in range(30):
        dvid.ok("POST", f"/api/node/{uuid}/big/key/k{i:03d}", content=b"x" * 100)
    delete_without_purging(dvid, uuid, "big")
    dvid.restart()  # a start purges in the background
    deadline = time.monotonic() + 30
    while key_count(dvid.server.engine) != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert key_count(dvid.server.engine) == before


# -- 7. the declared dependency floors are real ---------------------------------------------------------------


def test_starlette_floor_has_max_body_size_and_keeps_escaped_paths():
    """max_body_size came in 1.6; an escaped "?" in a path survives request.url.path from 1.9
    (tests/test_chunk_path.py sends one)."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    floor = next(d for d in deps if d.startswith("starlette"))
    assert re.fullmatch(r"starlette>=1\.9(\.\d+)?", floor), floor


def test_ci_checks_the_floors():
    run = (ROOT / ".ci" / "run").read_text()
    assert ".ci/floors" in run
    out = subprocess.run([sys.executable, str(ROOT / ".ci" / "floors"), "--print"], capture_output=True, text=True,
                         check=True)
    pins = dict(line.split("==") for line in out.stdout.split())
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert sorted(pins) == sorted(re.split(r"[\[>=<]", d, maxsplit=1)[0] for d in declared)
    assert pins["starlette"] == "1.9.0"
