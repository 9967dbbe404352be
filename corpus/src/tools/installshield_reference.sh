#!/bin/sh
# Reference listings for the InstallShield setups of corpus/installshield/:
#   installshield_reference.sh INSTALLSIFT CORPUS_DIR
# - clam_IScab_*.exe: the overlay records are written out by `installsift
#   extract` (plain records: byte ranges, nothing decoded), then unshield
#   lists and extracts the cabinet set data1.hdr + dataN.cab
#   (unshield_reference.sh) -> reference/installshield__<exe>.unshield.tsv
# - clam_ISmsi_*.exe: the MSI record is de-obfuscated and inflated by
#   installsift (the scheme ClamAV's libclamav/ishield.c documents), then
#   msiextract unpacks that MSI -> reference/installshield__<exe>.msiextract.tsv
set -eu
BIN=$1
C=$(cd "$2" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for exe in clam_IScab_int.exe clam_IScab_ext.exe; do
    "$BIN" extract "$C/installshield/$exe" -o "$T/$exe" > /dev/null
    sh "$HERE/unshield_reference.sh" "$T/$exe/$exe/Disk1" | LC_ALL=C sort \
        > "$C/reference/installshield__$exe.unshield.tsv"
done
for exe in clam_ISmsi_int.exe clam_ISmsi_ext.exe; do
    "$BIN" extract "$C/installshield/$exe" -o "$T/$exe" > /dev/null
    msi=$T/$exe/$exe/clam.msi
    file "$msi" | grep -q 'Composite Document File' || { echo "$exe: no MSI" >&2; exit 1; }
    d=$T/$exe.msi
    mkdir -p "$d"
    msiextract -C "$d" "$msi" > /dev/null
    (cd "$d" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r f; do
        printf '%s\t%s\t%s\n' "$f" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"
    done) > "$C/reference/installshield__$exe.msiextract.tsv"
done
