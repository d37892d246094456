/*
 * neuroglancer's compressed_segmentation encoding of uint64 label blocks, written for dvidpy
 * from the format's description: a block is cut into 8x8x8 cells (x fastest, cells too); each
 * cell has a two-word header (lookup-table offset in the low 24 bits and index width in the top
 * 8 of the first word, the offset of its packed indexes in the second, both in uint32 words from
 * the start of the channel) and stores its voxels as 0, 1, 2, 4, 8, 16 or 32-bit indexes into a
 * table of the uint64 labels it holds (two little-endian words each).
 */
#include "segmentation.h"

#include <stdlib.h>
#include <string.h>

#define CELL 8
#define CELL_VOXELS 512
#define PREFIX 16 /* block size x, y, z and the channel offset word */
#define MAX_OFFSET 0xFFFFFFu
/* Cells whose labels are collected by linear search before switching to a sort. */
#define SMALL_TABLE 32

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* A little-endian uint64 at any alignment (the format's tables sit on 4-byte boundaries). */
static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

size_t seg_bound(size_t bx, size_t by, size_t bz)
{
    size_t cells = (bx / CELL) * (by / CELL) * (bz / CELL);
    /* at most 512 labels a cell: 16-bit indexes (256 words) and a 512-entry table */
    return PREFIX + cells * (8 + 256 * 4 + CELL_VOXELS * 8);
}

static int width_for(size_t labels)
{
    if (labels <= 1) return 0;
    if (labels <= 2) return 1;
    if (labels <= 4) return 2;
    if (labels <= 16) return 4;
    if (labels <= 256) return 8;
    if (labels <= 65536) return 16;
    return 32;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The cell's labels in table, in the order they first occur (returns how many), and each
   voxel's index into it: the table DVID's and neuroglancer's encoders write. */
static size_t cell_table(const uint64_t *v, uint64_t *table, uint32_t *index)
{
    size_t n = 1, last = 0;
    table[0] = v[0];
    index[0] = 0;
    for (size_t i = 1; i < CELL_VOXELS; i++) {
        if (v[i] == table[last]) {
            index[i] = (uint32_t)last;
            continue;
        }
        size_t k = 0;
        while (k < n && table[k] != v[i])
            k++;
        if (k == n) {
            if (n == SMALL_TABLE)
                goto sorted;
            table[n++] = v[i];
        }
        index[i] = (uint32_t)k;
        last = k;
    }
    return n;
sorted:
    memcpy(table, v, CELL_VOXELS * sizeof *v);
    qsort(table, CELL_VOXELS, sizeof *table, cmp_u64);
    n = 1;
    for (size_t i = 1; i < CELL_VOXELS; i++)
        if (table[i] != table[n - 1])
            table[n++] = table[i];
    uint32_t rank[CELL_VOXELS];
    uint64_t sorted[CELL_VOXELS];
    memcpy(sorted, table, n * sizeof *table);
    for (size_t k = 0; k < n; k++)
        rank[k] = UINT32_MAX;
    size_t seen = 0;
    for (size_t i = 0; i < CELL_VOXELS; i++) {
        size_t lo = 0, hi = n;
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (sorted[mid] <= v[i]) lo = mid; else hi = mid;
        }
        if (rank[lo] == UINT32_MAX) {
            rank[lo] = (uint32_t)seen;
            table[seen++] = sorted[lo];
        }
        index[i] = rank[lo];
    }
    return n;
}

size_t seg_encode(const uint64_t *src, size_t bx, size_t by, size_t bz, uint8_t *out)
{
    size_t gx = bx / CELL, gy = by / CELL, gz = bz / CELL, cells = gx * gy * gz;
    wr32(out, (uint32_t)bx); wr32(out + 4, (uint32_t)by); wr32(out + 8, (uint32_t)bz);
    wr32(out + 12, 1);
    uint8_t *channel = out + PREFIX;
    size_t at = 2 * cells; /* next free word of the channel */
    uint64_t v[CELL_VOXELS], table[CELL_VOXELS];
    uint32_t index[CELL_VOXELS];
    for (size_t c = 0; c < cells; c++) {
        size_t cx = c % gx, cy = (c / gx) % gy, cz = c / (gx * gy);
        for (size_t z = 0; z < CELL; z++)
            for (size_t y = 0; y < CELL; y++)
                memcpy(v + (z * CELL + y) * CELL, src + ((cz * CELL + z) * by + cy * CELL + y) * bx + cx * CELL,
                       CELL * sizeof *v);
        size_t n = cell_table(v, table, index);
        int width = width_for(n);
        size_t values_at = at;
        if (width) {
            size_t per_word = 32 / (size_t)width, words = CELL_VOXELS / per_word;
            const uint32_t *next = index;
            for (size_t k = 0; k < words; k++) {
                uint32_t word = 0;
                for (size_t j = 0; j < per_word; j++)
                    word |= *next++ << (j * (size_t)width);
                wr32(channel + 4 * (at + k), word);
            }
            at += words;
        }
        size_t table_at = at;
        for (size_t k = 0; k < n; k++) {
            wr32(channel + 4 * (at + 2 * k), (uint32_t)table[k]);
            wr32(channel + 4 * (at + 2 * k + 1), (uint32_t)(table[k] >> 32));
        }
        at += 2 * n;
        wr32(channel + 8 * c, (uint32_t)table_at | (uint32_t)width << 24);
        wr32(channel + 8 * c + 4, (uint32_t)values_at);
    }
    return PREFIX + 4 * at;
}

const char *seg_check(const uint8_t *p, size_t len, size_t bx, size_t by, size_t bz)
{
    if (len < PREFIX || (len - PREFIX) % 4)
        return "truncated compressed segmentation block";
    if (rd32(p) != bx || rd32(p + 4) != by || rd32(p + 8) != bz)
        return "compressed segmentation block is not of this instance's block size";
    if (bx % CELL || by % CELL || bz % CELL)
        return "compressed segmentation block size is not a multiple of 8";
    if (rd32(p + 12) != 1)
        return "compressed segmentation block does not start its one channel at word 1";
    size_t cells = (bx / CELL) * (by / CELL) * (bz / CELL);
    if ((len - PREFIX) / 4 < 2 * cells)
        return "compressed segmentation block is shorter than its cell headers";
    return NULL;
}

typedef struct {
    const uint8_t *channel;
    size_t words, cells;
} Channel;

typedef struct {
    size_t table, values;
    int width;
} CellHead;

static const char *cell_head(const Channel *ch, size_t c, CellHead *h)
{
    uint32_t w0 = rd32(ch->channel + 8 * c), w1 = rd32(ch->channel + 8 * c + 4);
    h->table = w0 & MAX_OFFSET;
    h->width = (int)(w0 >> 24);
    h->values = w1;
    if (h->width != 0 && h->width != 1 && h->width != 2 && h->width != 4 && h->width != 8 && h->width != 16
            && h->width != 32)
        return "compressed segmentation cell has an index width the format does not allow";
    if (h->table < 2 * ch->cells || h->table + 2 > ch->words)
        return "compressed segmentation cell table runs past the block";
    if (h->width && (h->values < 2 * ch->cells || h->values + (size_t)h->width * 16 > ch->words))
        return "compressed segmentation cell indexes run past the block";
    return NULL;
}

static const char *cell_label(const Channel *ch, const CellHead *h, size_t i, uint64_t *value)
{
    size_t index = 0;
    if (h->width) {
        size_t bit = i * (size_t)h->width;
        uint32_t word = rd32(ch->channel + 4 * (h->values + bit / 32));
        index = (word >> (bit % 32)) & (h->width == 32 ? 0xFFFFFFFFu : (1u << h->width) - 1);
    }
    size_t at = h->table + 2 * index;
    if (at + 2 > ch->words)
        return "compressed segmentation index points past the block";
    *value = (uint64_t)rd32(ch->channel + 4 * at) | (uint64_t)rd32(ch->channel + 4 * at + 4) << 32;
    return NULL;
}

static Channel channel_of(const uint8_t *p, size_t len, size_t bx, size_t by, size_t bz)
{
    Channel ch = {p + PREFIX, (len - PREFIX) / 4, (bx / CELL) * (by / CELL) * (bz / CELL)};
    return ch;
}

/* The little-endian value of n bytes (n <= 8) at p. */
static inline uint64_t rd_bytes(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t k = 0; k < n; k++)
        v |= (uint64_t)p[k] << (8 * k);
    return v;
}

/* One cell's voxels from its packed indexes: row r of 8 voxels (x) is the r-th group of 8
   indexes, 8 * width bits starting at byte r * width. The width is a constant in each case so
   the compiler unrolls the row. */
#define DECODE_ROWS(W)                                                                           \
    for (size_t r = 0; r < CELL * CELL; r++) {                                                   \
        uint64_t *row = base + ((r / CELL) * by + r % CELL) * bx;                                \
        for (size_t part = 0; part < ((W) > 8 ? (W) / 8 : 1); part++) {                          \
            size_t per = (W) > 8 ? 64 / (W) : 8;                                                 \
            uint64_t bits = rd_bytes(packed + r * (W) + part * 8, (W) > 8 ? 8 : (W));            \
            for (size_t x = 0; x < per; x++) {                                                   \
                uint64_t index = (bits >> (x * (W))) & ((W) == 32 ? 0xFFFFFFFFu : (1u << (W)) - 1); \
                if (index >= entries)                                                            \
                    return "compressed segmentation index points past the block";               \
                row[part * per + x] = rd64(table + 8 * index);                                   \
            }                                                                                    \
        }                                                                                        \
    }                                                                                            \
    return NULL;

static const char *decode_cell(const uint8_t *packed, int width, const uint8_t *table, size_t entries, uint64_t *base,
                               size_t bx, size_t by)
{
    switch (width) {
    case 1: DECODE_ROWS(1)
    case 2: DECODE_ROWS(2)
    case 4: DECODE_ROWS(4)
    case 8: DECODE_ROWS(8)
    case 16: DECODE_ROWS(16)
    default: DECODE_ROWS(32)
    }
}

const char *seg_decode(const uint8_t *p, size_t len, size_t bx, size_t by, size_t bz, uint64_t *dst)
{
    const char *why = seg_check(p, len, bx, by, bz);
    if (why)
        return why;
    Channel ch = channel_of(p, len, bx, by, bz);
    size_t gx = bx / CELL, gy = by / CELL;
    for (size_t c = 0; c < ch.cells; c++) {
        CellHead h;
        if ((why = cell_head(&ch, c, &h)))
            return why;
        size_t cx = c % gx, cy = (c / gx) % gy, cz = c / (gx * gy);
        uint64_t *base = dst + (cz * CELL * by + cy * CELL) * bx + cx * CELL;
        const uint8_t *table = ch.channel + 4 * h.table;
        size_t entries = (ch.words - h.table) / 2; /* table entries within the block */
        if (h.width == 0) {
            uint64_t only = rd64(table);
            for (size_t z = 0; z < CELL; z++)
                for (size_t y = 0; y < CELL; y++)
                    for (size_t x = 0; x < CELL; x++)
                        base[(z * by + y) * bx + x] = only;
            continue;
        }
        const char *bad = decode_cell(ch.channel + 4 * h.values, h.width, table, entries, base, bx, by);
        if (bad)
            return bad;
    }
    return NULL;
}

const char *seg_at(const uint8_t *p, size_t len, size_t bx, size_t by, size_t bz, size_t offset, uint64_t *value)
{
    Channel ch = channel_of(p, len, bx, by, bz);
    size_t x = offset % bx, y = (offset / bx) % by, z = offset / (bx * by);
    size_t c = ((z / CELL) * (by / CELL) + y / CELL) * (bx / CELL) + x / CELL;
    CellHead h;
    const char *why = cell_head(&ch, c, &h);
    if (why)
        return why;
    return cell_label(&ch, &h, ((z % CELL) * CELL + y % CELL) * CELL + x % CELL, value);
}

/*
 * Where cell c's data lies: [start, end) in channel words, its indexes (if any) then its table.
 * Blocks are stored cell by cell in cell order (seg_encode's layout, which is DVID's), so a
 * cell ends where the next begins and the last ends with the block; anything else is refused.
 */
static const char *cell_span(const Channel *ch, size_t c, CellHead *h, size_t *start, size_t *end)
{
    const char *why = cell_head(ch, c, h);
    if (why)
        return why;
    *start = h->width ? h->values : h->table;
    *end = ch->words;
    if (c + 1 < ch->cells) {
        CellHead next;
        if ((why = cell_head(ch, c + 1, &next)))
            return why;
        *end = next.width ? next.values : next.table;
    }
    if ((h->width && h->table != h->values + (size_t)h->width * 16) || h->table >= *end || (*end - h->table) % 2)
        return "compressed segmentation cell is not stored in cell order";
    return NULL;
}

size_t seg_compose(const SegBlock *blocks, const size_t grid[3], const size_t rel[3], const size_t size[3],
                   const size_t block[3], uint64_t fill, uint8_t *out, size_t *words, const char **why)
{
    size_t gx = size[0] / CELL, gy = size[1] / CELL, gz = size[2] / CELL, cells = gx * gy * gz;
    size_t bgx = block[0] / CELL, bgy = block[1] / CELL;
    uint8_t *channel = out ? out + 4 : NULL;
    size_t at = 2 * cells; /* where the next cell's data goes, in channel words */
    if (out)
        wr32(out, 1);
    for (size_t c = 0; c < cells; c++) {
        size_t v[3] = {rel[0] + CELL * (c % gx), rel[1] + CELL * ((c / gx) % gy), rel[2] + CELL * (c / (gx * gy))};
        const SegBlock *b = &blocks[((v[2] / block[2]) * grid[1] + v[1] / block[1]) * grid[0] + v[0] / block[0]];
        if (!b->data) { /* no stored block: one label, the fill value */
            if (channel) {
                wr32(channel + 8 * c, (uint32_t)at);
                wr32(channel + 8 * c + 4, (uint32_t)at);
                wr32(channel + 4 * at, (uint32_t)fill);
                wr32(channel + 4 * at + 4, (uint32_t)(fill >> 32));
            }
            at += 2;
            continue;
        }
        size_t local = (((v[2] % block[2]) / CELL) * bgy + (v[1] % block[1]) / CELL) * bgx + (v[0] % block[0]) / CELL;
        Channel ch = channel_of(b->data, b->len, block[0], block[1], block[2]);
        CellHead h;
        size_t start, end;
        if ((*why = cell_span(&ch, local, &h, &start, &end)))
            return 0;
        if (channel) {
            size_t moved = at + (h.table - start);
            wr32(channel + 8 * c, (uint32_t)moved | (uint32_t)h.width << 24);
            wr32(channel + 8 * c + 4, (uint32_t)at);
            memcpy(channel + 4 * at, ch.channel + 4 * start, 4 * (end - start));
        }
        at += end - start;
        if (at > MAX_OFFSET) {
            *why = "offsets past 24 bits";
            return 0;
        }
    }
    *words = at;
    return 4 + 4 * at;
}
