"""labelblk downres (``labels`` -> ``labels_1`` -> ``labels_2``, synced) against a numpy reference.

Each example makes the three instances with one random block size, syncs ``labels_1`` to
``labels`` and ``labels_2`` to ``labels_1``, POSTs a few random block-aligned label volumes to
``labels`` (few distinct labels, so ties are common; overlapping writes replace whole blocks;
negative coordinates included), then reads ``labels_1`` and ``labels_2`` over the whole region
and compares them with the reference.

The rule, ported from DVID's labelblk (datatype/labelblk/sync.go, ``downsizeAdd``): each 2x2x2
cell of the finer level becomes one voxel holding the label that occurs most often in the cell;
label 0 is counted like any other label; a tie goes to the larger label (Go's loop replaces the
best on ``count == most && label > best``, whatever its map order). Never-written voxels are 0,
so untouched parts of a level stay 0 and a rewritten block's neighbours keep their values.
The reference counts each distinct label of the region per cell and keeps the best in label
order; it never looks at blocks, octants or the code under test.

Note: DVID picks the octant of a source block with Go's ``%``, which is negative for odd
negative block coordinates, so DVID itself misplaces or panics on those blocks; dvidpy (and
this reference) use floor semantics, block (x, y, z) filling octant (x mod 2, y mod 2, z mod 2)
of block (x // 2, y // 2, z // 2). Some examples move the region next to the ends of the 32-bit
voxel range on some axes.
"""

from __future__ import annotations


import numpy as np
from hypothesis import event, given, settings
from hypothesis import strategies as st


from .conftest import examples

BLOCK_SIZES = [(8, 8, 8), (16, 8, 4), (32, 32, 32)]
LABELS = [0, 1, 2, 3, 7, 2**40 + 1, 2**64 - 1]

#: The region, in blocks of level 0 on every axis: [-2, 2). A multiple of 4 blocks wide and
#: starting at a multiple of 4, so its levels 1 and 2 cover whole cells.
REGION_BLOCKS = (-2, 2)


@st.composite
def scenarios(draw):
    bs = draw(st.sampled_from(BLOCK_SIZES))
    lo, hi = REGION_BLOCKS
    writes = []
    for _ in range(draw(st.integers(1, 4))):
        size = [draw(st.integers(1, 2)) for _ in range(3)]  # blocks
        origin = [draw(st.integers(lo, hi - n)) for n in size]
        palette = draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=3, unique=True))
        # coarse: runs of 2 voxels along x, so cells are often split evenly between two labels
        coarse = draw(st.booleans())
        writes.append((tuple(origin), tuple(size), sorted(palette), coarse, draw(st.integers(0, 2**32 - 1))))
    # Now and then, move the region next to the ends of the 32-bit voxel range on some axes
    # (by a multiple of 4 blocks, so it still covers whole cells of levels 1 and 2).
    far = tuple(draw(st.sampled_from([0, 0, 0, 1, -1])) * (2**31 // b - 8) for b in bs)
    return bs, far, writes


def label_volume(shape_zyx, palette, coarse: bool, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.ones(len(palette)))
    if coarse:
        nz, ny, nx = shape_zyx
        picks = rng.choice(len(palette), size=(nz, ny, nx // 2), p=weights).repeat(2, axis=2)
    else:
        picks = rng.choice(len(palette), size=shape_zyx, p=weights)
    return np.array(palette, dtype=np.uint64)[picks]


def reference_downres(vol: np.ndarray) -> tuple[np.ndarray, bool]:
    """Half size: per 2x2x2 cell the most frequent label, 0 counted, ties to the larger label.
    Also whether any cell had a tie for the most frequent label."""
    nz, ny, nx = vol.shape
    cells = [vol[dz::2, dy::2, dx::2] for dz in (0, 1) for dy in (0, 1) for dx in (0, 1)]
    best = np.zeros((nz // 2, ny // 2, nx // 2), dtype=np.uint64)
    most = np.zeros(best.shape, dtype=np.int64)
    tied = np.zeros(best.shape, dtype=bool)
    for label in np.unique(vol):  # ascending, so ">=" hands a tie to the larger label
        count = sum((c == label).astype(np.int64) for c in cells)
        tied = np.where(count > most, False, tied | ((count == most) & (count > 0)))
        take = count >= most
        best[take], most[take] = label, count[take]
    return best, bool(tied.any())


def pt(p) -> str:
    return "_".join(map(str, p))


@settings(max_examples=examples(25))
@given(scenario=scenarios())
def test_downres_matches_the_reference(server, scenario):
    dvid = server
    bs, far, writes = scenario
    uuid = dvid.new_repo()
    for name in ("labels", "labels_1", "labels_2"):
        dvid.new_instance(uuid, "labelblk", name, BlockSize=",".join(map(str, bs)))
    dvid.ok("POST", f"/api/node/{uuid}/labels_1/sync", json={"sync": "labels"})
    dvid.ok("POST", f"/api/node/{uuid}/labels_2/sync", json={"sync": "labels_1"})

    lo, hi = REGION_BLOCKS
    start = np.array([(lo + f) * b for f, b in zip(far, bs)])  # x, y, z voxel of the region's first voxel
    extent = np.array([(hi - lo) * b for b in bs])
    level0 = np.zeros(extent[::-1], dtype=np.uint64)
    for origin, size, palette, coarse, seed in writes:
        voxel_origin = (np.array(origin) + far) * bs
        voxel_size = np.array(size) * bs
        data = label_volume(tuple(voxel_size[::-1]), palette, coarse, seed)
        url = f"/api/node/{uuid}/labels/raw/0_1_2/{pt(voxel_size)}/{pt(voxel_origin)}"
        dvid.ok("POST", url, content=data.tobytes())
        (x0, y0, z0), (nx, ny, nz) = voxel_origin - start, voxel_size
        level0[z0 : z0 + nz, y0 : y0 + ny, x0 : x0 + nx] = data

    want: dict[str, np.ndarray] = {}
    want["labels_1"], tied_1 = reference_downres(level0)
    want["labels_2"], tied_2 = reference_downres(want["labels_1"])
    if tied_1:
        event("a tie at level 1")
    if tied_2:
        event("a tie at level 2")

    # (labels itself reads back as written: test_raw_round_trips.py checks that)
    for level, name in ((1, "labels_1"), (2, "labels_2")):
        expect = want[name]
        size, offset = extent // 2**level, start // 2**level
        r = dvid.ok("GET", f"/api/node/{uuid}/{name}/raw/0_1_2/{pt(size)}/{pt(offset)}")
        got = np.frombuffer(r.content, "<u8").reshape(expect.shape)
        if not np.array_equal(got, expect):
            bad = np.argwhere(got != expect)
            z, y, x = bad[0]
            voxel = (int(offset[0] + x), int(offset[1] + y), int(offset[2] + z))
            raise AssertionError(
                f"{name} (block size {bs}): {len(bad)} voxels differ, first at {voxel}: got {got[z, y, x]}, "
                f"want {expect[z, y, x]}; region moved by {far} blocks, writes {writes}"
            )
