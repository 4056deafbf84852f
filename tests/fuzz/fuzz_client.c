/*
 * fuzz_client.c - libFuzzer harness: everything a client (replica, mariadb-binlog, admin,
 * health check) sends binlogd, before any of it is trusted.
 *
 * Input: a selector byte, then the bytes for that decoder:
 *   0  hs_parse_response (HandshakeResponse41, SSLRequest) and its connect attributes
 *   1  cmd_parse (every command byte), then what the session does with the result: the
 *      binlog name check, the COM_BINLOG_DUMP_GTID set decode
 *   2  query_parse (the SQL recogniser) and the value helpers the statements use
 *   3  query_like_match: pattern NUL subject
 *   4  GTID texts: @slave_connect_state / gtid_binlog_state lists, MySQL GTID sets
 *   5  the compressed protocol: frames -> plain stream -> packets -> cmd_parse
 *   6  a dump's GTID start: MariaDB slave_connect_state text, MySQL encoded set
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/bbuf.h"
#include "protocol/command.h"
#include "protocol/compress.h"
#include "protocol/gtid.h"
#include "protocol/gtid_start.h"
#include "protocol/gtid_track.h"
#include "protocol/handshake.h"
#include "protocol/packet.h"
#include "protocol/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void handshake(const uint8_t *p, size_t n)
{
    struct hs_response r;
    const char *why;
    enum hs_result hr = hs_parse_response(p, n, &r, &why);
    (void)hs_result_name(hr);
    if (hr != HS_RESPONSE_OK) return;
    struct hs_attr_iter it;
    const char *k, *v;
    size_t kl, vl;
    hs_attrs_begin(&it, &r);
    while (hs_attrs_next(&it, &k, &kl, &v, &vl)) {
        volatile char sink = kl ? k[kl - 1] : 0;
        sink = vl ? v[vl - 1] : 0;
        (void)sink;
    }
}

static void command(const uint8_t *p, size_t n)
{
    struct cmd c;
    const char *why;
    if (cmd_parse(p, n, &c, &why) != 0) return;
    (void)cmd_type_name(c.type);
    if (c.type == CMD_BINLOG_DUMP) (void)cmd_binlog_name_check(c.u.dump.name, c.u.dump.name_len, &why);
    if (c.type == CMD_SEMI_SYNC_ACK) (void)cmd_binlog_name_check(c.u.ack.name, c.u.ack.name_len, &why);
    if (c.type == CMD_BINLOG_DUMP_GTID) {
        (void)cmd_binlog_name_check(c.u.dump_gtid.name, c.u.dump_gtid.name_len, &why);
        struct gtid_mysql_set *s = gtid_mysql_set_new();
        if (s && gtid_mysql_set_decode(s, c.u.dump_gtid.gtid_data, c.u.dump_gtid.gtid_data_len, &why) == 0) {
            char txt[512];
            (void)gtid_mysql_set_format(s, txt, sizeof(txt));
        }
        gtid_mysql_set_free(s);
    }
    if (c.type == CMD_QUERY) {
        struct query *q = query_new();
        if (q) (void)query_parse(q, c.u.query.text, c.u.query.len);
        query_free(q);
    }
}

static void value(const struct qval *v)
{
    int b;
    uint64_t u;
    (void)qval_to_bool(v, &b);
    (void)qval_to_u64(v, &u);
    (void)qval_kind_name(v->kind);
    (void)query_scope_name(v->scope);
}

static void sql(const uint8_t *p, size_t n)
{
    struct query *q = query_new();
    if (!q) return;
    enum query_kind k = query_parse(q, (const char *)p, n);
    (void)query_kind_name(k);
    for (size_t i = 0; i < q->nitems; i++) {
        value(&q->items[i].val);
        (void)query_item_name(&q->items[i]);
    }
    for (size_t i = 0; i < q->nassign; i++) {
        value(&q->assign[i].val);
        (void)query_assign_kind_name(q->assign[i].kind);
        (void)query_name_eq(q->assign[i].name, q->assign[i].name_len, "master_use_gtid");
    }
    for (size_t i = 0; i < q->nargs; i++) value(&q->args[i]);
    if (q->like) (void)query_like_match(q->like, q->like_len, "gtid_binlog_state", 17);
    query_free(q);
}

static void like(const uint8_t *p, size_t n)
{
    const uint8_t *nul = memchr(p, 0, n);
    size_t pl = nul ? (size_t)(nul - p) : n / 2;
    size_t so = nul ? pl + 1 : pl;
    /* exact-size copies: a read past either end is caught */
    char *pat = malloc(pl + 1), *s = malloc(n - so + 1);
    if (pat && s) {
        memcpy(pat, p, pl);
        memcpy(s, p + so, n - so);
        (void)query_like_match(pat, pl, s, n - so);
    }
    free(pat);
    free(s);
}

static void gtid_texts(const uint8_t *p, size_t n)
{
    const char *why, *str = (const char *)p;
    char out[1024];
    struct gtid_maria_state *st = gtid_maria_state_new();
    if (st && gtid_maria_state_parse(st, str, n, &why) == 0) (void)gtid_maria_state_format(st, out, sizeof(out));
    gtid_maria_state_free(st);
    struct gtid_maria g;
    if (gtid_maria_parse(str, n, &g) == 0) (void)gtid_maria_format(&g, out, sizeof(out));
    struct gtid_blist bl;
    gtid_blist_init(&bl);
    if (gtid_blist_parse(&bl, str, n, &why) == 0) (void)gtid_blist_format(&bl, out, sizeof(out));
    gtid_blist_free(&bl);
    struct gtid_mysql_set *s = gtid_mysql_set_new();
    if (s && gtid_mysql_set_parse(s, str, n, &why) == 0) {
        (void)gtid_mysql_set_format(s, out, sizeof(out));
        size_t el = gtid_mysql_set_encoded_len(s);
        uint8_t *enc = malloc(el ? el : 1);
        struct gtid_mysql_set *s2 = gtid_mysql_set_new();
        if (enc && s2 && gtid_mysql_set_encode(s, enc, el) == el) {
            /* what we encode, we decode to the same set */
            if (gtid_mysql_set_decode(s2, enc, el, &why) != 0 || !gtid_mysql_set_subset(s, s2) ||
                !gtid_mysql_set_subset(s2, s))
                abort();
        }
        free(enc);
        gtid_mysql_set_free(s2);
    }
    gtid_mysql_set_free(s);
}

static void compressed(const uint8_t *p, size_t n)
{
    struct bbuf plain;
    bbuf_init(&plain);
    size_t off = 0;
    for (unsigned i = 0; off < n && i < 256; i++) {
        struct cpkt c;
        const char *why;
        if (cpkt_read(p + off, n - off, 1u << 20, &c, &why) != PKT_OK) break;
        if (cpkt_unpack(&c, &plain, &why) != 0) break;
        off += c.consumed;
    }
    size_t po = 0;
    for (unsigned i = 0; po < plain.len && i < 256; i++) {
        struct pkt k;
        const char *why;
        if (pkt_read(plain.p + po, plain.len - po, 1u << 20, &k, &why) != PKT_OK) break;
        if (k.nchunks == 1) command(k.payload, k.len);
        po += k.consumed;
    }
    bbuf_free(&plain);
}

static void gtid_start(const uint8_t *p, size_t n)
{
    static const struct gtid_start_file files[] = {
        {.name = "b.000001", .known = 1, .flavor = GTID_TRACK_MARIA, .start = ""},
        {.name = "b.000002", .known = 1, .flavor = GTID_TRACK_MARIA, .start = "0-1-5,1-2-3"},
        {.name = "b.000003", .known = 0, .flavor = GTID_TRACK_NONE, .start = ""},
    };
    static const struct gtid_start_file yfiles[] = {
        {.name = "b.000001", .known = 1, .flavor = GTID_TRACK_MYSQL, .start = ""},
        {.name = "b.000002", .known = 1, .flavor = GTID_TRACK_MYSQL,
         .start = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"},
    };
    struct gtid_start gs;
    size_t at;
    struct myerr e;
    if (n == 0) return;
    gtid_start_init(&gs);
    char *req = malloc(n);
    if (req) {
        memcpy(req, p + 1, n - 1);
        req[n - 1] = 0;
        (void)gtid_start_resolve(&gs, req, n - 1, p[0] & 1, p[0] & 2, "0-1-9,1-2-4,2-3-1", files, 3, &at, &e);
    }
    free(req);
    gtid_start_free(&gs);
    gtid_start_init(&gs);
    (void)gtid_start_resolve_mysql(&gs, p + 1, n - 1, "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-9", yfiles, 2, &at, &e);
    gtid_start_free(&gs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    /* exact-size copy of the rest: ASan sees a read one past the end */
    size_t n = size - 1;
    uint8_t *p = malloc(n ? n : 1);
    if (!p) return 0;
    memcpy(p, data + 1, n);
    switch (data[0] % 7) {
    case 0: handshake(p, n); break;
    case 1: command(p, n); break;
    case 2: sql(p, n); break;
    case 3: like(p, n); break;
    case 4: gtid_texts(p, n); break;
    case 5: compressed(p, n); break;
    case 6: gtid_start(p, n); break;
    }
    free(p);
    return 0;
}
