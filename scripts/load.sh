#!/usr/bin/env bash
# Load test of the live portal (`klts serve`) with wrk.
#
#   scripts/load.sh [WORKSPACE]
#
# Builds the release binary, starts `klts serve` on 127.0.0.1 (with WORKSPACE, or with an
# empty directory: embedded lifecycle and advisories only), waits until it answers, runs
# `wrk -t2 -c32 -d10s` against `/` and `/api/v1/advisories.json`, prints requests/sec and
# errors for each, and stops the server. Installs nothing.
#
# Environment: PORT (default: a free one), THREADS (2), CONNECTIONS (32), DURATION (10s),
# CARGO_TARGET_DIR (where the binary is built), KLTS_BIN (use this binary, skip the build).
set -euo pipefail
cd "$(dirname "$0")/.."

THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-10s}
PATHS=(/ /api/v1/advisories.json)

if ! command -v wrk >/dev/null 2>&1; then
  echo "load.sh: wrk is not installed; on Debian/Ubuntu: apt-get install wrk" >&2
  exit 2
fi

if [ -n "${KLTS_BIN:-}" ]; then
  BIN=$KLTS_BIN
else
  echo "== building the release binary"
  cargo build --release --locked -p klts >&2
  BIN="${CARGO_TARGET_DIR:-target}/release/klts"
fi
[ -x "$BIN" ] || { echo "load.sh: no klts binary at $BIN" >&2; exit 2; }

SCRATCH=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

if [ $# -ge 1 ]; then
  WORKSPACE=$(cd "$1" && pwd)
else
  WORKSPACE=$SCRATCH/empty-workspace
  mkdir -p "$WORKSPACE"
fi

# Is something answering on 127.0.0.1:$1? (bash's /dev/tcp: no curl needed)
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [ -z "${PORT:-}" ]; then
  for _ in $(seq 50); do
    PORT=$((20000 + RANDOM % 40000))
    listening "$PORT" || break
  done
fi
listening "$PORT" && { echo "load.sh: port $PORT is in use" >&2; exit 2; }

# The status code of GET $1 (000 when nothing answers).
status_of() {
  local line
  line=$( { exec 3<>"/dev/tcp/127.0.0.1/$PORT" &&
            printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$1" >&3 &&
            timeout 30 head -n1 <&3; } 2>/dev/null ) || true
  line=${line#HTTP/1.1 }
  echo "${line:0:3}" | grep -E '^[0-9]{3}$' || echo 000
}

echo "== starting: $BIN --workspace $WORKSPACE serve --addr 127.0.0.1:$PORT"
"$BIN" --workspace "$WORKSPACE" serve --addr "127.0.0.1:$PORT" >"$SCRATCH/server.log" 2>&1 &
SERVER_PID=$!

# Wait (at most 120 s) until it answers 200: 503 means the first build is still running.
ready=0
for _ in $(seq 1200); do
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "load.sh: the server exited:" >&2; cat "$SCRATCH/server.log" >&2; exit 1; }
  if [ "$(status_of /)" = 200 ]; then ready=1; break; fi
  sleep 0.1
done
[ $ready = 1 ] || { echo "load.sh: the server did not answer 200 in 120 s" >&2; cat "$SCRATCH/server.log" >&2; exit 1; }
for p in "${PATHS[@]}"; do
  s=$(status_of "$p")
  [ "$s" = 200 ] || { echo "load.sh: GET $p answered $s" >&2; exit 1; }
done

summary=()
for p in "${PATHS[@]}"; do
  url="http://127.0.0.1:$PORT$p"
  echo "== wrk -t$THREADS -c$CONNECTIONS -d$DURATION $url"
  out=$(timeout 120 wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url")
  echo "$out"
  rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  socket=$(echo "$out" | awk -F'Socket errors: ' '/Socket errors/ {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx or 3xx responses/ {print $NF}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  summary+=("$(printf '%-28s %12s req/s  %9s requests  p99 %-9s  non-2xx/3xx: %s  socket errors: %s' \
    "$p" "${rps:-?}" "${requests:-?}" "${p99:-?}" "${non2xx:-0}" "${socket:-none}")")
done

kill -0 "$SERVER_PID" 2>/dev/null || { echo "load.sh: the server died under load:" >&2; cat "$SCRATCH/server.log" >&2; exit 1; }
echo
echo "== summary ($THREADS threads, $CONNECTIONS connections, $DURATION each; workspace: ${1:-none})"
printf '%s\n' "${summary[@]}"
