#!/usr/bin/env bash
# The public Rust API of the published crates checked for semver breaks
# (cargo-semver-checks) against a baseline git revision: by default the
# commit that set the workspace to its current version (the cut of that
# version, e.g. 0.2.0), or the revision given (a tag such as v0.2.0 once
# releases are tagged):
#
#   scripts/semver_check.sh            # against the cut of the current version
#   scripts/semver_check.sh v0.2.0     # against a tag or any revision
#
# A change that breaks the API fails unless the version was raised to
# allow it (below 1.0, the minor number: 0.2.x -> 0.3.0).
#
# Not run by scripts/test.sh: cargo-semver-checks is no Debian package and
# `cargo install cargo-semver-checks --locked` compiles 416 crates, 608
# CPU-seconds (README, "Publishing", has the figures): with everything else
# over CI's 15 minutes. Install it once, then run this script:
#   cargo install cargo-semver-checks --locked
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo semver-checks --version >/dev/null 2>&1; then
  echo "cargo-semver-checks is missing: cargo install cargo-semver-checks --locked" >&2
  exit 2
fi
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
baseline=${1:-}
if [ -z "$baseline" ]; then
  # The oldest commit whose Cargo.toml diff adds or removes this version line:
  # the one that introduced it.
  baseline=$(git log --format=%H -G "^version = \"${version//./\\.}\"" -- Cargo.toml | tail -n 1)
  if [ -z "$baseline" ]; then
    echo "no commit sets version $version in Cargo.toml; name a baseline revision" >&2
    exit 2
  fi
fi
echo "semver check of version $version against $(git rev-parse --short "$baseline")" >&2
# --workspace: every member but those with publish = false (the Python binding).
exec cargo semver-checks check-release --workspace --baseline-rev "$baseline"
