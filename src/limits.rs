//! Every bound installsift puts on work driven by file contents, in one place.
//!
//! Hitting a limit never aborts a scan: the node where it happened gets a typed
//! [`Error::LimitExceeded`](crate::Error::LimitExceeded) naming the limit, keeps
//! what was parsed before, and the scan goes on.

use serde::Serialize;

/// Bounds on depth, sizes, counts and search windows. `Limits::default()` suits
/// a scan of a software share; tighten them for untrusted bulk input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Limits {
    /// Deepest nesting level that is opened: the input file is depth 0, an
    /// entry of it depth 1, and so on. A node at this depth is parsed and its
    /// entries are listed and hashed; a node deeper than this is hashed, its
    /// format sniffed, and not opened (verdict `unknown`, with a
    /// `max_depth` error saying so). `0` opens the input only.
    /// Default: 12.
    pub max_depth: u32,
    /// Largest single entry (decompressed) that is unpacked and hashed; a larger
    /// entry is reported with its declared size and a `max_entry_size` error.
    /// Default: 1 GiB.
    pub max_entry_size: u64,
    /// Bytes that may be decompressed in all, per top-level input, across every
    /// nesting level. Default: 8 GiB.
    pub max_total_unpacked: u64,
    /// Entries listed and unpacked from one container (archive, cabinet,
    /// compound file, PE resources). Default: 65,536.
    pub max_entries_per_container: u64,
    /// Nodes produced for one top-level input, all levels together.
    /// Default: 1,000,000.
    pub max_entries_per_input: u64,
    /// Largest decompressed/compressed size ratio accepted for one entry once
    /// it has produced more than [`ratio_floor`](Self::ratio_floor) bytes.
    /// Default: 1,000 (a zip of zeros reaches about 1,030).
    pub max_ratio: u64,
    /// Output size below which [`max_ratio`](Self::max_ratio) is not checked,
    /// so tiny well-compressed entries never trip it. Default: 1 MiB.
    pub ratio_floor: u64,
    /// Bytes searched for an embedded container signature (zip, 7z, cab, CFB)
    /// from the start of a PE overlay or other carve region; 7-Zip uses 8 MiB
    /// for SFX stubs. Default: 8 MiB.
    pub max_search_window: u64,
    /// Rows read from one MSI table and resources walked in one PE.
    /// Default: 1,000,000.
    pub max_table_rows: u64,
    /// Bytes of an XML or text document (installer manifests, Squirrel
    /// RELEASES) read for metadata; the rest is hashed, not read.
    /// Default: 4 MiB.
    pub max_document_size: u64,
    /// Largest decompressed entry kept in memory whole so that it can be
    /// opened as a container. A larger container is hashed as it streams,
    /// reported with its format and a `max_buffered_entry` error, and not
    /// opened; content that is no container is always streamed (only its
    /// first MiB is kept, for classification). Distinct from
    /// [`max_entry_size`](Self::max_entry_size), which bounds what is
    /// unpacked at all. Default: 256 MiB (a zipped 200 MB MSI is still
    /// opened; peak memory of a scan is about this plus the input's map).
    pub max_buffered_entry: u64,
    /// Times the same archive content (by SHA-256) is opened in one input;
    /// later copies are hashed and listed but not opened
    /// (`max_opens_per_content`). 42.zip repeats each level 16 times.
    /// Only formats that decompress count (not PE or compound files, whose
    /// repetition costs only their real size). A container holding its own
    /// bytes is never reopened.
    /// Default: 8.
    pub max_opens_per_content: u64,
    /// Bytes a xar table of contents (zlib-compressed XML) may decompress
    /// to; a larger TOC is not listed. Default: 16 MiB.
    pub max_toc_size: u64,
    /// Nesting depth of directory entries in a xar table of contents.
    /// Default: 256.
    pub max_toc_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 12,
            max_entry_size: 1 << 30,
            max_total_unpacked: 8 << 30,
            max_entries_per_container: 65_536,
            max_entries_per_input: 1_000_000,
            max_ratio: 1_000,
            ratio_floor: 1 << 20,
            max_search_window: 8 << 20,
            max_table_rows: 1_000_000,
            max_document_size: 4 << 20,
            max_buffered_entry: 256 << 20,
            max_opens_per_content: 8,
            max_toc_size: 16 << 20,
            max_toc_depth: 256,
        }
    }
}
