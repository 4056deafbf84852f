/*
 * gtidify.c - test tool: turn a MySQL 5.7/8.0 binlog whose transactions carry ANONYMOUS_GTID
 * events (mariadb-test-data ships only such files) into one with real GTIDs, so the MySQL GTID
 * paths (PREVIOUS_GTIDS, COM_BINLOG_DUMP_GTID) are exercised on MySQL-written bytes.
 *
 *   gtidify IN OUT UUID
 *
 * Every ANONYMOUS_GTID (34) becomes GTID (33) with UUID:1, UUID:2, ... (the two events share
 * one layout: flags, 16-byte sid, 8-byte gno); CRCs are recomputed. Nothing else changes, so
 * offsets and log_pos stay valid. Exit 0, or 1 with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/checksum.h"
#include "protocol/event.h"
#include "protocol/gtid.h"
#include "protocol/wire.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: gtidify IN OUT UUID\n");
        return 2;
    }
    uint8_t uuid[16];
    if (gtid_uuid_parse(argv[3], strlen(argv[3]), uuid) == -1) {
        fprintf(stderr, "gtidify: bad UUID %s\n", argv[3]);
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    if (!in) { perror(argv[1]); return 1; }
    static uint8_t buf[64 << 20];
    size_t n = fread(buf, 1, sizeof(buf), in);
    fclose(in);
    if (n < 4 + EV_HEADER_LEN || memcmp(buf, BINLOG_MAGIC, 4)) {
        fprintf(stderr, "gtidify: %s is not a binlog\n", argv[1]);
        return 1;
    }
    struct ev_fde fde;
    const char *why;
    uint32_t fl = wire_u32(buf + 4 + 9);
    if (fl > n - 4 || ev_fde_parse(buf + 4, fl, &fde, &why) != EV_OK) {
        fprintf(stderr, "gtidify: bad FORMAT_DESCRIPTION: %s\n", why);
        return 1;
    }
    int crc = fde.has_checksum_alg && fde.checksum == EV_CHECKSUM_CRC32;
    int64_t gno = 0;
    for (size_t off = 4 + fl; off + EV_HEADER_LEN <= n;) {
        uint32_t len = wire_u32(buf + off + 9);
        if (len < EV_HEADER_LEN || len > n - off) {
            fprintf(stderr, "gtidify: bad event at %zu\n", off);
            return 1;
        }
        if (buf[off + 4] == EV_ANONYMOUS_GTID && len >= EV_HEADER_LEN + 25) {
            buf[off + 4] = EV_MYSQL_GTID;
            memcpy(buf + off + EV_HEADER_LEN + 1, uuid, 16);
            wire_put_u64(buf + off + EV_HEADER_LEN + 17, (uint64_t)++gno);
            if (crc) ev_crc32_store(buf + off, len);
        }
        off += len;
    }
    FILE *out = fopen(argv[2], "wb");
    if (!out || fwrite(buf, 1, n, out) != n || fclose(out)) {
        perror(argv[2]);
        return 1;
    }
    printf("%lld\n", (long long)gno);
    return 0;
}
