/* handshake.c - HandshakeV10, HandshakeResponse41, auth switch / more-data packets. */
#include "protocol/handshake.h"

#include <string.h>

#include "protocol/packet.h"
#include "protocol/wire.h"

/* Fixed part of HandshakeResponse41: caps, max_packet, charset, 23 filler bytes. */
#define HS_RESPONSE_FIXED 32

void hs_scramble_from_random(uint8_t out[HS_SCRAMBLE_LEN], const uint8_t rnd[HS_SCRAMBLE_LEN])
{
    /* 93 symbols: '!'..'~' minus '$'. The modulo bias costs well under a bit per byte. */
    for (size_t i = 0; i < HS_SCRAMBLE_LEN; i++) {
        uint8_t c = (uint8_t)(33 + rnd[i] % 93);
        if (c >= '$') c++;
        out[i] = c;
    }
}

int hs_build_greeting(struct bbuf *b, const struct hs_greeting *g)
{
    const char *plugin = g->auth_plugin ? g->auth_plugin : HS_PLUGIN_NATIVE;
    size_t vlen = strlen(g->server_version);
    if (vlen > 255 || strlen(plugin) > 255) return -1;
    uint8_t seq = 0;
    size_t at = pkt_begin(b);
    bbuf_put_u8(b, 0x0a);
    bbuf_append(b, g->server_version, vlen + 1);
    bbuf_put_u32(b, g->conn_id);
    bbuf_append(b, g->scramble, 8);
    bbuf_put_u8(b, 0);
    bbuf_put_u16(b, (uint16_t)(g->caps & 0xFFFF));
    bbuf_put_u8(b, g->charset);
    bbuf_put_u16(b, g->status);
    bbuf_put_u16(b, (uint16_t)(g->caps >> 16));
    bbuf_put_u8(b, (g->caps & CAP_PLUGIN_AUTH) ? HS_SCRAMBLE_LEN + 1 : 0);
    uint8_t *zero = bbuf_extend(b, 10);   /* reserved; MariaDB puts extended caps in the last 4 */
    if (zero) memset(zero, 0, 10);
    bbuf_append(b, g->scramble + 8, HS_SCRAMBLE_LEN - 8);
    bbuf_put_u8(b, 0);
    if (g->caps & CAP_PLUGIN_AUTH) bbuf_put_cstr(b, plugin);
    return pkt_end(b, at, &seq);
}

const char *hs_result_name(enum hs_result r)
{
    switch (r) {
    case HS_RESPONSE_OK: return "ok";
    case HS_RESPONSE_SSL_REQUEST: return "ssl-request";
    case HS_RESPONSE_ERROR: return "error";
    }
    return "?";
}

static enum hs_result bad(const char **why, const char *msg)
{
    if (why) *why = msg;
    return HS_RESPONSE_ERROR;
}

/* A string that ends at a NUL or, failing one, at the end of the packet; copied to dst
 * (max bytes + NUL). -1 if longer than max. */
static int take_str(const uint8_t **pp, const uint8_t *end, char *dst, size_t max, size_t *out_len)
{
    const uint8_t *p = *pp;
    const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
    size_t n = nul ? (size_t)(nul - p) : (size_t)(end - p);
    if (n > max) return -1;
    memcpy(dst, p, n);
    dst[n] = 0;
    if (out_len) *out_len = n;
    *pp = nul ? nul + 1 : end;
    return 0;
}

static int attrs_valid(const uint8_t *p, const uint8_t *end)
{
    while (p < end) {
        const uint8_t *s;
        size_t n;
        if (wire_lenenc_str_get(&p, end, &s, &n) == -1) return -1;
        if (wire_lenenc_str_get(&p, end, &s, &n) == -1) return -1;
    }
    return 0;
}

enum hs_result hs_parse_response(const uint8_t *p, size_t len, struct hs_response *out,
                                 const char **why)
{
    memset(out, 0, sizeof(*out));
    if (len < 4) return bad(why, "handshake response too short");
    const uint8_t *end = p + len;
    out->caps = wire_u32(p);
    if (!(out->caps & CAP_PROTOCOL_41)) return bad(why, "pre-4.1 client protocol not supported");
    if (len < HS_RESPONSE_FIXED) return bad(why, "handshake response truncated");
    out->max_packet = wire_u32(p + 4);
    out->charset = p[8];
    if (!(out->caps & CAP_LONG_PASSWORD)) out->ext_caps = wire_u32(p + 28);
    if (len == HS_RESPONSE_FIXED) {
        if (out->caps & CAP_SSL) return HS_RESPONSE_SSL_REQUEST;
        return bad(why, "handshake response truncated");
    }

    const uint8_t *q = p + HS_RESPONSE_FIXED;
    const uint8_t *nul = memchr(q, 0, (size_t)(end - q));
    if (!nul) return bad(why, "user name not terminated");
    if ((size_t)(nul - q) > HS_USER_MAX) return bad(why, "user name too long");
    out->user_len = (size_t)(nul - q);
    memcpy(out->user, q, out->user_len);
    out->user[out->user_len] = 0;
    q = nul + 1;

    /* A packet that stops right after the user name carries an empty password, as the
     * servers read it (their buffer ends in a NUL). */
    if (q < end) {
        if (out->caps & CAP_PLUGIN_AUTH_LENENC_DATA) {
            if (wire_lenenc_str_get(&q, end, &out->auth, &out->auth_len) == -1)
                return bad(why, "auth data length exceeds the packet");
        } else if (out->caps & CAP_SECURE_CONNECTION) {
            size_t n = *q++;
            if (n > (size_t)(end - q)) return bad(why, "auth data length exceeds the packet");
            out->auth = q;
            out->auth_len = n;
            q += n;
        } else {
            nul = memchr(q, 0, (size_t)(end - q));
            if (!nul) return bad(why, "auth data not terminated");
            out->auth = q;
            out->auth_len = (size_t)(nul - q);
            q = nul + 1;
        }
    }

    if ((out->caps & CAP_CONNECT_WITH_DB) && q < end) {
        if (take_str(&q, end, out->db, HS_DB_MAX, NULL) == -1) return bad(why, "database name too long");
        out->has_db = 1;
    }
    if ((out->caps & CAP_PLUGIN_AUTH) && q < end) {
        if (take_str(&q, end, out->plugin, HS_PLUGIN_MAX, NULL) == -1)
            return bad(why, "auth plugin name too long");
        out->has_plugin = 1;
    }
    if ((out->caps & CAP_CONNECT_ATTRS) && q < end) {
        uint64_t total;
        if (wire_lenenc_get(&q, end, &total) == -1) return bad(why, "connect attributes length malformed");
        if (total > (uint64_t)(end - q)) return bad(why, "connect attributes exceed the packet");
        if (attrs_valid(q, q + total) == -1) return bad(why, "connect attribute malformed");
        out->attrs = total ? q : NULL;
        out->attrs_len = (size_t)total;
    }
    /* Anything after that is a later protocol extension we did not negotiate: ignored. */
    return HS_RESPONSE_OK;
}

void hs_attrs_begin(struct hs_attr_iter *it, const struct hs_response *r)
{
    it->p = r->attrs;
    it->end = r->attrs ? r->attrs + r->attrs_len : NULL;
}

int hs_attrs_next(struct hs_attr_iter *it, const char **k, size_t *klen, const char **v, size_t *vlen)
{
    const uint8_t *ks, *vs;
    if (!it->p || it->p >= it->end) return 0;
    if (wire_lenenc_str_get(&it->p, it->end, &ks, klen) == -1 ||
        wire_lenenc_str_get(&it->p, it->end, &vs, vlen) == -1) {
        it->p = it->end;   /* not reachable after hs_parse_response validated the block */
        return 0;
    }
    *k = (const char *)ks;
    *v = (const char *)vs;
    return 1;
}

int hs_build_auth_switch(struct bbuf *b, uint8_t *seq, const char *plugin,
                         const uint8_t *data, size_t len)
{
    size_t at = pkt_begin(b);
    bbuf_put_u8(b, 0xFE);
    bbuf_put_cstr(b, plugin);
    bbuf_append(b, data, len);
    return pkt_end(b, at, seq);
}

int hs_build_auth_switch_native(struct bbuf *b, uint8_t *seq, const uint8_t scramble[HS_SCRAMBLE_LEN])
{
    uint8_t data[HS_SCRAMBLE_LEN + 1];
    memcpy(data, scramble, HS_SCRAMBLE_LEN);
    data[HS_SCRAMBLE_LEN] = 0;
    return hs_build_auth_switch(b, seq, HS_PLUGIN_NATIVE, data, sizeof(data));
}

int hs_build_auth_more_data(struct bbuf *b, uint8_t *seq, const uint8_t *data, size_t len)
{
    size_t at = pkt_begin(b);
    bbuf_put_u8(b, 0x01);
    bbuf_append(b, data, len);
    return pkt_end(b, at, seq);
}

int hs_build_fast_auth_success(struct bbuf *b, uint8_t *seq)
{
    static const uint8_t fast_ok = 0x03;
    return hs_build_auth_more_data(b, seq, &fast_ok, 1);
}
