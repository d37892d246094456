"""Help text for the imageblk types, served by ``/api/help/<type>`` and ``.../<name>/help``."""

from __future__ import annotations

from dvidpy.plugins.blockvolume.formats import VoxelType

IMAGE_HELP = """API for image volume datatype {typename} ({description})
=====================================================================

{typename} stores a 3-D image volume as blocks (BlockSize voxels each, 32x32x32 by default),
versioned with the repo's DAG. Voxels on the wire are little-endian, x fastest, then y, then z.

Creating an instance
--------------------
POST /api/repo/<UUID>/instance
    {{"typename": "{typename}", "dataname": "<name>", ...settings}}

    Settings (keys in any case, values as strings):
    BlockSize     "X,Y,Z" voxels per block (default "32,32,32")
    VoxelSize     "x,y,z" physical size of a voxel (default "8,8,8")
    VoxelUnits    "u,u,u" units of VoxelSize (default "nanometers,nanometers,nanometers")
    Background    0..255: the value of voxels never written or masked by an ROI (default 0)
    MinPoint, MaxPoint  "x,y,z": seed the extents shown before anything is written
    Compression   "lz4" (default), "none", "gzip", "gzip:N", or "jpeg" (uint8blk only, lossy)
    Checksum      "none" (default) or "crc32"
    Versioned     "true" (default) or "false" (one copy of the data shared by every version)

Instance endpoints (<data> = /api/node/<UUID>/<name>)
--------------------------------------------------
GET  <data>/help          this text
GET  <data>/info          instance settings and this version's extents (JSON)
GET  <data>/metadata      axes, resolution and extents (application/vnd.dvid-nd-data+json)
POST <data>               change settings: VoxelSize, VoxelUnits, Background, MinPoint/MaxPoint,
                          and BlockSize while no block is stored
POST <data>/extents       {{"MinPoint": [x,y,z], "MaxPoint": [x,y,z]}} sets this version's extents
POST <data>/resolution    [x, y, z] sets the voxel size
GET  <data>/tags          the instance's tags; POST a JSON object of strings to add (?replace=true)

GET  <data>/raw/<dims>/<size>/<offset>[/<format>][?roi=<name>&attenuation=<n>&throttle=true]
GET  <data>/isotropic/<dims>/<size>/<offset>[/<format>]
    dims    "xy", "xz", "yz" (or "0_1", "0_2", "1_2") for a 2-D image; "0_1_2" for a 3-D subvolume
    size    "W_H" for a slice (W along the first axis, H along the second); "X_Y_Z" for a subvolume
    offset  "x_y_z" of the first voxel (negative coordinates allowed)
    format  2-D: "png" (default), "jpg" or "jpg:<quality 1-100>", "tif", "bmp"
            3-D: raw bytes (application/octet-stream); "jpg"/"jpeg" returns one JPEG of width X
            and height Y*Z (the XY slices stacked, z outermost)
    isotropic scales a slice whose two axes have different voxel sizes so pixels are square.
    roi     only blocks inside the ROI are read; the others read as Background, or, with
            attenuation n (1-7, 8-bit channels only), as their values divided by 2^n
    throttle "on"/"true": at most the configured number of throttled requests run; others get 503

POST <data>/raw/0_1_2/<size>/<offset>[?roi=<name>&throttle=true]
    Stores little-endian voxels (X*Y*Z*{nbytes} bytes). Size and offset must be multiples of the
    block size. With roi, only blocks inside the ROI are written. Extents grow to cover the write.

GET  <data>/blocks/<x>_<y>_<z>/<spanX>
POST <data>/blocks/<x>_<y>_<z>/<spanX>
    A run of spanX whole blocks along x starting at block (x, y, z), uncompressed, each block's
    voxels x fastest, then y, then z. GET fills missing blocks with Background.

GET  <data>/subvolblocks/<size>/<offset>[?compression=&throttle=true]
GET  <data>/specificblocks?blocks=x1,y1,z1,x2,y2,z2,...[&compression=&prefetch=true]
    Stored blocks as a stream of records: int32 x, int32 y, int32 z, int32 n (little-endian),
    then n bytes. Blocks never written are left out. subvolblocks needs a block-aligned box and
    sends blocks in z, y, x order; specificblocks sends them in the order asked.
    compression  "" (default): the stored payload (for LZ4, a uint32 size then an LZ4 block;
                 for JPEG storage, a JPEG); "jpeg": the same, refused unless stored as JPEG;
                 "uncompressed": the raw block.

GET  <data>/arb/<top left>/<top right>/<bottom left>/<res>[/<format>]
    An image of an arbitrary plane. Corners "x_y_z" and the pixel size res are in physical units
    (voxel coordinate times VoxelSize); samples are trilinearly interpolated.

GET  <data>/rawkey?x=<bx>&y=<by>&z=<bz>
    {{"Key": "<hex>"}}: the store key of that block at this version.
"""


def image_help(voxel: VoxelType) -> str:
    labels = ", ".join(v["Label"] for v in voxel.values)
    return IMAGE_HELP.format(
        typename=voxel.typename,
        description=f"{voxel.bytes_per_voxel} bytes per voxel: {labels}",
        nbytes=voxel.bytes_per_voxel,
    )
