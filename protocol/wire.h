/*
 * wire.h - little-endian integers and MySQL length-encoded integers/strings over (p, end).
 * Header-only and pure. Readers never look past `end`: the *_get functions that can fail
 * return 0 on success and -1 when the bytes are short or malformed.
 */
#ifndef BINLOGD_PROTOCOL_WIRE_H
#define BINLOGD_PROTOCOL_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t wire_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t wire_u24(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16); }
static inline uint32_t wire_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t wire_u48(const uint8_t *p) { return (uint64_t)wire_u32(p) | ((uint64_t)wire_u16(p + 4) << 32); }
static inline uint64_t wire_u56(const uint8_t *p) { return (uint64_t)wire_u32(p) | ((uint64_t)wire_u24(p + 4) << 32); }
static inline uint64_t wire_u64(const uint8_t *p) { return (uint64_t)wire_u32(p) | ((uint64_t)wire_u32(p + 4) << 32); }

static inline void wire_put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void wire_put_u24(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); }
static inline void wire_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void wire_put_u64(uint8_t *p, uint64_t v) { wire_put_u32(p, (uint32_t)v); wire_put_u32(p + 4, (uint32_t)(v >> 32)); }

/* Length-encoded integer at *pp (< end). On success advances *pp. 0xFB (NULL) and 0xFF
 * (ERR marker) are rejected here: callers that accept NULL test for 0xFB first. */
static inline int wire_lenenc_get(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    const uint8_t *p = *pp;
    if (p >= end) return -1;
    uint8_t b = *p++;
    size_t n;
    if (b < 0xFB) { *v = b; *pp = p; return 0; }
    else if (b == 0xFC) n = 2;
    else if (b == 0xFD) n = 3;
    else if (b == 0xFE) n = 8;
    else return -1;
    if ((size_t)(end - p) < n) return -1;
    *v = n == 2 ? wire_u16(p) : n == 3 ? wire_u24(p) : wire_u64(p);
    *pp = p + n;
    return 0;
}

/* Bytes needed to encode v as a length-encoded integer. */
static inline size_t wire_lenenc_size(uint64_t v)
{
    return v < 0xFB ? 1 : v <= 0xFFFF ? 3 : v <= 0xFFFFFF ? 4 : 9;
}

/* Encode v at p (which must have wire_lenenc_size(v) bytes); returns bytes written. */
static inline size_t wire_lenenc_put(uint8_t *p, uint64_t v)
{
    if (v < 0xFB) { p[0] = (uint8_t)v; return 1; }
    if (v <= 0xFFFF) { p[0] = 0xFC; wire_put_u16(p + 1, (uint16_t)v); return 3; }
    if (v <= 0xFFFFFF) { p[0] = 0xFD; wire_put_u24(p + 1, (uint32_t)v); return 4; }
    p[0] = 0xFE; wire_put_u64(p + 1, v); return 9;
}

/* Length-encoded string: points *s into the buffer (not NUL-terminated). */
static inline int wire_lenenc_str_get(const uint8_t **pp, const uint8_t *end, const uint8_t **s, size_t *len)
{
    uint64_t n;
    const uint8_t *p = *pp;
    if (wire_lenenc_get(&p, end, &n) == -1) return -1;
    if (n > (uint64_t)(end - p)) return -1;
    *s = p; *len = (size_t)n; *pp = p + n;
    return 0;
}

/* NUL-terminated string starting at *pp: the NUL must be before end. */
static inline int wire_cstr_get(const uint8_t **pp, const uint8_t *end, const char **s, size_t *len)
{
    const uint8_t *p = *pp;
    const uint8_t *nul = p < end ? memchr(p, 0, (size_t)(end - p)) : NULL;
    if (!nul) return -1;
    *s = (const char *)p; *len = (size_t)(nul - p); *pp = nul + 1;
    return 0;
}

#endif
