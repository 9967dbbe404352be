//! Apple UDIF disk images: the 512-byte `koly` trailer at the end of the file.

use super::container::{Notes, Opened, Options};
use super::{Handler, Metadata, Parsed};
use installsift_model::{Evidence, Format};
use serde::Serialize;

/// UDIF facts from the trailer (big-endian).
#[derive(Debug, Clone, Serialize)]
pub struct DmgInfo {
    /// Trailer version (4 in current images).
    pub udif_version: u32,
    /// Offset of the property-list (XML) that maps the partitions.
    pub xml_offset: u64,
    /// Its length.
    pub xml_length: u64,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "dmg",
    format: Format::Dmg,
    sniff,
    open,
};

const TRAILER: usize = 512;

fn trailer(data: &[u8]) -> Option<&[u8]> {
    data.get(data.len().checked_sub(TRAILER)?..)
}

/// `koly` with header size 512 at the start of the last 512 bytes.
pub fn sniff(data: &[u8]) -> bool {
    trailer(data).is_some_and(|t| t.starts_with(b"koly") && be_u32(t, 8) == Some(512))
}

fn be_u32(d: &[u8], at: usize) -> Option<u32> {
    let b = d.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn be_u64(d: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(be_u32(d, at)?) << 32 | u64::from(be_u32(d, at + 4)?))
}

/// Read the `koly` trailer (a leaf: the partitions are not listed yet).
pub fn open<'a>(data: &'a [u8], _opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let t = trailer(data).unwrap_or_default();
    let at = data.len().saturating_sub(TRAILER) as u64;
    notes.evidence(Evidence::strong(
        "udif-koly-trailer",
        "UDIF `koly` trailer in the last 512 bytes",
        Some(at),
    ));
    Opened::Leaf(Parsed {
        format: Format::Dmg,
        metadata: Some(Metadata::Dmg(Box::new(DmgInfo {
            udif_version: be_u32(t, 4).unwrap_or(0),
            xml_offset: be_u64(t, 0xD8).unwrap_or(0),
            xml_length: be_u64(t, 0xE0).unwrap_or(0),
        }))),
    })
}
