//! APFS containers (Apple File System, a disk image's partition on macOS
//! 10.13 and later): every volume's files listed and extracted.
//!
//! Layout (little-endian; Apple's "Apple File System Reference"): every
//! metadata object is one block that starts with a 32-byte header (its
//! Fletcher-64 checksum, object id, transaction id, type). Block 0 holds a
//! copy of the container superblock (`NXSB` at 32: block size at 36, block
//! count at 40, the checkpoint descriptor area at 104/112, the object map
//! at 160, the volumes' virtual ids at 184); the newest valid superblock in
//! the checkpoint descriptor area is the one in force. Object maps are
//! B-trees of (virtual id, transaction) → physical block; each volume
//! (`APSB`) has its own, and its file-system tree is a B-tree of records
//! keyed by (object id, record type): inodes, directory entries, extended
//! attributes, file extents.
//!
//! Children are the regular files of each volume, named by their path
//! from the volume root (with several volumes, below `Volume1/`,
//! `Volume2/`…, as 7-Zip names them), and the extended attributes of files
//! as `path:name` (7-Zip's alternate streams), the resource fork among them
//! (`path:com.apple.ResourceFork`). The symbolic-link target attribute is
//! not a stream: links are counted and listed with their targets in the
//! metadata, not extracted. A file compressed by the file system
//! (`UF_COMPRESSED`, data in `com.apple.decmpfs` or the resource fork) is
//! decoded by [`crate::decmpfs`], its resource fork then not a stream of
//! its own (as 7-Zip shows it); a type not decoded is missing with an
//! `unsupported` error, never an empty file.
//! Encrypted volumes are named and not read.
//!
//! Every object read is checked by its Fletcher-64 checksum; an object
//! whose checksum fails is not used (an error names its block), so no file
//! is listed from damaged metadata. Bounds: every block number is checked
//! against the container's block count and the bytes at hand; every B-tree
//! walk visits a block at most once in the whole container, each child one
//! level below its parent; records are at most
//! [`Limits::max_entries_per_container`] files; directory nesting is
//! followed at most [`Limits::max_toc_depth`] deep.
//!
//! [`Limits::max_toc_depth`]: installsift_model::Limits::max_toc_depth
//! [`Limits::max_entries_per_container`]: installsift_model::Limits::max_entries_per_container

use super::container::{Container, Data, End, Entry, Notes, Opened, Options};
use super::{le_u16, le_u32, le_u64, Handler, Metadata, Parsed};
use installsift_model::error::Error;
use installsift_model::limits::Limit;
use installsift_model::{Check, EntryInfo, EntryKind, Evidence, Format, Timestamp};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::io::{self, Read};

/// Symbolic links kept in the metadata (the rest are counted).
const MAX_LINKS: usize = 64;
/// Longest path reported (macOS `PATH_MAX`).
const MAX_PATH: usize = 1024;
/// Volumes a container can hold (`NX_MAX_FILE_SYSTEMS`).
const MAX_VOLUMES: usize = 100;
/// Deepest B-tree followed (real trees have a handful of levels).
const MAX_LEVELS: u16 = 32;
/// Size of `btree_info_t` at the end of a root node.
const BTREE_INFO: usize = 40;

const OBJ_NX_SUPERBLOCK: u32 = 0x01;
const OBJ_BTREE: u32 = 0x02;
const OBJ_BTREE_NODE: u32 = 0x03;
const OBJ_OMAP: u32 = 0x0b;
const OBJ_FS: u32 = 0x0d;
const OBJ_PHYSICAL: u32 = 0x4000_0000;

const BTNODE_ROOT: u16 = 1;
const BTNODE_LEAF: u16 = 2;
const BTNODE_FIXED_KV_SIZE: u16 = 4;

const OMAP_VAL_DELETED: u32 = 1;
const OMAP_VAL_ENCRYPTED: u32 = 4;

const TYPE_INODE: u8 = 3;
const TYPE_XATTR: u8 = 4;
const TYPE_FILE_EXTENT: u8 = 8;
const TYPE_DIR_REC: u8 = 9;

const ROOT_DIR: u64 = 2;
/// The parent of the root and private directories.
const ROOT_PARENT: u64 = 1;
const DT_DIR: u16 = 4;
const DT_REG: u16 = 8;
const DT_LNK: u16 = 10;
const S_IFMT: u16 = 0o170_000;
const S_IFLNK: u16 = 0o120_000;
/// `bsd_flags`: the file is compressed (decmpfs).
const UF_COMPRESSED: u32 = 0x20;
/// `internal_flags`: the file may have holes (no extent for a range).
const INODE_IS_SPARSE: u64 = 0x200;
/// Volume incompatible features: names hashed in directory keys.
const INCOMPAT_CASE_INSENSITIVE: u64 = 1;
const INCOMPAT_NORMALIZATION_INSENSITIVE: u64 = 8;
/// `apfs_fs_flags`: the volume is not encrypted.
const APFS_FS_UNENCRYPTED: u64 = 1;
/// Inode extended field: the data stream (`j_dstream_t`).
const INO_EXT_TYPE_DSTREAM: u8 = 8;
/// Extended attribute flags.
const XATTR_DATA_STREAM: u16 = 1;
const XATTR_DATA_EMBEDDED: u16 = 2;

/// One volume's facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ApfsVolume {
    /// Index in the container's volume list.
    pub index: u32,
    /// The volume's name.
    pub name: String,
    /// Its role (`apfs_role`: 0 none, 1 system, 0x40 data …).
    pub role: u16,
    /// Names compare without case.
    pub case_insensitive: bool,
    /// The volume is encrypted (not read).
    pub encrypted: bool,
    /// Files the volume superblock counts.
    pub header_files: u64,
    /// Directories the volume superblock counts.
    pub header_directories: u64,
    /// Symbolic links the volume superblock counts.
    pub header_symlinks: u64,
    /// Snapshots (not listed).
    pub snapshots: u64,
    /// File-system records read.
    pub records: u64,
}

/// APFS container facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ApfsInfo {
    /// Block size.
    pub block_size: u32,
    /// Blocks in the container.
    pub block_count: u64,
    /// Transaction of the superblock read.
    pub xid: u64,
    /// Block of the superblock read (0: the copy at block 0; else one in
    /// the checkpoint descriptor area, newer than that copy).
    pub superblock_block: u64,
    /// The volumes.
    pub volumes: Vec<ApfsVolume>,
    /// Metadata objects read, each checked by its Fletcher-64 checksum.
    pub objects_checked: u64,
    /// Files listed.
    pub files: u64,
    /// Directories.
    pub directories: u64,
    /// Extended attributes listed (children `path:name`).
    pub attributes: u64,
    /// Symbolic links (not extracted).
    pub symlinks: u64,
    /// Other entries (devices, FIFOs, sockets), not listed.
    pub other: u64,
    /// Files compressed by the file system (decmpfs), decoded.
    pub compressed_files: u64,
    /// Symbolic links: path and target (the first 64).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<(String, String)>,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "apfs",
    format: Format::Apfs,
    sniff,
    open,
};

/// An APFS container superblock: `NXSB` at 32, in an object of type
/// `NX_SUPERBLOCK`, with a power-of-two block size of 4 KiB to 64 KiB.
pub fn sniff(data: &[u8]) -> bool {
    data.get(32..36) == Some(b"NXSB")
        && le_u32(data, 24).is_some_and(|t| t & 0xFFFF == OBJ_NX_SUPERBLOCK)
        && le_u32(data, 36).is_some_and(|b| (4096..=65536).contains(&b) && b.is_power_of_two())
}

/// APFS's Fletcher-64 of an object: over its bytes after the checksum
/// field, as 32-bit little-endian words (the stored value makes the sum of
/// the whole object zero).
pub fn fletcher64(obj: &[u8]) -> u64 {
    const M: u64 = 0xFFFF_FFFF;
    let (mut s1, mut s2) = (0u64, 0u64);
    for chunk in obj.get(8..).unwrap_or_default().chunks(4 * 1024) {
        for w in chunk.chunks_exact(4) {
            s1 += u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
            s2 += s1;
        }
        s1 %= M;
        s2 %= M;
    }
    let c1 = M - (s1 + s2) % M;
    let c2 = M - (s1 + c1) % M;
    c2 << 32 | c1
}

/// The container's blocks, and what reading them found.
struct Nx<'a> {
    data: &'a [u8],
    bs: usize,
    blocks: u64,
    /// Blocks read as B-tree nodes (each at most once in the container).
    visited: HashSet<u64>,
    checked: u64,
    errors: Vec<Error>,
}

impl<'a> Nx<'a> {
    /// Block `paddr`'s bytes, checked against the block count and the
    /// data at hand.
    fn block(&self, paddr: u64) -> Result<&'a [u8], Error> {
        if paddr >= self.blocks {
            return Err(Error::malformed(format!(
                "APFS block {paddr} lies past the container's {} blocks",
                self.blocks
            )));
        }
        let off = paddr.saturating_mul(self.bs as u64);
        let start = usize::try_from(off).unwrap_or(usize::MAX);
        self.data
            .get(start..start.saturating_add(self.bs))
            .ok_or_else(|| {
                Error::truncated(format!(
                    "APFS block {paddr} (byte {off}) lies past the {}-byte data",
                    self.data.len()
                ))
                .at(off)
            })
    }

    /// The object at block `paddr`, its checksum verified and its type
    /// (low 16 bits) one of `types`.
    fn object(&mut self, paddr: u64, types: &[u32], what: &str) -> Result<&'a [u8], Error> {
        let b = self.block(paddr)?;
        let off = paddr * self.bs as u64;
        let stored = le_u64(b, 0).unwrap_or(0);
        if stored != fletcher64(b) {
            return Err(Error::checksum(format!(
                "APFS {what} at block {paddr}: its Fletcher-64 checksum does not match"
            ))
            .at(off));
        }
        self.checked += 1;
        let t = le_u32(b, 24).unwrap_or(0) & 0xFFFF;
        if !types.contains(&t) {
            return Err(Error::malformed(format!(
                "APFS {what} at block {paddr} is an object of type {t:#x}"
            ))
            .at(off + 24));
        }
        Ok(b)
    }

    /// Walk a B-tree from its root at `root` (a physical block, or a
    /// virtual id resolved through `omap`), handing every leaf record
    /// (key, value) to `visit`, in key order. Each block is read at most
    /// once in the container; problems go to the errors.
    fn walk(
        &mut self,
        root: u64,
        omap: Option<&HashMap<u64, u64>>,
        what: &str,
        visit: &mut dyn FnMut(&'a [u8], &'a [u8]),
    ) {
        let resolve = |oid: u64| -> Result<u64, Error> {
            match omap {
                None => Ok(oid),
                Some(m) => m.get(&oid).copied().ok_or_else(|| {
                    Error::malformed(format!("APFS {what}: node {oid} is not in the object map"))
                }),
            }
        };
        let mut fixed: Option<(usize, usize)> = None;
        // (block, the level it must have; None for the root).
        let mut stack: Vec<(u64, Option<u16>)> = Vec::new();
        match resolve(root) {
            Ok(p) => stack.push((p, None)),
            Err(e) => {
                self.errors.push(e);
                return;
            }
        }
        while let Some((paddr, want)) = stack.pop() {
            if !self.visited.insert(paddr) {
                self.errors.push(Error::malformed(format!(
                    "APFS {what}: block {paddr} is reached a second time (a loop or a shared node)"
                )));
                continue;
            }
            let b = match self.object(paddr, &[OBJ_BTREE, OBJ_BTREE_NODE], what) {
                Ok(b) => b,
                Err(e) => {
                    self.errors.push(e);
                    continue;
                }
            };
            let off = paddr * self.bs as u64;
            let flags = le_u16(b, 32).unwrap_or(0);
            let level = le_u16(b, 34).unwrap_or(0);
            let root_node = flags & BTNODE_ROOT != 0;
            if want.is_none() {
                if !root_node {
                    self.errors.push(
                        Error::malformed(format!("APFS {what}: its root node lacks the root flag"))
                            .at(off + 32),
                    );
                    continue;
                }
                if level > MAX_LEVELS {
                    self.errors.push(
                        Error::malformed(format!(
                            "APFS {what}: root at level {level} (more than {MAX_LEVELS})"
                        ))
                        .at(off + 34),
                    );
                    continue;
                }
                let info = self.bs - BTREE_INFO;
                let (ns, ks, vs) = (
                    le_u32(b, info + 4).unwrap_or(0),
                    le_u32(b, info + 8).unwrap_or(0),
                    le_u32(b, info + 12).unwrap_or(0),
                );
                if ns as usize != self.bs {
                    self.errors.push(
                        Error::unsupported(format!(
                            "APFS {what}: nodes of {ns} bytes in {}-byte blocks",
                            self.bs
                        ))
                        .at(off + info as u64 + 4),
                    );
                    continue;
                }
                fixed = Some((ks as usize, vs as usize));
            } else if root_node || Some(level) != want {
                self.errors.push(
                    Error::malformed(format!(
                        "APFS {what}: node at block {paddr} has level {level}, its parent wants {}",
                        want.unwrap_or(0)
                    ))
                    .at(off + 34),
                );
                continue;
            }
            let leaf = flags & BTNODE_LEAF != 0;
            if leaf != (level == 0) {
                self.errors.push(
                    Error::malformed(format!(
                        "APFS {what}: node at block {paddr} is level {level} with leaf flag {leaf}"
                    ))
                    .at(off + 32),
                );
                continue;
            }
            let fixed_kv = (flags & BTNODE_FIXED_KV_SIZE != 0)
                .then_some(fixed)
                .flatten();
            let entries = match node_entries(b, self.bs, root_node, leaf, fixed_kv, flags) {
                Ok(e) => e,
                Err(m) => {
                    self.errors
                        .push(Error::malformed(format!("APFS {what}: block {paddr}: {m}")).at(off));
                    continue;
                }
            };
            if leaf {
                for (k, v) in entries {
                    visit(k, v);
                }
                continue;
            }
            // Children in reverse, so the stack pops them in key order.
            for (_, v) in entries.into_iter().rev() {
                let Some(oid) = le_u64(v, 0) else {
                    continue;
                };
                match resolve(oid) {
                    Ok(p) => stack.push((p, Some(level - 1))),
                    Err(e) => self.errors.push(e),
                }
            }
        }
    }
}

/// A node's records: (key, value) pairs borrowed from the node.
type Pairs<'b> = Vec<(&'b [u8], &'b [u8])>;

/// A node's (key, value) pairs from its table of contents, every range
/// checked to lie in the node's key or value area.
fn node_entries(
    b: &[u8],
    bs: usize,
    root: bool,
    leaf: bool,
    fixed: Option<(usize, usize)>,
    flags: u16,
) -> Result<Pairs<'_>, String> {
    let nkeys = le_u32(b, 36).unwrap_or(0) as usize;
    let toff = usize::from(le_u16(b, 40).unwrap_or(0));
    let tlen = usize::from(le_u16(b, 42).unwrap_or(0));
    let toc = 56 + toff;
    let keys = toc + tlen;
    let vend = if root { bs - BTREE_INFO } else { bs };
    if keys > vend {
        return Err(format!("its table of contents ends at {keys}, past {vend}"));
    }
    if flags & BTNODE_FIXED_KV_SIZE != 0 && fixed.is_none() {
        return Err("fixed-size entries in a tree without sizes".into());
    }
    let esize = if fixed.is_some() { 4 } else { 8 };
    if nkeys.saturating_mul(esize) > tlen {
        return Err(format!(
            "{nkeys} entries do not fit its {tlen}-byte table of contents"
        ));
    }
    let mut out = Vec::with_capacity(nkeys);
    for i in 0..nkeys {
        let e = toc + i * esize;
        let (ko, kl, vo, vl) = match fixed {
            Some((ks, vs)) => (
                le_u16(b, e),
                Some(ks),
                le_u16(b, e + 2),
                Some(if leaf { vs } else { 8 }),
            ),
            None => (
                le_u16(b, e),
                le_u16(b, e + 2).map(usize::from),
                le_u16(b, e + 4),
                le_u16(b, e + 6).map(usize::from),
            ),
        };
        let (Some(ko), Some(kl), Some(vo), Some(vl)) = (ko, kl, vo, vl) else {
            return Err(format!("entry {i} is cut short"));
        };
        let ks = keys + usize::from(ko);
        let key = b
            .get(ks..ks.saturating_add(kl))
            .filter(|_| ks + kl <= vend)
            .ok_or_else(|| format!("entry {i}'s key at {ks}+{kl} lies outside the node"))?;
        let vs = vend
            .checked_sub(usize::from(vo))
            .filter(|&s| s >= keys)
            .ok_or_else(|| format!("entry {i}'s value offset {vo} lies outside the node"))?;
        let val = b
            .get(vs..vs.saturating_add(vl))
            .filter(|_| vs + vl <= vend)
            .ok_or_else(|| format!("entry {i}'s value at {vs}+{vl} lies outside the node"))?;
        out.push((key, val));
    }
    Ok(out)
}

/// An object map's entries: virtual id → physical block, for the newest
/// transaction at most `xid`. Deleted entries are dropped; encrypted ones
/// are counted in the second value.
fn read_omap(nx: &mut Nx<'_>, paddr: u64, xid: u64, what: &str) -> (HashMap<u64, u64>, u64) {
    let mut best: HashMap<u64, (u64, u64, u32)> = HashMap::new();
    let tree = match nx.object(paddr, &[OBJ_OMAP], what) {
        Ok(b) => le_u64(b, 48).unwrap_or(0),
        Err(e) => {
            nx.errors.push(e);
            return (HashMap::new(), 0);
        }
    };
    nx.walk(tree, None, what, &mut |k, v| {
        let (Some(oid), Some(x), Some(flags), Some(p)) =
            (le_u64(k, 0), le_u64(k, 8), le_u32(v, 0), le_u64(v, 8))
        else {
            return;
        };
        if x > xid {
            return;
        }
        match best.get(&oid) {
            Some(&(bx, _, _)) if bx >= x => {}
            _ => {
                best.insert(oid, (x, p, flags));
            }
        }
    });
    let encrypted = best
        .values()
        .filter(|v| v.2 & OMAP_VAL_ENCRYPTED != 0)
        .count() as u64;
    let map = best
        .into_iter()
        .filter(|(_, v)| v.2 & OMAP_VAL_DELETED == 0)
        .map(|(k, v)| (k, v.1))
        .collect();
    (map, encrypted)
}

/// An inode's facts.
#[derive(Default)]
struct Inode {
    private_id: u64,
    mode: u16,
    bsd_flags: u32,
    internal_flags: u64,
    mod_time: u64,
    size: u64,
}

/// An extended attribute's value.
enum Xattr<'a> {
    Embedded(&'a [u8]),
    Stream { id: u64, size: u64 },
}

/// One volume's file-system records.
#[derive(Default)]
struct Records<'a> {
    inodes: HashMap<u64, Inode>,
    /// (parent directory, name, inode, type).
    drecs: Vec<(u64, String, u64, u16)>,
    /// Data stream id → (logical offset, length, physical block).
    extents: HashMap<u64, Vec<(u64, u64, u64)>>,
    xattrs: HashMap<u64, Vec<(String, Xattr<'a>)>>,
    count: u64,
}

/// A name from a key: UTF-8 up to its NUL, `/` shown as `:`.
fn name_from(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).replace('/', ":")
}

/// The data stream of an inode's extended fields (`xf_blob_t` at 92):
/// its size, or 0 without one.
fn dstream_size(v: &[u8]) -> u64 {
    let Some(n) = le_u16(v, 92) else {
        return 0;
    };
    let mut data = 96 + 4 * usize::from(n);
    for i in 0..usize::from(n) {
        let h = 96 + 4 * i;
        let (Some(&t), Some(size)) = (v.get(h), le_u16(v, h + 2)) else {
            return 0;
        };
        if t == INO_EXT_TYPE_DSTREAM {
            return le_u64(v, data).unwrap_or(0);
        }
        data = data.saturating_add(usize::from(size).div_ceil(8) * 8);
    }
    0
}

/// A directory entry's type: its own, or its inode's mode when it says
/// `DT_UNKNOWN` (0).
fn entry_type(dtype: u16, inode: Option<&Inode>) -> u16 {
    if dtype != 0 {
        return dtype;
    }
    match inode.map(|i| i.mode & S_IFMT) {
        Some(0o040_000) => DT_DIR,
        Some(0o100_000) => DT_REG,
        Some(S_IFLNK) => DT_LNK,
        _ => 0,
    }
}

fn record<'a>(r: &mut Records<'a>, hashed: bool, k: &'a [u8], v: &'a [u8]) {
    let Some(h) = le_u64(k, 0) else {
        return;
    };
    r.count += 1;
    let id = h & 0x0FFF_FFFF_FFFF_FFFF;
    match (h >> 60) as u8 {
        TYPE_INODE if v.len() >= 92 => {
            r.inodes.insert(
                id,
                Inode {
                    private_id: le_u64(v, 8).unwrap_or(0),
                    mode: le_u16(v, 80).unwrap_or(0),
                    bsd_flags: le_u32(v, 68).unwrap_or(0),
                    internal_flags: le_u64(v, 48).unwrap_or(0),
                    mod_time: le_u64(v, 24).unwrap_or(0),
                    size: dstream_size(v),
                },
            );
        }
        TYPE_DIR_REC => {
            // The entry's type is resolved against its inode once all
            // records are read (an entry may say DT_UNKNOWN).
            let name = if hashed {
                let len = le_u32(k, 8).unwrap_or(0) as usize & 0x3FF;
                k.get(12..12 + len)
            } else {
                let len = usize::from(le_u16(k, 8).unwrap_or(0));
                k.get(10..10 + len)
            };
            let (Some(name), Some(file), Some(flags)) = (name, le_u64(v, 0), le_u16(v, 16)) else {
                return;
            };
            r.drecs.push((id, name_from(name), file, flags & 0xF));
        }
        TYPE_FILE_EXTENT => {
            let (Some(logical), Some(lf), Some(phys)) = (le_u64(k, 8), le_u64(v, 0), le_u64(v, 8))
            else {
                return;
            };
            r.extents
                .entry(id)
                .or_default()
                .push((logical, lf & 0x00FF_FFFF_FFFF_FFFF, phys));
        }
        TYPE_XATTR => {
            let len = usize::from(le_u16(k, 8).unwrap_or(0));
            let (Some(name), Some(flags), Some(xlen)) =
                (k.get(10..10 + len), le_u16(v, 0), le_u16(v, 2))
            else {
                return;
            };
            let x = if flags & XATTR_DATA_EMBEDDED != 0 {
                match v.get(4..4 + usize::from(xlen)) {
                    Some(b) => Xattr::Embedded(b),
                    None => return,
                }
            } else if flags & XATTR_DATA_STREAM != 0 {
                let (Some(sid), Some(size)) = (le_u64(v, 4), le_u64(v, 12)) else {
                    return;
                };
                Xattr::Stream { id: sid, size }
            } else {
                return;
            };
            r.xattrs.entry(id).or_default().push((name_from(name), x));
        }
        _ => {}
    }
}

/// A piece of a file's data: a region of the container, or a hole.
#[derive(Debug, Clone, Copy)]
enum Piece {
    Region(u64, u64),
    Zeros(u64),
}

/// One child, planned.
struct Planned<'a> {
    name: String,
    pieces: Result<Vec<Piece>, Error>,
    embedded: Option<&'a [u8]>,
    size: u64,
    mtime: Option<Timestamp>,
    /// A file compressed by the file system: its `com.apple.decmpfs`
    /// attribute and its resource fork's regions, decoded by
    /// [`crate::decmpfs`].
    compressed: Option<crate::decmpfs::Parts<'a>>,
}

/// Largest `com.apple.decmpfs` attribute read from a stream (7-Zip
/// expects 2 KiB and 17 bytes at most).
const MAX_DECMPFS_ATTR: u64 = 64 << 10;

/// A compressed file's attribute and resource fork, or why they cannot be
/// read.
fn compressed_parts<'a>(
    nx: &Nx<'a>,
    r: &Records<'a>,
    attrs: Option<&Vec<(String, Xattr<'a>)>>,
) -> Result<crate::decmpfs::Parts<'a>, Error> {
    let find = |n: &str| {
        attrs
            .and_then(|a| a.iter().find(|(k, _)| k == n))
            .map(|(_, x)| x)
    };
    let regions = |id: u64, size: u64, what: &str| -> Result<Vec<(u64, u64)>, Error> {
        let p = pieces(nx, r.extents.get(&id), size, false)
            .map_err(|m| Error::malformed(format!("APFS {what}: {m}")))?;
        Ok(p.into_iter()
            .filter_map(|p| match p {
                Piece::Region(o, l) => Some((o, l)),
                Piece::Zeros(_) => None,
            })
            .collect())
    };
    let attr = match find("com.apple.decmpfs") {
        None => {
            return Err(Error::malformed(
                "APFS compressed file without a com.apple.decmpfs attribute",
            ))
        }
        Some(Xattr::Embedded(b)) => Cow::Borrowed(*b),
        Some(Xattr::Stream { size, .. }) if *size > MAX_DECMPFS_ATTR => {
            return Err(Error::malformed(format!(
                "APFS decmpfs attribute of {size} bytes (at most {MAX_DECMPFS_ATTR})"
            )))
        }
        Some(Xattr::Stream { id, size }) => {
            let mut v = Vec::new();
            for (o, l) in regions(*id, *size, "decmpfs attribute")? {
                v.extend_from_slice(crate::region(nx.data, o, l));
            }
            Cow::Owned(v)
        }
    };
    let fork = match find("com.apple.ResourceFork") {
        Some(Xattr::Stream { id, size }) => regions(*id, *size, "resource fork")?,
        Some(Xattr::Embedded(b)) => {
            // Regions of the container: an embedded fork is inside a node.
            let off = b.as_ptr() as usize - nx.data.as_ptr() as usize;
            vec![(off as u64, b.len() as u64)]
        }
        None => Vec::new(),
    };
    Ok((attr, fork))
}

/// A data stream's pieces from its extents: in logical order, each
/// extent's blocks checked against the container; a gap is a hole only in
/// a sparse file, an overlap is an error, and together they must hold the
/// stream's `size` bytes.
fn pieces(
    nx: &Nx<'_>,
    extents: Option<&Vec<(u64, u64, u64)>>,
    size: u64,
    sparse: bool,
) -> Result<Vec<Piece>, String> {
    let mut ext: Vec<(u64, u64, u64)> = extents.cloned().unwrap_or_default();
    ext.sort_unstable();
    let bs = nx.bs as u64;
    let mut out = Vec::new();
    let mut at = 0u64;
    for (logical, len, phys) in ext {
        if at >= size {
            break;
        }
        if logical < at {
            return Err(format!(
                "extent at {logical} overlaps the one before (to {at})"
            ));
        }
        if logical > at {
            if !sparse {
                return Err(format!("no extent holds bytes {at}..{logical}"));
            }
            out.push(Piece::Zeros(logical - at));
            at = logical;
        }
        let take = len.min(size - at);
        if phys == 0 {
            out.push(Piece::Zeros(take));
        } else {
            let nblocks = len.div_ceil(bs);
            if phys.checked_add(nblocks).is_none_or(|e| e > nx.blocks) {
                return Err(format!(
                    "extent of blocks {phys}+{nblocks} lies past the container's {} blocks",
                    nx.blocks
                ));
            }
            // The block count comes from the file: the product may not fit.
            let off = phys.saturating_mul(bs);
            if off
                .checked_add(take)
                .is_none_or(|e| e > nx.data.len() as u64)
            {
                return Err(format!(
                    "extent at byte {off} of {take} bytes lies past the {}-byte data",
                    nx.data.len()
                ));
            }
            match out.last_mut() {
                Some(Piece::Region(o, l)) if *o + *l == off => *l += take,
                _ => out.push(Piece::Region(off, take)),
            }
        }
        at += take;
    }
    if at < size {
        if !sparse {
            return Err(format!("its extents hold {at} of its {size} bytes"));
        }
        out.push(Piece::Zeros(size - at));
    }
    Ok(out)
}

fn apfs_time(ns: u64) -> Option<Timestamp> {
    if ns == 0 {
        return None;
    }
    Timestamp::unix(i64::try_from(ns / 1_000_000_000).ok()?)
}

/// Read the superblock, the object maps and every volume's tree; plan the
/// children.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    notes.evidence(Evidence::strong(
        "apfs-superblock",
        "APFS container superblock `NXSB` at 32",
        Some(32),
    ));
    let mut info = ApfsInfo {
        block_size: le_u32(data, 36).unwrap_or(0),
        block_count: le_u64(data, 40).unwrap_or(0),
        ..ApfsInfo::default()
    };
    let leaf = |info: ApfsInfo| {
        Opened::Leaf(Parsed {
            format: Format::Apfs,
            metadata: Some(Metadata::Apfs(Box::new(info))),
        })
    };
    if !(4096..=65536).contains(&info.block_size) || !info.block_size.is_power_of_two() {
        notes.error(
            Error::malformed(format!(
                "APFS block size {} is not a power of two in 4 KiB..64 KiB",
                info.block_size
            ))
            .at(36),
        );
        return leaf(info);
    }
    let mut nx = Nx {
        data,
        bs: info.block_size as usize,
        blocks: info.block_count,
        visited: HashSet::new(),
        checked: 0,
        errors: Vec::new(),
    };
    // The superblock in force: the newest valid one in the checkpoint
    // descriptor area, else block 0's copy.
    let mut sb: Option<(u64, &[u8])> = None;
    match nx.object(0, &[OBJ_NX_SUPERBLOCK], "container superblock") {
        Ok(b) => sb = Some((0, b)),
        Err(e) => nx.errors.push(e),
    }
    if let Some((_, b0)) = sb {
        let desc_blocks = le_u32(b0, 104).unwrap_or(0);
        let base = le_u64(b0, 112).unwrap_or(0);
        // The top bit says the area is not contiguous (a B-tree of its
        // blocks): then block 0's copy is used.
        if desc_blocks & 0x8000_0000 == 0 {
            for i in 0..u64::from(desc_blocks).min(nx.blocks) {
                let p = base.saturating_add(i);
                let Ok(b) = nx.block(p) else {
                    break;
                };
                if b.get(32..36) != Some(b"NXSB")
                    || le_u32(b, 24).is_none_or(|t| t & 0xFFFF != OBJ_NX_SUPERBLOCK)
                    || le_u64(b, 0) != Some(fletcher64(b))
                {
                    continue;
                }
                let newer = sb.is_none_or(|(_, s)| le_u64(b, 16) > le_u64(s, 16));
                if newer && le_u32(b, 36) == Some(info.block_size) {
                    nx.checked += 1;
                    sb = Some((p, b));
                }
            }
        }
    }
    let Some((sb_block, sb)) = sb else {
        for e in nx.errors {
            notes.error(e);
        }
        return leaf(info);
    };
    info.superblock_block = sb_block;
    info.xid = le_u64(sb, 16).unwrap_or(0);
    let (omap, _) = read_omap(
        &mut nx,
        le_u64(sb, 160).unwrap_or(0),
        info.xid,
        "container object map",
    );
    let max = usize::try_from(opts.limits.max_entries_per_container).unwrap_or(usize::MAX);
    let depth = usize::try_from(opts.limits.max_toc_depth).unwrap_or(usize::MAX);
    let max_fs = (le_u32(sb, 180).unwrap_or(0) as usize).clamp(1, MAX_VOLUMES);
    let vol_oids: Vec<u64> = (0..max_fs)
        .filter_map(|i| le_u64(sb, 184 + 8 * i))
        .filter(|&o| o != 0)
        .collect();
    let several = vol_oids.len() > 1;
    let mut plan: Vec<Planned<'a>> = Vec::new();
    let mut full = false;
    for (vi, oid) in vol_oids.into_iter().enumerate() {
        let Some(&paddr) = omap.get(&oid) else {
            nx.errors.push(Error::malformed(format!(
                "APFS volume {vi} (object {oid}) is not in the container's object map"
            )));
            continue;
        };
        let vb = match nx.object(paddr, &[OBJ_FS], "volume superblock") {
            Ok(b) if b.get(32..36) == Some(b"APSB") => b,
            Ok(_) => {
                nx.errors.push(
                    Error::malformed(format!(
                        "APFS volume superblock at block {paddr} lacks `APSB`"
                    ))
                    .at(paddr * nx.bs as u64 + 32),
                );
                continue;
            }
            Err(e) => {
                nx.errors.push(e);
                continue;
            }
        };
        let incompat = le_u64(vb, 56).unwrap_or(0);
        let mut vol = ApfsVolume {
            index: le_u32(vb, 36).unwrap_or(0),
            name: name_from(vb.get(704..960).unwrap_or_default()),
            role: le_u16(vb, 964).unwrap_or(0),
            case_insensitive: incompat & INCOMPAT_CASE_INSENSITIVE != 0,
            encrypted: le_u64(vb, 264).unwrap_or(0) & APFS_FS_UNENCRYPTED == 0,
            header_files: le_u64(vb, 184).unwrap_or(0),
            header_directories: le_u64(vb, 192).unwrap_or(0),
            header_symlinks: le_u64(vb, 200).unwrap_or(0),
            snapshots: le_u64(vb, 216).unwrap_or(0),
            records: 0,
        };
        let prefix = if several {
            format!("Volume{}/", vi + 1)
        } else {
            String::new()
        };
        if vol.encrypted {
            nx.errors.push(Error::encrypted(format!(
                "APFS volume `{}` is encrypted: not read",
                vol.name
            )));
            info.volumes.push(vol);
            continue;
        }
        let what = format!("volume `{}` object map", vol.name);
        let (vmap, enc) = read_omap(&mut nx, le_u64(vb, 128).unwrap_or(0), info.xid, &what);
        if enc > 0 {
            nx.errors.push(Error::encrypted(format!(
                "APFS volume `{}`: {enc} of its objects are encrypted",
                vol.name
            )));
        }
        let tree_type = le_u32(vb, 116).unwrap_or(0);
        let root = le_u64(vb, 136).unwrap_or(0);
        let hashed =
            incompat & (INCOMPAT_CASE_INSENSITIVE | INCOMPAT_NORMALIZATION_INSENSITIVE) != 0;
        let mut recs = Records::default();
        let what = format!("volume `{}` file-system tree", vol.name);
        let map = (tree_type & OBJ_PHYSICAL == 0).then_some(&vmap);
        nx.walk(root, map, &what, &mut |k, v| {
            record(&mut recs, hashed, k, v)
        });
        vol.records = recs.count;
        if !full {
            let (f, errors) = plan_volume(&nx, &recs, &prefix, max, depth, &mut plan, &mut info);
            full = f;
            nx.errors.extend(errors);
        }
        info.volumes.push(vol);
    }
    info.objects_checked = nx.checked;
    if nx.errors.iter().all(|e| e.kind() != "checksum") && nx.checked > 0 {
        notes.verified(Check::ApfsFletcher64);
    }
    for e in nx.errors {
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

/// Plan one volume's files and their attributes: whether the entry limit
/// was reached, and the errors met.
fn plan_volume<'a>(
    nx: &Nx<'a>,
    r: &Records<'a>,
    prefix: &str,
    max: usize,
    depth: usize,
    plan: &mut Vec<Planned<'a>>,
    info: &mut ApfsInfo,
) -> (bool, Vec<Error>) {
    let mut errors = Vec::new();
    let dirs: HashMap<u64, (u64, &str)> = r
        .drecs
        .iter()
        .filter(|d| entry_type(d.3, r.inodes.get(&d.2)) == DT_DIR)
        .map(|d| (d.2, (d.0, d.1.as_str())))
        .collect();
    // The root and the private directory are entries of directory 1.
    info.directories += dirs.values().filter(|d| d.0 != ROOT_PARENT).count() as u64;
    let path_of = |parent: u64, name: &str, errors: &mut Vec<Error>| -> String {
        let mut parts = vec![name.to_owned()];
        let mut p = parent;
        let mut len = name.len();
        while p != ROOT_DIR {
            if let Some(&(ROOT_PARENT, n)) = dirs.get(&p) {
                // A file in a top-level directory other than the root
                // (the private directory): named after it.
                parts.push(format!("[{n}]"));
                break;
            }
            let Some(&(up, n)) = dirs.get(&p) else {
                errors.push(Error::malformed(format!(
                    "APFS: `{name}` lies in directory {p}, which no directory entry names"
                )));
                parts.push(format!("[dir {p}]"));
                break;
            };
            if parts.len() > depth || len > MAX_PATH {
                errors.push(Error::limit(
                    Limit::MaxTocDepth,
                    format!("APFS: `{name}` nests deeper than {depth} directories (or a loop)"),
                ));
                break;
            }
            len += n.len() + 1;
            parts.push(n.to_owned());
            p = up;
        }
        parts.reverse();
        format!("{prefix}{}", parts.join("/"))
    };
    let mut full = false;
    let mut push = |plan: &mut Vec<Planned<'a>>, p: Planned<'a>, errors: &mut Vec<Error>| {
        if plan.len() >= max {
            if !full {
                errors.push(Error::limit(
                    Limit::MaxEntriesPerContainer,
                    format!("APFS container holds more than {max} files and attributes"),
                ));
            }
            full = true;
            return;
        }
        plan.push(p);
    };
    for (parent, name, id, dtype) in &r.drecs {
        let inode = r.inodes.get(id);
        let dtype = &entry_type(*dtype, inode);
        if *dtype == DT_DIR {
            continue;
        }
        let is_link = *dtype == DT_LNK || inode.is_some_and(|i| i.mode & S_IFMT == S_IFLNK);
        if is_link {
            info.symlinks += 1;
            if info.links.len() < MAX_LINKS {
                let target = r
                    .xattrs
                    .get(id)
                    .and_then(|a| a.iter().find(|(n, _)| n == "com.apple.fs.symlink"))
                    .and_then(|(_, x)| match x {
                        Xattr::Embedded(b) => {
                            let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
                            Some(String::from_utf8_lossy(&b[..end]).into_owned())
                        }
                        Xattr::Stream { .. } => None,
                    })
                    .unwrap_or_default();
                info.links.push((
                    path_of(*parent, name, &mut errors),
                    target.chars().take(MAX_PATH).collect(),
                ));
            }
            continue;
        }
        if *dtype != DT_REG {
            info.other += 1;
            continue;
        }
        let path = path_of(*parent, name, &mut errors);
        info.files += 1;
        let Some(inode) = inode else {
            push(
                plan,
                Planned {
                    name: path,
                    pieces: Err(Error::malformed(format!(
                        "APFS: directory entry names inode {id}, which the tree does not hold"
                    ))),
                    embedded: None,
                    size: 0,
                    mtime: None,
                    compressed: None,
                },
                &mut errors,
            );
            continue;
        };
        let mtime = apfs_time(inode.mod_time);
        let attrs = r.xattrs.get(id);
        let compressed = inode.bsd_flags & UF_COMPRESSED != 0;
        // The resource fork holds a compressed file's data: not a stream
        // of its own (as 7-Zip shows it).
        let mut fork_used = false;
        if compressed {
            info.compressed_files += 1;
            let (pieces, parts, size) = match compressed_parts(nx, r, attrs) {
                Ok((a, f)) => {
                    let h = crate::decmpfs::header(&a);
                    fork_used = h.is_some_and(|h| crate::decmpfs::in_fork(h.kind));
                    (Ok(Vec::new()), Some((a, f)), h.map_or(0, |h| h.size))
                }
                Err(e) => (Err(e), None, 0),
            };
            push(
                plan,
                Planned {
                    name: path.clone(),
                    pieces,
                    embedded: None,
                    size,
                    mtime,
                    compressed: parts,
                },
                &mut errors,
            );
        } else {
            let sparse = inode.internal_flags & INODE_IS_SPARSE != 0;
            let p = pieces(nx, r.extents.get(&inode.private_id), inode.size, sparse)
                .map_err(|m| Error::malformed(format!("APFS file `{path}`: {m}")));
            push(
                plan,
                Planned {
                    name: path.clone(),
                    pieces: p,
                    embedded: None,
                    size: inode.size,
                    mtime,
                    compressed: None,
                },
                &mut errors,
            );
        }
        for (aname, x) in attrs.map(|a| a.as_slice()).unwrap_or_default() {
            if aname == "com.apple.fs.symlink"
                || aname == "com.apple.decmpfs"
                || (fork_used && aname == "com.apple.ResourceFork")
            {
                continue;
            }
            info.attributes += 1;
            let name = format!("{path}:{aname}");
            let p = match x {
                Xattr::Embedded(b) => Planned {
                    name,
                    pieces: Ok(Vec::new()),
                    embedded: Some(b),
                    size: b.len() as u64,
                    mtime,
                    compressed: None,
                },
                Xattr::Stream { id: sid, size } => Planned {
                    pieces: pieces(nx, r.extents.get(sid), *size, false)
                        .map_err(|m| Error::malformed(format!("APFS attribute `{name}`: {m}"))),
                    name,
                    embedded: None,
                    size: *size,
                    mtime,
                    compressed: None,
                },
            };
            push(plan, p, &mut errors);
        }
    }
    (full, errors)
}

/// The planned children as the engine pulls them.
struct Walk<'a> {
    data: &'a [u8],
    info: ApfsInfo,
    plan: Vec<Planned<'a>>,
    next: usize,
    /// [`Limits::max_buffered_entry`](installsift_model::Limits::max_buffered_entry):
    /// compressed data decoded whole.
    max_whole: u64,
}

impl Container for Walk<'_> {
    fn next_entry(&mut self, _notes: &mut Notes) -> Option<Entry<'_>> {
        let p = self.plan.get_mut(self.next)?;
        self.next += 1;
        let info = EntryInfo::new(EntryKind::File).modified(p.mtime);
        let name = std::mem::take(&mut p.name);
        if let Some(parts) = p.compressed.take() {
            let data = crate::decmpfs::entry_data(self.data, parts, p.size, self.max_whole);
            return Some(Entry { name, info, data });
        }
        if let Some(b) = p.embedded.take() {
            return Some(Entry {
                name,
                info,
                data: Data::Slice(b),
            });
        }
        let pieces = match std::mem::replace(&mut p.pieces, Ok(Vec::new())) {
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
        let data = self.data;
        let slice = move |o: u64, l: u64| crate::region(data, o, l);
        let mut info = info;
        let data = match pieces.as_slice() {
            [] => Data::Slice(&[]),
            [Piece::Region(o, l)] => {
                info.offset = Some(*o);
                Data::Slice(slice(*o, *l))
            }
            many => Data::Decode {
                reader: Box::new(Pieces {
                    parts: many
                        .iter()
                        .map(|p| match *p {
                            Piece::Region(o, l) => Part::Bytes(slice(o, l)),
                            Piece::Zeros(n) => Part::Zeros(n),
                        })
                        .collect(),
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
            format: Format::Apfs,
            metadata: Some(Metadata::Apfs(Box::new(self.info))),
        }
    }
}

enum Part<'a> {
    Bytes(&'a [u8]),
    Zeros(u64),
}

/// A data stream of several pieces (regions and holes), read in order.
struct Pieces<'a> {
    parts: Vec<Part<'a>>,
    i: usize,
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(p) = self.parts.get_mut(self.i) {
            match p {
                Part::Bytes(b) if !b.is_empty() => return b.read(buf),
                Part::Zeros(n) if *n > 0 => {
                    let k = buf.len().min(usize::try_from(*n).unwrap_or(usize::MAX));
                    buf[..k].fill(0);
                    *n -= k as u64;
                    return Ok(k);
                }
                _ => self.i += 1,
            }
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{list, Listed};
    use installsift_model::Limits;

    fn sample() -> Vec<u8> {
        std::fs::read(format!(
            "{}/../../corpus/apfs/dfvfs_apfs.raw",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn nx(data: &[u8]) -> Nx<'_> {
        Nx {
            data,
            bs: 4096,
            blocks: le_u64(data, 40).unwrap(),
            visited: HashSet::new(),
            checked: 0,
            errors: Vec::new(),
        }
    }

    /// Blocks of the volume superblock and of its file-system tree's root.
    fn volume_and_root(data: &[u8]) -> (u64, u64) {
        let mut n = nx(data);
        let xid = le_u64(data, 16).unwrap();
        let (omap, _) = read_omap(&mut n, le_u64(data, 160).unwrap(), xid, "t");
        let vol = omap[&le_u64(data, 184).unwrap()];
        let vb = n.block(vol).unwrap();
        let (vmap, _) = read_omap(&mut n, le_u64(vb, 128).unwrap(), xid, "t");
        (vol, vmap[&le_u64(vb, 136).unwrap()])
    }

    /// Write a block's checksum again after an edit.
    fn reseal(data: &mut [u8], block: u64) {
        let b = &mut data[block as usize * 4096..][..4096];
        let c = fletcher64(b);
        b[..8].copy_from_slice(&c.to_le_bytes());
    }

    fn names(l: &crate::container::Listing) -> Vec<&str> {
        l.entries.iter().map(|e| e.0.as_str()).collect()
    }

    #[test]
    fn every_object_of_the_sample_verifies() {
        let d = sample();
        assert_eq!(le_u64(&d, 0), Some(fletcher64(&d[..4096])));
        let l = list(open, &d, &Limits::default(), 100);
        assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
        assert_eq!(l.notes.verified, vec![Check::ApfsFletcher64]);
        assert_eq!(names(&l).len(), 9, "{:?}", names(&l));
        let Some(Metadata::Apfs(a)) = &l.parsed.metadata else {
            panic!()
        };
        assert_eq!(a.volumes[0].name, "apfs_test");
        assert_eq!(
            a.links,
            vec![("a_link".into(), "a_directory/another_file".into())]
        );
        assert_eq!((a.files, a.directories, a.attributes), (7, 2, 2));
    }

    #[test]
    fn a_damaged_node_is_not_used() {
        let mut d = sample();
        let (_, root) = volume_and_root(&d);
        // One byte of the file-system tree's root (a leaf here) changed
        // without its checksum: no file is listed from it.
        d[root as usize * 4096 + 100] ^= 1;
        let l = list(open, &d, &Limits::default(), 100);
        assert!(l.entries.is_empty(), "{:?}", names(&l));
        let e = &l.notes.errors[0];
        assert_eq!(e.kind(), "checksum", "{e}");
        assert_eq!(e.offset(), Some(root * 4096));
        assert!(l.notes.verified.is_empty());
        assert_eq!(l.parsed.format, Format::Apfs);
    }

    #[test]
    fn a_newer_checkpoint_superblock_is_the_one_read() {
        let mut d = sample();
        let xid = le_u64(&d, 16).unwrap();
        // Make block 0's copy older than the checkpoint's.
        d[16..24].copy_from_slice(&(xid - 1).to_le_bytes());
        reseal(&mut d, 0);
        let l = list(open, &d, &Limits::default(), 100);
        let Some(Metadata::Apfs(a)) = &l.parsed.metadata else {
            panic!()
        };
        assert_ne!(a.superblock_block, 0);
        assert_eq!(a.xid, xid);
        assert_eq!(l.entries.len(), 9);
    }

    #[test]
    fn a_tree_that_points_at_itself_ends_with_an_error() {
        let mut d = sample();
        let (_, root) = volume_and_root(&d);
        // Make the root an index node (level 1) whose children are itself.
        let b = root as usize * 4096;
        let flags = le_u16(&d, b + 32).unwrap() & !BTNODE_LEAF;
        d[b + 32..b + 34].copy_from_slice(&flags.to_le_bytes());
        d[b + 34..b + 36].copy_from_slice(&1u16.to_le_bytes());
        reseal(&mut d, root);
        let l = list(open, &d, &Limits::default(), 100);
        assert!(l.entries.is_empty());
        assert!(!l.notes.errors.is_empty());
    }

    #[test]
    fn truncated_data_keeps_the_format_and_says_where() {
        let d = sample();
        let (_, root) = volume_and_root(&d);
        let cut = &d[..root as usize * 4096];
        let l = list(open, cut, &Limits::default(), 100);
        assert_eq!(l.parsed.format, Format::Apfs);
        assert!(
            l.notes
                .errors
                .iter()
                .any(|e| e.kind() == "truncated" && e.offset().is_some()),
            "{:?}",
            l.notes.errors
        );
    }

    #[test]
    fn the_entry_limit_is_named() {
        let d = sample();
        let limits = Limits {
            max_entries_per_container: 3,
            ..Limits::default()
        };
        let l = list(open, &d, &limits, 100);
        assert_eq!(l.entries.len(), 3);
        assert!(l
            .notes
            .errors
            .iter()
            .any(|e| e.limit_hit() == Some(Limit::MaxEntriesPerContainer)));
    }

    #[test]
    fn extents_past_the_container_are_missing_not_read() {
        let mut d = sample();
        // Every file extent of the tree's root leaf points past the
        // container.
        let (_, root) = volume_and_root(&d);
        let blocks = le_u64(&d, 40).unwrap();
        let at = root as usize * 4096;
        let node = d[at..at + 4096].to_vec();
        let mut n = 0;
        for (k, v) in node_entries(&node, 4096, true, true, None, 0).unwrap() {
            if le_u64(k, 0).unwrap() >> 60 == u64::from(TYPE_FILE_EXTENT) {
                let off = v.as_ptr() as usize - node.as_ptr() as usize + 8;
                d[at + off..at + off + 8].copy_from_slice(&(blocks + 5).to_le_bytes());
                n += 1;
            }
        }
        assert!(n > 0);
        reseal(&mut d, root);
        let l = list(open, &d, &Limits::default(), 100);
        let missing: Vec<_> = l
            .entries
            .iter()
            .filter_map(|(n, _, x)| match x {
                Listed::Missing { error, .. } => Some((n, error.message().to_owned())),
                _ => None,
            })
            .collect();
        assert!(!missing.is_empty(), "{:?}", l.notes.errors);
        for (n, m) in &missing {
            assert!(m.contains("past the container"), "{n}: {m}");
        }
    }

    #[test]
    fn holes_read_as_zeros_only_in_sparse_files() {
        let d = sample();
        let n = nx(&d);
        let ext = vec![(0, 4096, 10), (8192, 4096, 11)];
        assert!(pieces(&n, Some(&ext), 12288, false).is_err());
        let p = pieces(&n, Some(&ext), 12288, true).unwrap();
        assert!(matches!(p[1], Piece::Zeros(4096)), "{p:?}");
        let overlap = vec![(0, 8192, 10), (4096, 8192, 11)];
        assert!(pieces(&n, Some(&overlap), 12288, true).is_err());
        // Adjacent extents are one region.
        // A block number whose byte offset does not fit in 64 bits, in a
        // container that claims that many blocks.
        let mut huge = nx(&d);
        huge.blocks = u64::MAX;
        let far = vec![(0, 4096, u64::MAX / 2)];
        assert!(pieces(&huge, Some(&far), 4096, false).is_err());
        let adj = vec![(0, 4096, 10), (4096, 100, 11)];
        assert!(matches!(
            pieces(&n, Some(&adj), 4196, false).unwrap()[..],
            [Piece::Region(40960, 4196)]
        ));
    }

    #[test]
    fn an_unknown_entry_type_is_read_from_the_inode() {
        let file = Inode {
            mode: 0o100_644,
            ..Inode::default()
        };
        let dir = Inode {
            mode: 0o040_755,
            ..Inode::default()
        };
        assert_eq!(entry_type(0, Some(&file)), DT_REG);
        assert_eq!(entry_type(0, Some(&dir)), DT_DIR);
        assert_eq!(entry_type(0, None), 0);
        assert_eq!(entry_type(DT_LNK, Some(&file)), DT_LNK);
    }

    #[test]
    fn sniff_needs_the_object_type_and_block_size() {
        let d = sample();
        assert!(sniff(&d));
        let mut e = d[..4096].to_vec();
        e[36] = 0x11;
        assert!(!sniff(&e));
        let mut e = d[..4096].to_vec();
        e[24] = 2;
        assert!(!sniff(&e));
    }
}
