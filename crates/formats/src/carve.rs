//! Carving: cabinets, zip and 7z archives appended to or embedded in data
//! that is no format of ours (a PNG with a cabinet after it, a zip behind
//! a shell-script stub, as makeself/shar-style installers and 7-Zip's
//! signature search find them).
//!
//! The engine runs this "parser" only on a node that no handler sniffed
//! and that it may open (within `max_depth`, not a region already opened):
//! a file already opened as a container is never carved. Each carved
//! region is a child of entry kind `carved`, named `[carved@OFFSET]`, whose
//! bytes are the region.
//!
//! - The search looks for the magics of a cabinet (`MSCF`), a zip local
//!   header and a 7z signature whose format's sniff accepts the bytes there,
//!   within [`Limits::max_search_window`] bytes of the start, and again
//!   within that window after the end of each region found.
//! - A region ends where its own headers say (cabinet size, 7z start header
//!   with a valid CRC, zip end of central directory), else at the end of the
//!   data; regions never overlap, and the search never looks inside one.
//! - The node keeps its format (`unknown`): carving adds children, it does
//!   not say what the rest of the bytes are.
//!
//! [`Limits::max_search_window`]: installsift_model::Limits::max_search_window

use super::container::{Container, Data, End, Entry, Notes, Opened, Options};
use super::{carved_len, find_embedded, Parsed};
use installsift_model::{EntryInfo, EntryKind, Evidence, Format};

/// The formats carved (7-Zip's signature search finds these in any file).
const CARVED: &[Format] = &[Format::Cab, Format::Zip, Format::SevenZ, Format::Arj];

/// Carve `data` (a node of no known format).
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, _notes: &mut Notes) -> Opened<'a> {
    Opened::Container(Box::new(Carve {
        data,
        at: 0,
        window: opts.limits.max_search_window,
    }))
}

/// The next carvable container at or after `from` within `window` bytes:
/// its offset and format.
fn next(data: &[u8], from: usize, window: u64) -> Option<(usize, Format)> {
    let mut at = from;
    loop {
        let rest = data.get(at..)?;
        let limit = window.saturating_sub((at - from) as u64);
        if limit == 0 {
            return None;
        }
        let (k, f) = find_embedded(rest, limit)?;
        if CARVED.contains(&f) {
            return Some((at + k, f));
        }
        at = at + k + 1;
    }
}

struct Carve<'a> {
    data: &'a [u8],
    /// Where the search goes on.
    at: usize,
    window: u64,
}

impl Container for Carve<'_> {
    fn next_entry(&mut self, notes: &mut Notes) -> Option<Entry<'_>> {
        let (start, format) = next(self.data, self.at, self.window)?;
        let rest = self.data.get(start..)?;
        let len = carved_len(format, rest).unwrap_or(rest.len());
        let region = rest.get(..len)?;
        self.at = start + len.max(1);
        notes.evidence(Evidence::weak(
            "carved-container",
            format!(
                "{} ({len} bytes) at offset {start}, after data of no known format",
                format.as_str()
            ),
            Some(start as u64),
        ));
        Some(Entry {
            name: format!("[carved@{start}]"),
            info: EntryInfo::new(EntryKind::Carved).at(start as u64),
            data: Data::Slice(region),
        })
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        Parsed {
            format: Format::Unknown,
            metadata: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{list, Listed};
    use crate::test_support::sample;
    use installsift_model::Limits;

    #[test]
    fn listing_without_the_engine() {
        let png = sample("carve/rust_logo_cab.png").expect("sample");
        let l = list(open, &png, &Limits::default(), 10);
        assert_eq!(l.entries.len(), 1);
        let (name, info, listed) = &l.entries[0];
        let Listed::Slice { at, len } = listed else {
            panic!("{listed:?}")
        };
        assert_eq!(name, &format!("[carved@{at}]"));
        assert_eq!(info.kind, EntryKind::Carved);
        assert!(png[*at..].starts_with(b"MSCF"));
        assert_eq!(at + len, png.len());
        // Two containers one after the other: two regions, not overlapping.
        let mut two = png.clone();
        two.extend_from_slice(&png[*at..]);
        let l = list(open, &two, &Limits::default(), 10);
        let regions: Vec<(usize, usize)> = l
            .entries
            .iter()
            .map(|e| match e.2 {
                Listed::Slice { at, len } => (at, len),
                _ => panic!("slice"),
            })
            .collect();
        assert_eq!(regions, [(*at, *len), (at + len, *len)]);
        // Outside the window: not found.
        let limits = Limits {
            max_search_window: *at as u64,
            ..Limits::default()
        };
        assert!(list(open, &png, &limits, 10).entries.is_empty());
        // A shell stub and a zip.
        let sh = sample("carve/stub_zip.sh").expect("sample");
        let l = list(open, &sh, &Limits::default(), 10);
        assert_eq!(l.entries.len(), 1);
        assert!(l.notes.errors.is_empty());
        // Nothing to carve in plain text.
        assert!(list(open, b"just text\n", &Limits::default(), 10)
            .entries
            .is_empty());
    }
}
