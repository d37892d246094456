"""Help text for labelblk, served by ``/api/help/labelblk`` and ``.../<name>/help``."""

LABEL_HELP = """API for label volume datatype labelblk
=====================================

labelblk stores a 3-D volume of 64-bit labels (a segmentation) as blocks of BlockSize voxels
(32x32x32 by default), versioned with the repo's DAG. Labels on the wire are little-endian
uint64, x fastest, then y, then z. Voxels never written read as label 0.

Creating an instance
--------------------
POST /api/repo/<UUID>/instance
    {"typename": "labelblk", "dataname": "<name>", ...settings}
    BlockSize "X,Y,Z" (default "32,32,32"), VoxelSize "x,y,z" (default "8,8,8"), VoxelUnits,
    MinPoint/MaxPoint, Compression, Checksum, Versioned. Compression: "compressed_segmentation"
    (the default where BlockSize is a multiple of 8 on every axis: neuroglancer's encoding, read
    a voxel at a time by point queries and sent to neuroglancer without re-encoding), "lz4" (the
    default otherwise, and DVID's), "none", "gzip".

Instance endpoints (<data> = /api/node/<UUID>/<name>)
--------------------------------------------------
GET  <data>/help, <data>/info, <data>/metadata, <data>/tags
POST <data>               change settings (VoxelSize, VoxelUnits, MinPoint/MaxPoint; BlockSize
                          only while no block is stored)
POST <data>/resolution    [x, y, z] sets the voxel size
POST <data>/extents       {"MinPoint": [x,y,z], "MaxPoint": [x,y,z]}

GET  <data>/raw/0_1_2/<size>/<offset>[?compression=&roi=<name>&throttle=true]
GET  <data>/isotropic/0_1_2/<size>/<offset>[?...]
    Labels of a subvolume (size and offset "x_y_z"). compression:
      (none)      nx*ny*nz*8 bytes of little-endian uint64
      lz4         one raw LZ4 block of those bytes, without a size prefix
      gzip        a gzip stream of those bytes
      google      neuroglancer's compressed_segmentation (8x8x8 cells; sizes multiples of 8)
      googlegzip  the same, gzipped, with Content-Encoding: gzip
    roi: labels of stored blocks outside the ROI read as 0.

GET  <data>/raw/<xy|xz|yz>/<size>/<offset>[/<format>]
GET  <data>/isotropic/<xy|xz|yz>/<size>/<offset>[/<format>]
    A 2-D slice as a 16-bit RGBA PNG whose eight sample bytes per pixel, in file order, are the
    label's eight little-endian bytes. isotropic resamples (nearest neighbour) so pixels are
    square in physical units.

POST <data>/raw/0_1_2/<size>/<offset>[?compression=lz4|gzip&roi=<name>&throttle=true]
    Stores labels; size and offset must be multiples of the block size. An lz4 or gzip body must
    expand to exactly nx*ny*nz*8 bytes. With roi, only blocks inside the ROI are written.
    Instances that sync to this one (see sync) get their lower-resolution blocks recomputed.

GET  <data>/pseudocolor/<xy|xz|yz>/<size>/<offset>[/<format>][?roi=<name>]
    A 2-D slice with each label drawn in DVID's colour for it (MurmurHash3 of the label).

GET  <data>/label/<x>_<y>_<z>
    {"Label": <label at that voxel>}

GET  <data>/labels[?hash=<md5 of the body>]      (POST works too)
    Body: JSON list of voxels [[x,y,z], ...]. Answer: JSON list of their labels, in order.

GET  <data>/blocks/<size>/<offset>[?compression=lz4|uncompressed&throttle=true]
    Stored blocks of a block-aligned subvolume as records: int32 x, y, z, int32 n (little-endian)
    then n bytes: a bare LZ4 block (default) or the raw block. Blocks never written are left out.

DELETE <data>/blocks/<x>_<y>_<z>/<spanX>
    Deletes spanX blocks along x from block (x, y, z) at this version; ancestor versions keep
    them.

POST <data>/sync[?replace=true]
    {"sync": "<source labelblk>"}: this instance becomes the 2x downsampled version of the source
    (each voxel the most frequent label of a 2x2x2 cell, ties to the larger label); every write
    to the source updates it in the same request. Chain them: labels_1 follows labels,
    labels_2 follows labels_1 (neuroglancer finds scales as <name>_1, <name>_2, ...).
"""
