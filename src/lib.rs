//! installsift: static analysis of software installers.
//!
//! For any file, without running it: is it an installer, of which family; what
//! does it carry, unpacked layer by layer; and the hashes of every layer.
//!
//! | format | detect | list | extract |
//! |---|---|---|---|
//! | PE (exe, dll, sys): overlay, certificate table, container resources | yes | yes | yes |
//! | MSI / MSM / MSP (compound file, tables, embedded cabinets by File-table name) | yes | yes | yes |
//! | CAB (MSZIP, LZX, stored) | yes | yes | yes |
//! | ZIP (stored, deflate, deflate64, bzip2, lzma, xz, ppmd) | yes | yes | yes |
//! | 7z | yes | yes | yes |
//! | NSIS (zlib, NSIS-bzip2, LZMA; solid and non-solid; NSIS 2/3, ANSI/Unicode, x86/amd64) | yes | yes | yes (the uninstaller as its NSIS data) |
//!
//! ```no_run
//! use installsift::{Scanner, Verdict};
//! let report = installsift::Scanner::new().scan_path("setup.exe".as_ref()).unwrap();
//! report.root.walk(&mut |node| {
//!     println!("{} {} {:?}", node.path.join(" > "), node.format, node.sha256);
//! });
//! if report.root.verdict == Verdict::Installer {
//!     println!("family: {:?}", report.root.family);
//! }
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
#![deny(unsafe_code)]
#![warn(missing_docs)]
// Module docs name the engine's internals (`Cx`, `HANDLERS`, …) for readers of the
// source; in the public docs those names are plain text.
#![allow(rustdoc::private_intra_doc_links)]

mod classify;
mod error;
pub mod export;
pub mod extract;
pub mod formats;
pub mod hash;
mod limits;
mod lzma;
mod model;
pub mod render;
mod report;
mod scan;
#[cfg(test)]
mod test_support;

#[doc(hidden)]
pub mod fuzzing;

pub use error::{Error, Result};
pub use hash::{HashSelection, Hashes};
pub use limits::{markdown_table as limits_table, Limit, LimitInfo, Limits, LIMITS};
pub use report::{
    Check, EntryInfo, EntryKind, Evidence, Family, Format, InstallerFacts, Node, NodeInfo, Report,
    ScanStats, Strength, Verdict,
};
pub use scan::Scanner;
