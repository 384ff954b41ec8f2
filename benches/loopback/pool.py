#!/usr/bin/env python3
"""Before/after from `ab.sh` runs with several byte-identical copies of each build.

Identical copies of one binary can measure a few percent apart on this machine (where their
pages land matters), so a run against a single file of each build measures the files as well as
the builds. Give `ab.sh` K copies of the old build, then K of the new one, with `RESULTS=FILE`:

    RESULTS=r.txt bash benches/loopback/ab.sh 16 "10 4 65536" old old2 old3 new new2 new3
    python3 benches/loopback/pool.py r.txt:3 [more.txt:2 ...]

Each FILE:K is one such run. Per round, the ratio is the geometric mean of the new copies'
messages per server CPU-second over that of the old copies; rounds of all the files are pooled.
Prints the geometric mean of the ratios with a 95 % bootstrap interval (4 000 resamples, fixed
seed).
"""

import math
import random
import statistics
import sys


def rounds(path):
    """{round: {server index: msgs per server CPU-second}} from ab.sh's raw lines."""
    runs = {}
    for line in open(path, encoding="utf-8"):
        f = dict(part.split("=", 1) for part in line.split() if "=" in part)
        rate = float(f.get("msgs_per_s", 0))
        cpu = float(f.get("server_cpu", 0) or 0)
        runs.setdefault(int(f["round"]), {})[int(f["server"])] = rate / cpu if cpu else 0.0
    return runs


def main(args):
    if not args:
        sys.exit(__doc__)
    logs = []
    for arg in args:
        path, k = arg.rsplit(":", 1)
        k = int(k)
        for servers in rounds(path).values():
            if len(servers) < 2 * k or min(servers.values()) <= 0:
                continue
            old = sum(math.log(servers[i]) for i in range(k)) / k
            new = sum(math.log(servers[i]) for i in range(k, 2 * k)) / k
            logs.append(new - old)
    if not logs:
        sys.exit("no complete rounds")
    random.seed(1)
    means = sorted(statistics.mean(random.choices(logs, k=len(logs))) for _ in range(4000))
    print(
        "%d rounds: new/old %.3f (95%% interval %.3f-%.3f)"
        % (len(logs), math.exp(statistics.mean(logs)), math.exp(means[100]), math.exp(means[3899]))
    )


if __name__ == "__main__":
    main(sys.argv[1:])
