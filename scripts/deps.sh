#!/usr/bin/env bash
# Install what binlogd needs to build, test and demo, on Debian, with apt-get.
# Idempotent: only missing packages are installed. Runs as root (or via sudo when available).
set -euo pipefail
PKGS=(build-essential pkg-config libevent-dev libmariadb-dev libmariadb-dev-compat zlib1g-dev
      libcmocka-dev libssl-dev openssl mariadb-server mariadb-client mariadb-test-data procps psmisc
      util-linux diffutils coreutils haproxy socat curl prometheus chromium clang libclang-rt-dev
      python3-swift s3cmd)
# libssl-dev + libevent-dev (libevent_openssl): TLS towards replicas and admins (server/replicas/tls.c);
# the openssl CLI (pulled in with libssl-dev's users; listed for tests/integration/t_tls.sh, which
# makes its CA and certificates with it and checks them with `openssl s_client -starttls mysql`).
# haproxy + socat: tests/integration/t_health.sh puts a real HAProxy (option mysql-check) in
# front of binlogd and reads its state from the stats socket.
# curl + prometheus (promtool) + chromium: tests/integration/t_metrics.sh scrapes /metrics,
# checks it with promtool check metrics and renders the status page headless.
# python3-swift + s3cmd: tests/integration/t_archive_cmd.sh archives to a local S3 endpoint (Swift's
# s3api middleware, run from the library alone: no swift system services are installed) with s3cmd,
# the README's object-store example.
# clang + libclang-rt-dev (compiler-rt: libFuzzer, ASan, UBSan): `make fuzz` / `make fuzz-short`
# (part of `make test`) build the tests/fuzz harnesses with clang -fsanitize=fuzzer.
# openssl (the CLI): tests/integration/t_tls_upstream.sh makes a throwaway CA and server
# certificates for a MariaDB primary with require_secure_transport=ON.
# `make bench` only: sysbench writes the benchmark corpus (make test and make demo do not need it).
[ "${DEPS_BENCH:-0}" = 1 ] && PKGS+=(sysbench)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2
# Debian's mariadb-server postinst tries to start the service; in containers there is no init,
# so prevent service starts during install (policy-rc.d 101 = action forbidden).
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
