//! installsift's parsers: one module per format, each a pure parser over
//! `&[u8]` that speaks the pull protocol of [`container`]. Adding a format is
//! one module here and one entry in [`HANDLERS`].
//!
//! Each module exposes a `HANDLER`: a cheap `sniff` over the first bytes and
//! an `open` that yields entries one at a time; the engine (the `installsift`
//! crate) pulls them and alone recurses, hashes and enforces limits. This
//! crate depends on the vocabulary (`installsift-model`) only: no format can
//! name the engine.
//!
//! A parser runs alone with [`container::list`]:
//!
//! ```
//! use installsift_formats::{container, HANDLERS};
//! use installsift_model::Limits;
//! let cab = HANDLERS.iter().find(|h| h.name == "cab").unwrap();
//! let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpus/cab/mszip.cab")).unwrap();
//! let listing = container::list(cab.open, &data, &Limits::default(), 100);
//! assert!(!listing.entries.is_empty());
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
#![deny(unsafe_code)]
#![warn(missing_docs)]
#![allow(rustdoc::private_intra_doc_links)]

use installsift_model::Format;
use serde::Serialize;

pub mod apfs;
pub mod arj;
pub mod bcj2;
pub mod bzip;
pub mod cab;
pub mod carve;
pub mod cfb;
pub mod chm;
pub mod container;
pub mod cpio;
pub mod decmpfs;
pub mod dmg;
#[doc(hidden)]
pub mod fuzzing;
pub mod gzip;
pub mod hfs;
pub mod inno;
pub mod installshield;
pub mod iso;
pub mod lzma;
pub mod lzma_alone;
pub mod ne;
pub mod nsis;
pub mod pbzx;
pub mod pe;
pub mod pkgprops;
pub mod qtifw;
pub mod rar;
pub mod releases;
pub mod sevenz;
mod stream;
pub mod szdd;
pub mod tar;
pub mod udf;
pub mod xar;
pub mod xml;
pub mod xz;
pub mod zip;

#[cfg(test)]
mod test_support;

/// Format-specific facts of a node (the `metadata` field of a report line).
///
/// Every variant is boxed: a report holds one `Option<Metadata>` per node
/// (65,536 per container at the entry limit) and only containers carry
/// one, so the enum stays 16 bytes instead of its largest facts (352).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
#[non_exhaustive]
pub enum Metadata {
    /// PE facts.
    Pe(Box<pe::PeInfo>),
    /// Compound file / Windows Installer facts.
    Cfb(Box<cfb::CfbInfo>),
    /// Cabinet facts.
    Cab(Box<cab::CabInfo>),
    /// ZIP facts.
    Zip(Box<zip::ZipInfo>),
    /// 7z facts.
    SevenZ(Box<sevenz::SevenZInfo>),
    /// NSIS facts.
    Nsis(Box<nsis::NsisInfo>),
    /// RAR facts.
    Rar(Box<rar::RarInfo>),
    /// xar facts.
    Xar(Box<xar::XarInfo>),
    /// UDIF disk image facts.
    Dmg(Box<dmg::DmgInfo>),
    /// HFS+ / HFSX volume facts.
    Hfs(Box<hfs::HfsInfo>),
    /// APFS container facts.
    Apfs(Box<apfs::ApfsInfo>),
    /// XML document facts (installer manifests).
    Xml(Box<xml::XmlInfo>),
    /// Squirrel RELEASES entries.
    Releases(Box<releases::ReleasesInfo>),
    /// A Windows update package's properties (`*-pkgProperties.txt`).
    PkgProperties(Box<pkgprops::PkgPropertiesInfo>),
    /// Inno Setup facts.
    Inno(Box<inno::InnoInfo>),
    /// InstallShield launcher records or cabinet facts.
    InstallShield(Box<installshield::InstallShieldInfo>),
    /// SZDD or KWAJ (`COMPRESS.EXE`) facts.
    Compress(Box<szdd::CompressInfo>),
    /// ISO 9660 / UDF image facts.
    Iso(Box<iso::IsoInfo>),
    /// UDF file system facts.
    Udf(Box<udf::UdfInfo>),
    /// gzip stream facts.
    Gzip(Box<gzip::GzipInfo>),
    /// xz stream facts.
    Xz(Box<xz::XzInfo>),
    /// `.lzma` (LZMA alone) stream facts.
    Lzma(Box<lzma_alone::LzmaInfo>),
    /// pbzx stream facts.
    Pbzx(Box<pbzx::PbzxInfo>),
    /// tar archive facts.
    Tar(Box<tar::TarInfo>),
    /// cpio archive facts.
    Cpio(Box<cpio::CpioInfo>),
    /// Omaha BCJ2 split facts.
    Bcj2(Box<bcj2::Bcj2Info>),
    /// ARJ archive facts.
    Arj(Box<arj::ArjInfo>),
    /// 16-bit NE executable facts.
    Ne(Box<ne::NeInfo>),
    /// Compiled HTML Help (CHM) facts.
    Chm(Box<chm::ChmInfo>),
    /// Qt Installer Framework binary content facts.
    QtIfw(Box<qtifw::QtIfwInfo>),
    /// Qt resource file facts.
    QtRcc(Box<qtifw::rcc::RccInfo>),
}

/// What a parser decided about its node.
#[derive(Debug)]
pub struct Parsed {
    /// The final format (a parser may refine its sniffed one, e.g. CFB → MSI).
    pub format: Format,
    /// Facts for the report.
    pub metadata: Option<Metadata>,
}

/// A format's entry in the dispatch table.
pub struct Handler {
    /// Name used in panic reports.
    pub name: &'static str,
    /// The format reported when only the sniff matched.
    pub format: Format,
    /// Does this data start with this format? Must be cheap and never panic.
    pub sniff: fn(&[u8]) -> bool,
    /// Open the node (the pull protocol of [`container`]).
    pub open: container::OpenFn,
}

/// The dispatch table, most specific magic first.
pub static HANDLERS: &[Handler] = &[
    cfb::HANDLER,
    cab::HANDLER,
    sevenz::HANDLER,
    zip::HANDLER,
    nsis::HANDLER,
    inno::HANDLER,
    rar::HANDLER,
    arj::HANDLER,
    xar::HANDLER,
    installshield::HANDLER,
    szdd::HANDLER,
    szdd::KWAJ_HANDLER,
    chm::HANDLER,
    // A UDIF image is known by its trailer (any prefix may precede it): after
    // the formats whose magic is a structure, before the compressed streams,
    // whose 2-6 byte magics its first chunk starts with (bzip2, xz chunks).
    dmg::HANDLER,
    gzip::HANDLER,
    bzip::HANDLER,
    xz::HANDLER,
    pbzx::HANDLER,
    bcj2::HANDLER,
    tar::HANDLER,
    cpio::HANDLER,
    // An MZ stub whose e_lfanew points at `NE` (a PE's points at `PE`).
    ne::HANDLER,
    pe::HANDLER,
    // Known by its trailer (the cookie ends the data), or by a Qt resource
    // file that more data follows: after the PE, whose overlay it is (a PE
    // scanned whole is the PE; its overlay is this).
    qtifw::HANDLER,
    qtifw::rcc::HANDLER,
    xml::HANDLER,
    releases::HANDLER,
    pkgprops::HANDLER,
    hfs::HANDLER,
    apfs::HANDLER,
    // Its signature lies at 32 KiB: after every format whose magic starts
    // the data (a PE or zip padded past 32 KiB is not an image).
    // UDF (`NSR02`/`NSR03` among the descriptors at 32 KiB) before ISO 9660:
    // 7-Zip lists a bridge image's UDF tree, and so do we.
    udf::HANDLER,
    iso::HANDLER,
    // No magic: a plausible header whose data decodes to one of the above.
    lzma_alone::HANDLER,
    // A disk image cut before its trailer, known by the property list it
    // ends with: last, so that no container ending with one is taken for it.
    dmg::CUT_HANDLER,
];

/// The handler whose magic starts `data`, if any.
pub fn sniff(data: &[u8]) -> Option<&'static Handler> {
    HANDLERS.iter().find(|h| (h.sniff)(data))
}

/// Magics of containers that can be embedded in a PE overlay or resource,
/// with their format, for signature search.
pub(crate) const EMBEDDED_MAGICS: &[(&[u8], Format)] = &[
    (b"PK\x03\x04", Format::Zip),
    (b"7z\xBC\xAF\x27\x1C", Format::SevenZ),
    (b"MSCF\0\0\0\0", Format::Cab),
    (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", Format::Cfb),
    (b"Rar!\x1a\x07", Format::Rar),
    // Two bytes: the sniff (a main header whose CRC-32 matches) decides.
    (arj::MAGIC, Format::Arj),
];

/// First offset in `data[..window]` where an embedded container starts (its
/// magic matches and its sniff accepts it).
pub(crate) fn find_embedded(data: &[u8], window: u64) -> Option<(usize, Format)> {
    let end = usize::try_from(window)
        .unwrap_or(usize::MAX)
        .min(data.len());
    let hay = data.get(..end)?;
    // One pass for all the magics (a SIMD multi-literal search): one
    // search per magic, merged, made as many passes over a PE's overlay as
    // there are magics (5-7 % of a signed NSIS installer's scan). The
    // magics' first bytes differ, so no two match at one offset: the
    // leftmost match from `from` on is the only one there. The searcher is
    // built once: building it for each call was 2 % of a scan of many small
    // files (a CHM's pages).
    static MAGICS: std::sync::LazyLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                .build(EMBEDDED_MAGICS.iter().map(|(m, _)| m))
                .ok()
        });
    let magics = MAGICS.as_ref()?;
    let mut from = 0;
    loop {
        let m = magics.find(aho_corasick::Input::new(hay).span(from..hay.len()))?;
        let at = m.start();
        let &(_, f) = EMBEDDED_MAGICS.get(m.pattern().as_usize())?;
        if sniff(data.get(at..)?).is_some() {
            return Some((at, f));
        }
        from = at + 1;
    }
}

/// Length of the container that starts `data`, when its own headers say so
/// and it fits: cabinet size field, 7z start header (when its CRC matches), or the zip end of central
/// directory record (searched backwards over the largest comment).
pub(crate) fn carved_len(format: Format, data: &[u8]) -> Option<usize> {
    let len = match format {
        Format::Cab => le_u32(data, 8)? as usize,
        // Offsets of a start header whose CRC fails are not trusted.
        Format::SevenZ if !sevenz::start_header_ok(data) => return None,
        Format::SevenZ => {
            let next_off = le_u64(data, 12)?;
            let next_size = le_u64(data, 20)?;
            usize::try_from(next_off.checked_add(next_size)?.checked_add(32)?).ok()?
        }
        Format::Zip => {
            let floor = data.len().saturating_sub(22 + 0xFFFF);
            let mut at = data.len().checked_sub(22)?;
            loop {
                if data.get(at..at + 4) == Some(b"PK\x05\x06") {
                    let comment = usize::from(le_u16(data, at + 20)?);
                    let end = at + 22 + comment;
                    if end <= data.len() {
                        break end;
                    }
                }
                if at == floor {
                    return None;
                }
                at -= 1;
            }
        }
        Format::Arj => arj::archive_len(data)?,
        _ => return None,
    };
    (len > 0 && len <= data.len()).then_some(len)
}

/// `len` bytes of `data` at `off` (offsets from a format's 64-bit fields),
/// or nothing when they do not all lie in it.
pub(crate) fn region(data: &[u8], off: u64, len: u64) -> &[u8] {
    let o = usize::try_from(off).unwrap_or(usize::MAX);
    let e = o.saturating_add(usize::try_from(len).unwrap_or(usize::MAX));
    data.get(o..e).unwrap_or_default()
}

/// Read a little-endian u16 at `off`, if in bounds.
pub fn le_u16(data: &[u8], off: usize) -> Option<u16> {
    let b = data.get(off..off.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

/// Read a little-endian u32 at `off`, if in bounds.
pub fn le_u32(data: &[u8], off: usize) -> Option<u32> {
    let b = data.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Read a little-endian u64 at `off`, if in bounds.
pub fn le_u64(data: &[u8], off: usize) -> Option<u64> {
    let b = data.get(off..off.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_le_bytes(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_embedded_skips_false_magic() {
        let mut d = b"xxPK\x03\x04".to_vec();
        d.extend_from_slice(&[0u8; 40]);
        // A bare local-header magic followed by zeros: the zip sniff decides.
        let found = find_embedded(&d, 1 << 20);
        if let Some((off, f)) = found {
            assert_eq!((off, f), (2, Format::Zip));
        }
        assert_eq!(find_embedded(b"nothing here", 1 << 20), None);
        assert_eq!(find_embedded(b"", 1 << 20), None);
    }

    #[test]
    fn le_reads_are_bounded() {
        assert_eq!(le_u32(&[1, 0, 0, 0], 0), Some(1));
        assert_eq!(le_u32(&[1, 0, 0], 0), None);
        assert_eq!(le_u16(&[1, 0], usize::MAX), None);
        assert_eq!(le_u64(&[0; 8], 1), None);
    }
}
