//! 7z archives.

use super::{Handler, Parsed};
use crate::report::Format;
use crate::scan::Cx;
use serde::Serialize;

/// 7z facts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SevenZInfo {}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "7z",
    format: Format::SevenZ,
    sniff,
    parse,
};

/// The 6-byte 7z signature, major version 0 and a start header whose CRC
/// matches.
pub fn sniff(data: &[u8]) -> bool {
    if !data.starts_with(b"7z\xBC\xAF\x27\x1C") || data.get(6) != Some(&0) {
        return false;
    }
    match (super::le_u32(data, 8), data.get(12..32)) {
        (Some(crc), Some(start_header)) => crc32fast::hash(start_header) == crc,
        _ => false,
    }
}

fn parse(_data: &[u8], _cx: &mut Cx<'_>) -> Parsed {
    Parsed {
        format: Format::SevenZ,
        metadata: None,
    }
}
