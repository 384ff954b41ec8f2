#!/usr/bin/env python3
"""Paired ratios from a loopback run: run.sh lets the servers of a row take turns, so each
round's runs were taken within seconds of each other, under the same background load. The
ratio of two servers within a round cancels most of that load; the median over rounds is a
steadier before/after figure than the ratio of two medians when the machine is shared.

    python3 benches/loopback/paired.py [RESULTS] [BASE]

RESULTS: run.sh's raw lines (default target/loopback/results.txt). BASE: the server every
other is compared with (default tether-baseline). Prints, per row and server: the median and
the range of the per-round ratios of msgs/s and of msgs per server CPU-second.
"""

import statistics
import sys


def fields(line):
    return dict(part.split("=", 1) for part in line.split() if "=" in part)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "target/loopback/results.txt"
    base = sys.argv[2] if len(sys.argv) > 2 else "tether-baseline"
    runs = {}  # row -> server -> [(msgs/s, per CPU-s)] in run order
    for line in open(path, encoding="utf-8"):
        f = fields(line)
        if "row" not in f or "label" not in f:
            continue
        rate = float(f.get("msgs_per_s", 0))
        cpu = float(f.get("server_cpu", 0) or 0)
        runs.setdefault(f["row"], {}).setdefault(f["label"], []).append(
            (rate, rate / cpu if cpu > 0 else 0.0)
        )
    print(f"| Row | Server | rounds | msgs/s ÷ {base}: median (range) | per server CPU-s ÷ {base}: median (range) |")
    print("|---|---|---:|---|---|")
    for row, servers in runs.items():
        if base not in servers:
            continue
        for server, xs in servers.items():
            if server == base:
                continue
            pairs = list(zip(xs, servers[base]))
            if not pairs or any(b[0] == 0 or b[1] == 0 for _, b in pairs):
                continue
            rate = [a[0] / b[0] for a, b in pairs]
            eff = [a[1] / b[1] for a, b in pairs]
            print(
                f"| {row} | {server} | {len(pairs)} | {statistics.median(rate):.3f} "
                f"({min(rate):.2f}–{max(rate):.2f}) | {statistics.median(eff):.3f} "
                f"({min(eff):.2f}–{max(eff):.2f}) |"
            )


if __name__ == "__main__":
    main()
