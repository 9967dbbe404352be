#!/usr/bin/env bash
# The project's one test command (README, "Two commands"; .ci/run calls it).
# Installs the reference tools the differential and cross-check tests compare
# against (Debian packages) when they are missing, and Chromium, in which the
# HTML report's tests load it headless (tests/it/report.rs; about 30 s to
# install), then runs every test:
# cargo's, then Python's (scripts/test_python.sh: the wheel, pytest, Spark).
# Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
# command:package
need=(
  7zz:7zip cabextract:cabextract msiextract:msitools msiinfo:msitools
  gcab:gcab innoextract:innoextract unshield:unshield bsdtar:libarchive-tools
  makensis:nsis osslsigncode:osslsigncode zip:zip
  chromium:chromium
)
missing=()
for pair in "${need[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "installing reference tools: ${missing[*]}" >&2
  sudo=
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
cargo test --locked "$@"
# Every published crate packages (issue 21, "Ready to publish"): manifests,
# file lists (no corpus, no goldens) and versioned path dependencies.
# --no-verify: verifying builds each package from scratch, 4 min 51 s here
# against 7 s without (README, "Publishing"); the workspace build above
# already compiles the same sources. --allow-dirty: what is checked is the
# packages, not whether the work tree is committed.
cargo package --workspace --exclude installsift-python --locked --no-verify --allow-dirty --quiet
# The Python package, the Spark job and the DuckDB query (issue 20):
# builds the wheel, installs Python packages and a JRE when missing.
scripts/test_python.sh
