//! The Authenticode digest of a Windows Installer file (MSI, MSM, MSP): the
//! value its `\x05DigitalSignature` signs, and the MSI hash that AppLocker
//! and App Control (WDAC) hash rules use.
//!
//! The scheme is the one osslsigncode implements (`msi.c`,
//! `msi_hash_dir` / `msi_prehash_dir`) after Wine and Microsoft's MSI SIP,
//! cross-checked against `osslsigncode verify` ("Calculated
//! DigitalSignature"; its "Calculated message digest" line is the flat file
//! hash, not this):
//!
//! * **Content digest.** For a storage, starting at the root: take its
//!   children (the sibling tree below it), sorted by their *raw* name bytes —
//!   the name field's first `name length` bytes, UTF-16LE with the
//!   terminating zero — with `memcmp` over the shorter length; when that
//!   prefix is equal the *longer* name comes first. At the root, skip the
//!   `\x05DigitalSignature` and `\x05MsiDigitalSignatureEx` streams (a child
//!   is skipped when its raw name and the signature name agree over the
//!   shorter length). Hash each stream's content (streams of size 0 add
//!   nothing; the size is the low 32 bits of the size field), recurse into
//!   each sub-storage, ignore other entry types, then hash the storage's
//!   own CLSID (16 bytes). So the digest ends with the root CLSID.
//! * **Extended form** (`MsiDigitalSignatureEx`, osslsigncode
//!   `-add-msi-dse`): first a *pre-hash* of the metadata, walked in the same
//!   order, the storage before its children: the root's CLSID and state
//!   bits; for every other storage its name (without the terminator), CLSID,
//!   state bits, creation and modification times; for every stream its name,
//!   the low 4 bytes of its size, state bits and the two times. The
//!   signature then covers `H(prehash || content)`, where `content` is what
//!   the content digest hashes; the `MsiDigitalSignatureEx` stream holds the
//!   prehash.
//!
//! The compound file is read with our tolerant reader, but the digest is
//! all-or-nothing: any stream that cannot be read, a loop in the directory
//! tree or a name length outside 1..=64 (which osslsigncode also refuses)
//! means no digest, with an error saying why.

use super::reader::{Cfb, DirEntry, EntryType, NOSTREAM};
use crate::pe::signature::{self, AnyDigest};
use crate::pe::{DigestAlgorithm, SignatureInfo};
use installsift_model::error::Error;
use installsift_model::hash::{self, to_hex};
use serde::Serialize;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// Raw name of `\x05DigitalSignature`, UTF-16LE with its terminator.
const DIGITAL_SIGNATURE: &str = "\u{5}DigitalSignature\0";
/// Raw name of `\x05MsiDigitalSignatureEx`, UTF-16LE with its terminator.
const DIGITAL_SIGNATURE_EX: &str = "\u{5}MsiDigitalSignatureEx\0";
/// Deepest storage nesting hashed.
const MAX_DEPTH: usize = 32;
/// Largest stream size osslsigncode accepts (`MAXREGSECT`); bigger ones are
/// skipped like empty ones.
const MAXREGSECT: u64 = 0xFFFF_FFFA;

/// The Authenticode digests of a Windows Installer file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MsiAuthenticode {
    /// SHA-256 of the content digest (see the module docs): what a plain
    /// MSI signature signs, and the hash AppLocker `Msi` and WDAC hash rules
    /// use. Serialized as lowercase hex.
    pub sha256: hash::Sha256,
    /// SHA-1 of the same bytes.
    pub sha1: hash::Sha1,
    /// The file carries a `\x05DigitalSignature` stream at the root.
    pub signed: bool,
    /// When the file carries `\x05MsiDigitalSignatureEx` (an extended
    /// signature): the pre-hash and the digest such a signature signs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended: Option<MsiExtendedDigest>,
}

/// The digests of the extended (`MsiDigitalSignatureEx`) form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MsiExtendedDigest {
    /// SHA-256 pre-hash of the metadata (the `MsiDigitalSignatureEx` stream
    /// of a SHA-256 signature holds this).
    pub prehash_sha256: hash::Sha256,
    /// SHA-1 pre-hash of the metadata.
    pub prehash_sha1: hash::Sha1,
    /// SHA-256 of `prehash_sha256 || content`: what an extended SHA-256
    /// signature signs.
    pub sha256: hash::Sha256,
    /// SHA-1 of `prehash_sha1 || content`.
    pub sha1: hash::Sha1,
}

/// SHA-256 and SHA-1 side by side.
#[derive(Clone, Default)]
struct Pair {
    sha256: Sha256,
    sha1: Sha1,
}

impl Pair {
    fn update(&mut self, data: &[u8]) {
        self.sha256.update(data);
        self.sha1.update(data);
    }
    fn finish(self) -> (hash::Sha256, hash::Sha1) {
        (
            hash::Sha256(self.sha256.finalize().into()),
            hash::Sha1(self.sha1.finalize().into()),
        )
    }
}

/// Where content bytes go: the plain pair, and the extended pair (already
/// fed with the pre-hashes) when the file is extended-signed.
struct Content {
    plain: Pair,
    extended: Option<(Sha256, Sha1)>,
}

impl Content {
    fn update(&mut self, data: &[u8]) {
        self.plain.update(data);
        if let Some((a, b)) = &mut self.extended {
            a.update(data);
            b.update(data);
        }
    }
}

/// Where hashed bytes go: a pair, the plain-and-extended set, or one
/// digest of a signature's algorithm.
trait Sink {
    fn update(&mut self, data: &[u8]);
}

impl Sink for Pair {
    fn update(&mut self, data: &[u8]) {
        Pair::update(self, data);
    }
}

impl Sink for Content {
    fn update(&mut self, data: &[u8]) {
        Content::update(self, data);
    }
}

impl Sink for AnyDigest {
    fn update(&mut self, data: &[u8]) {
        AnyDigest::update(self, data);
    }
}

/// The MSI Authenticode digest with one algorithm, to compare with the
/// digest a signature signed: the content digest, or, when `extended`, the
/// pre-hash of the metadata and `H(prehash || content)`. Returns (digest,
/// pre-hash).
pub(crate) fn digest_with(
    cfb: &Cfb<'_>,
    max_stream: u64,
    alg: DigestAlgorithm,
    extended: bool,
) -> Result<(Vec<u8>, Option<Vec<u8>>), Error> {
    let root = cfb
        .root()
        .ok_or_else(|| Error::malformed("MSI Authenticode: the root entry is unreadable"))?;
    let mut h = alg.hasher();
    let mut prehash = None;
    if extended {
        let mut meta = alg.hasher();
        prehash_storage(cfb, root, true, 0, &mut meta)?;
        let p = meta.finish();
        h.update(&p);
        prehash = Some(p);
    }
    let mut budget = Budget {
        left: (cfb.data().len() as u64).saturating_mul(4).max(1 << 20),
    };
    hash_storage(cfb, root, true, 0, max_stream, &mut budget, &mut h)?;
    Ok((h.finish(), prehash))
}

/// What the signature check of a Windows Installer file found.
pub(crate) struct SignatureCheck {
    /// Each signature read, with its comparison.
    pub signatures: Vec<SignatureInfo>,
    /// Mismatches (checksum) and what could not be read.
    pub errors: Vec<Error>,
    /// At least one signature, and every one matched.
    pub verified: bool,
}

/// When the file carries `\x05DigitalSignature` at its root: read the
/// PKCS#7 signature in it, compute the MSI Authenticode digest with each
/// signature's algorithm (the extended form when `\x05MsiDigitalSignatureEx`
/// is present, whose content must then be the computed pre-hash), and
/// compare. `None` for an unsigned file.
pub(crate) fn check_signature(cfb: &Cfb<'_>, max_stream: u64) -> Option<SignatureCheck> {
    let root = cfb.root()?;
    let top = children(cfb, root).ok()?;
    let find = |name: &str| {
        let raw = utf16le(name);
        top.iter()
            .copied()
            .find(|e| e.kind == EntryType::Stream && e.raw_name == raw)
    };
    let sig_entry = find(DIGITAL_SIGNATURE)?;
    let ex_entry = find(DIGITAL_SIGNATURE_EX);
    let mut out = SignatureCheck {
        signatures: Vec::new(),
        errors: Vec::new(),
        verified: false,
    };
    let what = "MSI Authenticode signature";
    let sigs = match cfb
        .read_stream(sig_entry, 1 << 20)
        .and_then(|b| signature::parse_pkcs7(&b))
    {
        Ok(s) => s,
        Err(e) => {
            out.errors.push(installsift_model::error::context(e, what));
            return Some(out);
        }
    };
    let stored_prehash = match ex_entry.map(|e| cfb.read_stream(e, 1 << 16)) {
        Some(Ok(b)) => Some(b),
        Some(Err(e)) => {
            out.errors.push(installsift_model::error::context(e, what));
            return Some(out);
        }
        None => None,
    };
    let mut all = !sigs.is_empty();
    // One pass over the streams per algorithm, whatever the signature count.
    type Computed = Result<(Vec<u8>, Option<Vec<u8>>), Error>;
    let mut computed: Vec<(DigestAlgorithm, Computed)> = Vec::new();
    for sig in &sigs {
        if !computed.iter().any(|(a, _)| *a == sig.algorithm) {
            let d = digest_with(cfb, max_stream, sig.algorithm, stored_prehash.is_some());
            computed.push((sig.algorithm, d));
        }
        let result = computed
            .iter()
            .find(|(a, _)| *a == sig.algorithm)
            .map(|(_, r)| r.clone());
        let Some(result) = result else { continue };
        let matches = match result {
            Ok((digest, prehash)) => {
                let alg = sig.algorithm.as_str();
                let mut ok = true;
                if let (Some(stored), Some(p)) = (&stored_prehash, &prehash) {
                    if stored != p && !sig.nested {
                        ok = false;
                        out.errors.push(Error::checksum(format!(
                            "MSI Authenticode: file altered after signing: MsiDigitalSignatureEx holds {alg} pre-hash {}, computed {}",
                            to_hex(stored),
                            to_hex(p)
                        )));
                    }
                }
                if digest != sig.digest {
                    ok = false;
                    out.errors.push(Error::checksum(format!(
                        "MSI Authenticode: file altered after signing: signed {alg} digest {}, computed {}",
                        to_hex(&sig.digest),
                        to_hex(&digest)
                    )));
                }
                Some(ok)
            }
            Err(e) => {
                out.errors.push(installsift_model::error::context(e, what));
                None
            }
        };
        all &= matches == Some(true);
        out.signatures.push(sig.info(matches));
    }
    out.verified = all;
    Some(out)
}

/// Compute the MSI Authenticode digests. `max_stream` bounds each stream
/// read (the scan's entry size limit).
pub fn compute(cfb: &Cfb<'_>, max_stream: u64) -> Result<MsiAuthenticode, Error> {
    let root = cfb
        .root()
        .ok_or_else(|| Error::malformed("MSI Authenticode: the root entry is unreadable"))?;
    let top = children(cfb, root)?;
    let has = |name: &str| {
        let raw = utf16le(name);
        top.iter()
            .any(|e| e.kind == EntryType::Stream && e.raw_name == raw)
    };
    let signed = has(DIGITAL_SIGNATURE);
    let extended_signed = has(DIGITAL_SIGNATURE_EX);
    let mut content = Content {
        plain: Pair::default(),
        extended: None,
    };
    let mut prehash = None;
    if extended_signed {
        let mut meta = Pair::default();
        prehash_storage(cfb, root, true, 0, &mut meta)?;
        let (p256, p1) = meta.finish();
        let mut a = Sha256::new();
        a.update(p256.as_bytes());
        let mut b = Sha1::new();
        b.update(p1.as_bytes());
        content.extended = Some((a, b));
        prehash = Some((p256, p1));
    }
    let mut budget = Budget {
        left: (cfb.data().len() as u64).saturating_mul(4).max(1 << 20),
    };
    hash_storage(cfb, root, true, 0, max_stream, &mut budget, &mut content)?;
    let (sha256, sha1) = content.plain.finish();
    let extended = match (prehash, content.extended) {
        (Some((p256, p1)), Some((a, b))) => Some(MsiExtendedDigest {
            prehash_sha256: p256,
            prehash_sha1: p1,
            sha256: hash::Sha256(a.finalize().into()),
            sha1: hash::Sha1(b.finalize().into()),
        }),
        _ => None,
    };
    Ok(MsiAuthenticode {
        sha256,
        sha1,
        signed,
        extended,
    })
}

/// Bytes still allowed to be hashed: streams of a crafted file can share
/// sectors, so the sum of their sizes is not bounded by the file size.
struct Budget {
    left: u64,
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// osslsigncode's `dirent_cmp_hash`: `memcmp` of the raw names over the
/// shorter length; on a tie the longer name sorts first.
fn cmp_hash(a: &DirEntry, b: &DirEntry) -> std::cmp::Ordering {
    let n = a.raw_name.len().min(b.raw_name.len());
    match a.raw_name[..n].cmp(&b.raw_name[..n]) {
        std::cmp::Ordering::Equal => b.raw_name.len().cmp(&a.raw_name.len()),
        o => o,
    }
}

/// Whether a root child is one of the signature streams (osslsigncode's
/// test: equal over the shorter length).
fn is_signature(e: &DirEntry) -> bool {
    [DIGITAL_SIGNATURE, DIGITAL_SIGNATURE_EX].iter().any(|s| {
        let raw = utf16le(s);
        let n = raw.len().min(e.raw_name.len());
        raw[..n] == e.raw_name[..n]
    })
}

/// The children of storage `parent` (its sibling tree), sorted for hashing.
fn children<'c>(cfb: &'c Cfb<'_>, parent: &DirEntry) -> Result<Vec<&'c DirEntry>, Error> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut stack = vec![parent.child];
    while let Some(id) = stack.pop() {
        if id == NOSTREAM {
            continue;
        }
        let e = cfb.entries.get(id as usize).ok_or_else(|| {
            Error::malformed(format!(
                "MSI Authenticode: directory tree points at entry {id}, which could not be read"
            ))
        })?;
        if id == 0 || !seen.insert(id) {
            return Err(Error::malformed(format!(
                "MSI Authenticode: directory tree reaches entry {id} twice"
            )));
        }
        if e.name_len == 0 || e.name_len > 64 {
            return Err(Error::malformed(format!(
                "MSI Authenticode: directory entry {id} declares a name length of {}",
                e.name_len
            )));
        }
        stack.push(e.right);
        stack.push(e.left);
        out.push(e);
    }
    out.sort_by(|a, b| cmp_hash(a, b));
    Ok(out)
}

fn hash_storage(
    cfb: &Cfb<'_>,
    storage: &DirEntry,
    is_root: bool,
    depth: usize,
    max_stream: u64,
    budget: &mut Budget,
    out: &mut dyn Sink,
) -> Result<(), Error> {
    for child in children(cfb, storage)? {
        if is_root && is_signature(child) {
            continue;
        }
        match child.kind {
            EntryType::Stream => {
                let size = child.size & 0xFFFF_FFFF;
                if size == 0 || size >= MAXREGSECT {
                    continue;
                }
                if size != child.size {
                    return Err(Error::malformed(format!(
                        "MSI Authenticode: stream `{}` declares {} bytes, more than 32 bits",
                        child.name, child.size
                    )));
                }
                if size > budget.left {
                    return Err(Error::limit(
            installsift_model::limits::Limit::MaxEntrySize,
                        "MSI Authenticode: the streams add up to more than four times the file size",
                    ));
                }
                budget.left -= size;
                // Borrowed when its sectors are one run (no copy), else assembled.
                let data = cfb.read_stream_cow(child, max_stream).map_err(|e| {
                    installsift_model::error::context(
                        e,
                        &format!("MSI Authenticode: stream `{}`", child.name),
                    )
                })?;
                out.update(&data);
            }
            EntryType::Storage => {
                if depth >= MAX_DEPTH {
                    return Err(Error::malformed(format!(
                        "MSI Authenticode: storages nested deeper than {MAX_DEPTH}"
                    )));
                }
                hash_storage(cfb, child, false, depth + 1, max_stream, budget, out)?;
            }
            _ => {}
        }
    }
    out.update(&storage.clsid);
    Ok(())
}

/// osslsigncode's `prehash_metadata`.
fn prehash_entry(e: &DirEntry, out: &mut dyn Sink) {
    if e.kind != EntryType::Root {
        let n = usize::from(e.name_len)
            .saturating_sub(2)
            .min(e.raw_name.len());
        out.update(&e.raw_name[..n]);
    }
    if e.kind == EntryType::Stream {
        out.update(&(e.size as u32).to_le_bytes());
    } else {
        out.update(&e.clsid);
    }
    out.update(&e.state_bits);
    if e.kind != EntryType::Root {
        out.update(&e.created);
        out.update(&e.modified);
    }
}

fn prehash_storage(
    cfb: &Cfb<'_>,
    storage: &DirEntry,
    is_root: bool,
    depth: usize,
    out: &mut dyn Sink,
) -> Result<(), Error> {
    prehash_entry(storage, out);
    for child in children(cfb, storage)? {
        if is_root && is_signature(child) {
            continue;
        }
        match child.kind {
            EntryType::Stream => prehash_entry(child, out),
            EntryType::Storage => {
                if depth >= MAX_DEPTH {
                    return Err(Error::malformed(format!(
                        "MSI Authenticode: storages nested deeper than {MAX_DEPTH}"
                    )));
                }
                prehash_storage(cfb, child, false, depth + 1, out)?;
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &[u8]) -> DirEntry {
        let mut e = super::super::reader::empty_entry(1);
        e.kind = EntryType::Stream;
        e.raw_name = name.to_vec();
        e.name_len = name.len() as u16;
        e
    }

    #[test]
    fn sort_is_memcmp_then_longer_first() {
        let a = entry(&[0x41, 0x00, 0x00, 0x00]); // "A"
        let b = entry(&[0x41, 0x00, 0x42, 0x00, 0x00, 0x00]); // "AB"
        let c = entry(&[0x00, 0x01, 0x00, 0x00]); // U+0100: low byte 0 sorts first
        let mut v = [&a, &b, &c];
        v.sort_by(|x, y| cmp_hash(x, y));
        // "A\0" vs "AB": byte 2 is 0x00 < 0x42, so "A" first; U+0100 (00 01) first of all.
        assert_eq!(
            v.iter().map(|e| e.raw_name.len()).collect::<Vec<_>>(),
            [4, 4, 6]
        );
        assert_eq!(v[0].raw_name[0], 0x00);
        // Equal over the shorter length: the longer one first.
        let short = entry(&[0x41, 0x00]);
        assert_eq!(cmp_hash(&b, &short), std::cmp::Ordering::Less);
        assert_eq!(cmp_hash(&short, &b), std::cmp::Ordering::Greater);
    }

    #[test]
    fn signature_names() {
        assert!(is_signature(&entry(&utf16le(DIGITAL_SIGNATURE))));
        assert!(is_signature(&entry(&utf16le(DIGITAL_SIGNATURE_EX))));
        assert!(!is_signature(&entry(&utf16le("\u{5}SummaryInformation\0"))));
    }
}
