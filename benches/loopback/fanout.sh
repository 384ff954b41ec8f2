#!/usr/bin/env bash
# Loopback fan-out benchmark: tether-tokio's `hub_server` example (the Hub: each message
# encoded once, queued on every subscriber; with `publish_batch`, and with `publish` per
# message) vs two tokio-tungstenite broadcast servers (a
# `tokio::sync::broadcast` channel feeding each connection's write half: one `send` per message,
# or `feed` + one `flush` when no more is queued), each on a current-thread runtime pinned to one
# core, driven by the same raw-TCP load client (`fanout_load`) pinned to another core.
#
#   bash benches/loopback/fanout.sh          # everything, prints a Markdown report on stdout
#
# The load client opens N subscribers that only read and P publishers that each keep D messages
# in flight (a message is done when its copy comes back to its publisher; every connection gets
# every message). Rows are subscribers x size x depth:
#
#   plain rows (ROWS): the three servers;
#   the deflate row (DEFLATE_ROW): every connection offers permessage-deflate with
#     server_no_context_takeover, 1 KiB JSON text: tether's hub (compressed once per message)
#     against tether without the hub (`--per-connection`: try_send to each connection, which
#     compresses for itself); tokio-tungstenite has no permessage-deflate;
#   the slow row (SLOW_ROW): SLOW of the subscribers never read; the three servers.
#
# Environment (all optional):
#   DURATION=3 WARMUP=1 REPEAT=3 (median run by deliveries per server CPU-second reported,
#     and tether's ratio to each server round by round: median and range)
#   PUBLISHERS=1
#   ROWS="100x16x1 100x16x16 100x1kx1 100x1kx16 1000x16x1 ... 10000x1kx16" (the 12 of N x size x depth)
#   DEFLATE_ROW="1000x1kx16"   SLOW_ROW="1000x1kx16"   SLOW=10   (empty: skip that row)
#   SERVERS="tether tether-one-by-one tokio-tungstenite tokio-tungstenite-batched"
#     (tether: each connection publishes what it received with `Hub::publish_batch`, a burst
#     at a time; tether-one-by-one: `Hub::publish` per message; tether-baseline: the
#     hub_server binary in BASELINE_HUB, e.g. one built from an earlier commit)
#   HUB_ARGS="" extra arguments for hub_server (e.g. "--queue-messages 256 --queue-bytes 1048576")
#   SERVER_CPU=1 CLIENT_CPU=0   cores to pin to (taskset -c)
#   CARGO_TARGET_DIR respected;  REPORT_ONLY=1: print the report of the last run again
#
# Raw lines go to stderr and to $TARGET/loopback/fanout-results.txt. 10 000 subscribers need
# 10 000 descriptors in the server and in the client: the script raises its open-file limit to
# the hard limit (both inherit it; the client also raises its own).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=lib.sh
source "$ROOT/benches/loopback/lib.sh"
cd "$ROOT"

DURATION=${DURATION:-3}
WARMUP=${WARMUP:-1}
REPEAT=${REPEAT:-3}
PUBLISHERS=${PUBLISHERS:-1}
ROWS=${ROWS:-"100x16x1 100x16x16 100x1kx1 100x1kx16 1000x16x1 1000x16x16 1000x1kx1 1000x1kx16 10000x16x1 10000x16x16 10000x1kx1 10000x1kx16"}
DEFLATE_ROW=${DEFLATE_ROW-1000x1kx16}
SLOW_ROW=${SLOW_ROW-1000x1kx16}
SLOW=${SLOW:-10}
SERVERS=${SERVERS:-"tether tether-one-by-one tokio-tungstenite tokio-tungstenite-batched"}
HUB_ARGS=${HUB_ARGS:-}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}

if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
    TARGET=$CARGO_TARGET_DIR
else
    TARGET=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
fi
OUT="$TARGET/loopback"
mkdir -p "$OUT"
RESULTS="$OUT/fanout-results.txt"
META="$OUT/fanout-meta.env"
if [[ -n "${REPORT_ONLY:-}" ]]; then
    # shellcheck disable=SC1090
    source "$META"
else

ulimit -n "$(ulimit -Hn)"
: >"$RESULTS"
echo "building (release) ..." >&2
cargo build --release --quiet -p tether-tokio --example hub_server >&2
cargo build --release --quiet -p tether-loopback --bins >&2
BIN="$TARGET/release"

if command -v taskset >/dev/null && (($(nproc) > 1)); then
    PIN_SERVER=(taskset -c "$SERVER_CPU")
    PIN_CLIENT=(taskset -c "$CLIENT_CPU")
    PINNING="server on core $SERVER_CPU, load client on core $CLIENT_CPU (taskset)"
else
    PIN_SERVER=()
    PIN_CLIENT=()
    PINNING="NOT pinned (taskset missing or a single CPU)"
fi

server_cmd() {
    case "$1" in
        tether) echo "$BIN/examples/hub_server 127.0.0.1:0 $HUB_ARGS" ;;
        tether-one-by-one) echo "$BIN/examples/hub_server 127.0.0.1:0 --one-by-one $HUB_ARGS" ;;
        tether-per-connection) echo "$BIN/examples/hub_server 127.0.0.1:0 --per-connection" ;;
        tether-baseline) echo "${BASELINE_HUB:?BASELINE_HUB must name a hub_server binary} 127.0.0.1:0 $HUB_ARGS" ;;
        tokio-tungstenite) echo "$BIN/tungstenite_broadcast 127.0.0.1:0" ;;
        tokio-tungstenite-batched) echo "$BIN/tungstenite_batched_broadcast 127.0.0.1:0" ;;
        *) echo "unknown server $1" >&2; exit 2 ;;
    esac
}

SERVER_PID=
stop_server() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
}
trap stop_server EXIT

start_server() {
    local log="$OUT/fanout-server-$1.out"
    : >"$log"
    # shellcheck disable=SC2046
    "${PIN_SERVER[@]}" $(server_cmd "$1") >"$log" 2>>"$OUT/fanout-server-$1.err" &
    SERVER_PID=$!
    SERVER_ADDR=$(server_addr "$log") && return 0
    echo "server $1 did not start" >&2
    exit 1
}

# One run: kind (plain|deflate|slow), server, row; prints the result line.
run_one() {
    local kind=$1 server=$2 row=$3 subs size depth line extra=()
    IFS=x read -r subs size depth <<<"$row"
    case "$kind" in
        deflate) extra=(--deflate) ;;
        slow) extra=(--slow "$SLOW") ;;
    esac
    start_server "$server"
    line=$("${PIN_CLIENT[@]}" "$BIN/fanout_load" --addr "$SERVER_ADDR" --label "$server" \
        --subscribers "$subs" --publishers "$PUBLISHERS" --depth "$depth" --size "$size" \
        --duration "$DURATION" --warmup "$WARMUP" --server-pid "$SERVER_PID" "${extra[@]}" \
        2>>"$OUT/fanout_load.err") || true
    stop_server
    [[ -n "$line" ]] || line="label=$server FAILED=1 errors=1"
    echo "kind=$kind row=$row $line" | tee -a "$RESULTS" >&2
}

LOAD_BEFORE=$(uptime)
START=$(date +%s)
# The servers' order rotates from round to round, so none always runs first.
read -r -a SERVER_LIST <<<"$SERVERS"
rotated() {
    local n=${#SERVER_LIST[@]} i
    for ((i = 0; i < n; i++)); do echo "${SERVER_LIST[$(((i + $1) % n))]}"; done
}
for ((r = 0; r < REPEAT; r++)); do
    for row in $ROWS; do
        for server in $(rotated "$r"); do run_one plain "$server" "$row"; done
    done
    if [[ -n "$DEFLATE_ROW" ]]; then
        for server in tether tether-per-connection; do run_one deflate "$server" "$DEFLATE_ROW"; done
    fi
    if [[ -n "$SLOW_ROW" ]]; then
        for server in $(rotated "$r"); do run_one slow "$server" "$SLOW_ROW"; done
    fi
done
LOAD_AFTER=$(uptime)
ELAPSED=$(($(date +%s) - START))
declare -p DURATION WARMUP REPEAT PUBLISHERS ROWS DEFLATE_ROW SLOW_ROW SLOW SERVERS HUB_ARGS PINNING LOAD_BEFORE LOAD_AFTER ELAPSED >"$META"
fi

# ---- report -------------------------------------------------------------------------------
CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
cat <<EOF
## Loopback fan-out benchmark

- Command: \`bash benches/loopback/fanout.sh\` (DURATION=$DURATION s measured after WARMUP=$WARMUP s, REPEAT=$REPEAT, PUBLISHERS=$PUBLISHERS${HUB_ARGS:+, HUB_ARGS="$HUB_ARGS"}; took ${ELAPSED} s)
- Machine: $(nproc) CPUs, ${CPU_MODEL:-unknown CPU}; $(uname -sr)
- Pinning: $PINNING; every server on a current-thread runtime
- Load average before: \`${LOAD_BEFORE##*load average: }\`, after: \`${LOAD_AFTER##*load average: }\`
- Rows: subscribers × message size × messages in flight per publisher. Deliveries: messages
  read by every connection (subscribers and publishers). Latency: from sending to reading, at
  every reader (deflate row: at the publishers, which inflate). Efficiency: deliveries per
  second of server CPU (deliveries/s ÷ server CPU share), the figure the bars are about. Lost:
  messages a reader never got (a sequence number skipped). RSS: the server's peak.

EOF

awk -v servers="$SERVERS" '
function kv(line, key,   n, i, parts, f) {
    n = split(line, parts, " ")
    for (i = 1; i <= n; i++) { split(parts[i], f, "="); if (f[1] == key) return f[2] }
    return ""
}
function eff(line,   c) {
    c = kv(line, "server_cpu")
    return (c ~ /^[0-9.]+$/ && c + 0 > 0) ? kv(line, "deliveries_per_s") / c : 0
}
# tether ÷ server ks, round by round (the k-th run of each was taken in the same round, within
# seconds of each other): "median (lowest–highest)" of the per-round ratios of efficiency.
function paired(kt, ks,   m, a, b, c, x, y, t, r, mid) {
    m = (n[kt] < n[ks]) ? n[kt] : n[ks]; c = 0
    for (a = 1; a <= m; a++) { x = eff(runs[kt, a]); y = eff(runs[ks, a]); if (x > 0 && y > 0) r[++c] = x / y }
    if (c == 0) return "–"
    for (a = 2; a <= c; a++) for (b = a; b > 1 && r[b] < r[b-1]; b--) { t = r[b]; r[b] = r[b-1]; r[b-1] = t }
    mid = (c % 2) ? r[(c + 1) / 2] : (r[c / 2] + r[c / 2 + 1]) / 2
    return sprintf("%.2f (%.2f–%.2f)", mid, r[1], r[c])
}
function fmt_int(x,   s, out) {
    s = sprintf("%.0f", x); out = ""
    while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
    return s out
}
{
    key = kv($0, "kind") SUBSEP kv($0, "row") SUBSEP kv($0, "label")
    if (!(key in n)) { order[++keys] = key }
    n[key]++; runs[key, n[key]] = $0
}
END {
    # The median run of each (kind, row, server) by efficiency.
    for (k = 1; k <= keys; k++) {
        key = order[k]; m = n[key]
        for (a = 1; a <= m; a++) { v[a] = eff(runs[key, a]); idx[a] = a }
        for (a = 2; a <= m; a++) for (b = a; b > 1 && v[idx[b]] < v[idx[b-1]]; b--) { t = idx[b]; idx[b] = idx[b-1]; idx[b-1] = t }
        med[key] = runs[key, idx[int((m + 1) / 2)]]
    }
    print "| Kind | Row | Server | deliveries/s | per subscriber/s | published/s | p50 ms | p99 ms | server CPU | client CPU | deliveries per server CPU-s | tether ÷ this | tether ÷ this, per round | peak RSS MiB | lost | errors |"
    print "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|"
    for (k = 1; k <= keys; k++) {
        key = order[k]; split(key, K, SUBSEP)
        if (K[3] != "tether") continue
        # every server of this (kind, row), tether first
        list = "tether"
        for (j = 1; j <= keys; j++) { split(order[j], J, SUBSEP); if (J[1] == K[1] && J[2] == K[2] && J[3] != "tether") list = list " " J[3] }
        ns = split(list, S, " ")
        te = eff(med[key])
        label = K[1] " | " K[2]
        for (s = 1; s <= ns; s++) {
            line = med[K[1] SUBSEP K[2] SUBSEP S[s]]
            if (kv(line, "FAILED") != "") { printf "| %s | %s | FAILED | | | | | | | | | | | | | |\n", label, S[s]; label = " | "; continue }
            e = eff(line)
            ratio = (S[s] == "tether") ? "–" : ((e > 0 && te > 0) ? sprintf("**%.2f×**", te / e) : "–")
            per_round = (S[s] == "tether") ? "–" : paired(key, K[1] SUBSEP K[2] SUBSEP S[s])
            printf "| %s | %s | %s | %s | %s | %.2f | %.2f | %s | %s | %s | %s | %s | %s | %s | %s |\n", label, S[s],
                fmt_int(kv(line, "deliveries_per_s")), fmt_int(kv(line, "per_subscriber")), fmt_int(kv(line, "published_per_s")),
                kv(line, "p50_us") / 1000, kv(line, "p99_us") / 1000, kv(line, "server_cpu"), kv(line, "client_cpu"),
                (e > 0 ? fmt_int(e) : "na"), ratio, per_round, kv(line, "server_peak_rss_mib"), kv(line, "lost"), kv(line, "errors")
            label = " | "
        }
    }
}' "$RESULTS"

cat <<EOF

Raw results: \`$RESULTS\`. The bars (issue 13), on deliveries per server CPU-second: at 1 000
subscribers with 16 in flight, tether ≥ 2× tokio-tungstenite and ≥ 1.25× its batched variant;
at depth 1 ≥ 1.0× the best peer; deflate row ≥ 5× per-connection compression; slow row: server
peak RSS below 64 MiB plus the configured queue bounds, the other subscribers at their rate
(compare "per subscriber/s" with the plain row of the same shape).
EOF
