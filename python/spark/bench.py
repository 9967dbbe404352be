"""Throughput of one core: the CLI (`scan -j 1`), the Python package, and
the Spark job in local[1] (one executor core), over the same files.

    python python/spark/bench.py [INPUT] [--cli target/release/installsift] [--runs 3]

Run it with a release wheel installed (`maturin build --release`) and a
release CLI; prints a Markdown table (README, "Python and Spark"). Each
figure is the median of RUNS runs after one warm-up (JVM, Python workers);
Spark's session start is not counted, its Parquet write is.
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
    a = ap.parse_args()
    import scan_job

    files = scan_job.walk(a.input)
    total = sum(os.path.getsize(f) for f in files)
    rows = []

    def cli():
        subprocess.run([a.cli, "scan", "-f", "jsonl", "-j", "1", "-o", "/dev/null", a.input], check=True)

    rows.append(("CLI `scan -f jsonl -j 1`", median_time(cli, a.runs)))

    import installsift

    rows.append(("Python `scan_paths_jsonl(threads=1)`",
                 median_time(lambda: installsift.scan_paths_jsonl(a.input, threads=1), a.runs)))
    rows.append(("Python `scan_paths` + `to_arrow`",
                 median_time(lambda: installsift.to_arrow(installsift.scan_paths(a.input, threads=1)), a.runs)))

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
    out = tempfile.mkdtemp(prefix="installsift-bench-")
    try:
        for source in ("paths", "binary"):
            rows.append((f"Spark local[1], `--source {source}`",
                         median_time(lambda: scan_job.run(spark, a.input, os.path.join(out, source), source=source, partitions=1), a.runs)))
    finally:
        spark.stop()
        shutil.rmtree(out, ignore_errors=True)

    cli_s = rows[0][1]
    print(f"{len(files)} files, {total / 1e6:.1f} MB ({a.input}); median of {a.runs} runs, one core each\n")
    print("| what | seconds | MB/s per core | vs CLI `-j 1` |")
    print("|---|---|---|---|")
    for what, s in rows:
        print(f"| {what} | {s:.2f} | {total / 1e6 / s:.1f} | {100 * cli_s / s:.0f} % |")


if __name__ == "__main__":
    main()
