"""Throughput of one core: the CLI (`scan -j 1`), the Python package, and
the Spark job in local[1] (one executor core), over the same files.

    python python/spark/bench.py [INPUT] [--cli target/release/installsift] [--runs 3] [--copies 4]

Run it with a release wheel installed (`maturin build --release`) and a
release CLI; prints a Markdown table (README, "Python and Spark"). Each
figure is the median of RUNS runs after one warm-up (JVM, Python workers);
Spark's session start is not counted, its Parquet write is. Every way is
timed on INPUT and on COPIES hard-linked copies of it: the difference is
the throughput once a job's fixed costs (Spark schedules, writes and reads
back its Parquet) are paid, which is what a library of 10^5 files sees.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def median_time(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input", nargs="?", default="corpus")
    ap.add_argument("--cli", default="target/release/installsift")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--copies", type=int, default=4)
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
        ("Spark local[1], `--source paths`", lambda i: scan_job.run(
            spark, i, os.path.join(tmp, "out-paths"), source="paths", partitions=1)),
        ("Spark local[1], `--source binary`", lambda i: scan_job.run(
            spark, i, os.path.join(tmp, "out-binary"), source="binary")),
    ]
    results = []
    try:
        for what, fn in ways:
            t1 = median_time(lambda: fn(inputs[0][0]), a.runs)
            tn = median_time(lambda: fn(inputs[1][0]), a.runs)
            results.append((what, t1, tn))
    finally:
        spark.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    size1, sizen = inputs[0][1], inputs[1][1]
    files = len(scan_job.walk(a.input))
    print(f"{files} files, {size1 / 1e6:.1f} MB ({a.input}), and {a.copies} copies ({sizen / 1e6:.1f} MB); "
          f"median of {a.runs} runs, one core\n")
    print(f"| what | s, 1 copy | s, {a.copies} copies | MB/s per core, 1 copy | MB/s per core, marginal | vs CLI, marginal |")
    print("|---|---|---|---|---|---|")
    cli_marginal = (sizen - size1) / (results[0][2] - results[0][1])
    for what, t1, tn in results:
        marginal = (sizen - size1) / (tn - t1)
        print(f"| {what} | {t1:.2f} | {tn:.2f} | {size1 / 1e6 / t1:.1f} | {marginal / 1e6:.1f} | {100 * marginal / cli_marginal:.0f} % |")


if __name__ == "__main__":
    main()
