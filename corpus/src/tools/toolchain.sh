#!/usr/bin/env bash
# installsift test corpus: programs made by other toolchains than mingw-w64 C (toolchain/),
# for the builder identification of issue 21 (`tools` in the JSONL contract):
#   toolchain/go_hello_x86.exe    Go (Debian `golang-go`, go1.19.8) of src/toolchain/hello.go,
#                                 GOOS=windows GOARCH=386 CGO_ENABLED=0, -trimpath, stripped
#                                 (-s -w), empty build id: the `\xff Go buildinf:` header
#                                 states go1.19.8 inline
#   toolchain/rust_hello_x64.exe  rustc (rustup, x86_64-pc-windows-gnu, linked by Debian's
#                                 gcc-mingw-w64-x86-64) of src/toolchain/hello.rs, opt-level=z,
#                                 panic=abort, LTO, symbols stripped: rustc's `/rustc/<commit>/`
#                                 paths name the compiler's commit, no version string
# Neither toolchain writes a timestamp into these PEs, so a rebuild with the same tool
# versions gives the same bytes (checked: two builds, identical SHA-256).
# Needs: go (apt-get install golang-go), rustc with the x86_64-pc-windows-gnu target
# (rustup target add x86_64-pc-windows-gnu), x86_64-w64-mingw32-gcc (apt-get install
# gcc-mingw-w64-x86-64).
#   bash corpus/src/tools/toolchain.sh
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRC=$HERE/src/toolchain
OUT=$HERE/toolchain
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-toolchain.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
command -v go >/dev/null || { echo "toolchain.sh: missing go -- apt-get install golang-go" >&2; exit 1; }
command -v rustc >/dev/null || { echo "toolchain.sh: missing rustc -- rustup (https://rustup.rs)" >&2; exit 1; }
command -v x86_64-w64-mingw32-gcc >/dev/null || { echo "toolchain.sh: missing x86_64-w64-mingw32-gcc -- apt-get install gcc-mingw-w64-x86-64" >&2; exit 1; }
mkdir -p "$OUT"

# Go: a module of its own in the work directory, no network (no dependencies).
cp "$SRC/hello.go" "$WORK/main.go"
printf 'module hello\n\ngo 1.19\n' > "$WORK/go.mod"
(cd "$WORK" && GOOS=windows GOARCH=386 CGO_ENABLED=0 GOFLAGS=-mod=mod GOCACHE="$WORK/cache" \
    go build -trimpath -ldflags="-s -w -buildid=" -o "$OUT/go_hello_x86.exe" .)

# Rust
rustc --target x86_64-pc-windows-gnu -C opt-level=z -C panic=abort -C strip=symbols \
    -C codegen-units=1 -C lto=fat -C link-arg=-Wl,--no-insert-timestamp -o "$OUT/rust_hello_x64.exe" "$SRC/hello.rs"

touch -d @1717200000 "$OUT"/*.exe
chmod 644 "$OUT"/*.exe
go version > "$OUT/.versions"
rustc --version >> "$OUT/.versions"
sha256sum "$OUT"/*.exe
cat "$OUT/.versions"
rm -f "$OUT/.versions"
