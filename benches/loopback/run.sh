#!/usr/bin/env bash
# Loopback echo benchmark: tether-tokio's `echo_server` example vs echo servers written with
# tokio-tungstenite, fastwebsockets, tokio-websockets, yawc and sockudo-ws (each as its own
# example writes one, plus a write-batching variant where the library allows one), all on a
# current-thread runtime pinned to one core, each driven by the same raw-TCP load client
# (`loadgen`) pinned to another core.
#
#   bash benches/loopback/run.sh            # everything, prints a Markdown report on stdout
#
# Environment (all optional):
#   DURATION=3   measured seconds per run        WARMUP=1   warm-up seconds per run
#   REPEAT=3     runs per (row, server); the median by msgs/s is reported
#   (defaults: 5 rows x 10 servers x 3 runs x ~4.5 s = about 11 minutes, plus the build)
#   ROWS="1x1x16 1x64x16 100x16x16 10x4x64k 1x4x1m"   conns x in-flight x size (k = KiB, m = MiB)
#   BASELINE_ECHO=/path/to/echo_server   adds server "tether-baseline" (an earlier build, for before/after)
#   SERVERS="tether tokio-tungstenite tokio-tungstenite-batched fastwebsockets tokio-websockets
#            tokio-websockets-batched yawc yawc-batched sockudo-ws sockudo-ws-batched"
#     (any subset, in any order; "-batched" = replies queued and written once per read burst)
#   SERVER_CPU=1 CLIENT_CPU=0   cores to pin to (taskset -c)
#   CARGO_TARGET_DIR   respected; otherwise the workspace's target directory
#   REPORT_ONLY=1      no build, no runs: print the report of the last run again
#
# Raw loadgen lines go to stderr and to $TARGET/loopback/results.txt. Every server binds
# 127.0.0.1 on a port the kernel picks (it prints the address), so runs never collide.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=lib.sh
source "$ROOT/benches/loopback/lib.sh"
cd "$ROOT"

DURATION=${DURATION:-3}
WARMUP=${WARMUP:-1}
REPEAT=${REPEAT:-3}
ROWS=${ROWS:-"1x1x16 1x64x16 100x16x16 10x4x64k 1x4x1m"}
SERVERS=${SERVERS:-"tether tokio-tungstenite tokio-tungstenite-batched fastwebsockets tokio-websockets tokio-websockets-batched yawc yawc-batched sockudo-ws sockudo-ws-batched"}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}

if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
    TARGET=$CARGO_TARGET_DIR
else
    TARGET=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
fi
OUT="$TARGET/loopback"
mkdir -p "$OUT"
RESULTS="$OUT/results.txt"
META="$OUT/meta.env"
if [[ -n "${REPORT_ONLY:-}" ]]; then
    # shellcheck disable=SC1090
    source "$META"
else

: >"$RESULTS"
echo "building (release) ..." >&2
cargo build --release --quiet -p tether-tokio --example echo_server >&2
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
        tether) echo "$BIN/examples/echo_server 127.0.0.1:0 --threads 1" ;;
        # An earlier build of the same example, for before/after figures in one run:
        # BASELINE_ECHO=/path/to/echo_server SERVERS="tether tether-baseline" ...
        tether-baseline) echo "${BASELINE_ECHO:?set BASELINE_ECHO to an echo_server binary} 127.0.0.1:0 --threads 1" ;;
        tokio-tungstenite) echo "$BIN/tungstenite_echo 127.0.0.1:0" ;;
        fastwebsockets) echo "$BIN/fastwebsockets_echo 127.0.0.1:0" ;;
        tokio-tungstenite-batched) echo "$BIN/tungstenite_batched_echo 127.0.0.1:0" ;;
        tokio-websockets) echo "$BIN/tokio_websockets_echo 127.0.0.1:0" ;;
        tokio-websockets-batched) echo "$BIN/tokio_websockets_batched_echo 127.0.0.1:0" ;;
        yawc) echo "$BIN/yawc_echo 127.0.0.1:0" ;;
        yawc-batched) echo "$BIN/yawc_batched_echo 127.0.0.1:0" ;;
        sockudo-ws) echo "$BIN/sockudo_ws_echo 127.0.0.1:0" ;;
        sockudo-ws-batched) echo "$BIN/sockudo_ws_batched_echo 127.0.0.1:0" ;;
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

# Starts server $1; sets SERVER_PID and SERVER_ADDR.
start_server() {
    local log="$OUT/server-$1.out"
    : >"$log"
    # shellcheck disable=SC2046
    "${PIN_SERVER[@]}" $(server_cmd "$1") >"$log" 2>>"$OUT/server-$1.err" &
    SERVER_PID=$! # taskset execs the server, so this is the server's own pid
    SERVER_ADDR=$(server_addr "$log") && return 0
    echo "server $1 did not start" >&2
    exit 1
}

# One loadgen run; prints its result line (or a FAILED line).
run_one() { # server conns depth size
    local line
    line=$("${PIN_CLIENT[@]}" "$BIN/loadgen" --addr "$SERVER_ADDR" --label "$1" --conns "$2" \
        --depth "$3" --size "$4" --duration "$DURATION" --warmup "$WARMUP" \
        --server-pid "$SERVER_PID" 2>>"$OUT/loadgen.err") || true
    [[ -n "$line" ]] || line="label=$1 conns=$2 depth=$3 size=$4 FAILED=1 msgs_per_s=0 errors=1"
    echo "$line"
}

LOAD_BEFORE=$(uptime)
START=$(date +%s)

# Row by row, the servers taking turns (a fresh server per run), so the numbers of a row are
# taken within a minute of each other, under the same background load as far as possible.
for row in $ROWS; do
    IFS=x read -r conns depth size <<<"$row"
    for ((r = 0; r < REPEAT; r++)); do
        for server in $SERVERS; do
            start_server "$server"
            line=$(run_one "$server" "$conns" "$depth" "$size")
            stop_server
            echo "row=$row $line" | tee -a "$RESULTS" >&2
        done
    done
done

LOAD_AFTER=$(uptime)
ELAPSED=$(($(date +%s) - START))
declare -p DURATION WARMUP REPEAT ROWS SERVERS PINNING LOAD_BEFORE LOAD_AFTER ELAPSED >"$META"
fi

# ---- report -------------------------------------------------------------------------------
CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
load1() { echo "${1##*load average: }" | cut -d, -f1; }
BUSY=$(awk -v a="$(load1 "$LOAD_BEFORE")" -v b="$(load1 "$LOAD_AFTER")" \
    'BEGIN { print (a > 0.5 || b > 2.5) ? 1 : 0 }')
cat <<EOF
## Loopback echo benchmark

- Command: \`bash benches/loopback/run.sh\` (DURATION=$DURATION s measured after WARMUP=$WARMUP s, REPEAT=$REPEAT; took ${ELAPSED} s)
- Machine: $(nproc) CPUs, ${CPU_MODEL:-unknown CPU}; $(uname -sr)
- Servers: $SERVERS
- Pinning: $PINNING; every server on a current-thread runtime
- Load average before: \`${LOAD_BEFORE##*load average: }\`, after: \`${LOAD_AFTER##*load average: }\`
$( ((BUSY)) && echo "- **PRELIMINARY: the machine was busy** (1-min load average $(load1 "$LOAD_BEFORE") before the run, $(load1 "$LOAD_AFTER") after, on $(nproc) CPUs; the benchmark itself adds ~2). Other processes shared the pinned cores: see the CPU columns, which read ~1.00 for the saturated side on a quiet machine.")
- Messages are binary, pre-masked, echoed payload checked byte for byte. MiB/s is echoed payload in
  one direction. Latency: from queueing a message to reading its echo (µs). CPU: share of one
  core used by the server / the load client over the measured window.

EOF

# The median run (by msgs/s) of each (row, server), then the tables.
awk -v rows="$ROWS" -v servers="$SERVERS" '
function kv(line, key,   n, i, parts, f) {
    n = split(line, parts, " ")
    for (i = 1; i <= n; i++) { split(parts[i], f, "="); if (f[1] == key) return f[2] }
    return ""
}
function eff(line,   c) {
    c = kv(line, "server_cpu")
    return (c ~ /^[0-9.]+$/ && c + 0 > 0) ? kv(line, "msgs_per_s") / c : 0
}
function fmt_int(x,   s, out) {
    s = sprintf("%.0f", x); out = ""
    while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
    return s out
}
{
    key = kv($0, "row") SUBSEP kv($0, "label")
    n[key]++; runs[key, n[key]] = $0
}
END {
    nr = split(rows, R, " "); ns = split(servers, S, " ")
    for (i = 1; i <= nr; i++) for (j = 1; j <= ns; j++) {
        key = R[i] SUBSEP S[j]
        if (!(key in n)) continue
        # sort runs by msgs/s (insertion sort), take the median
        m = n[key]
        for (a = 1; a <= m; a++) { v[a] = kv(runs[key, a], "msgs_per_s") + 0; idx[a] = a }
        for (a = 2; a <= m; a++) for (b = a; b > 1 && v[idx[b]] < v[idx[b-1]]; b--) { t = idx[b]; idx[b] = idx[b-1]; idx[b-1] = t }
        med[key] = runs[key, idx[int((m + 1) / 2)]]
        errs = 0; for (a = 1; a <= m; a++) errs += kv(runs[key, a], "errors")
        errsum[key] = errs
    }
    print "| Row (conns × in flight × size) | Server | msgs/s | MiB/s | p50 µs | p99 µs | errors | server CPU | client CPU | msgs per server CPU-s | tether ÷ this |"
    print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= nr; i++) {
        split(R[i], P, "x")
        sz = P[3]
        if (sz ~ /[kK]$/) sz = substr(sz, 1, length(sz) - 1) " KiB"
        else if (sz ~ /[mM]$/) sz = substr(sz, 1, length(sz) - 1) " MiB"
        else sz = sz " B"
        label = P[1] " × " P[2] " × " sz
        if (R[i] ~ /^1x1x/) label = label " (latency)"
        tkey = R[i] SUBSEP "tether"
        t = (tkey in med) ? kv(med[tkey], "msgs_per_s") + 0 : 0
        best = 0
        for (j = 1; j <= ns; j++) if (S[j] != "tether" && (R[i] SUBSEP S[j]) in med) {
            x = kv(med[R[i] SUBSEP S[j]], "msgs_per_s") + 0; if (x > best) { best = x; bestname = S[j] }
        }
        for (j = 1; j <= ns; j++) {
            key = R[i] SUBSEP S[j]
            if (!(key in med)) continue
            line = med[key]; x = kv(line, "msgs_per_s") + 0
            if (S[j] == "tether") ratio = (best > 0) ? sprintf("**%.2f× best peer**", t / best) : "–"
            else ratio = (x > 0 && t > 0) ? sprintf("%.2f×", t / x) : "–"
            if (kv(line, "FAILED") != "") { printf "| %s | %s | FAILED | | | | %d | | | | |\n", label, S[j], errsum[key]; continue }
            e = eff(line)
            printf "| %s | %s | %s | %s | %s | %s | %d | %s | %s | %s | %s |\n", label, S[j], fmt_int(x),
                kv(line, "mib_per_s"), kv(line, "p50_us"), kv(line, "p99_us"), errsum[key],
                kv(line, "server_cpu"), kv(line, "client_cpu"), (e > 0 ? fmt_int(e) : "na"), ratio
            label = ""
        }
    }
    print ""
    print "| Row | tether msgs/s | best peer | tether ÷ best peer | tether ÷ tokio-tungstenite | tether ÷ fastwebsockets | p50 tether ÷ best peer p50 | per server CPU-s: tether ÷ best peer |"
    print "|---|---:|---|---:|---:|---:|---:|---:|"
    for (i = 1; i <= nr; i++) {
        tkey = R[i] SUBSEP "tether"
        if (!(tkey in med)) continue
        t = kv(med[tkey], "msgs_per_s") + 0; tp50 = kv(med[tkey], "p50_us") + 0
        best = 0; bestname = "–"; bp50 = 0; beff = 0; teff = eff(med[tkey])
        for (j = 1; j <= ns; j++) if (S[j] != "tether" && (R[i] SUBSEP S[j]) in med) {
            x = kv(med[R[i] SUBSEP S[j]], "msgs_per_s") + 0
            if (x > best) { best = x; bestname = S[j]; bp50 = kv(med[R[i] SUBSEP S[j]], "p50_us") + 0 }
            if (eff(med[R[i] SUBSEP S[j]]) > beff) beff = eff(med[R[i] SUBSEP S[j]])
        }
        r1 = ((R[i] SUBSEP "tokio-tungstenite") in med) ? kv(med[R[i] SUBSEP "tokio-tungstenite"], "msgs_per_s") + 0 : 0
        r2 = ((R[i] SUBSEP "fastwebsockets") in med) ? kv(med[R[i] SUBSEP "fastwebsockets"], "msgs_per_s") + 0 : 0
        printf "| %s%s | %s | %s | %s | %s | %s | %s | %s |\n", R[i], (R[i] ~ /^1x1x/ ? " (latency)" : ""), fmt_int(t), bestname,
            (best > 0 ? sprintf("%.2f×", t / best) : "–"),
            (r1 > 0 ? sprintf("%.2f×", t / r1) : "–"), (r2 > 0 ? sprintf("%.2f×", t / r2) : "–"),
            (bp50 > 0 ? sprintf("%.2f", tp50 / bp50) : "–"),
            (beff > 0 && teff > 0 ? sprintf("%.2f×", teff / beff) : "–")
    }
    # The three figures of every server side by side, one table each (median run per row).
    for (t = 1; t <= 3; t++) {
        print ""
        if (t == 1) print "**msgs/s** (median run)"
        else if (t == 2) print "**server CPU %** (share of one core over the measured window, same run)"
        else print "**msgs per server CPU-second** (msgs/s ÷ server CPU share, same run)"
        print ""
        head = "| Server |"; rule = "|---|"
        for (i = 1; i <= nr; i++) { head = head " " R[i] " |"; rule = rule "---:|" }
        print head; print rule
        for (j = 1; j <= ns; j++) {
            row = "| " S[j] " |"
            for (i = 1; i <= nr; i++) {
                key = R[i] SUBSEP S[j]; cell = "–"
                if ((key in med) && kv(med[key], "FAILED") == "") {
                    c = kv(med[key], "server_cpu")
                    if (t == 1) cell = fmt_int(kv(med[key], "msgs_per_s") + 0)
                    else if (t == 2) cell = (c ~ /^[0-9.]+$/) ? sprintf("%.0f", c * 100) : "na"
                    else cell = (eff(med[key]) > 0) ? fmt_int(eff(med[key])) : "na"
                }
                row = row " " cell " |"
            }
            print row
        }
    }
}' "$RESULTS"

cat <<EOF

Raw results: \`$RESULTS\`. The bar (issue 4): tether ≥ 1.25× the best peer in the rows
100x16x16, 10x4x64k and 1x4x1m (the other two rows are here for context). Ratios are of msgs/s (the same as of MiB/s: same sizes). A client CPU near
1.00 means the row measured the load client, not the server. "msgs per server CPU-s" (msgs/s ÷
server CPU share) is the steadier figure on a shared machine, though not immune: a starved server
finds more input waiting per wake-up and so batches more.
EOF
