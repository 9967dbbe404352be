//! installsift: static analysis of software installers.
//!
//! For any file, without running it: is it an installer, of which family; what
//! does it carry, unpacked layer by layer; and the hashes of every layer.
//!
//! | handler | what it opens | entries |
//! |---|---|---|
//! | `cfb` | compound files: MSI, MSM, MSP, transforms (tables, summary, Authenticode) | embedded cabinets' files named by the File table; streams holding a known format |
//! | `cab` | Microsoft cabinets (stored, MSZIP, LZX, Quantum) | files, each folder decoded once, CFDATA checksums checked |
//! | `7z` | 7z archives (LZMA/LZMA2, BCJ/BCJ2, ARM…/Delta filters, PPMd, BZip2, Deflate/Deflate64; AES listed) | files, CRC-32 checked |
//! | `zip` | zip (stored, deflate, deflate64, bzip2, lzma, xz, ppmd; encrypted listed) | files, CRC-32 checked; local headers when the directory is lost |
//! | `nsis` | NSIS data (zlib, NSIS-bzip2, LZMA; solid or not; 1.x–3.x) | files the script writes, the uninstaller |
//! | `inno` | Inno Setup setup data (1.2.10–6.7.x; newer IDs recognised) | files, every checksum the version carries |
//! | `rar` | RAR 4 and 5 | stored files (CRC-32 checked); compressed ones listed |
//! | `arj` | ARJ (methods 0–4; `-je` self-extractors in an overlay or carved) | files (our decoders, CRC-32 checked) |
//! | `xar` | xar and macOS flat `.pkg` | files, TOC and file checksums checked |
//! | `installshield` | InstallShield cabinets and Setup Launcher records | files (MD5 checked), records |
//! | `szdd` | `COMPRESS.EXE` SZDD files (`SETUP.EX_`) | the one file, named as 7-Zip names it |
//! | `kwaj` | `COMPRESS.EXE` KWAJ files (stored, XOR, LZSS, MS-ZIP; LZ+Huffman listed) | the one file, named by its header |
//! | `chm` | Compiled HTML Help (`ITSF`; section 0 stored, section 1 LZX with its reset table) | the `/` files 7-Zip lists |
//! | `dmg` | Apple UDIF disk images (zlib, bzip2, LZFSE, ADC, xz, raw, zero chunks) | partitions, CRC-32 checked |
//! | `gzip` | gzip streams (multi-member) | the decoded file, every member's CRC-32 and ISIZE checked |
//! | `bzip2` | bzip2 streams (multi-stream) | the decoded file, block and stream CRCs checked by the decoder |
//! | `xz` | xz streams | the decoded file, the integrity check verified by liblzma |
//! | `pbzx` | Apple pbzx streams (newer `.pkg` Payloads) | the decoded file (xz chunks) |
//! | `bcj2` | an x86 BCJ2 split behind Omaha's 20-byte header (Omaha 1.3 payloads) | the joined file (a tar) |
//! | `tar` | tar (ustar, pax, GNU long names) | files, every header checksum checked |
//! | `cpio` | cpio (odc, newc, crc) | files, crc-format checks verified |
//! | `ne` | 16-bit NE executables (Windows 3.x, OS/2) | `RCDATA`/custom resources, the overlay (or a container found in it) |
//! | `pe` | PE (exe, dll, sys, efi): headers, version, manifest, Authenticode, Burn, Velopack | overlay (split around the signature), container resources, Burn containers, launcher records |
//! | `qtifw` | Qt Installer Framework binary content (the trailer that ends an installer) | meta resources (`.rcc`), each component's archives (`.sha1` checked), the executable when scanned whole |
//! | `qt-rcc` | Qt resource files (`qres`, versions 1–3; zlib entries decoded) | files by path |
//! | `xml` | installer manifests (Burn, AppX/MSIX, ClickOnce, App Installer) | — |
//! | `squirrel-releases` | Squirrel `RELEASES` | — |
//! | `msu-properties` | a Windows update's `*-pkgProperties.txt` | — |
//! | `hfs` | HFS+ and HFSX volumes (a disk image's partition) | files by full path, resource forks, extended attributes |
//! | `apfs` | APFS containers (a disk image's partition) | each volume's files by full path, extended attributes (the resource fork among them) |
//! | `udf` | UDF 1.02–2.60 file systems (install media; bridge images listed by their UDF tree) | files as regions of the image, or streamed from their extents |
//! | `iso` | ISO 9660 images (Joliet, Rock Ridge, El Torito) | files as regions of the image, El Torito boot images |
//! | `lzma` | `.lzma` (LZMA alone) streams whose content is a known format (Omaha payloads) | the decoded file |
//! | `dmg` | an Apple UDIF disk image cut before or inside its trailer, known by the property list it ends with (sniffed last) | partitions described before the cut, with a `truncated` error |
//!
//! A node no handler opens is searched for a cabinet, zip or 7z after its
//! first bytes (`formats::carve`): `carved` children.
//!
//! Every format is a pure parser speaking the pull protocol of
//! [`formats::container`]; the engine alone recurses, hashes and enforces
//! [`Limits`]. A test holds this table to the handler table.
//!
//! ```no_run
//! use installsift::{Scanner, Verdict};
//! let report = installsift::Scanner::new().scan_path("setup.exe".as_ref()).unwrap();
//! report.root.walk(&mut |node| {
//!     let n = &node.info;
//!     // A digest displays as lowercase hex; absent when the bytes could not be read.
//!     let sha256 = n.sha256.map_or("-".to_owned(), |d| d.to_string());
//!     println!("{} {} {sha256}", n.path.join(" > "), n.format);
//! });
//! if report.root.info.verdict == Verdict::Installer {
//!     println!("family: {:?}", report.root.info.family);
//! }
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
#![deny(unsafe_code)]
#![warn(missing_docs)]
// Module docs name the engine's internals (`Cx`, `HANDLERS`, …) for readers of the
// source; in the public docs those names are plain text.
#![allow(rustdoc::private_intra_doc_links)]

mod classify;
pub mod diff;
pub mod extract;
mod feed;
mod guard;
mod inputs;
pub mod provenance;
pub mod render;
mod report;
mod scan;
#[cfg(feature = "schema")]
pub mod schema;

#[cfg(test)]
mod format_tests;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(test)]
mod test_support;

pub use inputs::{census, Skipped, Special};
/// The parsers (the `installsift-formats` crate): their facts are the
/// [`NodeInfo::metadata`] of a report.
pub use installsift_formats as formats;
pub use installsift_model::hash;
pub use installsift_model::limits::markdown_table as limits_table;
pub use installsift_model::time::{civil_from_days, days_from_civil};
pub use installsift_model::{
    Check, EntryInfo, EntryKind, Error, Evidence, Family, Format, HashSelection, Hashes,
    InstallerFacts, Limit, LimitInfo, Limits, Result, Strength, Timestamp, Tool, ToolKind, Verdict,
    LIMITS,
};
pub use report::{Node, NodeInfo, Report, ScanStats};
pub use scan::{ReadMode, Scanner};

#[cfg(test)]
mod tests {
    /// The crate docs' table lists every handler (and nothing else).
    #[test]
    fn crate_docs_list_every_handler() {
        let docs = include_str!("lib.rs");
        let listed: Vec<&str> = docs
            .lines()
            .filter_map(|l| l.strip_prefix("//! | `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        let handlers: Vec<&str> = crate::formats::HANDLERS.iter().map(|h| h.name).collect();
        assert_eq!(listed, handlers);
    }
}
