#!/usr/bin/env bash
# The Python half of the test command (scripts/test.sh calls it after
# `cargo test`): builds the `installsift` wheel, installs it into a
# virtual environment with the test dependencies, proves it installs and
# scans in a clean one, and runs python/tests (the package against the
# CLI, Arrow/Parquet, the Spark job in local mode, the DuckDB query).
#
# Installs what is missing: python3-venv and a JRE (openjdk-17-jre-headless,
# for Spark) from Debian's packages, the Python packages of
# python/requirements-test.txt from PyPI into target/py-venv (kept between
# runs; rebuilt when that file changes). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
start=$SECONDS

apt_install() {
  local sudo=
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing: $*" >&2
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless

venv=target/py-venv
req=python/requirements-test.txt
if ! cmp -s "$req" "$venv/requirements.txt" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
  cp "$req" "$venv/requirements.txt"
fi
echo "python env ready: $((SECONDS - start)) s" >&2

# The CLI the tests compare with (cargo test has built it already).
cargo build --locked -q -p installsift-cli
export INSTALLSIFT_CLI=$root/target/debug/installsift

# The wheel, as a user gets it (debug profile: it shares the engine's
# compiled crates with `cargo test`; `maturin build --release` for the
# figures and for users). Installed, not editable: the tests import what
# pip installed.
rm -rf target/wheels
t=$SECONDS
(cd python && "$root/$venv/bin/maturin" build --locked -q -o "$root/target/wheels" 2>&1 | grep -v '^📦\|^🔗\|^🐍' >&2 || true)
wheel=$(ls target/wheels/installsift-*-cp39-abi3-*.whl)
echo "wheel built in $((SECONDS - t)) s: $wheel" >&2
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"

# Acceptance: pip install of the wheel into a clean virtual environment
# (no other package), then import and scan the corpus: the JSONL must be
# the CLI's, byte for byte.
clean=target/py-clean
rm -rf "$clean"
python3 -m venv "$clean"
"$clean/bin/pip" install -q --disable-pip-version-check --no-index "$wheel"
"$INSTALLSIFT_CLI" scan --format jsonl corpus > target/py-corpus.jsonl
(cd "$root" && "$clean/bin/python" -c '
import installsift, sys
records = installsift.scan_path("corpus")
assert installsift.scan_paths_jsonl("corpus") == open("target/py-corpus.jsonl", "rb").read()
assert "site-packages" in installsift.__file__, installsift.__file__
print(f"clean venv: installsift {installsift.__version__} scanned corpus/: {len(records)} nodes, equal to the CLI", file=sys.stderr)
')

# From the root (the tests name corpus/ files as the CLI does); the
# package comes from site-packages: there is no installsift/ here.
"$venv/bin/python" -m pytest -q -p no:cacheprovider --durations=8 python/tests "$@"
echo "python tests: $((SECONDS - start)) s in all" >&2
