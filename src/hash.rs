//! Hashes of node contents: SHA-256 always, SHA-1 and MD5 only when asked.
//!
//! Entry data is hashed while it streams out of its decompressor
//! ([`HashingSink`]); top-level files are hashed straight from their memory map.
//! No byte is hashed twice.

use md5::Md5;
use serde::Serialize;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::io::{self, Write};
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};
use std::thread::{Scope, ScopedJoinHandle};

/// Which optional hashes to compute. SHA-256 is always computed.
///
/// `authenticode` and `imphash` are PE facts (reported in the PE metadata,
/// not beside `sha256`); they are off by default because Authenticode costs
/// one more pass over every PE.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HashSelection {
    /// Compute SHA-1 too.
    pub sha1: bool,
    /// Compute MD5 too (the slowest of the three, about 0.45 GB/s here).
    pub md5: bool,
    /// Compute the Authenticode SHA-256 and SHA-1 of every PE
    /// ([`crate::formats::pe::AuthenticodeHashes`]).
    pub authenticode: bool,
    /// Compute the imphash of every PE (as python pefile's `get_imphash()`).
    pub imphash: bool,
}

impl HashSelection {
    /// SHA-256 only.
    pub const SHA256: HashSelection = HashSelection {
        sha1: false,
        md5: false,
        authenticode: false,
        imphash: false,
    };
    /// SHA-256, SHA-1 and MD5 (the content hashes; no PE-specific ones).
    pub const ALL: HashSelection = HashSelection {
        sha1: true,
        md5: true,
        authenticode: false,
        imphash: false,
    };
    /// Everything: SHA-256, SHA-1, MD5, Authenticode and imphash.
    pub const EVERYTHING: HashSelection = HashSelection {
        sha1: true,
        md5: true,
        authenticode: true,
        imphash: true,
    };

    /// The union of two selections.
    pub fn union(self, other: HashSelection) -> HashSelection {
        HashSelection {
            sha1: self.sha1 || other.sha1,
            md5: self.md5 || other.md5,
            authenticode: self.authenticode || other.authenticode,
            imphash: self.imphash || other.imphash,
        }
    }

    /// Parse a comma-separated list such as `sha256,sha1,md5,authenticode,imphash`.
    /// `sha256` is accepted and implied.
    pub fn parse_list(list: &str) -> std::result::Result<Self, String> {
        let mut sel = HashSelection::SHA256;
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match name.to_ascii_lowercase().as_str() {
                "sha256" | "sha-256" => {}
                "sha1" | "sha-1" => sel.sha1 = true,
                "md5" => sel.md5 = true,
                "authenticode" | "authentihash" => sel.authenticode = true,
                "imphash" => sel.imphash = true,
                other => {
                    return Err(format!(
                        "unknown hash `{other}` (known: sha256, sha1, md5, authenticode, imphash)"
                    ))
                }
            }
        }
        Ok(sel)
    }
}

/// Hex digests of one node's bytes, lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hashes {
    /// SHA-256, 64 lowercase hex digits.
    pub sha256: String,
    /// SHA-1, when selected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
    /// MD5, when selected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub md5: Option<String>,
}

/// Buffers at least this big are hashed with MD5 on a second thread when MD5
/// and another hash are selected (a thread costs tens of microseconds; MD5 of
/// 4 MiB takes about 9 ms here).
const PARALLEL_MIN: usize = 4 << 20;

/// Incremental hasher for the selected algorithms.
#[derive(Clone)]
pub struct Hasher {
    sha256: Sha256,
    sha1: Option<Sha1>,
    md5: Option<Md5>,
}

impl Hasher {
    /// A hasher computing SHA-256 plus whatever `sel` asks for.
    pub fn new(sel: HashSelection) -> Self {
        Hasher {
            sha256: Sha256::new(),
            sha1: sel.sha1.then(Sha1::new),
            md5: sel.md5.then(Md5::new),
        }
    }

    /// Feed bytes.
    pub fn update(&mut self, data: &[u8]) {
        // Feed the hashers chunk by chunk so that, when several run, each
        // chunk is still in cache for the next one.
        const CHUNK: usize = 64 * 1024;
        if self.sha1.is_none() && self.md5.is_none() {
            self.sha256.update(data);
            return;
        }
        if data.len() >= PARALLEL_MIN {
            if let Some(md5) = &mut self.md5 {
                // MD5 is the slowest of the three and has no CPU extension:
                // on a big buffer it runs on a second thread while this one
                // does SHA-256 (and SHA-1), so asking for all three costs
                // about as much as MD5 alone.
                let (sha256, sha1) = (&mut self.sha256, &mut self.sha1);
                std::thread::scope(|s| {
                    s.spawn(|| md5.update(data));
                    for chunk in data.chunks(CHUNK) {
                        sha256.update(chunk);
                        if let Some(h) = sha1.as_mut() {
                            h.update(chunk);
                        }
                    }
                });
                return;
            }
        }
        for chunk in data.chunks(CHUNK) {
            self.sha256.update(chunk);
            if let Some(h) = &mut self.sha1 {
                h.update(chunk);
            }
            if let Some(h) = &mut self.md5 {
                h.update(chunk);
            }
        }
    }

    /// The digests, as lowercase hex.
    pub fn finish(self) -> Hashes {
        Hashes {
            sha256: to_hex(&self.sha256.finalize()),
            sha1: self.sha1.map(|h| to_hex(&h.finalize())),
            md5: self.md5.map(|h| to_hex(&h.finalize())),
        }
    }
}

/// Bytes per chunk handed to a hashing thread ([`Feed`]).
const FEED_CHUNK: usize = 256 * 1024;
/// Chunks queued for a hashing thread at most: past that the decoding
/// thread waits, so memory stays bounded whatever the entry's size.
const FEED_DEPTH: usize = 4;

/// Where an entry's bytes are hashed as a decoder produces them: on this
/// thread, or, once [`Feed::move_to`] was called, on a scoped second thread
/// fed chunk by chunk, so that decoding and hashing overlap.
#[allow(clippy::large_enum_variant)] // one per entry, on the stack: boxing would allocate
pub(crate) enum Feed<'scope> {
    Here(Hasher),
    There {
        tx: SyncSender<Vec<u8>>,
        /// Chunks the hashing thread is done with, to be filled again.
        back: Receiver<Vec<u8>>,
        pending: Vec<u8>,
        done: ScopedJoinHandle<'scope, Hashes>,
    },
}

impl<'scope> Feed<'scope> {
    /// Move the hashing (with what it has seen so far) to a thread of
    /// `scope`; nothing happens when it is there already.
    pub(crate) fn move_to<'env>(&mut self, scope: &'scope Scope<'scope, 'env>) {
        let Feed::Here(h) = self else { return };
        let mut hasher = std::mem::replace(h, Hasher::new(HashSelection::SHA256));
        let (tx, rx) = sync_channel::<Vec<u8>>(FEED_DEPTH);
        let (back_tx, back) = channel::<Vec<u8>>();
        let done = scope.spawn(move || {
            for mut chunk in rx {
                hasher.update(&chunk);
                chunk.clear();
                // The feeding side may be gone already: then the chunk is
                // simply dropped.
                let _ = back_tx.send(chunk);
            }
            hasher.finish()
        });
        *self = Feed::There {
            tx,
            back,
            pending: Vec::with_capacity(FEED_CHUNK),
            done,
        };
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Feed::Here(h) => h.update(data),
            Feed::There {
                tx, back, pending, ..
            } => {
                let mut data = data;
                while !data.is_empty() {
                    let room = FEED_CHUNK - pending.len().min(FEED_CHUNK);
                    let (now, later) = data.split_at(room.min(data.len()));
                    pending.extend_from_slice(now);
                    data = later;
                    if pending.len() >= FEED_CHUNK {
                        let next = back
                            .try_recv()
                            .unwrap_or_else(|_| Vec::with_capacity(FEED_CHUNK));
                        let full = std::mem::replace(pending, next);
                        // Fails only if the hashing thread died (a panic):
                        // `finish` reports that.
                        let _ = tx.send(full);
                    }
                }
            }
        }
    }

    /// The digests of everything fed.
    pub(crate) fn finish(self) -> Hashes {
        match self {
            Feed::Here(h) => h.finish(),
            Feed::There {
                tx, pending, done, ..
            } => {
                if !pending.is_empty() {
                    let _ = tx.send(pending);
                }
                drop(tx);
                match done.join() {
                    Ok(h) => h,
                    // Re-raised on this thread, where the scan's own panic
                    // guard turns it into an error on the node.
                    Err(p) => std::panic::resume_unwind(p),
                }
            }
        }
    }
}

/// Hash a whole buffer.
pub fn hash_bytes(sel: HashSelection, data: &[u8]) -> Hashes {
    let mut h = Hasher::new(sel);
    h.update(data);
    h.finish()
}

/// A reader that shows every byte it reads to `see`: a format's own
/// checksum (CRC, MD5, SHA-1 of a file table) computed while the entry
/// streams into [`Cx::read_entry`](crate::scan), so an entry too big to keep
/// whole is still checked.
pub(crate) struct Inspect<R, F> {
    pub(crate) inner: R,
    pub(crate) see: F,
}

impl<R: io::Read, F: FnMut(&[u8])> io::Read for Inspect<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.see)(buf.get(..n).unwrap_or(&[]));
        Ok(n)
    }
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// A `Write` target that keeps the bytes (up to the caller's bound) and hashes
/// them as they arrive, so a decompressed entry is hashed during decoding.
pub struct HashingSink {
    buf: Vec<u8>,
    hasher: Hasher,
}

impl HashingSink {
    /// An empty sink hashing with `sel`.
    pub fn new(sel: HashSelection) -> Self {
        HashingSink {
            buf: Vec::new(),
            hasher: Hasher::new(sel),
        }
    }
    /// Bytes received so far.
    pub fn len(&self) -> u64 {
        self.buf.len() as u64
    }
    /// Whether nothing was received.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    /// The bytes and their hashes.
    pub fn finish(self) -> (Vec<u8>, Hashes) {
        (self.buf, self.hasher.finish())
    }
}

impl Write for HashingSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.hasher.update(data);
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        let h = hash_bytes(HashSelection::ALL, b"abc");
        assert_eq!(
            h.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            h.sha1.as_deref(),
            Some("a9993e364706816aba3e25717850c26c9cd0d89d")
        );
        assert_eq!(h.md5.as_deref(), Some("900150983cd24fb0d6963f7d28e17f72"));
        let only = hash_bytes(HashSelection::SHA256, b"abc");
        assert_eq!(only.sha1, None);
        assert_eq!(only.md5, None);
    }

    #[test]
    fn parallel_md5_equals_serial() {
        let data: Vec<u8> = (0..PARALLEL_MIN + 12_345)
            .map(|i| (i * 31 % 251) as u8)
            .collect();
        let whole = hash_bytes(HashSelection::ALL, &data);
        let mut serial = Hasher::new(HashSelection::ALL);
        for chunk in data.chunks(PARALLEL_MIN / 3) {
            serial.update(chunk);
        }
        assert_eq!(whole, serial.finish());
        assert_eq!(
            whole.sha256,
            hash_bytes(HashSelection::SHA256, &data).sha256
        );
    }

    #[test]
    fn streaming_equals_whole() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut sink = HashingSink::new(HashSelection::ALL);
        for part in data.chunks(4093) {
            sink.write_all(part).unwrap();
        }
        let (bytes, hashes) = sink.finish();
        assert_eq!(bytes, data);
        assert_eq!(hashes, hash_bytes(HashSelection::ALL, &data));
    }

    #[test]
    fn feed_on_a_thread_equals_feed_here() {
        let data: Vec<u8> = (0..3 * FEED_CHUNK as u32 + 12_345)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for sel in [HashSelection::SHA256, HashSelection::ALL] {
            let want = hash_bytes(sel, &data);
            // Moved before any byte, after some, and at odd chunk sizes.
            for (move_at, step) in [(0, 65_536), (100_000, 4_097), (data.len(), 1 << 20)] {
                let got = std::thread::scope(|s| {
                    let mut f = Feed::Here(Hasher::new(sel));
                    let mut at = 0;
                    while at < data.len() {
                        if at >= move_at {
                            f.move_to(s);
                        }
                        let end = (at + step).min(data.len());
                        f.update(&data[at..end]);
                        at = end;
                    }
                    f.finish()
                });
                assert_eq!(got, want, "moved at {move_at}, step {step}");
            }
        }
    }

    #[test]
    fn parse_list() {
        assert_eq!(
            HashSelection::parse_list("sha256").unwrap(),
            HashSelection::SHA256
        );
        assert_eq!(
            HashSelection::parse_list("md5, SHA1").unwrap(),
            HashSelection::ALL
        );
        assert!(HashSelection::parse_list("crc32").is_err());
        let pe = HashSelection::parse_list("sha256,authenticode,imphash").unwrap();
        assert!(pe.authenticode && pe.imphash && !pe.sha1 && !pe.md5);
        assert_eq!(
            HashSelection::ALL.union(pe),
            HashSelection::parse_list("md5,sha1,authentihash,imphash").unwrap()
        );
    }
}
