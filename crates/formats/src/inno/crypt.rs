//! Inno Setup's file encryption before 6.4 (`Encryption=yes`): facts from
//! innoextract (`setup/header.cpp`, `stream/chunk.cpp`) and issrc; the
//! code is ours.
//!
//! - The setup header holds a password check value: SHA-1 of
//!   `"PasswordCheckHash"`, an 8-byte salt and the password (5.3.9 to 6.3),
//!   MD5 of the same (4.2.2 to 5.3.8), MD5 of the password alone (4.2.0,
//!   4.2.1), its CRC-32 before. The password is UTF-16LE in Unicode
//!   installers, single bytes (Windows-1252) in ANSI ones.
//! - Each encrypted chunk starts (after its `zlb\x1a` magic) with an
//!   8-byte salt; the chunk's ARC4 key is SHA-1 (MD5 before 5.3.9) of the
//!   salt and the password; the first 1000 key-stream bytes are dropped.
//!   The chunk size does not count the salt.
//!
//! 6.4 and later derive an XChaCha20 key with PBKDF2-SHA256; no XChaCha20
//! is in our dependencies, so those stay listed and marked.
//!
//! A password is taken only when it matches the header's check value, so
//! candidates cost one hash each per installer, never per file or chunk.

use super::stream::{v, Version};
use installsift_model::error::Error;
use md5::Md5;
use sha1::{Digest, Sha1};
use std::io::{self, Read};

/// The password that matched, as the chunk keys use it.
#[derive(Debug, Clone)]
pub(crate) struct ChunkKey {
    password: Vec<u8>,
    /// SHA-1 keys (5.3.9+), else MD5.
    sha1: bool,
}

/// The password's bytes as this installer hashes them.
fn encode(password: &str, unicode: bool) -> Vec<u8> {
    if unicode {
        password.encode_utf16().flat_map(u16::to_le_bytes).collect()
    } else {
        encoding_rs::WINDOWS_1252.encode(password).0.into_owned()
    }
}

/// The first of `passwords` whose check value equals the header's `hash`
/// (with its `salt`), and its index.
pub(crate) fn find_password(
    passwords: &[String],
    (hash, salt): (&[u8], &[u8]),
    ver: Version,
    unicode: bool,
) -> Result<(usize, ChunkKey), Error> {
    if ver >= v(6, 4, 0) {
        return Err(Error::unsupported(
            "Inno Setup 6.4+ encryption (XChaCha20, PBKDF2-SHA256 key) is not decrypted",
        ));
    }
    for (k, p) in passwords.iter().enumerate() {
        let pw = encode(p, unicode);
        let check: Vec<u8> = if ver >= v(5, 3, 9) {
            let mut h = Sha1::new();
            h.update(b"PasswordCheckHash");
            h.update(salt);
            h.update(&pw);
            h.finalize().to_vec()
        } else if ver >= v(4, 2, 2) {
            let mut h = Md5::new();
            h.update(b"PasswordCheckHash");
            h.update(salt);
            h.update(&pw);
            h.finalize().to_vec()
        } else if ver >= v(4, 2, 0) {
            Md5::digest(&pw).to_vec()
        } else {
            crc32fast::hash(&pw).to_le_bytes().to_vec()
        };
        if check == hash {
            let sha1 = ver >= v(5, 3, 9);
            return Ok((k, ChunkKey { password: pw, sha1 }));
        }
    }
    Err(Error::encrypted(format!(
        "chunk encrypted with the setup password; none of the {} passwords given matches the setup's password check",
        passwords.len()
    )))
}

/// ARC4 over an encrypted chunk's bytes (after the magic: salt, then data).
pub(crate) struct Arc4Reader<'a> {
    src: &'a [u8],
    s: [u8; 256],
    i: u8,
    j: u8,
}

impl<'a> Arc4Reader<'a> {
    /// The decrypting reader of `chunk` (its salt first) under `key`.
    pub(crate) fn new(key: &ChunkKey, chunk: &'a [u8]) -> Result<Self, Error> {
        let (Some(salt), Some(src)) = (chunk.get(..8), chunk.get(8..)) else {
            return Err(Error::truncated(
                "encrypted chunk shorter than its 8-byte salt",
            ));
        };
        let k: Vec<u8> = if key.sha1 {
            let mut h = Sha1::new();
            h.update(salt);
            h.update(&key.password);
            h.finalize().to_vec()
        } else {
            let mut h = Md5::new();
            h.update(salt);
            h.update(&key.password);
            h.finalize().to_vec()
        };
        let mut s = [0u8; 256];
        for (i, b) in s.iter_mut().enumerate() {
            *b = i as u8;
        }
        let mut j = 0u8;
        for i in 0..256 {
            j = j.wrapping_add(s[i]).wrapping_add(k[i % k.len()]);
            s.swap(i, usize::from(j));
        }
        let mut r = Arc4Reader { src, s, i: 0, j: 0 };
        for _ in 0..1000 {
            r.next_byte();
        }
        Ok(r)
    }

    fn next_byte(&mut self) -> u8 {
        self.i = self.i.wrapping_add(1);
        let si = self.s[usize::from(self.i)];
        self.j = self.j.wrapping_add(si);
        self.s.swap(usize::from(self.i), usize::from(self.j));
        let t = self.s[usize::from(self.i)].wrapping_add(self.s[usize::from(self.j)]);
        self.s[usize::from(t)]
    }
}

impl Read for Arc4Reader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.src.len());
        let (now, rest) = self.src.split_at(n);
        for (o, c) in buf.iter_mut().zip(now) {
            *o = c ^ self.next_byte();
        }
        self.src = rest;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RC4 with key "Key" gives EB 9F 77 81 B7 34 CA 72 A7 19 … (the
    /// published test vector); here after the 1000 dropped bytes, checked
    /// against a plain RC4 written out in the test.
    #[test]
    fn arc4_drops_1000_bytes_of_the_rc4_stream() {
        fn rc4(key: &[u8], n: usize) -> Vec<u8> {
            let mut s: Vec<u8> = (0..=255).collect();
            let mut j = 0usize;
            for i in 0..256 {
                j = (j + s[i] as usize + key[i % key.len()] as usize) % 256;
                s.swap(i, j);
            }
            let (mut i, mut j) = (0usize, 0usize);
            (0..n)
                .map(|_| {
                    i = (i + 1) % 256;
                    j = (j + s[i] as usize) % 256;
                    s.swap(i, j);
                    s[(s[i] as usize + s[j] as usize) % 256]
                })
                .collect()
        }
        assert_eq!(
            rc4(b"Key", 4),
            [0xEB, 0x9F, 0x77, 0x81],
            "the plain RC4 is RC4"
        );
        let key = ChunkKey {
            password: b"pw".to_vec(),
            sha1: true,
        };
        let chunk = [[7u8; 8].as_slice(), &[0u8; 16]].concat();
        let mut r = Arc4Reader::new(&key, &chunk).expect("reader");
        let mut got = Vec::new();
        r.read_to_end(&mut got).expect("read");
        let mut h = Sha1::new();
        h.update([7u8; 8]);
        h.update(b"pw");
        let stream = rc4(&h.finalize(), 1016);
        assert_eq!(got, stream[1000..]);
    }

    #[test]
    fn the_password_must_match_the_check_value() {
        let salt = [1u8; 8];
        let pw = encode("infected", true);
        let mut h = Sha1::new();
        h.update(b"PasswordCheckHash");
        h.update(salt);
        h.update(&pw);
        let hash = h.finalize().to_vec();
        let pws: Vec<String> = vec!["wrong".into(), "infected".into()];
        let (k, key) = find_password(&pws, (&hash, &salt), v(6, 0, 0), true).expect("found");
        assert_eq!((k, key.sha1), (1, true));
        let e = find_password(&pws[..1], (&hash, &salt), v(6, 0, 0), true).unwrap_err();
        assert!(e.to_string().contains("none of the 1"), "{e}");
        assert!(find_password(&pws, (&hash, &salt), v(6, 4, 0), true).is_err());
    }
}
