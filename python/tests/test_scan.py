"""The package's records against the CLI's JSONL, on every corpus file;
hash selection, limits by name, typed errors, the GIL released."""

from __future__ import annotations

import os
import threading
import time

import pytest

import installsift
from conftest import by_input, corpus_files, records_of, run_cli


def test_a_directory_scan_is_the_cli_jsonl_byte_for_byte(corpus_cli_jsonl):
    ours = installsift.scan_paths_jsonl("corpus")
    assert corpus_cli_jsonl.count(b"\n") > 1000
    assert ours == corpus_cli_jsonl


def test_every_corpus_file_scanned_alone_gives_the_cli_records(corpus_cli_jsonl):
    cli = by_input(records_of(corpus_cli_jsonl))
    files = corpus_files()
    # The CLI scanned every regular file of corpus/ and nothing else.
    assert sorted(cli) == files
    for f in files:
        assert installsift.scan_path(f, threads=1) == cli[f], f


def test_every_corpus_file_scanned_as_bytes_gives_the_cli_records(corpus_cli_jsonl):
    cli = by_input(records_of(corpus_cli_jsonl))
    for f in corpus_files():
        if "/cab_set/" in f or "/rar_volumes/" in f:
            # A cabinet set is joined, and a RAR volume set read from its
            # first volume, only when they are files beside each other:
            # bytes alone list the spanning files as missing (the next
            # cabinet or volume named). By path, the CLI's records.
            assert installsift.scan_path(f) == cli[f], f
            continue
        with open(f, "rb") as fh:
            data = fh.read()
        assert installsift.scan_bytes(data, f) == cli[f], f
    data = bytearray(open("corpus/msi/simple.msi", "rb").read())
    assert installsift.scan_bytes(data, name="corpus/msi/simple.msi") == cli["corpus/msi/simple.msi"]


def test_hash_selection_is_the_clis():
    names = "sha256,sha1,md5,authenticode,imphash"
    want = run_cli("scan", "-f", "jsonl", "--hashes", names, "corpus/msi", "corpus/signed_real").stdout
    assert installsift.scan_paths_jsonl(["corpus/msi", "corpus/signed_real"], hashes=names.split(",")) == want
    assert installsift.scan_paths_jsonl(["corpus/msi", "corpus/signed_real"], hashes=names) == want
    recs = records_of(want)
    assert all(len(r["sha1"]) == 40 and len(r["md5"]) == 32 for r in recs if r["sha256"])
    assert any("authenticode" in (r.get("metadata") or {}) for r in recs)


@pytest.mark.parametrize("limit", installsift.LIMITS, ids=lambda l: l.name)
def test_every_limit_by_name_is_the_cli_option(limit):
    value = 0 if limit.name == "max_depth" else 1
    want = run_cli("scan", "-f", "jsonl", f"--{limit.name.replace('_', '-')}", str(value), "corpus/msi", "corpus/nested").stdout
    got = installsift.scan_paths_jsonl(["corpus/msi", "corpus/nested"], limits={limit.name: value})
    assert got == want
    # Not a no-op limit for the comparison to be worth anything: the
    # defaults give other records for at least the tightest ones.
    if limit.name in ("max_depth", "max_entries_per_container", "max_entry_size"):
        assert got != installsift.scan_paths_jsonl(["corpus/msi", "corpus/nested"])


def test_max_depth_keyword_is_the_limit():
    assert installsift.scan_path("corpus/nested/zip_7z_zip.zip", max_depth=1) == installsift.scan_path(
        "corpus/nested/zip_7z_zip.zip", limits={"max_depth": 1}
    )
    assert max(r["depth"] for r in installsift.scan_path("corpus/nested/zip_7z_zip.zip", max_depth=1)) == 2


def test_limits_table_is_the_librarys():
    assert [l.name for l in installsift.LIMITS][:3] == ["max_depth", "max_entry_size", "max_total_unpacked"]
    assert installsift.DEFAULT_LIMITS["max_depth"] == 12
    help_text = run_cli("scan", "--help").stdout.decode()
    for l in installsift.LIMITS:
        assert f"--{l.name.replace('_', '-')}" in help_text


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"hashes": ("sha256", "sha3")}, "unknown hash `sha3`"),
        ({"hashes": 5}, "hashes"),
        ({"limits": {"max_depht": 1}}, "no limit is called `max_depht`"),
        ({"limits": {"max_depth": -1}}, "must be >= 0"),
        ({"limits": {"max_depth": 2**32}}, "too large"),
        ({"limits": {"max_entries_per_input": 2**64}}, "too large"),
        ({"limits": {"max_depth": "3"}}, "must be an integer"),
        ({"limits": {"max_depth": True}}, "must be an integer"),
        ({"max_depth": 1, "limits": {"max_depth": 2}}, "max_depth given twice"),
        ({"threads": 0}, "threads"),
    ],
)
def test_bad_arguments_raise_bad_argument_error(kwargs, message):
    with pytest.raises(installsift.BadArgumentError, match=message) as e:
        installsift.scan_path("corpus/msi/simple.msi", **kwargs)
    assert isinstance(e.value, installsift.InstallsiftError)


def test_bad_bytes_arguments():
    with pytest.raises(installsift.BadArgumentError):
        installsift.scan_bytes("not bytes", "x")  # type: ignore[arg-type]
    with pytest.raises(installsift.BadArgumentError):
        installsift.scan_bytes(b"MZ", 3)  # type: ignore[arg-type]
    assert installsift.scan_bytes(memoryview(b"MZ"), "m") == installsift.scan_bytes(b"MZ", "m")


def test_an_unreadable_input_raises_after_the_others_are_scanned(tmp_path):
    missing = str(tmp_path / "missing.exe")
    with pytest.raises(installsift.UnreadableInputError) as e:
        installsift.scan_paths(["corpus/msi/simple.msi", missing])
    err = e.value
    assert isinstance(err, installsift.InstallsiftError)
    assert [p for p, _ in err.failures] == [missing]
    assert err.records == installsift.scan_path("corpus/msi/simple.msi")
    # The CLI says the same and exits 1.
    cli = run_cli("scan", "-f", "jsonl", "corpus/msi/simple.msi", missing, check=False)
    assert cli.returncode == 1
    # The CLI's JSONL also carries a record for the input it could not read.
    cli_records = records_of(cli.stdout)
    assert [r["path"] for r in cli_records if "input_error" in r] == [[missing]]
    assert [r for r in cli_records if "input_error" not in r] == err.records
    assert err.failures[0][1] in cli.stderr.decode()


def test_a_fifo_is_refused_unopened(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(installsift.UnreadableInputError, match="fifo"):
        installsift.scan_path(fifo)


def test_the_gil_is_released_while_scanning():
    """A Python thread runs while another scans: with the GIL held for the
    whole scan it could not count at all until the scan ended."""
    inputs = ["corpus/msi_real", "corpus/nsis_real"]
    t0 = time.monotonic()
    installsift.scan_paths_jsonl(inputs, threads=1)
    # One native call of about a second, whatever the build's speed.
    inputs = inputs * max(1, int(1.0 / max(time.monotonic() - t0, 1e-3)) + 1)
    counted = []
    done = threading.Event()

    def scan():
        try:
            installsift.scan_paths_jsonl(inputs, threads=1)
        finally:
            done.set()

    t = threading.Thread(target=scan)
    n = 0
    start = time.monotonic()
    t.start()
    while not done.is_set():
        n += 1
        if n % 1000 == 0:
            counted.append(time.monotonic() - start)
    t.join()
    # The counter ran all along the scan: in every tenth of it. With the
    # GIL held it could run only before the scan began and after it ended.
    elapsed = time.monotonic() - start
    assert elapsed > 0.5, elapsed
    tenths = {int(10 * t / elapsed) for t in counted}
    assert tenths >= set(range(10)), sorted(tenths)


def test_threads_scan_side_by_side_with_the_same_results():
    from concurrent.futures import ThreadPoolExecutor

    files = [f for f in corpus_files() if f.startswith(("corpus/msi/", "corpus/7z/", "corpus/nsis/"))]
    want = [installsift.scan_path(f, threads=1) for f in files]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda f: installsift.scan_path(f, threads=1), files))
    assert got == want


def test_version_is_the_crates():
    assert installsift.__version__ == "0.2.0"
