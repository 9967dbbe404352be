"""Scan a library of files with installsift in Spark executors; write Parquet.

Every input file is scanned in an executor by the ``installsift`` package
(``mapInArrow``: files arrive and nodes leave as Arrow batches); the output
is one row per node, the columns of ``installsift.arrow.SCHEMA`` (the JSONL
contract's fields, typed) plus:

- ``input``: the input file (``path[0]``), for joins and provenance queries;
- ``top_family``: the family of the input file, ``none`` when it is not an
  installer, the partition column of the output (``top_family=msi/…``);
- ``input_error``: null, or why the input could not be read (then the
  row's other fields are null; the job exits 1, as the CLI does).

``size`` is ``decimal(20,0)``: a declared size can be any unsigned 64-bit
value and Spark has no unsigned type.

Two sources:

- ``--source binary`` (default): Spark's ``binaryFile`` source over a
  directory or object-store prefix (``s3a://bucket/prefix``). A file travels
  as one binary cell, so files over 2 GiB cannot be read this way. Spark's
  file sources skip empty files and, as Hadoop does, names starting with
  ``_`` or ``.``: for a local input the job scans those by path (and says
  so); below an object-store prefix they are not scanned.
- ``--source paths``: the driver lists the files (local or a shared mount,
  as ``installsift scan`` walks them: regular files, sorted, no symlinks
  followed) and executors read them by path: no size bound, nothing hidden.

Records are named as the CLI names them: the input as given, then the path
below it (``corpus/msi/simple.msi``); for a URI input, the file's URI.

Local mode::

    spark-submit --master 'local[2]' python/spark/scan_job.py corpus out/

On a cluster, ship the wheel (built by ``maturin build --release``) with the
job as an archive: a wheel is a zip, Spark unpacks a ``.zip`` archive into
each executor's working directory, and ``PYTHONPATH`` puts it on the
executors' Python's path (``--py-files`` cannot work: Python does not load
the extension module from a zip). The driver (client mode) needs the wheel
installed; the executors need pyarrow and pandas::

    cp installsift-0.2.0-cp39-abi3-manylinux_2_34_x86_64.whl installsift.zip
    spark-submit --master spark://host:7077 --archives installsift.zip#installsift \\
        --conf spark.executorEnv.PYTHONPATH=installsift \\
        python/spark/scan_job.py s3a://share/installers/ s3a://lake/installsift/

``python/spark/cluster_check.sh`` runs that on a standalone master and
worker on this machine and checks the rows against the CLI's.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Dict, Iterator, List, Optional, Tuple

import pyarrow as pa

PARTITION = "top_family"


def spark_schema():
    """The output's Spark schema (the Arrow SCHEMA with Spark's types)."""
    from pyspark.sql import types as T

    s = T.StringType()
    fields = []
    import installsift.arrow

    for f in installsift.arrow.SCHEMA:
        if f.name == "size":
            t = T.DecimalType(20, 0)
        elif f.name == "depth":
            t = T.LongType()
        elif pa.types.is_list(f.type):
            t = T.ArrayType(s)
        else:
            t = s
        fields.append(T.StructField(f.name, t))
    fields += [T.StructField("input", s), T.StructField(PARTITION, s), T.StructField("input_error", s)]
    return T.StructType(fields)


def _arrow_schema():
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(spark_schema())


class Rows:
    """Node rows of many inputs, turned into Arrow batches of the output
    schema a few thousand rows at a time (the columns added per input cost
    more than the scan of a small file when done one input at a time)."""

    FLUSH = 4096

    def __init__(self, schema: pa.Schema):
        self.schema = schema
        self.tables: List[pa.Table] = []
        self.rows = 0

    def failed(self, input_name: str, message: str) -> Iterator[pa.RecordBatch]:
        """The row of an input that could not be read: its other fields null."""
        yield from self.flush()
        cols = {f.name: pa.nulls(1, f.type) for f in self.schema}
        cols["input"] = pa.array([input_name], pa.string())
        cols[PARTITION] = pa.array(["unreadable"], pa.string())
        cols["input_error"] = pa.array([message], pa.string())
        yield from pa.table(cols, schema=self.schema).to_batches()

    def add_scanned(self, table: pa.Table) -> Iterator[pa.RecordBatch]:
        """The nodes of many inputs (``installsift.scan_paths_arrow``, or
        ``from_lines`` of several files' ``scan_bytes_arrow_lines``), each
        input's rows together, its root (depth 0) first: ``input`` is each
        row's ``path[0]`` and ``top_family`` its root's family, both
        computed column-wise."""
        import numpy as np
        import pyarrow.compute as pc

        n = table.num_rows
        if n == 0:
            return
        starts = np.flatnonzero(table.column("depth").to_numpy(zero_copy_only=False) == 0)
        if len(starts) == 0 or starts[0] != 0:
            raise ValueError("scan_paths_arrow rows do not start with an input's root")
        families = table.column("family").take(pa.array(starts)).to_pylist()
        tops = np.array([f or "none" for f in families], dtype=object)
        counts = np.diff(np.append(starts, n))
        table = table.append_column("input", pc.list_element(table.column("path"), 0))
        table = table.append_column(PARTITION, pa.array(np.repeat(tops, counts), pa.string()))
        self.tables.append(table)
        self.rows += n
        if self.rows >= self.FLUSH:
            yield from self.flush()

    def flush(self) -> Iterator[pa.RecordBatch]:
        if not self.tables:
            return
        t = pa.concat_tables([d.cast(self.tables[0].schema) for d in self.tables])
        t = t.append_column("input_error", pa.nulls(t.num_rows, pa.string()))
        self.tables, self.rows = [], 0
        yield from t.cast(self.schema).to_batches()


def _name(uri: str, root_uri: str, root_given: str) -> str:
    """The CLI's name of a file found below the input ``root_given``."""
    if root_uri and uri.startswith(root_uri):
        rest = uri[len(root_uri):].lstrip("/")
        return root_given.rstrip("/") + "/" + rest if rest else root_given
    return uri


def _local_uri(path: str) -> str:
    return "file:" + os.path.abspath(path)


def scan_binary(batches: Iterator[pa.RecordBatch], options: dict) -> Iterator[pa.RecordBatch]:
    """mapInArrow: (path, content) rows of binaryFile -> node rows. Each
    file is scanned on its own (its bytes are freed before the next is
    scanned); the rows of SCAN_CHUNK files are read into one table (the
    package's ``scan_bytes_arrow`` is ``from_lines`` of one file's lines:
    a table per file cost more than the scan of a small file)."""
    import installsift
    from installsift import _native
    from installsift.arrow import from_lines

    hashes = installsift._hash_names(options["hashes"])
    limits = installsift._limits(None, options["limits"])
    rows = Rows(_arrow_schema())
    lines: List[bytes] = []
    for batch in batches:
        uris = batch.column("path").to_pylist()
        contents = batch.column("content")
        for i, uri in enumerate(uris):
            name = _name(uri, options["root_uri"], options["root_given"])
            data = contents[i].as_buffer()
            lines.append(_native.scan_bytes_arrow_lines(
                data.to_pybytes() if data is not None else b"", name, hashes, limits))
            if len(lines) >= SCAN_CHUNK:
                yield from rows.add_scanned(from_lines(b"".join(lines)))
                lines = []
    if lines:
        yield from rows.add_scanned(from_lines(b"".join(lines)))
    yield from rows.flush()


# Files scanned per call of the package in ``scan_paths``: one call per file
# cost 0.44 ms more per file than the scan of the corpus in one call (its
# JSON-to-Arrow read and table assembly, per call), a quarter of the CPU
# time on the corpus's small files; 64 keeps one call's rows small.
SCAN_CHUNK = 64


def scan_paths(batches: Iterator[pa.RecordBatch], options: dict) -> Iterator[pa.RecordBatch]:
    """mapInArrow: (path) rows -> node rows, each file read by path, files
    scanned SCAN_CHUNK at a time in one call."""
    import installsift

    rows = Rows(_arrow_schema())

    def scan(paths: List[str]) -> Iterator[pa.RecordBatch]:
        try:
            table = installsift.scan_paths_arrow(paths, hashes=options["hashes"], limits=options["limits"], threads=1)
            failures = []
        except installsift.UnreadableInputError as e:
            table, failures = e.table, e.failures
        by_input: Dict[str, List[str]] = {}
        for p, message in failures:
            by_input.setdefault(p, []).append(message)
        for p, messages in by_input.items():
            yield from rows.failed(p, "; ".join(messages))
        yield from rows.add_scanned(table)

    pending: List[str] = []
    for batch in batches:
        for p in batch.column("path").to_pylist():
            pending.append(p)
            if len(pending) >= SCAN_CHUNK:
                yield from scan(pending)
                pending = []
    if pending:
        yield from scan(pending)
    yield from rows.flush()


def walk(root: str) -> List[str]:
    """The files ``installsift scan ROOT`` scans: regular files, sorted by
    name, symlinks not followed (a ROOT that is a file is itself)."""
    if not os.path.isdir(root):
        return [root]
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for f in sorted(filenames):
            p = os.path.join(dirpath, f)
            if os.path.isfile(p) and not os.path.islink(p):
                out.append(p)
    return out


def skipped_by_spark(root: str) -> List[str]:
    """Files below a local ROOT that Spark's file sources never hand over:
    empty files, and names below ROOT starting with `_` or `.` (Hadoop's
    hidden files)."""
    if "://" in root or root.startswith("file:") or not os.path.isdir(root):
        return []
    out = []
    for p in walk(root):
        rel = os.path.relpath(p, root).split(os.sep)
        if os.path.getsize(p) == 0 or any(part.startswith(("_", ".")) for part in rel):
            out.append(p)
    return out


def run(
    spark,
    input_path: str,
    output: str,
    source: str = "binary",
    hashes: Tuple[str, ...] = ("sha256",),
    limits: Optional[Dict[str, int]] = None,
    partitions: Optional[int] = None,
) -> dict:
    """Scan ``input_path`` into Parquet at ``output``; returns counts and
    what was skipped or failed."""
    limits = dict(limits or {})
    if __name__ != "__main__":
        # Imported (a test, a notebook): the executors need this module to
        # unpickle the scan functions (spark-submit ships its main script).
        spark.sparkContext.addPyFile(os.path.abspath(__file__))
    if source == "binary":
        local = "://" not in input_path and not input_path.startswith("file:")
        options = {
            "root_uri": _local_uri(input_path) if local else input_path.rstrip("/"),
            "root_given": input_path if local else input_path.rstrip("/"),
            "hashes": list(hashes),
            "limits": limits,
        }
        df = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(input_path)
        if partitions:
            df = df.repartition(partitions)
        nodes = df.select("path", "content").mapInArrow(lambda it: scan_binary(it, options), spark_schema())
        # What binaryFile leaves out is scanned by path, so the output has
        # every file `installsift scan` would scan.
        by_path = skipped_by_spark(input_path)
        if by_path:
            extra = spark.createDataFrame([(p,) for p in by_path], "path string")
            paths_options = {"hashes": list(hashes), "limits": limits}
            nodes = nodes.unionByName(extra.mapInArrow(lambda it: scan_paths(it, paths_options), spark_schema()))
    elif source == "paths":
        files = walk(input_path)
        options = {"hashes": list(hashes), "limits": limits}
        n = partitions or max(1, min(len(files), spark.sparkContext.defaultParallelism * 4))
        # Dealt round robin (file k to partition k mod n, so that a
        # directory of large installers is spread over the tasks) and handed
        # over as n slices: no shuffle, which createDataFrame + repartition
        # cost (a stage of its own, 0.15 CPU-s a job).
        dealt = [(p,) for k in range(n) for p in files[k::n]]
        df = spark.sparkContext.parallelize(dealt, n).toDF("path string")
        nodes = df.mapInArrow(lambda it: scan_paths(it, options), spark_schema())
        by_path = []
    else:
        raise ValueError(f"source: binary or paths, not {source!r}")
    # The rows written and the unreadable inputs are counted as the rows
    # are written (an Observation: aggregated by Spark from each task that
    # succeeded, in the write's own pass), not by reading the output back:
    # that read cost two more jobs over every file written, 1.8 CPU-s a
    # job, the CPU the CLI takes to scan 170 MB.
    from pyspark.sql import Observation, functions as F

    seen = Observation("installsift-scan")
    nodes = nodes.observe(
        seen,
        F.count(F.lit(1)).alias("rows"),
        F.collect_list(
            F.when(F.col("input_error").isNotNull(), F.struct(F.col("input"), F.col("input_error")))
        ).alias("failures"),
    )
    # binaryFile packs files into tasks by their size plus an "open cost"
    # per file, 4 MB by default: for installers (many files of a few MB or
    # less) that made a task of every 30 files or so, and each task writes
    # a Parquet file per family it meets. 64 KB packs up to 128 MB of
    # files a task (4 corpus copies: 75 tasks -> 2; 20.1 -> 9.2 CPU-s,
    # paired, load 9). Set for this job's write only.
    key, before = "spark.sql.files.openCostInBytes", None
    if source == "binary":
        before = spark.conf.get(key, None)
        spark.conf.set(key, str(64 * 1024))
    try:
        nodes.write.mode("overwrite").partitionBy(PARTITION).parquet(output)
    finally:
        if source == "binary":
            if before is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, before)
    metrics = seen.get
    failures = sorted({(r["input"], r["input_error"]) for r in metrics["failures"]})
    return {"rows": metrics["rows"], "failures": failures, "read_by_path": by_path}


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", help="a directory, file or object-store prefix")
    ap.add_argument("output", help="the Parquet dataset to write (overwritten)")
    ap.add_argument("--source", choices=("binary", "paths"), default="binary")
    ap.add_argument("--hashes", default="sha256", help="as installsift scan --hashes")
    ap.add_argument("--limit", action="append", default=[], metavar="NAME=N", help="a limit by name (max_depth=4)")
    ap.add_argument("--partitions", type=int, help="Spark partitions to scan in")
    a = ap.parse_args(argv)
    limits = {}
    for item in a.limit:
        name, _, value = item.partition("=")
        limits[name] = int(value)
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("installsift-scan").getOrCreate()
    result = run(spark, a.input, a.output, a.source, tuple(a.hashes.split(",")), limits, a.partitions)
    print(f"installsift scan job: {result['rows']} nodes written to {a.output}", file=sys.stderr)
    for p in result["read_by_path"]:
        print(f"installsift scan job: read by path (empty, or a name binaryFile hides): {p}", file=sys.stderr)
    for p, e in result["failures"]:
        print(f"installsift scan job: {p}: {e}", file=sys.stderr)
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
