//! RAR archives: detected by signature, not listed (no pure-Rust RAR reader
//! here is fit for hostile input). A RAR after a PE makes a RAR SFX. The
//! node carries an `unsupported` error saying its entries were not read.

use super::{Handler, Metadata, Parsed};
use crate::error::Error;
use crate::report::{Evidence, Format};
use crate::scan::Cx;
use serde::Serialize;

/// RAR 1.5–4.x signature.
pub const RAR4_MAGIC: &[u8] = b"Rar!\x1a\x07\x00";
/// RAR 5 signature.
pub const RAR5_MAGIC: &[u8] = b"Rar!\x1a\x07\x01\x00";

/// RAR facts.
#[derive(Debug, Clone, Serialize)]
pub struct RarInfo {
    /// `4` (RAR 1.5–4.x format) or `5`.
    pub rar_version: u8,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "rar",
    format: Format::Rar,
    sniff,
    parse,
};

/// A RAR 4 or RAR 5 signature at the start.
pub fn sniff(data: &[u8]) -> bool {
    data.starts_with(RAR4_MAGIC) || data.starts_with(RAR5_MAGIC)
}

fn parse(data: &[u8], cx: &mut Cx<'_>) -> Parsed {
    let v = if data.starts_with(RAR5_MAGIC) { 5 } else { 4 };
    cx.evidence(Evidence::strong(
        "rar-signature",
        format!("RAR {v} signature (entries not listed)"),
        Some(0),
    ));
    // Not opened: its entries are unknown, which the verdict must not read
    // as "nothing inside".
    cx.error(Error::unsupported(format!(
        "RAR {v} archive: entries are not listed or unpacked"
    )));
    Parsed {
        format: Format::Rar,
        metadata: Some(Metadata::Rar(RarInfo { rar_version: v })),
    }
}
