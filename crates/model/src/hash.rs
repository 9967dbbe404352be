//! Hashes of node contents: SHA-256 always, SHA-1 and MD5 only when asked.
//!
//! Entry data is hashed while it streams out of its decompressor
//! ([`HashingSink`]); top-level files are hashed straight from their memory map.
//! No byte is hashed twice.
//!
//! A digest is a fixed-size byte array of its algorithm ([`Sha256`],
//! [`Sha1`], [`Md5`]): `Copy`, compared and ordered as bytes, shown
//! (`Display`, `{:x}`) and serialized as lowercase hex, parsed back with
//! [`FromStr`] or [`Sha256::from_hex`]. Hex text is made only
//! where text is written, never to compare two digests.
//!
//! ```
//! use installsift_model::hash::{hash_bytes, HashSelection, Sha256};
//!
//! let h = hash_bytes(HashSelection::SHA256, b"abc");
//! let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
//! assert_eq!(h.sha256, hex.parse::<Sha256>().unwrap());
//! assert_eq!(h.sha256.to_string(), hex);
//! assert_eq!(h.sha256.as_bytes()[0], 0xba);
//! ```

use serde::{Serialize, Serializer};
use sha2::Digest as _;
use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

/// Why a text is not a digest of the expected algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseDigestError {
    /// The text has the wrong number of characters.
    #[error("a {algorithm} digest is {expected} hex digits, not {found} characters")]
    Length {
        /// The algorithm (`SHA-256` …).
        algorithm: &'static str,
        /// Hex digits such a digest has.
        expected: usize,
        /// Characters the text has.
        found: usize,
    },
    /// A character is not a hex digit.
    #[error("a {algorithm} digest is hex digits, but character {at} is {found:?}")]
    Digit {
        /// The algorithm (`SHA-256` …).
        algorithm: &'static str,
        /// Character position (0-based).
        at: usize,
        /// The character found there.
        found: char,
    },
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";
const UPPER_HEX_DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// Write the hex of `bytes` with these `digits` into `out` (twice as long)
/// and return it as text.
fn encode<'o>(bytes: &[u8], out: &'o mut [u8], digits: &[u8; 16]) -> &'o str {
    for (&b, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        if let [hi, lo] = pair {
            *hi = digits[usize::from(b >> 4)];
            *lo = digits[usize::from(b & 15)];
        }
    }
    // Only ASCII hex digits were written.
    std::str::from_utf8(out).unwrap_or_default()
}

/// The value of one hex digit (either case), in a `const fn`.
const fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Why `text` is not hex of `len` bytes (called once parsing failed).
fn explain(text: &str, len: usize, algorithm: &'static str) -> ParseDigestError {
    if let Some((at, found)) = text
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_hexdigit())
    {
        return ParseDigestError::Digit {
            algorithm,
            at,
            found,
        };
    }
    ParseDigestError::Length {
        algorithm,
        expected: len * 2,
        // All ASCII: one byte per character.
        found: text.len(),
    }
}

/// Declares one digest type: a newtype over `[u8; LEN]` with hex display,
/// parsing and serialization.
macro_rules! digest {
    ($(#[$doc:meta])* $name:ident, $len:literal, $algorithm:literal, $example:literal) => {
        $(#[$doc])*
        ///
        /// `Copy`; compared, ordered and hashed as bytes (the order of the
        /// bytes is the order of their lowercase hex); `Display`, `{:x}` and
        /// `Serialize` give lowercase hex, `{:X}` upper case; [`FromStr`]
        /// and `from_hex` read hex in either case.
        ///
        /// ```
        #[doc = concat!("use installsift_model::hash::", stringify!($name), ";")]
        ///
        #[doc = concat!("let hex = \"", $example, "\";")]
        #[doc = concat!("let d: ", stringify!($name), " = hex.parse().unwrap();")]
        /// assert_eq!(d.to_string(), hex);
        /// assert_eq!(format!("{d:x}"), hex);
        #[doc = concat!("assert_eq!(d.as_bytes().len(), ", stringify!($name), "::LEN);")]
        /// ```
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Length in bytes.
            pub const LEN: usize = $len;
            /// The algorithm's name, as error messages say it.
            pub const ALGORITHM: &'static str = $algorithm;

            /// The digest with these bytes.
            pub const fn new(bytes: [u8; $len]) -> Self {
                $name(bytes)
            }

            /// The digest whose bytes are `bytes`, when it has the right length.
            pub fn from_slice(bytes: &[u8]) -> Option<Self> {
                <[u8; $len]>::try_from(bytes).ok().map($name)
            }

            /// Parse hex (either case) of exactly `2 * LEN` digits.
            pub fn from_hex(text: &str) -> Result<Self, ParseDigestError> {
                Self::try_from_hex(text).ok_or_else(|| explain(text, $len, $algorithm))
            }

            /// [`from_hex`](Self::from_hex) without the reason, usable in
            /// `const` items (a constant that is not hex fails to compile).
            pub const fn try_from_hex(text: &str) -> Option<Self> {
                let digits = text.as_bytes();
                if digits.len() != 2 * $len {
                    return None;
                }
                let mut bytes = [0u8; $len];
                let mut i = 0;
                while i < $len {
                    let (Some(hi), Some(lo)) =
                        (hex_value(digits[2 * i]), hex_value(digits[2 * i + 1]))
                    else {
                        return None;
                    };
                    bytes[i] = (hi << 4) | lo;
                    i += 1;
                }
                Some($name(bytes))
            }

            /// The bytes.
            pub const fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// Write the lowercase hex into `buf` and return it, with no
            /// allocation.
            fn hex<'b>(&self, buf: &'b mut [u8; $len * 2]) -> &'b str {
                encode(&self.0, buf, HEX_DIGITS)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.hex(&mut [0u8; $len * 2]))
            }
        }

        impl fmt::LowerHex for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.hex(&mut [0u8; $len * 2]))
            }
        }

        impl fmt::UpperHex for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(encode(&self.0, &mut [0u8; $len * 2], UPPER_HEX_DIGITS))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }

        impl FromStr for $name {
            type Err = ParseDigestError;
            fn from_str(text: &str) -> Result<Self, ParseDigestError> {
                $name::from_hex(text)
            }
        }

        impl From<[u8; $len]> for $name {
            fn from(bytes: [u8; $len]) -> Self {
                $name(bytes)
            }
        }

        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl Serialize for $name {
            /// The lowercase hex string, as `Display` writes it.
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.hex(&mut [0u8; $len * 2]))
            }
        }

        /// What `Serialize` writes: exactly `2 * LEN` lowercase hex digits.
        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "description": concat!(
                        "A ", $algorithm, " digest: ", stringify!($len),
                        " bytes as lowercase hex."
                    ),
                    "type": "string",
                    "pattern": format!("^[0-9a-f]{{{}}}$", $len * 2),
                    "minLength": $len * 2,
                    "maxLength": $len * 2,
                })
            }
        }
    };
}

digest!(
    /// A SHA-256 digest (32 bytes, 64 hex digits).
    Sha256,
    32,
    "SHA-256",
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
);
digest!(
    /// A SHA-1 digest (20 bytes, 40 hex digits).
    Sha1,
    20,
    "SHA-1",
    "a9993e364706816aba3e25717850c26c9cd0d89d"
);
digest!(
    /// An MD5 digest (16 bytes, 32 hex digits).
    Md5,
    16,
    "MD5",
    "900150983cd24fb0d6963f7d28e17f72"
);

impl Sha256 {
    /// SHA-256 of `data`.
    pub fn digest(data: &[u8]) -> Self {
        Sha256(sha2::Sha256::digest(data).into())
    }
}

impl Sha1 {
    /// SHA-1 of `data`.
    pub fn digest(data: &[u8]) -> Self {
        Sha1(sha1::Sha1::digest(data).into())
    }
}

impl Md5 {
    /// MD5 of `data`.
    pub fn digest(data: &[u8]) -> Self {
        Md5(md5::Md5::digest(data).into())
    }
}

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

/// Digests of one node's bytes (serialized as lowercase hex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Hashes {
    /// SHA-256.
    pub sha256: Sha256,
    /// SHA-1, when selected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha1: Option<Sha1>,
    /// MD5, when selected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub md5: Option<Md5>,
}

/// Buffers at least this big are hashed with MD5 on a second thread when MD5
/// and another hash are selected (a thread costs tens of microseconds; MD5 of
/// 4 MiB takes about 9 ms here).
const PARALLEL_MIN: usize = 4 << 20;

/// Incremental hasher for the selected algorithms.
#[derive(Clone)]
pub struct Hasher {
    sha256: sha2::Sha256,
    sha1: Option<sha1::Sha1>,
    md5: Option<md5::Md5>,
}

impl Hasher {
    /// A hasher computing SHA-256 plus whatever `sel` asks for.
    pub fn new(sel: HashSelection) -> Self {
        Hasher {
            sha256: sha2::Sha256::new(),
            sha1: sel.sha1.then(sha1::Sha1::new),
            md5: sel.md5.then(md5::Md5::new),
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

    /// The digests.
    pub fn finish(self) -> Hashes {
        Hashes {
            sha256: Sha256(self.sha256.finalize().into()),
            sha1: self.sha1.map(|h| Sha1(h.finalize().into())),
            md5: self.md5.map(|h| Md5(h.finalize().into())),
        }
    }
}

/// Hash a whole buffer.
pub fn hash_bytes(sel: HashSelection, data: &[u8]) -> Hashes {
    let mut h = Hasher::new(sel);
    h.update(data);
    h.finish()
}

/// Lowercase hex of a byte string of any length (a digest of a variable
/// algorithm, a serial number …); the digest types display themselves.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(HEX_DIGITS[usize::from(b >> 4)]));
        s.push(char::from(HEX_DIGITS[usize::from(b & 15)]));
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
            h.sha256.to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            h.sha1.map(|d| d.to_string()).as_deref(),
            Some("a9993e364706816aba3e25717850c26c9cd0d89d")
        );
        assert_eq!(
            h.md5.map(|d| d.to_string()).as_deref(),
            Some("900150983cd24fb0d6963f7d28e17f72")
        );
        assert_eq!(h.sha256, Sha256::digest(b"abc"));
        assert_eq!(h.sha1, Some(Sha1::digest(b"abc")));
        assert_eq!(h.md5, Some(Md5::digest(b"abc")));
        let only = hash_bytes(HashSelection::SHA256, b"abc");
        assert_eq!(only.sha1, None);
        assert_eq!(only.md5, None);
    }

    const ABC256: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn hex_round_trip() {
        let d = Sha256::digest(b"abc");
        assert_eq!(d.to_string(), ABC256);
        assert_eq!(format!("{d:x}"), ABC256);
        assert_eq!(Sha256::from_hex(ABC256), Ok(d));
        assert_eq!(ABC256.parse::<Sha256>(), Ok(d));
        // Upper case is read too; output is always lower case.
        assert_eq!(ABC256.to_ascii_uppercase().parse::<Sha256>(), Ok(d));
        assert_eq!(d.as_bytes()[..4], [0xba, 0x78, 0x16, 0xbf]);
        assert_eq!(Sha256::from_slice(d.as_bytes()), Some(d));
        assert_eq!(Sha256::from_slice(&d.as_bytes()[1..]), None);
        assert_eq!(Sha256::new(d.0), d);
        // Every byte value survives the round trip, in each type.
        let bytes: [u8; 16] = std::array::from_fn(|i| (i * 17) as u8);
        let m = Md5(bytes);
        assert_eq!(m.to_string(), "00112233445566778899aabbccddeeff");
        assert_eq!(m.to_string().parse::<Md5>(), Ok(m));
        for v in 0..=255u8 {
            let s = Sha1([v; 20]);
            assert_eq!(s.to_string(), to_hex(&[v; 20]));
            assert_eq!(s.to_string().parse::<Sha1>(), Ok(s));
        }
        // Width and alignment apply to the hex, as to any string.
        assert_eq!(format!("{m:>34}|"), format!("  {m}|"));
        assert_eq!(format!("{m:?}"), "Md5(00112233445566778899aabbccddeeff)");
        assert_eq!(format!("{m:X}"), "00112233445566778899AABBCCDDEEFF");
        assert_eq!(format!("{m:X}").parse::<Md5>(), Ok(m));
    }

    #[test]
    fn bad_hex_is_refused_with_the_reason() {
        assert_eq!(
            Md5::from_hex("00"),
            Err(ParseDigestError::Length {
                algorithm: "MD5",
                expected: 32,
                found: 2
            })
        );
        assert_eq!(
            Sha1::from_hex(&ABC256[..40]).map(|d| d.to_string()),
            Ok(ABC256[..40].to_owned())
        );
        assert!(matches!(
            Sha256::from_hex(&ABC256[..40]),
            Err(ParseDigestError::Length { found: 40, .. })
        ));
        let mut bad = ABC256.to_owned();
        bad.replace_range(10..11, "g");
        assert_eq!(
            bad.parse::<Sha256>(),
            Err(ParseDigestError::Digit {
                algorithm: "SHA-256",
                at: 10,
                found: 'g'
            })
        );
        // A multi-byte character is one character, not a hex digit.
        let mut wide = ABC256[..63].to_owned();
        wide.insert(5, 'é');
        assert!(matches!(
            wide.parse::<Sha256>(),
            Err(ParseDigestError::Digit {
                at: 5,
                found: 'é',
                ..
            })
        ));
        assert!(" ".repeat(32).parse::<Md5>().is_err());
        assert!("".parse::<Md5>().is_err());
        assert_eq!(
            "0x".parse::<Md5>().unwrap_err().to_string(),
            "a MD5 digest is hex digits, but character 1 is 'x'"
        );
    }

    #[test]
    fn serializes_as_the_hex_string() {
        let h = hash_bytes(HashSelection::ALL, b"abc");
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(
            json,
            format!(
                r#"{{"sha256":"{ABC256}","sha1":"a9993e364706816aba3e25717850c26c9cd0d89d","md5":"900150983cd24fb0d6963f7d28e17f72"}}"#
            )
        );
        let only = hash_bytes(HashSelection::SHA256, b"abc");
        assert_eq!(
            serde_json::to_string(&only).unwrap(),
            format!(r#"{{"sha256":"{ABC256}"}}"#)
        );
        assert_eq!(
            serde_json::to_string(&Some(only.sha256)).unwrap(),
            format!(r#""{ABC256}""#)
        );
    }

    #[test]
    fn order_of_digests_is_the_order_of_their_hex() {
        // Lists sorted by digest must come out as they did when sorted by
        // hex text.
        let mut digests: Vec<Sha1> = (0..200u32)
            .map(|i| Sha1::digest(&i.to_le_bytes()))
            .chain([
                Sha1([0; 20]),
                Sha1([0xff; 20]),
                Sha1([0x0a; 20]),
                Sha1([0xa0; 20]),
            ])
            .collect();
        let mut texts: Vec<String> = digests.iter().map(ToString::to_string).collect();
        digests.sort();
        texts.sort();
        let sorted: Vec<String> = digests.iter().map(ToString::to_string).collect();
        assert_eq!(sorted, texts);
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
