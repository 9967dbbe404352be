//! Small helpers shared by the format writers: UTC timestamps, UUIDv5,
//! CSV/XML/JSON/YARA escaping.

use sha1::{Digest, Sha1};

/// A UTC instant with second precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn from_unix(secs: i64) -> Self {
        Timestamp(secs)
    }

    /// The current time.
    pub fn now() -> Self {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        Timestamp(secs)
    }

    /// Seconds since the epoch.
    pub fn unix(self) -> i64 {
        self.0
    }

    /// Parse `YYYY-MM-DD` (midnight UTC), `YYYY-MM-DDTHH:MM:SSZ` or
    /// `YYYY-MM-DDTHH:MM:SS` (UTC), or `@SECONDS`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad =
            || format!("`{s}` is not a date (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or @UNIXSECONDS)");
        if let Some(secs) = s.strip_prefix('@') {
            return secs.parse().map(Timestamp).map_err(|_| bad());
        }
        let s2 = s.strip_suffix('Z').unwrap_or(s);
        let (date, time) = match s2.split_once(['T', ' ']) {
            Some((d, t)) => (d, Some(t)),
            None => (s2, None),
        };
        let num = |p: Option<&str>, lo: i64, hi: i64| -> Result<i64, String> {
            let v: i64 = p.ok_or_else(bad)?.parse().map_err(|_| bad())?;
            if (lo..=hi).contains(&v) {
                Ok(v)
            } else {
                Err(bad())
            }
        };
        let mut d = date.split('-');
        let (y, m, day) = (
            num(d.next(), 1970, 9999)?,
            num(d.next(), 1, 12)?,
            num(d.next(), 1, 31)?,
        );
        if d.next().is_some() {
            return Err(bad());
        }
        let mut secs = days_from_civil(y, m, day) * 86_400;
        if let Some(t) = time {
            let mut t = t.split(':');
            let (hh, mm, ss) = (
                num(t.next(), 0, 23)?,
                num(t.next(), 0, 59)?,
                num(t.next(), 0, 60)?,
            );
            if t.next().is_some() {
                return Err(bad());
            }
            secs += hh * 3600 + mm * 60 + ss;
        }
        Ok(Timestamp(secs))
    }

    fn parts(self) -> (i64, i64, i64, i64, i64, i64) {
        let days = self.0.div_euclid(86_400);
        let rem = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn rfc3339(self) -> String {
        let (y, m, d, hh, mm, ss) = self.parts();
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
    }

    /// `YYYY-MM-DDTHH:MM:SS.000Z` (STIX timestamps carry milliseconds by
    /// convention).
    pub fn rfc3339_millis(self) -> String {
        let (y, m, d, hh, mm, ss) = self.parts();
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.000Z")
    }

    /// `YYYY-MM-DD`.
    pub fn date(self) -> String {
        let (y, m, d, ..) = self.parts();
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// `YYYY-MM-DDTHH:MM:SS` (no zone, as OpenIOC writes it).
    pub fn naive(self) -> String {
        let (y, m, d, hh, mm, ss) = self.parts();
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}")
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The namespace of every UUIDv5 installsift writes: the STIX 2.1
/// namespace for deterministic identifiers (`00abedb4-aa42-466c-9c01-fed23315a9b7`).
const NAMESPACE: [u8; 16] = [
    0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7,
];

/// RFC 4122 UUID version 5 of `name` in installsift's namespace, lowercase.
pub(crate) fn uuid5(name: &str) -> String {
    uuid5_in(&NAMESPACE, name)
}

fn uuid5_in(ns: &[u8; 16], name: &str) -> String {
    let mut h = Sha1::new();
    h.update(ns);
    h.update(name.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(d.get(..16).unwrap_or(&[0; 16]));
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = crate::hash::to_hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A CSV field: quoted when it holds a comma, quote, CR or LF, or starts
/// or ends with a space; quotes doubled.
pub(crate) fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// XML text or attribute value: the five entities escaped, characters XML
/// 1.0 forbids replaced by U+FFFD.
pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A JSON string literal.
pub(crate) fn json(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// A YARA string literal (double-quoted; `\\`, `\"`, `\n`, `\t` and `\xNN`
/// for other non-printable bytes).
pub(crate) fn yara_str(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(b as char),
            other => out.push_str(&format!("\\x{other:02x}")),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid5_matches_rfc_example() {
        // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
        let dns = [
            0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4,
            0x30, 0xc8,
        ];
        assert_eq!(
            uuid5_in(&dns, "python.org"),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d"
        );
    }

    #[test]
    fn timestamps_round_trip() {
        let t = Timestamp::parse("2024-06-01T00:00:00Z").unwrap();
        assert_eq!(t.unix(), 1_717_200_000);
        assert_eq!(t.rfc3339(), "2024-06-01T00:00:00Z");
        assert_eq!(Timestamp::parse("2024-06-01").unwrap(), t);
        assert_eq!(Timestamp::parse("@1717200000").unwrap(), t);
        let leap = Timestamp::parse("2028-02-29T23:59:59").unwrap();
        assert_eq!(leap.rfc3339_millis(), "2028-02-29T23:59:59.000Z");
        assert_eq!(Timestamp::from_unix(0).date(), "1970-01-01");
        assert!(Timestamp::parse("2024-13-01").is_err());
        assert!(Timestamp::parse("tomorrow").is_err());
    }

    #[test]
    fn escaping() {
        assert_eq!(csv("a,b"), "\"a,b\"");
        assert_eq!(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv("plain"), "plain");
        assert_eq!(xml("a<b & 'c'\u{1}"), "a&lt;b &amp; &apos;c&apos;\u{fffd}");
        assert_eq!(yara_str("a\"b\\c\u{e9}"), "\"a\\\"b\\\\c\\xc3\\xa9\"");
        assert_eq!(json("a\"b"), "\"a\\\"b\"");
    }
}
