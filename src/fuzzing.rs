//! The entry points shared by the fuzz targets and the replay test.

use crate::{formats, Limits, Report, Scanner};

/// Limits for fuzzing: tight enough that one input costs little.
fn limits() -> Limits {
    Limits {
        max_depth: 6,
        max_entry_size: 64 << 20,
        max_total_unpacked: 256 << 20,
        max_entries_per_container: 4_096,
        max_entries_per_input: 16_384,
        max_search_window: 1 << 20,
        max_buffered_entry: 16 << 20,
        ..Limits::default()
    }
}

fn scanner() -> Scanner {
    Scanner::new()
        .with_limits(limits())
        .with_hashes(crate::HashSelection::EVERYTHING)
}

/// Scan `data` as a whole file with tight limits; must never panic, hang or
/// allocate without bound, whatever the bytes.
pub fn exercise(data: &[u8]) {
    check(&scanner().scan_bytes("fuzz", data));
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
];

/// The Authenticode signature reader on any bytes: as a PE certificate
/// table (`WIN_CERTIFICATE` entries) and as one PKCS#7 `SignedData` (our own
/// DER reader). Must never panic, whatever the bytes.
pub fn exercise_signature(data: &[u8]) {
    use crate::formats::pe::signature;
    let _ = signature::parse_pkcs7(data);
    if let Ok(blobs) = signature::win_certificates(data) {
        for b in blobs {
            let _ = signature::parse_pkcs7(b);
        }
    }
}

/// Parse `data` with one format's parser, whatever its magic says (so the
/// fuzzer reaches past the sniff checks), then recurse as a scan does.
/// Unknown names do nothing.
pub fn exercise_as(format: &str, data: &[u8]) {
    if format == "signature" {
        exercise_signature(data);
        return;
    }
    let Some(h) = formats::HANDLERS.iter().find(|h| h.name == format) else {
        return;
    };
    // The parser alone, without the engine: every entry it yields is a
    // region of its input or missing with a reason.
    let l = formats::container::list(h.open, data, &limits(), 4_096);
    check_listing(data, &l);
    check(&scanner().scan_bytes_forced("fuzz", data, None, Some(h)));
}

/// What holds for any listing a pull-based parser gives, whatever the bytes.
fn check_listing(data: &[u8], l: &formats::container::Listing) {
    use formats::container::Listed;
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
    let Some(mut lzx) = formats::cab::lzx::Lzx::new(15 + w % 7) else {
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
) -> crate::Result<()> {
    let mut lzx = formats::cab::lzx::Lzx::new(window_bits)
        .ok_or_else(|| crate::Error::malformed(format!("LZX window of 2^{window_bits} bytes")))?;
    let mut out = Vec::new();
    for &(input, out_len) in frames {
        out.clear();
        lzx.decode_frame(input, out_len, &mut out)?;
        sink(&out);
    }
    Ok(())
}

fn check(report: &Report) {
    assert_eq!(
        report.stats.panics,
        0,
        "a parser panicked: {:?}",
        first_panic(&report.root)
    );
}

fn first_panic(root: &crate::Node) -> Option<String> {
    let mut found = None;
    root.walk(&mut |n| {
        if found.is_none() {
            found = n
                .errors
                .iter()
                .find(|e| matches!(e, crate::Error::Panic { .. }))
                .map(|e| e.to_string());
        }
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_names_a_handler() {
        for f in FORMATS.iter().filter(|f| **f != "signature") {
            assert!(formats::HANDLERS.iter().any(|h| h.name == *f), "{f}");
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
