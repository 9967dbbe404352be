"""Arrow tables and Parquet files: one row per node, typed columns, and
no record changed on the way (the CLI's records back from Parquet)."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import installsift
from installsift.arrow import SCHEMA
from conftest import records_of, run_cli


def test_the_corpus_round_trips_through_arrow_and_parquet(corpus_cli_jsonl, tmp_path):
    records = records_of(corpus_cli_jsonl)
    table = installsift.to_arrow(records)
    assert table.schema == SCHEMA
    assert table.num_rows == len(records)
    assert installsift.from_arrow(table) == records
    installsift.write_parquet(records, tmp_path / "nodes.parquet")
    back = pq.read_table(tmp_path / "nodes.parquet")
    assert back.schema == SCHEMA
    assert installsift.from_arrow(back) == records


def test_the_fast_tables_are_to_arrow_of_the_cli_records(corpus_cli_jsonl):
    want = installsift.to_arrow(records_of(corpus_cli_jsonl))
    got = installsift.scan_paths_arrow("corpus")
    assert got.schema == SCHEMA
    assert got.equals(want)
    names = "sha256,sha1,md5,authenticode,imphash"
    cli = run_cli("scan", "-f", "jsonl", "--hashes", names, "corpus/signed_real").stdout
    assert installsift.scan_path_arrow("corpus/signed_real", hashes=names).equals(installsift.to_arrow(records_of(cli)))
    data = open("corpus/msi/simple.msi", "rb").read()
    assert installsift.scan_bytes_arrow(data, "x.msi").equals(installsift.to_arrow(installsift.scan_bytes(data, "x.msi")))


def test_the_fast_table_keeps_what_the_readers_of_arrow_cannot_tell(tmp_path):
    # Control characters, non-ASCII and nested JSON survive the C++ reader.
    name = "d\u00e9j\u00e0 \"q\"\t\x01.bin"
    t = installsift.scan_bytes_arrow(b"MZ", name)
    assert t.column("path").to_pylist() == [[name]]
    assert installsift.from_arrow(t) == installsift.scan_bytes(b"MZ", name)


def test_an_unreadable_input_keeps_the_other_rows(tmp_path):
    with pytest.raises(installsift.UnreadableInputError) as e:
        installsift.scan_paths_arrow(["corpus/msi/simple.msi", str(tmp_path / "no")])
    assert e.value.table.equals(installsift.scan_path_arrow("corpus/msi/simple.msi"))


def test_columns_are_typed():
    recs = installsift.scan_path("corpus/msi/simple.msi", hashes="sha1,md5")
    t = installsift.to_arrow(recs)
    assert t.schema.field("path").type == pa.list_(pa.string())
    assert t.schema.field("size").type == pa.uint64()
    assert t.column("sha256").to_pylist() == [r["sha256"] for r in recs]
    assert t.column("md5").to_pylist() == [r["md5"] for r in recs]
    assert t.column("path").to_pylist()[1] == ["corpus/msi/simple.msi", "Program Files/SiftSimple/hello.exe"]
    # JSON columns hold the record's value as JSON text.
    assert json.loads(t.column("metadata")[0].as_py()) == recs[0]["metadata"]
    assert json.loads(t.column("evidence")[1].as_py()) == recs[1]["evidence"]
    assert t.column("entry")[0].as_py() is None and "entry" not in recs[0]


def test_a_size_beyond_int64_is_kept():
    rec = installsift.scan_bytes(b"x", "x")[0]
    rec["size"] = 2**64 - 1
    assert installsift.from_arrow(installsift.to_arrow([rec]))[0]["size"] == 2**64 - 1


def test_an_unknown_field_is_refused_not_dropped():
    rec = dict(installsift.scan_bytes(b"x", "x")[0], new_field=1)
    with pytest.raises(installsift.InstallsiftError, match="new_field"):
        installsift.to_arrow([rec])


def test_a_null_optional_field_is_refused():
    rec = dict(installsift.scan_bytes(b"x", "x")[0], kind=None)
    with pytest.raises(installsift.InstallsiftError, match="kind"):
        installsift.to_arrow([rec])


def test_a_missing_contract_field_is_refused():
    rec = installsift.scan_bytes(b"x", "x")[0]
    del rec["sha256"]
    with pytest.raises(installsift.InstallsiftError, match="sha256"):
        installsift.to_arrow([rec])
