//! Differential decoder test, the small subset that runs in `cargo test`
//! (the full run, thousands of streams per codec, is
//! `scripts/differential.py`; its counts are in `scripts/results/`).
//!
//! Seeded content (text, x86-like code full of E8/E9, zeros, random bytes)
//! is packed by the real tools into every archive kind and codec we decode;
//! each archive is then extracted by a reference tool and scanned by us, and
//! every entry's SHA-256 must equal both the content's and the reference's.
//! A missing tool fails the test with the Debian package that has it.

use installsift::{Node, Scanner};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// xorshift64*: deterministic content without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn content(rng: &mut Rng, kind: u64, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len);
    const WORDS: &[&[u8]] = &[
        b"setup ",
        b"install ",
        b"file ",
        b"the ",
        b"registry ",
        b"\r\n",
    ];
    while v.len() < len {
        match kind {
            0 => v.extend_from_slice(WORDS[rng.below(WORDS.len() as u64) as usize]),
            1 => {
                // x86-like: calls and jumps with near targets among opcodes.
                if rng.below(5) == 0 {
                    v.push(if rng.below(2) == 0 { 0xE8 } else { 0xE9 });
                    let rel = (rng.below(0x10000) as i32 - 0x8000) as u32;
                    v.extend_from_slice(&rel.to_le_bytes());
                } else {
                    v.extend_from_slice(
                        &[0x55, 0x8B, 0xEC, 0x83, 0xEC, 0x10, 0xC3][..1 + rng.below(6) as usize],
                    );
                }
            }
            2 => v.push(0),
            _ => v.extend_from_slice(&rng.next().to_le_bytes()),
        }
    }
    v.truncate(len);
    v
}

fn sha(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn need(tool: &str, package: &str) {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(found, "`{tool}` is missing: apt-get install {package}");
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run tool");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Regular files under `dir`, by relative path, with their SHA-256.
fn tree(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir) {
        let e = e.expect("walk");
        if e.file_type().is_file() {
            let rel = e
                .path()
                .strip_prefix(dir)
                .expect("under")
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel, sha(&std::fs::read(e.path()).expect("read")));
        }
    }
    out
}

fn children(n: &Node) -> BTreeMap<String, Option<String>> {
    n.children
        .iter()
        .map(|c| {
            (
                c.info.path.last().cloned().unwrap_or_default(),
                c.info.sha256.map(|h| h.to_string()),
            )
        })
        .collect()
}

/// Pack `files` streams with `pack`, then check our hashes and the
/// reference's against the content. Returns the streams compared.
fn check(tag: &str, seed: u64, files: usize, pack: &[&str], reference: &str) -> usize {
    let dir = crate::util::Scratch::dir(&format!("installsift-diff-{tag}"));
    let src = dir.0.join("src");
    std::fs::create_dir_all(&src).expect("src");
    let mut rng = Rng(seed | 1);
    let mut want = BTreeMap::new();
    let mut names = Vec::new();
    for i in 0..files {
        let kind = rng.below(4);
        let len = match rng.below(10) {
            0 => rng.below(8) as usize,
            1 => 64 * 1024 + rng.below(200_000) as usize,
            _ => rng.below(16 * 1024) as usize,
        };
        let data = content(&mut rng, kind, len);
        let name = format!("f{i:03}_{kind}.bin");
        std::fs::write(src.join(&name), &data).expect("write");
        want.insert(name.clone(), sha(&data));
        names.push(name);
    }
    let archive = dir.0.join("a.out");
    let mut cmd = Command::new(pack[0]);
    cmd.args(&pack[1..])
        .arg(&archive)
        .args(&names)
        .current_dir(&src);
    run(&mut cmd);

    let x = dir.0.join("x");
    std::fs::create_dir_all(&x).expect("x");
    match reference {
        "7zz" => run(Command::new("7zz")
            .args(["x", "-bd", "-bso0", "-bsp0", "-y"])
            .arg(format!("-o{}", x.display()))
            .arg(&archive)),
        "bsdtar" => run(Command::new("bsdtar")
            .arg("-x")
            .arg("-f")
            .arg(&archive)
            .arg("-C")
            .arg(&x)),
        "cabextract" => run(Command::new("cabextract")
            .arg("-q")
            .arg("-d")
            .arg(&x)
            .arg(&archive)),
        other => panic!("unknown reference {other}"),
    }
    let theirs = tree(&x);
    let r = Scanner::new().scan_path(&archive).expect("scan");
    let ours = children(&r.root);
    for (name, h) in &want {
        assert_eq!(
            theirs.get(name),
            Some(h),
            "{tag}: {reference} disagrees with the content on {name}"
        );
        assert_eq!(
            ours.get(name),
            Some(&Some(h.clone())),
            "{tag}: our bytes of {name} differ from the content (and from {reference}); errors: {:?}",
            r.root.find(name).map(|n| &n.info.errors)
        );
    }
    want.len()
}

#[test]
fn our_decoders_agree_with_the_reference_tools() {
    need("7zz", "7zip");
    need("gcab", "gcab");
    need("bsdtar", "libarchive-tools");
    need("cabextract", "cabextract");
    need("zip", "zip");
    let sz = |m: &'static [&'static str]| {
        let mut v = vec!["7zz", "a", "-bd", "-bso0", "-bsp0", "-mmt=1"];
        v.extend_from_slice(m);
        v
    };
    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        ("7z-lzma-solid", sz(&["-t7z", "-m0=lzma", "-ms=on"]), "7zz"),
        ("7z-lzma2", sz(&["-t7z", "-m0=lzma2", "-ms=off"]), "7zz"),
        (
            "7z-bcj-lzma-solid",
            sz(&["-t7z", "-m0=bcj", "-m1=lzma", "-ms=on"]),
            "7zz",
        ),
        (
            "7z-bcj2",
            sz(&[
                "-t7z",
                "-m0=BCJ2",
                "-m1=LZMA:d20",
                "-m2=LZMA:d20",
                "-m3=LZMA:d20",
                "-mb0:1",
                "-mb0s1:2",
                "-mb0s2:3",
            ]),
            "7zz",
        ),
        (
            "7z-arm64",
            sz(&["-t7z", "-m0=ARM64", "-m1=lzma2", "-ms=off"]),
            "7zz",
        ),
        ("7z-delta", sz(&["-t7z", "-m0=Delta:4", "-m1=lzma2"]), "7zz"),
        ("7z-ppmd", sz(&["-t7z", "-m0=ppmd", "-ms=off"]), "7zz"),
        ("7z-bzip2", sz(&["-t7z", "-m0=bzip2", "-ms=on"]), "7zz"),
        (
            "7z-deflate64",
            sz(&["-t7z", "-m0=deflate64", "-ms=off"]),
            "7zz",
        ),
        ("zip-deflate64", sz(&["-tzip", "-mm=Deflate64"]), "7zz"),
        ("zip-lzma", sz(&["-tzip", "-mm=LZMA"]), "7zz"),
        ("zip-bzip2", sz(&["-tzip", "-mm=BZip2"]), "bsdtar"),
        (
            "zip-deflate-infozip",
            vec!["zip", "-q", "-X", "-9"],
            "bsdtar",
        ),
        ("cab-mszip", vec!["gcab", "-c", "-z"], "cabextract"),
        (
            "xar-xz",
            vec![
                "bsdtar",
                "--format",
                "xar",
                "--options",
                "xar:compression=xz",
                "-c",
                "-f",
            ],
            "bsdtar",
        ),
        (
            "xar-gzip",
            vec![
                "bsdtar",
                "--format",
                "xar",
                "--options",
                "xar:compression=gzip",
                "-c",
                "-f",
            ],
            "bsdtar",
        ),
    ];
    let mut total = 0;
    for (i, (tag, pack, reference)) in cases.iter().enumerate() {
        total += check(tag, 0x1517_0000 + i as u64, 24, pack, reference);
    }
    assert!(total >= 300, "only {total} streams compared");
}
