"""Shared fixtures: the repository root, the CLI binary the package is
compared with, and the CLI's JSONL of the whole corpus."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import installsift

ROOT = Path(__file__).resolve().parents[2]


def cli_binary() -> Path:
    """The `installsift` CLI built by cargo: $INSTALLSIFT_CLI, else
    target/debug/installsift (built here when missing)."""
    env = os.environ.get("INSTALLSIFT_CLI")
    if env:
        return Path(env)
    path = ROOT / "target" / "debug" / "installsift"
    if not path.exists():
        subprocess.run(["cargo", "build", "--locked", "-p", "installsift-cli"], cwd=ROOT, check=True)
    return path


def run_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(cli_binary()), *args], cwd=ROOT, capture_output=True, check=check
    )


def records_of(jsonl: bytes) -> list:
    return [json.loads(line) for line in jsonl.splitlines()]


def by_input(records: list) -> dict:
    """Records grouped by input (path[0]), in order."""
    out: dict = {}
    for r in records:
        out.setdefault(r["path"][0], []).append(r)
    return out


def corpus_files() -> list:
    """Every regular file under corpus/, as the CLI names them (corpus/…)."""
    files = []
    for dirpath, dirnames, filenames in os.walk(ROOT / "corpus"):
        for name in filenames:
            p = Path(dirpath) / name
            if p.is_file() and not p.is_symlink():
                files.append(str(p.relative_to(ROOT)))
    return sorted(files)


@pytest.fixture(scope="session")
def cli():
    return run_cli


@pytest.fixture(scope="session")
def corpus_cli_jsonl() -> bytes:
    """`installsift scan --format jsonl corpus` from the repository root."""
    return run_cli("scan", "--format", "jsonl", "corpus").stdout


# Records name inputs as given: every test scans `corpus/…` from the root
# (module-scoped fixtures too, hence not monkeypatch).
os.chdir(ROOT)


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    doctest_namespace["installsift"] = installsift
