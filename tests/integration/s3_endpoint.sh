#!/usr/bin/env bash
# s3_endpoint.sh - a local S3-compatible endpoint for the tests: OpenStack Swift (Debian's
# python3-swift: the library alone, no system services) with its s3api middleware and
# tempauth; the proxy, account, container and object servers run on 127.0.0.1 with one device
# and their own swift.conf in a throwaway directory; an s3cmd configuration (Debian's s3cmd)
# talks to it with AWS signature v4.
#
#   s3_endpoint.sh check          exit 0 when the packages are installed
#   source s3_endpoint.sh; s3_start DIR   start; writes DIR/s3cfg; 0 once a bucket listing works
#                          s3_stop        stop the servers
# Uses tl_free_port and tl_track_pid from harness.sh when sourced by a test.

s3_check() {
  command -v s3cmd >/dev/null && /usr/bin/python3 -c 'import swift.common.middleware.s3api' 2>/dev/null
}

# Run one Swift server as the swift-*-server scripts do, but reading swift.conf from S3_DIR
# (set_swift_dir) instead of /etc/swift.
_s3_run() {  # KIND (account|container|object|proxy); exec: the background job's pid is the server's
  exec /usr/bin/python3 - "$S3_DIR" "$1" <<'PY'
import importlib, sys
from swift.common import utils
utils.set_swift_dir(sys.argv[1])
from swift.common.wsgi import run_wsgi
kind = sys.argv[2]
mod = importlib.import_module("swift.proxy.server" if kind == "proxy" else "swift.%s.server" % ("obj" if kind == "object" else kind))
kw = {"global_conf_callback": mod.global_conf_callback} if hasattr(mod, "global_conf_callback") else {}
sys.exit(run_wsgi("%s/%s-server.conf" % (sys.argv[1], kind), "%s-server" % kind, **kw))
PY
}

if [ "${1:-}" = check ]; then s3_check; exit $?; fi

S3_PIDS=()

_s3_server_conf() {  # FILE PORT APP: one storage server, single process, logs to a UDP void
  cat > "$1" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $2
devices = $S3_DIR/srv
mount_check = false
swift_dir = $S3_DIR
workers = 0
log_udp_host = 127.0.0.1
log_udp_port = $S3_LOGPORT
[pipeline:main]
pipeline = $3-server
[app:$3-server]
use = egg:swift#$3
EOF
}

s3_start() {  # DIR
  S3_DIR=$1
  mkdir -p "$S3_DIR/srv/d1"
  printf '[swift-hash]\nswift_hash_path_suffix = binlogd-test\n[storage-policy:0]\nname = Policy-0\ndefault = yes\n' \
    > "$S3_DIR/swift.conf"
  local pa pc po pp kind
  pa=$(tl_free_port); pc=$(tl_free_port); po=$(tl_free_port); pp=$(tl_free_port); S3_LOGPORT=$(tl_free_port)
  # The three rings (one device each) in one Python start instead of nine swift-ring-builder runs.
  /usr/bin/python3 - "$S3_DIR" "$pa" "$pc" "$po" <<'PY' || { echo "s3_endpoint: cannot build the rings"; return 1; }
import sys
from swift.common.ring import RingBuilder
d = sys.argv[1]
for kind, port in zip(("account", "container", "object"), sys.argv[2:5]):
    b = RingBuilder(8, 1, 1)
    b.add_dev({"region": 1, "zone": 1, "ip": "127.0.0.1", "port": int(port), "device": "d1", "weight": 1})
    b.rebalance()
    b.get_ring().save("%s/%s.ring.gz" % (d, kind))
PY
  _s3_server_conf "$S3_DIR/account-server.conf" "$pa" account
  _s3_server_conf "$S3_DIR/container-server.conf" "$pc" container
  _s3_server_conf "$S3_DIR/object-server.conf" "$po" object
  cat > "$S3_DIR/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $pp
swift_dir = $S3_DIR
workers = 0
log_udp_host = 127.0.0.1
log_udp_port = $S3_LOGPORT
[pipeline:main]
pipeline = catch_errors proxy-logging cache s3api tempauth proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$S3_LOGPORT
[filter:tempauth]
use = egg:swift#tempauth
user_binlogd_archiver = archiverkey .admin
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
EOF
  for kind in account container object proxy; do
    _s3_run "$kind" > "$S3_DIR/$kind.log" 2>&1 &
    S3_PIDS+=($!)
    declare -F tl_track_pid >/dev/null && tl_track_pid $!
  done
  cat > "$S3_DIR/s3cfg" <<EOF
[default]
access_key = binlogd:archiver
secret_key = archiverkey
host_base = 127.0.0.1:$pp
host_bucket = 127.0.0.1:$pp
use_https = False
signature_v2 = False
bucket_location = us-east-1
EOF
  # Wait for the four ports first: s3cmd itself retries a refused connection with seconds of sleep.
  local i p
  for p in $pa $pc $po $pp; do
    for i in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.1; done
  done
  for i in $(seq 1 50); do
    s3cmd -c "$S3_DIR/s3cfg" ls >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "s3_endpoint: the endpoint did not answer; logs:"; tail -n 5 "$S3_DIR"/*.log
  return 1
}

s3_stop() {
  local p
  for p in "${S3_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${S3_PIDS[@]}"; do wait "$p" 2>/dev/null; done
  S3_PIDS=()
}
