//! imphash, computed as python pefile's `PE.get_imphash()`.
//!
//! For each import descriptor in file order (stopping at the all-zero one):
//! the DLL name, lowercased, with a final `.dll`, `.ocx` or `.sys` removed;
//! for each thunk of its lookup table (OriginalFirstThunk when that table
//! gives entries, else FirstThunk) the function name, or for an import by ordinal the name from pefile's
//! ordinal tables (ws2_32 and wsock32 share the ws2_32 table; oleaut32),
//! else `ordN`. The `dll.function` strings, lowercased and joined by `,`, are
//! hashed with MD5. pefile's own sanity rules are kept: names with characters
//! outside its allowed sets are skipped, a descriptor without imports is
//! skipped (more than 5 such end the walk), DLL and function names are read
//! up to 512 bytes, at most 0x2000 symbols in all, thunk tables bounded by
//! the descriptor, bogus tables (repeated or widely spread name addresses,
//! ordinals above 0xFFFF) dropped. No imports at all gives no imphash, as
//! pefile's `""`.
//!
//! RVAs are read as pefile reads them ([`View`]), not through
//! [`Layout::rva_to_offset`]: raw pointers rounded down to 0x200, raw sizes
//! past the end of the file replaced by the virtual size, sections cut at
//! the next section, an RVA outside every section read as a file offset.
//! That is what finds the imports of packed and odd PEs (an import table in
//! the headers' page, a section whose `PointerToRawData` is not aligned, a
//! lookup table in a section without file data) where pefile finds them.
//!
//! The ordinal tables are pefile's imphash tables (frozen since its August
//! 2024 change so that imphash stays comparable with YARA and VirusTotal);
//! see `scripts/gen_imphash_ordinals.py`.

use super::authenticode::HeaderOffsets;
use super::ordinals::{OLEAUT32, WS2_32};
use super::{le_u32, le_u64, Layout};
use installsift_model::hash;
use md5::{Digest, Md5};

/// pefile's `MAX_IMPORT_SYMBOLS`: thunks read in all (lookup and address
/// tables both count), which also bounds every table we keep.
const MAX_SYMBOLS: usize = 0x2000;
/// pefile's `MAX_DLL_LENGTH` and `MAX_IMPORT_NAME_LENGTH`.
const MAX_NAME: usize = 0x200;
/// Descriptors read at most. pefile has no such cap, but every descriptor
/// either spends thunks of [`MAX_SYMBOLS`] or counts towards its limit of
/// six without imports, so it never reads more than this.
const MAX_DESCRIPTORS: usize = MAX_SYMBOLS + 8;
/// pefile's limits on one thunk table: an entry seen this many times, or
/// name addresses spread wider than this, mean a bogus table.
const MAX_REPEATED_ADDRESSES: usize = 15;
const MAX_ADDRESS_SPREAD: u64 = 128 << 20;
/// pefile's `MAX_SECTIONS`: sections past the first 0x800 of the table are
/// not read (which also bounds every RVA lookup).
const MAX_SECTIONS: usize = 0x800;
/// pefile's `FILE_ALIGNMENT_HARDCODED_VALUE`.
const FILE_ALIGNMENT_FLOOR: u64 = 0x200;

/// The imphash of a PE: `None` when pefile's `get_imphash()` returns `""`
/// (no import directory, or no descriptor with imports), else the
/// MD5 (pefile gives its lowercase hex, as this displays).
pub(super) fn compute(data: &[u8], layout: &Layout) -> Option<hash::Md5> {
    let list = import_strings(data, layout)?;
    if list.is_empty() {
        return None;
    }
    let mut md5 = Md5::new();
    md5.update(list.join(",").as_bytes());
    Some(hash::Md5(md5.finalize().into()))
}

/// One section as pefile maps it: `VirtualAddress` rounded down to the
/// section alignment, `PointerToRawData` rounded down to 0x200 (as the
/// Windows loader does when FileAlignment is at least 0x200).
struct Sec {
    va_adj: u64,
    ptr: u64,
    ptr_adj: u64,
    raw: u64,
    /// `[min, max)` of the RVAs pefile's `contains_rva` gives this section.
    min: u64,
    max: u64,
}

/// The image as pefile reads RVAs (`get_section_by_rva`, `get_data`,
/// `get_string_at_rva`), which is not always how installsift's own
/// [`Layout::rva_to_offset`] reads them: imports of packed and odd PEs
/// (unaligned raw pointers, raw data cut by the end of the file, data
/// outside every section read at its RVA as a file offset) are where
/// imphashes of other tools and ours would part.
struct View<'a> {
    data: &'a [u8],
    secs: Vec<Sec>,
    /// pefile remembers the last section it found and asks it first, which
    /// decides between overlapping sections.
    last: std::cell::Cell<Option<usize>>,
}

impl<'a> View<'a> {
    fn new(data: &'a [u8], layout: &Layout, h: &HeaderOffsets) -> Self {
        let field = |k: usize| {
            u64::from(
                h.opt
                    .checked_add(k)
                    .and_then(|at| le_u32(data, at))
                    .unwrap_or(0),
            )
        };
        let (sec_align, file_align) = (field(32), field(36));
        let len = data.len() as u64;
        let mut sorted: Vec<&super::SectionInfo> =
            layout.sections.iter().take(MAX_SECTIONS).collect();
        sorted.sort_by_key(|s| s.virtual_address);
        let mut secs: Vec<Sec> = Vec::with_capacity(sorted.len());
        for (i, s) in sorted.iter().enumerate() {
            let va = u64::from(s.virtual_address);
            let align = if sec_align < 0x1000 {
                file_align
            } else {
                sec_align
            };
            let va_adj = if align != 0 && va % align != 0 {
                va / align * align
            } else {
                va
            };
            let ptr = u64::from(s.raw_offset);
            let ptr_adj = if file_align < FILE_ALIGNMENT_FLOOR {
                ptr
            } else {
                ptr / FILE_ALIGNMENT_FLOOR * FILE_ALIGNMENT_FLOOR
            };
            let raw = u64::from(s.raw_size);
            let vsize = u64::from(s.virtual_size);
            // A raw size past the end of the file is not believed.
            let mut size = if len.checked_sub(ptr_adj).is_none_or(|room| room < raw) {
                vsize
            } else {
                raw.max(vsize)
            };
            if let Some(next) = sorted.get(i + 1).map(|n| u64::from(n.virtual_address)) {
                if next > va && va_adj.saturating_add(size) > next {
                    size = next.saturating_sub(va_adj);
                }
            }
            secs.push(Sec {
                va_adj,
                ptr,
                ptr_adj,
                raw,
                min: va_adj,
                max: va_adj.saturating_add(size),
            });
        }
        View {
            data,
            secs,
            last: std::cell::Cell::new(None),
        }
    }

    fn section(&self, rva: u64) -> Option<&Sec> {
        let inside = |s: &Sec| s.min <= rva && rva < s.max;
        if let Some(s) = self.last.get().and_then(|i| self.secs.get(i)) {
            if inside(s) {
                return Some(s);
            }
        }
        let i = self.secs.iter().position(inside)?;
        self.last.set(Some(i));
        self.secs.get(i)
    }

    /// pefile's `get_data(rva, length)`: `None` where pefile raises.
    fn get(&self, rva: u64, length: u64) -> Option<&'a [u8]> {
        let data = self.data;
        let len = data.len() as u64;
        let (start, end) = match self.section(rva) {
            None if rva < len => (rva, rva.saturating_add(length)),
            None => return None,
            Some(s) => {
                let start = (rva - s.va_adj).saturating_add(s.ptr_adj);
                let end = start
                    .saturating_add(length)
                    .min(s.ptr.saturating_add(s.raw));
                (start, end)
            }
        };
        let (start, end) = (start.min(len), end.min(len));
        let (start, end) = (usize::try_from(start).ok()?, usize::try_from(end).ok()?);
        Some(data.get(start..end.max(start)).unwrap_or_default())
    }

    /// pefile's `get_string_at_rva(rva, MAX_NAME)`: never fails, may be
    /// empty.
    fn string(&self, rva: u64) -> &'a [u8] {
        let s = match self.section(rva) {
            Some(_) => self.get(rva, MAX_NAME as u64).unwrap_or_default(),
            None => {
                let d = self.data;
                let start = usize::try_from(rva).unwrap_or(usize::MAX).min(d.len());
                let end = start.saturating_add(MAX_NAME).min(d.len());
                d.get(start..end).unwrap_or_default()
            }
        };
        s.get(..s.iter().position(|&b| b == 0).unwrap_or(s.len()))
            .unwrap_or_default()
    }

    /// pefile's `get_offset_from_rva`, as `parse_import_directory` uses it
    /// to bound the thunk tables (`None` where pefile raises).
    fn offset(&self, rva: u64) -> Option<u64> {
        match self.section(rva) {
            Some(s) => Some((rva - s.va_adj).saturating_add(s.ptr_adj)),
            None => (rva < self.data.len() as u64).then_some(rva),
        }
    }
}

/// The `dll.function` strings that go into the hash, in order, read as
/// pefile's `parse_import_directory` reads them; `None` without an import
/// directory.
pub(super) fn import_strings(data: &[u8], layout: &Layout) -> Option<Vec<String>> {
    let h = HeaderOffsets::read(data).ok()?;
    // pefile parses the directory whenever its address is set, whatever
    // its size.
    let (dir_rva, _size) = h.dir(data, 1).filter(|&(va, _)| va != 0)?;
    let view = View::new(data, layout, &h);
    let pe64 = layout.bits == 64;
    let mut out = Vec::new();
    let mut symbols = 0usize;
    let mut errors = 0usize;
    let mut rva = u64::from(dir_rva);
    for _ in 0..MAX_DESCRIPTORS {
        let Some(desc) = view.get(rva, 20).filter(|d| d.len() == 20) else {
            break;
        };
        if desc.iter().all(|&b| b == 0) {
            break;
        }
        let field = |k: usize| u64::from(le_u32(desc, k * 4).unwrap_or(0));
        let (oft, name, ft) = (field(0), field(3), field(4));
        let file_offset = view.offset(rva).unwrap_or(0);
        rva += 20;
        // The thunk tables end before the descriptor when they start
        // before its end, else at the end of the file.
        let mut max_len = (data.len() as i128) - i128::from(file_offset);
        if rva > oft || rva > ft {
            max_len = (i128::from(rva) - i128::from(oft)).max(i128::from(rva) - i128::from(ft));
        }
        if errors > 5 {
            break;
        }
        let funcs = imports(&view, oft, ft, max_len, pe64, &mut symbols);
        if funcs.is_empty() {
            errors += 1;
            continue;
        }
        let raw_dll = view.string(name);
        if raw_dll.is_empty() {
            continue;
        }
        let dll = if raw_dll.iter().all(|&c| valid_dll_char(c)) {
            String::from_utf8_lossy(raw_dll).to_ascii_lowercase()
        } else {
            "*invalid*".to_owned()
        };
        let table = match dll.as_str() {
            "ws2_32.dll" | "wsock32.dll" => Some(WS2_32),
            "oleaut32.dll" => Some(OLEAUT32),
            _ => None,
        };
        let lib = match dll.rsplit_once('.') {
            Some((stem, "dll" | "ocx" | "sys")) => stem.to_owned(),
            _ => dll.clone(),
        };
        for f in funcs {
            let func = match f {
                Func::Name(n) => n.to_ascii_lowercase(),
                Func::Ordinal(o) => table
                    .and_then(|t| t.binary_search_by_key(&o, |&(k, _)| k).ok())
                    .and_then(|i| table?.get(i))
                    .map_or_else(|| format!("ord{o}"), |(_, n)| n.to_ascii_lowercase()),
            };
            out.push(format!("{lib}.{func}"));
        }
    }
    Some(out)
}

enum Func {
    Name(String),
    Ordinal(u16),
}

/// pefile's `get_import_table`: the non-zero thunks from `rva`; `None`
/// where pefile gives up with `None` (an unreadable thunk), an empty list
/// where it gives `[]` (a bogus table, or `rva` 0).
fn thunk_table(
    view: &View<'_>,
    start: u64,
    max_len: i128,
    pe64: bool,
    symbols: &mut usize,
) -> Option<Vec<u64>> {
    let width: u64 = if pe64 { 8 } else { 4 };
    let ordinal_flag = if pe64 { 1u64 << 63 } else { 1u64 << 31 };
    let mut table = Vec::new();
    let mut seen: std::collections::HashSet<u64> = std::collections::HashSet::new();
    let (mut lo32, mut hi32, mut lo64, mut hi64) = (u64::MAX, 0u64, u64::MAX, 0u64);
    let mut repeated = 0usize;
    let mut rva = start;
    while rva != 0 {
        if i128::from(rva) >= i128::from(start) + max_len {
            break;
        }
        if *symbols > MAX_SYMBOLS {
            break;
        }
        *symbols += 1;
        if repeated >= MAX_REPEATED_ADDRESSES
            || (lo32 <= hi32 && hi32 - lo32 > MAX_ADDRESS_SPREAD)
            || (lo64 <= hi64 && hi64 - lo64 > MAX_ADDRESS_SPREAD)
        {
            return Some(Vec::new());
        }
        let bytes = view.get(rva, width)?;
        let value = match (pe64, bytes.len()) {
            (true, 8) => le_u64(bytes, 0)?,
            (false, 4) => u64::from(le_u32(bytes, 0)?),
            _ => return None,
        };
        if value >= start && value <= rva {
            break;
        }
        if value != 0 {
            if value & ordinal_flag != 0 {
                if value & 0x7fff_ffff > 0xffff {
                    return Some(Vec::new());
                }
            } else {
                if !seen.insert(value) {
                    repeated += 1;
                }
                if value >= 1 << 32 {
                    (lo64, hi64) = (lo64.min(value), hi64.max(value));
                } else {
                    (lo32, hi32) = (lo32.min(value), hi32.max(value));
                }
            }
        }
        if value == 0 {
            break;
        }
        rva += width;
        table.push(value);
    }
    Some(table)
}

/// The imports of one descriptor, as pefile's `parse_imports` keeps them:
/// the lookup table (OriginalFirstThunk) when it gives entries, else the
/// address table (FirstThunk: unbound files, or a lookup table in a
/// section with no file data).
fn imports(
    view: &View<'_>,
    oft: u64,
    ft: u64,
    max_len: i128,
    pe64: bool,
    symbols: &mut usize,
) -> Vec<Func> {
    let ilt = thunk_table(view, oft, max_len, pe64, symbols);
    let iat = thunk_table(view, ft, max_len, pe64, symbols);
    let table = match (ilt, iat) {
        (Some(t), _) if !t.is_empty() => t,
        (_, Some(t)) if !t.is_empty() => t,
        _ => return Vec::new(),
    };
    let ordinal_flag = if pe64 { 1u64 << 63 } else { 1u64 << 31 };
    let mask = if pe64 { u64::MAX >> 1 } else { 0x7fff_ffff };
    let mut out = Vec::new();
    let mut invalid = 0usize;
    for (idx, value) in table.into_iter().enumerate() {
        if value & ordinal_flag != 0 {
            let ord = (value & 0xffff) as u16;
            if ord != 0 {
                out.push(Func::Ordinal(ord));
            }
            continue;
        }
        // The hint must be readable; pefile drops the descriptor's whole
        // table on an entry it cannot read.
        if view.get(value & mask, 2).is_none() {
            return Vec::new();
        }
        let name = view.string(value.saturating_add(2));
        if !name.iter().all(|&c| valid_function_char(c)) {
            // pefile skips names outside its allowed characters, and
            // gives up on a table of nothing but such names.
            if invalid > 1000 && invalid == idx {
                return Vec::new();
            }
            invalid += 1;
            continue;
        }
        if !name.is_empty() {
            out.push(Func::Name(String::from_utf8_lossy(name).into_owned()));
        }
    }
    out
}

/// pefile's `is_valid_dos_filename` alphabet.
fn valid_dll_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'()-@^_`{}~+,.;=[]\\/".contains(&c)
}

/// pefile's `is_valid_function_name` alphabet.
fn valid_function_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"._?@$()<>".contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// corpus/pe/hello_x86.exe (mingw-w64, unbound, so its address tables
    /// repeat its lookup tables), with the import fields found through our
    /// own header reader: data directory 1 at file offset 0x100, the first
    /// descriptor (KERNEL32.dll) at 0x2c00.
    fn hello() -> (Vec<u8>, usize, usize) {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpus/pe/hello_x86.exe");
        let data = std::fs::read(path).unwrap();
        let h = HeaderOffsets::read(&data).unwrap();
        let layout = super::super::read_layout(&data).unwrap();
        let dir = h.dirs + 8;
        let (rva, _) = h.dir(&data, 1).unwrap();
        let desc = layout.rva_to_offset(rva).unwrap();
        assert_eq!((dir, desc), (0x100, 0x2c00));
        (data, dir, desc)
    }

    fn imphash(data: &[u8]) -> Option<String> {
        compute(data, &super::super::read_layout(data).unwrap()).map(|d| d.to_string())
    }

    #[test]
    fn odd_import_tables_are_read_where_pefile_reads_them() {
        let (data, dir, desc) = hello();
        // pefile 2023.2.7 (scripts/check_imphash.py builds these same
        // variants and compares).
        let want = Some("69130c753d8657ba4999f3c002510c64".to_owned());
        assert_eq!(imphash(&data), want);
        let with = |at: usize, value: u32| {
            let mut d = data.clone();
            d[at..at + 4].copy_from_slice(&value.to_le_bytes());
            d
        };
        // Directory size 0: pefile parses the directory all the same.
        assert_eq!(imphash(&with(dir + 4, 0)), want);
        // OriginalFirstThunk in .bss (RVA 0x6000, no file data), or past
        // every section and the file: the address table is read instead.
        assert_eq!(imphash(&with(desc, 0x6000)), want);
        assert_eq!(imphash(&with(desc, 0x7fff_0000)), want);
        // Both tables unreadable: the descriptor gives nothing; with no
        // other descriptor with imports, no imphash (pefile's "").
        let none = with(desc, 0x7fff_0000);
        let none = {
            let mut d = none;
            d[desc + 16..desc + 20].copy_from_slice(&0x7fff_0000u32.to_le_bytes());
            d
        };
        assert_ne!(imphash(&none), want);
    }

    #[test]
    fn no_imports_is_no_imphash() {
        let (data, dir, _) = hello();
        let mut d = data.clone();
        // The directory pointed at zeroes past the end of the file.
        d[dir..dir + 4].copy_from_slice(&0x7fff_0000u32.to_le_bytes());
        assert_eq!(imphash(&d), None);
        d[dir..dir + 8].fill(0);
        assert_eq!(imphash(&d), None);
    }

    #[test]
    fn ordinal_tables_are_sorted_for_binary_search() {
        for t in [WS2_32, OLEAUT32] {
            assert!(t.windows(2).all(|w| w[0].0 < w[1].0));
        }
        assert_eq!(
            WS2_32
                .binary_search_by_key(&115, |&(k, _)| k)
                .map(|i| WS2_32[i].1),
            Ok("WSAStartup")
        );
        assert_eq!(
            OLEAUT32
                .binary_search_by_key(&2, |&(k, _)| k)
                .map(|i| OLEAUT32[i].1),
            Ok("SysAllocString")
        );
    }
}
