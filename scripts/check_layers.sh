#!/usr/bin/env bash
# check_layers.sh [--self-test] [ROOT] - the one-way dependency rule of the source tree:
#
#   server/main.c -> server/ops -> server/replicas -> server/admin -> server/upstream
#                 -> storage -> protocol
#
# A file may include headers of its own wing and of the wings below it, never above.
# conf/ stands beside the server wings: any server/ file may include it, conf/ includes
# only conf/. server/log.h is the server wings' logger: any server/ file may include it.
# storage/ and protocol/ include nothing from server/ or conf/. System headers:
#   protocol/  pure: no libevent, libmysqlclient, sockets, threads or clock
#              (and no calls to them either)
#   storage/, conf/  no libevent, libmysqlclient, sockets
#   server/admin/    no libevent, libmysqlclient, sockets (statements return rows)
#   server/upstream/ no libevent (blocking libmysqlclient on its own thread)
#   server/replicas/, server/ops/  no libmysqlclient (only the upstream talks to a primary)
# Prints one line per violation, "file:line: what", and exits 1 if there is any.
# --self-test plants violations in a copy of the tree and fails unless each is reported.
set -u

check() {
  local root=$1 bad=0 f rank_f name_f inc target line n what W_RANK W_NAME
  wing() {   # path -> W_RANK W_NAME (no subshell: this runs for every include)
    case "$1" in
      protocol/*) W_RANK=0 W_NAME=protocol;;
      storage/*) W_RANK=1 W_NAME=storage;;
      server/upstream/*) W_RANK=2 W_NAME=server/upstream;;
      server/admin/*) W_RANK=3 W_NAME=server/admin;;
      server/replicas/*) W_RANK=4 W_NAME=server/replicas;;
      server/ops/*) W_RANK=5 W_NAME=server/ops;;
      server/main.c) W_RANK=6 W_NAME=server/main;;
      server/log.h|server/log.c) W_RANK=L W_NAME=server/log;;
      conf/*) W_RANK=C W_NAME=conf;;
      *) W_RANK=-1 W_NAME="outside the tree";;
    esac
  }
  allowed() {   # from-wing to-wing -> 0 if the include is allowed
    local fr=$1 to=$2
    case "$fr:$to" in
      C:C|L:L) return 0;;
      C:*|L:*) return 1;;
    esac
    case "$to" in
      C|L) [ "$fr" -ge 2 ]; return;;    # server wings only
      -1) return 1;;
    esac
    [ "$to" -le "$fr" ]
  }
  while IFS= read -r f; do
    wing "$f"; rank_f=$W_RANK name_f=$W_NAME
    [ "$rank_f" = -1 ] && continue
    n=0
    while IFS= read -r line; do
      n=$((n + 1))
      if [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
        inc=${BASH_REMATCH[1]}
        # "dir/x.h" is from the top (-I.); a bare "x.h" is beside the including file.
        if [[ $inc == */* ]]; then target=$inc; else target=${f%/*}/$inc; fi
        [[ $target == *..* ]] && target="(a path with ..)"
        wing "$target"
        if ! allowed "$rank_f" "$W_RANK"; then
          echo "$f:$n: includes \"$inc\" ($W_NAME): $name_f may not include it"
          bad=1
        fi
      elif [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\<([^\>]+)\> ]]; then
        inc=${BASH_REMATCH[1]}
        what=""
        case "$inc" in
          event2/*|event.h) what="libevent";;
          mysql.h|mysql/*|mariadb/*|errmsg.h|mysqld_error.h) what="libmysqlclient";;
          sys/socket.h|netinet/*|arpa/*|netdb.h|sys/epoll.h|sys/un.h) what="sockets";;
          pthread.h|threads.h) what="threads";;
          time.h|sys/time.h) what="the clock";;
        esac
        [ -z "$what" ] && continue
        case "$rank_f:$what" in
          0:*) ;;
          1:libevent|1:libmysqlclient|1:sockets|C:libevent|C:libmysqlclient|C:sockets) ;;
          3:libevent|3:libmysqlclient|3:sockets) ;;
          2:libevent) ;;
          4:libmysqlclient|5:libmysqlclient) ;;
          *) continue;;
        esac
        echo "$f:$n: includes <$inc>: $name_f may not use $what"
        bad=1
      fi
    done < "$root/$f"
    # protocol/ is pure: no calls into sockets, the clock, threads, libevent or libmysqlclient.
    if [ "$rank_f" = 0 ]; then
      while IFS=: read -r n line; do
        echo "$f:$n: calls ${line}: protocol/ is pure (parse and serialise over buffers)"
        bad=1
      done < <(grep -nE '^[^/*]*\b(socket|accept|connect|send|recv|clock_gettime|gettimeofday|time|getrandom|pthread_[a-z_]+|event_[a-z_]+|bufferevent_[a-z_]+|evbuffer_[a-z_]+|mysql_[a-z_]+)[[:space:]]*\(' \
                 "$root/$f" | sed -E 's/^([0-9]+):.*\b(socket|accept|connect|send|recv|clock_gettime|gettimeofday|time|getrandom|pthread_[a-z_]+|event_[a-z_]+|bufferevent_[a-z_]+|evbuffer_[a-z_]+|mysql_[a-z_]+)[[:space:]]*\(.*/\1:\2()/')
    fi
  done < <(cd "$root" && find protocol storage conf server -name '*.[ch]' | sort)
  return $bad
}

self_test() {
  local src=$1 tmp out fail=0
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  cp -r "$src/protocol" "$src/storage" "$src/conf" "$src/server" "$tmp/"
  if ! out=$(check "$tmp"); then
    echo "check_layers self-test: the tree itself is not clean:"; echo "$out"; return 1
  fi
  # Each plant: file, line to append, what the report must name.
  local plants=(
    'server/admin/sql.c|#include "server/replicas/session.h"|server/admin/sql.c:'
    'storage/store.c|#include "server/log.h"|storage/store.c:'
    'protocol/event.c|#include <event2/event.h>|protocol/event.c:'
    'protocol/trx.c|static int planted(void) { return (int)time(0); }|protocol/trx.c:'
    'server/upstream/ingest.c|#include "server/admin/sql.h"|server/upstream/ingest.c:'
    'server/replicas/dump.c|#include <mysql.h>|server/replicas/dump.c:'
    'conf/config.c|#include "storage/store.h"|conf/config.c:'
  )
  local p file text want n
  for p in "${plants[@]}"; do
    IFS='|' read -r file text want <<< "$p"
    cp "$src/$file" "$tmp/$file"
    printf '%s\n' "$text" >> "$tmp/$file"
    n=$(wc -l < "$tmp/$file")
    if out=$(check "$tmp"); then
      echo "check_layers self-test: planted '$text' in $file was NOT reported"; fail=1
    elif ! grep -q "^$want$n:" <<< "$out"; then
      echo "check_layers self-test: planted '$text' in $file: report does not name $want$n:"; echo "$out"; fail=1
    else
      echo "check_layers self-test: reported: $(grep "^$want$n:" <<< "$out")"
    fi
    cp "$src/$file" "$tmp/$file"
  done
  return $fail
}

root=.
if [ "${1:-}" = --self-test ]; then
  self_test "${2:-.}" && echo "check_layers self-test: every planted violation was reported" || exit 1
  exit 0
fi
[ $# -gt 0 ] && root=$1
if check "$root"; then
  echo "check_layers: includes point down ($(cd "$root" && find protocol storage conf server -name '*.[ch]' | wc -l) files)"
else
  echo "check_layers: the one-way dependency rule is broken (see above)"
  exit 1
fi
