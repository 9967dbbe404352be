"""Throughput of one core: the CLI (`scan -j 1`), the Python package, and
the Spark job in local[1] (one executor core), over the same files.

    python python/spark/bench.py [INPUT] [--cli target/release/installsift] [--runs 3] [--copies 4]

Run it with a release wheel installed (`maturin build --release`) and a
release CLI; prints a Markdown table (README, "Python and Spark").

What is timed: each way's whole call, on INPUT and on COPIES hard-linked
copies of it. For the Spark job that is `scan_job.run()`: planning, the
scan in the executor, the Parquet write and its commit; not the session's
start (the JVM), which is paid once before the first (warm-up) run.
The runs are interleaved (run 1 of every way on both inputs, then run 2,
…), so a change of the machine's load falls on every way alike; each
figure is the median of RUNS runs after one warm-up.

Two clocks: wall time, and CPU time (user + system) of every process the
way uses: the CLI's process; for the package this process; for Spark this
process, the JVM and its Python workers (read from /proc). On a machine
that others load, CPU time is the steadier measure of what a core does;
Spark's JVM and Python worker run at the same time, so its wall time on
an idle machine can be below its CPU time.

"Marginal" is (COPIES - 1) copies' bytes over the difference of the two
times: the rate once a job's fixed costs (planning, scheduling, Parquet
files per partition value) are paid, which is what a library of 10^5
files sees. The whole-job figure on the copies is in the table too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu() -> float:
    """CPU seconds of this process and its descendants (live ones, with
    what their reaped children used): user + system, from /proc."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        children.setdefault(int(fields[1]), []).append((int(d), sum(int(x) for x in fields[11:15])))
    with open(f"/proc/{os.getpid()}/stat") as f:
        own = f.read()
    total = sum(int(x) for x in own[own.rindex(")") + 2:].split()[11:15])
    todo = [os.getpid()]
    while todo:
        for child, ticks in children.get(todo.pop(), []):
            total += ticks
            todo.append(child)
    return total / TICK


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input", nargs="?", default="corpus")
    ap.add_argument("--cli", default="target/release/installsift")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--copies", type=int, default=4)
    ap.add_argument("--only", help="comma-separated way numbers (1-based) to run; the CLI always runs")
    a = ap.parse_args()
    import scan_job
    import installsift

    tmp = tempfile.mkdtemp(prefix="installsift-bench-")
    big = os.path.join(tmp, "copies")
    os.mkdir(big)
    for i in range(a.copies):
        subprocess.run(["cp", "-al", a.input, os.path.join(big, f"copy{i}")], check=True)
    inputs = [(a.input, sum(os.path.getsize(f) for f in scan_job.walk(a.input))),
              (big, sum(os.path.getsize(f) for f in scan_job.walk(big)))]

    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]").appName("installsift-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "4")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    ways = [
        ("CLI `scan -f jsonl -j 1`", lambda i: subprocess.run(
            [a.cli, "scan", "-f", "jsonl", "-j", "1", "-o", "/dev/null", i], check=True)),
        ("Python `scan_paths_jsonl(threads=1)`", lambda i: installsift.scan_paths_jsonl(i, threads=1)),
        ("Python `scan_paths` + `to_arrow`", lambda i: installsift.to_arrow(installsift.scan_paths(i, threads=1))),
        ("Python `scan_paths_arrow(threads=1)`", lambda i: installsift.scan_paths_arrow(i, threads=1)),
        ("Spark `local[1]`, `--source paths`", lambda i: scan_job.run(
            spark, i, os.path.join(tmp, "out-paths"), source="paths", partitions=1)),
        ("Spark `local[1]`, `--source binary`", lambda i: scan_job.run(
            spark, i, os.path.join(tmp, "out-binary"), source="binary")),
    ]
    if a.only:
        keep = {0} | {int(k) - 1 for k in a.only.split(",")}
        ways = [w for k, w in enumerate(ways) if k in keep]
    times = {}  # (way, input) -> [(wall, cpu)]
    loads = []
    try:
        for _, fn in ways:  # warm-up: the JVM's JIT, the Python workers
            for inp, _ in inputs:
                fn(inp)
        for _ in range(a.runs):
            for w, (_, fn) in enumerate(ways):
                for k, (inp, _) in enumerate(inputs):
                    cpu, wall = tree_cpu(), time.perf_counter()
                    fn(inp)
                    times.setdefault((w, k), []).append((time.perf_counter() - wall, tree_cpu() - cpu))
                    loads.append(os.getloadavg()[0])
    finally:
        spark.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    def med(w, k, clock):
        return statistics.median(t[clock] for t in times[(w, k)])

    size1, sizen = inputs[0][1], inputs[1][1]
    files = len(scan_job.walk(a.input))
    print(f"{files} files, {size1 / 1e6:.1f} MB ({a.input}), and {a.copies} copies ({sizen / 1e6:.1f} MB, "
          f"{files * a.copies} files); median of {a.runs} interleaved runs, one core; "
          f"load average (1 min) during the runs {min(loads):.1f}–{max(loads):.1f}, median {statistics.median(loads):.1f}\n")
    for clock, name in ((1, "CPU"), (0, "wall")):
        print(f"{name} time:\n")
        print(f"| what | s, 1 copy | s, {a.copies} copies | MB/s, {a.copies} copies | vs CLI, {a.copies} copies "
              f"| MB/s, marginal | files/s, marginal | vs CLI, marginal |")
        print("|---|---|---|---|---|---|---|---|")
        cli_whole = sizen / med(0, 1, clock)
        cli_marginal = (sizen - size1) / (med(0, 1, clock) - med(0, 0, clock))
        for w, (what, _) in enumerate(ways):
            t1, tn = med(w, 0, clock), med(w, 1, clock)
            whole = sizen / tn
            marginal = (sizen - size1) / (tn - t1)
            marginal_files = files * (a.copies - 1) / (tn - t1)
            print(f"| {what} | {t1:.2f} | {tn:.2f} | {whole / 1e6:.1f} | {100 * whole / cli_whole:.0f} % "
                  f"| {marginal / 1e6:.1f} | {marginal_files:.0f} | {100 * marginal / cli_marginal:.0f} % |")
        print()


if __name__ == "__main__":
    main()
