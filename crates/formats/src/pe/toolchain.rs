//! Toolchain marks a PE keeps: the MSVC Rich header, the linker version of
//! the optional header, UPX's pack header, Go's build information, rustc's
//! source paths, PyInstaller's cookie and the .NET metadata version.
//!
//! Pure readers over the file's bytes: each returns what the bytes state
//! and where, or nothing; none guesses a version. Every search is bounded
//! by the window its caller gives (the engine names which).
//!
//! Facts: the Rich header layout and `@comp.id` product ids as documented
//! by the rich-header literature (dishather/richprint `comp_id.txt`), UPX's
//! `src/packhead.cpp` (pack header, its checksum), Go's
//! `debug/buildinfo` (the `\xff Go buildinf:` header), PyInstaller's
//! `bootloader/src/pyi_archive.h` (the cookie), ECMA-335 II.24.2.1 (the
//! metadata root).

use super::SectionInfo;
use crate::{le_u16, le_u32};
use memchr::memmem;

/// One `@comp.id` record of a Rich header: which tool (product id) at
/// which build produced how many objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RichEntry {
    /// Product id (the tool: C compiler, linker, MASM …).
    pub product: u16,
    /// The tool's build number.
    pub build: u16,
    /// Objects it contributed.
    pub count: u32,
}

/// The Rich header MSVC's linker writes between the DOS stub and the PE
/// header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RichHeader {
    /// File offset of `DanS` (the header's start, once decoded).
    pub offset: u64,
    /// File offset of the `Rich` marker.
    pub rich_offset: u64,
    /// Its records, in file order.
    pub entries: Vec<RichEntry>,
    /// The XOR key stored after `Rich`: the checksum the linker computed.
    pub stored_checksum: u32,
    /// The checksum recomputed from the DOS header and the records.
    pub computed_checksum: u32,
}

impl RichHeader {
    /// The stored checksum equals the recomputed one.
    pub fn checksum_ok(&self) -> bool {
        self.stored_checksum == self.computed_checksum
    }
}

/// The Rich header lives before `e_lfanew`; the linker never writes one
/// past this offset (a bound on the search, not a format limit).
const RICH_SEARCH_END: usize = 0x1000;

/// The Rich header, when the bytes between the DOS header and the PE header
/// hold one that decodes (`DanS` found under the key). A header whose
/// records run into the DOS header or whose `DanS` is missing is none.
pub fn rich_header(data: &[u8]) -> Option<RichHeader> {
    let lfanew = usize::try_from(le_u32(data, 0x3C)?).ok()?;
    let end = lfanew.min(RICH_SEARCH_END).min(data.len());
    let region = data.get(..end)?;
    // The last `Rich` before the PE header, dword-aligned.
    let rich = memmem::rfind_iter(region, b"Rich").find(|&p| p % 4 == 0 && p >= 0x40)?;
    let key = le_u32(data, rich.checked_add(4)?)?;
    // Walk back dword by dword to the encoded `DanS`.
    let mut at = rich;
    let dans = loop {
        at = at.checked_sub(4)?;
        if at < 0x40 {
            return None;
        }
        if le_u32(data, at)? ^ key == 0x536E_6144 {
            break at;
        }
    };
    // `DanS`, three padding dwords equal to the key, then 8-byte records.
    let first = dans.checked_add(16)?;
    if first > rich || (rich - first) % 8 != 0 {
        return None;
    }
    let mut entries = Vec::new();
    let mut p = first;
    while p < rich {
        let id = le_u32(data, p)? ^ key;
        let count = le_u32(data, p + 4)? ^ key;
        entries.push(RichEntry {
            product: (id >> 16) as u16,
            build: (id & 0xFFFF) as u16,
            count,
        });
        p += 8;
    }
    // The checksum (as the linker computes it): the DOS header's bytes
    // (e_lfanew zeroed) rotated left by their offset, plus each record's
    // comp.id rotated left by its count, plus the header's offset.
    let mut sum = dans as u32;
    for (i, &b) in data.get(..dans)?.iter().enumerate() {
        let b = if (0x3C..0x40).contains(&i) { 0 } else { b };
        sum = sum.wrapping_add(u32::from(b).rotate_left(i as u32 % 32));
    }
    for e in &entries {
        let id = (u32::from(e.product) << 16) | u32::from(e.build);
        sum = sum.wrapping_add(id.rotate_left(e.count % 32));
    }
    Some(RichHeader {
        offset: dans as u64,
        rich_offset: rich as u64,
        entries,
        stored_checksum: key,
        computed_checksum: sum,
    })
}

/// What an MSVC product id names: a compiler (its `cl.exe` version and the
/// language it compiled), a linker (its `link.exe` version), or another
/// tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    /// `cl.exe` of this major.minor (`19.` for every Visual Studio since
    /// 2015: the minor is not in the product id), compiling this language.
    Compiler(&'static str, &'static str),
    /// `link.exe` of this major.minor (`14.` since 2015).
    Linker(&'static str),
    /// An assembler, resource converter, import library or unknown tool.
    Other,
}

/// The product ids of `comp_id.txt`, by generation: each generation's
/// compiler ids run in the order C, C++, then the CVTCIL/LTCG/POGO
/// variants.
pub fn product(id: u16) -> Product {
    let lang = |base: u16, names: &[&'static str]| -> &'static str {
        names
            .get(usize::from(id.saturating_sub(base)))
            .copied()
            .unwrap_or("C")
    };
    // The C, C++, CVTCIL C/C++, LTCG C/C++/MSIL, POGO I C/C++, POGO O C/C++
    // run of 2005 and later.
    const RUN: [&str; 11] = [
        "C",
        "C++",
        "CVTCIL/C",
        "CVTCIL/C++",
        "LTCG/C",
        "LTCG/C++",
        "LTCG/MSIL",
        "POGO/C",
        "POGO/C++",
        "POGO/C",
        "POGO/C++",
    ];
    match id {
        10 | 21 | 23 | 48 | 50 | 52 | 35 => Product::Compiler("12.00", "C"),
        11 | 22 | 24 | 49 | 51 | 53 | 36 => Product::Compiler("12.00", "C++"),
        28 | 57 | 65 | 67 => Product::Compiler("13.00", "C"),
        29 | 58 | 66 | 68 => Product::Compiler("13.00", "C++"),
        43 => Product::Compiler("13.00", "LTCG/C"),
        44 => Product::Compiler("13.00", "LTCG/C++"),
        76..=85 | 95..=104 => {
            let base = if id >= 95 { 95 } else { 76 };
            let names = [
                "C", "C++", "C", "C++", "LTCG/C", "LTCG/C++", "POGO/C", "POGO/C++", "POGO/C",
                "POGO/C++",
            ];
            Product::Compiler("13.10", lang(base, &names))
        }
        109..=118 => {
            let names = [
                "C", "C++", "C", "C++", "LTCG/C", "LTCG/C++", "POGO/C", "POGO/C++", "POGO/C",
                "POGO/C++",
            ];
            Product::Compiler("14.00", lang(109, &names))
        }
        128..=130 => {
            Product::Compiler("14.00", lang(128, &["CVTCIL/C", "CVTCIL/C++", "LTCG/MSIL"]))
        }
        131..=143 => {
            let names = [
                "C",
                "C++",
                "C",
                "C++",
                "CVTCIL/C",
                "CVTCIL/C++",
                "LTCG/C",
                "LTCG/C++",
                "LTCG/MSIL",
                "POGO/C",
                "POGO/C++",
                "POGO/C",
                "POGO/C++",
            ];
            Product::Compiler("15.00", lang(131, &names))
        }
        170..=180 => Product::Compiler("16.00", lang(170, &RUN)),
        188..=198 => Product::Compiler("16.10", lang(188, &RUN)),
        206..=216 => Product::Compiler("17.00", lang(206, &RUN)),
        224..=234 => Product::Compiler("18.00", lang(224, &RUN)),
        242..=252 => Product::Compiler("18.10", lang(242, &RUN)),
        260..=270 => Product::Compiler("19", lang(260, &RUN)),
        2 => Product::Linker("5.10"),
        16 => Product::Linker("5.11"),
        19 => Product::Linker("5.12"),
        4 => Product::Linker("6.00"),
        32 => Product::Linker("6.01"),
        30 => Product::Linker("6.10"),
        37 => Product::Linker("6.20"),
        40 => Product::Linker("6.21"),
        60 => Product::Linker("6.22"),
        86 => Product::Linker("6.24"),
        61 => Product::Linker("7.00"),
        71 | 90 => Product::Linker("7.10"),
        120 => Product::Linker("8.00"),
        145 => Product::Linker("9.00"),
        157 => Product::Linker("10.00"),
        186 => Product::Linker("10.10"),
        204 => Product::Linker("11.00"),
        222 => Product::Linker("12.00"),
        240 => Product::Linker("12.10"),
        258 => Product::Linker("14"),
        _ => Product::Other,
    }
}

/// `MajorLinkerVersion.MinorLinkerVersion` of the optional header, and the
/// offset of the first.
pub fn linker_version(data: &[u8]) -> Option<(u8, u8, u64)> {
    let lfanew = usize::try_from(le_u32(data, 0x3C)?).ok()?;
    let opt = lfanew.checked_add(24)?;
    if !matches!(le_u16(data, opt)?, 0x10b | 0x20b) {
        return None;
    }
    let major = *data.get(opt.checked_add(2)?)?;
    let minor = *data.get(opt.checked_add(3)?)?;
    Some((major, minor, (opt + 2) as u64))
}

/// UPX's pack header in a packed PE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpxHeader {
    /// File offset of `UPX!`.
    pub offset: u64,
    /// The UPX release string written before the header (`3.96`), when it
    /// reads as one.
    pub release: Option<String>,
    /// Pack-header format version.
    pub version: u8,
    /// UPX format id (9 win32/pe, 36 win64/pep, 21 wince/arm).
    pub format: u8,
    /// Compression method id.
    pub method: u8,
    /// Compression level (1–10).
    pub level: u8,
}

impl UpxHeader {
    /// The method's name, `None` for an id UPX's `conf.h` does not list.
    pub fn method_name(&self) -> Option<&'static str> {
        Some(match self.method {
            2..=4 => "NRV2B",
            5..=7 => "NRV2D",
            8..=10 => "NRV2E",
            14 => "LZMA",
            15 => "deflate",
            _ => return None,
        })
    }
}

/// Where UPX puts its header in a PE: in the headers or the first section's
/// first bytes, within this many bytes of the start.
const UPX_SEARCH: usize = 0x2000;

/// UPX's pack header: `UPX!` within the first [`UPX_SEARCH`] bytes, a PE
/// format id, and (for header versions after 9) the header's own checksum
/// matching. A `UPX!` anywhere else, or one whose checksum fails, is not
/// taken.
pub fn upx_header(data: &[u8]) -> Option<UpxHeader> {
    let window = data.get(..data.len().min(UPX_SEARCH))?;
    memmem::find_iter(window, b"UPX!").find_map(|at| {
        let version = *data.get(at + 4)?;
        let format = *data.get(at + 5)?;
        if !matches!(format, 9 | 21 | 36) || !(10..=14).contains(&version) {
            return None;
        }
        // Version > 9, a PE format: 32 bytes, the last the checksum of
        // bytes 4..31 mod 251.
        let head = data.get(at..at.checked_add(32)?)?;
        let sum: u32 = head.get(4..31)?.iter().map(|&b| u32::from(b)).sum();
        if (sum % 251) as u8 != *head.get(31)? {
            return None;
        }
        Some(UpxHeader {
            offset: at as u64,
            release: upx_release(data, at),
            version,
            format,
            method: *head.get(6)?,
            level: *head.get(7)?,
        })
    })
}

/// The `x.yz\0` UPX writes just before its header: a NUL-terminated run of
/// digits and dots ending at `at - 1`, read only when it looks like a
/// version (digit first, one or two dots).
fn upx_release(data: &[u8], at: usize) -> Option<String> {
    if *data.get(at.checked_sub(1)?)? != 0 {
        return None;
    }
    let end = at - 1;
    let start = end.saturating_sub(8);
    let run = data.get(start..end)?;
    let from = run
        .iter()
        .rposition(|&b| !(b.is_ascii_digit() || b == b'.'))
        .map_or(0, |p| p + 1);
    let v = run.get(from..)?;
    plain_version(v, 3)
}

/// `v` when it is a version: ASCII digits in 2 to `max_parts` dot-separated
/// groups, each non-empty.
fn plain_version(v: &[u8], max_parts: usize) -> Option<String> {
    let s = std::str::from_utf8(v).ok()?;
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() < 2
        || parts.len() > max_parts
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    Some(s.to_owned())
}

/// Go's build information: the `\xff Go buildinf:` header's offset and the
/// Go release it names (`go1.19.8`), when the header stores it inline (Go
/// 1.18 and later); `None` for the version of an older header, whose
/// strings are pointers into the image.
pub fn go_buildinfo(window: &[u8]) -> Option<(u64, Option<String>)> {
    const MAGIC: &[u8] = b"\xff Go buildinf:";
    // The header is 16-byte aligned in the image; the file keeps that
    // alignment for sections aligned on 512.
    let at = memmem::find_iter(window, MAGIC).find(|p| p % 16 == 0)?;
    let flags = *window.get(at + 15)?;
    if flags & 2 == 0 {
        return Some((at as u64, None));
    }
    Some((at as u64, go_inline_version(window, at)))
}

/// The inline version string of a Go build-information header at `at`: a
/// varint length, then the string, at +32; `None` unless it reads
/// `go<release>`.
fn go_inline_version(window: &[u8], at: usize) -> Option<String> {
    let mut p = at.checked_add(32)?;
    let mut len: u64 = 0;
    for shift in [0u32, 7, 14] {
        let b = *window.get(p)?;
        p += 1;
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
    }
    let len = usize::try_from(len).ok().filter(|&l| l <= 64)?;
    let v = window.get(p..p.checked_add(len)?)?;
    let v = std::str::from_utf8(v).ok()?;
    let ok = v.strip_prefix("go").is_some_and(|r| {
        !r.is_empty()
            && r.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    });
    ok.then(|| v.to_owned())
}

/// A rustc source path (`/rustc/<40 hex digits>/library/…`), which rustc
/// leaves in panic locations of the standard library: its offset and the
/// commit hash.
pub fn rustc_commit(window: &[u8]) -> Option<(u64, String)> {
    memmem::find_iter(window, b"/rustc/").find_map(|at| {
        let hash = window.get(at + 7..at + 47)?;
        // `/` after the hash on GNU targets, `\` on MSVC ones.
        if !hash.iter().all(|b| b.is_ascii_hexdigit())
            || !matches!(window.get(at + 47), Some(b'/' | b'\\'))
        {
            return None;
        }
        Some((at as u64, String::from_utf8_lossy(hash).into_owned()))
    })
}

/// PyInstaller's archive cookie (`MEI\x0c\x0b\x0a\x0b\x0e`) in the last
/// `tail` bytes: its offset and the Python version it states (`3.12`),
/// when the version field reads as one.
pub fn pyinstaller_cookie(data: &[u8], tail: usize) -> Option<(u64, Option<String>)> {
    const MAGIC: &[u8] = b"MEI\x0c\x0b\x0a\x0b\x0e";
    let start = data.len().saturating_sub(tail);
    let window = data.get(start..)?;
    // A forward search first (vectorised; the reverse one is not): most
    // files have no cookie, and then that pass is all they cost.
    memmem::find(window, MAGIC)?;
    let at = memmem::rfind(window, MAGIC)?;
    let abs = start + at;
    // magic 8, package length 4, TOC offset 4, TOC length 4, Python
    // version 4 (big-endian: 312 for 3.12, 27 for 2.7).
    let version = data
        .get(abs + 20..abs + 24)
        .and_then(|v| v.try_into().ok())
        .map(u32::from_be_bytes)
        .and_then(|v| match v {
            20..=39 => Some(format!("{}.{}", v / 10, v % 10)),
            300..=399 => Some(format!("{}.{}", v / 100, v % 100)),
            _ => None,
        });
    Some((abs as u64, version))
}

/// The .NET metadata root's version string (`v4.0.30319`), read through
/// the CLR header the optional header's data directory 14 names: its file
/// offset and the string.
pub fn dotnet_runtime(data: &[u8], sections: &[SectionInfo]) -> Option<(u64, String)> {
    let lfanew = usize::try_from(le_u32(data, 0x3C)?).ok()?;
    let opt = lfanew.checked_add(24)?;
    let dirs = match le_u16(data, opt)? {
        0x10b => opt + 96,
        0x20b => opt + 112,
        _ => return None,
    };
    let clr_rva = le_u32(data, dirs + 14 * 8)?;
    let clr = rva_to_offset(sections, clr_rva)?;
    // IMAGE_COR20_HEADER: cb, runtime versions, then MetaData {rva, size}.
    let md_rva = le_u32(data, clr.checked_add(8)?)?;
    let md = rva_to_offset(sections, md_rva)?;
    if le_u32(data, md)? != 0x424A_5342 {
        return None; // `BSJB`
    }
    let len = usize::try_from(le_u32(data, md + 12)?).ok()?.min(255);
    let raw = data.get(md + 16..(md + 16).checked_add(len)?)?;
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    let v = std::str::from_utf8(raw.get(..end)?).ok()?;
    (!v.is_empty() && v.len() <= 32 && v.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| ((md + 16) as u64, v.to_owned()))
}

/// A file offset for an RVA, through the section table.
fn rva_to_offset(sections: &[SectionInfo], rva: u32) -> Option<usize> {
    sections.iter().find_map(|s| {
        let delta = rva.checked_sub(s.virtual_address)?;
        (delta < s.raw_size.max(s.virtual_size) && delta < s.raw_size)
            .then(|| usize::try_from(u64::from(s.raw_offset) + u64::from(delta)).ok())
            .flatten()
    })
}

/// The target framework a .NET assembly's `TargetFrameworkAttribute`
/// names (`.NETFramework,Version=v4.7.2`, `.NETCoreApp,Version=v8.0`),
/// searched in `window`: its offset and the string.
pub fn target_framework(window: &[u8]) -> Option<(u64, String)> {
    for prefix in [
        &b".NETFramework,Version="[..],
        b".NETCoreApp,Version=",
        b".NETStandard,Version=",
    ] {
        if let Some(at) = memmem::find(window, prefix) {
            let rest = window.get(at..)?;
            let end = rest
                .iter()
                .take(64)
                .position(|&b| !(b.is_ascii_alphanumeric() || b".,=_-".contains(&b)))
                .unwrap_or(0);
            let s = std::str::from_utf8(rest.get(..end)?).ok()?;
            if s.len() > prefix.len() {
                return Some((at as u64, s.to_owned()));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DOS header + stub with a Rich header of `entries` keyed and
    /// checksummed as the linker does, `e_lfanew` after it.
    fn with_rich(entries: &[(u16, u16, u32)]) -> Vec<u8> {
        let mut d = vec![0u8; 0x80];
        d[0] = b'M';
        d[1] = b'Z';
        let dans = 0x80usize;
        let lfanew = dans + 16 + entries.len() * 8 + 8 + 8;
        d[0x3C..0x40].copy_from_slice(&(lfanew as u32).to_le_bytes());
        let mut sum = dans as u32;
        for (i, &b) in d.iter().enumerate() {
            let b = if (0x3C..0x40).contains(&i) { 0 } else { b };
            sum = sum.wrapping_add(u32::from(b).rotate_left(i as u32 % 32));
        }
        for &(p, b, c) in entries {
            let id = (u32::from(p) << 16) | u32::from(b);
            sum = sum.wrapping_add(id.rotate_left(c % 32));
        }
        let key = sum;
        for v in [0x536E_6144u32, 0, 0, 0] {
            d.extend_from_slice(&(v ^ key).to_le_bytes());
        }
        for &(p, b, c) in entries {
            let id = (u32::from(p) << 16) | u32::from(b);
            d.extend_from_slice(&(id ^ key).to_le_bytes());
            d.extend_from_slice(&(c ^ key).to_le_bytes());
        }
        d.extend_from_slice(b"Rich");
        d.extend_from_slice(&key.to_le_bytes());
        d.extend_from_slice(&[0; 8]);
        d.extend_from_slice(b"PE\0\0");
        d
    }

    #[test]
    fn rich_header_decodes_and_its_checksum_verifies() {
        let d = with_rich(&[(260, 32532, 12), (258, 32532, 1), (1, 0, 80)]);
        let r = rich_header(&d).expect("rich");
        assert_eq!(r.offset, 0x80);
        assert_eq!(r.entries.len(), 3);
        assert_eq!(
            r.entries[0],
            RichEntry {
                product: 260,
                build: 32532,
                count: 12
            }
        );
        assert!(r.checksum_ok());
        assert_eq!(product(260), Product::Compiler("19", "C"));
        assert_eq!(product(265), Product::Compiler("19", "LTCG/C++"));
        assert_eq!(product(258), Product::Linker("14"));
        assert_eq!(product(109), Product::Compiler("14.00", "C"));
        assert_eq!(product(1), Product::Other);
    }

    #[test]
    fn a_changed_record_is_a_checksum_mismatch_not_a_rejection() {
        let mut d = with_rich(&[(260, 32532, 12), (258, 32532, 1)]);
        // Flip a bit of the first record's count.
        d[0x80 + 16 + 4] ^= 1;
        let r = rich_header(&d).expect("still decodes");
        assert!(!r.checksum_ok());
        assert_eq!(r.entries[0].count, 13);
    }

    #[test]
    fn truncated_or_keyless_rich_headers_are_none() {
        let d = with_rich(&[(260, 32532, 12)]);
        // Cut inside the records: no `Rich` left.
        assert_eq!(rich_header(&d[..0x80 + 20]), None);
        // `Rich` with no `DanS` under its key.
        let mut e = d.clone();
        e[0x80] ^= 0xFF;
        assert_eq!(rich_header(&e), None);
        // e_lfanew pointing before the header: nothing searched.
        let mut f = d.clone();
        f[0x3C..0x40].copy_from_slice(&0x40u32.to_le_bytes());
        assert_eq!(rich_header(&f), None);
        // e_lfanew absurd: bounded search, no panic.
        let mut g = d;
        g[0x3C..0x40].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(rich_header(&g).is_some());
        assert_eq!(rich_header(&[]), None);
    }

    fn upx_block(release: &[u8], format: u8, fix_sum: bool) -> Vec<u8> {
        let mut d = vec![0u8; 0x300];
        d.extend_from_slice(release);
        d.push(0);
        let at = d.len();
        d.extend_from_slice(b"UPX!");
        d.extend_from_slice(&[13, format, 8, 9]);
        d.extend_from_slice(&[0x11; 23]);
        let sum: u32 = d[at + 4..at + 31].iter().map(|&b| u32::from(b)).sum();
        d.push(if fix_sum {
            (sum % 251) as u8
        } else {
            (sum % 251) as u8 ^ 1
        });
        d.extend_from_slice(&[0; 64]);
        d
    }

    #[test]
    fn upx_header_with_release_and_method() {
        let d = upx_block(b"4.22", 9, true);
        let u = upx_header(&d).expect("upx");
        assert_eq!(u.release.as_deref(), Some("4.22"));
        assert_eq!(u.method_name(), Some("NRV2E"));
        assert_eq!((u.version, u.format, u.level), (13, 9, 9));
    }

    #[test]
    fn fake_upx_magic_is_not_taken() {
        // Wrong checksum (a `UPX!` string in data): none.
        assert_eq!(upx_header(&upx_block(b"4.22", 9, false)), None);
        // Not a PE format id (an ELF's header).
        assert_eq!(upx_header(&upx_block(b"4.22", 22, true)), None);
        // Past the search window: none.
        let mut far = vec![0u8; UPX_SEARCH];
        far.extend(upx_block(b"4.22", 9, true));
        assert_eq!(upx_header(&far), None);
        // A bare magic at the very end: no panic.
        assert_eq!(upx_header(b"UPX!"), None);
    }

    #[test]
    fn upx_release_with_garbage_is_dropped() {
        for bad in [&b"4.2x"[..], b"..", b"4", b"4.22.1.1", b"\xff\xfe4."] {
            let d = upx_block(bad, 9, true);
            let u = upx_header(&d).expect("header still valid");
            assert_eq!(u.release, None, "{bad:?}");
        }
        let d = upx_block(b"junk3.96", 9, true);
        assert_eq!(
            upx_header(&d).and_then(|u| u.release).as_deref(),
            Some("3.96")
        );
    }

    #[test]
    fn go_buildinfo_inline_version() {
        let mut d = vec![0u8; 64];
        d.extend_from_slice(b"\xff Go buildinf:\x08\x02");
        d.extend_from_slice(&[0; 16]);
        d.push(8);
        d.extend_from_slice(b"go1.19.8");
        let (at, v) = go_buildinfo(&d).expect("go");
        assert_eq!((at, v.as_deref()), (64, Some("go1.19.8")));
        // Garbage in the version: name only.
        let mut g = d.clone();
        g[64 + 33 + 3] = b'\n';
        assert_eq!(go_buildinfo(&g).map(|x| x.1), Some(None));
        // A length past the end: name only, no panic.
        let mut h = d.clone();
        h[64 + 32] = 0x7f;
        assert_eq!(go_buildinfo(&h).map(|x| x.1), Some(None));
        // Pointer-format header (no inline flag): name only.
        let mut p = d;
        p[64 + 15] = 0;
        assert_eq!(go_buildinfo(&p).map(|x| x.1), Some(None));
        assert_eq!(go_buildinfo(b"\xff Go buildinf:"), None);
    }

    #[test]
    fn rustc_path_needs_forty_hex_digits() {
        let good =
            b"xx/rustc/90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf/library/std/src/panicking.rs";
        assert_eq!(rustc_commit(good).map(|(a, h)| (a, h.len())), Some((2, 40)));
        let msvc = b"/rustc/82e1608dfa6e0b5569232559e3d385fea5a93112\\library\\std";
        assert_eq!(rustc_commit(msvc).map(|(a, _)| a), Some(0));
        assert_eq!(rustc_commit(b"/rustc/90b35a62/library"), None);
        assert_eq!(rustc_commit(b"/rustc/"), None);
    }

    #[test]
    fn pyinstaller_cookie_version() {
        let mut d = vec![0u8; 100];
        d.extend_from_slice(b"MEI\x0c\x0b\x0a\x0b\x0e");
        d.extend_from_slice(&[0; 12]);
        d.extend_from_slice(&312u32.to_be_bytes());
        d.extend_from_slice(b"python312.dll");
        assert_eq!(
            pyinstaller_cookie(&d, 4096),
            Some((100, Some("3.12".into())))
        );
        let mut g = d.clone();
        g[100 + 20..100 + 24].copy_from_slice(&9999u32.to_be_bytes());
        assert_eq!(pyinstaller_cookie(&g, 4096), Some((100, None)));
        // The cookie cut short: found, no version, no panic.
        assert_eq!(pyinstaller_cookie(&d[..110], 4096), Some((100, None)));
    }

    #[test]
    fn target_framework_string() {
        let w = b"\x01\x00\x1a.NETFramework,Version=v4.7.2\x01\x00T";
        assert_eq!(
            target_framework(w).map(|x| x.1).as_deref(),
            Some(".NETFramework,Version=v4.7.2")
        );
        assert_eq!(target_framework(b".NETCoreApp,Version=\x00"), None);
    }
}
