"""The text served by ``GET /api/help/roi`` and ``GET .../<roi name>/help``."""

HELP = """\
roi: a region of interest stored as runs of blocks  (github.com/janelia-flyem/dvid/datatype/roi)
================================================================================================

An ROI is a set of blocks of its own block size. It is exchanged as a JSON list of spans
[z, y, x0, x1] in block coordinates: each span holds the blocks (x, y, z) with x0 <= x <= x1.
A voxel (x, y, z) is inside when its block (x // bx, y // by, z // bz), floor division, is.

<UUID> is a unique prefix of a version's UUID, or "<prefix>:<branch>" for the leaf of a branch.

Creating an instance
--------------------

    POST /api/repo/<UUID>/instance  {"typename": "roi", "dataname": "<name>", ...}
    dvid repo <UUID> new roi <name> [BlockSize=X,Y,Z] [Versioned=true|false]

    BlockSize   block size in voxels, "X,Y,Z" (default "32,32,32")
    Versioned   "true" (default) or "false"; an unversioned ROI is the same at every version

Endpoints (under /api/node/<UUID>/<name>/)
------------------------------------------

GET    help
    This text.

GET    info
    JSON: {"Base": {...}, "Extended": {"BlockSize": [x, y, z], "MinZ": z0, "MaxZ": z1}}.
    MinZ and MaxZ are the smallest and largest block z of the ROI at this version
    (2147483647 and -2147483648 when it is empty).

GET    tags
POST   tags[?replace=true]
    The instance's tags as {"Tags": {...}}; POST a JSON object of strings to add tags (or,
    with replace=true, to replace them).

GET    roi
    The spans at this version, as JSON, sorted by z, then y, then x0, then length:
        [[100,101,200,210],[100,102,200,210]]
    An empty ROI is [].

POST   roi
    Replace the ROI at this version with the posted JSON list of spans. Every span must be
    four integers [z, y, x0, x1] with x0 <= x1; if any span is bad, nothing changes.
    [] empties the ROI. Ancestor versions keep their spans.

DELETE roi
    Empty the ROI at this version; ancestor versions keep their spans.

POST   ptquery
    Body: a JSON list of voxel points [[x, y, z], ...]. Answers a JSON list of booleans,
    one per point in the same order: is the point inside the ROI?
        [[0,100,910],[0,121,900]]  ->  [false,true]
    Allowed on committed (locked) versions: it changes nothing.

GET    mask/0_1_2/<size>/<offset>
    A uint8 volume (application/octet-stream) of the box of <size> voxels (X_Y_Z) starting at
    voxel <offset> (X_Y_Z): 1 where the voxel is inside the ROI, 0 elsewhere, z slowest and
    x fastest. Only the 3-D shape 0_1_2 is supported.
        GET /api/node/3f8c/medulla/mask/0_1_2/512_512_256/100_200_300

GET    partition?batchsize=<n>[&optimized=true]
    Cuts the ROI into subvolumes for batch processing, as indented JSON:
        {"NumTotalBlocks": t, "NumActiveBlocks": a, "NumSubvolumes": s,
         "ROI": {"MinChunk": [x,y,z], "MaxChunk": [x,y,z]},
         "Subvolumes": [{"MinPoint": [..], "MaxPoint": [..], "MinChunk": [..],
                         "MaxChunk": [..], "TotalBlocks": t, "ActiveBlocks": a}, ...]}
    batchsize (required, positive) is the subvolume edge in blocks. By default the subvolumes
    are cubes of batchsize blocks centred over each layer and row of the ROI; only cubes
    holding ROI blocks are listed, but every cube counts in NumTotalBlocks. With
    optimized=true (or on) subvolume edges grow by one block to spread the remainder and
    windows skip the largest empty run of x, merging into the previous subvolume.

Other datatypes use an ROI by name: imageblk and labelblk accept ?roi=<name> on raw reads
(blocks outside read as background) and on writes (blocks outside are not written).
"""
