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

/// An entry's content, as the container can give it.
#[derive(Debug)]
pub enum Data<'a> {
    /// A region of the container's bytes (a stored entry, an overlay, a
    /// resource). The engine hashes it and may open it; regions that
    /// overlap one already handed out are not opened twice.
    Slice(&'a [u8]),
    /// The content cannot be had (encrypted, compressed by a method not
    /// decoded, cut short, damaged): reported with its declared size, no
    /// hash, and this error.
    Missing {
        /// Declared size.
        size: u64,
        /// Why it is missing.
        error: Error,
    },
}

/// One entry of a container.
#[derive(Debug)]
pub struct Entry<'a> {
    /// The name the container gives it (a path inside, `/`-separated).
    pub name: String,
    /// How it sits in the container, with the checks that vouched for its
    /// bytes ([`EntryInfo::verified`]) or failed ([`EntryInfo::with_error`]).
    pub info: EntryInfo,
    /// Its content.
    pub data: Data<'a>,
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
    fn next_entry(&mut self, notes: &mut Notes) -> Option<Entry<'a>>;

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

/// Everything a parser produced, pulled to the end without an engine: for
/// unit tests, fuzz targets and benchmarks of one parser.
#[derive(Debug)]
pub struct Listing<'a> {
    /// Entries in the order the container gave them.
    pub entries: Vec<Entry<'a>>,
    /// The conclusion.
    pub parsed: Parsed,
    /// Evidence, errors and checks of the node.
    pub notes: Notes,
}

/// Open `data` with `open` and pull every entry, at most `max_entries`
/// (then the container is finished as [`End::Stopped`], as the engine
/// would).
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
                match c.next_entry(&mut notes) {
                    Some(e) => entries.push(e),
                    None => break,
                }
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
