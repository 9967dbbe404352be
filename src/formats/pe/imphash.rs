//! imphash, computed as python pefile's `PE.get_imphash()`.
//!
//! For each import descriptor in file order (stopping at the all-zero one):
//! the DLL name, lowercased, with a final `.dll`, `.ocx` or `.sys` removed;
//! for each thunk of its lookup table (OriginalFirstThunk, else FirstThunk)
//! the function name, or for an import by ordinal the name from pefile's
//! ordinal tables (ws2_32 and wsock32 share the ws2_32 table; oleaut32),
//! else `ordN`. The `dll.function` strings, lowercased and joined by `,`, are
//! hashed with MD5. pefile's own sanity rules are kept: names with characters
//! outside its allowed sets are skipped, a descriptor without imports is
//! skipped (more than 5 such end the walk), DLL and function names are read
//! up to 512 bytes, at most 0x2000 symbols in all.
//!
//! The ordinal tables are pefile's imphash tables (frozen since its August
//! 2024 change so that imphash stays comparable with YARA and VirusTotal);
//! see `scripts/gen_imphash_ordinals.py`.

use super::authenticode::HeaderOffsets;
use super::ordinals::{OLEAUT32, WS2_32};
use super::{le_u32, le_u64, Layout};
use crate::hash::to_hex;
use md5::{Digest, Md5};

/// pefile's `MAX_IMPORT_SYMBOLS`.
const MAX_SYMBOLS: usize = 0x2000;
/// pefile's `MAX_DLL_LENGTH` and `MAX_IMPORT_NAME_LENGTH`.
const MAX_NAME: usize = 0x200;
/// Descriptors read at most (a bound of ours; pefile relies on its symbol cap).
const MAX_DESCRIPTORS: usize = 4096;

/// The imphash of a PE: `None` when there is no import directory (pefile
/// then returns `""`), else the lowercase MD5 hex (of the empty string when
/// no import could be read).
pub(super) fn compute(data: &[u8], layout: &Layout) -> Option<String> {
    let list = import_strings(data, layout)?;
    let mut md5 = Md5::new();
    md5.update(list.join(",").as_bytes());
    Some(to_hex(&md5.finalize()))
}

/// The `dll.function` strings that go into the hash, in order.
pub(super) fn import_strings(data: &[u8], layout: &Layout) -> Option<Vec<String>> {
    let h = HeaderOffsets::read(data).ok()?;
    let (rva, _size) = h.dir(data, 1).filter(|&(va, size)| va != 0 && size != 0)?;
    let pe64 = layout.bits == 64;
    let mut out = Vec::new();
    let mut symbols = 0usize;
    let mut empty = 0usize;
    for i in 0..MAX_DESCRIPTORS {
        let Some(at) = (i as u32)
            .checked_mul(20)
            .and_then(|d| rva.checked_add(d))
            .and_then(|r| layout.rva_to_offset(r))
        else {
            break;
        };
        let field = |k: usize| le_u32(data, at.checked_add(k * 4)?);
        let (Some(oft), Some(tds), Some(fwd), Some(name), Some(ft)) =
            (field(0), field(1), field(2), field(3), field(4))
        else {
            break;
        };
        if oft == 0 && tds == 0 && fwd == 0 && name == 0 && ft == 0 {
            break;
        }
        let funcs = thunks(data, layout, oft, ft, pe64, &mut symbols);
        if funcs.is_empty() {
            empty += 1;
            if empty > 5 {
                break;
            }
            continue;
        }
        let raw_dll = string_at(data, layout, name).unwrap_or_default();
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
        if symbols > MAX_SYMBOLS {
            break;
        }
    }
    Some(out)
}

enum Func {
    Name(String),
    Ordinal(u16),
}

/// The imports of one descriptor, as pefile's `parse_imports` keeps them.
fn thunks(
    data: &[u8],
    layout: &Layout,
    oft: u32,
    ft: u32,
    pe64: bool,
    symbols: &mut usize,
) -> Vec<Func> {
    let table = if oft != 0 { oft } else { ft };
    let width: u32 = if pe64 { 8 } else { 4 };
    let mut out = Vec::new();
    let mut invalid = 0usize;
    for idx in 0u32.. {
        if *symbols > MAX_SYMBOLS {
            break;
        }
        let Some(at) = idx
            .checked_mul(width)
            .and_then(|d| table.checked_add(d))
            .and_then(|r| layout.rva_to_offset(r))
        else {
            break;
        };
        let value = if pe64 {
            le_u64(data, at)
        } else {
            le_u32(data, at).map(u64::from)
        };
        let Some(value) = value.filter(|&v| v != 0) else {
            break;
        };
        *symbols += 1;
        let ordinal_flag = if pe64 { 1u64 << 63 } else { 1u64 << 31 };
        if value & ordinal_flag != 0 {
            let ord = (value & 0xffff) as u16;
            if ord != 0 {
                out.push(Func::Ordinal(ord));
            }
            continue;
        }
        let name_rva = u32::try_from(value & 0x7fff_ffff)
            .ok()
            .and_then(|r| r.checked_add(2));
        let name = name_rva.and_then(|r| string_at(data, layout, r));
        match name {
            Some(n) if n.iter().all(|&c| valid_function_char(c)) => {
                if !n.is_empty() {
                    out.push(Func::Name(String::from_utf8_lossy(n).into_owned()));
                }
            }
            Some(_) => {
                // pefile skips names outside its allowed characters, and
                // gives up on a table of nothing but such names.
                invalid += 1;
                if invalid > 1000 && invalid == idx as usize + 1 {
                    return Vec::new();
                }
            }
            // pefile drops the descriptor's whole table on an entry it
            // cannot read.
            None => return Vec::new(),
        }
    }
    out
}

/// A NUL-terminated string at an RVA, up to [`MAX_NAME`] bytes.
fn string_at<'a>(data: &'a [u8], layout: &Layout, rva: u32) -> Option<&'a [u8]> {
    let off = layout.rva_to_offset(rva)?;
    let rest = data.get(off..)?;
    let rest = rest.get(..rest.len().min(MAX_NAME))?;
    rest.get(..rest.iter().position(|&b| b == 0).unwrap_or(rest.len()))
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
