"""ROI spans against a set-of-blocks model, across versions.

Each example makes an roi instance (random block size) and runs random steps: POST a random
span list (spans ``[z, y, x0, x1]`` in block coordinates, negative ones included, possibly
overlapping or repeated; it replaces the ROI at that version), DELETE the ROI, or commit and
continue in a new child. Then at every node of the chain:

* GET ``roi`` is exactly the posted spans with exact duplicates collapsed, sorted by
  (z, y, x0, x1), overlaps kept as posted (the rules of tests/test_roi.py), and they cover
  exactly the model's set of blocks; an empty ROI is the body ``[]``;
* ``info`` has MinZ/MaxZ of those spans, or DVID's (MaxInt32, MinInt32) when empty;
* ``ptquery`` of random voxels answers, in order, whether block ``floor(v / BlockSize)`` is in
  the set;
* ``mask/0_1_2/<size>/<offset>`` of random boxes is 1 exactly on voxels whose block is in the set.

Some examples move everything to within a few blocks of the ends of the 32-bit voxel range on
some axes (span keys store coordinates sign-flipped; floor division must hold there too).

The model is a Python set of (x, y, z) blocks per node, filled by looping over each span.
"""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st


from .conftest import examples

INT32_MAX, INT32_MIN = 2**31 - 1, -(2**31)
BLOCK_SIZES = [(32, 32, 32), (4, 4, 4), (5, 6, 7)]

#: Spans live in these block ranges (inclusive); queries reach one block beyond on each side.
#: Few (z, y) rows, so spans often share one and overlap.
Z_RANGE, Y_RANGE, X_RANGE = (-1, 1), (-2, 1), (-4, 4)


def span_lists() -> st.SearchStrategy[list[list[int]]]:
    span = st.tuples(
        st.integers(*Z_RANGE), st.integers(*Y_RANGE), st.integers(*X_RANGE), st.integers(0, 4)
    ).map(lambda t: [t[0], t[1], t[2], t[2] + t[3]])
    def with_repeats(spans):  # repeat some spans exactly, to check duplicates collapse
        if not spans:
            return st.just(spans)
        return st.lists(st.sampled_from(spans), max_size=2).map(lambda extra: spans + extra)

    return st.lists(span, max_size=8).flatmap(with_repeats)


steps = st.lists(
    st.one_of(
        st.tuples(st.just("post"), span_lists()),
        st.tuples(st.just("post"), span_lists()),
        st.tuples(st.just("delete")),
        st.tuples(st.just("newversion")),
    ),
    min_size=1,
    max_size=5,
)


def voxel_in(block_range: tuple[int, int], b: int) -> st.SearchStrategy[int]:
    """A voxel coordinate one block beyond ``block_range`` on either side, at any offset."""
    lo, hi = block_range
    return st.tuples(st.integers(lo - 1, hi + 1), st.integers(0, b - 1)).map(lambda t: t[0] * b + t[1])


def boxes(bs) -> st.SearchStrategy[tuple[tuple[int, ...], tuple[int, ...]]]:
    size = st.tuples(*(st.integers(1, min(80, 6 * b + 3)) for b in bs))
    offset = st.tuples(*(voxel_in(r, b) for r, b in zip((X_RANGE, Y_RANGE, Z_RANGE), bs)))
    return st.tuples(size, offset)


@st.composite
def scenarios(draw):
    bs = draw(st.sampled_from(BLOCK_SIZES))
    ops = draw(steps)
    anywhere = st.tuples(*(voxel_in(r, b) for r, b in zip((X_RANGE, Y_RANGE, Z_RANGE), bs)))
    posted = [span for op in ops if op[0] == "post" for span in op[1]]
    if posted:
        # a voxel in a posted span's row, from one block before it to one block after
        near = st.sampled_from(posted).flatmap(
            lambda span: st.tuples(
                st.integers(span[2] - 1, span[3] + 1), st.just(span[1]), st.just(span[0]),
                *(st.integers(0, b - 1) for b in bs),
            )
        ).map(lambda t: tuple(blk * b + o for blk, b, o in zip(t[:3], bs, t[3:])))
        anywhere = st.one_of(anywhere, near)
    points = draw(st.lists(anywhere, min_size=1, max_size=40))
    mask_boxes = draw(st.lists(boxes(bs), min_size=1, max_size=2))
    # Now and then, move everything next to the ends of the 32-bit voxel range on some axes.
    far = [draw(st.sampled_from([0, 0, 0, 1, -1])) * (2**31 // b - 64) for b in bs]  # blocks, x y z
    if any(far):
        fx, fy, fz = far
        vx, vy, vz = (f * b for f, b in zip(far, bs))
        ops = [
            ("post", [[z + fz, y + fy, x0 + fx, x1 + fx] for z, y, x0, x1 in op[1]]) if op[0] == "post" else op
            for op in ops
        ]
        points = [(x + vx, y + vy, z + vz) for x, y, z in points]
        mask_boxes = [(size, (x + vx, y + vy, z + vz)) for size, (x, y, z) in mask_boxes]
    return bs, ops, points, mask_boxes


def blocks_of(spans) -> set[tuple[int, int, int]]:
    return {(x, y, z) for z, y, x0, x1 in spans for x in range(x0, x1 + 1)}


def model_mask(blocks: set, bs, size, offset) -> np.ndarray:
    """1 where the voxel's block (floor division) is in ``blocks``: decide each block of the box
    once, then index voxels by their block."""
    idx = [[(o + i) // b for i in range(n)] for o, n, b in zip(offset, size, bs)]  # x, y, z
    first = [ix[0] for ix in idx]
    grid = np.zeros([ix[-1] - ix[0] + 1 for ix in idx[::-1]], dtype=np.uint8)  # z, y, x blocks
    for bz in range(idx[2][0], idx[2][-1] + 1):
        for by in range(idx[1][0], idx[1][-1] + 1):
            for bx in range(idx[0][0], idx[0][-1] + 1):
                grid[bz - first[2], by - first[1], bx - first[0]] = (bx, by, bz) in blocks
    local = [np.array(ix) - f for ix, f in zip(idx, first)]
    return grid[np.ix_(local[2], local[1], local[0])]


@settings(max_examples=examples(32))
@given(scenario=scenarios())
def test_roi_matches_the_block_model(server, scenario):
    dvid = server
    bs, ops, points, mask_boxes = scenario
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "roi", "r", BlockSize=",".join(map(str, bs)))

    chain = [uuid]  # the nodes, oldest first; the last one is open
    state = {uuid: []}  # the spans posted at (or inherited by) each node
    for op in ops:
        node = chain[-1]
        if op[0] == "post":
            dvid.ok("POST", f"/api/node/{node}/r/roi", content=json.dumps(op[1]))
            state[node] = op[1]
        elif op[0] == "delete":
            dvid.ok("DELETE", f"/api/node/{node}/r/roi")
            state[node] = []
        else:
            dvid.commit(node)
            child = dvid.newversion(node)
            chain.append(child)
            state[child] = state[node]

    for node in chain:
        spans = state[node]
        blocks = blocks_of(spans)
        url = f"/api/node/{node}/r"

        r = dvid.ok("GET", f"{url}/roi")
        assert r.headers["content-type"] == "application/json"
        want = sorted({tuple(s) for s in spans})
        assert r.content == json.dumps([list(s) for s in want], separators=(",", ":")).encode(), (spans, r.text)
        assert blocks_of(r.json()) == blocks

        extended = dvid.ok("GET", f"{url}/info").json()["Extended"]
        zs = [s[0] for s in spans]
        assert extended == {
            "BlockSize": list(bs),
            "MinZ": min(zs, default=INT32_MAX),
            "MaxZ": max(zs, default=INT32_MIN),
        }

        r = dvid.ok("POST", f"{url}/ptquery", content=json.dumps(points))
        want_points = [(x // bs[0], y // bs[1], z // bs[2]) in blocks for x, y, z in points]
        assert r.json() == want_points, (bs, spans, points)

        for size, offset in mask_boxes:
            r = dvid.ok("GET", f"{url}/mask/0_1_2/{'_'.join(map(str, size))}/{'_'.join(map(str, offset))}")
            assert r.headers["content-type"] == "application/octet-stream"
            want_mask = model_mask(blocks, bs, size, offset)
            got = np.frombuffer(r.content, np.uint8)
            assert got.size == want_mask.size
            assert np.array_equal(got.reshape(want_mask.shape), want_mask), (bs, spans, size, offset)
