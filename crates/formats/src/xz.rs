//! xz streams: a container of one child, the decoded bytes.
//!
//! A stream is a 12-byte header (`FD 37 7A 58 5A 00`, two flag bytes naming
//! the integrity check, their CRC-32), blocks, an index and a footer
//! (`YZ`); streams may be concatenated (and padded with zeros), decoding as
//! one output as `xz -d` writes it.
//!
//! - Decoding is liblzma's, streaming as the engine pulls, within a memory
//!   limit (`stream::decoder_memory`); the engine's
//!   entry, total and ratio limits bound the output.
//! - liblzma verifies each block's integrity check (CRC-32, CRC-64 or
//!   SHA-256 of the block's decoded bytes, as the header flags say) and the
//!   index: a child decoded to its end is `verified_by: xz-check` when
//!   every stream of the file (walked back from the end: footer, index,
//!   header) names CRC-32, CRC-64 or SHA-256; a stream with check `None`
//!   or a reserved ID (which liblzma decodes without verifying) means no
//!   claim.
//!   A mismatch is a decoding error from liblzma (the child is reported with
//!   it, without bytes).
//! - The child is named after the node (`x.tar.xz` → `x.tar`, `x.txz` →
//!   `x.tar`).

use super::container::{Notes, Opened, Options};
use super::stream::{child_name, decoder_memory, DecoderLimits, OneChild};
use super::{Handler, Metadata, Parsed};
use installsift_model::error::Error;
use installsift_model::{Check, Evidence, Format};
use serde::Serialize;
use std::io::Read;

/// The stream header magic.
pub const MAGIC: &[u8] = b"\xFD7zXZ\x00";

/// xz facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct XzInfo {
    /// The first stream's integrity check: `none`, `crc32`, `crc64`,
    /// `sha256`, or `reserved-N`.
    pub check: String,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "xz",
    format: Format::Xz,
    sniff,
    open,
};

/// The stream header magic and a header CRC-32 that matches.
pub fn sniff(data: &[u8]) -> bool {
    data.starts_with(MAGIC)
        && match (data.get(6..8), crate::le_u32(data, 8)) {
            (Some(flags), Some(crc)) => crc32fast::hash(flags) == crc,
            _ => false,
        }
}

/// A little-endian varint (xz's multibyte integer, at most 9 bytes) at
/// `*at`; `*at` moves past it.
fn varint(data: &[u8], at: &mut usize) -> Option<u64> {
    let mut v: u64 = 0;
    for i in 0..9 {
        let b = *data.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// The check IDs of every stream, walked from the end (footer, index,
/// blocks, header; zero padding between streams skipped), when the
/// stream layout reads back to offset 0; `None` when it does not (the
/// decoder then reports the damage).
pub(crate) fn stream_checks(data: &[u8]) -> Option<Vec<u8>> {
    let mut pos = data.len();
    let mut checks = Vec::new();
    while pos > 0 {
        while pos >= 4 && data.get(pos - 4..pos) == Some(&[0, 0, 0, 0]) {
            pos -= 4;
        }
        let footer = pos.checked_sub(12)?;
        let f = data.get(footer..pos)?;
        if f.get(10..12) != Some(b"YZ") {
            return None;
        }
        let flags = *f.get(9)?;
        let index_size = (u64::from(crate::le_u32(f, 4)?) + 1) * 4;
        let index = footer.checked_sub(usize::try_from(index_size).ok()?)?;
        if data.get(index) != Some(&0) {
            return None;
        }
        let mut at = index + 1;
        let records = varint(data, &mut at)?;
        let mut blocks: u64 = 0;
        for _ in 0..records {
            // Each record is at least two bytes: a count past the index
            // size is damage, not a loop.
            if at >= footer {
                return None;
            }
            let unpadded = varint(data, &mut at)?;
            let _uncompressed = varint(data, &mut at)?;
            blocks = blocks.checked_add(unpadded.checked_add(3)? / 4 * 4)?;
        }
        let start = (index as u64).checked_sub(blocks)?.checked_sub(12)?;
        let start = usize::try_from(start).ok()?;
        let h = data.get(start..start + 12)?;
        if !h.starts_with(MAGIC) || h.get(7) != Some(&flags) {
            return None;
        }
        checks.push(flags & 0x0F);
        pos = start;
    }
    Some(checks)
}

/// The check the header's flags name.
pub(crate) fn check_name(flags: u8) -> String {
    match flags & 0x0F {
        0 => "none".into(),
        1 => "crc32".into(),
        4 => "crc64".into(),
        10 => "sha256".into(),
        n => format!("reserved-{n}"),
    }
}

/// `xz-check` when every stream of the file carries a check liblzma
/// verifies (CRC-32, CRC-64, SHA-256): liblzma decodes a stream whose check
/// is `None` or a reserved ID without verifying anything, so one such
/// stream, or a layout that does not read back, claims nothing.
fn verified_check(data: &[u8]) -> Option<Check> {
    let checks = stream_checks(data)?;
    (!checks.is_empty() && checks.iter().all(|c| matches!(c, 1 | 4 | 10))).then_some(Check::XzCheck)
}

fn decoder<'a>(src: &'a [u8], l: &DecoderLimits) -> Result<Box<dyn Read + 'a>, Error> {
    let s = liblzma::stream::Stream::new_stream_decoder(l.memory, liblzma::stream::CONCATENATED)
        .map_err(|e| Error::unsupported(format!("xz decoder: {e}")))?;
    Ok(Box::new(liblzma::read::XzDecoder::new_stream(src, s)))
}

/// Open an xz stream: one child, decoded as the engine reads it.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    if !sniff(data) {
        notes.error(Error::malformed("no xz stream header (magic and header CRC-32)").at(0));
        return Opened::Leaf(Parsed {
            format: Format::Xz,
            metadata: None,
        });
    }
    let flags = data.get(7).copied().unwrap_or(0);
    let check = check_name(flags);
    notes.evidence(Evidence::strong(
        "xz-header",
        format!("xz stream header (check: {check})"),
        Some(0),
    ));
    Opened::Container(Box::new(OneChild {
        data,
        from: 0,
        name: child_name(opts.name, &[(".txz", ".tar"), (".xz", "")], "[xz content]"),
        method: "xz",
        declared: None,
        format: Format::Xz,
        make: decoder,
        limits: DecoderLimits {
            memory: decoder_memory(None, opts.limits.max_entry_size),
        },
        check: verified_check(data),
        metadata: Some(Metadata::Xz(Box::new(XzInfo { check }))),
        given: false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{list, Listed};
    use crate::test_support::sample;

    #[test]
    fn listing_without_the_engine() {
        let data = sample("streams/hello.txt.xz").expect("sample");
        assert!(sniff(&data));
        let l = list(open, &data, &Default::default(), 10);
        assert_eq!(l.entries.len(), 1);
        assert_eq!(l.entries[0].1.verified_by, vec![Check::XzCheck]);
        assert!(matches!(&l.entries[0].2, Listed::Decoded(Ok(b)) if !b.is_empty()));
        assert!(l.notes.errors.is_empty());
    }

    #[test]
    fn checks_are_claimed_only_when_every_stream_has_one() {
        let one = sample("streams/hello.txt.xz").expect("sample");
        assert_eq!(stream_checks(&one), Some(vec![4]));
        let sha = sample("streams/newc.cpio.xz").expect("sample");
        let mut two = one.clone();
        two.extend_from_slice(&[0; 8]);
        two.extend_from_slice(&sha);
        assert_eq!(stream_checks(&two), Some(vec![10, 4]));
        assert_eq!(verified_check(&two), Some(Check::XzCheck));
        // A stream without a check, concatenated: nothing is claimed.
        let mut none = one.clone();
        none[7] = 0;
        let crc = crc32fast::hash(&none[6..8]).to_le_bytes();
        none[8..12].copy_from_slice(&crc);
        let n = none.len();
        none[n - 3] = 0;
        let mut mixed = one.clone();
        mixed.extend_from_slice(&none);
        assert_eq!(stream_checks(&mixed), Some(vec![0, 4]));
        assert_eq!(verified_check(&mixed), None);
        assert_eq!(stream_checks(&one[..one.len() - 1]), None);
    }

    #[test]
    fn a_check_mismatch_is_a_decoding_error() {
        let mut data = sample("streams/hello.txt.xz").expect("sample");
        // The block's check (CRC-64) sits before the index; the index
        // starts right after it, the footer is the last 12 bytes. Flip a
        // byte of the check: 8 bytes before the index. Find the index by
        // its size in the footer (backward size, units of 4, minus 1).
        let n = data.len();
        let backward = (crate::le_u32(&data, n - 8).unwrap() as usize + 1) * 4;
        let index = n - 12 - backward;
        data[index - 1] ^= 0xFF;
        let l = list(open, &data, &Default::default(), 10);
        assert!(l.entries[0].1.verified_by.is_empty());
        assert!(
            matches!(&l.entries[0].2, Listed::Decoded(Err(_))),
            "{:?}",
            l.entries[0].2
        );
    }
}
