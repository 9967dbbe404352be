#!/usr/bin/env python3
# Paired, interleaved timing of two commands on a noisy machine.
#
#   python3 bench/paired.py [--row FILE] RUNS WARMUP -- CMD_A... -- CMD_B...
#
# Runs A then B, RUNS times (after WARMUP unmeasured pairs), so that drift in
# the machine's speed (frequency, steal time on a VM) hits both members of a
# pair alike. Prints one JSON object: the median wall time of each (ms), the
# median of the per-pair ratios A/B, the lowest and highest pair ratio, and
# the median CPU time (user + system, ms) of each. With --row FILE, prints
# those figures as one table row for FILE instead (bench/compare.sh).
#
# Each command is started with posix_spawn and reaped with wait4, its output
# sent to /dev/null; the spawn overhead is the same for both.
# SPDX-License-Identifier: MIT OR Apache-2.0
import json
import os
import statistics
import sys
import time


def run(argv):
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        t0 = time.perf_counter()
        pid = os.posix_spawnp(
            argv[0],
            argv,
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, devnull, 0),
                (os.POSIX_SPAWN_DUP2, devnull, 1),
                (os.POSIX_SPAWN_DUP2, devnull, 2),
            ],
        )
        _, status, ru = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
    finally:
        os.close(devnull)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"paired.py: {' '.join(argv)} exited with {code}")
    return wall * 1000.0, (ru.ru_utime + ru.ru_stime) * 1000.0


def main():
    args = sys.argv[1:]
    row = None
    if args[:1] == ["--row"]:
        row, args = args[1], args[2:]
    runs, warmup = int(args[0]), int(args[1])
    rest = args[2:]
    if rest.count("--") != 2 or rest[0] != "--":
        sys.exit("usage: paired.py RUNS WARMUP -- CMD_A... -- CMD_B...")
    split = rest.index("--", 1)
    a, b = rest[1:split], rest[split + 1 :]
    for _ in range(warmup):
        run(a)
        run(b)
    wa, wb, ca, cb, ratios = [], [], [], [], []
    for _ in range(runs):
        ta, ua = run(a)
        tb, ub = run(b)
        wa.append(ta)
        wb.append(tb)
        ca.append(ua)
        cb.append(ub)
        ratios.append(ta / tb)
    med = statistics.median
    if row is not None:
        print(
            f"{os.path.basename(row):<28} {os.path.getsize(row):>10}"
            f" {med(wa):9.1f} {med(wb):9.1f} {med(ratios):7.2f}"
            f" {min(ratios):5.2f}..{max(ratios):<5.2f}"
            f" {med(ca):9.1f} {med(cb):9.1f}",
            flush=True,
        )
        return
    print(
        json.dumps(
            {
                "a_ms": round(med(wa), 2),
                "b_ms": round(med(wb), 2),
                "ratio": round(med(ratios), 3),
                "ratio_min": round(min(ratios), 3),
                "ratio_max": round(max(ratios), 3),
                "a_cpu_ms": round(med(ca), 2),
                "b_cpu_ms": round(med(cb), 2),
            }
        )
    )


if __name__ == "__main__":
    main()
