#!/usr/bin/env python3
"""Signature facts of installsift against `osslsigncode verify` (Debian
package `osslsigncode`), per signature (primary and nested):

  digest algorithm, signer certificate subject / issuer / serial /
  notBefore / notAfter, signing time (authenticated attribute), and the
  timestamp (RFC 3161 or Authenticode countersignature): time, hash
  algorithm, issuer and serial of the timestamping certificate.

For every signed PE and MSI given (default: the signed samples of corpus/
and /work/samples/). Names are compared as attribute lists (osslsigncode
prints `/C=GB/ST=…`, installsift `C=GB, ST=…`). Trust is not compared:
installsift validates no chain (no root store).

Prints one line per file plus a line per disagreement and a summary; exit 1
on any disagreement.

    python3 scripts/check_signature_facts.py [--bin target/debug/installsift] [FILE...]
"""
import argparse
import datetime
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_signatures  # noqa: E402  (split_entries)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ossl_time(s):
    """`Feb 18 17:14:58 2017 GMT` -> `2017-02-18T17:14:58Z`."""
    t = datetime.datetime.strptime(" ".join(s.split()[:4]), "%b %d %H:%M:%S %Y")
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def slash_name(s):
    # OpenSSL's one-line form escapes a `/` inside a value as `\/`.
    return [p.replace("\\/", "/") for p in re.split(r"(?<!\\)/(?=[A-Za-z0-9.]+=)", s.strip().lstrip("/"))]


def serial(theirs, ours):
    """osslsigncode prints a serial whose DER INTEGER is negative (high bit
    set, no 00 pad: an encoder bug some CAs had) as a signed number
    (`-06F7…`); installsift, like Windows (certutil, .NET SerialNumber),
    gives the INTEGER's bytes (`F908…`). Same bytes: two's complement."""
    theirs = theirs.lower()
    if theirs.startswith("-") and ours:
        width = len(ours) * 4
        return format((1 << width) - int(theirs[1:], 16), f"0{len(ours)}x")
    return theirs


def comma_name(s):
    return re.split(r", (?=[A-Za-z0-9.]+=)", s.strip()) if s else []


def ossl(path):
    out = subprocess.run(
        ["osslsigncode", "verify", "-in", path],
        capture_output=True, text=True, errors="replace",
    ).stdout
    sigs, cur, section = [], None, None
    for raw in out.splitlines():
        line = raw.strip()
        m = re.match(r"Signature Index: (\d+)", line)
        if m:
            cur = {"index": int(m.group(1))}
            sigs.append(cur)
            section = None
            continue
        if cur is None:
            continue
        if line.startswith("Signer's certificate:"):
            section = "signer"
        elif line.startswith("Authenticated attributes:"):
            section = "attrs"
        elif line.startswith("Countersignatures:") or line.startswith("The signature is timestamped"):
            section = "ts"
        elif line.startswith(("CAfile:", "Timestamp verified", "Failed", "Signer's certificate chain")):
            section = "other"
        m = re.match(r"Message digest algorithm\s*:\s*(\S+)", line)
        if m and "alg" not in cur:
            cur["alg"] = m.group(1).lower()
        if section == "signer" and "signer_done" not in cur:
            for key, field in (("Subject", "subject"), ("Issuer", "issuer"), ("Serial", "serial"),
                               ("notBefore", "not_before"), ("notAfter", "not_after")):
                m = re.match(rf"{key}\s*:\s*(.*)", line)
                if m:
                    cur["signer_" + field] = m.group(1).strip()
                    if field == "not_after":
                        cur["signer_done"] = True
        if section == "attrs":
            m = re.match(r"Signing time:\s*(.*)", line)
            if m:
                cur["signing_time"] = ossl_time(m.group(1))
        if section == "ts":
            for key, field in (("Timestamp time", "time"), ("Hash Algorithm", "alg"),
                               ("Issuer", "issuer"), ("Serial", "serial")):
                m = re.match(rf"{key}:\s*(.*)", line)
                if m and "ts_" + field not in cur:
                    cur["ts_" + field] = m.group(1).strip()
    return sigs


def ours(binary, path):
    out = subprocess.run(
        [binary, "scan", "-f", "jsonl", "--max-depth", "0", path],
        capture_output=True, text=True, check=True,
    ).stdout
    node = json.loads(out.splitlines()[0])
    return node, (node.get("metadata") or {}).get("signatures", [])


def compare(r, s):
    """Disagreements between osslsigncode's signature r and ours s."""
    bad = []

    def same(what, a, b):
        if a != b:
            bad.append(f"#{r['index']} {what}: osslsigncode {a!r}, installsift {b!r}")

    same("digest algorithm", r.get("alg"), s.get("digest_algorithm"))
    signer = s.get("signer") or {}
    chain = s.get("chain") or []
    leaf = chain[0] if chain else {}
    same("signer subject", slash_name(r.get("signer_subject", "")), comma_name(signer.get("subject")))
    same("signer issuer", slash_name(r.get("signer_issuer", "")), comma_name(signer.get("issuer")))
    same("signer serial", serial(r.get("signer_serial", ""), signer.get("serial")), signer.get("serial"))
    if "signer_not_before" in r:
        same("signer notBefore", ossl_time(r["signer_not_before"]), leaf.get("not_before"))
        same("signer notAfter", ossl_time(r["signer_not_after"]), leaf.get("not_after"))
    same("signing time", r.get("signing_time"), s.get("signing_time"))
    ts = s.get("timestamp") or {}
    if "ts_time" in r or ts:
        same("timestamp time", ossl_time(r["ts_time"]) if "ts_time" in r else None, ts.get("time"))
        same("timestamp hash", r.get("ts_alg", "").lower() or None, ts.get("digest_algorithm"))
        same("timestamp issuer", slash_name(r.get("ts_issuer", "")), comma_name(ts.get("issuer")))
        same("timestamp serial", serial(r.get("ts_serial", ""), ts.get("serial")) or None, ts.get("serial"))
    return bad


def default_files():
    files = []
    for pattern in [os.path.join(ROOT, "corpus/**/*"), "/work/samples/**/*"]:
        for f in sorted(glob.glob(pattern, recursive=True)):
            if os.path.isfile(f) and not os.path.basename(f).startswith("."):
                files.append(f)
    return files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/debug/installsift"))
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    if shutil.which("osslsigncode") is None:
        sys.exit("osslsigncode not found: apt-get install osslsigncode")
    rows, files_bad, nsig, nfiles, with_ts = [], 0, 0, 0, 0
    for f in a.files or default_files():
        try:
            node, sigs = ours(a.bin, f)
        except (subprocess.CalledProcessError, IndexError, ValueError):
            continue
        if node["format"] not in ("pe", "msi", "msm", "msp") or not sigs:
            continue
        ref = ossl(f)
        name = os.path.relpath(f, ROOT) if f.startswith(ROOT) else f
        if not ref and node["format"] == "pe":
            # Several WIN_CERTIFICATE entries (osslsigncode refuses the
            # table): one copy per entry, as check_signatures.py does.
            tmp = tempfile.mkdtemp(prefix="sigfacts-")
            try:
                for copy in check_signatures.split_entries(f, tmp):
                    ref += ossl(copy)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            for i, r in enumerate(ref):
                r["index"] = i
        if not ref:
            rows.append(f"skip     {name} (osslsigncode reads no signature: "
                        "data after the signature or several certificate-table entries; "
                        "see check_signatures.py)")
            continue
        nfiles += 1
        bad = []
        if len(ref) != len(sigs):
            bad.append(f"osslsigncode reads {len(ref)} signatures, installsift {len(sigs)}")
        for r, s in zip(ref, sigs):
            bad += compare(r, s)
            nsig += 1
            with_ts += bool(s.get("timestamp"))
        files_bad += bool(bad)
        kinds = ",".join((s.get("timestamp") or {}).get("kind", "-") for s in sigs)
        rows.append(f"{'ok' if not bad else 'DISAGREE':8} {len(sigs)} sig  ts={kinds:28} {name}")
        rows += ["         " + b for b in bad]
    print("\n".join(rows))
    print(f"\n{nfiles} signed files, {nsig} signatures ({with_ts} timestamped) compared field by "
          f"field; {files_bad} files with disagreements")
    sys.exit(1 if files_bad else 0)


if __name__ == "__main__":
    main()
