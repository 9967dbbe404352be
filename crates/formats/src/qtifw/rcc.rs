//! Qt binary resource files (`.rcc`, `rcc -binary`): what a Qt Installer
//! Framework installer's meta resources are (`config.xml`, the components'
//! `package.xml`, scripts, licences, translations).
//!
//! The layout (qtbase `src/tools/rcc/rcc.cpp`, Qt IFW's copy in
//! `src/libs/ifwtools/rcc/rcc.cpp`), every number big-endian:
//!
//! - a header: `qres`, the format version (1, 2 or 3), the offsets of the
//!   tree, the data and the names, and (version 3) overall flags;
//! - the data: per file a `u32` size and the bytes; a file flagged
//!   compressed (`0x01`) holds `qCompress` output (a `u32` uncompressed
//!   size, then a zlib stream); `0x04` is zstd (Qt 5.13+, not decoded here);
//! - the names: per name a `u16` length in UTF-16 units, a `u32` hash, the
//!   UTF-16BE text;
//! - the tree: nodes of 14 bytes (version 1) or 22 (with an 8-byte
//!   modification time): name offset, flags (`0x02` directory), then for a
//!   directory its child count and first child's node index, for a file
//!   its country, language and data offset. Node 0 is the root.
//!
//! Writers put the tree last, so the end of the file is the end of its
//! last node ([`extent`]): how a Qt IFW installer cut short before its
//! trailer is still read up to the end of its first meta resource.

use super::super::container::{Container, Data, Decoded, End, Entry, Notes, Opened, Options};
use super::super::{Handler, Metadata, Parsed};
use installsift_model::error::Error;
use installsift_model::{EntryInfo, EntryKind, Evidence, Format};
use serde::Serialize;
use std::collections::HashSet;

/// Longest path kept (bytes; a deeper one is an error).
pub const MAX_PATH: usize = 4096;

/// Qt resource file facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RccInfo {
    /// Format version (1, 2 or 3).
    pub version: u32,
    /// Files in the tree.
    pub files: u64,
    /// Directories in the tree (the root not counted).
    pub directories: u64,
    /// Files stored zlib-compressed.
    pub compressed: u64,
    /// Files stored zstd-compressed (listed, not decoded).
    pub zstd: u64,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "qt-rcc",
    format: Format::QtRcc,
    sniff,
    open,
};

const DIRECTORY: u16 = 0x02;
const COMPRESSED: u16 = 0x01;
const ZSTD: u16 = 0x04;

/// `qres` and a known version.
pub fn sniff(data: &[u8]) -> bool {
    data.starts_with(b"qres") && be32(data, 4).is_some_and(|v| (1..=3).contains(&v))
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(b.try_into().ok()?))
}

fn be16(data: &[u8], at: usize) -> Option<u16> {
    let b = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes(b.try_into().ok()?))
}

/// The header's facts.
#[derive(Clone, Copy)]
struct Tree<'a> {
    data: &'a [u8],
    tree: usize,
    blobs: usize,
    names: usize,
    node_size: usize,
}

/// One tree node.
struct Node {
    name_off: u32,
    flags: u16,
    /// Directory: (child count, first child); file: data offset in `.1`.
    a: u32,
    b: u32,
}

impl<'a> Tree<'a> {
    fn read(data: &'a [u8]) -> Result<Tree<'a>, Error> {
        if !sniff(data) {
            return Err(Error::malformed("no `qres` header with version 1, 2 or 3").at(0));
        }
        let field = |at: usize, what: &str| {
            be32(data, at).map(|v| v as usize).ok_or_else(|| {
                Error::truncated(format!("Qt resource header cut short before its {what}")).at(0)
            })
        };
        let version = be32(data, 4).unwrap_or(0);
        Ok(Tree {
            data,
            tree: field(8, "tree offset")?,
            blobs: field(12, "data offset")?,
            names: field(16, "names offset")?,
            node_size: if version == 1 { 14 } else { 22 },
        })
    }

    fn node(&self, i: u32) -> Result<(Node, usize), Error> {
        let at = (i as usize)
            .checked_mul(self.node_size)
            .and_then(|o| o.checked_add(self.tree));
        let end = at.and_then(|a| a.checked_add(self.node_size));
        let n = match (at, end) {
            (Some(a), Some(e)) if e <= self.data.len() => (|| {
                Some(Node {
                    name_off: be32(self.data, a)?,
                    flags: be16(self.data, a + 4)?,
                    a: if be16(self.data, a + 4)? & DIRECTORY != 0 {
                        be32(self.data, a + 6)?
                    } else {
                        0
                    },
                    b: be32(self.data, a + 10)?,
                })
            })(),
            _ => None,
        };
        n.zip(end).ok_or_else(|| {
            Error::truncated(format!(
                "Qt resource tree node {i} (tree at offset {}) lies past the end of the data ({} bytes)",
                self.tree,
                self.data.len()
            ))
            .at(self.tree as u64)
        })
    }

    /// A node's name and the offset after it.
    fn name(&self, off: u32) -> Result<(String, usize), Error> {
        let at = self.names.checked_add(off as usize);
        let got = at.and_then(|at| {
            let n = be16(self.data, at)? as usize;
            let from = at.checked_add(6)?;
            let to = from.checked_add(n.checked_mul(2)?)?;
            let units: Vec<u16> = self
                .data
                .get(from..to)?
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            Some((String::from_utf16_lossy(&units), to))
        });
        got.ok_or_else(|| {
            Error::truncated(format!(
                "Qt resource name at names offset {} + {off} runs past the end of the data ({} bytes)",
                self.names,
                self.data.len()
            ))
            .at(self.names as u64)
        })
    }

    /// A file's stored bytes (after its size field) and their offset.
    fn blob(&self, off: u32) -> Result<(usize, usize), Error> {
        let at = self.blobs.checked_add(off as usize);
        at.and_then(|at| {
            let n = be32(self.data, at)? as usize;
            let from = at.checked_add(4)?;
            let to = from.checked_add(n)?;
            (to <= self.data.len()).then_some((from, n))
        })
        .ok_or_else(|| {
            Error::truncated(format!(
                "Qt resource data at offset {} + {off} runs past the end of the data ({} bytes)",
                self.blobs,
                self.data.len()
            ))
            .at(self.blobs as u64)
        })
    }
}

/// One directory being listed.
struct Frame {
    prefix: String,
    next: u32,
    left: u32,
}

/// What the walk met next.
enum Step {
    File {
        path: String,
        flags: u16,
        data_off: u32,
        /// The end of the node and of its name.
        end: usize,
    },
    Damage(Error),
}

/// The depth-first tree walk (each node visited once).
struct Cursor<'a> {
    tree: Tree<'a>,
    stack: Vec<Frame>,
    visited: HashSet<u32>,
    /// The furthest byte the structure reached.
    extent: usize,
    directories: u64,
}

impl<'a> Cursor<'a> {
    fn new(tree: Tree<'a>) -> Result<Cursor<'a>, Error> {
        let (root, end) = tree.node(0)?;
        let mut c = Cursor {
            tree,
            stack: Vec::new(),
            visited: HashSet::from([0]),
            extent: end.max(20),
            directories: 0,
        };
        if root.flags & DIRECTORY == 0 {
            return Err(Error::malformed(format!(
                "Qt resource root node (tree at offset {}) is not a directory",
                tree.tree
            ))
            .at(tree.tree as u64));
        }
        c.stack.push(Frame {
            prefix: String::new(),
            next: root.b,
            left: root.a,
        });
        Ok(c)
    }

    fn step(&mut self) -> Option<Step> {
        loop {
            let f = self.stack.last_mut()?;
            if f.left == 0 {
                self.stack.pop();
                continue;
            }
            f.left -= 1;
            let i = f.next;
            f.next = f.next.wrapping_add(1);
            let prefix = f.prefix.clone();
            if !self.visited.insert(i) {
                // A node reached twice: the tree is a graph; stop this branch.
                if let Some(f) = self.stack.last_mut() {
                    f.left = 0;
                }
                return Some(Step::Damage(
                    Error::malformed(format!(
                        "Qt resource tree node {i} is reached twice (tree at offset {})",
                        self.tree.tree
                    ))
                    .at(self.tree.tree as u64),
                ));
            }
            let (node, end) = match self.tree.node(i) {
                Ok(n) => n,
                Err(e) => {
                    if let Some(f) = self.stack.last_mut() {
                        f.left = 0;
                    }
                    return Some(Step::Damage(e));
                }
            };
            self.extent = self.extent.max(end);
            let (name, name_end) = match self.tree.name(node.name_off) {
                Ok(n) => n,
                Err(e) => return Some(Step::Damage(e)),
            };
            self.extent = self.extent.max(name_end);
            let path = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            if path.len() > MAX_PATH {
                return Some(Step::Damage(
                    Error::malformed(format!(
                        "Qt resource path of node {i} is longer than {MAX_PATH} bytes"
                    ))
                    .at(self.tree.tree as u64),
                ));
            }
            if node.flags & DIRECTORY != 0 {
                self.directories += 1;
                self.stack.push(Frame {
                    prefix: path,
                    next: node.b,
                    left: node.a,
                });
                continue;
            }
            return Some(Step::File {
                path,
                flags: node.flags,
                data_off: node.b,
                end,
            });
        }
    }
}

/// The end of the resource file's structure (its last node, name or data),
/// when its header and tree read without damage.
pub fn extent(data: &[u8]) -> Option<usize> {
    let tree = Tree::read(data).ok()?;
    let mut c = Cursor::new(tree).ok()?;
    while let Some(s) = c.step() {
        match s {
            Step::File { data_off, end, .. } => {
                let (from, n) = tree.blob(data_off).ok()?;
                c.extent = c.extent.max(end).max(from.checked_add(n)?);
            }
            Step::Damage(_) => return None,
        }
    }
    Some(c.extent)
}

/// Open a Qt resource file.
pub fn open<'a>(data: &'a [u8], _opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let mut info = RccInfo {
        version: be32(data, 4).unwrap_or(0),
        ..RccInfo::default()
    };
    let cursor = Tree::read(data).and_then(Cursor::new);
    let cursor = match cursor {
        Ok(c) => {
            notes.evidence(Evidence::strong(
                "qt-rcc-header",
                format!(
                    "Qt resource file version {}, tree at offset {}",
                    info.version, c.tree.tree
                ),
                Some(0),
            ));
            Some(c)
        }
        Err(e) => {
            notes.error(e);
            None
        }
    };
    if cursor.is_none() {
        return Opened::Leaf(Parsed {
            format: Format::QtRcc,
            metadata: Some(Metadata::QtRcc(Box::new(info))),
        });
    }
    info.files = 0;
    Opened::Container(Box::new(Walk {
        cursor,
        info,
        declared: None,
    }))
}

struct Walk<'a> {
    cursor: Option<Cursor<'a>>,
    info: RccInfo,
    /// The declared size of the entry being decoded, to check after.
    declared: Option<(String, u64, usize)>,
}

impl Container for Walk<'_> {
    fn next_entry(&mut self, notes: &mut Notes) -> Option<Entry<'_>> {
        let c = self.cursor.as_mut()?;
        let tree = c.tree;
        let (path, flags, data_off) = loop {
            match c.step()? {
                Step::File {
                    path,
                    flags,
                    data_off,
                    ..
                } => break (path, flags, data_off),
                Step::Damage(e) => notes.error(e),
            }
        };
        self.info.files += 1;
        let (from, n) = match tree.blob(data_off) {
            Ok(b) => b,
            Err(error) => {
                return Some(Entry {
                    name: path,
                    info: EntryInfo::new(EntryKind::File),
                    data: Data::Missing { size: 0, error },
                })
            }
        };
        let bytes = tree.data.get(from..from + n).unwrap_or(&[]);
        let mut info = EntryInfo::new(EntryKind::File).at(from as u64);
        info.compressed_size = Some(n as u64);
        let data = if flags & ZSTD != 0 {
            self.info.zstd += 1;
            Data::Missing {
                size: 0,
                error: Error::unsupported(format!(
                    "Qt resource `{path}` is zstd-compressed (data at offset {from}); not decoded"
                ))
                .at(from as u64),
            }
        } else if flags & COMPRESSED != 0 {
            self.info.compressed += 1;
            match be32(bytes, 0) {
                Some(size) => {
                    self.declared = Some((path.clone(), u64::from(size), from));
                    Data::Decode {
                        reader: Box::new(flate2::read::ZlibDecoder::new(bytes.get(4..).unwrap_or(&[]))),
                        declared: Some(u64::from(size)),
                        stored: Some(n as u64),
                    }
                }
                None => Data::Missing {
                    size: 0,
                    error: Error::truncated(format!(
                        "Qt resource `{path}`: compressed data at offset {from} is shorter than its size field"
                    ))
                    .at(from as u64),
                },
            }
        } else {
            Data::Slice(bytes)
        };
        Some(Entry {
            name: path,
            info,
            data,
        })
    }

    fn entry_read(
        &mut self,
        read: Result<Decoded<'_>, &mut Error>,
        info: &mut EntryInfo,
        _notes: &mut Notes,
    ) {
        if let (Ok(d), Some((path, want, from))) = (read, self.declared.take()) {
            if d.size != want {
                info.add_error(
                    Error::malformed(format!(
                        "Qt resource `{path}` (data at offset {from}) declares {want} bytes uncompressed, its zlib stream gave {}",
                        d.size
                    ))
                    .at(from as u64),
                );
            }
        }
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        let mut info = self.info;
        if let Some(c) = &self.cursor {
            info.directories = c.directories;
        }
        Parsed {
            format: Format::QtRcc,
            metadata: Some(Metadata::QtRcc(Box::new(info))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{list, Listed};
    use crate::test_support::sample;
    use sha2::{Digest, Sha256};

    #[test]
    fn listing_without_the_engine() {
        let data = sample("qtifw/resources.rcc").expect("sample");
        assert!(sniff(&data));
        assert_eq!(extent(&data), Some(data.len()));
        let l = list(open, &data, &Default::default(), 100);
        assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
        let mut got: Vec<(String, Vec<u8>)> = l
            .entries
            .iter()
            .map(|(n, _, d)| {
                let bytes = match d {
                    Listed::Slice { at, len } => data[*at..at + len].to_vec(),
                    Listed::Decoded(Ok(b)) => b.clone(),
                    other => panic!("{n}: {other:?}"),
                };
                (n.clone(), bytes)
            })
            .collect();
        got.sort();
        // The sources rcc compiled are the reference.
        let src = crate::test_support::corpus().join("src/qtifw/rcc");
        for (n, bytes) in &got {
            let want = std::fs::read(src.join(n)).expect("source");
            assert_eq!(Sha256::digest(bytes), Sha256::digest(&want), "{n}");
        }
        assert_eq!(got.len(), 2);
        match &l.parsed.metadata {
            Some(Metadata::QtRcc(i)) => {
                assert_eq!((i.version, i.files, i.directories), (3, 2, 1));
                assert_eq!(i.compressed, 1);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn damage_is_reported_not_panicked() {
        let data = sample("qtifw/resources.rcc").expect("sample");
        // The tree offset past the end.
        let mut d = data.clone();
        d[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        let l = list(open, &d, &Default::default(), 100);
        assert!(l.entries.is_empty());
        assert!(l.notes.errors[0].to_string().contains("tree node 0"));
        // Every byte changed in turn: no panic, no endless walk.
        for i in 0..data.len() {
            for v in [0x00, 0xFF, 0x01] {
                let mut d = data.clone();
                d[i] = v;
                let _ = list(open, &d, &Default::default(), 100);
                let _ = extent(&d);
            }
        }
    }
}
