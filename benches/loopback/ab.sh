#!/usr/bin/env bash
# Before/after of echo servers in rounds whose order rotates (so no server always runs first),
# with an A/A control when a binary is given twice under two names:
#
#   bash benches/loopback/ab.sh ROUNDS "CONNS DEPTH SIZE" SERVER_BIN [SERVER_BIN ...]
#   e.g. cp old/echo_server /tmp/old_copy
#        bash benches/loopback/ab.sh 12 "100 16 16" /tmp/old /tmp/old_copy target/release/examples/echo_server
#
# Each server binary takes `ADDR --threads 1` and prints its address (as the echo examples do);
# it is pinned to core 1, `loadgen` (built by run.sh) to core 0. DUR (2) and WARM (0.5) set the
# seconds of each run. Prints per server: the median msgs/s and msgs per server CPU-second, and
# the median of its per-round ratios against the first server given, with their quartiles and
# the share of rounds it beat the first. RESULTS=FILE keeps the raw lines.
# Identical copies of one binary can differ by a few percent here: for a before/after, give
# several copies of each build and pool the rounds with benches/loopback/pool.py.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=lib.sh
source "$ROOT/benches/loopback/lib.sh"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
LOADGEN=$TARGET/release/loadgen
ROUNDS=$1
read -r CONNS DEPTH SIZE <<<"$2"
shift 2
BINS=("$@")
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for ((i = 0; i < ROUNDS; i++)); do
    for ((j = 0; j < ${#BINS[@]}; j++)); do
        k=$(((i + j) % ${#BINS[@]}))
        taskset -c 1 "${BINS[$k]}" 127.0.0.1:0 --threads 1 >"$OUT/server.out" 2>&1 &
        pid=$!
        addr=$(server_addr "$OUT/server.out" || true)
        line=$(taskset -c 0 "$LOADGEN" --addr "$addr" --label "s$k" --conns "$CONNS" --depth "$DEPTH" \
            --size "$SIZE" --duration "${DUR:-2}" --warmup "${WARM:-0.5}" --server-pid "$pid" || true)
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        echo "round=$i server=$k $line" >>"$OUT/results"
    done
done
if [[ -n "${RESULTS:-}" ]]; then cp "$OUT/results" "$RESULTS"; fi
python3 - "$OUT/results" "${BINS[@]}" <<'PY'
import statistics, sys
path, bins = sys.argv[1], sys.argv[2:]
runs = {}
for line in open(path):
    f = dict(p.split("=", 1) for p in line.split() if "=" in p)
    rate, cpu = float(f.get("msgs_per_s", 0)), float(f.get("server_cpu", 0) or 0)
    runs.setdefault(int(f["server"]), {})[int(f["round"])] = (rate, rate / cpu if cpu else 0.0)
base = runs[0]
for k, name in enumerate(bins):
    xs = runs[k]
    ratios = [xs[r][1] / base[r][1] for r in xs if r in base and base[r][1] > 0]
    print(f"{name:45s} median {statistics.median(x[0] for x in xs.values()):>12,.0f} msgs/s  "
          f"per server CPU-s {statistics.median(x[1] for x in xs.values()):>12,.0f}  "
          f"per-round ratio to the first: median {statistics.median(ratios):.3f}", end="")
    if k and len(ratios) >= 4:
        q = statistics.quantiles(ratios, n=4)
        wins = sum(r > 1 for r in ratios)
        print(f" (quartiles {q[0]:.3f}-{q[2]:.3f}, above 1 in {wins} of {len(ratios)})", end="")
    print()
PY
