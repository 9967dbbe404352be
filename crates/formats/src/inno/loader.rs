//! The setup loader's offset table: where the compressed `Setup.e32`,
//! setup-0 and setup-1 lie in the installer, with a CRC32 over the table
//! (4.0.10 on).
//!
//! Before 5.1.5 the table is found through `Inno` at file offset 0x30 (an
//! offset and its complement follow); from 5.1.5 on it is the RCDATA
//! resource 11111. Revision 2 of the 5.1.5 table (Inno Setup 6.5+) has
//! 64-bit offsets. Facts from innoextract `src/loader/offsets.cpp` and
//! issrc `Shared.Struct.pas` (`TSetupLdrOffsetTable`, tags is-6_4_3 and
//! is-6_5_0); the code is ours.

use super::stream::{v, Version};
use crate::pe::ResourceInfo;
use crate::{le_u32, le_u64};
use installsift_model::error::Error;

/// Table magics, the first version that wrote each, and how evidence names
/// that generation.
const MAGICS: &[(&[u8; 12], Version, &str)] = &[
    (b"rDlPtS02\x87eVx", v(1, 2, 10), "1.2.10"),
    (b"rDlPtS04\x87eVx", v(4, 0, 0), "4.0.0"),
    (b"rDlPtS05\x87eVx", v(4, 0, 3), "4.0.3"),
    (b"rDlPtS06\x87eVx", v(4, 0, 10), "4.0.10"),
    (b"rDlPtS07\x87eVx", v(4, 1, 6), "4.1.6"),
    (b"rDlPtS\xcd\xe6\xd7{\x0b*", v(5, 1, 5), "5.1.5"),
    (b"nS5W7dT\x83\xaa\x1b\x0fj", v(5, 1, 5), "5.1.5 (modified)"),
];

/// Where a PE keeps an Inno Setup loader's offset table, as the PE parser
/// found it ([`crate::pe::PeInfo::inno_loader`]): the two places a loader
/// looks, read once, for the classifier's rules. Not part of the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoaderMarks {
    /// `Inno` at file offset 0x30, then a table offset and its complement
    /// (loaders before 5.1.5): the table offset as stored (it may point past
    /// the end of the file).
    pub offset_0x30: Option<u64>,
    /// The `RCDATA` resources named `11111` (type and name compared without
    /// case) whose data lies in the file, in resource order: where loaders
    /// from 5.1.5 on keep the table.
    pub resources: Vec<LoaderResource>,
}

/// One `RCDATA/11111` resource of a PE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoaderResource {
    /// `RCDATA/11111/LANG`.
    pub path: String,
    /// File offset of its data.
    pub offset: u64,
    /// The loader generation whose table magic its data starts with
    /// (`4.1.6`, `5.1.5 (modified)` …); `None`: no table magic.
    pub magic: Option<&'static str>,
    /// The 5.1.5+ table's revision (the u32 after the magic), read whatever
    /// the magic and the CRC say.
    pub revision: Option<u32>,
    /// Where the table says setup-0 lies (`Offset0`: a u32 in revision 1, a
    /// u64 in revision 2), read whatever the magic and the CRC say.
    pub offset0: Option<u64>,
}

/// An Inno Setup uninstaller's `TUninstallerMsgTail` at the end of the file
/// ([`crate::pe::PeInfo::inno_message_tail`]). Not part of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageTail {
    /// File offset of `IMsg`.
    pub offset: u64,
    /// Where the messages it carries lie (before the tail).
    pub messages: u64,
}

/// `IMsg` then the offset of the uninstaller's messages, ending the file:
/// an Int32 before 6.5, an Int64 from 6.5 on (issrc `Shared.Struct.pas`),
/// pointing before the tail.
pub(crate) fn message_tail(data: &[u8]) -> Option<MessageTail> {
    let len = data.len();
    [(8usize, 4usize), (12, 8)]
        .iter()
        .find_map(|&(tail, width)| {
            let at = len.checked_sub(tail)?;
            if data.get(at..at + 4)? != b"IMsg" {
                return None;
            }
            let messages = match width {
                4 => u64::from(le_u32(data, at + 4)?),
                _ => le_u64(data, at + 4)?,
            };
            (messages < at as u64).then_some(MessageTail {
                offset: at as u64,
                messages,
            })
        })
}

/// `Inno` at 0x30 followed by an offset and its complement: the offset.
fn table_offset_0x30(data: &[u8]) -> Option<u32> {
    if data.get(0x30..0x34)? != b"Inno" {
        return None;
    }
    let off = le_u32(data, 0x34)?;
    (off == !le_u32(data, 0x38)?).then_some(off)
}

/// Read the loader marks of a PE (`data` is the whole file, `resources`
/// its resource list). `None` when it has neither.
pub(crate) fn marks(data: &[u8], resources: &[ResourceInfo]) -> Option<LoaderMarks> {
    let offset_0x30 = table_offset_0x30(data).map(u64::from);
    let resources: Vec<LoaderResource> = resources
        .iter()
        .filter(|r| {
            let mut p = r.path.split('/');
            p.next().is_some_and(|t| t.eq_ignore_ascii_case("RCDATA"))
                && p.next().is_some_and(|n| n.eq_ignore_ascii_case("11111"))
        })
        .filter_map(|r| {
            let a = usize::try_from(r.offset).ok()?;
            let b = a.checked_add(usize::try_from(r.size).ok()?)?;
            let bytes = data.get(a..b)?;
            // Revision, then (revision 1) TotalSize, OffsetEXE,
            // UncompressedSizeEXE, CRCEXE as u32 and Offset0; (revision 2)
            // TotalSize and OffsetEXE as u64, two u32, then Offset0 as u64.
            let revision = le_u32(data, a + 12);
            let offset0 = match revision {
                Some(1) => le_u32(data, a + 32).map(u64::from),
                Some(2) => le_u64(data, a + 40),
                _ => None,
            };
            Some(LoaderResource {
                path: r.path.clone(),
                offset: r.offset,
                magic: MAGICS
                    .iter()
                    .find(|(m, _, _)| bytes.starts_with(m.as_slice()))
                    .map(|&(_, _, label)| label),
                revision,
                offset0,
            })
        })
        .collect();
    (offset_0x30.is_some() || !resources.is_empty()).then_some(LoaderMarks {
        offset_0x30,
        resources,
    })
}

/// What the table says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Table {
    /// File offset of the table.
    pub at: usize,
    /// The loader generation its magic names.
    pub loader: Version,
    /// 5.1.5+ table revision (1, or 2 from 6.5 on).
    pub revision: u32,
    pub total_size: u64,
    pub offset_exe: u64,
    pub offset0: u64,
    pub offset1: u64,
    /// `UncompressedSizeEXE`: size of Setup.e32 before compression.
    pub exe_size: u64,
    /// `CRCEXE`: CRC32 of Setup.e32 (after the call filter is undone).
    pub exe_crc: u32,
    /// The table's CRC32 was present and matched.
    pub crc_checked: bool,
}

/// Find and read the offset table of an Inno Setup loader (`data` is the
/// whole PE file). `None` when the file has none; otherwise the table, or
/// an error when its CRC fails or it is cut short.
pub(crate) fn read_table(data: &[u8], resources: &[ResourceInfo]) -> Option<Result<Table, Error>> {
    let at = if data.get(0x30..0x34) == Some(b"Inno") {
        table_offset_0x30(data)? as usize
    } else {
        let r = resources.iter().find(|r| {
            let mut p = r.path.split('/');
            p.next() == Some("RCDATA") && p.next() == Some("11111")
        })?;
        usize::try_from(r.offset).ok()?
    };
    let magic = data.get(at..at + 12)?;
    let &(_, loader, _) = MAGICS.iter().find(|(m, _, _)| m.as_slice() == magic)?;
    Some(parse_table(data, at, loader))
}

fn parse_table(data: &[u8], at: usize, loader: Version) -> Result<Table, Error> {
    let cut = || {
        Error::truncated(format!(
            "Inno Setup loader offset table at {at:#x} is cut short"
        ))
        .at(at as u64)
    };
    let u = |o: usize| le_u32(data, at + o).map(u64::from).ok_or_else(cut);
    let q = |o: usize| le_u64(data, at + o).ok_or_else(cut);
    let mut t = Table {
        at,
        loader,
        revision: 0,
        total_size: 0,
        offset_exe: 0,
        offset0: 0,
        offset1: 0,
        exe_size: 0,
        exe_crc: 0,
        crc_checked: false,
    };
    // Offset of the stored CRC (the CRC covers every byte before it).
    let crc_at;
    if loader >= v(5, 1, 5) {
        t.revision = u(12)? as u32;
        if t.revision >= 2 {
            t.total_size = q(16)?;
            t.offset_exe = q(24)?;
            t.exe_size = u(32)?;
            t.exe_crc = u(36)? as u32;
            t.offset0 = q(40)?;
            t.offset1 = q(48)?;
            crc_at = 60;
        } else {
            t.total_size = u(16)?;
            t.offset_exe = u(20)?;
            t.exe_size = u(24)?;
            t.exe_crc = u(28)? as u32;
            t.offset0 = u(32)?;
            t.offset1 = u(36)?;
            crc_at = 40;
        }
    } else {
        // TotalSize, OffsetEXE, [CompressedSizeEXE < 4.1.6],
        // UncompressedSizeEXE, CRC/Adler of the EXE, [messages < 4.0.0],
        // Offset0, Offset1, [TableCRC 4.0.10+].
        t.total_size = u(12)?;
        t.offset_exe = u(16)?;
        let sizes = 20 + if loader >= v(4, 1, 6) { 0 } else { 4 };
        t.exe_size = u(sizes)?;
        t.exe_crc = u(sizes + 4)? as u32;
        let mut o = sizes + 8;
        if loader < v(4, 0, 0) {
            o += 4;
        }
        t.offset0 = u(o)?;
        t.offset1 = u(o + 4)?;
        crc_at = o + 8;
        if loader < v(4, 0, 10) {
            return Ok(t);
        }
    }
    let stored = le_u32(data, at + crc_at).ok_or_else(cut)?;
    let body = data.get(at..at + crc_at).ok_or_else(cut)?;
    let got = crc32fast::hash(body);
    if got != stored {
        return Err(Error::checksum(format!(
            "Inno Setup loader offset table at {at:#x}: CRC32 {got:#010x}, stored {stored:#010x}"
        ))
        .at(at as u64));
    }
    t.crc_checked = true;
    Ok(t)
}

/// The loader table check the PE parser records: `Ok` with the table
/// when its CRC matched (and the file is as long as it says), the error
/// otherwise; `None` when there is no table or it has no CRC (before
/// 4.0.10).
pub(crate) fn check_loader_table(
    data: &[u8],
    resources: &[ResourceInfo],
) -> Option<Result<Table, Error>> {
    let t = match read_table(data, resources)? {
        Ok(t) => t,
        Err(e) => return Some(Err(e)),
    };
    if t.total_size > data.len() as u64 {
        return Some(Err(Error::truncated(format!(
            "Inno Setup loader offset table: the setup is {} bytes, the file has only {}",
            t.total_size,
            data.len()
        ))));
    }
    t.crc_checked.then_some(Ok(t))
}

/// The offset table of an Inno Setup loader found without the resource
/// directory (the PE parser reads resources after the overlay): through
/// `Inno` at 0x30, else the 5.1.5+ magic inside the image (`image_end`
/// bytes). Only a table whose CRC32 holds counts.
pub(crate) fn find_in_image(data: &[u8], image_end: usize) -> Option<Table> {
    if let Some(Ok(t)) = read_table(data, &[]) {
        return t.crc_checked.then_some(t);
    }
    let image = data.get(..image_end.min(data.len()))?;
    MAGICS
        .iter()
        .filter(|(_, ver, _)| *ver >= v(5, 1, 5))
        .find_map(|(m, ver, _)| {
            memchr::memmem::find_iter(image, m.as_slice())
                .find_map(|at| parse_table(data, at, *ver).ok().filter(|t| t.crc_checked))
        })
}

/// Check the block CRCs of the compressed Setup.e32 the table points at
/// (loaders from 4.1.6 on store it as a setup-0 style block; issrc
/// `SetupLdr.dpr`), without decoding it: the number of CRCs that matched.
/// `None` for older loaders. The table's `CRCEXE` covers the decoded
/// Setup.e32 and is not checked: decoding it would cost more than the rest
/// of the scan of an Inno setup.
pub(crate) fn check_setup_exe(data: &[u8], t: &Table) -> Option<Result<usize, Error>> {
    use super::stream::{check_block, v4};
    if t.loader < v(4, 1, 6) {
        return None;
    }
    let at = usize::try_from(t.offset_exe).ok()?;
    // 9-byte block headers, or 13-byte ones (setup data 6.7+).
    Some(
        check_block(data, at, v(5, 0, 0))
            .or_else(|e| check_block(data, at, v4(6, 7, 0, 0)).map_err(|_| e))
            .map_err(|e| installsift_model::error::context(e, "compressed Setup.e32")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample;

    /// A revision-1 table from a real 6.3.1 setup: read, CRC checked.
    #[test]
    fn a_real_table_is_read_and_checked() {
        let data = sample("inno/inno_lzma2.exe").unwrap_or_default();
        let at = memchr::memmem::find(&data, b"rDlPtS\xcd\xe6\xd7{\x0b*").expect("table");
        let t = parse_table(&data, at, v(5, 1, 5)).expect("table");
        assert!(t.crc_checked);
        assert_eq!((t.revision, t.total_size), (1, data.len() as u64));
        assert_eq!(
            find_in_image(&data, data.len()).map(|t| t.offset1),
            Some(t.offset1)
        );
        let mut bad = data.clone();
        bad[at + 20] ^= 1;
        assert!(matches!(
            parse_table(&bad, at, v(5, 1, 5)),
            Err(Error::Checksum { .. })
        ));
        assert_eq!(find_in_image(&bad, bad.len()), None);
    }

    /// The PE parser alone records where the loader keeps its table: a
    /// real 6.3.1 setup's `RCDATA/11111` with the 5.1.5 magic, and the
    /// loader stub as Inno Setup ships it (`SetupLdr.e32`), whose
    /// `RCDATA/11111` holds no table yet.
    #[test]
    fn the_pe_parser_records_the_loader_marks() {
        let marks = |rel: &str| {
            let data = sample(rel).unwrap_or_default();
            let l =
                crate::container::list(crate::pe::HANDLER.open, &data, &Default::default(), 100);
            match l.parsed.metadata {
                Some(crate::Metadata::Pe(p)) => p.inno_loader,
                _ => None,
            }
        };
        let data = sample("inno/inno_lzma2.exe").unwrap_or_default();
        let at = memchr::memmem::find(&data, b"rDlPtS\xcd\xe6\xd7{\x0b*").expect("table");
        let m = marks("inno/inno_lzma2.exe").expect("marks");
        let t = parse_table(&data, at, v(5, 1, 5)).expect("table");
        assert_eq!(m.offset_0x30, None);
        assert_eq!(
            m.resources
                .iter()
                .map(|r| (
                    r.path.split('/').take(2).collect::<Vec<_>>().join("/"),
                    r.offset,
                    r.magic,
                    r.revision,
                    r.offset0
                ))
                .collect::<Vec<_>>(),
            vec![(
                "RCDATA/11111".to_owned(),
                at as u64,
                Some("5.1.5"),
                Some(1),
                Some(t.offset0)
            )]
        );
        assert!(data[t.offset0 as usize..].starts_with(b"Inno Setup Setup Data ("));
        let stub = marks("lookalike/inno_SetupLdr.e32").expect("marks");
        assert_eq!(stub.offset_0x30, None);
        assert!(!stub.resources.is_empty());
        assert!(stub.resources.iter().all(|r| r.magic.is_none()));
        assert_eq!(marks("pe/hello_x64.exe"), None);
    }

    /// A real Inno Setup 5 uninstaller (`unins000.exe`) ends with its
    /// message tail; the PE parser records it. A setup does not.
    #[test]
    fn the_pe_parser_records_the_uninstaller_message_tail() {
        let tail = |rel: &str| {
            let data = sample(rel).unwrap_or_default();
            let l =
                crate::container::list(crate::pe::HANDLER.open, &data, &Default::default(), 100);
            let t = match l.parsed.metadata {
                Some(crate::Metadata::Pe(p)) => p.inno_message_tail,
                _ => None,
            };
            (data.len() as u64, t)
        };
        let (len, t) = tail("lookalike/inno5_unins000.exe");
        let t = t.expect("message tail");
        assert_eq!(t.offset, len - 8);
        assert!(t.messages > 0 && t.messages < t.offset);
        assert_eq!(tail("inno/inno_lzma2.exe").1, None);
        let mut cut = b"IMsg".to_vec();
        cut.extend_from_slice(&4u32.to_le_bytes());
        assert_eq!(
            message_tail(&cut),
            None,
            "messages must lie before the tail"
        );
    }

    /// `Inno` at 0x30 with an offset and its complement (loaders before
    /// 5.1.5). Hand-made header bytes: no such loader may be committed here
    /// (the one real sample at hand has no redistribution licence).
    #[test]
    fn inno_at_0x30_needs_the_complement() {
        let mut d = vec![0u8; 0x40];
        d[0x30..0x34].copy_from_slice(b"Inno");
        d[0x34..0x38].copy_from_slice(&0x1234u32.to_le_bytes());
        d[0x38..0x3c].copy_from_slice(&(!0x1234u32).to_le_bytes());
        assert_eq!(marks(&d, &[]).and_then(|m| m.offset_0x30), Some(0x1234));
        d[0x38] ^= 1;
        assert_eq!(marks(&d, &[]), None);
    }

    /// Revision 2 (Inno Setup 6.5+, issrc `TSetupLdrOffsetTable` at tag
    /// is-6_5_0): 64-bit offsets, padding, then the CRC. Hand-made bytes,
    /// laid out as that record (no 6.5 compiler is to be had here).
    #[test]
    fn revision_2_tables_have_64_bit_offsets() {
        let mut t = b"rDlPtS\xcd\xe6\xd7{\x0b*".to_vec();
        t.extend_from_slice(&2u32.to_le_bytes());
        t.extend_from_slice(&0x1_0000_0000u64.to_le_bytes()); // TotalSize
        t.extend_from_slice(&0x400u64.to_le_bytes()); // OffsetEXE
        t.extend_from_slice(&[0; 8]); // UncompressedSizeEXE, CRCEXE
        t.extend_from_slice(&0x2000u64.to_le_bytes()); // Offset0
        t.extend_from_slice(&0x1000u64.to_le_bytes()); // Offset1
        t.extend_from_slice(&[0; 4]); // ReservedPadding
        let crc = crc32fast::hash(&t);
        t.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(t.len(), 64);
        let got = parse_table(&t, 0, v(5, 1, 5)).expect("table");
        assert_eq!(
            (
                got.revision,
                got.total_size,
                got.offset0,
                got.offset1,
                got.crc_checked
            ),
            (2, 0x1_0000_0000, 0x2000, 0x1000, true)
        );
        t[50] ^= 0x80;
        assert!(matches!(
            parse_table(&t, 0, v(5, 1, 5)),
            Err(Error::Checksum { .. })
        ));
        assert!(matches!(
            parse_table(&t[..40], 0, v(5, 1, 5)),
            Err(Error::Truncated { .. })
        ));
    }
}
