#!/usr/bin/env bash
# Private PostgreSQL 15, Redis and Ceph RADOS Gateway (S3) for the tests, everything under one directory.
#   bash scripts/services.sh start DIR   install what is missing, start all three, write DIR/env
#   bash scripts/services.sh stop DIR    stop whatever DIR's services left running (never fails)
#   bash scripts/services.sh status DIR  print which are running; exit 3 if any is not
#   bash scripts/services.sh down|up postgres|redis|s3 DIR  stop one, or start it again on its port (for
#                                        tests of outages; Redis comes back empty, as it runs without persistence)
#   bash scripts/services.sh restart postgres|redis|s3 DIR  down, SERVICES_DOWN_SECONDS, up
# Runs as root: apt-get needs it, and PostgreSQL runs as `postgres` through runuser.
set -euo pipefail

PGBIN=/usr/lib/postgresql/15/bin
PACKAGES=(redis-server radosgw ceph-mon ceph-osd ceph-common curl)
# Seconds a service may take to answer; Ceph's first start creates the RGW pools, which is the slow part.
TIMEOUT=${SERVICES_TIMEOUT:-120}
# The S3 store lives in memory: 1 GiB holds the tests; bench:service asks for more (about 1.2 MB a page).
S3_MEMORY_BYTES=${SERVICES_S3_MEMORY_BYTES:-1073741824}
# SERVICES_S3_DISK_BYTES set: the store is BlueStore on a sparse file of that size under DIR instead, for
# more scans than the memory holds (bench:season's region: 20 GB); its cache is held to 1 GiB.
S3_DISK_BYTES=${SERVICES_S3_DISK_BYTES:-}
# A lifecycle "day" of 10 s lets expiration tests run in seconds. Empty: Ceph's own day, as in production
# (bench:service: with the 10-s day RGW's lifecycle thread walks the buckets every 10 s, a second of CPU a
# minute at idle).
LIFECYCLE_DAY_SECONDS=${SERVICES_S3_LIFECYCLE_DAY_SECONDS-10}
# Marks DIR as ours, so `start` never wipes a directory it did not create.
MARKER=.rcoi-services

usage() {
  echo "usage: bash scripts/services.sh start|stop|status DIR, or down|up|restart postgres|redis|s3 DIR" >&2
  exit 2
}

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", b - a }'; }

# True while pid $1 exists and is not a zombie: pid 1 here may reap exited daemons late.
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# pid of a live process named $2 from pid file $1, or nothing; the name check guards against reused pids.
live_pid() {
  local pid
  [ -s "$1" ] || return 0
  pid=$(head -n 1 "$1" | tr -dc '0-9')
  [ -n "$pid" ] && alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] && echo "$pid"
  return 0
}

# service name, pid file, process name: ask it to stop, wait up to 20 s, then KILL it.
stop_service() {
  local pid i t
  t=$(now)
  pid=$(live_pid "$2" "$3")
  [ -n "$pid" ] || return 0
  if [ "$1" = postgres ]; then
    (cd "$DIR" && runuser -u postgres -- "$PGBIN/pg_ctl" stop -D "$DIR/pg/data" -m fast -w -t 20 >/dev/null) ||
      true
  else
    kill -TERM "$pid" 2>/dev/null || true
  fi
  # pg_ctl returns when postmaster.pid is gone, a moment before the process ends; wait for that too.
  for ((i = 0; i < 200; i++)); do
    alive "$pid" || { echo "stopped $1 ($(since "$t"))"; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  echo "killed $1: it did not stop within 20 s"
}

stop_all() {
  stop_service radosgw "$DIR/ceph/run/radosgw.pid" radosgw
  stop_service ceph-osd "$DIR/ceph/run/osd.0.pid" ceph-osd
  stop_service ceph-mon "$DIR/ceph/run/mon.a.pid" ceph-mon
  stop_service redis "$DIR/redis/redis.pid" redis-server
  stop_service postgres "$DIR/pg/data/postmaster.pid" postgres
}

status_all() {
  local bad=0 name pid
  while read -r name pidfile comm; do
    pid=$(live_pid "$pidfile" "$comm")
    if [ -n "$pid" ]; then echo "$name: running (pid $pid)"; else echo "$name: stopped"; bad=3; fi
  done <<EOF
postgres $DIR/pg/data/postmaster.pid postgres
redis $DIR/redis/redis.pid redis-server
ceph-mon $DIR/ceph/run/mon.a.pid ceph-mon
ceph-osd $DIR/ceph/run/osd.0.pid ceph-osd
radosgw $DIR/ceph/run/radosgw.pid radosgw
EOF
  return $bad
}

install_missing() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" = "ii " ] || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "packages: already installed"
    return 0
  fi
  echo "packages: installing ${missing[*]}"
  # The lock timeout lets a concurrent apt-get finish instead of failing this run.
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# name, log file, command: retry the command once every 0.25 s until it succeeds or TIMEOUT passes.
wait_for() {
  local name=$1 log=$2 deadline
  shift 2
  deadline=$((SECONDS + TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo "error: $name did not answer within $TIMEOUT s; last lines of $log:" >&2
      tail -n 30 "$log" >&2 2>/dev/null || echo "(no log)" >&2
      return 1
    fi
    sleep 0.25
  done
}

free_ports() {
  # Holds all sockets open until every port is chosen, so the four are distinct.
  python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
' "$1"
}

random_hex() { od -An -N "$1" -tx1 /dev/urandom | tr -d ' \n'; }

start_postgres() {
  local data=$DIR/pg/data log=$DIR/log/postgres.log
  mkdir -p "$DIR/pg/run"
  : >"$log"
  chown -R postgres:postgres "$DIR/pg" "$log"
  runuser -u postgres -- test -x "$DIR" || {
    echo "error: the postgres user cannot enter $DIR; use a directory every user can traverse (e.g. /tmp/...)" >&2
    return 1
  }
  # cd: the postgres user may not be allowed to read the caller's working directory.
  (cd "$DIR" && runuser -u postgres -- "$PGBIN/initdb" -D "$data" -A trust -U postgres -E UTF8 --no-locale) \
    >>"$log" 2>&1 || {
    echo "error: initdb failed; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    return 1
  }
  run_postgres
  psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c 'create database rcoi_test' >/dev/null
}

run_postgres() {
  local data=$DIR/pg/data log=$DIR/log/postgres.log
  # No fsync, synchronous commit or full-page writes: a test database is thrown away, so durability only costs time.
  (cd "$DIR" && runuser -u postgres -- "$PGBIN/pg_ctl" start -D "$data" -l "$log" -w -t "$TIMEOUT" \
    -o "-p $PG_PORT -k $DIR/pg/run -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off") \
    >/dev/null || {
    echo "error: postgres did not start; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    return 1
  }
  wait_for postgres "$log" pg_isready -q -h 127.0.0.1 -p "$PG_PORT"
}

start_redis() {
  mkdir -p "$DIR/redis"
  # No RDB snapshots and no AOF: test data is disposable.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --dir "$DIR/redis" --pidfile "$DIR/redis/redis.pid" --logfile "$DIR/log/redis.log"
  wait_for redis "$DIR/log/redis.log" sh -c "[ \"\$(redis-cli -h 127.0.0.1 -p $REDIS_PORT ping)\" = PONG ]"
}

write_ceph_conf() {
  local c=$DIR/ceph
  mkdir -p "$c/run" "$c/mon" "$c/osd/ceph-0" "$c/rgw" "$c/crash"
  # Every path points into DIR so nothing is written to /etc/ceph, /var/lib/ceph, /var/log/ceph or /run/ceph.
  # auth none and size-1 pools: one throwaway node on loopback, no redundancy or secrets to manage.
  cat >"$c/ceph.conf" <<EOF
[global]
fsid = $FSID
mon_initial_members = a
mon_host = [v2:127.0.0.1:$MON_PORT]
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_msgr1 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
# Daemons talk to the mon in secure mode only by default, which needs the session key that auth none lacks.
ms_mon_client_mode = crc secure
keyring = $c/keyring
run_dir = $c/run
pid_file = $c/run/\$name.pid
admin_socket = $c/run/\$name.asok
crash_dir = $c/crash
log_file = $DIR/log/ceph-\$name.log
mon_cluster_log_file = $DIR/log/ceph-cluster.log
mon_data = $c/mon/ceph-\$id
osd_data = $c/osd/ceph-\$id
$(if [ -n "$S3_DISK_BYTES" ]; then
    printf '%s\n' 'osd_objectstore = bluestore' "bluestore_block_path = $c/osd/block-0" \
      'bluestore_block_create = true' "bluestore_block_size = $S3_DISK_BYTES" \
      'osd_memory_target = 1073741824' 'bluestore_fsck_on_mount = false'
  else
    printf '%s\n' 'osd_objectstore = memstore' "memstore_device_bytes = $S3_MEMORY_BYTES"
  fi)
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_max_pg_per_osd = 1000
# The mon batches map changes for 1 s by default; RGW's first start makes several pools one after another.
paxos_propose_interval = 0.1
# No debug logging, not even to the in-memory ring: at the default levels every request of every daemon
# formats log entries (CPU that benchmarks on these cores would count against the service).
debug_rgw = 0/0
debug_osd = 0/0
debug_ms = 0/0
debug_memstore = 0/0
debug_objclass = 0/0
debug_monc = 0/0
debug_rados = 0/0
debug_objecter = 0/0

[client.rgw.a]
pid_file = $c/run/radosgw.pid
rgw_data = $c/rgw
rgw_frontends = beast endpoint=127.0.0.1:$RGW_PORT
${LIFECYCLE_DAY_SECONDS:+rgw_lc_debug_interval = $LIFECYCLE_DAY_SECONDS}
EOF
}

start_radosgw() {
  CEPH_CONF=$DIR/ceph/ceph.conf radosgw -n client.rgw.a >>"$DIR/log/ceph-setup.log" 2>&1
  wait_for radosgw "$DIR/log/ceph-client.rgw.a.log" curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$RGW_PORT/"
}

start_ceph() {
  local c=$DIR/ceph osd_uuid t
  t=$(now)
  write_ceph_conf
  export CEPH_CONF=$c/ceph.conf
  ceph-authtool --create-keyring "$c/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$c/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$c/monmap" --keyring "$c/keyring" >>"$DIR/log/ceph-setup.log" 2>&1
  ceph-mon -i a >>"$DIR/log/ceph-setup.log" 2>&1
  wait_for ceph-mon "$DIR/log/ceph-mon.a.log" ceph --connect-timeout 5 mon stat
  echo "  ceph: mon up after $(since "$t")"

  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  ceph --connect-timeout 10 osd new "$osd_uuid" >/dev/null
  ceph-osd -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$DIR/log/ceph-setup.log" 2>&1
  ceph-osd -i 0 >>"$DIR/log/ceph-setup.log" 2>&1
  wait_for ceph-osd "$DIR/log/ceph-osd.0.log" sh -c 'ceph --connect-timeout 5 osd dump | grep -q "^osd\.0 up"'
  echo "  ceph: osd up after $(since "$t")"

  start_radosgw
  radosgw-admin user create --uid=rcoi-test --display-name='rcoi tests' \
    --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" >/dev/null
}

cmd_start() {
  local t0 T
  t0=$(now)
  # pg_ctl's -o and ceph.conf take paths unquoted.
  case $DIR in *[[:space:]]*)
    echo "error: DIR must not contain whitespace: '$DIR'" >&2
    exit 1
    ;;
  esac
  if [ -e "$DIR" ] && [ ! -e "$DIR/$MARKER" ] && [ -n "$(ls -A "$DIR")" ]; then
    echo "error: $DIR exists, is not empty and was not made by this script; refusing to use it" >&2
    exit 1
  fi
  mkdir -p "$DIR"
  # The postgres user must pass through DIR to its data dir; `mktemp -d` makes DIR 0700.
  chmod a+x "$DIR"
  DIR=$(cd "$DIR" && pwd -P)
  touch "$DIR/$MARKER"
  if [ "$(status_all | grep -c running)" != 0 ]; then
    echo "services from an earlier start are still running in $DIR: stopping them first"
    stop_all
  fi
  rm -rf "$DIR/pg" "$DIR/redis" "$DIR/ceph" "$DIR/log" "$DIR/env"
  mkdir -p "$DIR/log"
  # On any failure below, stop what did start so no daemon outlives a failed run.
  started=0
  trap '[ $started = 1 ] || { echo "start failed: stopping what was started" >&2; stop_all >&2; }' EXIT

  T=$(now)
  install_missing
  echo "  packages: $(since "$T")"

  read -r PG_PORT REDIS_PORT MON_PORT RGW_PORT <<<"$(free_ports 4)"
  FSID=$(cat /proc/sys/kernel/random/uuid)
  S3_ACCESS_KEY=$(random_hex 10 | tr a-f A-F)
  S3_SECRET_KEY=$(random_hex 20)

  T=$(now)
  start_postgres
  echo "  postgres (port $PG_PORT): $(since "$T")"
  T=$(now)
  start_redis
  echo "  redis (port $REDIS_PORT): $(since "$T")"
  T=$(now)
  start_ceph
  echo "  ceph: radosgw (port $RGW_PORT) up after $(since "$T")"

  umask 077 # env holds the S3 secret key
  cat >"$DIR/env" <<EOF
TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/rcoi_test
TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
TEST_S3_ENDPOINT=127.0.0.1
TEST_S3_PORT=$RGW_PORT
TEST_S3_ACCESS_KEY=$S3_ACCESS_KEY
TEST_S3_SECRET_KEY=$S3_SECRET_KEY
TEST_S3_REGION=default
EOF
  started=1
  echo "services started in $(since "$t0"); settings in $DIR/env"
}

# The ports of DIR's running set, from its env file.
read_ports() {
  local url
  url=$(sed -n 's/^TEST_DATABASE_URL=//p' "$DIR/env")
  PG_PORT=${url##*:}
  PG_PORT=${PG_PORT%%/*}
  url=$(sed -n 's/^TEST_REDIS_URL=//p' "$DIR/env")
  REDIS_PORT=${url##*:}
  RGW_PORT=$(sed -n 's/^TEST_S3_PORT=//p' "$DIR/env")
}

cmd_down() {
  case $1 in
  postgres) stop_service postgres "$DIR/pg/data/postmaster.pid" postgres ;;
  redis) stop_service redis "$DIR/redis/redis.pid" redis-server ;;
  # Only the gateway: the cluster behind it keeps the objects, as a restarted MinIO keeps its disks.
  s3) stop_service radosgw "$DIR/ceph/run/radosgw.pid" radosgw ;;
  *) usage ;;
  esac
}

cmd_up() {
  read_ports
  case $1 in
  postgres) run_postgres ;;
  redis) start_redis ;;
  s3) start_radosgw ;;
  *) usage ;;
  esac
  echo "started $1"
}

cmd_restart() {
  local t
  t=$(now)
  cmd_down "$1"
  # SERVICES_DOWN_SECONDS: how long the outage lasts, so clients are seen to live through it.
  sleep "${SERVICES_DOWN_SECONDS:-0}"
  cmd_up "$1"
  echo "restarted $1 in $(since "$t")"
}

[ "$(id -u)" = 0 ] || {
  echo "error: run as root (apt-get, and PostgreSQL runs as the postgres user)" >&2
  exit 1
}
case ${1:-} in down | up | restart)
  [ $# -eq 3 ] && [ -f "$3/env" ] || usage
  DIR=$(cd "$3" && pwd -P)
  "cmd_$1" "$2"
  exit 0
  ;;
esac
[ $# -eq 2 ] || usage
DIR=$2
case $1 in
start) cmd_start ;;
stop)
  [ -d "$DIR" ] || exit 0
  DIR=$(cd "$DIR" && pwd -P)
  stop_all
  ;;
status)
  [ -d "$DIR" ] && DIR=$(cd "$DIR" && pwd -P)
  status_all
  ;;
*) usage ;;
esac
