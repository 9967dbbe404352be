//! Compound File Binary, and the Windows Installer files built on it
//! (MSI, MSM, MSP).

use super::{Handler, Parsed};
use crate::report::Format;
use crate::scan::Cx;
use serde::Serialize;

/// Compound file and Windows Installer facts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CfbInfo {}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "cfb",
    format: Format::Cfb,
    sniff,
    parse,
};

/// The CFB signature, major version 3 or 4, little-endian byte order mark
/// and a 512- or 4096-byte sector shift.
pub fn sniff(data: &[u8]) -> bool {
    data.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
        && matches!(super::le_u16(data, 26), Some(3 | 4))
        && super::le_u16(data, 28) == Some(0xFFFE)
        && matches!(super::le_u16(data, 30), Some(9 | 12))
}

fn parse(_data: &[u8], _cx: &mut Cx<'_>) -> Parsed {
    Parsed {
        format: Format::Cfb,
        metadata: None,
    }
}
