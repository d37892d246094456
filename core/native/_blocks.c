/*
 * dvidpy's compiled hot path: whole requests' worth of stored blocks decoded, encoded and
 * sampled in one call each, with the GIL released and the blocks split over threads.
 *
 * Stored values are in DVID's format: one format byte ((compression & 7) << 5 |
 * (checksum & 3) << 3), a little-endian CRC32 of the payload when checksummed, then the
 * payload. An LZ4 payload is a little-endian uint32 of the decoded size and one raw LZ4 block
 * (the block format as documented by the LZ4 project: sequences of a token, literals, a 2-byte
 * offset and a match length). A compressed segmentation payload (6, uint64 labels) is read
 * and written by segmentation.c. Only these kinds are handled here; others are reported back
 * for the Python path.
 *
 * Every read and write is bounds-checked: a corrupt or truncated value is an error message,
 * never an access outside its input, the scratch block or the destination array.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "segmentation.h"

#define KIND_NONE 0
#define KIND_LZ4 4
#define KIND_SEGMENTATION 6
/* The most 8x8x8 cells a compressed segmentation block may have (its table offsets fit 24 bits). */
#define SEGMENTATION_CELLS 8192
#define MAX_THREADS 16
/* Below this much decoded data a call stays on the calling thread. */
#define PARALLEL_BYTES (1u << 20)

/* -- CRC32 (IEEE, as zlib.crc32) ----------------------------------------------------------- */

static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static uint32_t read_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void write_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* -- LZ4 block decoding ---------------------------------------------------------------------- */

/* Reads an LZ4 length continuation (bytes of 255 and a final byte below 255) onto *len. */
static int read_length(const uint8_t **ip, const uint8_t *iend, size_t *len)
{
    unsigned b;
    do {
        if (*ip >= iend)
            return -1;
        b = *(*ip)++;
        *len += b;
    } while (b == 255);
    return 0;
}

/*
 * Decodes the raw LZ4 block src[0..srclen) into dst[0..dstlen). With need == dstlen the block
 * must decode to exactly dstlen bytes and end with the input; with need < dstlen decoding may
 * stop as soon as need bytes exist. Returns NULL, or what was wrong.
 */
static const char *lz4_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen, size_t need)
{
    const uint8_t *ip = src, *iend = src + srclen;
    uint8_t *op = dst, *oend = dst + dstlen;
    for (;;) {
        if (ip >= iend)
            return "truncated LZ4 block";
        unsigned token = *ip++;
        size_t lit = token >> 4;
        /* The common short sequence (under 15 literals, a match of 4-18 bytes at least 8 back),
           with room around it: fixed-size copies, no length bytes to read. */
        if (lit < 15 && (token & 15) < 15 && (size_t)(iend - ip) >= lit + 2 + 16 && (size_t)(oend - op) >= 32 + lit) {
            size_t off = (size_t)ip[lit] | (size_t)ip[lit + 1] << 8;
            if (off >= 8 && off <= (size_t)(op - dst) + lit && (need == dstlen || (size_t)(op - dst) + lit < need)) {
                memcpy(op, ip, 16);
                op += lit;
                ip += lit + 2;
                const uint8_t *m = op - off;
                memcpy(op, m, 8);
                memcpy(op + 8, m + 8, 8);
                memcpy(op + 16, m + 16, 8);
                op += (token & 15) + 4;
                continue;
            }
        }
        if (lit == 15 && read_length(&ip, iend, &lit) < 0)
            return "truncated LZ4 literal length";
        if (lit > (size_t)(iend - ip))
            return "LZ4 literals run past the end of the value";
        if (lit > (size_t)(oend - op))
            return "LZ4 literals run past the stored size";
        if (lit <= 16 && iend - ip >= 16 && oend - op >= 16) {
            memcpy(op, ip, 16);  /* one fixed-size copy; the bytes past lit are overwritten later */
        } else if (lit <= 32 && iend - ip >= 32 && oend - op >= 32) {
            memcpy(op, ip, 32);
        } else {
            memcpy(op, ip, lit);
        }
        op += lit;
        ip += lit;
        if (ip == iend)
            break;
        if (need < dstlen && (size_t)(op - dst) >= need)
            return NULL;
        if (iend - ip < 2)
            return "truncated LZ4 match offset";
        size_t off = (size_t)ip[0] | (size_t)ip[1] << 8;
        ip += 2;
        if (off == 0 || off > (size_t)(op - dst))
            return "LZ4 match offset points before the start of the block";
        size_t mlen = token & 15;
        if (mlen == 15 && read_length(&ip, iend, &mlen) < 0)
            return "truncated LZ4 match length";
        mlen += 4;
        if (mlen > (size_t)(oend - op))
            return "LZ4 match runs past the stored size";
        if (off >= 16 && (size_t)(oend - op) >= mlen + 16) {
            /* 16 bytes at a time, each from output already written (off >= 16); the last copy
               may write up to 15 bytes past the match, inside the output, overwritten later. */
            const uint8_t *m = op - off;
            for (size_t i = 0; i < mlen; i += 16)
                memcpy(op + i, m + i, 16);
            op += mlen;
            mlen = 0;
        } else if (off >= 8 && (size_t)(oend - op) >= mlen + 8) {
            const uint8_t *m = op - off;  /* the same, 8 bytes at a time */
            for (size_t i = 0; i < mlen; i += 8)
                memcpy(op + i, m + i, 8);
            op += mlen;
            mlen = 0;
        } else if ((size_t)(oend - op) >= mlen + 8) {
            /* A short period (off < 8, as the zero high bytes of labels make): the first
               multiple of off that is at least 8 bytes goes byte by byte, the rest 8 bytes at a
               time from that distance, where the pattern repeats. */
            const uint8_t *m = op - off;
            size_t d = off * ((8 + off - 1) / off), i = 0;
            for (; i < d && i < mlen; i++)
                op[i] = m[i];
            for (; i < mlen; i += 8)
                memcpy(op + i, op + i - d, 8);
            op += mlen;
            mlen = 0;
        }
        /* Copy in chunks no longer than the distance, which doubles as the copy proceeds:
           the output repeats with the match's period, so each chunk's source is complete. */
        while (mlen) {
            size_t c = mlen < off ? mlen : off;
            memcpy(op, op - off, c);
            op += c;
            mlen -= c;
            off += c;
        }
        if (need < dstlen && (size_t)(op - dst) >= need)
            return NULL;
    }
    if ((size_t)(op - dst) < need)
        return "LZ4 block decodes to fewer bytes than its stored size";
    return NULL;
}

/* -- LZ4 block encoding ---------------------------------------------------------------------- */

#define HASH_BITS 14
#define MIN_MATCH 4
#define LAST_LITERALS 5
#define MATCH_SEARCH_LIMIT 12
#define MAX_DISTANCE 65535

static size_t lz4_bound(size_t n)
{
    return n + n / 255 + 16;
}

static uint32_t read32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t read64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static unsigned hash4(uint32_t v)
{
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

static uint8_t *write_length(uint8_t *op, size_t len)
{
    while (len >= 255) {
        *op++ = 255;
        len -= 255;
    }
    *op++ = (uint8_t)len;
    return op;
}

static uint8_t *emit(uint8_t *op, const uint8_t *lit, size_t nlit, size_t off, size_t mlen)
{
    uint8_t *token = op++;
    *token = (uint8_t)((nlit >= 15 ? 15 : nlit) << 4);
    if (nlit >= 15)
        op = write_length(op, nlit - 15);
    memcpy(op, lit, nlit);
    op += nlit;
    if (mlen == 0)
        return op;
    *op++ = (uint8_t)off;
    *op++ = (uint8_t)(off >> 8);
    size_t ml = mlen - MIN_MATCH;
    *token |= (uint8_t)(ml >= 15 ? 15 : ml);
    if (ml >= 15)
        op = write_length(op, ml - 15);
    return op;
}

/* Length of the common run of a and b, not reaching limit (a < limit). */
static size_t common_length(const uint8_t *a, const uint8_t *b, const uint8_t *limit)
{
    const uint8_t *start = a;
    while (a + 8 <= limit) {
        uint64_t diff = read64(a) ^ read64(b);
        if (diff)
            return (size_t)(a - start) + (size_t)(__builtin_ctzll(diff) >> 3);
        a += 8;
        b += 8;
    }
    while (a < limit && *a == *b) {
        a++;
        b++;
    }
    return (size_t)(a - start);
}

/* Encodes src[0..n) as one raw LZ4 block into dst (room for lz4_bound(n)); returns its size.
   Greedy matching over a hash of 4-byte prefixes, skipping faster through data that does not
   match; the block ends with at least five literals, as the format requires. */
static size_t lz4_encode(const uint8_t *src, size_t n, uint8_t *dst, uint32_t *table)
{
    const uint8_t *ip = src, *anchor = src, *iend = src + n;
    uint8_t *op = dst;
    if (n >= MATCH_SEARCH_LIMIT + 1) {
        const uint8_t *mflimit = iend - MATCH_SEARCH_LIMIT, *matchlimit = iend - LAST_LITERALS;
        memset(table, 0, sizeof(uint32_t) << HASH_BITS);
        ip++;
        while (ip <= mflimit) {
            const uint8_t *ref = NULL;
            unsigned misses = 1u << 6;
            while (ip <= mflimit) {
                uint32_t v = read32(ip);
                unsigned h = hash4(v);
                const uint8_t *cand = src + table[h];
                table[h] = (uint32_t)(ip - src);
                if (cand < ip && (size_t)(ip - cand) <= MAX_DISTANCE && read32(cand) == v) {
                    ref = cand;
                    break;
                }
                ip += misses++ >> 6;
            }
            if (ref == NULL)
                break;
            while (ip > anchor && ref > src && ip[-1] == ref[-1]) {
                ip--;
                ref--;
            }
            size_t mlen = MIN_MATCH + common_length(ip + MIN_MATCH, ref + MIN_MATCH, matchlimit);
            op = emit(op, anchor, (size_t)(ip - anchor), (size_t)(ip - ref), mlen);
            ip += mlen;
            anchor = ip;
            if (ip <= mflimit)
                table[hash4(read32(ip - 2))] = (uint32_t)(ip - 2 - src);
        }
    }
    op = emit(op, anchor, (size_t)(iend - anchor), 0, 0);
    return (size_t)(op - dst);
}

/* -- stored values ------------------------------------------------------------------------------ */

typedef struct {
    const uint8_t *data;  /* the payload after format byte and checksum */
    size_t len;
    int kind;
} Stored;

/* Splits a stored value; returns NULL, "skip" for kinds left to Python, or what was wrong. */
static const char *parse_value(const uint8_t *v, size_t len, Stored *out)
{
    if (len == 0)
        return "empty stored value";
    int kind = v[0] >> 5, checksum = (v[0] >> 3) & 3;
    if ((kind != KIND_NONE && kind != KIND_LZ4 && kind != KIND_SEGMENTATION) || checksum > 1 || (v[0] & 7))
        return "skip";
    size_t head = 1;
    if (checksum) {
        if (len < 5)
            return "truncated checksum";
        head = 5;
        if (read_le32(v + 1) != crc32_of(v + 5, len - 5))
            return "Bad checksum";
    }
    out->data = v + head;
    out->len = len - head;
    out->kind = kind;
    return NULL;
}

/* Decodes a stored value of a block (bz, by, bx) into scratch (nbytes), or as far as need bytes. */
static const char *decode_value(const Stored *s, uint8_t *scratch, size_t nbytes, size_t need, const Py_ssize_t *block)
{
    if (s->kind == KIND_SEGMENTATION) {
        if (nbytes != (size_t)block[0] * block[1] * block[2] * 8)
            return "compressed segmentation values hold 8-byte labels";
        return seg_decode(s->data, s->len, block[2], block[1], block[0], (uint64_t *)scratch);
    }
    if (s->kind == KIND_NONE) {
        if (s->len != nbytes)
            return "uncompressed block has the wrong size";
        memcpy(scratch, s->data, need);
        return NULL;
    }
    if (s->len < 4)
        return "truncated LZ4 size";
    if (read_le32(s->data) != nbytes)
        return "LZ4 block's stored size is not the block's size";
    return lz4_decode(s->data + 4, s->len - 4, scratch, nbytes, need);
}

/* -- a parallel loop over items -------------------------------------------------------------- */

typedef struct Job Job;
typedef void (*Work)(Job *job, Py_ssize_t begin, Py_ssize_t end, uint8_t *scratch);

struct Job {
    Work work;
    Py_ssize_t n;
    size_t scratch_bytes;
    pthread_mutex_t lock;
    Py_ssize_t error_at;  /* the first failing item, or -1 */
    const char *error;
    void *args;
};

typedef struct {
    Job *job;
    Py_ssize_t begin, end;
    int failed_alloc;
} Part;

static void fail(Job *job, Py_ssize_t item, const char *why)
{
    pthread_mutex_lock(&job->lock);
    if (job->error_at < 0 || item < job->error_at) {
        job->error_at = item;
        job->error = why;
    }
    pthread_mutex_unlock(&job->lock);
}

static void *run_part(void *arg)
{
    Part *part = arg;
    uint8_t *scratch = part->job->scratch_bytes ? malloc(part->job->scratch_bytes) : NULL;
    if (part->job->scratch_bytes && scratch == NULL) {
        part->failed_alloc = 1;
        return NULL;
    }
    part->job->work(part->job, part->begin, part->end, scratch);
    free(scratch);
    return NULL;
}

/* Runs job over its items on up to `threads` threads (the caller's among them), GIL released.
   Returns 0, or -1 with a Python exception set. */
static int run_job(Job *job, int threads, size_t total_bytes)
{
    if (threads < 1)
        threads = 1;
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    if (total_bytes < PARALLEL_BYTES || job->n < 2 * threads)
        threads = 1;
    job->error_at = -1;
    job->error = NULL;
    pthread_mutex_init(&job->lock, NULL);
    Part parts[MAX_THREADS];
    pthread_t ids[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    Py_ssize_t step = (job->n + threads - 1) / threads;
    Py_BEGIN_ALLOW_THREADS
    for (int t = 0; t < threads; t++) {
        parts[t].job = job;
        parts[t].begin = t * step < job->n ? t * step : job->n;
        parts[t].end = (t + 1) * step < job->n ? (t + 1) * step : job->n;
        parts[t].failed_alloc = 0;
    }
    for (int t = 1; t < threads; t++)
        started[t] = pthread_create(&ids[t], NULL, run_part, &parts[t]) == 0;
    run_part(&parts[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(ids[t], NULL);
        else
            run_part(&parts[t]);
    }
    Py_END_ALLOW_THREADS
    pthread_mutex_destroy(&job->lock);
    for (int t = 0; t < threads; t++) {
        if (parts[t].failed_alloc) {
            PyErr_NoMemory();
            return -1;
        }
    }
    return 0;
}

/* -- buffers from Python ------------------------------------------------------------------------ */

typedef struct {
    Py_buffer *views;
    Py_ssize_t n;
} Buffers;

/* Borrows a buffer of every item of seq (None allowed where allow_none: a zero-length view). */
static int get_buffers(PyObject *seq, Buffers *out, int allow_none)
{
    PyObject *fast = PySequence_Fast(seq, "values must be a sequence");
    if (fast == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    out->views = PyMem_Calloc(n ? n : 1, sizeof(Py_buffer));
    out->n = 0;
    if (out->views == NULL) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return -1;
    }
    PyObject **items = PySequence_Fast_ITEMS(fast);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (items[i] == Py_None && allow_none) {
            out->views[i].buf = NULL;
            out->views[i].len = -1;
        } else if (PyObject_GetBuffer(items[i], &out->views[i], PyBUF_SIMPLE) < 0) {
            out->n = i;
            Py_DECREF(fast);
            return -1;
        }
        out->n = i + 1;
    }
    Py_DECREF(fast);
    return 0;
}

static void release_buffers(Buffers *b)
{
    for (Py_ssize_t i = 0; i < b->n; i++)
        if (b->views[i].obj != NULL)
            PyBuffer_Release(&b->views[i]);
    PyMem_Free(b->views);
}

static int int64_array(PyObject *obj, Py_buffer *view, Py_ssize_t expect, const char *what)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    if (view->itemsize != 8 || view->format == NULL || (strcmp(view->format, "q") && strcmp(view->format, "l")
            && strcmp(view->format, "<q") && strcmp(view->format, "<l") && strcmp(view->format, "=q")
            && strcmp(view->format, "=l")) || (expect >= 0 && view->len != expect * 8)) {
        PyErr_Format(PyExc_TypeError, "%s must be a C-contiguous int64 array of %zd items", what, expect);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* -- decode_into ---------------------------------------------------------------------------------- */

typedef struct {
    Buffers values;
    const int64_t *origins;  /* (n, 3): z, y, x of each block's first voxel in the destination */
    uint8_t *dest;
    Py_ssize_t shape[3], strides[3], itemsize;
    Py_ssize_t block[3];  /* bz, by, bx */
    size_t nbytes;
    uint8_t *skipped;  /* 1 where the value is left to Python */
} DecodeArgs;

static void paste(DecodeArgs *a, const uint8_t *blk, const int64_t *o)
{
    Py_ssize_t lo[3], hi[3];
    for (int d = 0; d < 3; d++) {
        lo[d] = o[d] < 0 ? -o[d] : 0;
        hi[d] = a->block[d];
        if (o[d] + hi[d] > a->shape[d])
            hi[d] = a->shape[d] - o[d];
        if (hi[d] <= lo[d])
            return;
    }
    size_t row = (size_t)(hi[2] - lo[2]) * (size_t)a->itemsize;
    for (Py_ssize_t z = lo[0]; z < hi[0]; z++) {
        for (Py_ssize_t y = lo[1]; y < hi[1]; y++) {
            const uint8_t *s = blk + ((size_t)(z * a->block[1] + y) * a->block[2] + lo[2]) * a->itemsize;
            uint8_t *d = a->dest + (o[0] + z) * a->strides[0] + (o[1] + y) * a->strides[1] + (o[2] + lo[2]) * a->strides[2];
            if (a->strides[2] == a->itemsize) {
                memcpy(d, s, row);
            } else {
                for (Py_ssize_t x = lo[2]; x < hi[2]; x++, d += a->strides[2], s += a->itemsize)
                    memcpy(d, s, a->itemsize);
            }
        }
    }
}

static void decode_work(Job *job, Py_ssize_t begin, Py_ssize_t end, uint8_t *scratch)
{
    DecodeArgs *a = job->args;
    for (Py_ssize_t i = begin; i < end; i++) {
        Stored s;
        const char *why = parse_value(a->values.views[i].buf, (size_t)a->values.views[i].len, &s);
        if (why == NULL)
            why = decode_value(&s, scratch, a->nbytes, a->nbytes, a->block);
        if (why == NULL)
            paste(a, scratch, a->origins + 3 * i);
        else if (strcmp(why, "skip") == 0)
            a->skipped[i] = 1;
        else
            fail(job, i, why);
    }
}

static PyObject *raise_item(Job *job)
{
    PyErr_Format(PyExc_ValueError, "%s (block %zd of the request)", job->error, job->error_at);
    return NULL;
}

static PyObject *skipped_list(const uint8_t *skipped, Py_ssize_t n)
{
    PyObject *out = PyList_New(0);
    for (Py_ssize_t i = 0; out != NULL && i < n; i++) {
        if (skipped[i]) {
            PyObject *v = PyLong_FromSsize_t(i);
            if (v == NULL || PyList_Append(out, v) < 0) {
                Py_XDECREF(v);
                Py_CLEAR(out);
                break;
            }
            Py_DECREF(v);
        }
    }
    return out;
}

static int block_shape(PyObject *shape, Py_ssize_t block[3])
{
    if (!PyArg_ParseTuple(shape, "nnn", &block[0], &block[1], &block[2]))
        return -1;
    for (int d = 0; d < 3; d++) {
        if (block[d] <= 0 || block[d] > (1 << 16)) {
            PyErr_SetString(PyExc_ValueError, "block dimensions must be between 1 and 65536");
            return -1;
        }
    }
    return 0;
}

static PyObject *decode_into(PyObject *self, PyObject *args)
{
    PyObject *values, *origins_obj, *dest_obj, *shape;
    int threads;
    if (!PyArg_ParseTuple(args, "OOOO!i", &values, &origins_obj, &dest_obj, &PyTuple_Type, &shape, &threads))
        return NULL;
    DecodeArgs a;
    memset(&a, 0, sizeof a);
    if (block_shape(shape, a.block) < 0)
        return NULL;
    Py_buffer dest, origins;
    if (PyObject_GetBuffer(dest_obj, &dest, PyBUF_STRIDES | PyBUF_WRITABLE) < 0)
        return NULL;
    if (dest.ndim != 3) {
        PyBuffer_Release(&dest);
        PyErr_SetString(PyExc_ValueError, "the destination must be a 3-D array");
        return NULL;
    }
    if (get_buffers(values, &a.values, 0) < 0) {
        release_buffers(&a.values);
        PyBuffer_Release(&dest);
        return NULL;
    }
    Py_ssize_t n = a.values.n;
    PyObject *result = NULL;
    if (int64_array(origins_obj, &origins, 3 * n, "origins") < 0)
        goto done_values;
    a.origins = origins.buf;
    a.dest = dest.buf;
    a.itemsize = dest.itemsize;
    for (int d = 0; d < 3; d++) {
        a.shape[d] = dest.shape[d];
        a.strides[d] = dest.strides[d];
    }
    a.nbytes = (size_t)a.block[0] * a.block[1] * a.block[2] * a.itemsize;
    a.skipped = PyMem_Calloc(n ? n : 1, 1);
    if (a.skipped == NULL) {
        PyErr_NoMemory();
        goto done_origins;
    }
    Job job = {.work = decode_work, .n = n, .scratch_bytes = a.nbytes, .args = &a};
    if (run_job(&job, threads, a.nbytes * (size_t)n) == 0)
        result = job.error ? raise_item(&job) : skipped_list(a.skipped, n);
    PyMem_Free(a.skipped);
done_origins:
    PyBuffer_Release(&origins);
done_values:
    release_buffers(&a.values);
    PyBuffer_Release(&dest);
    return result;
}

/* -- encode_blocks ------------------------------------------------------------------------------- */

typedef struct {
    const uint8_t *src;
    Py_ssize_t shape[3];  /* of the whole array, in voxels */
    Py_ssize_t grid[3];   /* blocks per axis */
    Py_ssize_t block[3];
    Py_ssize_t itemsize;
    size_t nbytes;
    const int64_t *chosen;  /* block numbers in ZYX order */
    uint8_t **outs;
    size_t *sizes;
    int kind, checksum;
} EncodeArgs;

static void gather_block(const EncodeArgs *a, Py_ssize_t number, uint8_t *blk)
{
    Py_ssize_t bx = number % a->grid[2], by = (number / a->grid[2]) % a->grid[1], bz = number / (a->grid[2] * a->grid[1]);
    size_t row = (size_t)a->block[2] * a->itemsize;
    for (Py_ssize_t z = 0; z < a->block[0]; z++) {
        for (Py_ssize_t y = 0; y < a->block[1]; y++) {
            Py_ssize_t vz = bz * a->block[0] + z, vy = by * a->block[1] + y, vx = bx * a->block[2];
            memcpy(blk + (size_t)(z * a->block[1] + y) * row,
                   a->src + ((size_t)(vz * a->shape[1] + vy) * a->shape[2] + vx) * a->itemsize, row);
        }
    }
}

static void encode_work(Job *job, Py_ssize_t begin, Py_ssize_t end, uint8_t *scratch)
{
    EncodeArgs *a = job->args;
    uint32_t *table = (uint32_t *)(scratch + a->nbytes);
    for (Py_ssize_t i = begin; i < end; i++) {
        uint8_t *out = a->outs[i];
        size_t head = a->checksum ? 5 : 1;
        gather_block(a, (Py_ssize_t)a->chosen[i], scratch);
        size_t body;
        if (a->kind == KIND_LZ4) {
            write_le32(out + head, (uint32_t)a->nbytes);
            body = 4 + lz4_encode(scratch, a->nbytes, out + head + 4, table);
        } else if (a->kind == KIND_SEGMENTATION) {
            body = seg_encode((const uint64_t *)scratch, a->block[2], a->block[1], a->block[0], out + head);
        } else {
            memcpy(out + head, scratch, a->nbytes);
            body = a->nbytes;
        }
        out[0] = (uint8_t)((a->kind & 7) << 5 | (a->checksum & 3) << 3);
        if (a->checksum)
            write_le32(out + 1, crc32_of(out + head, body));
        a->sizes[i] = head + body;
    }
}

static PyObject *encode_blocks(PyObject *self, PyObject *args)
{
    PyObject *src_obj, *shape, *chosen_obj;
    int kind, checksum, threads;
    if (!PyArg_ParseTuple(args, "OO!Oiii", &src_obj, &PyTuple_Type, &shape, &chosen_obj, &kind, &checksum, &threads))
        return NULL;
    if ((kind != KIND_NONE && kind != KIND_LZ4 && kind != KIND_SEGMENTATION) || (checksum != 0 && checksum != 1)) {
        PyErr_SetString(PyExc_ValueError,
                        "only plain, LZ4 and compressed segmentation values, with or without CRC32, are encoded here");
        return NULL;
    }
    EncodeArgs a;
    memset(&a, 0, sizeof a);
    a.kind = kind;
    a.checksum = checksum;
    if (block_shape(shape, a.block) < 0)
        return NULL;
    Py_buffer src, chosen;
    if (PyObject_GetBuffer(src_obj, &src, PyBUF_C_CONTIGUOUS | PyBUF_ND) < 0)
        return NULL;
    PyObject *result = NULL;
    if (src.ndim != 3) {
        PyErr_SetString(PyExc_ValueError, "the array must be 3-D");
        goto done_src;
    }
    a.src = src.buf;
    a.itemsize = src.itemsize;
    for (int d = 0; d < 3; d++) {
        a.shape[d] = src.shape[d];
        if (src.shape[d] % a.block[d]) {
            PyErr_SetString(PyExc_ValueError, "the array is not a whole number of blocks");
            goto done_src;
        }
        a.grid[d] = src.shape[d] / a.block[d];
    }
    if (int64_array(chosen_obj, &chosen, -1, "chosen") < 0)
        goto done_src;
    Py_ssize_t n = chosen.len / 8, total = a.grid[0] * a.grid[1] * a.grid[2];
    a.chosen = chosen.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (a.chosen[i] < 0 || a.chosen[i] >= total) {
            PyErr_SetString(PyExc_IndexError, "a chosen block number is outside the array");
            goto done_chosen;
        }
    }
    a.nbytes = (size_t)a.block[0] * a.block[1] * a.block[2] * a.itemsize;
    size_t room = 5 + 4 + lz4_bound(a.nbytes);
    if (kind == KIND_SEGMENTATION) {
        if (a.itemsize != 8 || a.block[0] % 8 || a.block[1] % 8 || a.block[2] % 8
                || (size_t)a.block[0] * a.block[1] * a.block[2] / 512 > SEGMENTATION_CELLS) {
            PyErr_SetString(PyExc_ValueError, "compressed segmentation blocks hold 8-byte labels in at most 8192 "
                                              "cells of 8x8x8");
            goto done_chosen;
        }
        room = 5 + seg_bound(a.block[2], a.block[1], a.block[0]);
    }
    result = PyList_New(n);
    a.outs = PyMem_Calloc(n ? n : 1, sizeof(uint8_t *));
    a.sizes = PyMem_Calloc(n ? n : 1, sizeof(size_t));
    if (result == NULL || a.outs == NULL || a.sizes == NULL) {
        Py_CLEAR(result);
        PyErr_NoMemory();
        goto done_arrays;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)room);
        if (b == NULL) {
            Py_CLEAR(result);
            goto done_arrays;
        }
        PyList_SET_ITEM(result, i, b);
        a.outs[i] = (uint8_t *)PyBytes_AS_STRING(b);
    }
    Job job = {.work = encode_work, .n = n, .scratch_bytes = a.nbytes + (sizeof(uint32_t) << HASH_BITS), .args = &a};
    if (run_job(&job, threads, a.nbytes * (size_t)n) < 0) {
        Py_CLEAR(result);
        goto done_arrays;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *b = PyList_GET_ITEM(result, i);
        if (_PyBytes_Resize(&b, (Py_ssize_t)a.sizes[i]) < 0) {
            PyList_SET_ITEM(result, i, Py_None);
            Py_INCREF(Py_None);
            Py_CLEAR(result);
            break;
        }
        PyList_SET_ITEM(result, i, b);
    }
done_arrays:
    PyMem_Free(a.outs);
    PyMem_Free(a.sizes);
done_chosen:
    PyBuffer_Release(&chosen);
done_src:
    PyBuffer_Release(&src);
    return result;
}

/* -- gather -------------------------------------------------------------------------------------- */

typedef struct {
    Buffers values;
    const int64_t *starts, *offsets, *picks;
    uint8_t *out;
    Py_ssize_t out_items, itemsize;
    Py_ssize_t block[3];  /* bz, by, bx */
    size_t nbytes;
    uint8_t *skipped;
} GatherArgs;

/* The labels at the points of a compressed segmentation block, each read where it is stored. */
static const char *gather_labels(GatherArgs *a, const Stored *st, int64_t s, int64_t e)
{
    size_t bx = a->block[2], by = a->block[1], bz = a->block[0];
    if (a->itemsize != 8)
        return "compressed segmentation values hold 8-byte labels";
    const char *why = seg_check(st->data, st->len, bx, by, bz);
    for (int64_t k = s; why == NULL && k < e; k++) {
        uint64_t value;
        why = seg_at(st->data, st->len, bx, by, bz, (size_t)a->offsets[k], &value);
        if (why == NULL)
            memcpy(a->out + a->picks[k] * 8, &value, 8);
    }
    return why;
}

static void gather_work(Job *job, Py_ssize_t begin, Py_ssize_t end, uint8_t *scratch)
{
    GatherArgs *a = job->args;
    for (Py_ssize_t j = begin; j < end; j++) {
        if (a->values.views[j].len < 0)
            continue;  /* no stored block: the points keep the fill value */
        int64_t s = a->starts[j], e = a->starts[j + 1], top = 0;
        for (int64_t k = s; k < e; k++)
            if (a->offsets[k] > top)
                top = a->offsets[k];
        Stored st;
        const char *why = parse_value(a->values.views[j].buf, (size_t)a->values.views[j].len, &st);
        if (why == NULL && st.kind == KIND_SEGMENTATION) {
            why = gather_labels(a, &st, s, e);
            if (why)
                fail(job, j, why);
            continue;
        }
        if (why == NULL)
            why = decode_value(&st, scratch, a->nbytes, (size_t)(top + 1) * a->itemsize, a->block);
        if (why == NULL) {
            for (int64_t k = s; k < e; k++)
                memcpy(a->out + a->picks[k] * a->itemsize, scratch + a->offsets[k] * a->itemsize, a->itemsize);
        } else if (strcmp(why, "skip") == 0) {
            a->skipped[j] = 1;
        } else {
            fail(job, j, why);
        }
    }
}

static int check_gather(GatherArgs *a, Py_ssize_t nblocks, Py_ssize_t npoints)
{
    Py_ssize_t voxels = (Py_ssize_t)(a->nbytes / a->itemsize);
    if (a->starts[0] != 0 || a->starts[nblocks] != npoints)
        goto bad;
    for (Py_ssize_t j = 0; j < nblocks; j++)
        if (a->starts[j + 1] < a->starts[j])
            goto bad;
    for (Py_ssize_t k = 0; k < npoints; k++)
        if (a->offsets[k] < 0 || a->offsets[k] >= voxels || a->picks[k] < 0 || a->picks[k] >= a->out_items)
            goto bad;
    return 0;
bad:
    PyErr_SetString(PyExc_IndexError, "starts, offsets or picks are outside the blocks or the output");
    return -1;
}

static PyObject *gather(PyObject *self, PyObject *args)
{
    PyObject *values, *starts_obj, *offsets_obj, *picks_obj, *out_obj, *shape;
    int threads;
    if (!PyArg_ParseTuple(args, "OOOOOO!i", &values, &starts_obj, &offsets_obj, &picks_obj, &out_obj,
                          &PyTuple_Type, &shape, &threads))
        return NULL;
    GatherArgs a;
    memset(&a, 0, sizeof a);
    Py_ssize_t *block = a.block;
    if (block_shape(shape, block) < 0)
        return NULL;
    Py_buffer out, starts, offsets, picks;
    if (PyObject_GetBuffer(out_obj, &out, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE | PyBUF_ND) < 0)
        return NULL;
    PyObject *result = NULL;
    if (get_buffers(values, &a.values, 1) < 0)
        goto done_values;
    Py_ssize_t nblocks = a.values.n;
    if (int64_array(starts_obj, &starts, nblocks + 1, "starts") < 0)
        goto done_values;
    Py_ssize_t npoints = 0;
    if (int64_array(offsets_obj, &offsets, -1, "offsets") < 0)
        goto done_starts;
    npoints = offsets.len / 8;
    if (int64_array(picks_obj, &picks, npoints, "picks") < 0)
        goto done_offsets;
    a.starts = starts.buf;
    a.offsets = offsets.buf;
    a.picks = picks.buf;
    a.out = out.buf;
    a.itemsize = out.itemsize;
    a.out_items = out.len / out.itemsize;
    a.nbytes = (size_t)block[0] * block[1] * block[2] * a.itemsize;
    if (check_gather(&a, nblocks, npoints) < 0)
        goto done_picks;
    a.skipped = PyMem_Calloc(nblocks ? nblocks : 1, 1);
    if (a.skipped == NULL) {
        PyErr_NoMemory();
        goto done_picks;
    }
    Job job = {.work = gather_work, .n = nblocks, .scratch_bytes = a.nbytes, .args = &a};
    if (run_job(&job, threads, a.nbytes * (size_t)nblocks) == 0)
        result = job.error ? raise_item(&job) : skipped_list(a.skipped, nblocks);
    PyMem_Free(a.skipped);
done_picks:
    PyBuffer_Release(&picks);
done_offsets:
    PyBuffer_Release(&offsets);
done_starts:
    PyBuffer_Release(&starts);
done_values:
    release_buffers(&a.values);
    PyBuffer_Release(&out);
    return result;
}

/* -- the LZ4 codec on its own (for tests and transfers) ----------------------------------------- */

static PyObject *lz4_compress(PyObject *self, PyObject *arg)
{
    Py_buffer src;
    if (PyObject_GetBuffer(arg, &src, PyBUF_SIMPLE) < 0)
        return NULL;
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)lz4_bound((size_t)src.len));
    uint32_t *table = PyMem_Malloc(sizeof(uint32_t) << HASH_BITS);
    if (out == NULL || table == NULL) {
        Py_XDECREF(out);
        PyMem_Free(table);
        PyBuffer_Release(&src);
        return PyErr_NoMemory();
    }
    size_t n;
    Py_BEGIN_ALLOW_THREADS
    n = lz4_encode(src.buf, (size_t)src.len, (uint8_t *)PyBytes_AS_STRING(out), table);
    Py_END_ALLOW_THREADS
    PyMem_Free(table);
    PyBuffer_Release(&src);
    if (_PyBytes_Resize(&out, (Py_ssize_t)n) < 0)
        return NULL;
    return out;
}

static PyObject *lz4_decompress(PyObject *self, PyObject *args)
{
    Py_buffer src;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "y*n", &src, &size))
        return NULL;
    if (size < 0) {
        PyBuffer_Release(&src);
        PyErr_SetString(PyExc_ValueError, "negative size");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, size);
    if (out == NULL) {
        PyBuffer_Release(&src);
        return NULL;
    }
    const char *why;
    Py_BEGIN_ALLOW_THREADS
    why = lz4_decode(src.buf, (size_t)src.len, (uint8_t *)PyBytes_AS_STRING(out), (size_t)size, (size_t)size);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&src);
    if (why != NULL) {
        Py_DECREF(out);
        PyErr_SetString(PyExc_ValueError, why);
        return NULL;
    }
    return out;
}

static PyObject *crc32(PyObject *self, PyObject *arg)
{
    Py_buffer src;
    if (PyObject_GetBuffer(arg, &src, PyBUF_SIMPLE) < 0)
        return NULL;
    uint32_t c = crc32_of(src.buf, (size_t)src.len);
    PyBuffer_Release(&src);
    return PyLong_FromUnsignedLong(c);
}

/* -- JSON point lists and label lists ------------------------------------------------------- */

static const uint8_t *skip_space(const uint8_t *p, const uint8_t *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* One JSON integer as JSON spells it (no leading zeros, no '+'), at most 18 digits so it
   cannot overflow; NULL when the text is anything else. */
static const uint8_t *read_int(const uint8_t *p, const uint8_t *end, int64_t *value)
{
    int negative = p < end && *p == '-';
    p += negative;
    if (p >= end || *p < '0' || *p > '9')
        return NULL;
    const uint8_t *first = p;
    int64_t v = 0;
    while (p < end && *p >= '0' && *p <= '9')
        v = v * 10 + (*p++ - '0');
    if (p - first > 18 || (*first == '0' && p - first > 1))
        return NULL;
    *value = negative ? -v : v;
    return p;
}

static const uint8_t *expect(const uint8_t *p, const uint8_t *end, uint8_t c)
{
    p = skip_space(p, end);
    return p < end && *p == c ? p + 1 : NULL;
}

/* Reads [[x,y,z],...] (JSON whitespace anywhere between tokens) into xyz, at most cap
   triples; returns how many, or -1 when the text is not exactly such a list. */
static Py_ssize_t read_triples(const uint8_t *p, const uint8_t *end, int64_t *xyz, Py_ssize_t cap)
{
    Py_ssize_t n = 0;
    if ((p = expect(p, end, '[')) == NULL)
        return -1;
    const uint8_t *close = expect(p, end, ']');
    if (close != NULL)
        return skip_space(close, end) == end ? 0 : -1;
    for (;;) {
        if (n == cap || (p = expect(p, end, '[')) == NULL)
            return -1;
        for (int d = 0; d < 3; d++) {
            if (d && (p = expect(p, end, ',')) == NULL)
                return -1;
            if ((p = read_int(skip_space(p, end), end, &xyz[3 * n + d])) == NULL)
                return -1;
        }
        if ((p = expect(p, end, ']')) == NULL)
            return -1;
        n++;
        p = skip_space(p, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if ((p = expect(p, end, ']')) == NULL)
            return -1;
        return skip_space(p, end) == end ? n : -1;
    }
}

static PyObject *parse_triples(PyObject *self, PyObject *arg)
{
    Py_buffer text;
    if (PyObject_GetBuffer(arg, &text, PyBUF_SIMPLE) < 0)
        return NULL;
    const uint8_t *p = text.buf, *end = p + text.len;
    Py_ssize_t cap = 0;
    for (const uint8_t *q = p; q < end; q++)
        cap += *q == '[';
    PyObject *out = PyBytes_FromStringAndSize(NULL, 24 * (cap ? cap : 1));
    Py_ssize_t n = -1;
    if (out != NULL) {
        int64_t *xyz = (int64_t *)PyBytes_AS_STRING(out);
        Py_BEGIN_ALLOW_THREADS
        n = read_triples(p, end, xyz, cap);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&text);
    if (out == NULL)
        return NULL;
    if (n < 0) {
        Py_DECREF(out);
        Py_RETURN_NONE;
    }
    if (_PyBytes_Resize(&out, 24 * n) < 0)
        return NULL;
    return out;
}

/* The JSON list of a buffer of uint64s, as json.dumps writes it compactly: "[1,2,3]". */
static PyObject *json_uint64s(PyObject *self, PyObject *arg)
{
    Py_buffer in;
    if (PyObject_GetBuffer(arg, &in, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return NULL;
    if (in.itemsize != 8 || in.format == NULL || (strcmp(in.format, "Q") && strcmp(in.format, "<Q") && strcmp(in.format, "L"))) {
        PyBuffer_Release(&in);
        PyErr_SetString(PyExc_TypeError, "json_uint64s takes a contiguous buffer of uint64");
        return NULL;
    }
    Py_ssize_t n = in.len / 8;
    PyObject *out = PyBytes_FromStringAndSize(NULL, 2 + 21 * n);
    if (out == NULL) {
        PyBuffer_Release(&in);
        return NULL;
    }
    char *o = PyBytes_AS_STRING(out);
    const uint64_t *v = in.buf;
    Py_BEGIN_ALLOW_THREADS
    *o++ = '[';
    for (Py_ssize_t i = 0; i < n; i++) {
        char digits[20];
        int k = 0;
        uint64_t x = v[i];
        do {
            digits[k++] = (char)('0' + x % 10);
            x /= 10;
        } while (x);
        while (k)
            *o++ = digits[--k];
        *o++ = ',';
    }
    if (n)
        o--;
    *o++ = ']';
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&in);
    if (_PyBytes_Resize(&out, o - PyBytes_AS_STRING(out)) < 0)
        return NULL;
    return out;
}

/* -- compressed segmentation chunks from stored blocks ---------------------------------------- */

static int xyz_tuple(PyObject *t, size_t out[3], const char *what)
{
    Py_ssize_t v[3];
    if (!PyArg_ParseTuple(t, "nnn", &v[0], &v[1], &v[2]))
        return -1;
    for (int d = 0; d < 3; d++) {
        if (v[d] < 0 || v[d] > (1 << 30)) {
            PyErr_Format(PyExc_ValueError, "%s must be between 0 and 2^30 on every axis", what);
            return -1;
        }
        out[d] = (size_t)v[d];
    }
    return 0;
}

static PyObject *compose_segmentation(PyObject *self, PyObject *args)
{
    PyObject *values, *grid_obj, *rel_obj, *size_obj, *block_obj;
    unsigned long long fill;
    if (!PyArg_ParseTuple(args, "OO!O!O!O!K", &values, &PyTuple_Type, &grid_obj, &PyTuple_Type, &rel_obj,
                          &PyTuple_Type, &size_obj, &PyTuple_Type, &block_obj, &fill))
        return NULL;
    size_t grid[3], rel[3], size[3], block[3];
    if (xyz_tuple(grid_obj, grid, "grid") < 0 || xyz_tuple(rel_obj, rel, "rel") < 0
            || xyz_tuple(size_obj, size, "size") < 0 || xyz_tuple(block_obj, block, "block") < 0)
        return NULL;
    for (int d = 0; d < 3; d++) {
        if (block[d] == 0 || block[d] % 8 || size[d] == 0 || size[d] % 8 || rel[d] % 8
                || rel[d] + size[d] > grid[d] * block[d]) {
            PyErr_SetString(PyExc_ValueError, "the box must lie on the 8-voxel grid inside its blocks");
            return NULL;
        }
    }
    Buffers b;
    if (get_buffers(values, &b, 1) < 0) {
        release_buffers(&b);
        return NULL;
    }
    PyObject *result = NULL;
    SegBlock *blocks = NULL;
    if ((size_t)b.n != grid[0] * grid[1] * grid[2]) {
        PyErr_SetString(PyExc_ValueError, "one value (or None) is needed for every block of the grid");
        goto done;
    }
    blocks = PyMem_Calloc(b.n ? b.n : 1, sizeof *blocks);
    if (blocks == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t j = 0; j < b.n; j++) {
        if (b.views[j].len < 0)
            continue;
        Stored st;
        const char *why = parse_value(b.views[j].buf, (size_t)b.views[j].len, &st);
        if (why != NULL && strcmp(why, "skip") != 0) {
            PyErr_Format(PyExc_ValueError, "%s (block %zd of the request)", why, j);
            goto done;
        }
        if (why != NULL || st.kind != KIND_SEGMENTATION) {
            result = Py_None;  /* a block in another encoding: the caller encodes from voxels */
            Py_INCREF(result);
            goto done;
        }
        if ((why = seg_check(st.data, st.len, block[0], block[1], block[2]))) {
            PyErr_Format(PyExc_ValueError, "%s (block %zd of the request)", why, j);
            goto done;
        }
        blocks[j].data = st.data;
        blocks[j].len = st.len;
    }
    const char *why = NULL;
    size_t words = 0, written = 0;
    PyObject *out = NULL;
    size_t length = seg_compose(blocks, grid, rel, size, block, fill, NULL, &words, &why);
    if (length > 0) {
        out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)length);
        if (out == NULL)
            goto done;
        Py_BEGIN_ALLOW_THREADS
        written = seg_compose(blocks, grid, rel, size, block, fill, (uint8_t *)PyBytes_AS_STRING(out), &words, &why);
        Py_END_ALLOW_THREADS
    }
    if (written == 0) {
        Py_XDECREF(out);
        if (why != NULL && strcmp(why, "offsets past 24 bits") == 0) {
            result = Py_None;
            Py_INCREF(result);
        } else {
            PyErr_SetString(why && strcmp(why, "out of memory") == 0 ? PyExc_MemoryError : PyExc_ValueError,
                            why ? why : "compose failed");
        }
        goto done;
    }
    result = out;
done:
    PyMem_Free(blocks);
    release_buffers(&b);
    return result;
}

static PyMethodDef methods[] = {
    {"decode_into", decode_into, METH_VARARGS, "decode_into(values, origins, dest, block_shape, threads) -> skipped"},
    {"encode_blocks", encode_blocks, METH_VARARGS, "encode_blocks(array, block_shape, chosen, kind, checksum, threads) -> values"},
    {"gather", gather, METH_VARARGS, "gather(values, starts, offsets, picks, out, block_shape, threads) -> skipped"},
    {"lz4_compress", lz4_compress, METH_O, "lz4_compress(data) -> raw LZ4 block"},
    {"lz4_decompress", lz4_decompress, METH_VARARGS, "lz4_decompress(block, size) -> bytes"},
    {"crc32", crc32, METH_O, "crc32(data) -> int (IEEE, as zlib.crc32)"},
    {"parse_triples", parse_triples, METH_O, "parse_triples(json) -> int64 bytes of [[x,y,z],...], or None"},
    {"json_uint64s", json_uint64s, METH_O, "json_uint64s(uint64 array) -> b'[1,2,...]'"},
    {"compose_segmentation", compose_segmentation, METH_VARARGS,
     "compose_segmentation(values, grid, rel, size, block, fill) -> compressed_segmentation bytes or None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_blocks", "dvidpy's compiled block codec", -1, methods};

PyMODINIT_FUNC PyInit__blocks(void)
{
    crc_init();
    return PyModule_Create(&module);
}
