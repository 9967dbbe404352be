#!/usr/bin/env bash
# Wall time, peak RSS and the errors of scanning each trap sample.
#
#   scripts/trap_rss.sh [BINARY] [SAMPLES...]
#
# BINARY defaults to target/release/installsift (build it first with
# `cargo build --release`); SAMPLES default to corpus/traps/* plus the
# hostile-name sample. Peak RSS is GNU time's "Maximum resident set size"
# of the whole process (the input is memory-mapped, so its pages count);
# "baseline" is the same for an empty file, so peak - baseline is what the
# trap itself cost. Errors are kind (and limit) per node, most frequent first.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${1:-$HERE/target/release/installsift}
shift || true
if [ $# -eq 0 ]; then
    set -- "$HERE"/corpus/traps/* "$HERE"/corpus/malformed/traversal.zip
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
measure() { # measure FILE -> "seconds kib" ; report in $TMP/out
    /usr/bin/time -f '%e %M' -o "$TMP/time" "$BIN" scan -f jsonl "$1" >"$TMP/out" 2>"$TMP/err" || true
    cat "$TMP/time"
}
: >"$TMP/empty"
read -r _ base < <(measure "$TMP/empty")
printf '| sample | bytes | wall s | peak RSS MiB | minus baseline MiB | nodes | errors (kind, limit: count) |\n'
printf '|---|---|---|---|---|---|---|\n'
for f in "$@"; do
    read -r secs kib < <(measure "$f")
    nodes=$(wc -l <"$TMP/out")
    errs=$(python3 - "$TMP/out" <<'PY'
import json, sys, collections
c = collections.Counter()
for line in open(sys.argv[1]):
    try:
        n = json.loads(line)
    except ValueError:
        continue
    for e in n.get("errors") or []:
        # "limit-exceeded: max_ratio: …" → "limit-exceeded: max_ratio"
        kind, _, rest = e.partition(": ")
        if kind == "limit-exceeded":
            kind += ": " + rest.partition(":")[0]
        c[kind] += 1
print(", ".join(f"{k} {v}" for k, v in c.most_common()) or "none")
PY
)
    printf '| %s | %s | %s | %.1f | %.1f | %s | %s |\n' "$(basename "$f")" "$(stat -c %s "$f")" "$secs" \
        "$(echo "$kib / 1024" | bc -l)" "$(echo "($kib - $base) / 1024" | bc -l)" "$nodes" "$errs"
done
printf '\nbaseline (empty file): %.1f MiB peak RSS\n' "$(echo "$base / 1024" | bc -l)"
