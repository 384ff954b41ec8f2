#!/usr/bin/env bash
# wss echo servers side by side, in rounds that alternate between them:
#
#   bash benches/loopback/tls_ab.sh ROUNDS "CONNS DEPTH SIZE" SERVER_BIN [SERVER_BIN ...]
#   e.g. bash benches/loopback/tls_ab.sh 4 "10 16 16" /tmp/old_echo_server target/release/examples/echo_server
#
# Each server binary takes `ADDR --threads 1 --tls CERT KEY` and prints its address (as the
# tether-tokio `echo_server` example does); it is pinned to core 1, the load client
# (`tether bench -k`, built here) to core 0. A self-signed certificate is made with openssl for
# the run. DUR (3s) sets each run's length. Prints one line per run (msgs/s, and messages per
# server CPU-second from /proc), then the mean per server.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=lib.sh
source "$ROOT/benches/loopback/lib.sh"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
cargo build --release --quiet -p tether-cli --manifest-path "$ROOT/Cargo.toml"
BENCH=$TARGET/release/tether
ROUNDS=$1
read -r CONNS DEPTH SIZE <<<"$2"
shift 2
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -keyout "$OUT/key.pem" -out "$OUT/cert.pem" -subj "/CN=localhost" 2>/dev/null
TICK=$(getconf CLK_TCK)
for ((i = 0; i < ROUNDS; i++)); do
    for bin in "$@"; do
        taskset -c 1 "$bin" 127.0.0.1:0 --threads 1 --tls "$OUT/cert.pem" "$OUT/key.pem" >"$OUT/server.out" 2>&1 &
        pid=$!
        addr=$(server_addr "$OUT/server.out" || true)
        read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
        report=$(taskset -c 0 "$BENCH" bench -k "wss://$addr/" -c "$CONNS" -d "$DEPTH" -s "$SIZE" -t "${DUR:-3s}" 2>&1 || true)
        read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        rate=$(grep -m1 'messages/s' <<<"$report" | tr -d , | awk '{print $2}')
        count=$(grep -m1 '^  messages ' <<<"$report" | tr -d , | awk '{print $2}')
        cpu=$((u1 - u0 + s1 - s0))
        echo "$bin msgs_per_s=${rate:-0} per_server_cpu_s=$((${count:-0} * TICK / (cpu > 0 ? cpu : 1)))" | tee -a "$OUT/results"
    done
done
awk '{split($2, r, "="); split($3, c, "="); n[$1]++; rate[$1] += r[2]; cpu[$1] += c[2]}
     END {for (b in n) printf "%-45s mean %12.0f msgs/s  %12.0f per server CPU-s  (%d runs)\n", b, rate[b] / n[b], cpu[b] / n[b], n[b]}' "$OUT/results"
