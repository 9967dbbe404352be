//! Every bound installsift puts on work driven by file contents, in one place.
//!
//! Hitting a limit never aborts a scan: the node where it happened gets a typed
//! [`Error::LimitExceeded`](crate::Error::LimitExceeded) naming the limit, keeps
//! what was parsed before, and the scan goes on.

use serde::Serialize;

/// Declares every limit once: the struct field with its documentation, its
/// type and default, the default as people read it, and one line of meaning.
/// From that one declaration come [`Limits`], its `Default`, the table
/// [`LIMITS`] (which the CLI turns into its `--max-…` options and the
/// README's table is checked against), and [`Limits::set`].
macro_rules! limits {
    ($( $(#[$doc:meta])* $name:ident ($variant:ident) : $ty:ident = $default:expr, $shown:literal, $meaning:literal; )*) => {
        /// Bounds on depth, sizes, counts and search windows. `Limits::default()`
        /// suits a scan of a software share; tighten them for untrusted bulk
        /// input. Every field is also a command-line option (`--` and the
        /// name in kebab case) and a row of the README's table ([`LIMITS`]).
        ///
        /// Build one from the defaults: `Limits { max_depth: 4,
        /// ..Limits::default() }`; a field added later then keeps its default.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        pub struct Limits {
            $( $(#[$doc])* pub $name: $ty, )*
        }

        impl Default for Limits {
            fn default() -> Self {
                Limits { $( $name: $default, )* }
            }
        }

        /// Which limit stopped the work ([`Error::LimitExceeded`](crate::Error::LimitExceeded)).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Limit {
            $( #[doc = concat!("`", stringify!($name), "`")] $variant, )*
        }

        impl Limit {
            /// The field name (`max_depth`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Limit::$variant => stringify!($name), )*
                }
            }
        }

        /// Every limit: its field name, its default as people read it, and
        /// what it bounds, in declaration order.
        pub const LIMITS: &[LimitInfo] = &[
            $( LimitInfo {
                limit: Limit::$variant,
                name: stringify!($name),
                default: $shown,
                meaning: $meaning,
                max: $ty::MAX as u64,
            }, )*
        ];

        impl Limits {
            /// Set the limit called `name` (a field name, as [`LIMITS`] lists
            /// them) to `value`; an unknown name, or a value too large for the
            /// field, is an error naming it.
            pub fn set(&mut self, name: &str, value: u64) -> Result<(), String> {
                match name {
                    $( stringify!($name) => {
                        self.$name = $ty::try_from(value).map_err(|_| {
                            format!("{}: {value} is too large (at most {})", name, $ty::MAX)
                        })?;
                    } )*
                    _ => return Err(format!("no limit is called `{name}`")),
                }
                Ok(())
            }

            /// The value of the limit called `name`.
            pub fn get(&self, name: &str) -> Option<u64> {
                match name {
                    $( stringify!($name) => Some(u64::from(self.$name)), )*
                    _ => None,
                }
            }
        }
    };
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Limit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What `Serialize` writes: a field name of [`LIMITS`], in declaration order.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Limit {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Limit".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = LIMITS.iter().map(|l| l.name).collect();
        schemars::json_schema!({
            "description": "Which limit stopped the work (a `Limits` field name).",
            "type": "string",
            "enum": names,
        })
    }
}

/// One row of [`LIMITS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitInfo {
    /// The limit.
    pub limit: Limit,
    /// The field name (`max_depth`); the CLI option is `--max-depth`.
    pub name: &'static str,
    /// The default, as people read it (`1 GiB`, `65,536`).
    pub default: &'static str,
    /// What it bounds, in one line (Markdown).
    pub meaning: &'static str,
    /// The largest value its field holds.
    pub max: u64,
}

impl LimitInfo {
    /// The command-line option (`--` and the name in kebab case).
    pub fn flag(&self) -> String {
        format!("--{}", self.name.replace('_', "-"))
    }
}

/// The README's table of limits, generated from [`LIMITS`].
pub fn markdown_table() -> String {
    let mut t = String::from("| field | default | meaning |\n|---|---|---|\n");
    for l in LIMITS {
        t.push_str(&format!(
            "| `{}` | {} | {} |\n",
            l.name, l.default, l.meaning
        ));
    }
    t
}

limits! {
    /// Deepest nesting level that is opened: the input file is depth 0, an
    /// entry of it depth 1, and so on. A node at this depth is parsed and its
    /// entries are listed and hashed; a node deeper than this is hashed, its
    /// format sniffed, and not opened (verdict `unknown`, with a
    /// `max_depth` error saying so). `0` opens the input only.
    /// Default: 12.
    max_depth (MaxDepth): u32 = 12, "12", "deepest nesting level opened (input = 0): `0` lists and hashes the input's entries without opening them";
    /// Largest single entry (decompressed) that is unpacked and hashed; a larger
    /// entry is reported with its declared size and a `max_entry_size` error.
    /// Default: 1 GiB.
    max_entry_size (MaxEntrySize): u64 = 1 << 30, "1 GiB", "largest single decompressed entry";
    /// Bytes that may be decompressed in all, per top-level input, across every
    /// nesting level. Default: 8 GiB.
    max_total_unpacked (MaxTotalUnpacked): u64 = 8 << 30, "8 GiB", "bytes decompressed per top-level input, all levels";
    /// Entries listed and unpacked from one container (archive, cabinet,
    /// compound file, PE resources). Default: 65,536.
    max_entries_per_container (MaxEntriesPerContainer): u64 = 65_536, "65,536", "entries taken from one container";
    /// Nodes produced for one top-level input, all levels together.
    /// Default: 1,000,000.
    max_entries_per_input (MaxEntriesPerInput): u64 = 1_000_000, "1,000,000", "nodes per top-level input";
    /// Largest decompressed/compressed size ratio accepted for one entry once
    /// it has produced more than [`ratio_floor`](Self::ratio_floor) bytes.
    /// Default: 1,000 (a zip of zeros reaches about 1,030).
    max_ratio (MaxRatio): u64 = 1_000, "1,000", "decompressed/compressed ratio per entry, checked above `ratio_floor`";
    /// Output size below which [`max_ratio`](Self::max_ratio) is not checked,
    /// so tiny well-compressed entries never trip it. Default: 1 MiB.
    ratio_floor (RatioFloor): u64 = 1 << 20, "1 MiB", "output size below which the ratio is not checked";
    /// Bytes searched for an embedded container signature (zip, 7z, cab, CFB)
    /// from the start of a PE overlay or other carve region; 7-Zip uses 8 MiB
    /// for SFX stubs. Default: 8 MiB.
    max_search_window (MaxSearchWindow): u64 = 8 << 20, "8 MiB", "bytes searched for an embedded container signature (as 7-Zip's SFX search)";
    /// Rows read from one MSI table and resources walked in one PE.
    /// Default: 1,000,000.
    max_table_rows (MaxTableRows): u64 = 1_000_000, "1,000,000", "rows read from one MSI table; resources walked in one PE";
    /// Bytes of an XML or text document (installer manifests, Squirrel
    /// RELEASES) read for metadata; the rest is hashed, not read.
    /// Default: 4 MiB.
    max_document_size (MaxDocumentSize): u64 = 4 << 20, "4 MiB", "bytes of an XML document or Squirrel RELEASES read for metadata";
    /// Largest decompressed entry kept in memory whole so that it can be
    /// opened as a container. A larger container is hashed as it streams,
    /// reported with its format and a `max_buffered_entry` error, and not
    /// opened; content that is no container is always streamed (only its
    /// first MiB is kept, for classification). Distinct from
    /// [`max_entry_size`](Self::max_entry_size), which bounds what is
    /// unpacked at all. Default: 256 MiB (a zipped 200 MB MSI is still
    /// opened; peak memory of a scan is about this plus the input's map).
    max_buffered_entry (MaxBufferedEntry): u64 = 256 << 20, "256 MiB", "largest decompressed container kept in memory to be opened; a larger one is hashed as it streams, not opened";
    /// Largest decompressed container above
    /// [`max_buffered_entry`](Self::max_buffered_entry) that is written, as it
    /// streams and is hashed, to an unlinked temporary file (in `TMPDIR`,
    /// mode 0600) and opened from a read-only map of it: Chrome's
    /// `chrome.7z` (several hundred MB, inside `chrome.packed.7z`) is opened
    /// this way (while extracting too: the bytes go to the output as they
    /// stream). Larger ones are hashed, not opened; 0 turns spilling off.
    /// Also bounded by [`max_entry_size`](Self::max_entry_size).
    /// Default: 1 GiB.
    max_spilled_entry (MaxSpilledEntry): u64 = 1 << 30, "1 GiB", "largest container above `max_buffered_entry` written to a temporary file and opened from there (0: never)";
    /// Times the same archive content (by SHA-256) is opened in one input;
    /// later copies are hashed and listed but not opened
    /// (`max_opens_per_content`). 42.zip repeats each level 16 times.
    /// Only formats that decompress count (not PE or compound files, whose
    /// repetition costs only their real size). A container holding its own
    /// bytes is never reopened.
    /// Default: 8.
    max_opens_per_content (MaxOpensPerContent): u64 = 8, "8", "times the same container bytes (SHA-256) are opened per input (42.zip); a container holding its own bytes is never reopened";
    /// Bytes a xar table of contents (zlib-compressed XML) may decompress
    /// to, bytes of a DMG's property list (its partition tables), and bytes
    /// a 7z encoded header may decode to (read by us before the 7z crate
    /// reads it; a 60,000-file header is about 1.5 MB); a larger one is not
    /// listed. Default: 16 MiB.
    max_toc_size (MaxTocSize): u64 = 16 << 20, "16 MiB", "bytes a xar table of contents may inflate to, a DMG property list may hold, or a 7z encoded header may decode to";
    /// Bytes of entries that overlap an earlier entry's region of the same
    /// container (not the same region: that is listed as a copy) hashed per
    /// input. Hostile tables point thousands of entries at windows of one
    /// large region; past this total such entries are listed with their
    /// size and a `max_overlapping_bytes` error, not hashed. Default: 256 MiB.
    max_overlapping_bytes (MaxOverlappingBytes): u64 = 256 << 20, "256 MiB", "bytes of entries overlapping another entry's region hashed per input; past it they are listed, not hashed";
    /// Import entries (functions, all DLLs together) one PE may declare for
    /// its imports to be listed. Import descriptors can share one thunk
    /// array, so a small file can declare millions; past this count the
    /// imports are not listed and the node says so. Default: 65,536 (large
    /// real DLLs import a few thousand).
    max_pe_imports (MaxPeImports): u64 = 65_536, "65,536", "import entries one PE may declare for its imports to be listed (descriptors sharing a thunk array multiply them)";
    /// Bytes of export, import and DLL names one PE's tables make the PE
    /// parser read. Each entry's name is read to its NUL, so many entries
    /// naming one long string cost entries × its length (100,000 export
    /// name pointers at one 600 KB name: 60 GB in a 1.2 MB file); past
    /// this the imports are not listed (and, when the exports alone pass
    /// it, neither are version info and manifest) and the node says so.
    /// Default: 32 MiB (real DLLs read well under 1 MiB of names).
    max_pe_name_bytes (MaxPeNameBytes): u64 = 32 << 20, "32 MiB", "bytes of export, import and DLL names one PE's tables make the parser read (entries sharing one long name multiply it)";
    /// Characters read and written while an installer's compiled script
    /// names its files (NSIS: the `File` names, the `SetOutPath` prefixes,
    /// variables and language strings expanded), all entries of one header
    /// together. Entries can name one long string, prefixes grow from the
    /// last, and a language string can refer to itself, so a few KB of
    /// compressed header could ask for terabytes; past this the entries
    /// after are not read and the node says so (one string is also cut at
    /// 32 KiB: NSIS's own strings hold at most 8,192 characters).
    /// Default: 32 Mi (real installers use well under 1 Mi).
    max_script_chars (MaxScriptChars): u64 = 32 << 20, "32 Mi", "characters read and written expanding an installer script's strings (NSIS names, prefixes, language strings), all entries together";
    /// Bytes of a CHM's compressed (LZX) section decoded a second time to
    /// reach a file that starts before the decoder's position (files whose
    /// ranges overlap): each such file restarts decoding at its reset
    /// point, so files sharing one long range would multiply the work.
    /// Past it, such files are missing with a limit error. Default 256 MiB.
    max_redecoded_bytes (MaxRedecodedBytes): u64 = 256 << 20, "256 MiB", "bytes of a CHM's compressed section decoded again for files whose ranges overlap; past it they are missing";
    /// Cabinets of a set joined to list a folder that continues from one
    /// cabinet into the next (each read whole, within `max_entry_size`).
    /// Past it, the folder is not joined: its spanning files are missing
    /// with a limit error. Default 256 (Windows 95 shipped on 28).
    max_cabinets_per_set (MaxCabinetsPerSet): u64 = 256, "256", "cabinets of a set joined to list a folder that spans them";
    /// Volumes of a RAR set read to list it from its first volume (each
    /// read whole, within `max_entry_size`): the set's files are listed
    /// under the first volume, files spanning volumes joined. Past it the
    /// walk stops with a limit error. Default 256.
    max_volumes_per_set (MaxVolumesPerSet): u64 = 256, "256", "volumes of a RAR set read to list it from its first volume";
    /// Bytes of a RAR set's other volumes, and of files joined across
    /// them, held while its first volume is listed. Past it the walk
    /// stops (or a spanning file is missing) with a limit error. Default
    /// 1 GiB.
    max_volume_set_bytes (MaxVolumeSetBytes): u64 = 1 << 30, "1 GiB", "bytes of a RAR set's other volumes and joined files held while its first volume is listed";
    /// Decoded bytes of cabinets of a set, entries of a container, held
    /// by the engine until that container's end so that each can be joined
    /// with its sibling entries (a cabinet lying in the container's own
    /// bytes, as on an ISO or in a tar, is a region of it and costs
    /// nothing here). Counted per input, over every container being
    /// pulled. Past it, a cabinet of a set is opened at once, alone: its
    /// spanning files are missing, and it carries a limit error.
    /// Default 256 MiB.
    max_held_set_bytes (MaxHeldSetBytes): u64 = 256 << 20, "256 MiB", "decoded bytes of a set's cabinets (or RAR volumes), entries of a container, held until its end to be joined with their sibling entries";
    /// Nesting depth of directory entries in a xar table of contents, and
    /// of folders above a file in an HFS+ catalog. Default: 256.
    max_toc_depth (MaxTocDepth): u32 = 256, "256", "directory nesting in a xar table of contents or an HFS+ catalog";
    /// Nesting depth of directories walked in a disk image's file system
    /// (ISO 9660, UDF). Default: 256 (ISO 9660 itself allows 8; Rock Ridge and
    /// Joliet trees go deeper).
    max_dir_depth (MaxDirDepth): u32 = 256, "256", "directory nesting walked in a disk image's file system (ISO 9660, UDF)";
    /// Bytes read from an input whose size the file system gives as 0: an
    /// empty file, or a pseudo-file (`/proc`, `/sys`) whose content exists
    /// only when it is read. Such an input is read to its end up to this
    /// many bytes and scanned; one that holds more (`/proc/self/pagemap`)
    /// is not scanned and is an error naming this limit, since a prefix
    /// hashed as the file would be a wrong hash. Default: 16 MiB.
    max_unsized_input (MaxUnsizedInput): u64 = 16 << 20, "16 MiB", "bytes read from an input whose size the file system gives as 0 (a `/proc` or `/sys` pseudo-file); more is an error, not a scan";
    /// Passwords tried without success on one container's encrypted
    /// entries (a zip entry's key derivation is 1,000 rounds of
    /// PBKDF2-HMAC-SHA1, about a millisecond). Every entry is tried first
    /// with the password that last decrypted one, so an archive under one
    /// password costs one derivation per entry; only wrong passwords add
    /// up (entries × candidates). Past it, the remaining encrypted entries
    /// are listed and marked with a `max_password_failures` error, not
    /// tried. Default: 4,096.
    max_password_failures (MaxPasswordFailures): u64 = 4_096, "4,096", "passwords tried without success on one container's encrypted entries (entries × wrong candidates); past it the rest are listed, not tried";
    /// Bytes of history a decoder whose dictionary the file declares may
    /// allocate for one stream (RAR 5 declares up to 4 GiB, RAR 7 up to
    /// 1 TiB). The dictionary grows with what is decoded, so a file needs
    /// at most its own size (a solid file: the stream's bytes so far); a
    /// file that would need more is missing with a `max_dictionary` error.
    /// Memory is this rounded up to a power of two. RAR 3.x/4.x streams
    /// have a window of at most 4 MiB, and their PPMd blocks declare a
    /// model of 1–256 MiB: a block whose model is past this limit stops
    /// its file with a `max_dictionary` error. Default: 256 MiB (WinRAR's
    /// default dictionary is 32 MiB).
    max_dictionary (MaxDictionary): u64 = 256 << 20, "256 MiB", "history a RAR decoder may allocate for one stream (the file's declared dictionary, as far as the stream's size needs it), and the model memory a RAR 4 PPMd block may declare";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_and_get_by_name() {
        let mut l = Limits::default();
        for info in LIMITS {
            assert!(l.get(info.name).is_some(), "{}", info.name);
        }
        l.set("max_depth", 3).expect("max_depth");
        assert_eq!(l.max_depth, 3);
        assert_eq!(l.get("max_depth"), Some(3));
        assert!(l.set("max_toc_depth", u64::MAX).is_err());
        assert!(l.set("no_such_limit", 1).is_err());
        assert_eq!(LIMITS.len(), 28);
        assert_eq!(LIMITS[0].flag(), "--max-depth");
    }

    /// The README's table is the generated one (no row drifts or goes
    /// missing when a limit is added).
    #[test]
    fn readme_table_is_generated_from_the_declaration() {
        let readme = include_str!("../../../README.md");
        let table = markdown_table();
        assert!(
            readme.contains(&table),
            "README.md's Limits table differs from the declaration; it should read:\n{table}"
        );
    }
}
