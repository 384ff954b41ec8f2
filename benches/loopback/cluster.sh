#!/usr/bin/env bash
# Cluster fan-out benchmark of `tether serve --mode broadcast`: one process with all the subscribers,
# against two processes joined through Redis (`--redis`) with half of them each. The load
# client (`cluster_load`, raw TCP through mio) holds every subscriber and one publisher (on the first
# server), and times each delivery from the publisher's write to the subscriber's read.
#
#   bash benches/loopback/cluster.sh        # prints a Markdown table on stdout
#
# Rows: `rateR` publishes RATE messages/s (open loop: latency at a set load), `windowW` keeps
# WINDOW messages not yet read by every subscriber (closed loop: the most the servers deliver).
# Setups: one process on one runtime thread, one process on two, two processes (one thread
# each) on Redis.
# Environment (all optional):
#   SUBSCRIBERS=2000  in total (split evenly over the servers)   SIZE=64   payload bytes
#   RATE=50   messages/s of the latency rows                     WINDOW=4
#   DURATION=5  WARMUP=2  seconds                                REDIS_SERVER=redis-server
# Nothing is pinned: Redis, the servers and the client share the machine's cores.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
SUBSCRIBERS=${SUBSCRIBERS:-2000}
SIZE=${SIZE:-64}
RATE=${RATE:-50}
WINDOW=${WINDOW:-4}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-2}
REDIS_SERVER=${REDIS_SERVER:-redis-server}

if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
    TARGET=$CARGO_TARGET_DIR
else
    TARGET=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
fi
echo "building (release) ..." >&2
cargo build --release --quiet -p tether-cli -p tether-loopback --bin tether --bin cluster_load >&2
BIN="$TARGET/release"
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Redis on a free port, no persistence.
REDIS_PORT=$(free_port)
"$REDIS_SERVER" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$WORK" --logfile "$WORK/redis.log" &
REDIS_PID=$!
PIDS+=("$REDIS_PID")
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" && printf 'PING\r\n' >&3 && head -c 7 <&3 | grep -q PONG) 2>/dev/null && break
    sleep 0.05
done
REDIS_URL="redis://127.0.0.1:$REDIS_PORT/"

# Starts `tether serve --mode broadcast ARGS` on a free port; sets ADDR and SERVER_PID.
serve() {
    local out="$WORK/serve.$RANDOM"
    RUST_LOG=warn "$BIN/tether" serve --listen 127.0.0.1:0 --mode broadcast "$@" >"$out" 2>"$out.err" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    for _ in $(seq 200); do
        ADDR=$(sed -n 's|.*listening on ws://\([^/]*\)/.*|\1|p' "$out")
        [[ -n "$ADDR" ]] && return
        sleep 0.05
    done
    echo "tether serve did not start: $(cat "$out.err")" >&2
    exit 1
}

stop() {
    for pid in "$@"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
}

row() { # name processes threads mode-args...
    local name=$1 processes=$2 threads=$3
    shift 3
    local addrs=() pids=()
    for _ in $(seq "$processes"); do
        if ((processes > 1)); then
            serve --threads "$threads" --redis "$REDIS_URL"
        else
            serve --threads "$threads"
        fi
        addrs+=("$ADDR")
        pids+=("$SERVER_PID")
    done
    local watched
    watched=$(IFS=,; echo "${pids[*]}")
    ((processes > 1)) && watched="$watched,$REDIS_PID"
    local line
    line=$("$BIN/cluster_load" --servers "$(IFS=,; echo "${addrs[*]}")" \
        --subscribers $((SUBSCRIBERS / processes)) --size "$SIZE" \
        --duration "$DURATION" --warmup "$WARMUP" --pids "$watched" --label "$name" "$@") || true
    echo "$line" >&2
    stop "${pids[@]}"
    local get
    get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$(get mode)" "$(get msgs_per_s)" \
        "$(get deliveries_per_s)" "$(get p50_us)" "$(get p99_us)" "$(get missing)" "$(get cpu_pct)"
}

echo "| setup | load | messages/s | deliveries/s | p50 µs | p99 µs | missing | CPU % (servers[, redis]) |"
echo "|---|---|---:|---:|---:|---:|---:|---|"
for load in "--rate $RATE" "--window $WINDOW"; do
    # shellcheck disable=SC2086
    {
        row "1 process × $SUBSCRIBERS" 1 1 $load
        row "1 process × $SUBSCRIBERS, 2 threads" 1 2 $load
        row "2 processes × $((SUBSCRIBERS / 2)), Redis" 2 1 $load
    }
done
echo
echo "($SIZE-byte messages; ${DURATION} s measured after ${WARMUP} s; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores)"
