//! Encrypted zip entries, decrypted with the passwords the scan was given
//! ([`Options::passwords`](crate::container::Options::passwords)). Facts
//! from PKWARE's APPNOTE (6.1 traditional encryption, 7 strong encryption)
//! and WinZip's AES specification (AE-1/AE-2); the code is ours.
//!
//! - **ZipCrypto** (traditional PKWARE): three 32-bit keys updated with
//!   CRC-32 steps from the password, then a 12-byte encryption header
//!   whose last byte must equal the high byte of the entry's CRC-32 (or,
//!   when the sizes follow in a data descriptor, of its DOS time). That is
//!   a 1-byte check: a wrong password passes it once in 256 tries, so the
//!   entry's CRC-32 is what verifies the password, after decoding; a wrong
//!   password that passes the check ends as a `checksum` error on the
//!   entry, never as bytes hashed silently.
//! - **WinZip AES** (method 99, extra field 0x9901): salt (8, 12 or 16
//!   bytes for AES-128/192/256), a 2-byte password verification value, the
//!   data in AES-CTR (little-endian counter from 1), a 10-byte
//!   authentication code (HMAC-SHA1 over the encrypted data, first 10
//!   bytes). The keys come from PBKDF2-HMAC-SHA1, 1000 iterations, over
//!   salt and password. The code is checked over the whole stored data
//!   before anything is decrypted: an entry whose code differs is not
//!   hashed. AE-1 entries carry the CRC-32 as well; AE-2 entries carry 0.
//! - **PKWARE strong encryption** (general-purpose bit 6) is not decrypted:
//!   `unsupported`.
//!
//! Passwords are tried in the order given, the one that last verified an
//! entry first; wrong tries are counted against
//! [`Limits::max_password_failures`](installsift_model::Limits::max_password_failures).

use aes::cipher::consts::U16;
use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};
use hmac::{Mac, SimpleHmac};
use installsift_model::error::Error;
use installsift_model::Limit;
use sha1::Sha1;

/// WinZip AES extra field ID.
const AES_EXTRA: u16 = 0x9901;
/// PBKDF2 iterations of WinZip AES (fixed by the format).
const AES_ITERATIONS: u32 = 1000;
/// Length of the AES authentication code.
const AUTH_LEN: usize = 10;

/// How an entry is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scheme {
    /// Traditional PKWARE encryption; `check` is the byte the encryption
    /// header must end with.
    ZipCrypto { check: u8 },
    /// WinZip AES.
    Aes(AesExtra),
}

impl Scheme {
    /// The name reported (`zipcrypto`, `aes-256-ae2`).
    pub(super) fn name(&self) -> String {
        match self {
            Scheme::ZipCrypto { .. } => "zipcrypto".into(),
            Scheme::Aes(a) => format!("aes-{}-ae{}", a.bits(), a.version),
        }
    }
}

/// The WinZip AES extra field (0x9901).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct AesExtra {
    /// Vendor version: 1 (AE-1, CRC kept) or 2 (AE-2, CRC 0).
    pub version: u16,
    /// Key strength: 1, 2, 3 for AES-128, -192, -256.
    pub strength: u8,
    /// The compression method of the data under the encryption.
    pub method: u16,
}

impl AesExtra {
    fn key_len(&self) -> usize {
        8 * usize::from(self.strength) + 8
    }
    fn salt_len(&self) -> usize {
        4 * usize::from(self.strength) + 4
    }
    fn bits(&self) -> usize {
        self.key_len() * 8
    }
}

/// The WinZip AES extra field in an extra-field block, when there is one
/// (an invalid one is an error naming what is wrong).
pub(super) fn aes_extra(extra: &[u8]) -> Result<Option<AesExtra>, Error> {
    let mut at = 0usize;
    while let (Some(id), Some(len)) = (super::le_u16(extra, at), super::le_u16(extra, at + 2)) {
        let body = extra.get(at + 4..at + 4 + usize::from(len));
        if id == AES_EXTRA {
            let bad = |m: &str| Error::malformed(format!("WinZip AES extra field: {m}"));
            let body = body
                .filter(|b| b.len() >= 7)
                .ok_or_else(|| bad("cut short"))?;
            let version = super::le_u16(body, 0).unwrap_or(0);
            let vendor = body.get(2..4).unwrap_or(&[]);
            let strength = body.get(4).copied().unwrap_or(0);
            let method = super::le_u16(body, 5).unwrap_or(0);
            if vendor != b"AE" {
                return Err(bad("vendor ID is not `AE`"));
            }
            if !(1..=2).contains(&version) {
                return Err(Error::unsupported(format!(
                    "WinZip AES vendor version {version} (AE-1 and AE-2 are known)"
                )));
            }
            if !(1..=3).contains(&strength) {
                return Err(bad(&format!(
                    "key strength {strength} (1 to 3 are defined)"
                )));
            }
            return Ok(Some(AesExtra {
                version,
                strength,
                method,
            }));
        }
        at += 4 + usize::from(len);
    }
    Ok(None)
}

/// The decrypted stored data of one entry, as a stream over the stored
/// bytes.
pub(super) struct Decrypted<'a> {
    /// What the entry's compression method decodes.
    pub plain: DecryptReader<'a>,
    /// Its length.
    pub len: u64,
    /// Index of the password that decrypted it (in the order given).
    pub password: usize,
}

/// The passwords of one container and what trying them has cost.
#[derive(Debug, Default)]
pub(super) struct Keys {
    passwords: Vec<String>,
    /// The password that last verified an entry: tried first.
    last: Option<usize>,
    failures: u64,
    max_failures: u64,
}

impl Keys {
    pub(super) fn new(passwords: &[String], max_failures: u64) -> Self {
        Keys {
            passwords: passwords.to_vec(),
            last: None,
            failures: 0,
            max_failures,
        }
    }

    /// Whether any password was given.
    pub(super) fn any(&self) -> bool {
        !self.passwords.is_empty()
    }

    /// Password `k` verified an entry (its CRC-32 or authentication code
    /// matched): later entries try it first.
    pub(super) fn confirm(&mut self, k: usize) {
        self.last = Some(k);
    }

    /// Indices in the order to try them: the last one that verified first.
    fn order(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.last.into_iter().collect();
        v.extend((0..self.passwords.len()).filter(|k| Some(*k) != self.last));
        v
    }

    /// Decrypt `stored` (the entry's stored data: encryption header, data
    /// and, for AES, the authentication code) with the first password that
    /// passes the scheme's check. AES: the authentication code must match
    /// too (else the next password is tried, and if none, a `checksum`
    /// error); ZipCrypto: only the 1-byte check is known here.
    pub(super) fn decrypt<'a>(
        &mut self,
        scheme: Scheme,
        stored: &'a [u8],
        what: &str,
    ) -> Result<Decrypted<'a>, Error> {
        let mut auth_failed = false;
        for k in self.order() {
            if self.failures >= self.max_failures {
                return Err(Error::limit(
                    Limit::MaxPasswordFailures,
                    format!(
                        "{what}: {} wrong password tries in this container; not tried",
                        self.failures
                    ),
                ));
            }
            let pw = self.passwords.get(k).map(String::as_bytes).unwrap_or(&[]);
            let got = match scheme {
                Scheme::ZipCrypto { check } => zipcrypto(pw, check, stored, what)?,
                Scheme::Aes(a) => match aes(pw, a, stored, what)? {
                    AesTry::Plain(p) => Some(p),
                    AesTry::WrongPassword => None,
                    AesTry::AuthFailed => {
                        auth_failed = true;
                        None
                    }
                },
            };
            match got {
                Some(plain) => {
                    if matches!(scheme, Scheme::Aes(_)) {
                        self.last = Some(k);
                    }
                    let len = plain.src.len() as u64;
                    return Ok(Decrypted {
                        plain,
                        password: k,
                        len,
                    });
                }
                None => self.failures += 1,
            }
        }
        if auth_failed {
            return Err(Error::checksum(format!(
                "{what}: a password passes the AES password check but the authentication code (HMAC-SHA1) of the stored data differs: the data is damaged (or the password wrong); not decrypted"
            )));
        }
        Err(Error::encrypted(format!(
            "{what} is encrypted ({}), and none of the {} passwords given decrypts it",
            scheme.name(),
            self.passwords.len()
        )))
    }
}

/// The CRC-32 table (reflected polynomial 0xEDB88320) for ZipCrypto's key
/// updates.
const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut j = 0;
        while j < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            j += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

fn crc_step(crc: u32, b: u8) -> u32 {
    CRC_TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8)
}

/// ZipCrypto's three keys (APPNOTE 6.1.5).
struct ZipCryptoKeys([u32; 3]);

impl ZipCryptoKeys {
    fn new(password: &[u8]) -> Self {
        let mut k = ZipCryptoKeys([0x1234_5678, 0x2345_6789, 0x3456_7890]);
        for &b in password {
            k.update(b);
        }
        k
    }

    fn update(&mut self, plain: u8) {
        let [k0, k1, k2] = &mut self.0;
        *k0 = crc_step(*k0, plain);
        *k1 = k1
            .wrapping_add(*k0 & 0xFF)
            .wrapping_mul(134_775_813)
            .wrapping_add(1);
        *k2 = crc_step(*k2, (*k1 >> 24) as u8);
    }

    fn decrypt(&mut self, c: u8) -> u8 {
        let t = (self.0[2] | 2) & 0xFFFF;
        let p = c ^ ((t.wrapping_mul(t ^ 1) >> 8) as u8);
        self.update(p);
        p
    }
}

/// ZipCrypto with one password: the decrypted data after the 12-byte
/// header, or none when the header's check byte differs.
fn zipcrypto<'a>(
    pw: &[u8],
    check: u8,
    stored: &'a [u8],
    what: &str,
) -> Result<Option<DecryptReader<'a>>, Error> {
    let (Some(header), Some(data)) = (stored.get(..12), stored.get(12..)) else {
        return Err(Error::truncated(format!(
            "{what}: {} stored bytes, fewer than ZipCrypto's 12-byte encryption header",
            stored.len()
        )));
    };
    let mut keys = ZipCryptoKeys::new(pw);
    let mut last = 0u8;
    for &c in header {
        last = keys.decrypt(c);
    }
    if last != check {
        return Ok(None);
    }
    Ok(Some(DecryptReader {
        src: data,
        cipher: Cipher::ZipCrypto(keys),
    }))
}

enum AesTry<'a> {
    Plain(DecryptReader<'a>),
    WrongPassword,
    AuthFailed,
}

/// WinZip AES with one password.
fn aes<'a>(pw: &[u8], a: AesExtra, stored: &'a [u8], what: &str) -> Result<AesTry<'a>, Error> {
    let (key_len, salt_len) = (a.key_len(), a.salt_len());
    let overhead = salt_len + 2 + AUTH_LEN;
    let body_end = stored.len().checked_sub(AUTH_LEN);
    let (Some(salt), Some(verifier), Some(data), Some(code)) = (
        stored.get(..salt_len),
        stored.get(salt_len..salt_len + 2),
        body_end.and_then(|e| stored.get(salt_len + 2..e)),
        body_end.and_then(|e| stored.get(e..)),
    ) else {
        return Err(Error::truncated(format!(
            "{what}: {} stored bytes, fewer than AES-{}'s {overhead} bytes of salt, check value and authentication code",
            stored.len(),
            a.bits()
        )));
    };
    let mut derived = [0u8; 66];
    let derived = derived.get_mut(..2 * key_len + 2).unwrap_or(&mut []);
    pbkdf2::pbkdf2_hmac::<Sha1>(pw, salt, AES_ITERATIONS, derived);
    let (key, rest) = derived.split_at(key_len);
    let (mac_key, check) = rest.split_at(key_len);
    if check != verifier {
        return Ok(AesTry::WrongPassword);
    }
    let mut mac = <SimpleHmac<Sha1> as KeyInit>::new_from_slice(mac_key)
        .map_err(|_| Error::malformed(format!("{what}: AES authentication key")))?;
    mac.update(data);
    let full = mac.finalize().into_bytes();
    if full.get(..AUTH_LEN) != Some(code) {
        return Ok(AesTry::AuthFailed);
    }
    let bad_key = || Error::malformed(format!("{what}: AES key length"));
    let cipher = match a.strength {
        1 => AesKey::A128(aes::Aes128::new_from_slice(key).map_err(|_| bad_key())?),
        2 => AesKey::A192(aes::Aes192::new_from_slice(key).map_err(|_| bad_key())?),
        _ => AesKey::A256(aes::Aes256::new_from_slice(key).map_err(|_| bad_key())?),
    };
    Ok(AesTry::Plain(DecryptReader {
        src: data,
        cipher: Cipher::Aes {
            key: Box::new(cipher),
            counter: 1,
            block: [0; 16],
            used: 16,
        },
    }))
}

/// An AES key of one of WinZip's three sizes.
enum AesKey {
    A128(aes::Aes128),
    A192(aes::Aes192),
    A256(aes::Aes256),
}

impl AesKey {
    fn encrypt(&self, block: &mut Array<u8, U16>) {
        match self {
            AesKey::A128(c) => c.encrypt_block(block),
            AesKey::A192(c) => c.encrypt_block(block),
            AesKey::A256(c) => c.encrypt_block(block),
        }
    }
}

enum Cipher {
    ZipCrypto(ZipCryptoKeys),
    /// AES-CTR as WinZip uses it: the counter is a 128-bit little-endian
    /// number starting at 1.
    Aes {
        key: Box<AesKey>,
        counter: u128,
        /// The current key-stream block and how much of it is used.
        block: [u8; 16],
        used: usize,
    },
}

/// Decrypts an entry's stored data as it is read (nothing is copied).
pub(super) struct DecryptReader<'a> {
    src: &'a [u8],
    cipher: Cipher,
}

impl std::io::Read for DecryptReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.src.len());
        let (now, rest) = self.src.split_at(n);
        for (o, &c) in buf.iter_mut().zip(now) {
            *o = match &mut self.cipher {
                Cipher::ZipCrypto(k) => k.decrypt(c),
                Cipher::Aes {
                    key,
                    counter,
                    block,
                    used,
                } => {
                    if *used >= 16 {
                        let mut b = Array::from(counter.to_le_bytes());
                        key.encrypt(&mut b);
                        block.copy_from_slice(&b);
                        *counter = counter.wrapping_add(1);
                        *used = 0;
                    }
                    let k = block.get(*used).copied().unwrap_or(0);
                    *used += 1;
                    c ^ k
                }
            };
        }
        self.src = rest;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encrypt with ZipCrypto (the inverse of `decrypt`, for tests).
    fn zipcrypto_encrypt(pw: &[u8], header: [u8; 12], data: &[u8]) -> Vec<u8> {
        let mut keys = ZipCryptoKeys::new(pw);
        header
            .iter()
            .chain(data)
            .map(|&p| {
                let t = (keys.0[2] | 2) & 0xFFFF;
                let c = p ^ ((t.wrapping_mul(t ^ 1) >> 8) as u8);
                keys.update(p);
                c
            })
            .collect()
    }

    #[test]
    fn crc_table_is_crc32() {
        let mut c = 0xFFFF_FFFFu32;
        for &b in b"123456789" {
            c = crc_step(c, b);
        }
        assert_eq!(!c, 0xCBF4_3926);
    }

    #[test]
    fn zipcrypto_round_trip_and_check_byte() {
        let stored = zipcrypto_encrypt(b"infected", [7; 12], b"hello");
        let mut got = Vec::new();
        let r = zipcrypto(b"infected", 7, &stored, "t").unwrap();
        std::io::Read::read_to_end(&mut r.expect("passes"), &mut got).unwrap();
        assert_eq!(got, b"hello");
        assert!(zipcrypto(b"wrong", 7, &stored, "t").unwrap().is_none());
        assert!(zipcrypto(b"x", 7, &stored[..5], "t").is_err());
    }

    #[test]
    fn tries_are_bounded_and_the_verified_password_goes_first() {
        let stored = zipcrypto_encrypt(b"b", [9; 12], b"data");
        let pws: Vec<String> = ["a", "c", "b"].iter().map(|s| s.to_string()).collect();
        let scheme = Scheme::ZipCrypto { check: 9 };
        let mut keys = Keys::new(&pws, 100);
        let Ok(mut d) = keys.decrypt(scheme, &stored, "t") else {
            panic!("decrypts")
        };
        let mut got = Vec::new();
        std::io::Read::read_to_end(&mut d.plain, &mut got).unwrap();
        assert_eq!((d.password, got.as_slice()), (2, &b"data"[..]));
        // Both wrong passwords failed (unless one passes the 1-byte check
        // for this header: then it would have been taken first).
        assert_eq!(keys.failures, 2);
        keys.confirm(2);
        assert_eq!(keys.order(), vec![2, 0, 1]);
        assert!(keys.decrypt(scheme, &stored, "t").is_ok());
        assert_eq!(keys.failures, 2, "the confirmed password is tried first");
        let mut tight = Keys::new(&pws, 1);
        let Err(e) = tight.decrypt(scheme, &stored, "t") else {
            panic!("within the bound")
        };
        assert_eq!(e.limit_hit(), Some(Limit::MaxPasswordFailures), "{e}");
    }

    #[test]
    fn aes_extra_field() {
        let f = [0x01, 0x99, 7, 0, 2, 0, b'A', b'E', 3, 8, 0];
        assert_eq!(
            aes_extra(&f).unwrap(),
            Some(AesExtra {
                version: 2,
                strength: 3,
                method: 8
            })
        );
        let mut bad = f;
        bad[8] = 4;
        assert!(aes_extra(&bad).is_err());
        assert_eq!(aes_extra(&[]).unwrap(), None);
        assert!(aes_extra(&f[..8]).is_err(), "cut short");
    }
}
