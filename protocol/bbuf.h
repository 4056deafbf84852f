/*
 * bbuf.h - a growable byte buffer for building outgoing packets (and holding partial
 * input). Pure code: heap memory only, no I/O.
 *
 * Errors are sticky: once an allocation fails (or a size would overflow) `failed` is set,
 * every later append is a no-op returning -1, and the caller can check once at the end
 * with bbuf_ok(). That keeps reply builders free of an error check after every field.
 *
 * A bbuf is a plain value: zero-initialise it (or bbuf_init) and release it with
 * bbuf_free. It is not thread-safe.
 */
#ifndef BINLOGD_PROTOCOL_BBUF_H
#define BINLOGD_PROTOCOL_BBUF_H

#include <stddef.h>
#include <stdint.h>

/* No buffer grows past this: more than any MySQL packet (1 GiB) needs, framing included,
 * and far below where size arithmetic could overflow. */
#define BBUF_MAX_LEN ((size_t)1 << 31)

struct bbuf {
    uint8_t *p;
    size_t len, cap;
    int failed;          /* sticky: an allocation failed or a size overflowed */
};

/* An empty buffer (no allocation yet). Same as zero-initialising. */
void bbuf_init(struct bbuf *b);

/* Release the memory and return to the empty state (failed cleared). */
void bbuf_free(struct bbuf *b);

/* Forget the contents (len = 0) but keep the memory; clears `failed`. */
void bbuf_reset(struct bbuf *b);

/* 1 while no append has failed since the last init/reset. */
static inline int bbuf_ok(const struct bbuf *b) { return !b->failed; }

/* Make room for `extra` more bytes. 0 or -1 (sets failed). */
int bbuf_reserve(struct bbuf *b, size_t extra);

/* Append n uninitialised bytes and return a pointer to them (valid until the next
 * growth), or NULL on failure. */
uint8_t *bbuf_extend(struct bbuf *b, size_t n);

/* Append bytes. 0 or -1. */
int bbuf_append(struct bbuf *b, const void *data, size_t n);

/* Little-endian integers. 0 or -1. */
int bbuf_put_u8(struct bbuf *b, uint8_t v);
int bbuf_put_u16(struct bbuf *b, uint16_t v);
int bbuf_put_u24(struct bbuf *b, uint32_t v);
int bbuf_put_u32(struct bbuf *b, uint32_t v);
int bbuf_put_u64(struct bbuf *b, uint64_t v);

/* Length-encoded integer; length-encoded string; string followed by a NUL. 0 or -1. */
int bbuf_put_lenenc(struct bbuf *b, uint64_t v);
int bbuf_put_lenenc_str(struct bbuf *b, const void *s, size_t n);
int bbuf_put_cstr(struct bbuf *b, const char *s);

/* Drop the first n bytes (n <= len), moving the rest to the front: for input buffers
 * after a parsed packet has been consumed. */
void bbuf_consume(struct bbuf *b, size_t n);

/* Remove n bytes at offset off (off + n <= len); insert n uninitialised bytes at off
 * (returns a pointer to them or NULL). Used to split an already-built payload. */
void bbuf_remove(struct bbuf *b, size_t off, size_t n);
uint8_t *bbuf_insert(struct bbuf *b, size_t off, size_t n);

#endif
