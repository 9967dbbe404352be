#!/bin/sh
# Reference listing of an InstallShield cabinet set with unshield:
#   unshield_reference.sh DIR   (DIR holds data1.hdr / data1.cab / dataN.cab)
# prints `group/dir/name<TAB>size<TAB>sha256` per file, as `unshield l` names
# them (`\` turned into `/`), hashes from `unshield x` run per file group so
# that unshield's own name mangling of the output folders does not matter.
set -eu
DIR=$1
CAB=$DIR/data1.cab
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unshield g "$CAB" | sed -n '2,/^-------$/p' | sed '$d' > "$T/groups"
n=0
while IFS= read -r g; do
    n=$((n + 1))
    out=$T/x$n
    unshield -R -g "$g" -d "$out" x "$CAB" > /dev/null
    # unshield l prints `size  group\dir\name`; x writes out/<group>/<dir>/<name>
    unshield -g "$g" l "$CAB" | sed -n 's/^ *\([0-9][0-9]*\)  \(.*\)$/\1\t\2/p' |
    while IFS="$(printf '\t')" read -r size path; do
        rel=${path#"$g\\"}
        rel=$(printf '%s' "$rel" | tr '\\' '/')
        top=$(ls "$out")
        sha=$(sha256sum "$out/$top/$rel" | cut -d' ' -f1)
        printf '%s\t%s\t%s\n' "$(printf '%s' "$path" | tr '\\' '/')" "$size" "$sha"
    done
done < "$T/groups"
