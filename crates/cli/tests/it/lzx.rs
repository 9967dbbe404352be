//! LZX cabinets decoded byte for byte as libmspack (cabextract) decodes
//! them: a few hundred seeded streams from the test encoder (crates/cli/tests/lzxgen),
//! each member compared with the original bytes, with what cabextract
//! writes and with what installsift reports. The larger run, also against
//! 7-Zip, is `scripts/diff_lzx.sh` (results in scripts/results/).

#[allow(dead_code)]
#[path = "../lzxgen/mod.rs"]
mod lzxgen;

use installsift::Scanner;
use lzxgen::cab::{cabinet, File, Folder};
use lzxgen::cases::case;
use lzxgen::encoder::{encode, MAX_CHUNK};
use lzxgen::rng::Rng;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Command;

/// Streams checked here (one cabinet folder each).
const STREAMS: u64 = 300;
/// Largest stream: keeps the unoptimised test build quick.
const MAX_LEN: usize = 70_000;

fn hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

#[test]
fn lzx_cabinets_decode_as_cabextract_decodes_them() {
    let version = Command::new("cabextract").arg("--version").output();
    assert!(
        version.is_ok_and(|o| o.status.success()),
        "this test compares LZX decoding with cabextract (libmspack), which is not \
         installed: apt-get install cabextract"
    );
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("lzx-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.join("out");
    std::fs::create_dir_all(&out).expect("mkdir");

    let scanner = Scanner::new();
    let mut rng = Rng::new(0x1A2);
    // (member name, original bytes' SHA-256)
    let mut members: Vec<(String, String)> = Vec::new();
    let mut cabs = Vec::new();
    let mut ours_wrong = Vec::new();
    // What the streams covered: windows 15 to 21, verbatim, aligned and
    // uncompressed blocks, E8 translation off and on, and many frames.
    let (mut windows, mut kinds, mut e8, mut frames) = ([0; 7], [0; 3], [0; 2], 0);
    let mut index = 0;
    while index < STREAMS {
        let cab_no = cabs.len();
        let mut folders = Vec::new();
        let mut files = Vec::new();
        let mut originals = Vec::new();
        for s in 0..rng.range(1, 6).min(STREAMS - index) {
            let c = case(0x7E57, index, MAX_LEN);
            index += 1;
            let stream = encode(&c.input, &c.opts);
            assert!(stream.frames.iter().all(|(f, _)| f.len() <= MAX_CHUNK));
            windows[usize::from(c.opts.window_bits - 15)] += 1;
            for (k, n) in kinds.iter_mut().zip(stream.stats.blocks) {
                *k += n;
            }
            e8[usize::from(c.opts.e8.is_some_and(|s| s != 0))] += 1;
            frames += stream.frames.len();
            let n = c.input.len();
            let mut cuts = vec![0, n];
            for _ in 0..rng.below(3) {
                cuts.push(rng.below(n as u64 + 1) as usize);
            }
            cuts.sort_unstable();
            for (k, w) in cuts.windows(2).enumerate() {
                let name = format!("c{cab_no}_s{s}_f{k}.bin");
                files.push(File {
                    name: name.clone(),
                    folder: folders.len() as u16,
                    offset: w[0] as u32,
                    size: (w[1] - w[0]) as u32,
                });
                originals.push((name, hex(&c.input[w[0]..w[1]])));
            }
            folders.push(Folder {
                window_bits: c.opts.window_bits,
                frames: stream.frames,
            });
        }
        let cab = cabinet(&folders, &files);
        let report = scanner.scan_bytes("lzx.cab", &cab);
        for (name, sha) in &originals {
            let ours = report
                .root
                .children
                .iter()
                .find(|c| c.info.path.last() == Some(name))
                .map(|c| (c.info.sha256.map(|h| h.to_string()), c.info.errors.clone()));
            if ours != Some((Some(sha.clone()), Vec::new())) {
                ours_wrong.push(format!("{name}: ours {ours:?}"));
            }
        }
        let path = dir.join(format!("c{cab_no}.cab"));
        std::fs::write(&path, &cab).expect("write cab");
        cabs.push(path);
        members.extend(originals);
    }
    assert!(
        ours_wrong.is_empty(),
        "installsift differs from the original bytes:\n{}",
        ours_wrong.join("\n")
    );

    let run = Command::new("cabextract")
        .arg("-q")
        .arg("-d")
        .arg(&out)
        .args(&cabs)
        .output()
        .expect("run cabextract");
    assert!(
        run.status.success(),
        "cabextract failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut differ = Vec::new();
    for (name, sha) in &members {
        match std::fs::read(out.join(name)) {
            Ok(bytes) if hex(&bytes) == *sha => {}
            Ok(_) => differ.push(format!("{name}: cabextract wrote other bytes")),
            Err(e) => differ.push(format!("{name}: cabextract wrote nothing ({e})")),
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} members differ:\n{}",
        differ.len(),
        members.len(),
        differ.join("\n")
    );
    assert!(members.len() as u64 >= STREAMS);
    assert!(
        windows.iter().all(|&n| n >= 10)
            && kinds.iter().all(|&n| n >= 50)
            && e8.iter().all(|&n| n >= 50)
            && frames >= 500,
        "coverage: streams per window size 15..=21 {windows:?}, blocks (verbatim, aligned, \
         uncompressed) {kinds:?}, E8 off/on {e8:?}, frames {frames}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A frame that does not decode: the files before it keep their bytes,
/// the ones from it on are missing with a `malformed` error that names the
/// CFDATA block and the LZX frame.
#[test]
fn damage_in_a_later_frame_keeps_the_files_before_it() {
    let mut rng = Rng::new(77);
    let data = lzxgen::data::x86(&mut rng, 3 * 32768 + 500, 0);
    let opts = lzxgen::encoder::Options {
        window_bits: 16,
        e8: Some(12_000_000),
        ..Default::default()
    };
    let mut frames = encode(&data, &opts).frames;
    // Frame 2's data zeroed (its checksum is computed afterwards): all-zero
    // codes decode to something until a match runs past the frame's end.
    frames[2].0.iter_mut().for_each(|b| *b = 0);
    let cab = cabinet(
        &[Folder {
            window_bits: 16,
            frames,
        }],
        &[
            File {
                name: "first.bin".into(),
                folder: 0,
                offset: 0,
                size: 65_536,
            },
            File {
                name: "second.bin".into(),
                folder: 0,
                offset: 65_536,
                size: (data.len() - 65_536) as u32,
            },
        ],
    );
    let report = Scanner::new().scan_bytes("damaged.cab", &cab);
    let [first, second] = &report.root.children[..] else {
        panic!("two children: {:?}", report.root.children.len());
    };
    assert_eq!(
        first.info.sha256.map(|h| h.to_string()),
        Some(hex(&data[..65_536]))
    );
    assert!(first.info.errors.is_empty(), "{:?}", first.info.errors);
    assert!(second.info.sha256.is_none());
    let e = &second.info.errors[0];
    assert_eq!(e.kind(), "malformed");
    let text = e.to_string();
    assert!(
        text.contains("CFDATA block 2 of folder 0")
            && text.contains("LZX frame 2 (output offset 65536)"),
        "{text}"
    );
}

/// Every LZX cabinet of the corpus: cabinet files, cabinets inside other
/// files (an InstallShield launcher's, carved at their `MSCF` header and
/// declared size) and the cabinet streams of MSIs, merge modules and
/// patches (taken out with `msiinfo extract`), as (where, bytes).
fn corpus_lzx_cabinets() -> Vec<(String, Vec<u8>)> {
    let le16 = |d: &[u8], o: usize| d.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let le32 = |d: &[u8], o: usize| {
        d.get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    // The first folder's compression type is LZX (3).
    let lzx = |d: &[u8]| {
        let first = match le16(d, 30) {
            Some(f) if f & 4 != 0 => le16(d, 36).map(|n| 40 + usize::from(n)),
            Some(_) => Some(36),
            None => None,
        };
        first
            .and_then(|f| le16(d, f + 6))
            .is_some_and(|t| t & 15 == 3)
    };
    let mut out = Vec::new();
    for rel in crate::util::samples() {
        let path = crate::util::corpus().join(&rel);
        let data = std::fs::read(&path).expect("read sample");
        if data.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            let streams = Command::new("msiinfo")
                .arg("streams")
                .arg(&path)
                .output()
                .expect("msiinfo (apt-get install msitools)");
            for s in String::from_utf8_lossy(&streams.stdout).lines() {
                let Ok(b) = Command::new("msiinfo")
                    .arg("extract")
                    .arg(&path)
                    .arg(s)
                    .output()
                else {
                    continue;
                };
                if b.stdout.starts_with(b"MSCF") && lzx(&b.stdout) {
                    out.push((format!("{rel} stream {s}"), b.stdout));
                }
            }
            continue;
        }
        let mut at = 0;
        while let Some(i) = data
            .get(at..)
            .and_then(|d| d.windows(8).position(|w| w == b"MSCF\0\0\0\0"))
        {
            let d = &data[at + i..];
            if let Some(cab) = le32(d, 8).and_then(|n| d.get(..n)) {
                if lzx(cab) {
                    let name = if at + i == 0 {
                        rel.clone()
                    } else {
                        format!("{rel} at {}", at + i)
                    };
                    out.push((name, cab.to_vec()));
                }
            }
            at += i + 1;
        }
    }
    out
}

/// Real LZX cabinets (Microsoft's compressor in WiX, Google's Gears MSI,
/// an InstallShield launcher, merge modules, patches, libarchive's E8 test)
/// and the corpus's generated ones: every member's name, size and SHA-256
/// equal what cabextract writes.
#[test]
fn corpus_lzx_cabinets_decode_as_cabextract_decodes_them() {
    for tool in ["cabextract", "msiinfo"] {
        assert!(
            Command::new(tool).arg("--version").output().is_ok(),
            "this test needs {tool}: apt-get install {}",
            if tool == "msiinfo" { "msitools" } else { tool }
        );
    }
    let cabs = corpus_lzx_cabinets();
    let names: Vec<&str> = cabs.iter().map(|c| c.0.as_str()).collect();
    for want in [
        "cab_real/wix_native_test.cab",
        "msi_real/gears-win32-opt.msi stream product.cab",
        "msi_real/Firewall4_wix406.msi stream cab1.cab",
        "installshield/clam_IScab_int.exe at",
    ] {
        assert!(
            names.iter().any(|n| n.starts_with(want)),
            "{want} not found among {names:?}"
        );
    }
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("lzx-real-{}", std::process::id()));
    let scanner = Scanner::new();
    let (mut members, mut differ) = (0, Vec::new());
    for (k, (name, cab)) in cabs.iter().enumerate() {
        let out = dir.join(k.to_string());
        std::fs::create_dir_all(&out).expect("mkdir");
        let file = dir.join(format!("{k}.cab"));
        std::fs::write(&file, cab).expect("write cab");
        let run = Command::new("cabextract")
            .arg("-q")
            .arg("-d")
            .arg(&out)
            .arg(&file)
            .output()
            .expect("run cabextract");
        assert!(
            run.status.success(),
            "{name}: cabextract failed: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let mut theirs = std::collections::BTreeMap::new();
        for e in walkdir::WalkDir::new(&out) {
            let e = e.expect("walk");
            if e.file_type().is_file() {
                let rel = e.path().strip_prefix(&out).expect("under out");
                let bytes = std::fs::read(e.path()).expect("read member");
                let rel = rel.to_string_lossy().replace('\\', "/");
                theirs.insert(rel, (bytes.len() as u64, hex(&bytes)));
            }
        }
        let report = scanner.scan_bytes("real.cab", cab);
        let mut ours = std::collections::BTreeMap::new();
        for c in &report.root.children {
            assert!(c.info.errors.is_empty(), "{name}: {:?}", c.info.errors);
            let member = c.info.path.last().map(|n| n.replace('\\', "/"));
            let sha = c.info.sha256.map(|h| h.to_string()).unwrap_or_default();
            ours.insert(member.unwrap_or_default(), (c.info.size, sha));
        }
        assert!(!theirs.is_empty(), "{name}: cabextract wrote nothing");
        members += theirs.len();
        if ours != theirs {
            differ.push(format!("{name}:\n  ours {ours:?}\n  cabextract {theirs:?}"));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    assert!(
        cabs.len() >= 12 && members >= 40,
        "{} cabinets, {members} members",
        cabs.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
