"""Point lists in, label lists out: the compiled reader of ``[[x,y,z],...]`` never reads a text
differently from ``json``, and refuses (None, so ``json`` says what is wrong) whatever is not a
plain list of integer triples; the compiled JSON writer is ``json.dumps``'s compact text."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dvidpy import native
from dvidpy.errors import DVIDError
from dvidpy.geometry import parse_point_list
from dvidpy.native import fallback

PLAIN = [
    b"[]", b" [ ] ", b"[[1,2,3]]", b"[[1, 2, 3], [4, 5, 6]]", b"\n[\t[ -1 ,-2,\r-3 ] ]\n", b"[[0,0,0]]",
    b"[[-0,0,0]]", b"[[2147483647,-2147483648,123456789012345678]]",
]
NOT_PLAIN = [
    b"", b"[", b"[[1,2,3]", b"[[1,2,3]],", b"[[1,2,3],]", b"[,[1,2,3]]", b"[[1,2]]", b"[[1,2,3,4]]", b"[[1,2,3]]x",
    b"[[01,2,3]]", b"[[1 2,3,4]]", b"[[1.0,2,3]]", b"[[1e3,2,3]]", b"[[+1,2,3]]", b"[[--1,2,3]]", b"[[-,2,3]]",
    b"[[1,2,3] [4,5,6]]", b'[["1",2,3]]', b"{}", b"[[1,2,3]]]", b"[[[1,2,3]]]", b"[[1234567890123456789,2,3]]",
    b"[[1,2,3]] [[4,5,6]]", b"[[\x001,2,3]]", b"[[1,2,3]]\x00", b"[[1,\xa02,3]]",
]


@pytest.fixture(params=["compiled", "fallback"])
def reader(request):
    if request.param == "compiled":
        compiled = request.getfixturevalue("compiled")

        def read(body):
            raw = compiled.parse_triples(body)
            return None if raw is None else np.frombuffer(raw, dtype=np.int64).reshape(-1, 3)

        return read
    return fallback.point_triples


@pytest.mark.parametrize("body", PLAIN, ids=repr)
def test_plain_point_lists_read_as_json_reads_them(reader, body):
    got = reader(body)
    assert got is not None and got.dtype == np.int64 and got.shape == (len(json.loads(body)), 3)
    assert got.tolist() == json.loads(body)


@pytest.mark.parametrize("body", NOT_PLAIN, ids=repr)
def test_anything_else_is_left_to_json(compiled, body):
    assert compiled.parse_triples(body) is None


def test_damaged_point_lists_are_read_as_json_or_not_at_all(compiled):
    """3,000 random damages of a valid list: each is either read exactly as ``json`` reads it,
    or left to ``json`` (None)."""
    rng = np.random.default_rng(11)
    good = json.dumps(rng.integers(-300, 300, (40, 3)).tolist()).encode()
    alphabet = b"[],-0123456789 \t\n.e+\"x"
    read = 0
    for _ in range(3000):
        body = bytearray(good)
        for _ in range(int(rng.integers(1, 4))):
            at = int(rng.integers(0, len(body)))
            what = int(rng.integers(0, 3))
            if what == 0:
                body[at] = alphabet[int(rng.integers(0, len(alphabet)))]
            elif what == 1:
                del body[at]
            else:
                body.insert(at, alphabet[int(rng.integers(0, len(alphabet)))])
        raw = compiled.parse_triples(bytes(body))
        if raw is None:
            continue
        read += 1
        assert np.frombuffer(raw, dtype=np.int64).reshape(-1, 3).tolist() == json.loads(bytes(body)), bytes(body)
    assert read > 100  # the damage left many lists valid (a digit for a digit, a space added)


@pytest.mark.parametrize("body, message", [
    (b"[[1,2]]", "Bad labels request JSON: point 0 must be 3 integers [x, y, z], got [1, 2]"),
    (b"[[1,2,3],]", "Bad labels request JSON: Expecting value: line 1 column 10 (char 9)"),
    (b"[[2147483648,0,0]]", "Bad labels request JSON: point coordinates must fit in 32 bits"),
    (b"[[12345678901234567890123,0,0]]", "Bad labels request JSON: point coordinates must fit in 32 bits"),
])
@pytest.mark.parametrize("path", ["compiled", "fallback"])
def test_bad_lists_get_the_same_message_on_both_paths(monkeypatch, request, path, body, message):
    if path == "compiled":
        request.getfixturevalue("compiled")
    else:
        monkeypatch.setattr(native, "point_triples", fallback.point_triples)
    with pytest.raises(DVIDError) as refused:
        parse_point_list(body, "Bad labels request JSON")
    assert refused.value.status == 400 and refused.value.message == message


def test_label_lists_are_compact_json(compiled):
    rng = np.random.default_rng(3)
    values = np.concatenate([np.array([0, 1, 9, 10, 2**63, 2**64 - 1], dtype=np.uint64),
                             rng.integers(0, 2**64 - 1, 5000, dtype=np.uint64, endpoint=True)])
    expected = json.dumps(values.tolist(), separators=(",", ":")).encode()
    assert compiled.json_uint64s(values) == expected == fallback.json_uint64s(values)
    assert compiled.json_uint64s(values[:0]) == b"[]" == fallback.json_uint64s(values[:0])
    assert compiled.json_uint64s(values[::2].copy()) == json.dumps(values[::2].tolist(), separators=(",", ":")).encode()
    with pytest.raises(TypeError):
        compiled.json_uint64s(values.astype(np.int64))


@pytest.mark.parametrize("path", ["compiled", "fallback"])
def test_labels_at_points_over_runs_gaps_and_negative_blocks(make_dvid, monkeypatch, request, path):
    """Blocks read by runs along x: points in runs of stored blocks, in gaps between them, in
    rows never written and at negative coordinates all get their exact labels (0 where no block)."""
    if path == "compiled":
        request.getfixturevalue("compiled")
    else:
        for name in ("gather", "point_triples", "json_uint64s"):
            monkeypatch.setattr(native, name, getattr(fallback, name))
    dvid = make_dvid()
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "labelblk", "seg")
    rng = np.random.default_rng(5)
    written = {}
    for bx, by, bz in [(-2, 0, 0), (-1, 0, 0), (0, 0, 0), (2, 0, 0), (0, -1, 1), (5, 3, -2)]:
        block = rng.integers(1, 2**64 - 1, (32, 32, 32), dtype=np.uint64, endpoint=True)
        written[(bx, by, bz)] = block
        dvid.ok("POST", f"/api/node/{uuid}/seg/raw/0_1_2/32_32_32/{32 * bx}_{32 * by}_{32 * bz}",
                content=block.astype("<u8").tobytes())
    points = rng.integers(-70, 200, (3000, 3))
    points[:1000, 1:] = rng.integers(0, 32, (1000, 2))  # many in the row of the run -2..0 and its gap at 1
    expected = []
    for x, y, z in points.tolist():
        block = written.get((x // 32, y // 32, z // 32))
        expected.append(0 if block is None else int(block[z % 32, y % 32, x % 32]))
    assert sum(e != 0 for e in expected) > 500
    r = dvid.ok("POST", f"/api/node/{uuid}/seg/labels", content=json.dumps(points.tolist()).encode())
    assert r.headers["content-type"] == "application/json" and r.json() == expected
