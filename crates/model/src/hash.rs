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
    /// (`installsift_formats::pe::AuthenticodeHashes`).
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

/// Hash a whole buffer.
pub fn hash_bytes(sel: HashSelection, data: &[u8]) -> Hashes {
    let mut h = Hasher::new(sel);
    h.update(data);
    h.finish()
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
