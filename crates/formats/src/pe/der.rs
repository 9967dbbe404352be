//! A minimal DER reader for the PKCS#7 / X.509 structures of an Authenticode
//! signature (ITU-T X.690): one tag byte, definite lengths of up to four
//! bytes, bodies as sub-slices of the input. Nothing is copied and nothing is
//! allocated; every read is bounded by the slice it reads from. BER's
//! indefinite lengths (which old signing tools wrote for the outer
//! constructed values) are accepted for constructed values: the body ends at
//! the matching end-of-contents, found by walking the nested values to a
//! bounded depth ([`MAX_NESTING`]). High tag numbers are errors.

use installsift_model::error::Error;

/// Universal tags used here.
pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const OID: u8 = 0x06;
pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const SET: u8 = 0x31;
/// Context-specific constructed `[0]`.
pub(crate) const CTX0: u8 = 0xA0;
/// Context-specific constructed `[1]`.
pub(crate) const CTX1: u8 = 0xA1;

/// One tag-length-value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    /// The tag byte (class, constructed bit and number).
    pub tag: u8,
    /// The value bytes.
    pub body: &'a [u8],
    /// The whole TLV: tag, length and value.
    pub raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// The body read as a sequence of TLVs.
    pub(crate) fn items(&self) -> Der<'a> {
        Der::new(self.body)
    }

    /// This TLV, which must have tag `tag`.
    pub(crate) fn expect(self, tag: u8, what: &str) -> Result<Self, Error> {
        if self.tag == tag {
            Ok(self)
        } else {
            Err(Error::malformed(format!(
                "DER: {what}: tag {:#04x}, expected {tag:#04x}",
                self.tag
            )))
        }
    }
}

/// Deepest nesting of indefinite-length values walked to find their end.
const MAX_NESTING: usize = 32;

/// A cursor over consecutive TLVs.
#[derive(Debug, Clone)]
pub(crate) struct Der<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Der<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Der { data, pos: 0 }
    }

    /// Whether every byte has been read.
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// The tag of the next TLV, without reading it.
    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// Read the next TLV.
    pub(crate) fn next_tlv(&mut self) -> Result<Tlv<'a>, Error> {
        let at = self.pos;
        let tag = *self
            .data
            .get(at)
            .ok_or_else(|| Error::truncated(format!("DER: no tag at {at}")))?;
        if tag & 0x1F == 0x1F {
            return Err(Error::unsupported(format!(
                "DER: high tag number form at {at}"
            )));
        }
        let first = *self
            .data
            .get(at + 1)
            .ok_or_else(|| Error::truncated(format!("DER: no length at {}", at + 1)))?;
        let (len, head) = if first < 0x80 {
            (usize::from(first), 2usize)
        } else {
            let n = usize::from(first & 0x7F);
            if n == 0 {
                if tag & 0x20 == 0 {
                    return Err(Error::malformed(format!(
                        "BER: indefinite length on a primitive value at {at}"
                    )));
                }
                let start = at + 2;
                let len = indefinite_len(self.data, start, 0)?;
                let body = self.data.get(start..start + len).unwrap_or(&[]);
                let end = start + len + 2;
                self.pos = end;
                let raw = self.data.get(at..end).unwrap_or(body);
                return Ok(Tlv { tag, body, raw });
            }
            if n > 4 {
                return Err(Error::malformed(format!("DER: {n}-byte length at {at}")));
            }
            let bytes = self
                .data
                .get(at + 2..at + 2 + n)
                .ok_or_else(|| Error::truncated(format!("DER: length at {at} cut short")))?;
            let len = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, 2 + n)
        };
        let start = at + head;
        let end = start
            .checked_add(len)
            .ok_or_else(|| Error::malformed(format!("DER: length at {at} overflows")))?;
        let body = self.data.get(start..end).ok_or_else(|| {
            Error::truncated(format!(
                "DER: value at {start} declares {len} bytes, {} left",
                self.data.len().saturating_sub(start)
            ))
        })?;
        self.pos = end;
        let raw = self.data.get(at..end).unwrap_or(body);
        Ok(Tlv { tag, body, raw })
    }

    /// Read the next TLV, which must have tag `tag`.
    pub(crate) fn expect(&mut self, tag: u8, what: &str) -> Result<Tlv<'a>, Error> {
        self.next_tlv()?.expect(tag, what)
    }

    /// Read the next TLV when its tag is `tag`; otherwise read nothing.
    pub(crate) fn optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, Error> {
        if self.peek_tag() == Some(tag) {
            self.next_tlv().map(Some)
        } else {
            Ok(None)
        }
    }
}

/// The length of an indefinite-length body starting at `start`: the values
/// up to the end-of-contents octets `00 00` (not counted).
fn indefinite_len(data: &[u8], start: usize, depth: usize) -> Result<usize, Error> {
    if depth >= MAX_NESTING {
        return Err(Error::malformed(format!(
            "BER: indefinite lengths nested deeper than {MAX_NESTING}"
        )));
    }
    let mut d = Der { data, pos: start };
    loop {
        match data.get(d.pos..d.pos + 2) {
            Some([0, 0]) => return Ok(d.pos - start),
            Some(_) => {}
            None => {
                return Err(Error::truncated(format!(
                    "BER: no end-of-contents for the value at {start}"
                )))
            }
        }
        // A nested indefinite value recurses through `next_tlv`.
        if data.get(d.pos + 1) == Some(&0x80) {
            let inner = indefinite_len(data, d.pos + 2, depth + 1)?;
            d.pos += 2 + inner + 2;
        } else {
            d.next_tlv()?;
        }
    }
}

/// An OID body in dotted form (for reports of unknown algorithms).
pub(crate) fn oid_string(body: &[u8]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut acc: u64 = 0;
    for (i, &b) in body.iter().enumerate() {
        acc = (acc << 7) | u64::from(b & 0x7F);
        if b & 0x80 == 0 {
            if parts.is_empty() {
                let (x, y) = match acc {
                    0..=39 => (0, acc),
                    40..=79 => (1, acc - 40),
                    _ => (2, acc - 80),
                };
                parts.push(x.to_string());
                parts.push(y.to_string());
            } else {
                parts.push(acc.to_string());
            }
            acc = 0;
        } else if acc > (u64::MAX >> 8) || i > 64 {
            parts.push("…".into());
            break;
        }
    }
    parts.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_lengths() {
        let mut d = Der::new(&[0x04, 0x02, 0xAA, 0xBB, 0x30, 0x81, 0x01, 0x05]);
        let a = d.next_tlv().unwrap();
        assert_eq!((a.tag, a.body), (0x04, &[0xAA, 0xBB][..]));
        let b = d.next_tlv().unwrap();
        assert_eq!((b.tag, b.body), (0x30, &[0x05][..]));
        assert!(d.is_empty());
    }

    #[test]
    fn hostile_lengths_are_errors() {
        // Declares more than there is.
        assert!(matches!(
            Der::new(&[0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF, 0]).next_tlv(),
            Err(Error::Truncated { .. })
        ));
        // Indefinite length without its end, on a primitive, too deep;
        // five-byte length, high tag number, nothing at all.
        assert!(Der::new(&[0x30, 0x80, 0x04, 0x01, 0xAA])
            .next_tlv()
            .is_err());
        assert!(Der::new(&[0x04, 0x80, 0, 0]).next_tlv().is_err());
        let deep: Vec<u8> = std::iter::repeat_n([0x30u8, 0x80], 64).flatten().collect();
        assert!(Der::new(&deep).next_tlv().is_err());
        assert!(Der::new(&[0x30, 0x85, 1, 1, 1, 1, 1]).next_tlv().is_err());
        assert!(Der::new(&[0x1F, 0x01, 0x00]).next_tlv().is_err());
        assert!(Der::new(&[]).next_tlv().is_err());
        assert!(Der::new(&[0x30]).next_tlv().is_err());
    }

    #[test]
    fn ber_indefinite_lengths_end_at_their_end_of_contents() {
        // SEQUENCE (indefinite) { [0] (indefinite) { OCTET STRING AA } } then INTEGER 5
        let b = [
            0x30, 0x80, 0xA0, 0x80, 0x04, 0x01, 0xAA, 0, 0, 0, 0, 0x02, 0x01, 0x05,
        ];
        let mut d = Der::new(&b);
        let seq = d.next_tlv().unwrap();
        assert_eq!(seq.tag, 0x30);
        assert_eq!(seq.body, &b[2..9]);
        let inner = seq.items().next_tlv().unwrap();
        assert_eq!(inner.tag, 0xA0);
        assert_eq!(inner.items().next_tlv().unwrap().body, &[0xAA]);
        assert_eq!(d.next_tlv().unwrap().body, &[0x05]);
        assert!(d.is_empty());
    }

    #[test]
    fn oid_dotted() {
        assert_eq!(
            oid_string(&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]),
            "2.16.840.1.101.3.4.2.1"
        );
        assert_eq!(oid_string(&[0x2B, 0x0E, 0x03, 0x02, 0x1A]), "1.3.14.3.2.26");
    }
}
