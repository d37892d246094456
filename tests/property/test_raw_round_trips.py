"""Raw 3-D round trips at random unaligned boxes with negative coordinates, against numpy.

Each example makes one instance (uint8blk, uint16blk or labelblk; random block size, storage
compression and, for the image types, Background), POSTs a few random block-aligned volumes
(they may overlap: a later one replaces whole blocks), then GETs random boxes of any size and
offset, and compares them byte for byte with the model.

The model keeps nothing but the writes, in order: a read box starts as the fill value (the
Background for never-written voxels, 0 unless set; labelblk has none) and every write's
intersection with the box is pasted over it in turn. A block-aligned POST replaces exactly its
box, so this is the whole rule; it knows nothing of blocks, keys or codecs.

Some examples move everything to a few blocks from the ends of the 32-bit voxel range on some
axes, where block keys store coordinates sign-flipped.
"""

from __future__ import annotations


import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st


from .conftest import examples

TYPES = {"uint8blk": np.dtype("u1"), "uint16blk": np.dtype("<u2"), "labelblk": np.dtype("<u8")}
BLOCK_SIZES = [(32, 32, 32), (16, 8, 4), (8, 16, 32)]

#: Writes stay in this voxel range on every axis; reads start in [-100, 100] and are at most 80
#: voxels long, so they see written voxels, never-written ones, and the edges between.
WRITE_RANGE = (-128, 160)

#: A shift that keeps all of that inside int32 voxel coordinates.
FAR = 2**31 - 256


@st.composite
def scenarios(draw):
    typename = draw(st.sampled_from(sorted(TYPES)))
    bs = draw(st.sampled_from(BLOCK_SIZES))
    settings_ = {"BlockSize": ",".join(map(str, bs)), "Compression": draw(st.sampled_from(["lz4", "none", "gzip"]))}
    background = 0
    if typename != "labelblk":
        background = draw(st.sampled_from([0, 0, 7, 255]))
        settings_["Background"] = str(background)
    writes = []
    for _ in range(draw(st.integers(1, 4))):
        # block-aligned: an origin and a size in whole blocks, at most 65536 voxels in all
        nblocks = [draw(st.integers(1, max(1, 64 // b))) for b in bs]
        while np.prod([n * b for n, b in zip(nblocks, bs)]) > 65536:
            nblocks[int(np.argmax([n * b for n, b in zip(nblocks, bs)]))] -= 1
        size = tuple(n * b for n, b in zip(nblocks, bs))
        origin = tuple(
            draw(st.integers(WRITE_RANGE[0] // b, (WRITE_RANGE[1] - s) // b)) * b for b, s in zip(bs, size)
        )
        writes.append((origin, size, draw(st.integers(0, 2**32 - 1))))
    reads = [
        (
            tuple(draw(st.integers(1, 80)) for _ in range(3)),
            tuple(draw(st.integers(-100, 100)) for _ in range(3)),
        )
        for _ in range(draw(st.integers(1, 5)))
    ]
    # Now and then, move everything next to the ends of the 32-bit voxel range on some axes
    # (a multiple of every block size, so writes stay aligned).
    far = [draw(st.sampled_from([0, 0, 0, 1, -1])) * FAR for _ in range(3)]
    if any(far):
        writes = [(tuple(o + f for o, f in zip(origin, far)), size, seed) for origin, size, seed in writes]
        reads = [(size, tuple(o + f for o, f in zip(offset, far))) for size, offset in reads]
    return typename, settings_, background, writes, reads


def voxels(dtype: np.dtype, shape_zyx, seed: int) -> np.ndarray:
    """Random voxels; labels from a few small values and a few with high bytes set."""
    rng = np.random.default_rng(seed)
    if dtype.itemsize == 8:
        palette = np.array([0, 1, 2, 255, 256, 2**32 + 5, 2**63, 2**64 - 1], dtype=np.uint64)
        return palette[rng.integers(0, len(palette), shape_zyx)]
    return rng.integers(0, 2 ** (8 * dtype.itemsize), shape_zyx, dtype=np.uint64).astype(dtype)


def model_read(dtype, background, written, size, offset) -> np.ndarray:
    (nx, ny, nz), (ox, oy, oz) = size, offset
    out = np.full((nz, ny, nx), background, dtype=dtype)
    for (wx, wy, wz), data in written:
        wz1, wy1, wx1 = wz + data.shape[0], wy + data.shape[1], wx + data.shape[2]
        lo = (max(oz, wz), max(oy, wy), max(ox, wx))
        hi = (min(oz + nz, wz1), min(oy + ny, wy1), min(ox + nx, wx1))
        if any(a >= b for a, b in zip(lo, hi)):
            continue
        out[lo[0] - oz : hi[0] - oz, lo[1] - oy : hi[1] - oy, lo[2] - ox : hi[2] - ox] = data[
            lo[0] - wz : hi[0] - wz, lo[1] - wy : hi[1] - wy, lo[2] - wx : hi[2] - wx
        ]
    return out


def raw(uuid: str, size, offset) -> str:
    return f"/api/node/{uuid}/img/raw/0_1_2/{'_'.join(map(str, size))}/{'_'.join(map(str, offset))}"


@settings(max_examples=examples(40))
@given(scenario=scenarios())
def test_raw_reads_match_the_model(server, scenario):
    dvid = server
    typename, settings_, background, writes, reads = scenario
    dtype = TYPES[typename]
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, "img", **settings_)

    written = []
    for origin, size, seed in writes:
        data = voxels(dtype, size[::-1], seed)
        dvid.ok("POST", raw(uuid, size, origin), content=data.tobytes())
        written.append((origin, data))

    # every write's own box, then the random boxes
    boxes = [(tuple(d.shape[::-1]), o) for o, d in written] + reads
    for size, offset in boxes:
        r = dvid.ok("GET", raw(uuid, size, offset))
        assert r.headers["content-type"] == "application/octet-stream"
        want = model_read(dtype, background, written, size, offset)
        if r.content != want.tobytes():
            got = np.frombuffer(r.content, dtype)
            assert got.size == want.size, (size, offset, len(r.content))
            got = got.reshape(want.shape)
            bad = np.argwhere(got != want)
            z, y, x = bad[0]
            voxel = (int(offset[0] + x), int(offset[1] + y), int(offset[2] + z))
            raise AssertionError(
                f"{typename} {settings_}: GET {size} at {offset}: {len(bad)} voxels differ, first at "
                f"voxel {voxel}: got {got[z, y, x]}, want {want[z, y, x]}; "
                f"writes {[(o, d.shape[::-1]) for o, d in written]}"
            )
