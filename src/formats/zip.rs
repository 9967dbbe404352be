//! ZIP archives.

use super::{Handler, Parsed};
use crate::report::Format;
use crate::scan::Cx;
use serde::Serialize;

/// ZIP facts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ZipInfo {}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "zip",
    format: Format::Zip,
    sniff,
    parse,
};

/// A plausible local file header (version needed below 100, a non-empty
/// name) or an empty archive's end record at offset 0.
pub fn sniff(data: &[u8]) -> bool {
    if data.starts_with(b"PK\x05\x06") {
        return data.len() >= 22;
    }
    if !data.starts_with(b"PK\x03\x04") {
        return false;
    }
    match (super::le_u16(data, 4), super::le_u16(data, 26)) {
        (Some(version), Some(name_len)) => version < 100 && name_len > 0,
        _ => false,
    }
}

fn parse(_data: &[u8], _cx: &mut Cx<'_>) -> Parsed {
    Parsed {
        format: Format::Zip,
        metadata: None,
    }
}
