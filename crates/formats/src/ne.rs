//! 16-bit "New Executable" files (Windows 3.x, OS/2 1.x): an MZ stub whose
//! `e_lfanew` (at 0x3C) points at `NE`. Old installers' `SETUP.EXE`
//! (InstallShield 3–5's 16-bit launcher, Microsoft's ACME setup, 16-bit
//! self-extractors) are NE files.
//!
//! - The NE header, its segment table, resource table (types and names;
//!   counts bounded by the table's own bytes), resident names (the module
//!   name) and non-resident names (the first is the module's description)
//!   are read into [`NeInfo`]; the `VERSION` resource's strings (ANSI, in
//!   the 16-bit `VS_VERSIONINFO` layout) too.
//! - Children: `RCDATA` and custom-type resources (`.rsrc/<type>/<id>`, a
//!   payload may hide there) and the overlay (`[overlay]`: bytes after the
//!   last segment, resource and name table), or a container found in it by
//!   signature search within `max_search_window` (`[carved@N]`), so an
//!   appended zip or cabinet is opened as it was before NE files were read.
//! - A table that runs past the data is a `truncated` error naming its
//!   offset; what was read is kept.

use super::container::{Container, Data, End, Entry, Notes, Opened, Options};
use super::{find_embedded, le_u16, le_u32, Handler, Metadata, Parsed};
use installsift_model::error::Error;
use installsift_model::{EntryInfo, EntryKind, Evidence, Format};
use serde::Serialize;

/// Resources described in the metadata (the rest are counted).
const MAX_LISTED: usize = 64;
/// Nesting of `VS_VERSIONINFO` blocks read.
const VERSION_DEPTH: u32 = 4;

/// NE facts.
#[derive(Debug, Clone, Serialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NeInfo {
    /// Offset of the NE header (`e_lfanew`).
    pub header_offset: u64,
    /// Linker version `major.minor`.
    pub linker_version: String,
    /// Target OS: `os2`, `windows`, `dos4`, `win386`, `boss` or `unknown`.
    pub target_os: &'static str,
    /// Expected Windows version `major.minor` (0.0 when not set).
    pub windows_version: String,
    /// A library (DLL), not a program.
    pub dll: bool,
    /// The module name (first resident name).
    pub module_name: String,
    /// The module description (first non-resident name).
    pub description: String,
    /// Segments in the segment table.
    pub segments: u64,
    /// Resources in the resource table.
    pub resource_count: u64,
    /// The first resources: `TYPE/ID` (or names), offset and size.
    pub resources: Vec<NeResource>,
    /// Strings of the `VERSION` resource (`CompanyName`, `ProductName`, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub version_strings: Vec<(String, String)>,
    /// Offset of the overlay (data after the image), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlay_offset: Option<u64>,
}

impl NeInfo {
    /// A version string by key.
    pub fn version(&self, key: &str) -> Option<&str> {
        self.version_strings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// One resource.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NeResource {
    /// `TYPE/ID`.
    pub path: String,
    /// Offset in the file.
    pub offset: u64,
    /// Size.
    pub size: u64,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "ne",
    format: Format::Ne,
    sniff,
    open,
};

/// The NE header's offset, when `data` is an MZ stub pointing at `NE`.
fn ne_offset(data: &[u8]) -> Option<usize> {
    if !data.starts_with(b"MZ") {
        return None;
    }
    let at = usize::try_from(le_u32(data, 0x3C)?).ok()?;
    (at >= 0x40 && data.get(at..at.checked_add(2)?) == Some(b"NE")).then_some(at)
}

/// MZ with `e_lfanew` pointing at `NE` and the header's 64 bytes present.
pub fn sniff(data: &[u8]) -> bool {
    ne_offset(data).is_some_and(|at| data.len() >= at + 0x40)
}

fn type_name(id: u16) -> String {
    match id {
        1 => "CURSOR".into(),
        2 => "BITMAP".into(),
        3 => "ICON".into(),
        4 => "MENU".into(),
        5 => "DIALOG".into(),
        6 => "STRING".into(),
        7 => "FONTDIR".into(),
        8 => "FONT".into(),
        9 => "ACCELERATOR".into(),
        10 => "RCDATA".into(),
        11 => "MESSAGETABLE".into(),
        12 => "GROUP_CURSOR".into(),
        14 => "GROUP_ICON".into(),
        16 => "VERSION".into(),
        n => n.to_string(),
    }
}

/// A length-prefixed string at `at`: each byte as its Latin-1 character,
/// control characters (C0 and C1) shown as `?`.
fn pascal(data: &[u8], at: usize) -> Option<String> {
    let len = usize::from(*data.get(at)?);
    let b = data.get(at + 1..at + 1 + len)?;
    Some(
        b.iter()
            .map(|&c| match c {
                0..=0x1F | 0x7F..=0x9F => '?',
                c => char::from(c),
            })
            .collect(),
    )
}

/// A type or resource id: an integer (high bit) or a name in the table.
fn id_name(data: &[u8], table: usize, id: u16, integer: fn(u16) -> String) -> String {
    if id & 0x8000 != 0 {
        integer(id & 0x7FFF)
    } else {
        // Part of a child's path: no separators.
        pascal(data, table + usize::from(id))
            .map(|n| n.replace(['/', '\\'], "?"))
            .unwrap_or_else(|| format!("#{id}"))
    }
}

/// One planned child.
struct Child<'a> {
    name: String,
    info: EntryInfo,
    bytes: &'a [u8],
}

/// Open an NE file: all tables are read here; the children are handed over
/// in order.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let mut info = NeInfo::default();
    let mut children = Vec::new();
    if let Some(at) = ne_offset(data) {
        read(data, at, opts, notes, &mut info, &mut children);
    }
    children.reverse();
    Opened::Container(Box::new(Walk { info, children }))
}

fn truncated(what: &str, at: usize, len: usize) -> Error {
    Error::truncated(format!(
        "NE {what} at offset {at} runs past the end of the data ({len} bytes)"
    ))
    .at(at as u64)
}

fn read<'a>(
    data: &'a [u8],
    ne: usize,
    opts: &Options<'_>,
    notes: &mut Notes,
    info: &mut NeInfo,
    children: &mut Vec<Child<'a>>,
) {
    let (Some(h), Some(nonres_at)) = (data.get(ne..ne + 0x40), le_u32(data, ne + 0x2C)) else {
        notes.error(truncated("header", ne, data.len()));
        return;
    };
    let u16_at = |o: usize| le_u16(h, o).unwrap_or(0);
    notes.evidence(Evidence::strong(
        "ne-header",
        format!("MZ stub whose e_lfanew ({ne}) points at an NE header"),
        Some(ne as u64),
    ));
    info.header_offset = ne as u64;
    info.linker_version = format!("{}.{}", h[2], h[3]);
    info.dll = u16_at(0x0C) & 0x8000 != 0;
    info.target_os = match h[0x36] {
        1 => "os2",
        2 => "windows",
        3 => "dos4",
        4 => "win386",
        5 => "boss",
        _ => "unknown",
    };
    info.windows_version = format!("{}.{}", h[0x3F], h[0x3E]);
    let mut end = ne + 0x40;
    // Segment table: 8 bytes each; a sector offset shifted by the alignment.
    let shift = u32::from(u16_at(0x32)).min(15);
    let cseg = usize::from(u16_at(0x1C));
    let seg_at = ne + usize::from(u16_at(0x22));
    info.segments = cseg as u64;
    match data.get(seg_at..seg_at + cseg * 8) {
        Some(t) => {
            end = end.max(seg_at + cseg * 8);
            for s in t.chunks_exact(8) {
                let off = u64::from(le_u16(s, 0).unwrap_or(0)) << shift;
                let len = match le_u16(s, 2).unwrap_or(0) {
                    0 => 0x10000,
                    n => u64::from(n),
                };
                if off != 0 {
                    // Relocation records follow a segment whose flags say
                    // so: a count, then 8 bytes each.
                    let mut seg_end = off + len;
                    if le_u16(s, 4).unwrap_or(0) & 0x0100 != 0 {
                        let n = usize::try_from(seg_end)
                            .ok()
                            .and_then(|e| le_u16(data, e))
                            .map_or(0, u64::from);
                        seg_end += 2 + n * 8;
                    }
                    end = end.max(usize::try_from(seg_end).unwrap_or(usize::MAX));
                }
            }
        }
        None => notes.error(truncated("segment table", seg_at, data.len())),
    }
    // Resident names: the first is the module's name.
    let res_at = ne + usize::from(u16_at(0x26));
    info.module_name = pascal(data, res_at).unwrap_or_default();
    // Non-resident names: the first is the description.
    let nonres = usize::try_from(nonres_at).unwrap_or(usize::MAX);
    let nonres_len = usize::from(u16_at(0x20));
    if nonres != 0 && nonres_len != 0 {
        match pascal(data, nonres) {
            Some(d) => info.description = d,
            None => notes.error(truncated("non-resident name table", nonres, data.len())),
        }
        end = end.max(nonres.saturating_add(nonres_len));
    }
    // Resources.
    let rsrc = ne + usize::from(u16_at(0x24));
    if u16_at(0x24) != u16_at(0x26) {
        end = end.max(resources(data, rsrc, notes, info, children));
    }
    if !info.description.is_empty() || !info.module_name.is_empty() {
        notes.evidence(Evidence::strong(
            "ne-names",
            format!(
                "module `{}`, description `{}`",
                info.module_name, info.description
            ),
            Some(res_at as u64),
        ));
    }
    // The overlay: what follows the image.
    if end < data.len() {
        info.overlay_offset = Some(end as u64);
        let region = data.get(end..).unwrap_or(&[]);
        if region.iter().all(|&b| b == 0) {
            return;
        }
        let (skip, kind, name) = match super::sniff(region) {
            Some(_) => (0, EntryKind::Overlay, "[overlay]".to_string()),
            None => match find_embedded(region, opts.limits.max_search_window) {
                Some((k, _)) => (k, EntryKind::Carved, format!("[carved@{}]", end + k)),
                None => (0, EntryKind::Overlay, "[overlay]".to_string()),
            },
        };
        notes.evidence(Evidence::strong(
            "ne-overlay",
            format!("{} bytes after the NE image", region.len()),
            Some(end as u64),
        ));
        children.push(Child {
            name,
            info: EntryInfo::new(kind).at((end + skip) as u64),
            bytes: region.get(skip..).unwrap_or(&[]),
        });
    }
}

/// The resource table at `at`: listed into `info`, payload-like resources
/// into `children`; returns the end of the last resource's data.
fn resources<'a>(
    data: &'a [u8],
    at: usize,
    notes: &mut Notes,
    info: &mut NeInfo,
    children: &mut Vec<Child<'a>>,
) -> usize {
    let Some(shift) = le_u16(data, at) else {
        notes.error(truncated("resource table", at, data.len()));
        return 0;
    };
    let shift = u32::from(shift).min(15);
    let mut p = at + 2;
    let mut end = 0usize;
    // Each type block takes at least 8 bytes of the file: the walk ends.
    loop {
        let Some(t) = le_u16(data, p) else {
            notes.error(truncated("resource type", p, data.len()));
            break;
        };
        if t == 0 {
            break;
        }
        let count = usize::from(le_u16(data, p + 2).unwrap_or(0));
        let ty = id_name(data, at, t, type_name);
        let Some(table) = data.get(p + 8..p + 8 + count * 12) else {
            notes.error(truncated("resource entries", p, data.len()));
            break;
        };
        for r in table.chunks_exact(12) {
            let off = u64::from(le_u16(r, 0).unwrap_or(0)) << shift;
            let len = u64::from(le_u16(r, 2).unwrap_or(0)) << shift;
            let id = id_name(data, at, le_u16(r, 6).unwrap_or(0), |n| n.to_string());
            info.resource_count += 1;
            let path = format!("{ty}/{id}");
            if info.resources.len() < MAX_LISTED {
                info.resources.push(NeResource {
                    path: path.clone(),
                    offset: off,
                    size: len,
                });
            }
            let range = usize::try_from(off)
                .ok()
                .zip(usize::try_from(off + len).ok());
            let Some(bytes) = range.and_then(|(a, b)| data.get(a..b)) else {
                notes.error(
                    Error::truncated(format!(
                        "NE resource {path} ({len} bytes at offset {off}) runs past the end of the data"
                    ))
                    .at(off),
                );
                continue;
            };
            end = end.max((off + len) as usize);
            if ty == "VERSION" {
                version(bytes, 0, &mut info.version_strings);
            }
            let payload = t & 0x8000 == 0 || matches!(t & 0x7FFF, 10) || (t & 0x7FFF) > 24;
            if payload && !bytes.is_empty() {
                children.push(Child {
                    name: format!(".rsrc/{path}"),
                    info: EntryInfo::new(EntryKind::Resource).at(off),
                    bytes,
                });
            }
        }
        p += 8 + count * 12;
    }
    end
}

/// The strings of a 16-bit `VS_VERSIONINFO` block tree (`len u16`,
/// `value_len u16`, NUL-terminated key, value at the next 4-byte boundary,
/// children after it).
fn version(b: &[u8], depth: u32, out: &mut Vec<(String, String)>) {
    let mut p = 0usize;
    while p + 4 <= b.len() && out.len() < 64 {
        let len = usize::from(le_u16(b, p).unwrap_or(0));
        let vlen = usize::from(le_u16(b, p + 2).unwrap_or(0));
        if len < 4 {
            return;
        }
        let block = b.get(p..(p + len).min(b.len())).unwrap_or(&[]);
        let key_end = block
            .get(4..)
            .and_then(|k| k.iter().position(|&c| c == 0))
            .map_or(block.len(), |k| 4 + k);
        let key: String = block
            .get(4..key_end)
            .unwrap_or(&[])
            .iter()
            .map(|&c| char::from(c))
            .collect();
        let value_at = (key_end + 1 + 3) & !3;
        let children_at = (value_at + vlen + 3) & !3;
        let is_container =
            key == "VS_VERSION_INFO" || key == "StringFileInfo" || (depth == 2 && key.len() == 8);
        if is_container {
            if depth < VERSION_DEPTH {
                version(block.get(children_at..).unwrap_or(&[]), depth + 1, out);
            }
        } else if depth >= 2 && vlen > 0 {
            let v = block.get(value_at..value_at + vlen).unwrap_or(&[]);
            let v: String = v
                .iter()
                .take_while(|&&c| c != 0)
                .map(|&c| char::from(c))
                .collect();
            out.push((key, v));
        }
        p += (len + 3) & !3;
    }
}

struct Walk<'a> {
    info: NeInfo,
    /// Children left, last first.
    children: Vec<Child<'a>>,
}

impl Container for Walk<'_> {
    fn next_entry(&mut self, _notes: &mut Notes) -> Option<Entry<'_>> {
        let c = self.children.pop()?;
        Some(Entry {
            name: c.name,
            info: c.info,
            data: Data::Slice(c.bytes),
        })
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        Parsed {
            format: Format::Ne,
            metadata: Some(Metadata::Ne(Box::new(self.info))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{list, Listed, Listing};
    use crate::test_support::{corpus, sample};
    use installsift_model::Limits;

    fn listing(d: &[u8]) -> Listing {
        list(open, d, &Limits::default(), 100)
    }

    fn info(l: &Listing) -> &NeInfo {
        let Some(Metadata::Ne(i)) = &l.parsed.metadata else {
            panic!("metadata")
        };
        i
    }

    /// What winedump (wine64-tools) read from a sample: module name,
    /// description, and each resource's id and length (reference/ne__*).
    fn winedump(name: &str) -> (String, String, Vec<(String, u64)>) {
        let p = corpus().join(format!("reference/ne__{name}.winedump.txt"));
        let text = std::fs::read_to_string(&p).expect("winedump reference");
        let mut section = "";
        let (mut module, mut desc, mut res) = (String::new(), String::new(), Vec::new());
        for line in text.lines() {
            if line.ends_with(':') && !line.starts_with(' ') {
                section = line;
                continue;
            }
            let t = line.trim();
            match section {
                "Resident name table:" if t.starts_with("0: ") => module = t[3..].into(),
                "Non-resident name table:" if t.starts_with("0: ") => desc = t[3..].into(),
                "Resources:" if !t.is_empty() => {
                    let f: Vec<&str> = t.split_whitespace().collect();
                    let len = u64::from_str_radix(f[f.len() - 1], 16).expect("length");
                    res.push((f[0].to_string(), len));
                }
                _ => {}
            }
        }
        (module, desc, res)
    }

    #[test]
    fn listing_without_the_engine() {
        for name in [
            "win16_plain.exe",
            "is_setup_layout.exe",
            "win16_zip_sfx.exe",
        ] {
            let d = sample(&format!("ne/{name}")).expect("sample");
            assert!(sniff(&d), "{name}");
            let l = listing(&d);
            assert!(l.notes.errors.is_empty(), "{name}: {:?}", l.notes.errors);
            let i = info(&l);
            // Our reading equals winedump's.
            let (module, desc, res) = winedump(name);
            assert_eq!(i.module_name, module, "{name}");
            assert_eq!(i.description, desc, "{name}");
            let ours: Vec<(String, u64)> = i
                .resources
                .iter()
                .map(|r| (r.path.rsplit('/').next().unwrap_or("").to_string(), r.size))
                .collect();
            assert_eq!(ours, res, "{name}");
            assert_eq!(i.target_os, "windows");
            assert_eq!(i.windows_version, "3.10");
            assert!(i.version("FileVersion").is_some());
            // The RCDATA resource is a child; VERSION is not.
            assert_eq!(l.entries[0].0, ".rsrc/RCDATA/101");
            assert_eq!(l.entries[0].1.kind, EntryKind::Resource);
        }
        let d = sample("ne/win16_zip_sfx.exe").expect("sample");
        let l = listing(&d);
        let (name, e, got) = &l.entries[1];
        assert_eq!((name.as_str(), e.kind), ("[overlay]", EntryKind::Overlay));
        let Listed::Slice { at, .. } = got else {
            panic!("{got:?}")
        };
        assert!(d[*at..].starts_with(b"PK\x03\x04"));
        assert_eq!(info(&l).overlay_offset, Some(*at as u64));
        // A zip after padding of no format is found by the search.
        let plain = sample("ne/win16_plain.exe").expect("sample");
        let mut padded = plain.clone();
        padded.extend_from_slice(b"some bytes of a stub's own\x01");
        padded.extend_from_slice(&d[plain.len()..]);
        let l = listing(&padded);
        assert_eq!(l.entries[1].1.kind, EntryKind::Carved);
        assert_eq!(l.entries[1].0, format!("[carved@{}]", plain.len() + 27));
        // Not NE: a PE, or an MZ without NE.
        assert!(!sniff(&sample("pe/hello_x86.exe").expect("pe")));
        assert!(!sniff(b"MZ"));
    }

    #[test]
    fn names_from_the_file_are_printable_and_never_split_a_path() {
        assert_eq!(pascal(b"\x04a\x01/\x85", 0).as_deref(), Some("a?/?"));
        assert_eq!(pascal(b"\x09short", 0), None);
        // A resource named `../x` (name offset 0 in its table).
        let table = b"\x04../x";
        assert_eq!(id_name(table, 0, 0, |n| n.to_string()), "..?x");
        assert_eq!(id_name(table, 0, 0x8005, |n| n.to_string()), "5");
    }

    #[test]
    fn damage_is_reported_and_hostile_bytes_do_not_panic() {
        let good = sample("ne/win16_plain.exe").expect("sample");
        // Cut inside the resource data: the resource is reported cut.
        let l = listing(&good[..600]);
        assert!(
            l.notes.errors.iter().any(|e| e.kind() == "truncated"),
            "{:?}",
            l.notes.errors
        );
        // A resource count of 65,535: the table runs past the data; nothing
        // is allocated from the count.
        let ne = 0x80;
        let rsrc = ne + usize::from(le_u16(&good, ne + 0x24).expect("rsrc"));
        let mut d = good.clone();
        d[rsrc + 4] = 0xFF;
        d[rsrc + 5] = 0xFF;
        let l = listing(&d);
        assert!(l.notes.errors.iter().any(|e| e.kind() == "truncated"));
        for n in 0..good.len() {
            let _ = listing(&good[..n]);
            let mut d = good.clone();
            d[n] ^= 0xFF;
            let _ = listing(&d);
        }
    }
}
