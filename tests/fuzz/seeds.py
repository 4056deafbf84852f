#!/usr/bin/env python3
"""seeds.py - (re)write the seed corpora under tests/fuzz/corpus/ (a few KB per harness).

Sources: real binlogs (MariaDB and MySQL files of mariadb-test-data's std_data, and the
fixtures `make fixtures` writes with a real MariaDB, when present), the packets the unit tests
captured from MariaDB clients (hex arrays in tests/unit/*.c), statements, config files.
Run from the repository root: python3 tests/fuzz/seeds.py [FIXTURES_DIR]. Developer tool only;
`make fuzz` uses the committed corpora.
"""
import os, re, struct, sys, zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, 'tests/fuzz/corpus')
STD = os.environ.get('BINLOGD_STD_DATA', '/usr/share/mysql/mysql-test/std_data')
FIX = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, 'build/fixtures')
MAX_FILE = 4096

def put(h, name, data):
    d = os.path.join(CORPUS, h)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)

def events(path, limit=MAX_FILE):
    """The events of a binlog file, whole ones only, up to about `limit` bytes."""
    b = open(path, 'rb').read()
    if b[:4] != b'\xfebin':
        return []
    out, at, total = [], 4, 0
    while at + 19 <= len(b):
        sz = struct.unpack_from('<I', b, at + 9)[0]
        if sz < 19 or at + sz > len(b) or total + sz > limit:
            break
        out.append(b[at:at + sz])
        at += sz
        total += sz
    return out

def unhex_arrays(path):
    """static const char NAME[] = "hex" "hex"...; -> {NAME: bytes}"""
    src = open(os.path.join(ROOT, path)).read()
    out = {}
    for m in re.finditer(r'static const char (\w+)\[\]\s*=\s*((?:\s*"[0-9a-fA-F]*")+)\s*;', src):
        out[m.group(1)] = bytes.fromhex(''.join(re.findall(r'"([0-9a-fA-F]*)"', m.group(2))))
    return out

def packet(payload, seq):
    return struct.pack('<I', len(payload))[:3] + bytes([seq & 255]) + payload

def binlogs():
    files = [os.path.join(STD, n) for n in ('mariadb-5.5-binlog.000001', 'mdev-4645-binlog_checksum.binlog',
             'mdev-4645-binlog_group_id_checksum.binlog', 'binlog_transaction.000001',
             'mdev35643_mysql_80_binlog.000001', 'mdev29078-mysql-bin.000001')]
    if os.path.isdir(FIX):
        names = sorted(n for n in os.listdir(FIX) if re.search(r'\.\d{6}$', n))
        files += [os.path.join(FIX, n) for n in names[:3]]
    return [f for f in files if os.path.exists(f)]

def seed_events():
    for i, f in enumerate(binlogs()):
        evs = events(f)
        if not evs:
            continue
        opt = 0x05 if i % 2 else 0x01   # fix CRCs; every other one with a dump's GTID start
        put('fuzz_events', 'file%d_%s' % (i, os.path.basename(f)[:24]), bytes([opt]) + b'\xfebin' + b''.join(evs))

def fake_rotate(name, crc):
    body = struct.pack('<Q', 4) + name
    size = 19 + len(body) + (4 if crc else 0)
    ev = struct.pack('<IBIIIH', 0, 4, 1, size, 0, 0x20) + body
    return ev + struct.pack('<I', zlib.crc32(ev)) if crc else ev

def seed_upstream():
    for i, f in enumerate(binlogs()[:5]):
        evs = events(f, 3000)
        if not evs:
            continue
        semi = i % 2
        crc = len(evs[0]) > 19 + 57 and evs[0][-5] == 1   # FDE alg byte
        stream, seq = b'', 1
        for j, e in enumerate([fake_rotate(os.path.basename(f).encode()[:40], crc)] + evs):
            hdr = b'\x00' + (b'\xef' + bytes([j == len(evs)]) if semi else b'')
            stream += packet(hdr + e, seq)
            seq += 1
        opt = 0x01 | (0x02 if crc else 0) | (0x10 if semi else 0)
        put('fuzz_upstream', 'stream%d' % i, bytes([opt]) + stream)
    put('fuzz_upstream', 'eof', b'\x00' + packet(b'\xfe\x00\x00\x02\x00', 1))

def seed_client():
    hs = unhex_arrays('tests/unit/test_handshake.c')
    for n in ('replica_response', 'cli_response'):
        if n in hs:
            put('fuzz_client', 'hs_' + n, b'\x00' + hs[n])
    put('fuzz_client', 'hs_ssl', b'\x00' + bytes.fromhex('05ae0f00000000012d') + bytes(23))
    cmds = unhex_arrays('tests/unit/test_command.c')
    for n, v in cmds.items():
        put('fuzz_client', 'cmd_' + n, b'\x01' + v)
    put('fuzz_client', 'cmd_query', b'\x01\x03SELECT @@global.gtid_binlog_pos')
    put('fuzz_client', 'cmd_dump_gtid_mysql', b'\x01' + bytes.fromhex('1e000002000000000000000000000000000000040000000000000000000000'))
    sqls = [
        b"SELECT UNIX_TIMESTAMP(), @@version_comment AS c, binlog_gtid_pos('mb.000001', 4) LIMIT 1",
        b"SET @master_binlog_checksum= @@global.binlog_checksum, @slave_connect_state='0-1-5,1-2-3'",
        b"SHOW BINLOG EVENTS IN 'mb.000002' FROM 4 LIMIT 2, 10 /* comment */;",
        b"/*!40101 SET NAMES utf8mb4 COLLATE utf8mb4_general_ci */ -- tail\n",
        b"CHANGE MASTER TO master_host='h', master_port=3306, master_use_gtid=slave_pos",
        b"SHOW GLOBAL VARIABLES LIKE 'gtid\\_%'", b"KILL QUERY 42", b"PURGE BINARY LOGS BEFORE '2024-01-01 00:00:00'",
        b"START SLAVE IO_THREAD, SQL_THREAD", b"SHOW FULL PROCESSLIST", b"/*M!100100 SELECT 1 */ # x",
    ]
    for i, s in enumerate(sqls):
        put('fuzz_client', 'sql%d' % i, b'\x02' + s)
    put('fuzz_client', 'like0', b'\x03gtid\\_%_pos\x00gtid_binlog_pos')
    put('fuzz_client', 'gtid0', b'\x04' + b'0-1-100,1-2-3,4294967295-1-18446744073709551615')
    put('fuzz_client', 'gtid1', b'\x04' + b'3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7-9,\n4e11fa47-71ca-11e1-9e33-c80aa9429562:3')
    pk = unhex_arrays('tests/unit/test_packet.c')
    if 'cli_frame' in pk:
        put('fuzz_client', 'compressed_cli', b'\x05' + pk['cli_frame'])
    plain = packet(b'\x03SELECT 1', 0)
    put('fuzz_client', 'compressed_raw', b'\x05' + struct.pack('<I', len(plain))[:3] + b'\x00\x00\x00\x00' + plain)
    z = zlib.compress(packet(b'\x03' + b'SELECT REPEAT(1, 100) ' * 4, 0))
    put('fuzz_client', 'compressed_zlib', b'\x05' + struct.pack('<I', len(z))[:3] + b'\x00' +
        struct.pack('<I', len(packet(b'\x03' + b'SELECT REPEAT(1, 100) ' * 4, 0)))[:3] + z)
    put('fuzz_client', 'gtidstart0', b'\x06\x00' + b'0-1-5,1-2-3')
    put('fuzz_client', 'gtidstart1', b'\x06\x01' + b'0-1-7,2-3-1,5-5-5')

def seed_config():
    put('fuzz_config', 'full.conf', b'\x00' + b'''# binlogd
[binlogd]
server_id = 100
data_dir = "/var/lib/binlogd"
listen_host = 127.0.0.1
listen_port = 3307
log_level = info
[upstream]
host = 10.0.0.1
port = 3306
user = repl
password = 'se;cr#et'
semi_sync = on
use_gtid = 1
candidates = db2:3306,db3:3306
[storage]
sync = trx
journal = on
group_commit_max_ms = 5
[user.repl]
password = *6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9
role = replica
[user.mon]
role = monitor
''')
    put('fuzz_config', 'minimal.conf', b'\x00[binlogd]\nserver_id=1\n; comment\n')
    put('fuzz_config', 'overrides', b'\x01binlogd.server_id=7\nupstream.host=h\nupstream.user=u\nuser.a.password=x\nuser.a.role=admin\nstorage.sync=interval\nstorage.sync_interval_ms=100')

def journal_rec(gen, seq, name, off, data):
    total = 38 + len(name) + len(data) + 4
    hdr = struct.pack('<IIQQQIH', 0, total, gen, seq, off, len(data), len(name))
    return hdr + name + data

def seed_storage():
    src = open(os.path.join(ROOT, 'storage/journal.c')).read()
    m = re.search(r'#define MAGIC\s+(0x[0-9a-fA-F]+)', src)
    magic = int(m.group(1), 16) if m else 0x314a4c42
    j = b''
    for seq, (name, off, data) in enumerate([(b'mb.000001', 4, b'\x01' * 40), (b'mb.000001', 44, b'xyz' * 10),
                                              (b'mb.000002', 4, b'')]):
        body = journal_rec(0x1234567890, 10 + seq, name, off, data)
        body = struct.pack('<I', magic) + body[4:]
        j += body + struct.pack('<I', zlib.crc32(body))
    put('fuzz_storage', 'journal', b'\x00' + j)
    put('fuzz_storage', 'gtid_index', b'\x01' + b'# binlogd gtid index v1\n'
        b'mb.000001\t1234\tmariadb\t\t0-1-5,1-2-3\nmb.000002\t4\tnone\t\t\n'
        b'mb.000003\t99\tmysql\t3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5\t3e11fa47-71ca-11e1-9e33-c80aa9429562:1-9\n')
    put('fuzz_storage', 'index', b'\x02./mb.000001\n./mb.000002\r\n/var/lib/mysql/mb.000003\n\n')
    put('fuzz_storage', 'name', b'\x03mysql-bin.000123')
    gp = b'# binlogd gtidpos v1 mariadb 7401ebe5 1 65536\n'
    for line in (b'65863\t331\t16\t31\t1700000000\t1\t8caed733\t0-1-12970,1-1-12969,2-1-12969\t',
                 b'131911\t331\t16\t31\t1700000000\t1\t3e1f45bb\t0-1-13012,1-1-13012,2-5-9\t2-5-11'):
        gp += line + b'\t%08x\n' % (zlib.crc32(line) & 0xffffffff)
    put('fuzz_storage', 'gtidpos', b'\x04' + gp)
    put('fuzz_storage', 'zblocks', b'\x05' + zblocks(bytes(range(256)) * 20 + b'binlog' * 300, 4096))

def zblocks(orig, bs):
    """A compressed binlog file (protocol/zblocks.h) of orig in blocks of bs bytes."""
    out, idx, at = bytearray(b'BINLOGDZ' + struct.pack('<II', 1, bs)), bytearray(), 16
    for i in range(0, len(orig), bs):
        blk = orig[i:i + bs]
        c = zlib.compress(blk, 6)
        idx += struct.pack('<QIII', at, len(c), zlib.crc32(blk), 4 if i == 0 else 0xFFFFFFFF)
        out += c
        at += len(c)
    n = len(idx) // 20
    out += idx + struct.pack('<QQII', at, len(orig), n, zlib.crc32(bytes(idx))) + b'BLDZ-END'
    return bytes(out)

if __name__ == '__main__':
    seed_events(); seed_upstream(); seed_client(); seed_config(); seed_storage()
