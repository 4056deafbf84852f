/* bbuf.c - growable byte buffer with a sticky failure flag. */
#include "protocol/bbuf.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/wire.h"

void bbuf_init(struct bbuf *b)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

void bbuf_free(struct bbuf *b)
{
    free(b->p);
    bbuf_init(b);
}

void bbuf_reset(struct bbuf *b)
{
    b->len = 0;
    b->failed = 0;
}

int bbuf_reserve(struct bbuf *b, size_t extra)
{
    if (b->failed) return -1;
    /* Allocate even for 0 bytes, so bbuf_extend() never returns NULL on success. */
    if (b->p && extra <= b->cap - b->len) return 0;
    if (extra > BBUF_MAX_LEN - b->len) { b->failed = 1; return -1; }
    size_t need = b->len + extra;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) cap *= 2;
    uint8_t *np = realloc(b->p, cap);
    if (!np) { b->failed = 1; return -1; }
    b->p = np;
    b->cap = cap;
    return 0;
}

uint8_t *bbuf_extend(struct bbuf *b, size_t n)
{
    if (bbuf_reserve(b, n) == -1) return NULL;
    uint8_t *at = b->p + b->len;
    b->len += n;
    return at;
}

int bbuf_append(struct bbuf *b, const void *data, size_t n)
{
    uint8_t *at = bbuf_extend(b, n);
    if (!at) return -1;
    if (n) memcpy(at, data, n);
    return 0;
}

int bbuf_put_u8(struct bbuf *b, uint8_t v) { return bbuf_append(b, &v, 1); }

int bbuf_put_u16(struct bbuf *b, uint16_t v)
{
    uint8_t *at = bbuf_extend(b, 2);
    if (!at) return -1;
    wire_put_u16(at, v);
    return 0;
}

int bbuf_put_u24(struct bbuf *b, uint32_t v)
{
    uint8_t *at = bbuf_extend(b, 3);
    if (!at) return -1;
    wire_put_u24(at, v);
    return 0;
}

int bbuf_put_u32(struct bbuf *b, uint32_t v)
{
    uint8_t *at = bbuf_extend(b, 4);
    if (!at) return -1;
    wire_put_u32(at, v);
    return 0;
}

int bbuf_put_u64(struct bbuf *b, uint64_t v)
{
    uint8_t *at = bbuf_extend(b, 8);
    if (!at) return -1;
    wire_put_u64(at, v);
    return 0;
}

int bbuf_put_lenenc(struct bbuf *b, uint64_t v)
{
    uint8_t *at = bbuf_extend(b, wire_lenenc_size(v));
    if (!at) return -1;
    wire_lenenc_put(at, v);
    return 0;
}

int bbuf_put_lenenc_str(struct bbuf *b, const void *s, size_t n)
{
    if (bbuf_put_lenenc(b, n) == -1) return -1;
    return bbuf_append(b, s, n);
}

int bbuf_put_cstr(struct bbuf *b, const char *s)
{
    return bbuf_append(b, s, strlen(s) + 1);
}

void bbuf_consume(struct bbuf *b, size_t n)
{
    if (n >= b->len) { b->len = 0; return; }
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

void bbuf_remove(struct bbuf *b, size_t off, size_t n)
{
    if (off >= b->len) return;
    if (n > b->len - off) n = b->len - off;
    memmove(b->p + off, b->p + off + n, b->len - off - n);
    b->len -= n;
}

uint8_t *bbuf_insert(struct bbuf *b, size_t off, size_t n)
{
    if (off > b->len) { b->failed = 1; return NULL; }
    size_t tail = b->len - off;
    if (!bbuf_extend(b, n)) return NULL;
    memmove(b->p + off + n, b->p + off, tail);
    return b->p + off;
}
