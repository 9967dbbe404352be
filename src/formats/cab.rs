//! Microsoft cabinet (MSCF).

use super::{Handler, Parsed};
use crate::report::Format;
use crate::scan::Cx;
use serde::Serialize;

/// Cabinet facts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CabInfo {}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "cab",
    format: Format::Cab,
    sniff,
    parse,
};

/// `MSCF`, four reserved zero bytes, a plausible cabinet size and file-table
/// offset, and format version 1.3.
pub fn sniff(data: &[u8]) -> bool {
    if !data.starts_with(b"MSCF\0\0\0\0") {
        return false;
    }
    let (Some(size), Some(coff_files)) = (super::le_u32(data, 8), super::le_u32(data, 16)) else {
        return false;
    };
    size >= 36 && coff_files >= 36 && coff_files < size && data.get(24..26) == Some(&[3, 1])
}

fn parse(_data: &[u8], _cx: &mut Cx<'_>) -> Parsed {
    Parsed {
        format: Format::Cab,
        metadata: None,
    }
}
