//! bzip2 streams: a container of one child, the decoded bytes.
//!
//! A stream is `BZh` and the block size digit (`1`–`9`), then blocks
//! (each starting with the 48-bit magic `0x314159265359` and its CRC-32 of
//! the block's decoded bytes), then the end-of-stream magic
//! `0x177245385090` and the combined CRC of all blocks. Several streams may
//! follow one another (`pbzip2`, `cat a.bz2 b.bz2`); they decode as one
//! output, as `bzip2 -d` writes it.
//!
//! - Decoding is the `bzip2` crate's (libbz2's algorithm), streaming as the
//!   engine pulls; the engine's entry, total and ratio limits bound it.
//! - libbz2 checks every block's CRC and each stream's combined CRC while
//!   it decodes: a child decoded to its end is `verified_by: bzip2-crc`. A
//!   mismatch is a decoding error (libbz2 reports it as a data error, not
//!   told apart from other damage), so the child is reported with that
//!   error and without bytes: the bytes before the bad block are not
//!   vouched for by anything.
//! - The child is named after the node (`x.tar.bz2` → `x.tar`, `x.tbz2` →
//!   `x.tar`).

use super::container::{Notes, Opened, Options};
use super::stream::{child_name, DecoderLimits, OneChild};
use super::{Handler, Parsed};
use installsift_model::error::Error;
use installsift_model::{Check, Evidence, Format};
use std::io::Read;

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "bzip2",
    format: Format::Bzip2,
    sniff,
    open,
};

/// `BZh`, a block size digit, and the first block's magic (or the
/// end-of-stream magic of an empty stream).
pub fn sniff(data: &[u8]) -> bool {
    data.starts_with(b"BZh")
        && data.get(3).is_some_and(|d| (b'1'..=b'9').contains(d))
        && matches!(
            data.get(4..10),
            Some([0x31, 0x41, 0x59, 0x26, 0x53, 0x59]) | Some([0x17, 0x72, 0x45, 0x38, 0x50, 0x90])
        )
}

fn decoder<'a>(src: &'a [u8], _l: &DecoderLimits) -> Result<Box<dyn Read + 'a>, Error> {
    Ok(Box::new(bzip2::read::MultiBzDecoder::new(src)))
}

/// Open a bzip2 stream: one child, decoded as the engine reads it.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    if !sniff(data) {
        notes.error(
            Error::malformed("no bzip2 stream header (`BZh1`–`BZh9` and a block magic)").at(0),
        );
        return Opened::Leaf(Parsed {
            format: Format::Bzip2,
            metadata: None,
        });
    }
    notes.evidence(Evidence::strong(
        "bzip2-header",
        format!(
            "bzip2 stream header, {}00k blocks",
            char::from(data.get(3).copied().unwrap_or(b'?'))
        ),
        Some(0),
    ));
    Opened::Container(Box::new(OneChild {
        data,
        from: 0,
        name: child_name(
            opts.name,
            &[
                (".tbz2", ".tar"),
                (".tbz", ".tar"),
                (".bz2", ""),
                (".bz", ""),
            ],
            "[bzip2 content]",
        ),
        method: "bzip2",
        declared: None,
        format: Format::Bzip2,
        make: decoder,
        limits: DecoderLimits { memory: 0 },
        check: Some(Check::Bzip2Crc),
        metadata: None,
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
        let data = sample("streams/hello.txt.bz2").expect("sample");
        assert!(sniff(&data));
        let l = list(open, &data, &Default::default(), 10);
        assert_eq!(l.entries.len(), 1);
        assert_eq!(l.entries[0].1.verified_by, vec![Check::Bzip2Crc]);
        assert!(matches!(&l.entries[0].2, Listed::Decoded(Ok(b)) if !b.is_empty()));
        assert!(l.notes.errors.is_empty());
    }

    #[test]
    fn a_crc_mismatch_is_a_decoding_error() {
        let mut data = sample("streams/hello.txt.bz2").expect("sample");
        // The first block's CRC follows its magic (bytes 10..14).
        data[10] ^= 0xFF;
        let l = list(open, &data, &Default::default(), 10);
        assert!(l.entries[0].1.verified_by.is_empty());
        assert!(
            matches!(&l.entries[0].2, Listed::Decoded(Err(_))),
            "{:?}",
            l.entries[0].2
        );
    }
}
