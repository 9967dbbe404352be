"""The Spark job (python/spark/scan_job.py) in local mode over corpus/:
its Parquet rows are the CLI's records; and the DuckDB provenance query
over that Parquet names the input and the path inside it."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import installsift
from conftest import ROOT, by_input, records_of

sys.path.insert(0, str(ROOT / "python" / "spark"))
import scan_job  # noqa: E402


def canon(records):
    return sorted(json.dumps(r, sort_keys=True) for r in records)


@pytest.fixture(scope="module")
def spark():
    if shutil.which("java") is None:
        pytest.fail("java is missing: apt-get install openjdk-17-jre-headless (scripts/test_python.sh does)")
    # Bind to the loopback interface only (the machine's other addresses
    # are not for tests).
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    s = (
        SparkSession.builder.master("local[2]")
        .appName("installsift-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        # One file per Arrow batch: a binaryFile row holds a whole file.
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "4")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    yield s
    s.stop()


def read_rows(out: Path):
    t = pq.read_table(out)
    assert t.column("input_error").null_count == t.num_rows
    return t, installsift.from_arrow(t)


@pytest.fixture(scope="module")
def paths_run(spark, tmp_path_factory):
    out = tmp_path_factory.mktemp("spark") / "nodes"
    return out, scan_job.run(spark, "corpus", str(out), source="paths")


def test_paths_source_writes_the_cli_rows(paths_run, corpus_cli_jsonl):
    out, result = paths_run
    assert result["failures"] == [] and result["read_by_path"] == []
    cli = records_of(corpus_cli_jsonl)
    t, rows = read_rows(out)
    assert result["rows"] == len(cli) == len(rows)
    assert canon(rows) == canon(cli)
    # Partitioned by the input's family; `input` is path[0].
    dirs = {p.name for p in out.iterdir() if p.is_dir()}
    assert {"top_family=msi", "top_family=nsis", "top_family=none"} <= dirs
    for r, inp in zip(rows, t.column("input").to_pylist()):
        assert r["path"][0] == inp


def in_a_set(path):
    """A sample that is one file of a cabinet set or a RAR volume set."""
    return "/cab_set/" in path or "/rar_volumes/" in path


def test_binary_source_writes_the_cli_rows(spark, corpus_cli_jsonl, tmp_path, capsys):
    # The README's command line (spark-submit runs main() the same way).
    out = tmp_path / "nodes"
    key = "spark.sql.files.openCostInBytes"
    before = spark.conf.get(key)
    assert scan_job.main(["corpus", str(out), "--partitions", "4"]) == 0
    # The job packs files into tasks with its own open cost, for its write
    # only: the session's setting is left as it was.
    assert spark.conf.get(key) == before
    cli = by_input(records_of(corpus_cli_jsonl))
    # Spark's file sources skip empty files and names starting with `_` or
    # `.`: the job reads those by path, and says which.
    said = capsys.readouterr().err
    by_path = re.findall(r"read by path \(empty, or a name binaryFile hides\): (.*)", said)
    empty = [f for f, recs in cli.items() if recs[0]["size"] == 0]
    assert sorted(by_path) == sorted(set(empty) | {f for f in cli if re.search(r"/[_.]", f)})
    assert len(by_path) == 5
    t, rows = read_rows(out)
    # Files are scanned one by one and their rows read into a table
    # SCAN_CHUNK files at a time: each row's input and top_family must still
    # be its own file's.
    for r, inp, top in zip(rows, t.column("input").to_pylist(), t.column("top_family").to_pylist()):
        assert inp == r["path"][0]
        if not in_a_set(inp):  # not joined from bytes: see below
            assert top == (cli[inp][0].get("family") or "none"), (r["path"], top)
    # binaryFile hands the job bytes, not files: a cabinet set or a RAR
    # volume set, joined only when its cabinets or volumes lie beside each
    # other as files, is not joined here (the paths source joins it, as the
    # CLI does).
    def joinable(r):
        return not in_a_set(r["path"][0])
    assert canon([r for r in rows if joinable(r)]) == canon(
        [r for r in records_of(corpus_cli_jsonl) if joinable(r)]
    )


def test_an_unreadable_input_is_a_row_with_its_error(spark, tmp_path):
    # A FIFO named as the input (in a walk it is skipped, as the CLI skips it).
    os.mkfifo(tmp_path / "fifo")
    result = scan_job.run(spark, str(tmp_path / "fifo"), str(tmp_path / "out"), source="paths")
    assert [p for p, _ in result["failures"]] == [str(tmp_path / "fifo")]
    assert "fifo" in result["failures"][0][1]


def test_chunked_scan_names_each_rows_input_and_top_family(tmp_path):
    # scan_paths (the mapInArrow function, without Spark) scans SCAN_CHUNK
    # files per call: each row's input and top_family must be its own
    # file's, an unreadable file in the middle of a chunk a row of its own.
    import pyarrow as pa

    files = [f for d in ("nsis", "pe", "zip", "msi", "cab", "inno") for f in scan_job.walk(f"corpus/{d}")]
    os.mkfifo(tmp_path / "fifo")
    paths = files[:3] + [str(tmp_path / "fifo")] + files[3:]
    batch = pa.RecordBatch.from_pydict({"path": paths})
    options = {"hashes": ["sha256"], "limits": {}}
    t = pa.Table.from_batches(list(scan_job.scan_paths(iter([batch]), options)))
    rows = t.to_pylist()
    bad = [r for r in rows if r["input_error"] is not None]
    assert [r["input"] for r in bad] == [str(tmp_path / "fifo")]
    assert bad[0]["top_family"] == "unreadable"
    good = [r for r in rows if r["input_error"] is None]
    want = {}
    for f in files:
        recs = installsift.scan_path(f)
        want[f] = (len(recs), recs[0].get("family") or "none")
    got = {}
    for r in good:
        assert r["input"] == r["path"][0]
        n, top = got.get(r["input"], (0, r["top_family"]))
        assert r["top_family"] == top, r["path"]
        got[r["input"]] = (n + 1, top)
    assert got == want
    assert any(top == "nsis" for _, top in want.values())
    assert len(files) > scan_job.SCAN_CHUNK, "more files than one chunk"


def readme_sql() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Python and Spark", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sql\n(.*?)```", section, re.S)
    assert len(blocks) == 1
    return blocks[0]


def test_duckdb_provenance_query_of_the_readme(paths_run, corpus_cli_jsonl):
    import duckdb

    out, _ = paths_run
    cli = records_of(corpus_cli_jsonl)
    # A file three levels down: zip > 7z > zip > file.
    nested = [r for r in cli if r["path"][0] == "corpus/nested/zip_7z_zip.zip" and r["depth"] == 3]
    assert nested
    target = nested[0]["sha256"]
    sql = readme_sql().replace("'nodes/*/*.parquet'", f"'{out}/*/*.parquet'")
    assert "$sha256" in sql, "the README's query takes $sha256"
    got = duckdb.execute(sql, {"sha256": target}).fetchall()
    want = sorted(
        (r["path"][0], " > ".join(r["path"][1:])) for r in cli if r["sha256"] == target
    )
    assert sorted((row[0], row[3]) for row in got) == want
    assert ("corpus/nested/zip_7z_zip.zip", " > ".join(nested[0]["path"][1:])) in [(row[0], row[3]) for row in got]


def test_readme_cluster_command_is_the_one_cluster_check_proves():
    # python/spark/cluster_check.sh runs the job on a standalone master and
    # worker (too slow for this suite); the README's cluster command must
    # ship the wheel the way that script does: --py-files cannot carry an
    # extension module (Python does not load one from a zip).
    text = (ROOT / "README.md").read_text()
    section = text.split("## Python and Spark", 1)[1].split("\n## ", 1)[0]
    blocks = [b for b in re.findall(r"```sh\n(.*?)```", section, re.S) if "--archives" in b]
    assert len(blocks) == 1, "one cluster command in the README"
    readme = blocks[0]
    script = (ROOT / "python" / "spark" / "cluster_check.sh").read_text()
    for flag in ("--archives", "spark.executorEnv.PYTHONPATH"):
        said = re.search(re.escape(flag) + r"[ =](\S+)", readme).group(1)
        done = re.search(re.escape(flag) + r"[ =](\S+)", script).group(1)
        assert said.split("#")[-1] == done.strip('"').split("#")[-1], (flag, said, done)
    assert "--py-files" not in section.replace("not with `--py-files`", "").replace("`--py-files` cannot", "")
    assert "cp installsift-" in readme and "installsift.zip" in readme
