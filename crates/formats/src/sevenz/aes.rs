//! 7z's AES-256 coder (`06F10701`, 7-Zip's `7zAes.cpp`; facts only): the
//! key is SHA-256 over 2^n rounds of (salt, the password in UTF-16LE, the
//! round number as 8 little-endian bytes), the data AES-256-CBC with the IV
//! of the coder's properties. Properties: byte 0 holds n (bits 0-5) and
//! whether a salt (bit 7) and an IV (bit 6) follow; byte 1 their sizes
//! minus those bits (high and low nibble).
//!
//! 7-Zip accepts n up to 24 (16 million SHA-256 rounds, about a second);
//! a larger n is refused before any work, as 7-Zip refuses it.

use aes::cipher::{Array, BlockCipherDecrypt, KeyInit};
use aes::Aes256;
use installsift_model::error::Error;
use sha2::{Digest, Sha256};
use std::io::{self, Read};

/// ID of the coder.
pub(super) const ID: &[u8] = &[0x06, 0xF1, 0x07, 0x01];

/// The most key-derivation rounds accepted (as a power of two), 7-Zip's
/// `kNumCyclesPower_Supported_MAX`.
const MAX_CYCLES_POWER: u8 = 24;

/// Key and IV of one coder for one password.
pub(super) fn key(props: &[u8], password: &str) -> Result<([u8; 32], [u8; 16]), Error> {
    let bad = |m: &str| Error::malformed(format!("7z AES properties: {m}"));
    let &b0 = props.first().ok_or_else(|| bad("empty"))?;
    let power = b0 & 0x3F;
    let (mut salt, mut iv) = (&[][..], [0u8; 16]);
    if b0 & 0xC0 != 0 {
        let &b1 = props.get(1).ok_or_else(|| bad("sizes missing"))?;
        let salt_len = usize::from((b0 >> 7) & 1) + usize::from(b1 >> 4);
        let iv_len = usize::from((b0 >> 6) & 1) + usize::from(b1 & 0x0F);
        if props.len() != 2 + salt_len + iv_len {
            return Err(bad("length differs from the salt and IV sizes"));
        }
        salt = props.get(2..2 + salt_len).unwrap_or(&[]);
        if let Some(v) = props.get(2 + salt_len..) {
            iv.get_mut(..v.len())
                .ok_or_else(|| bad("IV over 16 bytes"))?
                .copy_from_slice(v);
        }
    } else if props.len() != 1 {
        return Err(bad("bytes after a size byte that declares none"));
    }
    let pw: Vec<u8> = password.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut key = [0u8; 32];
    if power == 0x3F {
        // No hashing: salt and password, zero-padded.
        for (k, b) in key.iter_mut().zip(salt.iter().chain(&pw)) {
            *k = *b;
        }
    } else {
        if power > MAX_CYCLES_POWER {
            return Err(Error::unsupported(format!(
                "7z AES key derivation of 2^{power} rounds (7-Zip accepts up to 2^{MAX_CYCLES_POWER})"
            )));
        }
        let mut sha = Sha256::new();
        for round in 0u64..1 << power {
            sha.update(salt);
            sha.update(&pw);
            sha.update(round.to_le_bytes());
        }
        key.copy_from_slice(&sha.finalize());
    }
    Ok((key, iv))
}

/// [`key`], remembered per (properties, password) on this thread: every
/// block of an archive usually shares one salt, and a derivation is up to
/// 2^24 SHA-256 rounds (7-Zip caches keys too). At most 32 are kept.
pub(super) fn cached_key(props: &[u8], password: &str) -> Result<([u8; 32], [u8; 16]), Error> {
    type Cache = Vec<((Vec<u8>, String), ([u8; 32], [u8; 16]))>;
    thread_local! {
        static CACHE: std::cell::RefCell<Cache> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let hit = CACHE.with(|c| {
        c.borrow()
            .iter()
            .find(|((p, w), _)| p == props && w == password)
            .map(|(_, k)| *k)
    });
    if let Some(k) = hit {
        return Ok(k);
    }
    let k = key(props, password)?;
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 32 {
            c.remove(0);
        }
        c.push(((props.to_vec(), password.to_owned()), k));
    });
    Ok(k)
}

/// AES-256-CBC decryption of a stream (whole 16-byte blocks; a partial
/// last block is an error when read).
pub(super) struct Decrypt<R> {
    inner: R,
    cipher: Aes256,
    prev: [u8; 16],
    /// Decrypted bytes not yet handed out.
    out: [u8; 16],
    at: usize,
}

impl<R: Read> Decrypt<R> {
    pub(super) fn new(inner: R, (key, iv): ([u8; 32], [u8; 16])) -> Self {
        Decrypt {
            inner,
            cipher: Aes256::new(&Array::from(key)),
            prev: iv,
            out: [0; 16],
            at: 16,
        }
    }
}

impl<R: Read> Read for Decrypt<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.at == 16 {
            let mut block = [0u8; 16];
            let mut got = 0;
            while got < 16 {
                match self.inner.read(&mut block[got..])? {
                    0 if got == 0 => return Ok(0),
                    0 => {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "7z AES data ends inside a 16-byte block",
                        ))
                    }
                    n => got += n,
                }
            }
            let mut b = Array::from(block);
            self.cipher.decrypt_block(&mut b);
            for ((o, d), p) in self.out.iter_mut().zip(b.iter()).zip(&self.prev) {
                *o = d ^ p;
            }
            self.prev = block;
            self.at = 0;
        }
        let n = buf.len().min(16 - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_rounds_are_bounded_before_any_work() {
        let e = key(&[0x3E], "x").unwrap_err();
        assert!(e.to_string().contains("2^62"), "{e}");
        assert!(
            key(&[0x80 | 19, 0xF0], "x").is_err(),
            "salt size beyond the properties"
        );
    }
}
