"""The client's server, repo, version and instance calls against a real server, each checked
against what the server then holds (read back over plain HTTP where the client's own answer
would prove nothing)."""

from __future__ import annotations

import re

import pytest
from conftest import free_port

from dvidpy.client import ROI, Client, DVIDClientError, Labels, Volume

TIMESTAMPED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)  (?P<text>.*)$")


def texts(lines: list[str]) -> list[str]:
    """Log lines without their timestamps (each must have one)."""
    out = []
    for line in lines:
        found = TIMESTAMPED.match(line)
        assert found, line
        out.append(found["text"])
    return out


def test_server_info_and_types(client, server):
    info = client.info()
    assert info["DVID Version"].startswith("dvidpy ")
    assert all(isinstance(v, str) for v in info.values())
    types = client.types()
    assert types["labelblk"] == "github.com/janelia-flyem/dvid/datatype/labelblk"
    assert {"uint8blk", "uint16blk", "uint32blk", "uint64blk", "float32blk", "rgba8blk", "roi"} <= set(types)
    assert client.url == server.url + "/"
    assert Client(server.url.removeprefix("http://")).url == server.url + "/"


def test_new_repo_and_finding_it_by_uuid_prefix_and_alias(client, server):
    repo = client.new_repo("client-alias", "a described repo")
    raw = server.process.json("GET", "/api/repos/info")[repo.uuid]
    assert (raw["Alias"], raw["Description"], raw["Root"]) == ("client-alias", "a described repo", repo.uuid)
    assert (repo.alias, repo.description) == ("client-alias", "a described repo")
    assert client.repo(repo.uuid) == repo
    assert client.repo(repo.uuid[:10]) == repo
    assert client.repo("client-alias") == repo
    assert repo in client.repos()
    repo.set_info(alias="renamed", description="new words")
    raw = server.process.json("GET", f"/api/repo/{repo.uuid}/info")
    assert (raw["Alias"], raw["Description"]) == ("renamed", "new words")
    assert (repo.alias, repo.description) == ("renamed", "new words")


def test_an_alias_on_two_repos_is_refused_by_name(client):
    one, two = client.new_repo("twice"), client.new_repo("twice")
    with pytest.raises(DVIDClientError) as caught:
        client.repo("twice")
    assert caught.value.status is None
    assert caught.value.message == f'more than one repo has the alias "twice": {", ".join(sorted([one.uuid, two.uuid]))}'


def test_assigned_root_uuid_and_passcode(client, server):
    root = "0123456789abcdef0123456789abcdef"
    repo = client.new_repo("assigned", passcode="secret", root=root)
    assert repo.uuid == root
    with pytest.raises(DVIDClientError) as caught:
        repo.delete()
    assert caught.value.status == 400
    assert caught.value.message == f"repo {root} has a passcode; give it as ?passcode= (/api/repo/{root})."
    assert repo.delete(passcode="secret") == f"Deleted repo {root}"
    assert root not in server.process.json("GET", "/api/repos/info")


def test_commit_newversion_branch_tag_and_merge(client, node, server):
    assert node.locked is False
    node.commit("first", ["line one", "line two"])
    assert node.locked is True
    assert server.process.json("GET", f"/api/node/{node.uuid}/commit") == {"Locked": True}
    assert node.note() == "first"
    assert texts(node.log()) == ["line one", "line two"]

    child = node.newversion("the next one")
    side = node.branch("side", "a branch")
    dag = server.process.json("GET", f"/api/repo/{node.uuid}/info")["DAG"]["Nodes"]
    assert (dag[child.uuid]["Branch"], dag[child.uuid]["Note"]) == ("", "the next one")
    assert (dag[side.uuid]["Branch"], dag[side.uuid]["Note"]) == ("side", "a branch")
    assert dag[child.uuid]["Parents"] == dag[side.uuid]["Parents"] == [dag[node.uuid]["VersionID"]]
    assert child.info()["Parents"] == [dag[node.uuid]["VersionID"]]
    assert node.repo.branch_versions("master") == [child.uuid, node.uuid]
    assert node.repo.branch_versions("side") == [side.uuid, node.uuid]

    child.commit()
    side.commit()
    merged = child.merge(side, note="together")
    dag = server.process.json("GET", f"/api/repo/{node.uuid}/info")["DAG"]["Nodes"]
    assert sorted(dag[merged.uuid]["Parents"]) == sorted([dag[child.uuid]["VersionID"], dag[side.uuid]["VersionID"]])
    assert dag[merged.uuid]["Note"] == "together"
    assert merged.locked is False

    tagged = side.tag("client-v1")
    assert tagged.uuid == "client-v1"
    assert tagged.locked is True
    assert client.node("client-v1") == tagged


def test_nodes_by_full_uuid_prefix_and_branch_spec(client, node):
    node.commit()
    child = node.newversion()
    child.commit()
    grandchild = child.newversion()
    repo = node.repo
    assert client.node(node.uuid) == node
    assert client.node(child.uuid[:12]) == child
    assert client.node(f"{node.uuid[:8]}:master") == grandchild
    assert client.node(f"{node.uuid}:master~1") == child
    assert client.node(f"{node.uuid}:master~2") == node
    assert repo.node(child.uuid) == child
    assert repo.root == node
    assert set(repo.versions()) == {node.uuid, child.uuid, grandchild.uuid}
    # Resolved once: the node stays on its version when the branch moves on.
    leaf = client.node(f"{node.uuid}:master")
    grandchild.commit()
    grandchild.newversion()
    assert leaf == grandchild


def test_unknown_versions_raise_the_servers_message(client, node):
    with pytest.raises(DVIDClientError) as caught:
        client.node("ffffffff00")
    assert caught.value.status == 400
    assert caught.value.message == "could not find UUID with partial match to ffffffff00 (/api/repo/ffffffff00/info)."
    assert str(caught.value) == f"400: {caught.value.message}"
    with pytest.raises(DVIDClientError) as caught:
        client.node(f"{node.uuid}:nosuch")
    assert caught.value.status == 400
    assert caught.value.message.startswith('branch "nosuch" not found in repo')
    other = Client(client.url).new_repo("elsewhere")
    with pytest.raises(DVIDClientError, match=f"is in repo {other.uuid}, not {node.repo.uuid}"):
        node.repo.node(other.uuid)


def test_note_and_log_of_a_version_and_of_the_repo(node, server):
    node.set_note("a note")
    node.add_log("one", "two")
    node.add_log("three")
    assert node.note() == "a note"
    assert server.process.json("GET", f"/api/node/{node.uuid}/note") == {"note": "a note"}
    assert texts(node.log()) == ["one", "two", "three"]
    node.repo.add_log("repo line")
    assert texts(node.repo.log())[-1] == "repo line"
    assert texts(server.process.json("GET", f"/api/repo/{node.uuid}/log")["log"])[-1] == "repo line"


def test_changing_a_committed_version_raises_with_status_and_message(node):
    node.commit()
    with pytest.raises(DVIDClientError) as caught:
        node.commit()
    assert caught.value.status == 400
    assert caught.value.method == "POST"
    assert caught.value.message == f"Cannot do post on locked node {node.uuid} (/api/node/{node.uuid}/commit)."
    with pytest.raises(DVIDClientError) as caught:
        node.new_instance("uint8blk", "late")
    assert caught.value.message == (
        f"New data instance cannot be created on locked node {node.uuid} (/api/repo/{node.uuid}/instance).")


def test_new_instances_get_their_settings_and_handles(node, server):
    gray = node.new_instance("uint8blk", "grayscale", BlockSize="64,64,64", VoxelSize="4,5,6", Versioned=True)
    labels = node.new_instance("labelblk", "labels")
    roi = node.new_instance("roi", "region")
    kv = node.new_instance("uint16blk", "other", VoxelUnits="micrometers")
    assert (type(gray), type(labels), type(roi), type(kv)) == (Volume, Labels, ROI, Volume)
    ext = server.process.json("GET", f"/api/node/{node.uuid}/grayscale/info")["Extended"]
    assert (ext["BlockSize"], ext["VoxelSize"]) == ([64, 64, 64], [4, 5, 6])
    assert gray.block_size == (64, 64, 64)
    assert gray.voxel_size == (6, 5, 4)
    assert kv.voxel_units == ("micrometers",) * 3
    assert node.instances() == {"grayscale": "uint8blk", "labels": "labelblk", "region": "roi", "other": "uint16blk"}
    assert type(node["labels"]) is Labels
    base = server.process.json("GET", f"/api/node/{node.uuid}/grayscale/info")["Base"]
    assert node["grayscale"].info()["Base"]["DataUUID"] == base["DataUUID"]
    assert node["grayscale"].help().startswith("API for image volume datatype uint8blk")
    assert repr(node["labels"]) == f"Labels('labels' at {node.uuid[:8]}, labelblk)"


def test_settings_are_strings_in_dvids_own_order(node):
    with pytest.raises(TypeError, match=r'setting BlockSize: give DVID\'s own string, e.g. BlockSize="64,64,64" \(x,y,z\)'):
        node.new_instance("uint8blk", "g", BlockSize=(64, 64, 64))
    assert "g" not in node.instances()


def test_instance_tags(node, server):
    vol = node.new_instance("uint8blk", "tagged")
    vol.set_tags({"kind": "em", "stage": "raw"})
    vol.set_tags({"stage": "aligned"})
    assert vol.tags() == {"kind": "em", "stage": "aligned"}
    vol.set_tags({"only": "this"}, replace=True)
    assert server.process.json("GET", f"/api/node/{node.uuid}/tagged/tags") == {"Tags": {"only": "this"}}


def test_an_unknown_instance_is_the_servers_400(node):
    with pytest.raises(DVIDClientError) as caught:
        node["nosuch"]
    assert (caught.value.status, caught.value.message) == (
        400, f"invalid data instance name (/api/node/{node.uuid}/nosuch/info).")


def test_rename_and_delete_instances(node, server):
    node.new_instance("roi", "before")
    assert node.repo.rename_instance("before", "after") == 'Renamed data instance "before" to "after"'
    assert node.instances() == {"after": "roi"}
    assert node.repo.delete_instance("after") == f'Deleted data instance "after" from repo {node.repo.uuid}'
    assert server.process.json("GET", f"/api/repo/{node.uuid}/info")["DataInstances"] == {}


def test_instances_seen_from_another_version(node):
    vol = node.new_instance("uint8blk", "grayscale")
    node.commit()
    child = node.newversion()
    there = vol.at(child)
    assert there.node == child and there.name == "grayscale" and isinstance(there, Volume)


def test_an_unreachable_server_raises_with_no_status():
    url = f"http://127.0.0.1:{free_port()}"
    with Client(url) as c, pytest.raises(DVIDClientError) as caught:
        c.info()
    assert caught.value.status is None
    assert caught.value.message.startswith(f"cannot reach {url}/: ")
