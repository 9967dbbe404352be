//! installsift: static analysis of software installers.
//!
//! For any file, without running it: is it an installer, of which family; what
//! does it carry, unpacked layer by layer; and the hashes of every layer.
//!
//! | handler | what it opens | entries |
//! |---|---|---|
//! | `cfb` | compound files: MSI, MSM, MSP, transforms (tables, summary, Authenticode) | embedded cabinets' files named by the File table; streams holding a known format |
//! | `cab` | Microsoft cabinets (stored, MSZIP, LZX; Quantum listed) | files, each folder decoded once, CFDATA checksums checked |
//! | `7z` | 7z archives (LZMA/LZMA2, BCJ/BCJ2, ARM…/Delta filters, PPMd, BZip2, Deflate/Deflate64; AES listed) | files, CRC-32 checked |
//! | `zip` | zip (stored, deflate, deflate64, bzip2, lzma, xz, ppmd; encrypted listed) | files, CRC-32 checked; local headers when the directory is lost |
//! | `nsis` | NSIS data (zlib, NSIS-bzip2, LZMA; solid or not; 1.x–3.x) | files the script writes, the uninstaller |
//! | `inno` | Inno Setup setup data (1.2.10–6.4; 6.5+ recognised) | files, every checksum the version carries |
//! | `rar` | RAR 4 and 5 | stored files (CRC-32 checked); compressed ones listed |
//! | `xar` | xar and macOS flat `.pkg` | files, TOC and file checksums checked |
//! | `installshield` | InstallShield cabinets and Setup Launcher records | files (MD5 checked), records |
//! | `pe` | PE (exe, dll, sys, efi): headers, version, manifest, Authenticode, Burn, Velopack | overlay (split around the signature), container resources, Burn containers, launcher records |
//! | `xml` | installer manifests (Burn, AppX/MSIX, ClickOnce, App Installer) | — |
//! | `squirrel-releases` | Squirrel `RELEASES` | — |
//! | `msu-properties` | a Windows update's `*-pkgProperties.txt` | — |
//! | `dmg` | Apple UDIF disk images (the `koly` trailer) | — |
//!
//! Every format is a pure parser speaking the pull protocol of
//! [`formats::container`]; the engine alone recurses, hashes and enforces
//! [`Limits`]. A test holds this table to the handler table.
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
