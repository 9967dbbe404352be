//! Legacy `.lzma` streams ("LZMA alone", LZMA SDK `lzma e`, xz-utils
//! `--format=lzma`): a container of one child, the decoded bytes. Omaha
//! metainstallers (`ChromeSetup.exe`, `GoogleUpdateSetup.exe`) carry their
//! payload (resource `B/102`) in this format.
//!
//! A 13-byte header: the properties byte (`(pb * 5 + lp) * 9 + lc`, below
//! 225), the dictionary size (u32), the unpacked size (u64; all ones:
//! unknown, the stream then ends with an end marker), then the LZMA data.
//! The format has no magic and no checksum.
//!
//! **Detection rule** (the format has no magic, so the sniff is strict):
//! all of
//! - the properties byte below 225 with `lc + lp <= 4` (what every LZMA
//!   encoder writes; the SDK's decoder would take more);
//! - the dictionary size 2^n or 2^n + 2^(n-1), from 4 KiB to 1.5 GiB (what
//!   the SDK and xz-utils write; xz-utils refuses other values);
//! - the unpacked size unknown or below 256 GiB (xz-utils' own bound);
//! - and the first decoded bytes (at most 8 KiB) sniff as another format
//!   installsift opens (a tar archive, a PE, a cabinet …), or start with
//!   an Omaha BCJ2 header whose stream sizes add up to the unpacked size
//!   the LZMA header states ([`crate::bcj2`]). A `.lzma` file of
//!   plain text is therefore not recognised: without a magic, "it decodes"
//!   is no proof that it is LZMA, and a false container is worse than a
//!   blob hashed whole.
//!
//! Decoding uses the LZMA SDK decoder ([`crate::lzma`]), streaming as the
//! engine pulls; the dictionary allocated is the header's, at most the
//! unpacked size when known and at most
//! `stream::decoder_memory` (a stream that then
//! refers further back fails with a data error; it cannot read outside the
//! buffer). The child is named after the node minus `.lzma`.

use super::container::{Notes, Opened, Options};
use super::stream::{child_name, decoder_memory, DecoderLimits, OneChild};
use super::{le_u32, le_u64, Handler, Metadata, Parsed};
use installsift_model::error::Error;
use installsift_model::{Evidence, Format};
use serde::Serialize;
use std::io::Read;

/// Header length.
const HEADER: usize = 13;
/// Output decoded to decide the sniff.
const PROBE: usize = 8 << 10;

/// `.lzma` facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LzmaInfo {
    /// Literal context bits.
    pub lc: u8,
    /// Literal position bits.
    pub lp: u8,
    /// Position bits.
    pub pb: u8,
    /// Dictionary size the header states.
    pub dictionary: u32,
    /// Unpacked size the header states (absent: unknown, end marker).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unpacked_size: Option<u64>,
    /// The format the first decoded bytes sniffed as (why the stream was
    /// taken for LZMA).
    pub content: &'static str,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "lzma",
    format: Format::Lzma,
    sniff,
    open,
};

/// The header's fields when they are plausible (see the module's rule):
/// properties, dictionary, unpacked size.
fn plausible(data: &[u8]) -> Option<(u8, u32, Option<u64>)> {
    let props = *data.first()?;
    let dict = le_u32(data, 1)?;
    let size = le_u64(data, 5)?;
    if props >= 225 {
        return None;
    }
    let (lc, lp) = (props % 9, props / 9 % 5);
    if lc + lp > 4 {
        return None;
    }
    let n = dict.checked_ilog2()?;
    let pow = 1u32 << n;
    let ok_dict = (12..=30).contains(&n) && (dict == pow || (n >= 1 && dict == pow | (pow >> 1)));
    if !ok_dict {
        return None;
    }
    let size = (size != u64::MAX).then_some(size);
    if size.is_some_and(|s| s >= 1 << 38) {
        return None;
    }
    (data.len() > HEADER).then_some((props, dict, size))
}

/// The format the first decoded bytes sniff as (never `.lzma` itself).
fn content(
    data: &[u8],
    props: u8,
    dict: u32,
    size: Option<u64>,
) -> Option<&'static crate::Handler> {
    let want = size.map_or(PROBE, |s| usize::try_from(s).unwrap_or(PROBE).min(PROBE));
    let mut r =
        crate::lzma::LzmaReader::lzma(props, dict.min(PROBE as u32), data.get(HEADER..)?).ok()?;
    let mut head = vec![0u8; want];
    let mut got = 0;
    while got < want {
        match r.read(head.get_mut(got..)?) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    let head = head.get(..got)?;
    // An Omaha 1.3 payload: a BCJ2 split whose header names the stream's
    // exact unpacked size (its own sniff needs the whole output).
    if size.is_some_and(|s| crate::bcj2::header_fits(head, s).is_some()) {
        return crate::HANDLERS.iter().find(|h| h.format == Format::Bcj2);
    }
    crate::HANDLERS
        .iter()
        .filter(|h| h.format != Format::Lzma)
        .find(|h| (h.sniff)(head))
}

/// See the module's detection rule.
pub fn sniff(data: &[u8]) -> bool {
    plausible(data).is_some_and(|(p, d, s)| content(data, p, d, s).is_some())
}

fn decoder<'a>(src: &'a [u8], l: &DecoderLimits) -> Result<Box<dyn Read + 'a>, Error> {
    let props = src.first().copied().unwrap_or(0);
    let dict = le_u32(src, 1).unwrap_or(0);
    let size = le_u64(src, 5).filter(|&s| s != u64::MAX);
    let cap = size.map_or(l.memory, |s| s.min(l.memory)).max(4096);
    let dict = dict.min(u32::try_from(cap).unwrap_or(u32::MAX));
    let r = crate::lzma::LzmaReader::lzma(props, dict, src.get(HEADER..).unwrap_or(&[]))
        .map_err(|e| Error::unsupported(format!("LZMA decoder: {e}")))?;
    Ok(match size {
        Some(s) => Box::new(r.with_size(s)),
        None => Box::new(r),
    })
}

/// Open a `.lzma` stream: one child, decoded as the engine reads it.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let found = plausible(data).and_then(|(p, d, s)| Some((p, d, s, content(data, p, d, s)?)));
    let Some((props, dict, size, inner)) = found else {
        notes.error(Error::malformed("no LZMA-alone header that decodes to a known format").at(0));
        return Opened::Leaf(Parsed {
            format: Format::Lzma,
            metadata: None,
        });
    };
    let info = LzmaInfo {
        lc: props % 9,
        lp: props / 9 % 5,
        pb: props / 45,
        dictionary: dict,
        unpacked_size: size,
        content: inner.format.as_str(),
    };
    notes.evidence(Evidence::strong(
        "lzma-alone-header",
        format!(
            "LZMA-alone header (lc {} lp {} pb {}, dictionary {dict}) whose data decodes to {}",
            info.lc, info.lp, info.pb, info.content
        ),
        Some(0),
    ));
    let memory = decoder_memory(size, opts.limits.max_entry_size);
    Opened::Container(Box::new(OneChild {
        data,
        from: 0,
        name: child_name(
            opts.name,
            &[(".tlz", ".tar"), (".lzma", "")],
            "[lzma content]",
        ),
        method: "lzma",
        declared: size,
        format: Format::Lzma,
        make: decoder,
        limits: DecoderLimits { memory },
        check: None,
        metadata: Some(Metadata::Lzma(Box::new(info))),
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
        let data = sample("streams/ustar.tar.lzma").expect("sample");
        assert!(sniff(&data));
        let l = list(open, &data, &Default::default(), 10);
        assert_eq!(l.entries.len(), 1);
        let tar = sample("streams/ustar.tar").expect("sample");
        assert!(matches!(&l.entries[0].2, Listed::Decoded(Ok(b)) if *b == tar));
        assert!(l.notes.errors.is_empty());
    }

    #[test]
    fn text_is_not_taken_for_lzma() {
        let data = sample("streams/hello.txt.lzma").expect("sample");
        assert!(plausible(&data).is_some());
        assert!(!sniff(&data));
        assert!(!sniff(b"\x5d\x00\x00\x80\x00"));
    }

    #[test]
    fn a_truncated_stream_is_an_error() {
        let data = sample("streams/ustar.tar.lzma").expect("sample");
        let cut = &data[..data.len() - 20];
        let l = list(open, cut, &Default::default(), 10);
        assert!(
            matches!(&l.entries[0].2, Listed::Decoded(Err(_))),
            "{:?}",
            l.entries[0].2
        );
    }
}
