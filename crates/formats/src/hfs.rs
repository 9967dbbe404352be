//! HFS+ and HFSX volumes (Mac OS Extended: a disk image's file system):
//! listed and extracted by their catalog.
//!
//! Layout (big-endian; Apple's TN1150 "HFS Plus Volume Format"): the volume
//! header at byte 1024 (`H+` version 4 or `HX` version 5; block size at 40,
//! total blocks at 44, then five fork records of 80 bytes at 112: allocation,
//! extents overflow, catalog, attributes, startup). A fork record is the
//! logical size (u64), clump size, total blocks and 8 extents (start block,
//! block count); blocks past those 8 are in the extents overflow B-tree,
//! keyed by (fork type, file id, start block).
//!
//! The catalog is a B-tree: node 0 is the header node (depth, root, leaf
//! records, first and last leaf, node size, total nodes); leaf nodes (kind
//! -1) are chained by `fLink` and hold records keyed by (parent id, name):
//! folder (1), file (2), folder thread (3), file thread (4). A file record
//! carries its BSD info (owner flags at 41, mode at 42, link/inode number at
//! 44), Finder type and creator at 48, and its data and resource fork
//! records at 88 and 168.
//!
//! Children are the files' data forks, named by their full path from the
//! volume root (the volume's own name is in the metadata, not in the
//! paths). Names are the stored UTF-16 (HFS+ stores a decomposed form,
//! kept as stored: no normalisation), with `/` shown as `:` as macOS's POSIX
//! layer does; the metadata folders whose names start with NUL show as
//! 7-Zip names them (`[HFS+ Private Data]`). A non-empty resource fork is a
//! child of its own, `<path>/..namedfork/rsrc` (macOS's name for it). A
//! hard link (`hlnk`/`hfs+`) is a child with the data of the inode file it
//! names; symbolic links (`slnk`/`rhap`) are counted and listed with their
//! targets in the metadata, not extracted. A file compressed by HFS+
//! (`UF_COMPRESSED`: its data in the `com.apple.decmpfs` attribute or the
//! resource fork) is decoded by [`crate::decmpfs`] (zlib, LZVN, LZFSE);
//! a type it does not decode is missing with an `unsupported` error, never
//! an empty file.
//!
//! Bounds: every B-tree walk follows `fLink` with a visited-node set and at
//! most the header's total node count; folder nesting is followed at most
//! [`Limits::max_toc_depth`] deep; records are at most
//! [`Limits::max_entries_per_container`]; every extent is checked against the
//! volume's block count and the bytes at hand.
//!
//! APFS containers have their own handler ([`crate::apfs`]).
//!
//! [`Limits::max_toc_depth`]: installsift_model::Limits::max_toc_depth
//! [`Limits::max_entries_per_container`]: installsift_model::Limits::max_entries_per_container

use super::container::{Container, Data, End, Entry, Notes, Opened, Options};
use super::{Handler, Metadata, Parsed};
use installsift_model::error::Error;
use installsift_model::limits::Limit;
use installsift_model::{EntryInfo, EntryKind, Evidence, Format};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Read};

/// Symbolic links kept in the metadata (the rest are counted).
const MAX_LINKS: usize = 64;
/// Longest path reported (macOS `PATH_MAX`).
const MAX_PATH: usize = 1024;
const VH: usize = 1024;
const FILE_REC: usize = 248;
const FOLDER_REC: usize = 88;
/// `hlnk`/`hfs+`: a file hard link; `slnk`/`rhap`: a symbolic link.
const HLNK: u32 = 0x686C_6E6B;
const HFSPLUS: u32 = 0x6866_732B;
const SLNK: u32 = 0x736C_6E6B;
const RHAP: u32 = 0x7268_6170;
/// BSD owner flag: the file is compressed (decmpfs).
const UF_COMPRESSED: u8 = 0x20;

/// HFS+ / HFSX facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HfsInfo {
    /// `hfs+` or `hfsx`.
    pub signature: String,
    /// Volume format version (4 for HFS+, 5 for HFSX).
    pub version: u16,
    /// The volume's name (its root folder's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_name: Option<String>,
    /// Allocation block size.
    pub block_size: u32,
    /// Blocks in the volume.
    pub total_blocks: u32,
    /// The volume is journaled (the journal is not replayed).
    pub journaled: bool,
    /// Files and folders the volume header counts.
    pub header_files: u32,
    /// Folders the volume header counts.
    pub header_folders: u32,
    /// Catalog leaf records read.
    pub catalog_records: u64,
    /// Files listed (data forks).
    pub files: u64,
    /// Folders.
    pub folders: u64,
    /// Non-empty resource forks listed.
    pub resource_forks: u64,
    /// File hard links (listed with their inode's data).
    pub hard_links: u64,
    /// Symbolic links (not extracted).
    pub symlinks: u64,
    /// Files compressed by HFS+ (decmpfs), decoded.
    pub compressed_files: u64,
    /// Extended attributes listed (children `path:name`).
    pub attributes: u64,
    /// Extents taken from the extents overflow tree.
    pub overflow_extents: u64,
    /// Symbolic links: path and target (the first 64).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<(String, String)>,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "hfs",
    format: Format::Hfs,
    sniff,
    open,
};

fn be_u16(d: &[u8], at: usize) -> Option<u16> {
    let b = d.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

fn be_u32(d: &[u8], at: usize) -> Option<u32> {
    let b = d.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn be_u64(d: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(be_u32(d, at)?) << 32 | u64::from(be_u32(d, at.checked_add(4)?)?))
}

/// `H+` version 4 or `HX` version 5 at 1024.
pub fn sniff(data: &[u8]) -> bool {
    matches!(
        (data.get(VH..VH + 2), be_u16(data, VH + 2)),
        (Some(b"H+"), Some(4)) | (Some(b"HX"), Some(5))
    )
}

/// A fork: logical size and its extents (start block, block count).
#[derive(Debug, Clone, Default)]
struct Fork {
    size: u64,
    total_blocks: u32,
    extents: Vec<(u32, u32)>,
}

fn fork_at(d: &[u8], at: usize) -> Option<Fork> {
    let mut f = Fork {
        size: be_u64(d, at)?,
        total_blocks: be_u32(d, at + 12)?,
        extents: Vec::new(),
    };
    for i in 0..8 {
        let (s, n) = (be_u32(d, at + 16 + 8 * i)?, be_u32(d, at + 20 + 8 * i)?);
        if n == 0 {
            break;
        }
        f.extents.push((s, n));
    }
    Some(f)
}

/// One fork's overflow extents: start block → extents.
type Overflow = BTreeMap<u32, Vec<(u32, u32)>>;

/// The volume: bytes, geometry and the overflow extents.
struct Volume<'a> {
    data: &'a [u8],
    block: u64,
    blocks: u64,
    /// (fork type, file id) → start block → extents.
    overflow: HashMap<(u8, u32), Overflow>,
}

impl<'a> Volume<'a> {
    /// The fork's extents completed from the overflow tree, each checked
    /// against the volume: byte ranges in order, or why not.
    fn ranges(
        &self,
        fork: &Fork,
        id: u32,
        kind: u8,
        used: &mut u64,
    ) -> Result<Vec<(u64, u64)>, String> {
        let mut ext = fork.extents.clone();
        let mut have: u64 = ext.iter().map(|e| u64::from(e.1)).sum();
        if have < u64::from(fork.total_blocks) {
            if let Some(more) = self.overflow.get(&(kind, id)) {
                let mut guard = 0usize;
                while have < u64::from(fork.total_blocks) && guard <= more.len() {
                    guard += 1;
                    let Some(next) = u32::try_from(have).ok().and_then(|h| more.get(&h)) else {
                        break;
                    };
                    *used += next.len() as u64;
                    ext.extend_from_slice(next);
                    have += next.iter().map(|e| u64::from(e.1)).sum::<u64>();
                }
            }
        }
        let mut out = Vec::with_capacity(ext.len());
        let mut left = fork.size;
        for (s, n) in ext {
            if left == 0 {
                break;
            }
            let end = u64::from(s) + u64::from(n);
            if end > self.blocks {
                return Err(format!(
                    "extent of blocks {s}..{end} lies past the volume's {} blocks",
                    self.blocks
                ));
            }
            let off = u64::from(s) * self.block;
            let len = (u64::from(n) * self.block).min(left);
            if off
                .checked_add(len)
                .is_none_or(|e| e > self.data.len() as u64)
            {
                return Err(format!(
                    "extent at byte {off} of {len} bytes lies past the {}-byte volume",
                    self.data.len()
                ));
            }
            left -= len;
            out.push((off, len));
        }
        if left > 0 {
            return Err(format!(
                "its extents hold {} of its {} bytes",
                fork.size - left,
                fork.size
            ));
        }
        Ok(out)
    }

    /// The whole fork as bytes (borrowed when it is one extent).
    fn bytes(&self, ranges: &[(u64, u64)]) -> Cow<'a, [u8]> {
        let slice = |&(o, l): &(u64, u64)| crate::region(self.data, o, l);
        match ranges {
            [] => Cow::Borrowed(&[]),
            [one] => Cow::Borrowed(slice(one)),
            many => Cow::Owned(many.iter().flat_map(slice).copied().collect()),
        }
    }
}

/// A B-tree file's header facts.
struct Tree<'b> {
    bytes: Cow<'b, [u8]>,
    node_size: usize,
    total_nodes: u32,
    first_leaf: u32,
}

fn tree<'b>(bytes: Cow<'b, [u8]>, what: &str) -> Result<Tree<'b>, String> {
    let h = 14;
    let (Some(first_leaf), Some(node_size), Some(total_nodes)) = (
        be_u32(&bytes, h + 10),
        be_u16(&bytes, h + 18),
        be_u32(&bytes, h + 22),
    ) else {
        return Err(format!("{what} B-tree header node is cut short"));
    };
    if bytes.get(8) != Some(&1) {
        return Err(format!("{what} B-tree node 0 is no header node"));
    }
    let node_size = usize::from(node_size);
    if !(512..=32768).contains(&node_size) || !node_size.is_power_of_two() {
        return Err(format!(
            "{what} B-tree node size {node_size} is not a power of two in 512..32768"
        ));
    }
    Ok(Tree {
        bytes,
        node_size,
        total_nodes,
        first_leaf,
    })
}

/// Every leaf record (key, data) of a tree, following `fLink` from the
/// first leaf with a visited set, at most the tree's node count and `max`
/// records. Problems go to `errors`.
fn leaf_records<'t>(
    t: &'t Tree<'_>,
    what: &str,
    max: usize,
    errors: &mut Vec<Error>,
) -> Vec<(&'t [u8], &'t [u8])> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut n = t.first_leaf;
    while n != 0 {
        if !seen.insert(n) || seen.len() as u64 > u64::from(t.total_nodes) {
            errors.push(Error::malformed(format!(
                "{what} B-tree: leaf chain returns to node {n} (or passes its {} nodes)",
                t.total_nodes
            )));
            break;
        }
        let start = (n as usize).saturating_mul(t.node_size);
        let Some(node) = t.bytes.get(start..start.saturating_add(t.node_size)) else {
            errors.push(Error::truncated(format!(
                "{what} B-tree: leaf node {n} lies past the tree's {} bytes",
                t.bytes.len()
            )));
            break;
        };
        if node.get(8) != Some(&0xFF) {
            errors.push(Error::malformed(format!(
                "{what} B-tree: node {n} in the leaf chain is no leaf"
            )));
            break;
        }
        let count = be_u16(node, 10).unwrap_or(0) as usize;
        for i in 0..count {
            let at = |k: usize| {
                t.node_size
                    .checked_sub(2 * (k + 1))
                    .and_then(|p| be_u16(node, p))
                    .map(usize::from)
            };
            let (Some(s), Some(e)) = (at(i), at(i + 1)) else {
                break;
            };
            let Some(rec) = node.get(s..e.max(s)) else {
                errors.push(Error::malformed(format!(
                    "{what} B-tree: node {n} record {i} at {s}..{e} lies outside the node"
                )));
                continue;
            };
            let Some(klen) = be_u16(rec, 0).map(usize::from) else {
                continue;
            };
            // The record's data follows its key (HFS+ keys are even-sized).
            let key = rec.get(2..(klen + 2).min(rec.len())).unwrap_or_default();
            let val = rec.get((klen + 2).min(rec.len())..).unwrap_or_default();
            if out.len() >= max {
                errors.push(Error::limit(
                    Limit::MaxEntriesPerContainer,
                    format!("{what} B-tree holds more than {max} records"),
                ));
                return out;
            }
            out.push((key, val));
        }
        n = be_u32(node, 0).unwrap_or(0);
    }
    out
}

/// A catalog name: UTF-16 as stored (`/` shown as `:`, NUL-prefixed
/// metadata folders as 7-Zip names them).
fn name_of(key: &[u8]) -> String {
    let len = be_u16(key, 4).map_or(0, usize::from);
    let units: Vec<u16> = (0..len).map_while(|i| be_u16(key, 6 + 2 * i)).collect();
    let s = String::from_utf16_lossy(&units);
    if let Some(rest) = s.strip_prefix("\0\0\0\0") {
        return format!("[{rest}]");
    }
    s.replace('/', ":")
}

/// A file as the catalog lists it.
struct FileRec {
    parent: u32,
    name: String,
    id: u32,
    data: Fork,
    rsrc: Fork,
    ftype: u32,
    creator: u32,
    special: u32,
    owner_flags: u8,
    /// `contentModDate`: seconds since 1904-01-01 UTC (0: none).
    modified: u32,
}

/// One child, planned.
struct Planned {
    name: String,
    key: Option<String>,
    /// Byte ranges of the fork in the volume, or why it cannot be read.
    ranges: Result<Vec<(u64, u64)>, Error>,
    /// Bytes copied out of a B-tree record (an inline attribute), read
    /// instead of `ranges`.
    owned: Option<Vec<u8>>,
    size: u64,
    /// The file's content modification time (its forks share it).
    mtime: Option<installsift_model::Timestamp>,
    /// A file compressed by HFS+: its `com.apple.decmpfs` attribute and
    /// its resource fork's byte ranges, decoded by [`crate::decmpfs`].
    compressed: Option<crate::decmpfs::Parts<'static>>,
}

/// Seconds from 1904-01-01 (HFS+ dates, kept in UTC) to 1970-01-01.
const HFS_TO_UNIX: i64 = 2_082_844_800;

fn hfs_time(secs: u32) -> Option<installsift_model::Timestamp> {
    if secs == 0 {
        return None;
    }
    installsift_model::Timestamp::unix(i64::from(secs) - HFS_TO_UNIX)
}

/// An extended attribute: inline bytes or a fork of its own.
enum Attr {
    Inline(Vec<u8>),
    Fork(Fork),
}

/// Read the volume header and the catalog; plan the children.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let v = data.get(VH..).unwrap_or_default();
    let mut info = HfsInfo {
        signature: if v.starts_with(b"HX") { "hfsx" } else { "hfs+" }.into(),
        version: be_u16(v, 2).unwrap_or(0),
        journaled: be_u32(v, 4).is_some_and(|a| a & (1 << 13) != 0),
        header_files: be_u32(v, 32).unwrap_or(0),
        header_folders: be_u32(v, 36).unwrap_or(0),
        block_size: be_u32(v, 40).unwrap_or(0),
        total_blocks: be_u32(v, 44).unwrap_or(0),
        ..HfsInfo::default()
    };
    notes.evidence(Evidence::strong(
        "hfs-volume-header",
        format!("{} volume header at 1024", info.signature.to_uppercase()),
        Some(VH as u64),
    ));
    let leaf = |info: HfsInfo| {
        Opened::Leaf(Parsed {
            format: Format::Hfs,
            metadata: Some(Metadata::Hfs(Box::new(info))),
        })
    };
    if !(512..=1 << 24).contains(&info.block_size) || !info.block_size.is_power_of_two() {
        notes.error(
            Error::malformed(format!(
                "HFS+ block size {} is not a power of two in 512..16 MiB",
                info.block_size
            ))
            .at(VH as u64 + 40),
        );
        return leaf(info);
    }
    let (Some(ext_fork), Some(cat_fork)) = (fork_at(v, 192), fork_at(v, 272)) else {
        notes.error(Error::truncated("HFS+ volume header is cut short").at(VH as u64));
        return leaf(info);
    };
    let mut vol = Volume {
        data,
        block: u64::from(info.block_size),
        blocks: u64::from(info.total_blocks),
        overflow: HashMap::new(),
    };
    let max = usize::try_from(opts.limits.max_entries_per_container).unwrap_or(usize::MAX);
    let mut errors = Vec::new();
    // The extents overflow tree (its own extents are all in the header).
    let mut used = 0;
    match vol.ranges(&ext_fork, 3, 0, &mut used) {
        Ok(r) if !r.is_empty() => match tree(vol.bytes(&r), "extents overflow") {
            Ok(t) => {
                for (k, val) in leaf_records(&t, "extents overflow", max, &mut errors) {
                    let (Some(kind), Some(id), Some(start)) =
                        (k.first(), be_u32(k, 2), be_u32(k, 6))
                    else {
                        continue;
                    };
                    let ext: Vec<(u32, u32)> = (0..8)
                        .filter_map(|i| Some((be_u32(val, 8 * i)?, be_u32(val, 8 * i + 4)?)))
                        .filter(|e| e.1 != 0)
                        .collect();
                    vol.overflow
                        .entry((*kind, id))
                        .or_default()
                        .insert(start, ext);
                }
            }
            Err(m) => errors.push(Error::malformed(m)),
        },
        Ok(_) => {}
        Err(m) => errors.push(Error::malformed(format!("HFS+ extents overflow file: {m}"))),
    }
    let cat = match vol.ranges(&cat_fork, 4, 0, &mut used) {
        Ok(r) => tree(vol.bytes(&r), "catalog"),
        Err(m) => Err(format!("HFS+ catalog file: {m}")),
    };
    let cat = match cat {
        Ok(t) => t,
        Err(m) => {
            for e in errors {
                notes.error(e);
            }
            notes.error(Error::malformed(m).at(VH as u64 + 272));
            return leaf(info);
        }
    };
    let mut folders: HashMap<u32, (u32, String)> = HashMap::new();
    let mut files: Vec<FileRec> = Vec::new();
    let records = leaf_records(&cat, "catalog", max, &mut errors);
    info.catalog_records = records.len() as u64;
    for (k, val) in records {
        let (Some(parent), Some(kind)) = (be_u32(k, 0), be_u16(val, 0)) else {
            continue;
        };
        match kind {
            1 if val.len() >= FOLDER_REC => {
                let id = be_u32(val, 8).unwrap_or(0);
                if id == 2 {
                    info.volume_name = Some(name_of(k));
                }
                folders.insert(id, (parent, name_of(k)));
                info.folders += 1;
            }
            2 if val.len() >= FILE_REC => {
                let (Some(data_fork), Some(rsrc)) = (fork_at(val, 88), fork_at(val, 168)) else {
                    continue;
                };
                files.push(FileRec {
                    parent,
                    name: name_of(k),
                    id: be_u32(val, 8).unwrap_or(0),
                    data: data_fork,
                    rsrc,
                    ftype: be_u32(val, 48).unwrap_or(0),
                    creator: be_u32(val, 52).unwrap_or(0),
                    special: be_u32(val, 44).unwrap_or(0),
                    owner_flags: val.get(41).copied().unwrap_or(0),
                    modified: be_u32(val, 16).unwrap_or(0),
                });
            }
            1 | 2 => errors.push(Error::malformed(format!(
                "HFS+ catalog record of type {kind} has {} bytes",
                val.len()
            ))),
            _ => {}
        }
    }
    let depth = usize::try_from(opts.limits.max_toc_depth).unwrap_or(usize::MAX);
    let path_of = |parent: u32, name: &str, errors: &mut Vec<Error>| -> String {
        let mut parts = vec![name.to_owned()];
        let mut p = parent;
        let mut len = name.len();
        while p != 2 && p != 1 {
            let Some((up, n)) = folders.get(&p) else {
                errors.push(Error::malformed(format!(
                    "HFS+ catalog: `{name}` lies in folder {p}, which the catalog does not list"
                )));
                parts.push(format!("[folder {p}]"));
                break;
            };
            if parts.len() > depth || len > MAX_PATH {
                errors.push(Error::limit(
                    Limit::MaxTocDepth,
                    format!("HFS+ catalog: `{name}` nests deeper than {depth} folders (or a folder loop)"),
                ));
                break;
            }
            len += n.len() + 1;
            parts.push(n.clone());
            p = *up;
        }
        parts.reverse();
        parts.join("/")
    };
    // Inode files of hard links, by number.
    let mut attrs = match v.get(352..432).and_then(|a| fork_at(a, 0)) {
        Some(f) if f.size > 0 => read_attrs(&vol, &f, max, &mut used, &mut errors),
        _ => HashMap::new(),
    };
    let private = folders
        .iter()
        .find(|(_, (parent, n))| *parent == 2 && n == "[HFS+ Private Data]")
        .map(|(id, _)| *id);
    let inodes: HashMap<String, usize> = files
        .iter()
        .enumerate()
        .filter(|(_, f)| Some(f.parent) == private)
        .map(|(i, f)| (f.name.clone(), i))
        .collect();
    let mut plan = Vec::new();
    for f in &files {
        let path = path_of(f.parent, &f.name, &mut errors);
        if f.ftype == SLNK && f.creator == RHAP {
            info.symlinks += 1;
            if info.links.len() < MAX_LINKS {
                let target = vol
                    .ranges(&f.data, f.id, 0, &mut used)
                    .map(|r| String::from_utf8_lossy(&vol.bytes(&r)).into_owned())
                    .unwrap_or_default();
                info.links
                    .push((path, target.chars().take(MAX_PATH).collect()));
            }
            continue;
        }
        let (src, key) = if f.ftype == HLNK && f.creator == HFSPLUS {
            info.hard_links += 1;
            let inode = format!("iNode{}", f.special);
            match inodes.get(&inode).and_then(|&i| files.get(i)) {
                Some(t) => (t, Some(inode)),
                None => {
                    plan.push(Planned {
                        name: path,
                        key: Some(inode.clone()),
                        ranges: Err(Error::malformed(format!(
                            "HFS+ hard link to {inode}, which the private data folder does not hold"
                        ))),
                        owned: None,
                        size: 0,
                        mtime: None,
                        compressed: None,
                    });
                    continue;
                }
            }
        } else {
            (f, None)
        };
        info.files += 1;
        if src.owner_flags & UF_COMPRESSED != 0 {
            info.compressed_files += 1;
            let found = decmpfs_attr(&attrs, src.id, &vol, &mut used);
            let rsrc = vol
                .ranges(&src.rsrc, src.id, 0xFF, &mut used)
                .map_err(|m| Error::malformed(format!("HFS+ resource fork: {m}")));
            let (ranges, compressed, size) = match (found, rsrc) {
                (Ok(a), Ok(r)) => {
                    let size = crate::decmpfs::header(&a).map_or(0, |h| h.size);
                    (Ok(Vec::new()), Some((Cow::Owned(a), r)), size)
                }
                (Err(e), _) | (_, Err(e)) => (Err(e), None, 0),
            };
            plan.push(Planned {
                name: path.clone(),
                key: key.clone(),
                ranges,
                owned: None,
                size,
                mtime: hfs_time(src.modified),
                compressed,
            });
            if f.id != src.id {
                plan_attrs(
                    &mut plan, &mut attrs, f.id, &path, &vol, &mut used, &mut info,
                );
            }
            plan_attrs(
                &mut plan, &mut attrs, src.id, &path, &vol, &mut used, &mut info,
            );
            continue;
        }
        let ranges = vol
            .ranges(&src.data, src.id, 0, &mut used)
            .map_err(|m| Error::malformed(format!("HFS+ data fork: {m}")));
        plan.push(Planned {
            name: path.clone(),
            key: key.clone(),
            ranges,
            owned: None,
            size: src.data.size,
            mtime: hfs_time(src.modified),
            compressed: None,
        });
        if src.rsrc.size > 0 {
            info.resource_forks += 1;
            let ranges = vol
                .ranges(&src.rsrc, src.id, 0xFF, &mut used)
                .map_err(|m| Error::malformed(format!("HFS+ resource fork: {m}")));
            plan.push(Planned {
                name: format!("{path}/..namedfork/rsrc"),
                key: key.clone(),
                ranges,
                owned: None,
                size: src.rsrc.size,
                mtime: hfs_time(src.modified),
                compressed: None,
            });
        }
        if f.id != src.id {
            plan_attrs(
                &mut plan, &mut attrs, f.id, &path, &vol, &mut used, &mut info,
            );
        }
        plan_attrs(
            &mut plan, &mut attrs, src.id, &path, &vol, &mut used, &mut info,
        );
    }
    // Attributes of folders (and of anything the catalog did not list).
    let mut rest: Vec<u32> = attrs.keys().copied().collect();
    rest.sort_unstable();
    for id in rest {
        let path = match folders.get(&id) {
            Some((parent, name)) if id != 2 => path_of(*parent, name, &mut errors),
            Some(_) => String::new(),
            None => format!("[cnid {id}]"),
        };
        plan_attrs(&mut plan, &mut attrs, id, &path, &vol, &mut used, &mut info);
    }
    info.overflow_extents = used;
    for e in errors {
        notes.error(e);
    }
    Opened::Container(Box::new(Walk {
        data,
        info,
        plan,
        next: 0,
        max_whole: opts.limits.max_buffered_entry,
    }))
}

/// Largest `com.apple.decmpfs` attribute read (inline data is at most a
/// few KiB; 7-Zip expects 2 KiB and 17 bytes at most in APFS).
const MAX_DECMPFS_ATTR: u64 = 64 << 10;

/// The `com.apple.decmpfs` attribute of file `id`, as bytes.
fn decmpfs_attr(
    attrs: &HashMap<u32, Vec<(String, Attr)>>,
    id: u32,
    vol: &Volume<'_>,
    used: &mut u64,
) -> Result<Vec<u8>, Error> {
    let Some((_, a)) = attrs
        .get(&id)
        .and_then(|v| v.iter().find(|(n, _)| n == "com.apple.decmpfs"))
    else {
        return Err(Error::malformed(
            "HFS+ compressed file without a com.apple.decmpfs attribute",
        ));
    };
    match a {
        Attr::Inline(b) => Ok(b.clone()),
        Attr::Fork(f) if f.size <= MAX_DECMPFS_ATTR => vol
            .ranges(f, id, 1, used)
            .map(|r| vol.bytes(&r).into_owned())
            .map_err(|m| Error::malformed(format!("HFS+ decmpfs attribute: {m}"))),
        Attr::Fork(f) => Err(Error::malformed(format!(
            "HFS+ decmpfs attribute of {} bytes (at most {MAX_DECMPFS_ATTR})",
            f.size
        ))),
    }
}

/// The attributes B-tree: file id → (name, attribute), in key order.
fn read_attrs(
    vol: &Volume<'_>,
    fork: &Fork,
    max: usize,
    used: &mut u64,
    errors: &mut Vec<Error>,
) -> HashMap<u32, Vec<(String, Attr)>> {
    let mut out: HashMap<u32, Vec<(String, Attr)>> = HashMap::new();
    let t = match vol.ranges(fork, 8, 0, used) {
        Ok(r) => tree(vol.bytes(&r), "attributes"),
        Err(m) => Err(format!("HFS+ attributes file: {m}")),
    };
    let t = match t {
        Ok(t) => t,
        Err(m) => {
            errors.push(Error::malformed(m).at(VH as u64 + 352));
            return out;
        }
    };
    for (k, val) in leaf_records(&t, "attributes", max, errors) {
        // Key: pad u16, file id u32, start block u32, name length u16, name.
        let (Some(id), Some(start), Some(len)) = (be_u32(k, 2), be_u32(k, 6), be_u16(k, 10)) else {
            continue;
        };
        let units: Vec<u16> = (0..usize::from(len))
            .map_while(|i| be_u16(k, 12 + 2 * i))
            .collect();
        let name = String::from_utf16_lossy(&units).replace('/', ":");
        let attr = match be_u32(val, 0) {
            Some(0x10) => {
                let size = be_u32(val, 12).map_or(0, |n| n as usize);
                match val.get(16..16usize.saturating_add(size)) {
                    Some(b) => Attr::Inline(b.to_vec()),
                    None => {
                        errors.push(Error::malformed(format!(
                            "HFS+ attribute `{name}` of file {id}: {size} inline bytes, its record holds {}",
                            val.len().saturating_sub(16)
                        )));
                        continue;
                    }
                }
            }
            Some(0x20) if start == 0 => match fork_at(val, 8) {
                Some(f) => Attr::Fork(f),
                None => continue,
            },
            // Extents records continue a fork attribute (start block > 0).
            _ => continue,
        };
        out.entry(id).or_default().push((name, attr));
    }
    out
}

/// Plan the extended attributes of `id` as children `path:name` (7-Zip's
/// naming of alternate streams); `com.apple.decmpfs` is the compressed
/// file's header, not an attribute of its own, and is left out.
fn plan_attrs(
    plan: &mut Vec<Planned>,
    attrs: &mut HashMap<u32, Vec<(String, Attr)>>,
    id: u32,
    path: &str,
    vol: &Volume<'_>,
    used: &mut u64,
    info: &mut HfsInfo,
) {
    for (name, a) in attrs.remove(&id).unwrap_or_default() {
        if name == "com.apple.decmpfs" {
            continue;
        }
        info.attributes += 1;
        let name = format!("{path}:{name}");
        plan.push(match a {
            Attr::Inline(b) => Planned {
                name,
                key: None,
                ranges: Ok(Vec::new()),
                size: b.len() as u64,
                owned: Some(b),
                mtime: None,
                compressed: None,
            },
            Attr::Fork(f) => Planned {
                name,
                key: None,
                // Kind 1 is no fork type: an attribute's further extents
                // are in the attributes tree (not read), never a file's.
                ranges: vol
                    .ranges(&f, id, 1, used)
                    .map_err(|m| Error::malformed(format!("HFS+ attribute fork: {m}"))),
                owned: None,
                size: f.size,
                mtime: None,
                compressed: None,
            },
        });
    }
}

/// The planned children as the engine pulls them.
struct Walk<'a> {
    data: &'a [u8],
    info: HfsInfo,
    plan: Vec<Planned>,
    next: usize,
    /// [`Limits::max_buffered_entry`](installsift_model::Limits::max_buffered_entry):
    /// compressed data decoded whole.
    max_whole: u64,
}

impl Container for Walk<'_> {
    fn next_entry(&mut self, _notes: &mut Notes) -> Option<Entry<'_>> {
        let p = self.plan.get_mut(self.next)?;
        self.next += 1;
        let mut info = EntryInfo::new(EntryKind::File).modified(p.mtime);
        info.key = p.key.clone();
        let name = std::mem::take(&mut p.name);
        if let Some(parts) = p.compressed.take() {
            let data = crate::decmpfs::entry_data(self.data, parts, p.size, self.max_whole);
            return Some(Entry { name, info, data });
        }
        if let Some(b) = p.owned.take() {
            return Some(Entry {
                name,
                info,
                data: Data::Owned(b),
            });
        }
        let ranges = match std::mem::replace(&mut p.ranges, Ok(Vec::new())) {
            Ok(r) => r,
            Err(error) => {
                return Some(Entry {
                    name,
                    info,
                    data: Data::Missing {
                        size: p.size,
                        error,
                    },
                })
            }
        };
        let slice = |&(o, l): &(u64, u64)| crate::region(self.data, o, l);
        let data = match ranges.as_slice() {
            [] => Data::Slice(&[]),
            [one] => {
                info.offset = Some(one.0);
                Data::Slice(slice(one))
            }
            many => Data::Decode {
                reader: Box::new(Extents {
                    parts: many.iter().map(slice).collect(),
                    i: 0,
                }),
                declared: Some(p.size),
                stored: Some(p.size),
            },
        };
        Some(Entry { name, info, data })
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        Parsed {
            format: Format::Hfs,
            metadata: Some(Metadata::Hfs(Box::new(self.info))),
        }
    }
}

/// A fork of several extents, read in order.
struct Extents<'a> {
    parts: Vec<&'a [u8]>,
    i: usize,
}

impl Read for Extents<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(p) = self.parts.get_mut(self.i) {
            if p.is_empty() {
                self.i += 1;
                continue;
            }
            return p.read(buf);
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{list, Listed};
    use installsift_model::Limits;

    #[test]
    fn name_shows_slash_as_colon_and_private_folders() {
        let k = [0, 0, 0, 0, 0, 2, 0, b'a', 0, b'/'];
        assert_eq!(name_of(&k), "a:");
        let mut k = vec![0, 0, 0, 0, 0, 5];
        for c in "\0\0\0\0x".encode_utf16() {
            k.extend_from_slice(&c.to_be_bytes());
        }
        assert_eq!(name_of(&k), "[x]");
    }

    #[test]
    fn sniff_needs_signature_and_version() {
        let mut d = vec![0u8; 2048];
        d[VH..VH + 4].copy_from_slice(b"H+\0\x04");
        assert!(sniff(&d));
        d[VH + 3] = 5;
        assert!(!sniff(&d));
        d[VH + 1] = b'X';
        assert!(sniff(&d));
    }

    /// The HFSX volume of a corpus image, decoded.
    fn volume() -> Vec<u8> {
        volume_of("hello-zlib.dmg")
    }

    /// The HFS+ volume of `corpus/dmg/<name>`, decoded.
    fn volume_of(name: &str) -> Vec<u8> {
        let dmg = std::fs::read(format!(
            "{}/../../corpus/dmg/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let parts = list(crate::dmg::open, &dmg, &Limits::default(), 100);
        parts
            .entries
            .into_iter()
            .find_map(|(_, _, l)| match l {
                Listed::Decoded(Ok(b)) if sniff(&b) => Some(b),
                _ => None,
            })
            .unwrap()
    }

    #[test]
    fn catalog_leaf_loop_ends_with_an_error() {
        let mut data = volume();
        let v = VH;
        let block = be_u32(&data, v + 40).unwrap() as usize;
        let cat = be_u32(&data, v + 272 + 16).unwrap() as usize * block;
        let node_size = be_u16(&data, cat + 14 + 18).unwrap() as usize;
        let first = be_u32(&data, cat + 14 + 10).unwrap();
        let leaf = cat + first as usize * node_size;
        data[leaf..leaf + 4].copy_from_slice(&first.to_be_bytes());
        let l = list(open, &data, &Limits::default(), 1000);
        assert!(
            l.notes
                .errors
                .iter()
                .any(|e| e.message().contains("returns to node")),
            "{:?}",
            l.notes.errors
        );
    }

    #[test]
    fn extents_past_the_volume_are_missing_not_read() {
        // Say the volume ends where the catalog ends: the files stored
        // after it are missing.
        let mut data = volume();
        let cat_end = be_u32(&data, VH + 272 + 16).unwrap() + be_u32(&data, VH + 272 + 20).unwrap();
        data[VH + 44..VH + 48].copy_from_slice(&cat_end.to_be_bytes());
        let l = list(open, &data, &Limits::default(), 1000);
        let missing: Vec<_> = l
            .entries
            .iter()
            .filter_map(|(n, _, x)| match x {
                Listed::Missing { error, .. } => Some((n, error)),
                _ => None,
            })
            .collect();
        assert!(
            !missing.is_empty(),
            "{:?}",
            l.entries.iter().map(|e| (&e.0, &e.2)).collect::<Vec<_>>()
        );
        for (n, e) in &missing {
            assert!(e.message().contains("past the volume"), "{n}: {e}");
        }
        // Every file of this volume is stored after its catalog.
        assert_eq!(l.entries.len(), missing.len());
        assert!(missing.len() >= 17);
    }

    /// SHA-256 of each listed file, by name.
    fn hashes(l: &crate::container::Listing, data: &[u8]) -> Vec<(String, String)> {
        use sha2::Digest;
        l.entries
            .iter()
            .map(|(n, _, x)| {
                let b: &[u8] = match x {
                    Listed::Slice { at, len } => &data[*at..*at + *len],
                    Listed::Decoded(Ok(b)) => b,
                    other => panic!("{n}: {other:?}"),
                };
                let h = sha2::Sha256::digest(b);
                (n.clone(), h.iter().map(|x| format!("{x:02x}")).collect())
            })
            .collect()
    }

    #[test]
    fn compressed_files_decode_to_their_sources() {
        let data = volume_of("decmpfs-zlib.dmg");
        let l = list(open, &data, &Limits::default(), 100);
        assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
        let want = std::fs::read_to_string(format!(
            "{}/../../corpus/reference/dmg__decmpfs-zlib.dmg.source.tsv",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let mut want: Vec<(String, String)> = want
            .lines()
            .map(|r| {
                let f: Vec<&str> = r.split('\t').collect();
                (
                    f[0].trim_start_matches("Firefox/").to_owned(),
                    f[2].to_owned(),
                )
            })
            .collect();
        let mut got = hashes(&l, &data);
        want.sort();
        got.sort();
        assert_eq!(got, want);
        let Some(Metadata::Hfs(h)) = &l.parsed.metadata else {
            panic!()
        };
        assert_eq!(h.compressed_files, 3);
    }

    #[test]
    fn a_compressed_size_that_disagrees_with_its_blocks_is_an_error() {
        let mut data = volume_of("decmpfs-zlib.dmg");
        // The type 4 attributes (big.txt, noise.bin): each says 10 blocks'
        // worth of bytes, which their forks do not hold.
        let at: Vec<usize> = memchr::memmem::find_iter(&data, b"fpmc\x04\0\0\0").collect();
        assert_eq!(at.len(), 2);
        for a in at {
            data[a + 8..a + 16].copy_from_slice(&(10u64 << 16).to_le_bytes());
        }
        let l = list(open, &data, &Limits::default(), 100);
        let missing: Vec<_> = l
            .entries
            .iter()
            .filter_map(|(n, _, x)| match x {
                Listed::Missing { error, .. } => Some((n.as_str(), error.message().to_owned())),
                _ => None,
            })
            .collect();
        assert_eq!(missing.len(), 2, "{missing:?}");
        for (n, m) in missing {
            assert!(m.contains("blocks in the resource fork"), "{n}: {m}");
        }
    }

    #[test]
    fn listing_without_the_engine() {
        let data = volume();
        let l = list(open, &data, &Limits::default(), 1000);
        assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
        let names: Vec<&str> = l.entries.iter().map(|e| e.0.as_str()).collect();
        assert!(
            names.contains(&"Hello.app/Contents/MacOS/Hello"),
            "{names:?}"
        );
        assert!(names.contains(&"frag.bin"), "{names:?}");
        for (n, _, listed) in &l.entries {
            assert!(!matches!(listed, Listed::Missing { .. }), "{n}: {listed:?}");
        }
        let Some(Metadata::Hfs(h)) = &l.parsed.metadata else {
            panic!()
        };
        assert_eq!(h.symlinks, 1);
        assert_eq!(h.links[0], ("README.link".into(), "README.txt".into()));
    }
}
