"""export() writes what `installsift export` writes, for every format."""

from __future__ import annotations

import pytest

import installsift
from conftest import run_cli

INPUTS = ["corpus/msi/simple.msi", "corpus/pe/zip_after_cert.exe", "corpus/signed_real"]


@pytest.mark.parametrize("fmt", installsift.EXPORT_FORMATS)
def test_every_export_format_is_the_clis(fmt):
    got = installsift.export(INPUTS, fmt, depth="all", timestamp="@0")
    want = run_cli("export", "--to", fmt, "--depth", "all", "--timestamp", "@0", *INPUTS)
    assert b"".join(got.parts) == want.stdout
    assert got.parts[0]
    assert got.summary in want.stderr.decode()
    for w in got.warnings:
        assert w in want.stderr.decode()


def test_export_options_are_the_clis():
    got = installsift.export(
        INPUTS, "stix2", only="installers", hash=["sha256", "md5"], severity="low",
        action="allow", expiration="2027-01-01", timestamp="2026-01-01", comment="{name}",
    )
    want = run_cli(
        "export", "--to", "stix2", "--only", "installers", "--hash", "sha256,md5", "--severity", "low",
        "--action", "allow", "--expiration", "2027-01-01", "--timestamp", "2026-01-01", "--comment", "{name}",
        *INPUTS,
    )
    assert got.data == want.stdout


@pytest.mark.parametrize(
    "kwargs",
    [{"to": "nope"}, {"to": "sha256sum", "only": "some"}, {"to": "sha256sum", "hash": ["sha3"]},
     {"to": "stix2", "timestamp": "yesterday"}, {"to": "sha256sum", "min_size": -1}],
)
def test_bad_export_arguments(kwargs):
    with pytest.raises(installsift.BadArgumentError):
        installsift.export(INPUTS, **kwargs)
