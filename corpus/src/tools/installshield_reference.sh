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
# - cab_set_in/installshield_set.iso: clam_IScab_ext.exe's set on an ISO (below)
# Needs: unshield, msiextract (msitools), genisoimage, faketime, bsdtar.
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
# The same InstallShield set (data1.hdr + data1.cab + data2.cab, with
# setup.ini) as sibling entries of an install medium: the records written out
# above (byte for byte) put in Disk1/ of an ISO by genisoimage (Joliet and Rock
# Ridge) -> cab_set_in/installshield_set.iso; reference: unshield on the set
# bsdtar extracts from that ISO -> reference/cab_set_in__installshield_set.iso.unshield.tsv
exe=clam_IScab_ext.exe
mkdir -p "$T/iso/Disk1" "$C/cab_set_in"
for f in data1.hdr data1.cab data2.cab setup.ini; do
    cp "$T/$exe/$exe/Disk1/$f" "$T/iso/Disk1/$f"
done
touch -d @1717200000 "$T/iso/Disk1"/* "$T/iso/Disk1" "$T/iso"
(cd "$T/iso" && faketime -f '2024-06-01 00:00:00' genisoimage -quiet -no-pad -J -R -V ISSET \
    -o "$C/cab_set_in/installshield_set.iso" .)
mkdir -p "$T/isox"
bsdtar -xf "$C/cab_set_in/installshield_set.iso" -C "$T/isox"
sh "$HERE/unshield_reference.sh" "$T/isox/Disk1" | LC_ALL=C sort \
    > "$C/reference/cab_set_in__installshield_set.iso.unshield.tsv"
cmp -s "$C/reference/cab_set_in__installshield_set.iso.unshield.tsv" \
    "$C/reference/installshield__$exe.unshield.tsv" \
    || { echo "installshield_reference.sh: the set in the ISO lists differently" >&2; exit 1; }
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
