//! The engine over `cab`: scans of real and damaged samples.

use crate::formats::{le_u32, Metadata};
use crate::report::Node;
use crate::test_support::*;
use crate::Scanner;
use crate::{Check, Format};
use installsift_formats::cab::*;

/// A cabinet with one stored folder of two CFDATA blocks (no checksums):
/// `a.txt` is block 0, `b.txt` block 1. Returns it and block 1's offset.
fn two_block_cab() -> (Vec<u8>, usize) {
    let (a, b) = (
        b"first file\n".as_slice(),
        b"second file, in the second block\n".as_slice(),
    );
    let files_at = 36 + 8;
    let mut files = Vec::new();
    for (name, size, off) in [("a.txt", a.len(), 0), ("b.txt", b.len(), a.len())] {
        files.extend_from_slice(&(size as u32).to_le_bytes());
        files.extend_from_slice(&(off as u32).to_le_bytes());
        files.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x20, 0]);
        files.extend_from_slice(name.as_bytes());
        files.push(0);
    }
    let data_at = files_at + files.len();
    let mut blocks = Vec::new();
    let mut second = 0;
    for part in [a, b] {
        if !blocks.is_empty() {
            second = data_at + blocks.len();
        }
        blocks.extend_from_slice(&0u32.to_le_bytes());
        blocks.extend_from_slice(&(part.len() as u16).to_le_bytes());
        blocks.extend_from_slice(&(part.len() as u16).to_le_bytes());
        blocks.extend_from_slice(part);
    }
    let total = data_at + blocks.len();
    let mut d = b"MSCF\0\0\0\0".to_vec();
    d.extend_from_slice(&(total as u32).to_le_bytes());
    d.extend_from_slice(&[0; 4]);
    d.extend_from_slice(&(files_at as u32).to_le_bytes());
    d.extend_from_slice(&[0; 4]);
    d.extend_from_slice(&[3, 1, 1, 0, 2, 0, 0, 0, 0x34, 0x12, 0, 0]);
    d.extend_from_slice(&(data_at as u32).to_le_bytes());
    d.extend_from_slice(&[2, 0, 0, 0]);
    d.extend_from_slice(&files);
    d.extend_from_slice(&blocks);
    (d, second)
}

fn info(n: &Node) -> &CabInfo {
    match &n.info.metadata {
        Some(Metadata::Cab(c)) => c,
        other => panic!("no cab metadata: {other:?}"),
    }
}

#[test]
fn mszip_sample_matches_the_reference_listing() {
    let Some(d) = sample("cab/mszip.cab") else {
        return;
    };
    let Ok(tsv) = std::fs::read_to_string(corpus().join("reference/cab__mszip.cab.tsv")) else {
        return;
    };
    let r = Scanner::new().scan_bytes("mszip.cab", &d);
    assert!(r.root.info.errors.is_empty(), "{:?}", r.root.info.errors);
    let mut got: Vec<String> = r
        .root
        .children
        .iter()
        .map(|c| {
            format!(
                "{}\t{}\t{}",
                c.info.path.last().unwrap(),
                c.info.size,
                c.info.sha256.map(|h| h.to_string()).unwrap_or_default()
            )
        })
        .collect();
    got.sort();
    let want: Vec<&str> = tsv.lines().collect();
    assert_eq!(got, want);
    assert_eq!(info(&r.root).methods, ["mszip"]);
}

#[test]
fn blocks_before_the_cut_are_kept() {
    let (d, second) = two_block_cab();
    assert!(sniff(&d));
    let r = Scanner::new().scan_bytes("ok.cab", &d);
    assert!(r.root.info.errors.is_empty(), "{:?}", r.root.info.errors);
    assert!(r.root.children.iter().all(|c| c.info.sha256.is_some()));
    assert_eq!(info(&r.root).set_id, 0x1234);

    let r = Scanner::new().scan_bytes("cut.cab", &d[..second + 12]);
    assert_eq!(r.root.info.errors[0].kind(), "truncated");
    let (a, b) = (&r.root.children[0], &r.root.children[1]);
    assert!(
        a.info.sha256.is_some() && a.info.errors.is_empty(),
        "{:?}",
        a.info.errors
    );
    assert!(b.info.sha256.is_none());
    assert_eq!(b.info.errors[0].kind(), "truncated");
    assert!(
        b.info.errors[0]
            .to_string()
            .contains("CFDATA block 1 of folder 0"),
        "{}",
        b.info.errors[0]
    );
}

#[test]
fn cut_in_the_only_block_lists_every_file_as_missing() {
    let Some(d) = sample("cab/mszip.cab") else {
        return;
    };
    let r = Scanner::new().scan_bytes("cut.cab", &d[..d.len() * 6 / 10]);
    assert_eq!(r.root.info.format, Format::Cab);
    assert_eq!(r.root.info.errors[0].kind(), "truncated");
    assert_eq!(r.root.children.len(), 4);
    assert!(r
        .root
        .children
        .iter()
        .all(|c| c.info.sha256.is_none() && c.info.errors[0].kind() == "truncated"));
}

#[test]
fn cut_in_the_file_table_lists_what_is_there() {
    let Some(d) = sample("cab/mszip.cab") else {
        return;
    };
    // CFFILE entries start at coffFiles (offset 16); keep the first one only.
    let coff = le_u32(&d, 16).unwrap() as usize;
    let first_end = coff + 16 + d[coff + 16..].iter().position(|&b| b == 0).unwrap() + 1;
    let r = Scanner::new().scan_bytes("cut.cab", &d[..first_end + 5]);
    let cut = r
        .root
        .info
        .errors
        .iter()
        .find(|e| e.to_string().contains("3 files not listed"))
        .unwrap_or_else(|| panic!("{:?}", r.root.info.errors));
    // The engine hands the parser's typed offset through to the node: the
    // second CFFILE, where the data ends inside it.
    assert_eq!(cut.offset(), Some(first_end as u64), "{cut}");
    assert!(cut
        .message()
        .starts_with(&format!("CFFILE 1 of 4 at offset {first_end} ")));
    assert_eq!(r.root.children.len(), 1);
    assert_eq!(r.root.children[0].info.errors[0].kind(), "truncated");
}

#[test]
fn checksum_mismatch_in_a_block_that_fails_to_decode_says_both() {
    let Some(mut d) = sample("cab/mszip.cab") else {
        return;
    };
    let data_at = le_u32(&d, 36).unwrap() as usize;
    assert_ne!(le_u32(&d, data_at), Some(0), "gcab writes CFDATA checksums");
    d[data_at + 8 + 100] ^= 0xFF;
    let r = Scanner::new().scan_bytes("bad.cab", &d);
    assert_eq!(r.root.children.len(), 4);
    for c in &r.root.children {
        assert_eq!(c.info.errors[0].kind(), "malformed");
        assert!(
            c.info.errors[0].to_string().contains("checksum"),
            "{}",
            c.info.errors[0]
        );
    }
}

#[test]
fn an_empty_cabinet_is_no_damage() {
    // 36 bytes: no folder, no file, the file table where the data ends
    // (the embedded cabinet of Omaha's GoogleUpdateHelper.msi).
    let mut d = b"MSCF\0\0\0\0".to_vec();
    d.extend(36u32.to_le_bytes()); // cbCabinet
    d.extend([0; 4]);
    d.extend(36u32.to_le_bytes()); // coffFiles
    d.extend([0; 4]);
    d.extend([3, 1, 0, 0, 0, 0, 0, 0, 0x34, 0x12, 0, 0]); // 1.3, 0 folders, 0 files
    assert_eq!(d.len(), 36);
    let r = Scanner::new().scan_bytes("empty.cab", &d);
    assert_eq!(r.root.info.format, Format::Cab);
    assert!(r.root.info.errors.is_empty(), "{:?}", r.root.info.errors);
    assert!(r.root.children.is_empty());
}

/// The parser alone, without a scan: files decode as they are pulled,
/// the block checksums vouch for them, and a file pointing at the range
/// of an earlier one is a copy of that entry, decoded once.
#[test]
fn listing_without_the_engine() {
    use crate::formats::container::{list, Listed};
    let Some(mut d) = sample("cab/mszip.cab") else {
        return;
    };
    let limits = installsift_model::Limits::default();
    let l = list(open, &d, &limits, usize::MAX);
    assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
    assert!(!l.entries.is_empty());
    for (name, info, data) in &l.entries {
        assert!(matches!(data, Listed::Decoded(Ok(_))), "{name}: {data:?}");
        assert_eq!(info.verified_by, [Check::CabChecksum], "{name}");
    }
    let at = le_u32(&d, 16).unwrap() as usize; // coffFiles
    let first = (le_u32(&d, at).unwrap(), le_u32(&d, at + 4).unwrap());
    let name_end = at + 16 + d[at + 16..].iter().position(|&b| b == 0).unwrap();
    let second = name_end + 1;
    d[second..second + 4].copy_from_slice(&first.0.to_le_bytes());
    d[second + 4..second + 8].copy_from_slice(&first.1.to_le_bytes());
    let l = list(open, &d, &limits, usize::MAX);
    assert!(
        matches!(l.entries[1].2, Listed::Copy(0)),
        "{:?}",
        l.entries[1]
    );
    assert_eq!(l.entries[1].1.verified_by, [Check::CabChecksum]);
    assert!(l.notes.errors[0].to_string().contains("belong to no file"));
}

#[test]
fn files_sharing_one_range_are_one_content_listed_twice() {
    // Two CFFILE entries pointing at the same bytes of a folder, as WiX
    // writes identical files (Google Gears' MSI: crash_sender.exe for
    // Firefox and for IE); msiextract, cabextract and 7-Zip give both.
    let Some(mut d) = sample("cab/mszip.cab") else {
        return;
    };
    let at = le_u32(&d, 16).unwrap() as usize; // coffFiles
    let first = (le_u32(&d, at).unwrap(), le_u32(&d, at + 4).unwrap());
    let name_end = at + 16 + d[at + 16..].iter().position(|&b| b == 0).unwrap();
    let second = name_end + 1;
    d[second..second + 4].copy_from_slice(&first.0.to_le_bytes());
    d[second + 4..second + 8].copy_from_slice(&first.1.to_le_bytes());
    let r = Scanner::new().scan_bytes("dup.cab", &d);
    let (a, b) = (&r.root.children[0], &r.root.children[1]);
    assert_eq!((a.info.size, &a.info.sha256), (b.info.size, &b.info.sha256));
    assert!(b.info.errors.is_empty(), "{:?}", b.info.errors);
    assert!(b
        .info
        .evidence
        .iter()
        .any(|e| e.signal == "same-stored-data"));
    assert_eq!(b.info.verified_by, a.info.verified_by);
    // The folder's data now has bytes no file claims: said on the cab.
    assert!(r
        .root
        .info
        .errors
        .iter()
        .any(|e| e.to_string().contains("belong to no file")));
    // A range that only partly repeats one is still an error.
    d[second..second + 4].copy_from_slice(&(first.0 + 1).to_le_bytes());
    let r = Scanner::new().scan_bytes("overlap.cab", &d);
    assert!(r.root.children[1].info.sha256.is_none());
    assert!(!r.root.children[1].info.errors.is_empty());
}

#[test]
fn checksums_vouch_for_the_files_decoded_from_their_blocks() {
    let Some(d) = sample("cab/stored.cab") else {
        return;
    };
    let data_at = le_u32(&d, 36).unwrap() as usize;
    assert_ne!(le_u32(&d, data_at), Some(0), "gcab writes CFDATA checksums");
    let good = Scanner::new().scan_bytes("stored.cab", &d);
    assert!(!good.root.children.is_empty());
    for c in &good.root.children {
        assert_eq!(
            c.info.verified_by,
            [Check::CabChecksum],
            "{:?}",
            c.info.path
        );
    }
    // A stored byte changed: it still "decodes", the block's checksum
    // fails, and the file keeps its (changed) bytes with the mismatch.
    let mut bad = d.clone();
    bad[data_at + 8 + 5] ^= 0x20;
    let r = Scanner::new().scan_bytes("bad.cab", &bad);
    let first = &r.root.children[0];
    assert_eq!(first.info.errors.len(), 1, "{:?}", first.info.errors);
    assert_eq!(first.info.errors[0].kind(), "checksum");
    assert!(first.info.errors[0]
        .to_string()
        .contains(&format!("offset {data_at}")));
    assert!(first.info.sha256.is_some() && first.info.sha256 != good.root.children[0].info.sha256);
    assert!(first.info.verified_by.is_empty());
    // The checksum field zeroed: "not set", vouches for nothing, no error.
    let mut unset = d.clone();
    unset[data_at..data_at + 4].fill(0);
    let r = Scanner::new().scan_bytes("unset.cab", &unset);
    let first = &r.root.children[0];
    assert!(first.info.errors.is_empty(), "{:?}", first.info.errors);
    assert!(first.info.verified_by.is_empty());
    assert_eq!(first.info.sha256, good.root.children[0].info.sha256);
}

#[test]
fn damaged_header_fields_are_said_not_silent() {
    let Some(d) = sample("cab/mszip.cab") else {
        return;
    };
    let set = |at: usize, v: &[u8]| {
        let mut m = d.clone();
        m[at..at + v.len()].copy_from_slice(v);
        Scanner::new().scan_bytes("m.cab", &m)
    };
    // cbCabinet and coffFiles zeroed: still a cabinet, the fields are
    // reported, and every file is still listed.
    for (at, field) in [(8, "cbCabinet"), (16, "coffFiles")] {
        let r = set(at, &[0, 0, 0, 0]);
        assert_eq!(r.root.info.format, Format::Cab, "{field}");
        assert!(
            r.root
                .info
                .errors
                .iter()
                .any(|e| e.to_string().contains(field)),
            "{field}: {:?}",
            r.root.info.errors
        );
        assert_eq!(r.root.children.len(), 4, "{field}");
    }
    // cbCabinet halved: the cabinet ends before its data, said on it.
    let half = (le_u32(&d, 8).unwrap() / 2).to_le_bytes();
    let r = set(8, &half);
    assert!(
        r.root
            .info
            .errors
            .iter()
            .any(|e| e.to_string().contains("run past the cabinet's end")),
        "{:?}",
        r.root.info.errors
    );
    // cFiles says 2 of 4: the two files left out are said.
    let r = set(28, &[2, 0]);
    assert_eq!(r.root.children.len(), 2);
    assert!(
        r.root
            .info
            .errors
            .iter()
            .any(|e| e.to_string().contains("cFiles")),
        "{:?}",
        r.root.info.errors
    );
    // The first file's size halved: the bytes it lost belong to no file.
    let first = le_u32(&d, 16).unwrap() as usize;
    let size = le_u32(&d, first).unwrap();
    let r = set(first, &(size / 2).to_le_bytes());
    assert!(
        r.root
            .info
            .errors
            .iter()
            .any(|e| e.to_string().contains("belong to no file")),
        "{:?}",
        r.root.info.errors
    );
}

/// A real Quantum folder (libmspack's 1997 sample, made by Microsoft's
/// tools): decoded to cabextract's bytes (the reference listing), the
/// block checksums vouching for them.
#[test]
fn quantum_folder_is_decoded() {
    let Some(d) = sample("cab_real/libmspack_mszip_lzx_qtm.cab") else {
        return;
    };
    let r = Scanner::new().scan_bytes("q.cab", &d);
    assert_eq!(info(&r.root).methods, ["lzx", "mszip", "quantum"]);
    let q = r
        .root
        .children
        .iter()
        .find(|c| c.info.path.last().is_some_and(|n| n == "qtm.txt"))
        .expect("qtm.txt");
    assert!(q.info.errors.is_empty(), "{:?}", q.info.errors);
    assert_eq!(
        q.info.sha256.map(|h| h.to_string()).as_deref(),
        Some("bdcfdaf09e54d61f950b165b201d4ad5f5acfdecff1fc5641e382aa382c74b45")
    );
}

/// Damaged Quantum data (the sample's Quantum block with its bytes
/// flipped): the file is missing with a `malformed` error naming the
/// Quantum block, or (when the bits still decode) fails its checksum;
/// never a silent wrong hash.
#[test]
fn damaged_quantum_folder_is_an_error() {
    let Some(d) = sample("cab_real/libmspack_mszip_lzx_qtm.cab") else {
        return;
    };
    let r = Scanner::new().scan_bytes("q.cab", &d);
    let good = r
        .root
        .children
        .iter()
        .find(|c| c.info.path.last().is_some_and(|n| n == "qtm.txt"))
        .and_then(|c| c.info.sha256)
        .expect("qtm.txt hash");
    // Folder 2's first CFDATA block: its offset from CFFOLDER 2 (the
    // header is 36 bytes, each CFFOLDER 8).
    let at = u32::from_le_bytes([d[36 + 16], d[37 + 16], d[38 + 16], d[39 + 16]]) as usize;
    let cb = u16::from_le_bytes([d[at + 4], d[at + 5]]) as usize;
    let mut failed = 0;
    for i in 0..cb {
        let mut m = d.clone();
        m[at + 8 + i] ^= 0x5a;
        let r = Scanner::new().scan_bytes("q.cab", &m);
        let q = r
            .root
            .children
            .iter()
            .find(|c| c.info.path.last().is_some_and(|n| n == "qtm.txt"))
            .expect("qtm.txt");
        assert!(
            !q.info.errors.is_empty() || q.info.sha256 == Some(good),
            "byte {i}: a different hash with no error"
        );
        if q.info
            .errors
            .iter()
            .any(|e| e.message().contains("Quantum"))
        {
            failed += 1;
        }
    }
    assert!(failed > 0, "no flip made the Quantum decoder fail");
}

/// A Quantum window outside 2^10..2^21 (CFFOLDER 2's memory bits set to
/// 9): the folder's file is missing with a `malformed` error.
#[test]
fn quantum_window_out_of_range_is_malformed() {
    let Some(mut d) = sample("cab_real/libmspack_mszip_lzx_qtm.cab") else {
        return;
    };
    d[36 + 16 + 6..36 + 16 + 8].copy_from_slice(&0x0972u16.to_le_bytes());
    let r = Scanner::new().scan_bytes("q.cab", &d);
    let q = r
        .root
        .children
        .iter()
        .find(|c| c.info.path.last().is_some_and(|n| n == "qtm.txt"))
        .expect("qtm.txt");
    assert!(
        q.info
            .errors
            .iter()
            .any(|e| e.kind() == "malformed" && e.message().contains("Quantum window")),
        "{:?}",
        q.info.errors
    );
}

/// A cabinet set given as files: the first cabinet lists the files that
/// run through all five (libmspack's multi_basic set, one stored folder
/// whose blocks are cut at every cabinet's end) with cabextract's bytes;
/// the later ones list nothing of that folder, and say why.
#[test]
fn a_cabinet_set_is_joined_from_its_sibling_files() {
    let dir = corpus().join("cab_set");
    let r = Scanner::new()
        .scan_path(&dir.join("cabd_multi_basic_pt1.cab"))
        .expect("scan");
    assert!(r.root.info.errors.is_empty(), "{:?}", r.root.info.errors);
    let got: Vec<(String, Option<String>)> = r
        .root
        .children
        .iter()
        .map(|c| {
            assert!(c.info.errors.is_empty(), "{:?}", c.info.errors);
            (c.info.path[1].clone(), c.info.sha256.map(|h| h.to_string()))
        })
        .collect();
    assert_eq!(
        got.iter().map(|g| g.0.as_str()).collect::<Vec<_>>(),
        ["test1.txt", "test2.txt", "test3.txt"]
    );
    assert_eq!(
        got[1].1.as_deref(),
        Some("89bb1d3446a3212d982933932c917dac3cd88e5f424401893a3390d4b6375c85")
    );
    for i in 2..=5 {
        let r = Scanner::new()
            .scan_path(&dir.join(format!("cabd_multi_basic_pt{i}.cab")))
            .expect("scan");
        assert!(r.root.children.is_empty(), "pt{i}: {:?}", r.root.children);
        assert!(
            r.root.info.errors.is_empty(),
            "pt{i}: {:?}",
            r.root.info.errors
        );
        assert!(
            r.root.info.evidence.iter().any(|e| e.signal == "cab-set"),
            "pt{i}: {:?}",
            r.root.info.evidence
        );
    }
}

/// Without its siblings (the bytes alone), a cabinet of a set keeps the
/// honest errors: each spanning file missing, naming the cabinet not
/// found; and a file lying wholly in a folder that begins in the previous
/// cabinet (split_b.cab's f3.txt) is missing too, not decoded from the
/// middle of its folder (which gave wrong bytes for a stored folder).
#[test]
fn a_cabinet_without_its_siblings_names_the_missing_one() {
    let Some(a) = sample("cab_set/split_a.cab") else {
        return;
    };
    let r = Scanner::new().scan_bytes("split_a.cab", &a);
    assert!(r.root.info.errors.is_empty(), "{:?}", r.root.info.errors);
    let f1 = r
        .root
        .children
        .iter()
        .find(|c| c.info.path[1] == "f1.txt")
        .expect("f1");
    assert!(f1.info.sha256.is_none());
    assert!(
        f1.info.errors[0]
            .to_string()
            .contains("`split_b.cab` was not found"),
        "{:?}",
        f1.info.errors
    );
    let Some(b) = sample("cab_set/split_b.cab") else {
        return;
    };
    let r = Scanner::new().scan_bytes("split_b.cab", &b);
    for c in &r.root.children {
        assert!(c.info.sha256.is_none(), "{:?}", c.info.path);
        assert_eq!(c.info.errors[0].kind(), "unsupported");
        assert!(
            c.info.errors[0].to_string().contains("`split_a.cab`"),
            "{:?}",
            c.info.errors
        );
    }
    assert_eq!(r.root.children.len(), 3);
}

/// The MSZIP set joined from files: every file (the two spanning, the one
/// wholly in the second cabinet's continued folder) has 7-Zip's bytes and
/// the checksums of every block part vouch for them.
#[test]
fn an_mszip_set_decodes_across_the_cut_block() {
    let dir = corpus().join("cab_set");
    let r = Scanner::new()
        .scan_path(&dir.join("split_a.cab"))
        .expect("scan");
    assert!(r.root.info.errors.is_empty(), "{:?}", r.root.info.errors);
    assert_eq!(r.root.children.len(), 4);
    for c in &r.root.children {
        assert!(c.info.errors.is_empty(), "{:?}", c.info.errors);
        assert_eq!(
            c.info.verified_by,
            [Check::CabChecksum],
            "{:?}",
            c.info.path
        );
    }
    // A byte of the second cabinet's first block flipped (a copy of the
    // set in a temporary directory): the files decoded from it carry a
    // checksum error or a decode error, never a silent hash.
    let tmp = std::env::temp_dir().join(format!("installsift-cabset-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("tmp");
    let mut b = std::fs::read(dir.join("split_b.cab")).expect("b");
    let at = b.len() - 100;
    b[at] ^= 0x40;
    std::fs::write(tmp.join("split_b.cab"), &b).expect("write");
    std::fs::copy(dir.join("split_a.cab"), tmp.join("split_a.cab")).expect("copy");
    let r = Scanner::new()
        .scan_path(&tmp.join("split_a.cab"))
        .expect("scan");
    let _ = std::fs::remove_dir_all(&tmp);
    let f3 = r
        .root
        .children
        .iter()
        .find(|c| c.info.path[1] == "f3.txt")
        .expect("f3");
    assert!(!f3.info.errors.is_empty(), "{:?}", f3.info);
    assert!(!f3.info.verified_by.contains(&Check::CabChecksum));
}

/// `max_cabinets_per_set` 2 on the five-cabinet set: not joined, the
/// node says which limit, the spanning files are missing.
#[test]
fn a_set_longer_than_the_limit_is_not_joined() {
    let limits = crate::Limits {
        max_cabinets_per_set: 2,
        ..crate::Limits::default()
    };
    let r = Scanner::new()
        .with_limits(limits)
        .scan_path(&corpus().join("cab_set/cabd_multi_basic_pt1.cab"))
        .expect("scan");
    assert!(
        r.root
            .info
            .errors
            .iter()
            .any(|e| e.limit_hit() == Some(crate::Limit::MaxCabinetsPerSet)),
        "{:?}",
        r.root.info.errors
    );
    assert!(r.root.children.iter().all(|c| c.info.sha256.is_none()));
}
