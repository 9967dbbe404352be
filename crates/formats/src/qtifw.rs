//! Qt Installer Framework binary content: what `binarycreator` appends to
//! the `installerbase` executable (a PE overlay on Windows, the tail of the
//! ELF on Linux, `installer.dat` in a macOS bundle).
//!
//! The layout (Qt IFW `src/libs/installer/binarycontent.cpp`
//! `writeBinaryContent`, `binaryformat.cpp` `ResourceCollectionManager::write`);
//! every number is a little-endian `i64`, a range is (start, length)
//! relative to the end of the executable, a byte array is a length and its
//! bytes:
//!
//! 1. the meta resources: Qt `.rcc` files (the first carries `config.xml`,
//!    the components' `package.xml` and scripts; see [`rcc`]);
//! 2. the operations: a count, (name, XML) pairs, the count again (empty in
//!    an installer; a maintenance tool records what it performed);
//! 3. each resource collection (one per component, named after it): a
//!    resource count, then (name, range) per resource, then their bytes:
//!    the component's archives (`1.0.0content.7z`) and their `.sha1` files;
//! 4. the collection index: a count, (name, range of the collection) per
//!    collection, the count again;
//! 5. the trailer: the index range, one range per meta resource, the
//!    operations range, the meta resource count, the size of the binary
//!    content (from 1. to the end of the trailer), the marker (installer
//!    `0x12023233`, uninstaller `…34`, updater `…35`, package manager
//!    `…36`) and the magic cookie `0xc2630a1c99d668f8` (`…f9` in a
//!    maintenance tool's separate `.dat` file).
//!
//! Qt IFW finds the cookie by searching the last MiB backwards (so a
//! signature appended after it does not hide it); the sniff here wants it at
//! the end of the data (before at most 7 alignment zeros), which is where a
//! PE overlay ends once the certificate table is split off. Children: the
//! meta resources (`[meta-resource-N]`, opened by the [`rcc`] handler), each
//! component's resources named as Qt IFW's `devtool dump` writes them
//! (`<component>/<archive>`; our 7z parser opens the archives), and, when
//! the executable is part of the data (an ELF or Mach-O installer scanned
//! whole), the executable as `[installerbase]`. An archive whose `.sha1`
//! sibling matches is `verified_by: qt-ifw-sha1`; a mismatch is a checksum
//! error on the archive, which keeps its bytes.
//!
//! Installer data cut short (the trailer gone, the meta resources still
//! there) is still this format: the first `.rcc` is read by its own
//! structure and listed, and an error says the trailer is missing.

pub mod rcc;

use super::container::{Container, Data, End, Entry, Notes, Opened, Options};
use super::{Handler, Metadata, Parsed};
use installsift_model::error::Error;
use installsift_model::{Check, EntryInfo, EntryKind, Evidence, Format};
use serde::Serialize;
use sha1::{Digest, Sha1};

/// The cookie at the end of an installer or maintenance tool binary.
pub const COOKIE: u64 = 0xc263_0a1c_99d6_68f8;
/// The cookie at the end of a maintenance tool's separate `.dat` file.
pub const COOKIE_DAT: u64 = 0xc263_0a1c_99d6_68f9;

/// The installer marker (`BinaryContent::MagicInstallerMarker`).
pub const MARKER_INSTALLER: u64 = 0x1202_3233;
/// The uninstaller (maintenance tool) marker.
pub const MARKER_UNINSTALLER: u64 = 0x1202_3234;
/// The updater marker.
pub const MARKER_UPDATER: u64 = 0x1202_3235;
/// The package manager marker.
pub const MARKER_PACKAGE_MANAGER: u64 = 0x1202_3236;

/// How far from the end Qt IFW searches for the cookie (1 MiB).
const COOKIE_SEARCH: usize = 1 << 20;

/// Longest resource or collection name kept (bytes; longer ones are an
/// error: Qt IFW writes file and component names).
pub const MAX_NAME: u64 = 4096;

/// Qt Installer Framework binary content facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct QtIfwInfo {
    /// What the marker names: `installer`, `uninstaller`, `updater`,
    /// `package-manager`, or `unknown` (with the value in `marker_value`).
    pub marker: &'static str,
    /// The marker as read (absent when the trailer was not found).
    pub marker_value: Option<u64>,
    /// `binary` (cookie `…f8`: executable and data) or `data` (`…f9`: a
    /// maintenance tool's `.dat` file); absent when the trailer was not found.
    pub cookie: Option<&'static str>,
    /// Offset of the binary content in the data (the end of the executable).
    pub content_offset: Option<u64>,
    /// Size of the binary content as the trailer gives it.
    pub content_size: Option<u64>,
    /// Meta resources (`.rcc` files).
    pub meta_resources: u64,
    /// Operations recorded (a maintenance tool's).
    pub operations: u64,
    /// Resource collections (components) in the index.
    pub components: u64,
    /// Resources (archives and their `.sha1` files) in all components.
    pub resources: u64,
    /// Archives whose `.sha1` sibling matched their bytes.
    pub sha1_verified: u64,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "qtifw",
    format: Format::QtIfw,
    sniff,
    open,
};

fn u64_at(data: &[u8], at: u64) -> Option<u64> {
    let at = usize::try_from(at).ok()?;
    let b = data.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(b.try_into().ok()?))
}

/// The offset of the cookie when it ends the data (before at most 7 zero
/// bytes of alignment).
fn cookie_at_end(data: &[u8]) -> Option<usize> {
    let pad = data.iter().rev().take(8).take_while(|&&b| b == 0).count();
    let end = data.len().checked_sub(pad)?;
    let at = end.checked_sub(8)?;
    let v = u64::from_le_bytes(data.get(at..end)?.try_into().ok()?);
    (v == COOKIE || v == COOKIE_DAT).then_some(at)
}

/// The cookie ends the data, or the data starts with a Qt resource file
/// that more data follows (binary content cut short before its trailer).
pub fn sniff(data: &[u8]) -> bool {
    if let Some(at) = cookie_at_end(data) {
        // The marker before it names one of the four kinds.
        return at
            .checked_sub(8)
            .and_then(|m| u64_at(data, m as u64))
            .is_some_and(|m| (MARKER_INSTALLER..=MARKER_PACKAGE_MANAGER).contains(&m));
    }
    rcc::sniff(data) && rcc::extent(data).is_some_and(|e| e < data.len())
}

/// One planned child.
struct Planned {
    name: String,
    info: EntryInfo,
    data: Result<(usize, usize), Error>,
}

/// The walk over the resource collections.
struct Walk<'a> {
    data: &'a [u8],
    /// Children decided from the trailer (meta resources, the executable).
    planned: std::collections::VecDeque<Planned>,
    /// The end of the executable: ranges are relative to it.
    base: u64,
    /// The end of the binary content (after the cookie).
    end: u64,
    /// The next collection index record, and how many remain.
    index_at: u64,
    index_left: u64,
    /// The current collection: its name, next resource record, how many remain.
    collection: String,
    res_at: u64,
    res_left: u64,
    done: bool,
    info: QtIfwInfo,
}

fn marker_name(m: u64) -> &'static str {
    match m {
        MARKER_INSTALLER => "installer",
        MARKER_UNINSTALLER => "uninstaller",
        MARKER_UPDATER => "updater",
        MARKER_PACKAGE_MANAGER => "package-manager",
        _ => "unknown",
    }
}

/// Open Qt IFW binary content.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let mut walk = Walk {
        data,
        planned: Default::default(),
        base: 0,
        end: 0,
        index_at: 0,
        index_left: 0,
        collection: String::new(),
        res_at: 0,
        res_left: 0,
        done: true,
        info: QtIfwInfo {
            marker: "unknown",
            ..QtIfwInfo::default()
        },
    };
    let window = usize::try_from(opts.limits.max_search_window)
        .unwrap_or(usize::MAX)
        .clamp(64, COOKIE_SEARCH);
    let found = cookie_at_end(data).or_else(|| find_cookie(data, window));
    match found {
        Some(at) => {
            if let Err(e) = walk.trailer(at as u64, notes) {
                notes.error(e);
            }
        }
        None => walk.cut_short(window, notes),
    }
    Opened::Container(Box::new(walk))
}

/// The last cookie in the last `window` bytes (Qt IFW's backward search).
fn find_cookie(data: &[u8], window: usize) -> Option<usize> {
    let from = data.len().saturating_sub(window);
    let tail = data.get(from..)?;
    let a = COOKIE.to_le_bytes();
    let b = COOKIE_DAT.to_le_bytes();
    tail.windows(8)
        .rposition(|w| w == a || w == b)
        .and_then(|p| from.checked_add(p))
}

impl Walk<'_> {
    fn len(&self) -> u64 {
        self.data.len() as u64
    }

    /// An `i64` of the layout at `at`, or a truncation error naming `what`.
    fn num(&self, at: u64, what: &str) -> Result<u64, Error> {
        u64_at(self.data, at).ok_or_else(|| {
            Error::truncated(format!(
                "Qt IFW {what} at offset {at} runs past the end of the data ({} bytes)",
                self.len()
            ))
            .at(at)
        })
    }

    /// A range (start, length) stored at `at`, made absolute and checked to
    /// lie within the binary content.
    fn range(&self, at: u64, what: &str) -> Result<(u64, u64), Error> {
        let start = self.num(at, what)?;
        let len = self.num(at + 8, what)?;
        let abs = self.base.checked_add(start);
        match abs.and_then(|a| a.checked_add(len).map(|e| (a, e))) {
            Some((a, e)) if e <= self.end => Ok((a, len)),
            _ => Err(Error::malformed(format!(
                "Qt IFW {what} (range at offset {at}): start {start} + length {len} after the executable's end at {} lies past the binary content's end at {}",
                self.base, self.end
            ))
            .at(at)),
        }
    }

    /// A byte array (i64 length, bytes) at `at`: its text and the offset after it.
    fn name(&self, at: u64, what: &str) -> Result<(String, u64), Error> {
        let n = self.num(at, what)?;
        if n > MAX_NAME {
            return Err(Error::malformed(format!(
                "Qt IFW {what} at offset {at}: a {n}-byte name (longest read: {MAX_NAME})"
            ))
            .at(at));
        }
        let from = at + 8;
        let to = from + n;
        let bytes = usize::try_from(from)
            .ok()
            .zip(usize::try_from(to).ok())
            .and_then(|(a, b)| self.data.get(a..b))
            .ok_or_else(|| {
                Error::truncated(format!(
                    "Qt IFW {what} at offset {at}: its {n}-byte name runs past the end of the data"
                ))
                .at(at)
            })?;
        Ok((String::from_utf8_lossy(bytes).into_owned(), to))
    }

    /// Read the trailer ending with the cookie at `at`, plan the meta
    /// resources, count the operations and position the collection walk.
    fn trailer(&mut self, at: u64, notes: &mut Notes) -> Result<(), Error> {
        let cookie = self.num(at, "cookie")?;
        self.info.cookie = Some(if cookie == COOKIE { "binary" } else { "data" });
        self.end = at + 8;
        if self.end < self.len() && cookie_at_end(self.data).is_none() {
            notes.error(
                Error::malformed(format!(
                    "Qt IFW magic cookie at offset {at} is followed by {} bytes that are not binary content",
                    self.len() - self.end
                ))
                .at(self.end),
            );
        }
        let layout_at = |k: u64| self.end.checked_sub(k);
        let trunc = |what: &str| {
            Error::truncated(format!(
                "Qt IFW trailer ending at offset {}: the data starts before its {what}",
                self.end
            ))
            .at(0)
        };
        let marker = self.num(layout_at(16).ok_or_else(|| trunc("marker"))?, "marker")?;
        self.info.marker_value = Some(marker);
        self.info.marker = marker_name(marker);
        notes.evidence(Evidence::strong(
            "qt-ifw-cookie",
            format!(
                "Qt IFW magic cookie {cookie:#x} at offset {at}, marker {marker:#x} ({})",
                self.info.marker
            ),
            Some(at),
        ));
        if self.info.marker == "unknown" {
            notes.error(
                Error::malformed(format!(
                    "Qt IFW marker {marker:#x} at offset {} is none of installer, uninstaller, updater, package manager",
                    at - 8
                ))
                .at(at - 8),
            );
        }
        let size_at = layout_at(24).ok_or_else(|| trunc("content size"))?;
        let size = self.num(size_at, "binary content size")?;
        self.base = self.end.checked_sub(size).ok_or_else(|| {
            Error::truncated(format!(
                "Qt IFW binary content size {size} (at offset {size_at}) reaches before the start of the data: the data ends at {}",
                self.end
            ))
            .at(size_at)
        })?;
        self.info.content_offset = Some(self.base);
        self.info.content_size = Some(size);
        let count_at = layout_at(32).ok_or_else(|| trunc("meta resource count"))?;
        let count = self.num(count_at, "meta resource count")?;
        // The index range, `count` ranges and the operations range precede it.
        let room = count_at.checked_sub(self.base).ok_or_else(|| {
            Error::malformed(format!(
                "Qt IFW binary content size {size} (at offset {size_at}) is smaller than its trailer"
            ))
            .at(size_at)
        })? / 16;
        if count > room.saturating_sub(2) {
            return Err(Error::malformed(format!(
                "Qt IFW meta resource count {count} (at offset {count_at}) needs more trailer than the binary content holds"
            ))
            .at(count_at));
        }
        self.info.meta_resources = count;
        let index_range_at = count_at - 16 * (count + 2);
        if self.base > 0 {
            // The executable is part of the data (an installer scanned whole).
            self.planned.push_back(Planned {
                name: "[installerbase]".into(),
                info: EntryInfo::new(EntryKind::File).at(0),
                data: Ok((0, self.base as usize)),
            });
        }
        for i in 0..count {
            let r_at = index_range_at + 16 + 16 * i;
            let name = format!("[meta-resource-{i}]");
            let data = self
                .range(r_at, &format!("meta resource {i}"))
                .map(|(a, l)| (a as usize, l as usize));
            let offset = data.as_ref().map(|d| d.0 as u64).unwrap_or(r_at);
            self.planned.push_back(Planned {
                name,
                info: EntryInfo::new(EntryKind::File).at(offset),
                data,
            });
        }
        let ops_at = count_at - 16;
        match self.range(ops_at, "operations segment") {
            Ok((a, l)) => self.operations(a, l, notes),
            Err(e) => notes.error(e),
        }
        let (idx, idx_len) = self.range(index_range_at, "collection index")?;
        let n = self.num(idx, "collection count")?;
        // Each record holds at least a name length and a range.
        if n > idx_len / 24 {
            return Err(Error::malformed(format!(
                "Qt IFW collection count {n} (at offset {idx}) does not fit the {idx_len}-byte index"
            ))
            .at(idx));
        }
        self.index_at = idx + 8;
        self.index_left = n;
        self.done = false;
        Ok(())
    }

    /// Count the operations (a maintenance tool's performed ones).
    fn operations(&mut self, at: u64, len: u64, notes: &mut Notes) {
        if len == 0 {
            return;
        }
        let end = at + len;
        let mut read = || -> Result<(), Error> {
            let n = self.num(at, "operation count")?;
            let mut p = at + 8;
            for i in 0..n {
                if p >= end {
                    return Err(Error::malformed(format!(
                        "Qt IFW operation {i} of {n} at offset {p} lies past the operations segment's end at {end}"
                    ))
                    .at(p));
                }
                for what in ["operation name", "operation XML"] {
                    let s = self.num(p, what)?;
                    p = p
                        .checked_add(8)
                        .and_then(|q| q.checked_add(s))
                        .filter(|&q| q <= end)
                        .ok_or_else(|| {
                            Error::malformed(format!(
                                "Qt IFW {what} {i} at offset {p}: {s} bytes run past the operations segment's end at {end}"
                            ))
                            .at(p)
                        })?;
                }
                self.info.operations += 1;
            }
            Ok(())
        };
        if let Err(e) = read() {
            notes.error(e);
        }
    }

    /// No cookie: data cut short before its trailer. The first meta
    /// resource is listed by its own structure.
    fn cut_short(&mut self, window: usize, notes: &mut Notes) {
        let extent = rcc::extent(self.data);
        notes.error(
            Error::truncated(format!(
                "no Qt IFW magic cookie in the last {} bytes: the binary content was cut short{}; its components were not read",
                window.min(self.data.len()),
                match extent {
                    Some(e) => format!(" after its first meta resource (ends at offset {e})"),
                    None => String::new(),
                }
            ))
            .at(self.len()),
        );
        if let Some(e) = extent {
            notes.evidence(Evidence::strong(
                "qt-ifw-meta-resource",
                format!("Qt resource file of {e} bytes at offset 0, more data after it"),
                Some(0),
            ));
            self.info.meta_resources = 1;
            self.planned.push_back(Planned {
                name: "[meta-resource-0]".into(),
                info: EntryInfo::new(EntryKind::File).at(0),
                data: Ok((0, e)),
            });
        }
    }

    /// The next resource of the collection walk.
    fn step(&mut self, notes: &mut Notes) -> Option<Planned> {
        loop {
            if self.res_left == 0 {
                if self.index_left == 0 {
                    self.done = true;
                    return None;
                }
                match self.next_collection() {
                    Ok(()) => continue,
                    Err(e) => {
                        self.done = true;
                        notes.error(e);
                        return None;
                    }
                }
            }
            return match self.next_resource() {
                Ok(p) => Some(p),
                Err(e) => {
                    // The collection's table is damaged: the next collection
                    // may still read.
                    self.res_left = 0;
                    notes.error(e);
                    continue;
                }
            };
        }
    }

    fn next_collection(&mut self) -> Result<(), Error> {
        self.index_left -= 1;
        let at = self.index_at;
        let (name, after) = self.name(at, "collection name")?;
        let (seg, seg_len) = self.range(after, &format!("collection `{name}`"))?;
        self.index_at = after + 16;
        let n = self.num(seg, &format!("collection `{name}` resource count"))?;
        if n > seg_len / 24 {
            return Err(Error::malformed(format!(
                "Qt IFW collection `{name}`: resource count {n} (at offset {seg}) does not fit its {seg_len}-byte segment"
            ))
            .at(seg));
        }
        self.info.components += 1;
        self.collection = name;
        self.res_at = seg + 8;
        self.res_left = n;
        Ok(())
    }

    /// One resource record: (name, absolute start, length, the offset
    /// after the record).
    fn record(&self, at: u64) -> Result<(String, u64, u64, u64), Error> {
        let what = format!("collection `{}` resource record", self.collection);
        let (name, after) = self.name(at, &what)?;
        let (a, l) = self.range(after, &format!("resource `{}/{name}`", self.collection))?;
        Ok((name, a, l, after + 16))
    }

    fn next_resource(&mut self) -> Result<Planned, Error> {
        self.res_left -= 1;
        let at = self.res_at;
        let (name, a, l, next) = self.record(at)?;
        self.res_at = next;
        self.info.resources += 1;
        let full = format!("{}/{}", self.collection, name);
        let mut info = EntryInfo::new(EntryKind::File).at(a);
        let bytes = self.slice(a, l);
        // The `.sha1` sibling that follows an archive (repositorygen.cpp).
        if self.res_left > 0 {
            if let Ok((sname, sa, sl, _)) = self.record(self.res_at) {
                if sname.strip_suffix(".sha1") == Some(name.as_str()) {
                    let want = self.slice(sa, sl);
                    let got = hex(&Sha1::digest(bytes));
                    let want = String::from_utf8_lossy(want);
                    if want.trim().eq_ignore_ascii_case(&got) {
                        self.info.sha1_verified += 1;
                        info.add_verified(Check::QtIfwSha1);
                    } else {
                        info.add_error(
                            Error::checksum(format!(
                                "Qt IFW `{full}`: its `.sha1` sibling says {}, the archive's SHA-1 is {got}",
                                want.trim()
                            ))
                            .at(a),
                        );
                    }
                }
            }
        }
        Ok(Planned {
            name: crate::stream::member_path(full),
            info,
            data: Ok((a as usize, l as usize)),
        })
    }

    fn slice(&self, a: u64, l: u64) -> &[u8] {
        let a = a as usize;
        a.checked_add(l as usize)
            .and_then(|e| self.data.get(a..e))
            .unwrap_or(&[])
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Container for Walk<'_> {
    fn next_entry(&mut self, notes: &mut Notes) -> Option<Entry<'_>> {
        let p = match self.planned.pop_front() {
            Some(p) => p,
            None if self.done => return None,
            None => self.step(notes)?,
        };
        let data = match p.data {
            Ok((a, l)) => Data::Slice(
                a.checked_add(l)
                    .and_then(|e| self.data.get(a..e))
                    .unwrap_or(&[]),
            ),
            Err(error) => Data::Missing { size: 0, error },
        };
        Some(Entry {
            name: p.name,
            info: p.info,
            data,
        })
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        Parsed {
            format: Format::QtIfw,
            metadata: Some(Metadata::QtIfw(Box::new(self.info))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{list, Listed};
    use crate::test_support::sample;

    fn names(l: &crate::container::Listing) -> Vec<&str> {
        l.entries.iter().map(|(n, _, _)| n.as_str()).collect()
    }

    /// The offset of the binary content in `qtifw/two.exe`: the PE's overlay.
    fn content(data: &[u8]) -> &[u8] {
        let at = data
            .windows(8)
            .position(|w| w == b"qres\0\0\0\x01")
            .expect("rcc");
        &data[at..]
    }

    #[test]
    fn listing_without_the_engine() {
        let exe = sample("qtifw/two.exe").expect("sample");
        let data = content(&exe);
        assert!(sniff(data));
        assert!(!sniff(&exe[..exe.len() - 1]));
        let l = list(open, data, &Default::default(), 100);
        assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
        assert_eq!(
            names(&l),
            [
                "[meta-resource-0]",
                "componentA/1.0.0content.7z",
                "componentA/1.0.0content.7z.sha1",
                "componentB/1.0.0content.7z",
                "componentB/1.0.0content.7z.sha1",
            ]
        );
        for (n, info, d) in &l.entries {
            assert!(matches!(d, Listed::Slice { .. }), "{n}");
            let want: &[Check] = if n.ends_with(".7z") {
                &[Check::QtIfwSha1]
            } else {
                &[]
            };
            assert_eq!(info.verified_by, want, "{n}");
        }
        // The meta resource is a Qt resource file, the archives 7z.
        let Listed::Slice { at, len } = l.entries[0].2 else {
            panic!()
        };
        assert!(rcc::sniff(&data[at..at + len]));
        assert_eq!(rcc::extent(&data[at..at + len]), Some(len));
        match &l.parsed.metadata {
            Some(Metadata::QtIfw(i)) => {
                assert_eq!(i.marker, "installer");
                assert_eq!(i.cookie, Some("binary"));
                assert_eq!(i.content_offset, Some(0));
                assert_eq!(i.content_size, Some(data.len() as u64));
                assert_eq!((i.meta_resources, i.components, i.resources), (1, 2, 4));
                assert_eq!((i.operations, i.sha1_verified), (0, 2));
            }
            other => panic!("{other:?}"),
        }
        let stopped = list(open, data, &Default::default(), 1);
        assert!(stopped.notes.errors.is_empty());
    }

    #[test]
    fn an_installer_scanned_whole_lists_its_executable() {
        let data = sample("qtifw/two_linux").expect("sample");
        assert!(sniff(&data));
        let l = list(open, &data, &Default::default(), 100);
        assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
        assert_eq!(l.entries[0].0, "[installerbase]");
        let Listed::Slice { at, len } = l.entries[0].2 else {
            panic!()
        };
        assert_eq!(at, 0);
        assert!(data[..len].starts_with(b"\x7fELF"));
        assert!(data[len..].starts_with(b"qres"));
        assert_eq!(l.entries.len(), 6);
    }

    #[test]
    fn a_sha1_mismatch_keeps_the_bytes() {
        let exe = sample("qtifw/two.exe").expect("sample");
        let mut data = content(&exe).to_vec();
        // The first hex digit of componentA's `.sha1` resource.
        let l = list(open, &data, &Default::default(), 100);
        let Listed::Slice { at, .. } = l.entries[2].2 else {
            panic!()
        };
        data[at] = if data[at] == b'0' { b'1' } else { b'0' };
        let l = list(open, &data, &Default::default(), 100);
        let (n, info, d) = &l.entries[1];
        assert_eq!(n, "componentA/1.0.0content.7z");
        assert!(matches!(d, Listed::Slice { .. }));
        assert!(info.verified_by.is_empty());
        assert_eq!(info.errors.len(), 1);
        assert_eq!(info.errors[0].kind(), "checksum");
        assert_eq!(l.entries[3].1.verified_by, [Check::QtIfwSha1]);
    }

    #[test]
    fn cut_short_keeps_the_meta_resource_and_says_so() {
        let exe = sample("qtifw/two.exe").expect("sample");
        let data = content(&exe);
        let cut = &data[..data.len() - 100];
        assert!(sniff(cut), "an rcc that more data follows");
        let l = list(open, cut, &Default::default(), 100);
        assert_eq!(names(&l), ["[meta-resource-0]"]);
        assert_eq!(l.notes.errors.len(), 1);
        let e = &l.notes.errors[0];
        assert_eq!(e.kind(), "truncated");
        assert!(e.to_string().contains("cut short"), "{e}");
        match &l.parsed.metadata {
            Some(Metadata::QtIfw(i)) => assert_eq!(i.marker_value, None),
            other => panic!("{other:?}"),
        }
        // A standalone resource file is no installer data.
        let Listed::Slice { len, .. } = l.entries[0].2 else {
            panic!()
        };
        assert!(!sniff(&data[..len]));
    }

    /// Corrupt one `i64` of the trailer (counted back from the cookie).
    fn with_trailer(data: &[u8], back: usize, v: u64) -> Vec<u8> {
        let mut d = data.to_vec();
        let at = d.len() - 8 - back;
        d[at..at + 8].copy_from_slice(&v.to_le_bytes());
        d
    }

    #[test]
    fn damaged_trailers_are_errors_with_offsets() {
        let exe = sample("qtifw/two.exe").expect("sample");
        let data = content(&exe);
        let n = data.len() as u64;
        for (back, v, kind, what) in [
            // Content size past the start of the data.
            (16, n + 1, "truncated", "reaches before the start"),
            // Content size smaller than the trailer.
            (16, 8, "malformed", "smaller than its trailer"),
            // A meta resource count no trailer could hold.
            (24, 1 << 60, "malformed", "meta resource count"),
            // The index range (4 + 1 + 1 ranges back) pointing past the end.
            (24 + 16 * 3, n, "malformed", "collection index"),
        ] {
            let d = with_trailer(data, back, v);
            let l = list(open, &d, &Default::default(), 100);
            let e = l
                .notes
                .errors
                .iter()
                .find(|e| e.to_string().contains(what))
                .unwrap_or_else(|| panic!("{what}: {:?}", l.notes.errors));
            assert_eq!(e.kind(), kind, "{e}");
            assert!(e.offset().is_some(), "{e}");
            // The family's structure was still recognised.
            assert!(l.notes.evidence.iter().any(|e| e.signal == "qt-ifw-cookie"));
        }
        // An unknown marker: listed, with an error.
        let d = with_trailer(data, 8, 0x1202_3299);
        let l = list(open, &d, &Default::default(), 100);
        assert_eq!(l.entries.len(), 5);
        assert!(!sniff(&d));
        assert!(l.notes.errors[0].to_string().contains("marker"));
    }

    #[test]
    fn a_collection_count_past_its_index_is_malformed() {
        let exe = sample("qtifw/two.exe").expect("sample");
        let data = content(&exe);
        // The index range is the first of the trailer's ranges.
        let d = data.len();
        let at = d - 8 * 8 - 16;
        let start = u64::from_le_bytes(data[at..at + 8].try_into().unwrap()) as usize;
        let mut bad = data.to_vec();
        bad[start..start + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        let l = list(open, &bad, &Default::default(), 100);
        assert_eq!(names(&l), ["[meta-resource-0]"]);
        assert!(l.notes.errors[0].to_string().contains("collection count"));
    }

    #[test]
    fn hostile_bytes_do_not_panic() {
        let exe = sample("qtifw/two.exe").expect("sample");
        let data = content(&exe);
        // Every byte of the trailer and index set to 0xFF in turn.
        for i in data.len().saturating_sub(300)..data.len() {
            let mut d = data.to_vec();
            d[i] = 0xFF;
            let _ = list(open, &d, &Default::default(), 100);
        }
        for cut in [0, 1, 8, 16, 24, 100, 1000] {
            let _ = list(open, &data[..cut.min(data.len())], &Default::default(), 100);
        }
    }
}
