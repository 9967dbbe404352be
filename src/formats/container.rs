//! The protocol between a format and the engine: **a format opens bytes and
//! yields entries; the engine pulls them.**
//!
//! A format's `open(bytes, options, notes)` reads what it needs to decide
//! what the bytes are and returns an [`Opened`]: either the node is parsed
//! ([`Opened::Leaf`]: a document, a trailer-only image) or it is a
//! [`Container`] whose entries the engine pulls one at a time with
//! [`Container::next_entry`], then asks for the conclusion with
//! [`Container::finish`]. Problems, evidence and checks of the node's own
//! bytes go into the [`Notes`] the engine passes in each call; the engine
//! moves them onto the node after every call, so their order with its own
//! errors (limits) is the order things happened.
//!
//! What a container never does: recurse into an entry, hash an entry, or
//! check depth, entry-count, entry-size, ratio or budget limits. The engine
//! does all of that, uniformly, for every format, in its one walk: when a
//! limit stops a container, the engine simply stops pulling and calls
//! `finish` with [`End::Stopped`]. A format therefore cannot forget a limit.
//! What a container does check is its own structure, within the
//! parser-internal bounds its [`Options`] carry (table rows, search windows,
//! document sizes), and every checksum the format carries for an entry
//! (recorded on the entry's [`EntryInfo`]).
//!
//! Nothing here knows the engine: the module depends on the vocabulary
//! (`report`, `error`, `limits`) alone, and a parser can be run, unit-tested,
//! fuzzed or benchmarked with [`list`], without a scan.

use super::Parsed;
use crate::error::Error;
use crate::limits::Limits;
use crate::report::{Check, EntryInfo, Evidence};
use std::io::Read;

/// What a parser says about its own node, outside its entries. The engine
/// drains it after each call into the parser.
#[derive(Debug, Default)]
pub struct Notes {
    /// Why the format, and what was read (strong only for structure read).
    pub evidence: Vec<Evidence>,
    /// Problems with the node's own structure, in the order met.
    pub errors: Vec<Error>,
    /// Checks the format carries that matched the node's own bytes.
    pub verified: Vec<Check>,
}

impl Notes {
    /// Record an error on the node.
    pub fn error(&mut self, e: Error) {
        self.errors.push(e);
    }

    /// Record evidence on the node.
    pub fn evidence(&mut self, e: Evidence) {
        self.evidence.push(e);
    }

    /// Record a check that matched the node's own bytes.
    pub fn verified(&mut self, c: Check) {
        self.verified.push(c);
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.evidence.is_empty() && self.errors.is_empty() && self.verified.is_empty()
    }
}

/// What a parser may read besides the bytes: the parser-internal bounds.
/// (The entry, depth, ratio and budget limits among [`Limits`] are the
/// engine's; a parser reads only the bounds on its own structures, such as
/// `max_document_size`, `max_table_rows` or `overlay_search_window`.)
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The scan's limits.
    pub limits: &'a Limits,
}

/// An entry's content, as the container can give it. `'a` is the life of
/// the bytes being parsed, `'s` that of the container's borrow while the
/// engine reads the entry (a decoder may use the container's state).
pub enum Data<'a, 's> {
    /// A region of the container's bytes (a stored entry, an overlay, a
    /// resource). The engine hashes it and may open it; regions that
    /// overlap one already handed out are not opened twice.
    Slice(&'a [u8]),
    /// Bytes a decoder produces. The engine reads them within its limits
    /// (entry size, total unpacked, ratio against `stored`, buffering),
    /// hashing as they stream, stops past `declared`, and then tells the
    /// container how the read went ([`Container::entry_read`]) so it can
    /// check its own checksums. When the read fails the entry is reported
    /// missing with the size [`Container::failed_size`] gives (`declared`,
    /// else `stored`, else 0, unless the format says otherwise).
    Decode {
        /// The decoder.
        reader: Box<dyn Read + 's>,
        /// The size the format declares for the decoded entry.
        declared: Option<u64>,
        /// The size of its stored (compressed) data, for the ratio check.
        stored: Option<u64>,
    },
    /// The content cannot be had (encrypted, compressed by a method not
    /// decoded, cut short, damaged): reported with its declared size, no
    /// hash, and this error.
    Missing {
        /// Declared size.
        size: u64,
        /// Why it is missing.
        error: Error,
    },
    /// The same stored bytes as this container's earlier entry number `of`
    /// (counting from 0 in the order they were pulled): two cabinet files
    /// pointing at one range of a folder, as WiX and makecab store
    /// identical files once. The engine repeats that entry's hashes and
    /// verdict without reading or opening anything again, so repeating one
    /// range costs nothing per copy.
    Copy {
        /// Index of the earlier entry.
        of: usize,
    },
}

impl std::fmt::Debug for Data<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Data::Slice(b) => write!(f, "Slice({} bytes)", b.len()),
            Data::Decode {
                declared, stored, ..
            } => write!(f, "Decode {{ declared: {declared:?}, stored: {stored:?} }}"),
            Data::Missing { size, error } => write!(f, "Missing({size}, {error})"),
            Data::Copy { of } => write!(f, "Copy(of entry {of})"),
        }
    }
}

/// One entry of a container.
#[derive(Debug)]
pub struct Entry<'a, 's> {
    /// The name the container gives it (a path inside, `/`-separated).
    pub name: String,
    /// How it sits in the container, with the checks that vouched for its
    /// bytes ([`EntryInfo::verified`]) or failed ([`EntryInfo::with_error`]).
    pub info: EntryInfo,
    /// Its content.
    pub data: Data<'a, 's>,
}

/// How the engine's read of a [`Data::Decode`] entry went.
#[derive(Debug)]
pub struct Decoded<'r> {
    /// Bytes the decoder produced.
    pub size: u64,
    /// All of them, when the engine kept them whole (it keeps only the first
    /// bytes of a large entry that is no container).
    pub whole: Option<&'r [u8]>,
}

/// Why the engine called [`Container::finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// [`Container::next_entry`] returned `None`: the container was read
    /// to its end (or to the point its damage allowed).
    Exhausted,
    /// The engine stopped pulling (a limit); the container must not report
    /// what it did not reach as missing or damaged.
    Stopped,
}

/// A container being read: the engine pulls its entries.
pub trait Container<'a> {
    /// The next entry, or `None` when there are no more. Structural
    /// problems met on the way go to `notes`.
    fn next_entry<'s>(&'s mut self, notes: &mut Notes) -> Option<Entry<'a, 's>>;

    /// After the engine read a [`Data::Decode`] entry (the reader is
    /// dropped by then): the format checks what streamed against the
    /// checksums it carries (recorded on `info`), may put context on a
    /// read error, and may read the decoded bytes for its own metadata.
    fn entry_read(
        &mut self,
        _read: Result<Decoded<'_>, &mut Error>,
        _info: &mut EntryInfo,
        _notes: &mut Notes,
    ) {
    }

    /// The size to report for a [`Data::Decode`] entry whose read failed
    /// (asked after [`Container::entry_read`]): by default the declared
    /// size, else the stored size, else 0. A format whose blocks declare
    /// only their compressed size (NSIS's non-solid data) says 0 rather
    /// than report the stored size as the entry's.
    fn failed_size(&self, declared: Option<u64>, stored: Option<u64>) -> u64 {
        declared.or(stored).unwrap_or(0)
    }

    /// The conclusion once the engine is done pulling: the final format
    /// and the metadata, with any last notes (an archive without its end
    /// record, say, when `end` is [`End::Exhausted`]).
    fn finish(self: Box<Self>, end: End, notes: &mut Notes) -> Parsed;
}

/// What `open` made of the bytes.
// Returned once per node and consumed at once: boxing the leaf would buy
// nothing.
#[allow(clippy::large_enum_variant)]
pub enum Opened<'a> {
    /// Parsed whole; no entries.
    Leaf(Parsed),
    /// A container to pull entries from.
    Container(Box<dyn Container<'a> + 'a>),
}

/// A format's entry point: the bytes, the options, the notes for the node.
pub type OpenFn = for<'a> fn(&'a [u8], &Options<'_>, &mut Notes) -> Opened<'a>;

/// An entry as [`list`] keeps it.
#[derive(Debug)]
pub enum Listed<'a> {
    /// A region of the input.
    Slice(&'a [u8]),
    /// Decoded bytes (at most the `max_entry_size` limit).
    Decoded(Result<Vec<u8>, Error>),
    /// Not available.
    Missing {
        /// Declared size.
        size: u64,
        /// Why.
        error: Error,
    },
    /// The same bytes as the listing's entry at this index.
    Copy(usize),
}

/// Everything a parser produced, pulled to the end without an engine: for
/// unit tests, fuzz targets and benchmarks of one parser.
#[derive(Debug)]
pub struct Listing<'a> {
    /// Entries in the order the container gave them, with their content.
    pub entries: Vec<(String, EntryInfo, Listed<'a>)>,
    /// The conclusion.
    pub parsed: Parsed,
    /// Evidence, errors and checks of the node.
    pub notes: Notes,
}

/// Open `data` with `open` and pull every entry, at most `max_entries`
/// (then the container is finished as [`End::Stopped`], as the engine
/// would). Decoded entries are read whole, each at most
/// `limits.max_entry_size` bytes (more is an error, as in a scan).
pub fn list<'a>(open: OpenFn, data: &'a [u8], limits: &Limits, max_entries: usize) -> Listing<'a> {
    let mut notes = Notes::default();
    let opts = Options { limits };
    let (entries, parsed) = match open(data, &opts, &mut notes) {
        Opened::Leaf(p) => (Vec::new(), p),
        Opened::Container(mut c) => {
            let mut entries = Vec::new();
            let mut end = End::Exhausted;
            loop {
                if entries.len() >= max_entries {
                    end = End::Stopped;
                    break;
                }
                let Some(Entry {
                    name,
                    mut info,
                    data,
                }) = c.next_entry(&mut notes)
                else {
                    break;
                };
                let listed = match read_whole(data, limits.max_entry_size) {
                    Ok(l) => l,
                    Err(mut r) => {
                        let outcome = match &mut r {
                            Ok(b) => Ok(Decoded {
                                size: b.len() as u64,
                                whole: Some(b.as_slice()),
                            }),
                            Err(e) => Err(e),
                        };
                        c.entry_read(outcome, &mut info, &mut notes);
                        Listed::Decoded(r)
                    }
                };
                entries.push((name, info, listed));
            }
            let p = c.finish(end, &mut notes);
            (entries, p)
        }
    };
    Listing {
        entries,
        parsed,
        notes,
    }
}

/// An entry's data as [`list`] keeps it, or, for a decoded entry, what its
/// decoder gave (at most `max` bytes; the decoder is dropped here).
#[allow(clippy::type_complexity)]
fn read_whole<'a>(data: Data<'a, '_>, max: u64) -> Result<Listed<'a>, Result<Vec<u8>, Error>> {
    match data {
        Data::Slice(b) => Ok(Listed::Slice(b)),
        Data::Missing { size, error } => Ok(Listed::Missing { size, error }),
        Data::Copy { of } => Ok(Listed::Copy(of)),
        Data::Decode { reader, .. } => {
            let mut out = Vec::new();
            let mut reader = reader.take(max.saturating_add(1));
            let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                reader.read_to_end(&mut out)
            }))
            .unwrap_or_else(|_| Err(std::io::Error::other("the decoder panicked")));
            Err(match read {
                Err(e) => Err(Error::malformed(format!("decoding: {e}"))),
                Ok(_) if out.len() as u64 > max => Err(Error::limit(
                    "max_entry_size",
                    format!("decodes past {max} bytes"),
                )),
                Ok(_) => Ok(out),
            })
        }
    }
}
