//! xar archives (macOS flat `.pkg` installers): the header is read and its
//! table-of-contents sizes reported; the TOC (zlib XML) is not yet listed.

use super::{le_u16, Handler, Metadata, Parsed};
use crate::error::Error;
use crate::report::{Evidence, Format};
use crate::scan::Cx;
use serde::Serialize;

/// xar facts (big-endian header).
#[derive(Debug, Clone, Serialize)]
pub struct XarInfo {
    /// Header size.
    pub header_size: u16,
    /// Format version.
    pub version: u16,
    /// Compressed TOC length.
    pub toc_compressed: u64,
    /// Uncompressed TOC length.
    pub toc_uncompressed: u64,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "xar",
    format: Format::Xar,
    sniff,
    parse,
};

/// `xar!` then a header size of at least 28.
pub fn sniff(data: &[u8]) -> bool {
    data.starts_with(b"xar!") && be_u16(data, 4).is_some_and(|h| h >= 28)
}

fn be_u16(d: &[u8], at: usize) -> Option<u16> {
    le_u16(d, at).map(u16::swap_bytes)
}

fn be_u64(d: &[u8], at: usize) -> Option<u64> {
    let b = d.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_be_bytes(a))
}

fn parse(data: &[u8], cx: &mut Cx<'_>) -> Parsed {
    let (Some(h), Some(v), Some(c), Some(u)) = (
        be_u16(data, 4),
        be_u16(data, 6),
        be_u64(data, 8),
        be_u64(data, 16),
    ) else {
        cx.error(Error::truncated("xar header runs past the end"));
        return Parsed {
            format: Format::Xar,
            metadata: None,
        };
    };
    cx.evidence(Evidence::strong(
        "xar-header",
        format!("xar v{v}, TOC {c} bytes compressed"),
        Some(0),
    ));
    Parsed {
        format: Format::Xar,
        metadata: Some(Metadata::Xar(XarInfo {
            header_size: h,
            version: v,
            toc_compressed: c,
            toc_uncompressed: u,
        })),
    }
}
