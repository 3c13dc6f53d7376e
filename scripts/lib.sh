# shellcheck shell=bash
# Helpers sourced by scripts/up, scripts/down, scripts/test and scripts/bench.
#
# Everything here is local to the repository: PostgreSQL and Redis run from
# folders under .data/<profile>/ on 127.0.0.1 only; no system service is
# started or reconfigured. Packages that are missing are installed with apt
# (sudo when not root) and a Python venv in .venv (cargo-lambda, cfn-lint).

set -euo pipefail
shopt -s inherit_errexit

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_ROOT="$ROOT/.data"
VENV="$ROOT/.venv"

# Tool versions, pinned so every machine gets the same ones.
CARGO_LAMBDA_VERSION="${CARGO_LAMBDA_VERSION:-1.9.2}"
CFN_LINT_VERSION="${CFN_LINT_VERSION:-1.51.0}"
MOTO_VERSION="${MOTO_VERSION:-5.2.1}"
SCHEMATHESIS_VERSION="${SCHEMATHESIS_VERSION:-4.32.5}"

# Origins a browser storefront is typically served from in development.
# shellcheck disable=SC2034 # used by scripts/up and scripts/test
DEFAULT_STORE_CORS="http://localhost:8000,http://127.0.0.1:8000,http://localhost:3000,http://localhost:5173"

export PATH="$VENV/bin:$HOME/.cargo/bin:$PATH"

# ---------------------------------------------------------------- output ---

# shellcheck disable=SC2034 # colours are used by the scripts that source this file
if [[ -t 2 ]]; then
  _c_bold=$'\033[1m' _c_blue=$'\033[1;34m' _c_red=$'\033[1;31m' _c_green=$'\033[1;32m' _c_yellow=$'\033[1;33m' _c_off=$'\033[0m'
else
  _c_bold='' _c_blue='' _c_red='' _c_green='' _c_yellow='' _c_off=''
fi

log()  { printf '%s==>%s %s\n' "$_c_blue" "$_c_off" "$*" >&2; }
ok()   { printf '%s ok%s %s\n' "$_c_green" "$_c_off" "$*" >&2; }
warn() { printf '%swarning:%s %s\n' "$_c_yellow" "$_c_off" "$*" >&2; }
die()  { printf '%serror:%s %s\n' "$_c_red" "$_c_off" "$*" >&2; exit 1; }
step() {
  printf '\n%s======== %s ========%s\n' "$_c_bold" "$*" "$_c_off" >&2
}

is_root() { [[ "$(id -u)" == 0 ]]; }

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if is_root; then "$@"; else sudo "$@"; fi
}

# ------------------------------------------------------------- installing ---

_APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null 2>&1 ||
    die "apt-get not found: please install these packages yourself: $*"
  log "installing with apt: $*"
  if [[ $_APT_UPDATED == 0 ]]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    _APT_UPDATED=1
  fi
  # Keep Debian's maintainer scripts from starting the packaged system services
  # (a PostgreSQL cluster on 5432, redis on 6379): we run our own instances.
  # policy-rc.d is only added when none exists, and removed right after.
  local policy=/usr/sbin/policy-rc.d added=0 rc=0
  if [[ ! -e $policy ]]; then
    as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy" && added=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" || rc=$?
  if [[ $added == 1 ]]; then as_root rm -f "$policy"; fi
  [[ $rc == 0 ]] || die "apt-get install $* failed (exit $rc)"
}

# Finds the newest PostgreSQL server bin directory (PG_BIN overrides).
find_pg_bin() {
  if [[ -n ${PG_BIN:-} && -x $PG_BIN/initdb ]]; then echo "$PG_BIN"; return 0; fi
  local d
  # shellcheck disable=SC2012
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  if [[ -n $d && -x $d/initdb ]]; then echo "$d"; return 0; fi
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"; return 0
  fi
  return 1
}

ensure_system_packages() {
  local pkgs=()
  find_pg_bin >/dev/null || pkgs+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || pkgs+=(redis-server)
  command -v curl >/dev/null 2>&1 || pkgs+=(curl ca-certificates)
  if is_root && ! command -v runuser >/dev/null 2>&1; then pkgs+=(util-linux); fi
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then pkgs+=(python3-venv python3-pip); fi
  if ((${#pkgs[@]})); then apt_install "${pkgs[@]}"; fi
  PG_BIN="$(find_pg_bin)" || die "PostgreSQL server binaries (initdb, pg_ctl) not found"
  export PG_BIN
  command -v redis-server >/dev/null || die "redis-server not found"
  command -v redis-cli >/dev/null || apt_install redis-tools
}

ensure_rust() {
  command -v cargo >/dev/null 2>&1 ||
    die "cargo not found: install Rust (https://rustup.rs) first"
  if [[ ${1:-} == lint ]] && command -v rustup >/dev/null 2>&1; then
    local comps=()
    cargo fmt --version >/dev/null 2>&1 || comps+=(rustfmt)
    cargo clippy --version >/dev/null 2>&1 || comps+=(clippy)
    if ((${#comps[@]})); then
      log "adding rustup components: ${comps[*]}"
      rustup component add "${comps[@]}"
    fi
  fi
}

# Creates .venv with the pinned cargo-lambda and moto (the local SQS and SES), and
# cfn-lint (with-cfn-lint) and schemathesis (with-schemathesis) when asked for.
ensure_venv() {
  local want=("cargo-lambda==$CARGO_LAMBDA_VERSION" "moto[server]==$MOTO_VERSION") extra
  for extra in "$@"; do
    case $extra in
      with-cfn-lint) want+=("cfn-lint==$CFN_LINT_VERSION") ;;
      with-schemathesis) want+=("schemathesis==$SCHEMATHESIS_VERSION") ;;
    esac
  done
  if [[ ! -x $VENV/bin/python ]]; then
    log "creating Python venv in .venv"
    python3 -m venv "$VENV"
  fi
  local missing=() spec name version
  for spec in "${want[@]}"; do
    name="${spec%%==*}" version="${spec##*==}"
    name="${name%%[*}"
    if [[ "$("$VENV/bin/python" -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')" != "$version" ]]; then
      missing+=("$spec")
    fi
  done
  if ((${#missing[@]})); then
    log "pip install ${missing[*]} (into .venv)"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q "${missing[@]}"
  fi
  [[ -x $VENV/bin/cargo-lambda ]] || die ".venv/bin/cargo-lambda missing after install"
  [[ -x $VENV/bin/moto_server ]] || die ".venv/bin/moto_server missing after install"
}

# The AWS SAM CLI lives in a venv of its own: it pins a newer cfn-lint, and the
# template is checked with cfn-lint $CFN_LINT_VERSION (newer ones skip the SAM transform).
SAM_VENV="$ROOT/.venv-sam"
SAM_CLI_VERSION="${SAM_CLI_VERSION:-1.170.0}"
ensure_sam_venv() {
  if [[ ! -x $SAM_VENV/bin/python ]]; then
    log "creating Python venv in .venv-sam"
    python3 -m venv "$SAM_VENV"
  fi
  if [[ "$("$SAM_VENV/bin/python" -m pip show aws-sam-cli 2>/dev/null | sed -n 's/^Version: //p')" != "$SAM_CLI_VERSION" ]]; then
    log "pip install aws-sam-cli==$SAM_CLI_VERSION (into .venv-sam)"
    "$SAM_VENV/bin/python" -m pip install --disable-pip-version-check -q "aws-sam-cli==$SAM_CLI_VERSION"
  fi
}

# ------------------------------------------------------------ networking ---

# True when something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints the HTTP status of a GET (000 when nothing answers).
http_status() {
  local url=$1; shift
  curl -s -o /dev/null -m "${HTTP_TIMEOUT:-10}" -w '%{http_code}' "$@" "$url" 2>/dev/null || true
}

# ------------------------------------------------------------ PostgreSQL ---
#
# Layout: <pgroot>/data (cluster), <pgroot>/sock (unix socket), <pgroot>/postgres.log.
# PostgreSQL refuses to run as root; as root the cluster belongs to the
# 'postgres' user and every server command runs through runuser.

# Sets PG_BIN when it is not set yet (steps of scripts/test run in subshells).
need_pg_bin() {
  [[ -n ${PG_BIN:-} ]] || PG_BIN="$(find_pg_bin)" ||
    die "PostgreSQL server binaries not found (install the postgresql package)"
  export PG_BIN
}

pg_run() {
  if is_root; then
    # From /, which 'postgres' can always enter (our cwd may be private).
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Directory for a profile's cluster: .data/<profile>/pg, unless the 'postgres'
# user (as root) cannot reach it (e.g. a clone inside a 0700 mktemp folder) or
# the socket path would be too long; then a folder under /tmp named after the
# repository path is used instead.
pg_root() {
  local profile=$1
  local dir="$DATA_ROOT/$profile/pg"
  mkdir -p "$DATA_ROOT/$profile"
  local reachable=1
  if is_root && ! runuser -u postgres -- test -x "$DATA_ROOT/$profile" 2>/dev/null; then reachable=0; fi
  if ((${#dir} > 80)); then reachable=0; fi
  if [[ $reachable == 0 ]]; then
    local hash
    hash="$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)"
    dir="/tmp/store-pg-$hash/$profile"
  fi
  echo "$dir"
}

pg_is_running() { # pgroot
  need_pg_bin
  [[ -f $1/data/PG_VERSION ]] && pg_run "$PG_BIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

# pg_start PROFILE PORT [fast]: initialises (once) and starts the cluster.
# 'fast' turns off fsync and friends: for throw-away test data only.
pg_start() {
  local profile=$1 port=$2 mode=${3:-}
  local root
  need_pg_bin
  root="$(pg_root "$profile")"
  if pg_is_running "$root"; then
    local running_port
    running_port="$(sed -n 4p "$root/data/postmaster.pid" 2>/dev/null || true)"
    if [[ $running_port == "$port" ]]; then
      ok "PostgreSQL ($profile) already running on 127.0.0.1:$port"
      return 0
    fi
    die "PostgreSQL ($profile) is running on port $running_port, not $port: run scripts/down first"
  fi
  if port_in_use "$port"; then
    die "port $port is taken by another program; set a different port (see --help) or stop it"
  fi
  mkdir -p "$root"
  if is_root; then chown postgres:postgres "$root"; fi
  if [[ ! -f $root/data/PG_VERSION ]]; then
    log "initialising PostgreSQL cluster ($profile) in ${root#"$ROOT/"}/data"
    rm -rf "$root/data"
    pg_run mkdir -p "$root/sock"
    pg_run "$PG_BIN/initdb" -D "$root/data" -U postgres --auth=trust \
      --encoding=UTF8 --locale=C.UTF-8 >"$root/initdb.log" 2>&1 ||
      pg_run "$PG_BIN/initdb" -D "$root/data" -U postgres --auth=trust \
        --encoding=UTF8 --no-locale >"$root/initdb.log" 2>&1 ||
      { cat "$root/initdb.log" >&2; die "initdb failed"; }
    {
      echo "# added by scripts/lib.sh"
      echo "listen_addresses = '127.0.0.1'"
      echo "unix_socket_directories = '$root/sock'"
      echo "max_connections = 200"
      if [[ $mode == fast ]]; then
        echo "fsync = off"
        echo "synchronous_commit = off"
        echo "full_page_writes = off"
      fi
    } | pg_run tee -a "$root/data/postgresql.conf" >/dev/null
  fi
  pg_run mkdir -p "$root/sock"
  log "starting PostgreSQL ($profile) on 127.0.0.1:$port"
  if ! pg_run "$PG_BIN/pg_ctl" -D "$root/data" -l "$root/postgres.log" -w -t 60 \
    -o "-p $port" start >/dev/null; then
    tail -n 30 "$root/postgres.log" >&2 || true
    die "PostgreSQL ($profile) did not start; log: $root/postgres.log"
  fi
  ok "PostgreSQL ($profile) listening on 127.0.0.1:$port"
}

# pg_stop PROFILE [immediate]
pg_stop() {
  local profile=$1 mode=${2:-fast}
  [[ -n ${PG_BIN:-} ]] || PG_BIN="$(find_pg_bin)" || return 0
  local root
  root="$(pg_root "$profile")"
  if pg_is_running "$root"; then
    log "stopping PostgreSQL ($profile)"
    pg_run "$PG_BIN/pg_ctl" -D "$root/data" -m "$mode" -w -t 60 stop >/dev/null ||
      warn "pg_ctl stop failed for $root/data"
  fi
}

# Creates database $3 on 127.0.0.1:$2 when missing.
pg_create_db() {
  local port=$1 db=$2
  local exists
  need_pg_bin
  exists="$("$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAXq \
    -c "select 1 from pg_database where datname = '$db'")"
  if [[ $exists != 1 ]]; then
    log "creating database $db"
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db"
  fi
}

pg_drop_db() {
  local port=$1 db=$2
  need_pg_bin
  "$PG_BIN/dropdb" -h 127.0.0.1 -p "$port" -U postgres --if-exists --force "$db"
}

# ----------------------------------------------------------------- Redis ---

redis_dir() { echo "$DATA_ROOT/$1/redis"; }

redis_pid() { # profile -> pid of a live server started from that folder
  local f pid
  f="$(redis_dir "$1")/redis.pid"
  [[ -f $f ]] || return 1
  pid="$(cat "$f" 2>/dev/null)"
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# redis_start PROFILE PORT [ephemeral]
redis_start() {
  local profile=$1 port=$2 mode=${3:-}
  local dir
  dir="$(redis_dir "$profile")"
  mkdir -p "$dir"
  if redis_pid "$profile" >/dev/null; then
    if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
      ok "Redis ($profile) already running on 127.0.0.1:$port"
      return 0
    fi
    die "Redis ($profile) runs (pid $(redis_pid "$profile")) but not on port $port: run scripts/down first"
  fi
  if port_in_use "$port"; then
    die "port $port is taken by another program; set a different port or stop it"
  fi
  local persist=(--save 3600 1 --appendonly no)
  [[ $mode == ephemeral ]] && persist=(--save "" --appendonly no)
  log "starting Redis ($profile) on 127.0.0.1:$port"
  redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes \
    --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" \
    --logfile "$dir/redis.log" "${persist[@]}" ||
    die "redis-server failed to start; log: $dir/redis.log"
  for _ in $(seq 1 100); do
    if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
      ok "Redis ($profile) listening on 127.0.0.1:$port"
      return 0
    fi
    sleep 0.1
  done
  tail -n 20 "$dir/redis.log" >&2 || true
  die "Redis ($profile) did not answer PING on port $port"
}

redis_stop() {
  local profile=$1 pid
  pid="$(redis_pid "$profile")" || return 0
  log "stopping Redis ($profile)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$(redis_dir "$profile")/redis.pid"
}

# ------------------------------------------------------ cargo lambda watch ---

# write_function_env FILE DATABASE_URL REDIS_URL STORE_CORS RUST_LOG [NAME=VALUE...]
# Writes the env file handed to `cargo lambda watch --env-file` (values are
# written bare: STORE_CORS holds commas, which --env-var would split on).
write_function_env() {
  local file=$1
  mkdir -p "$(dirname "$file")"
  {
    echo "DATABASE_URL=$2"
    echo "REDIS_URL=$3"
    echo "STORE_CORS=$4"
    echo "RUST_LOG=$5"
    shift 5
    local pair
    for pair in "$@"; do echo "$pair"; done
  } >"$file"
}

# merge_env_file TARGET SOURCE: every NAME=VALUE line of SOURCE (comments and blank
# lines skipped) replaces TARGET's line of that NAME, or is added. A line that is not
# NAME=VALUE stops with its line number.
merge_env_file() {
  local target=$1 source=$2 line name n=0
  [[ -f $source ]] || return 0
  while IFS= read -r line || [[ -n $line ]]; do
    n=$((n + 1))
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    [[ $line =~ ^([A-Za-z_][A-Za-z0-9_]*)= ]] ||
      die "${source#"$ROOT/"}:$n: expected NAME=VALUE, got: $line"
    name=${BASH_REMATCH[1]}
    sed -i "/^$name=/d" "$target"
    printf '%s\n' "$line" >>"$target"
  done <"$source"
}

# The environment that points the AWS SDK at moto on 127.0.0.1:$1 and names the
# events queue and the mail addresses (NAME=VALUE lines for write_function_env).
local_aws_env() {
  local port=$1
  echo "AWS_ENDPOINT_URL=http://127.0.0.1:$port"
  echo "AWS_REGION=us-east-1"
  echo "AWS_ACCESS_KEY_ID=test"
  echo "AWS_SECRET_ACCESS_KEY=test"
  echo "EVENTS_QUEUE_URL=http://127.0.0.1:$port/123456789012/store-events"
  echo "MAIL_FROM=shop@example.com"
  echo "MERCHANT_EMAIL=merchant@example.com"
}

# dev_secret FILE: a random secret kept in FILE (created on first use, mode 600), e.g.
# the admin API's JWT_SECRET for local development. Tokens survive restarts.
dev_secret() {
  local file=$1
  if [[ ! -s $file ]]; then
    mkdir -p "$(dirname "$file")"
    (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' >"$file")
  fi
  cat "$file"
}

# ------------------------------------------------------------------ moto ---
#
# moto_server from .venv: SQS and SES on 127.0.0.1 for local development and the
# tests. It keeps everything in memory; sent emails are listed by
# GET /moto-api/data.json (.ses.Message).

moto_dir() { echo "$DATA_ROOT/$1/moto"; }

# moto_start PROFILE PORT
moto_start() {
  local profile=$1 port=$2 dir
  dir="$(moto_dir "$profile")"
  mkdir -p "$dir"
  if [[ -f $dir/moto.pid ]] && kill -0 "$(cat "$dir/moto.pid")" 2>/dev/null; then
    if [[ "$(http_status "http://127.0.0.1:$port/moto-api/data.json")" == 200 ]]; then
      ok "moto ($profile) already running on 127.0.0.1:$port"
      return 0
    fi
    die "moto ($profile) runs but not on port $port: run scripts/down first"
  fi
  if port_in_use "$port"; then
    die "port $port is taken by another program; set a different port or stop it"
  fi
  log "starting moto (SQS, SES) ($profile) on 127.0.0.1:$port"
  setsid "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" </dev/null >"$dir/moto.log" 2>&1 &
  echo $! >"$dir/moto.pid"
  for _ in $(seq 1 150); do
    if [[ "$(http_status "http://127.0.0.1:$port/moto-api/data.json")" == 200 ]]; then
      ok "moto ($profile) listening on 127.0.0.1:$port"
      return 0
    fi
    sleep 0.2
  done
  tail -n 20 "$dir/moto.log" >&2 || true
  die "moto ($profile) did not answer on port $port; log: $dir/moto.log"
}

# Stops a background process recorded in a pid file, and waits for it.
stop_pidfile() { # pidfile name
  local pidf=$1 name=$2 pid
  [[ -f $pidf ]] || return 0
  pid="$(cat "$pidf")"
  rm -f "$pidf"
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    log "stopping $name"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || return 0
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

moto_stop() { stop_pidfile "$(moto_dir "$1")/moto.pid" "moto ($1)"; }

# start_events_poller PROFILE ENV_FILE LOG: runs the events function's local
# poller (`events poll --setup`: creates the queue, its dead-letter queue and the
# sender identity in moto, then feeds queued events to the consumer and runs the
# scheduled tasks) in the background.
start_events_poller() {
  local profile=$1 env_file=$2 logf=$3
  log "starting the events poller (log: ${logf#"$ROOT/"})"
  (
    set -a
    # shellcheck disable=SC1090
    source "$env_file"
    set +a
    exec setsid "$ROOT/target/debug/events" poll --setup </dev/null >"$logf" 2>&1
  ) &
  echo $! >"$DATA_ROOT/$profile/events.pid"
}

stop_events_poller() { stop_pidfile "$DATA_ROOT/$1/events.pid" "events poller ($1)"; }

# wait_for_log FILE TEXT SECONDS: waits until FILE contains TEXT.
wait_for_log() {
  local file=$1 text=$2 timeout=$3 start=$SECONDS
  until grep -qF "$text" "$file" 2>/dev/null; do
    if ((SECONDS - start > timeout)); then
      warn "\"$text\" did not appear in ${file#"$ROOT/"} within ${timeout}s; its last lines:"
      tail -n 20 "$file" >&2 || true
      return 1
    fi
    sleep 0.5
  done
}

# Subjects of the emails moto on port $1 has "sent", one per line.
moto_email_subjects() {
  curl -s -m 10 "http://127.0.0.1:$1/moto-api/data.json" |
    python3 -c 'import json, sys; [print(m["subject"]) for m in json.load(sys.stdin)["ses"]["Message"]]'
}

# wait_for_email PORT TEXT SECONDS: waits until moto holds an email whose subject has TEXT.
wait_for_email() {
  local port=$1 text=$2 timeout=$3 start=$SECONDS
  log "waiting for an email whose subject contains \"$text\" in moto"
  until moto_email_subjects "$port" 2>/dev/null | grep -qF "$text"; do
    if ((SECONDS - start > timeout)); then return 1; fi
    sleep 1
  done
  ok "moto holds: $(moto_email_subjects "$port" | grep -F "$text" | head -1)"
}

# start_watch PROFILE PORT ENV_FILE LOG: serves the store at PORT in the background:
# `cargo lambda watch` on PORT+1 behind the front door (tools/front-door) on PORT, which
# keeps a burst of requests from hanging the emulator and answers in the store's JSON
# error shape what the emulator loses. Both run in a session of their own, so that they
# and every process watch spawns (cargo, the function binaries) can be found and stopped
# together; both log to LOG. FRONT_DOOR_TIMEOUT (seconds, 300) is how long a request may
# wait for its answer. Sets WATCH_PID (the watch process).
start_watch() {
  local profile=$1 port=$2 env_file=$3 logf=$4 inner=$(($2 + 1)) p
  for p in "$port" "$inner"; do
    if port_in_use "$p"; then
      die "port $p is already in use; stop whatever serves it first"
    fi
  done
  (cd "$ROOT" && cargo build -q -p front-door) || die "cargo build -p front-door failed"
  log "starting cargo lambda watch on 127.0.0.1:$inner behind the front door on http://127.0.0.1:$port (log: ${logf#"$ROOT/"})"
  (
    cd "$ROOT"
    # shellcheck disable=SC2016
    exec setsid bash -c '"$1" --listen "127.0.0.1:$2" --upstream "http://127.0.0.1:$3" --timeout "$4" &
      exec cargo lambda watch -A 127.0.0.1 -P "$3" --disable-cors --env-file "$5"' \
      front-door "$ROOT/target/debug/front-door" "$port" "$inner" "${FRONT_DOOR_TIMEOUT:-300}" \
      "$env_file" </dev/null >"$logf" 2>&1
  ) &
  WATCH_PID=$!
  echo "$WATCH_PID" >"$DATA_ROOT/$profile/watch.pid"
}

# Function binaries named in [workspace.metadata.lambda.watch.router].
watch_functions() {
  awk '/^\[/ { inside = ($0 == "[workspace.metadata.lambda.watch.router]"); next }
       inside && /=/ { v = $0; sub(/^[^=]*=[ \t]*"/, "", v); sub(/".*$/, "", v); print v }' \
    "$ROOT/Cargo.toml" | sort -u
}

# Builds each function the way `cargo lambda watch` does (`cargo run --bin NAME`),
# so that its first request does not wait for a compilation.
build_functions() {
  local f
  for f in $(watch_functions); do
    log "cargo build --bin $f"
    (cd "$ROOT" && cargo build --bin "$f")
  done
}

# Every process in the session led by $1 (the watch and its children).
session_pids() {
  ps -eo pid=,sid= | awk -v s="$1" '$2 == s { print $1 }'
}

# stop_watch PROFILE: stops the background watch of that profile and every
# process of its session; waits until they are gone.
stop_watch() {
  local profile=$1 pidf="$DATA_ROOT/$1/watch.pid" pid
  [[ -f $pidf ]] || return 0
  pid="$(cat "$pidf")"
  rm -f "$pidf"
  [[ -n $pid ]] || return 0
  if [[ -z "$(session_pids "$pid")" ]]; then return 0; fi
  log "stopping cargo lambda watch ($profile, session $pid)"
  # SIGINT first, to the whole group as Ctrl-C would: watch stops its functions itself.
  kill -INT -- "-$pid" 2>/dev/null || kill -INT "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    [[ -z "$(session_pids "$pid")" ]] && break
    sleep 0.2
  done
  local left
  left="$(session_pids "$pid")"
  if [[ -n $left ]]; then
    # shellcheck disable=SC2086
    kill -TERM $left 2>/dev/null || true
    sleep 1
    left="$(session_pids "$pid")"
    # shellcheck disable=SC2086
    [[ -z $left ]] || kill -KILL $left 2>/dev/null || true
    sleep 0.2
  fi
  wait "$pid" 2>/dev/null || true
  left="$(session_pids "$pid")"
  [[ -z $left ]] || warn "processes still alive after stopping watch: $left"
}

# wait_http URL TIMEOUT_SECONDS WATCH_PID LOG [curl args...]: polls until the URL
# answers 200. Fails early when the watch process dies.
wait_http() {
  local url=$1 timeout=$2 pid=$3 logf=$4
  shift 4
  local start=$SECONDS status last_note=$SECONDS
  log "waiting for $url to answer 200 (first request compiles the function; up to ${timeout}s)"
  while :; do
    # A long per-request timeout: a request that gives up while the function
    # compiles stays queued in watch and fails later in its log.
    status="$(HTTP_TIMEOUT=60 http_status "$url" "$@")"
    if [[ $status == 200 ]]; then
      ok "$url answered 200 after $((SECONDS - start))s"
      return 0
    fi
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
      warn "cargo lambda watch exited; last lines of its log:"
      tail -n 40 "$logf" >&2 || true
      return 1
    fi
    if ((SECONDS - start > timeout)); then
      warn "timed out after ${timeout}s (last status $status); last lines of the watch log:"
      tail -n 40 "$logf" >&2 || true
      return 1
    fi
    if ((SECONDS - last_note >= 30)); then
      log "still waiting ($((SECONDS - start))s, last status $status)"
      last_note=$SECONDS
    fi
    sleep 2
  done
}

# ------------------------------------------------------------ storefront ---

STOREFRONT_DIR="$ROOT/examples/storefront"

# Installs the storefront's packages (npm ci, when the lock file changed) and builds it
# (react-router build, when its sources changed since the last build).
storefront_build() {
  local dir=$STOREFRONT_DIR sum
  if [[ ! -f $dir/node_modules/.package-lock.json || $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ]]; then
    log "npm ci (examples/storefront)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || return 1
  fi
  sum="$(cd "$dir" && find app package-lock.json react-router.config.ts vite.config.ts tsconfig.json \
    -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)" || return 1
  if [[ -f $dir/build/server/index.js && "$(cat "$dir/build/.sources" 2>/dev/null)" == "$sum" ]]; then
    return 0
  fi
  log "react-router build (examples/storefront)"
  (cd "$dir" && ./node_modules/.bin/react-router build >/dev/null) || return 1
  echo "$sum" >"$dir/build/.sources"
}

# storefront_start PROFILE PORT BACKEND_URL PUBLISHABLE_KEY LOG: serves the built
# storefront (react-router-serve) on 127.0.0.1:PORT in the background, every Store API
# call to BACKEND_URL.
storefront_start() {
  local profile=$1 port=$2 backend=$3 key=$4 logf=$5
  if port_in_use "$port"; then
    die "port $port is already in use; stop whatever serves it first (or choose another port)"
  fi
  log "starting the storefront on http://127.0.0.1:$port (log: ${logf#"$ROOT/"})"
  (
    cd "$STOREFRONT_DIR"
    export PORT="$port" HOST=127.0.0.1 NODE_ENV=production \
      MEDUSA_BACKEND_URL="$backend" MEDUSA_PUBLISHABLE_KEY="$key"
    exec setsid ./node_modules/.bin/react-router-serve ./build/server/index.js </dev/null >"$logf" 2>&1
  ) &
  echo $! >"$DATA_ROOT/$profile/storefront.pid"
}

storefront_stop() { stop_pidfile "$DATA_ROOT/$1/storefront.pid" "storefront ($1)"; }

# ------------------------------------------------------------------- cms ---

CMS_DIR="$ROOT/cms"

# Installs the CMS app's packages (npm ci, when the lock file changed; better-sqlite3 is
# compiled against the installed Node headers, since nodejs.org may be out of reach) and
# builds its admin panel (strapi build, when its config or sources changed).
cms_build() {
  local dir=$CMS_DIR sum prefix
  prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  if [[ -f $prefix/include/node/node.h ]]; then export npm_config_nodedir=$prefix; fi
  export STRAPI_TELEMETRY_DISABLED=true
  if [[ ! -f $dir/node_modules/.package-lock.json || $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ]]; then
    log "npm ci (cms: Strapi 5.54; a few minutes the first time)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || return 1
  fi
  sum="$(cd "$dir" && find config src package-lock.json -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)" ||
    return 1
  if [[ -d $dir/build && "$(cat "$dir/build/.sources" 2>/dev/null)" == "$sum" ]]; then return 0; fi
  log "strapi build (cms: the admin panel)"
  (cd "$dir" && NODE_ENV=production ./node_modules/.bin/strapi build >/dev/null) || return 1
  echo "$sum" >"$dir/build/.sources"
}

# cms_env PROFILE: .data/PROFILE/cms.env, Strapi's secrets, the first admin's login and
# the webhook's secret, made once (random) and kept.
cms_env() {
  local file="$DATA_ROOT/$1/cms.env"
  [[ -f $file ]] && return 0
  mkdir -p "$DATA_ROOT/$1"
  local -a v=()
  for _ in 1 2 3 4 5 6 7 8 9; do v+=("$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"); done
  (
    umask 077
    printf '%s\n' "APP_KEYS=${v[0]},${v[1]}" "API_TOKEN_SALT=${v[2]}" "ADMIN_JWT_SECRET=${v[3]}" \
      "TRANSFER_TOKEN_SALT=${v[4]}" "JWT_SECRET=${v[5]}" "ENCRYPTION_KEY=${v[6]}" \
      "CMS_ADMIN_EMAIL=editor@example.com" "CMS_ADMIN_PASSWORD=Cms-${v[7]:0:12}-9a" \
      "PROXY_WEBHOOK_SECRET=${v[8]}" >"$file"
  )
}

# cms_start PROFILE PORT WEBHOOK_URL LOG: Strapi (production mode) on 127.0.0.1:PORT in
# the background, its SQLite database in .data/PROFILE/cms/; its start-up writes the API
# tokens to .data/PROFILE/cms-tokens.env and points its webhook at WEBHOOK_URL.
cms_start() {
  local profile=$1 port=$2 webhook=$3 logf=$4
  if port_in_use "$port"; then
    die "port $port is already in use; stop whatever serves it first (STORE_CMS_PORT picks another)"
  fi
  mkdir -p "$DATA_ROOT/$profile/cms"
  log "starting Strapi on http://127.0.0.1:$port (log: ${logf#"$ROOT/"})"
  (
    cd "$CMS_DIR"
    set -a
    # shellcheck disable=SC1090
    source "$DATA_ROOT/$profile/cms.env"
    set +a
    # The database path is relative to cms/ (config/database.js joins it to the app folder).
    export HOST=127.0.0.1 PORT="$port" NODE_ENV=production STRAPI_TELEMETRY_DISABLED=true \
      STRAPI_DISABLE_LICENSE_PING=true STRAPI_DISABLE_REMOTE_DATA_TRANSFER=true \
      DATABASE_FILENAME="../.data/$profile/cms/data.db" \
      CMS_TOKENS_FILE="$DATA_ROOT/$profile/cms-tokens.env" PROXY_WEBHOOK_URL="$webhook"
    exec setsid node node_modules/@strapi/strapi/bin/strapi.js start </dev/null >"$logf" 2>&1
  ) &
  echo $! >"$DATA_ROOT/$profile/cms.pid"
}

cms_stop() { stop_pidfile "$DATA_ROOT/$1/cms.pid" "Strapi ($1)"; }

# cms_function_env PROFILE PORT FUNCTION_ENV: hands the running Strapi to the functions:
# its URL, the tokens its start-up wrote, the webhook's secret and the product-content
# fields the product sync fills.
cms_function_env() {
  local profile=$1 port=$2 target=$3 settings="$DATA_ROOT/$1/cms-functions.env"
  {
    echo "STRAPI_URL=http://127.0.0.1:$port"
    cat "$DATA_ROOT/$profile/cms-tokens.env"
    echo "STRAPI_WEBHOOK_SECRET=$(env_file_get "$DATA_ROOT/$profile/cms.env" PROXY_WEBHOOK_SECRET)"
    echo "STRAPI_SYNC_ID_FIELD=commerce_id"
    echo "STRAPI_SYNC_TITLE_FIELD=commerce_title"
  } >"$settings"
  merge_env_file "$target" "$settings"
}

# wait_cms PROFILE PORT LOG: waits until Strapi answers /_health and has written its tokens.
wait_cms() {
  local profile=$1 port=$2 logf=$3 start=$SECONDS pid
  pid="$(cat "$DATA_ROOT/$profile/cms.pid")"
  log "waiting for Strapi (a minute the first time: it makes its tables and the demo content)"
  until [[ "$(http_status "http://127.0.0.1:$port/_health")" == 204 && -s $DATA_ROOT/$profile/cms-tokens.env ]]; do
    if ! kill -0 "$pid" 2>/dev/null || ((SECONDS - start > 300)); then
      warn "Strapi did not come up; last lines of its log:"
      tail -n 30 "$logf" >&2 || true
      return 1
    fi
    sleep 1
  done
  ok "Strapi answers after $((SECONDS - start))s"
}

# ------------------------------------------------------------------ misc ---

# Reads KEY from a KEY=VALUE file.
env_file_get() {
  local file=$1 key=$2
  [[ -f $file ]] || return 1
  sed -n "s/^$key=//p" "$file" | tail -1
}

# warm_functions BASE_URL KEY TIMEOUT_SECONDS: makes the first request to every function
# served by watch (each spawns its instance on first use) and waits until each answers
# (a 4xx, or the content function's 503 without Strapi), so the first real request
# does not race the spawn.
warm_functions() {
  local base=$1 key=$2 timeout=$3 path status start
  for path in /store/regions /store/carts/cart_warmup /store/payment-providers \
    /store/orders/order_warmup /store/customers/me /content/health; do
    start=$SECONDS
    while :; do
      status="$(HTTP_TIMEOUT=60 http_status "$base$path" -H "x-publishable-api-key: $key")"
      # The content routes answer 503 until Strapi is configured: that is an answer.
      [[ $status =~ ^([1-4][0-9][0-9]|503)$ ]] && break
      if ((SECONDS - start > timeout)); then
        warn "$path still answers $status after ${timeout}s"
        return 1
      fi
      sleep 1
    done
  done
  ok "every function answers"
}
