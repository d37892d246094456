/*
 * uint64 label blocks in neuroglancer's compressed_segmentation encoding, as dvidpy stores them
 * (dvidpy/segmentation.py describes the payload: three uint32s of block size x, y, z, then one
 * channel of 8x8x8 cells). Every function checks what it reads against the payload's length.
 */
#ifndef DVIDPY_SEGMENTATION_H
#define DVIDPY_SEGMENTATION_H

#include <stddef.h>
#include <stdint.h>

/* The largest payload seg_encode writes for a block of bx*by*bz voxels. */
size_t seg_bound(size_t bx, size_t by, size_t bz);

/* Encodes the x-fastest uint64 block src of bx*by*bz voxels (each a multiple of 8) into out
   (seg_bound bytes); returns the payload's length. */
size_t seg_encode(const uint64_t *src, size_t bx, size_t by, size_t bz, uint8_t *out);

/* Decodes payload p[0..len) of a block of bx*by*bz voxels into dst (x fastest). Returns NULL,
   or what was wrong. */
const char *seg_decode(const uint8_t *p, size_t len, size_t bx, size_t by, size_t bz, uint64_t *dst);

/* Checks the payload's size prefix and channel word against a block of bx*by*bz voxels.
   Returns NULL, or what was wrong. */
const char *seg_check(const uint8_t *p, size_t len, size_t bx, size_t by, size_t bz);

/* The label at voxel offset (x + bx * (y + by * z)) of a payload seg_check accepted. Returns
   NULL, or what was wrong. */
const char *seg_at(const uint8_t *p, size_t len, size_t bx, size_t by, size_t bz, size_t offset, uint64_t *value);

/* One block of a composed chunk: its payload (seg_check accepted) or NULL where none is stored. */
typedef struct {
    const uint8_t *data;
    size_t len;
} SegBlock;

/*
 * Neuroglancer's compressed_segmentation of a box (one channel, 8x8x8 cells) made from the cells
 * of the blocks it covers without decoding them: each cell's indexes and table are copied and
 * its header moved, so the answer is what DVID's encoder writes for the box. grid (x, y, z) is
 * the box's blocks per axis, blocks[] those blocks x fastest; rel (x, y, z) is the box's first
 * voxel relative to the first block's, a multiple of 8, and size (x, y, z) its size, multiples
 * of 8. Missing blocks read as fill. With out NULL only the answer's length is found; then
 * out must hold that many bytes. Returns the length, or 0 with *why set (a malformed block, or
 * "offsets past 24 bits").
 */
size_t seg_compose(const SegBlock *blocks, const size_t grid[3], const size_t rel[3], const size_t size[3],
                   const size_t block[3], uint64_t fill, uint8_t *out, size_t *words, const char **why);

#endif
