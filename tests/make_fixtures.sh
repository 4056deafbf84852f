#!/usr/bin/env bash
# make_fixtures.sh OUTDIR - binlogs written by a real MariaDB during this run, for the unit
# tests (BINLOGD_FIXTURES): DDL, InnoDB and MyISAM, multi-statement trx, ROLLBACK with a
# non-transactional part, XA, statement format with INTVAR/user variables, a 17 MiB row,
# a file with binlog_checksum=NONE, several rotations.
set -euo pipefail
out=$1
[ -f "$out/.done" ] && exit 0
source "$(dirname "$0")/integration/harness.sh"
tl_init fixtures
tl_mariadb_start f
tl_sql f "CREATE DATABASE fx; USE fx;
  CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(200)) ENGINE=InnoDB;
  CREATE TABLE m (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(200)) ENGINE=MyISAM;
  INSERT INTO t (v) VALUES ('a'), ('b');
  BEGIN; INSERT INTO t (v) VALUES ('c'); UPDATE t SET v = 'bb' WHERE v = 'b'; DELETE FROM t WHERE v = 'a'; COMMIT;
  BEGIN; INSERT INTO t (v) VALUES ('rolled back'); INSERT INTO m (v) VALUES ('kept'); ROLLBACK;
  XA START 'x1'; INSERT INTO t (v) VALUES ('xa'); XA END 'x1'; XA PREPARE 'x1'; XA COMMIT 'x1';
  XA START 'x2'; INSERT INTO t (v) VALUES ('xa2'); XA END 'x2'; XA PREPARE 'x2'; XA ROLLBACK 'x2';
  FLUSH BINARY LOGS;
  SET SESSION binlog_format = STATEMENT; SET @u = 'uservar';
  INSERT INTO m (v) VALUES (@u); INSERT INTO t (v) VALUES (CONCAT('stmt', 1));
  SET SESSION binlog_format = ROW;
  INSERT INTO t (v) SELECT REPEAT(MD5(seq), 6) FROM seq_1_to_5000;
  ALTER TABLE t ADD COLUMN w INT; CREATE TABLE b (id INT PRIMARY KEY, x LONGBLOB);
  INSERT INTO b VALUES (1, REPEAT('z', 17 * 1048576));
  FLUSH BINARY LOGS;
  SET GLOBAL binlog_checksum = NONE; INSERT INTO t (v) VALUES ('no checksum'); FLUSH BINARY LOGS;
  SET GLOBAL binlog_checksum = CRC32; INSERT INTO t (v) VALUES ('crc again'); DROP TABLE m;"
tl_mariadb_stop f
mkdir -p "$out"
d=$(tl_datadir f)
: > "$out/manifest.txt"
for f in $(sed 's|.*/||' "$d"/*.index); do
  cp "$d/$f" "$out/"
  echo "$f $(stat -c %s "$d/$f")" >> "$out/manifest.txt"
done
cp "$d"/*.index "$out/"
touch "$out/.done"
echo "fixtures: $(wc -l < "$out/manifest.txt") MariaDB binlogs in $out"
TL_PASS=1
