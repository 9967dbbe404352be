//! Entry points of the per-format fuzz targets: each reaches one parser
//! directly, without the engine (the whole-scan target is
//! `installsift::fuzzing::exercise`). Not part of the API.

use installsift_model::Limits;

/// Limits for fuzzing: tight enough that one input costs little.
pub fn limits() -> Limits {
    Limits {
        max_depth: 6,
        max_entry_size: 64 << 20,
        max_total_unpacked: 256 << 20,
        max_entries_per_container: 4_096,
        max_entries_per_input: 16_384,
        max_search_window: 1 << 20,
        max_buffered_entry: 16 << 20,
        // Every wrong password costs a key derivation (PBKDF2 for zip AES).
        max_password_failures: 64,
        // A RAR 5 dictionary grows with the output; bounded as entries are.
        max_dictionary: 16 << 20,
        ..Limits::default()
    }
}

/// Names of the formats [`exercise_as`] accepts: one deep fuzz target each.
pub const FORMATS: &[&str] = &[
    "pe",
    "cfb",
    "cab",
    "zip",
    "7z",
    "nsis",
    "xml",
    "inno",
    "installshield",
    "xar",
    "signature",
    "rar",
    "dmg",
    "hfs",
    "apfs",
    "szdd",
    "kwaj",
    "iso",
    "gzip",
    "bzip2",
    "xz",
    "lzma",
    "pbzx",
    "tar",
    "cpio",
    "bcj2",
    "arj",
    "ne",
    "udf",
    "chm",
    "qtifw",
    "qt-rcc",
];

/// The Authenticode signature reader on any bytes: as a PE certificate
/// table (`WIN_CERTIFICATE` entries) and as one PKCS#7 `SignedData` (our own
/// DER reader). Must never panic, whatever the bytes.
pub fn exercise_signature(data: &[u8]) {
    use crate::pe::signature;
    let _ = signature::parse_pkcs7(data);
    if let Ok(blobs) = signature::win_certificates(data) {
        for b in blobs {
            let _ = signature::parse_pkcs7(b);
        }
    }
}

/// Parse `data` with one format's parser, whatever its magic says (so the
/// fuzzer reaches past the sniff checks), without the engine: every entry
/// it yields is checked (a region of its input, bytes within the entry
/// limit, or missing with a reason), and entries that are themselves a
/// known format are listed the same way, [`DEPTH`] levels deep. Unknown
/// names do nothing.
pub fn exercise_as(format: &str, data: &[u8]) {
    if format == "signature" {
        exercise_signature(data);
        return;
    }
    let Some(h) = crate::HANDLERS.iter().find(|h| h.name == format) else {
        return;
    };
    walk(h, data, 0, &mut std::collections::HashSet::new());
    if format == "cab" {
        // Decoded ahead on a thread of its own, a cabinet must list the
        // same as decoded on the reader's thread: bytes, checks, errors.
        assert!(
            crate::cab::decoded_ahead_agrees(data, &limits()),
            "a cabinet lists differently when its folders are decoded ahead"
        );
    }
    if format == "rar" {
        exercise_rar_set(data);
    }
    if format == "apfs" {
        // Every APFS object carries a Fletcher-64, so nearly every mutation
        // stops at the first checksum. The parser sees the input a second
        // time with each block's checksum written again, which drives it
        // past them into the object maps, trees and extents.
        let sealed = reseal_apfs(data);
        walk(h, &sealed, 0, &mut std::collections::HashSet::new());
    }
}

/// A RAR volume set on any bytes: `data` cut before each later RAR
/// signature into the volumes `f.part1.rar`, `f.part2.rar` … (at most 32),
/// the first given to the set walk ([`crate::rar::open_set`]), the others
/// found by name. Whatever it lists holds what any listing holds
/// (`check_listing`, against the first volume).
pub fn exercise_rar_set(data: &[u8]) {
    use crate::container::{Notes, Opened, Options};
    let mut cuts: Vec<usize> = memchr::memmem::find_iter(data, b"Rar!\x1a\x07")
        .filter(|&c| c > 0)
        .take(31)
        .collect();
    cuts.insert(0, 0);
    cuts.push(data.len());
    let volumes: Vec<&[u8]> = cuts
        .windows(2)
        .filter_map(|w| data.get(w[0]..w[1]))
        .collect();
    let Some(&first) = volumes.first() else {
        return;
    };
    let find = |name: &str| -> Option<std::borrow::Cow<'_, [u8]>> {
        let n: usize = name
            .strip_prefix("f.part")?
            .strip_suffix(".rar")?
            .parse()
            .ok()?;
        volumes.get(n.checked_sub(1)?).map(|&v| {
            // Both as the engine hands them over: read, and borrowed.
            if n.is_multiple_of(2) {
                std::borrow::Cow::Owned(v.to_vec())
            } else {
                std::borrow::Cow::Borrowed(v)
            }
        })
    };
    let limits = limits();
    let store = crate::rar::VolumeStore::new(&limits);
    let mut notes = Notes::default();
    let opts = Options {
        limits: &limits,
        hashes: installsift_model::hash::HashSelection::SHA256,
        name: "f.part1.rar",
        passwords: &[],
        read_ahead: false,
    };
    let Opened::Container(c) = crate::rar::open_set(first, &opts, &mut notes, &find, &store) else {
        return;
    };
    let input = first.as_ptr() as usize..first.as_ptr() as usize + first.len();
    let mut entries = Vec::new();
    let (parsed, _) =
        crate::container::pull_all(c, &input, &limits, 4_096, &mut entries, &mut notes);
    check_listing(
        first,
        &crate::container::Listing {
            entries,
            parsed,
            notes,
        },
    );
}

/// `data` with the Fletcher-64 of each block (of the size the container
/// superblock names, else 4 KiB) written again.
pub fn reseal_apfs(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    let bs = data
        .get(36..40)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .filter(|b| (4096..=65536).contains(b) && b.is_power_of_two())
        .unwrap_or(4096);
    for block in out.chunks_exact_mut(bs) {
        let c = crate::apfs::fletcher64(block);
        block[..8].copy_from_slice(&c.to_le_bytes());
    }
    out
}

/// Levels of nested entries [`exercise_as`] lists below its input.
pub const DEPTH: u32 = 2;

/// Each distinct region is listed once (`seen`, by address and length), as
/// the engine opens the same bytes once: a PE whose resources all point at
/// itself was otherwise listed once per entry per level (a fuzz unit took
/// 10.7 s here for 0.03 s in the CLI, the harness's own amplification).
fn walk(
    h: &crate::Handler,
    data: &[u8],
    depth: u32,
    seen: &mut std::collections::HashSet<(usize, usize)>,
) {
    if !seen.insert((data.as_ptr() as usize, data.len())) {
        return;
    }
    // The corpus's passwords, so that seeds made with them reach the
    // decryption paths (zip ZipCrypto/AES, 7z AES, Inno ARC4).
    let passwords = ["infected".to_owned(), "installsift".to_owned()];
    let l = crate::container::list_with_passwords(h.open, data, &limits(), 4_096, &passwords);
    check_listing(data, &l);
    if depth >= DEPTH {
        return;
    }
    use crate::container::Listed;
    for (_, _, listed) in &l.entries {
        let bytes = match listed {
            Listed::Slice { at, len } => data.get(*at..at.saturating_add(*len)),
            Listed::Decoded(Ok(b)) => Some(b.as_slice()),
            _ => None,
        };
        if let Some(inner) = bytes.filter(|b| !b.is_empty()) {
            if let Some(h) = crate::sniff(inner) {
                walk(h, inner, depth + 1, seen);
            }
        }
    }
}

/// What holds for any listing a pull-based parser gives, whatever the bytes.
fn check_listing(data: &[u8], l: &crate::container::Listing) {
    use crate::container::Listed;
    for (name, _, listed) in &l.entries {
        match listed {
            Listed::Slice { at, len } => assert!(
                at.checked_add(*len).is_some_and(|end| end <= data.len()),
                "entry `{name}` is not a region of the input"
            ),
            Listed::Missing { error, .. } | Listed::Decoded(Err(error)) => {
                assert!(!error.to_string().is_empty())
            }
            Listed::Decoded(Ok(b)) => assert!(b.len() as u64 <= limits().max_entry_size),
            Listed::Copy(of) => assert!(*of < l.entries.len()),
        }
    }
}

/// Decode `data` as a raw LZX stream, whatever it holds: byte 0 picks the
/// window (2^15 to 2^21 bytes), then each frame is a little-endian u16
/// input length, a u16 output length and that many input bytes (fewer at
/// the end). Must never panic, hang or allocate beyond the window, and a
/// frame that decodes has exactly the length asked for.
pub fn exercise_lzx(data: &[u8]) {
    let Some((&w, mut rest)) = data.split_first() else {
        return;
    };
    let Some(mut lzx) = crate::cab::lzx::Lzx::new(15 + w % 7) else {
        return;
    };
    let mut out = Vec::new();
    while let Some((head, tail)) = rest.split_first_chunk::<4>() {
        let n = usize::from(u16::from_le_bytes([head[0], head[1]]));
        let out_len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        let (input, tail) = tail.split_at(n.min(tail.len()));
        rest = tail;
        out.clear();
        match lzx.decode_frame(input, out_len, &mut out) {
            Ok(()) => assert_eq!(out.len(), out_len, "frame length"),
            Err(e) => {
                assert!(out.is_empty(), "bytes kept from a failed frame");
                assert_eq!(e.kind(), "malformed", "{e}");
                assert_eq!(lzx.decode_frame(input, out_len, &mut out), Err(e));
                break;
            }
        }
    }
}

/// Decode a raw LZX stream given as (input, output length) frames, as a
/// cabinet folder's CFDATA blocks hold it, handing each decoded frame to
/// `sink`: the decoder alone, for benchmarks and comparisons.
pub fn decode_lzx(
    window_bits: u8,
    frames: &[(&[u8], usize)],
    mut sink: impl FnMut(&[u8]),
) -> installsift_model::Result<()> {
    let mut lzx = crate::cab::lzx::Lzx::new(window_bits).ok_or_else(|| {
        installsift_model::Error::malformed(format!("LZX window of 2^{window_bits} bytes"))
    })?;
    let mut out = Vec::new();
    for &(input, out_len) in frames {
        out.clear();
        lzx.decode_frame(input, out_len, &mut out)?;
        sink(&out);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_names_a_handler() {
        for f in FORMATS.iter().filter(|f| **f != "signature") {
            assert!(crate::HANDLERS.iter().any(|h| h.name == *f), "{f}");
        }
    }

    #[test]
    fn forced_parsers_survive_bytes_of_another_format() {
        let data = crate::test_support::sample("zip/deflate.zip").unwrap_or_default();
        for f in FORMATS {
            exercise_as(f, &data);
            exercise_as(f, &data[..data.len() / 3]);
            exercise_as(f, &[]);
        }
    }
}
