//! Small helpers shared by the format writers: UTC timestamps, UUIDv5,
//! CSV/XML/JSON/YARA escaping, the meaningless-indicator filter and the
//! path written into shared intelligence.

use super::{Action, Warning};
use installsift::hash::{Md5, Sha1, Sha256};
use installsift::NodeInfo;
use sha1::Digest;

/// SHA-256 of no bytes.
pub(crate) const EMPTY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// SHA-1 of no bytes.
pub(crate) const EMPTY_SHA1: &str = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
/// MD5 of no bytes, also the imphash of a PE whose imports could not be read.
pub(crate) const EMPTY_MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";

/// The digests of no bytes, compared as bytes (a constant that is not hex
/// fails to compile).
const NO_BYTES: (Sha256, Sha1, Md5) = match (
    Sha256::try_from_hex(EMPTY_SHA256),
    Sha1::try_from_hex(EMPTY_SHA1),
    Md5::try_from_hex(EMPTY_MD5),
) {
    (Some(a), Some(b), Some(c)) => (a, b, c),
    _ => panic!("the digests of no bytes are hex"),
};

/// How many paths a skip summary names.
const SKIP_EXAMPLES: usize = 5;

/// Why an indicator would mean nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Skip {
    /// The content is empty: every empty file in the world has this hash.
    EmptyFile,
    /// A nested entry whose bytes carry an error: the hash may not be the
    /// file the installer writes.
    Unverified,
    /// A PE whose imphash is that of no imports (only the imphash is left
    /// out; the file's own hashes are written).
    NoImports,
}

/// The skips of one export, summed up per kind.
#[derive(Default)]
pub(crate) struct Skips {
    /// Per kind: count and the first paths.
    kinds: Vec<(Skip, u64, Vec<String>)>,
}

impl Skips {
    pub(crate) fn add(&mut self, why: Skip, path: String) {
        let slot = match self.kinds.iter().position(|k| k.0 == why) {
            Some(i) => self.kinds.get_mut(i),
            None => {
                self.kinds.push((why, 0, Vec::new()));
                self.kinds.last_mut()
            }
        };
        if let Some((_, n, paths)) = slot {
            *n = n.saturating_add(1);
            if paths.len() < SKIP_EXAMPLES {
                paths.push(path);
            }
        }
    }

    /// One warning per kind: what was left out, how many, the first paths.
    pub(crate) fn summaries(&self) -> Vec<Warning> {
        self.kinds
            .iter()
            .map(|(why, n, paths)| {
                let what = match why {
                    Skip::EmptyFile => format!(
                        "skipped {n} empty file(s): SHA-256 {EMPTY_SHA256} (MD5 {EMPTY_MD5}, \
                         SHA-1 {EMPTY_SHA1}) is the hash of every empty file, an indicator \
                         that matches everywhere"
                    ),
                    Skip::Unverified => format!(
                        "skipped {n} nested entr{} whose bytes carry an error (checksum \
                         mismatch, truncation, …): the hash may not be that of the file the \
                         installer writes (--include-unverified exports them)",
                        if *n == 1 { "y" } else { "ies" }
                    ),
                    Skip::NoImports => format!(
                        "left out the imphash of {n} PE file(s) with no readable imports: \
                         it is the same for every such file ({EMPTY_MD5} or empty)"
                    ),
                };
                let more = n.saturating_sub(paths.len() as u64);
                let tail = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                Warning {
                    path: String::new(),
                    message: format!("{what}: {}{tail}", paths.join(", ")),
                }
            })
            .collect()
    }
}

/// Whether a node's indicator would mean nothing, and why: empty content
/// (by size or by any of its hashes), or, unless `include_unverified`, a
/// nested entry with a checksum mismatch, or with another error that puts
/// its bytes in doubt ([`questions_bytes`]) while no checksum covering them
/// matched. A top-level file's hash is that of the bytes
/// on disk, whatever errors its structure has, so it is never "unverified".
pub(crate) fn meaningless(
    node: &NodeInfo,
    sha256: Sha256,
    include_unverified: bool,
) -> Option<Skip> {
    let (none256, none1, none5) = NO_BYTES;
    let empty =
        node.size == 0 || sha256 == none256 || node.sha1 == Some(none1) || node.md5 == Some(none5);
    if empty {
        return Some(Skip::EmptyFile);
    }
    // A checksum the container carries that matched the bytes we hash
    // vouches for them: the node's other errors are about its structure.
    // A checksum mismatch is never outweighed.
    let vouched = node.verified_by.iter().any(|c| c.covers_content());
    let in_doubt = node.errors.iter().any(|e| {
        matches!(e, installsift::Error::Checksum { .. }) || (!vouched && questions_bytes(e))
    });
    if node.depth > 0 && in_doubt && !include_unverified {
        return Some(Skip::Unverified);
    }
    None
}

/// Whether an error on a node puts its bytes in doubt. Every error does
/// (a checksum mismatch, a truncation, a malformed stream the bytes were
/// decoded from …) except a limit that only stopped looking *inside* the
/// node: its bytes were read whole and hashed.
fn questions_bytes(e: &installsift::Error) -> bool {
    !matches!(
        e,
        installsift::Error::LimitExceeded {
            limit: installsift::Limit::MaxDepth
                | installsift::Limit::MaxOpensPerContent
                | installsift::Limit::MaxEntriesPerContainer
                | installsift::Limit::MaxEntriesPerInput
                | installsift::Limit::MaxBufferedEntry,
            ..
        }
    )
}

/// Whether an imphash is that of no imports (the MD5 of the empty list;
/// pefile's `""` is no imphash at all, `None` in the PE facts).
pub(crate) fn is_empty_imphash(h: &Md5) -> bool {
    *h == NO_BYTES.2
}

/// The node path for shared intelligence: the input path as given when it
/// is relative and does not climb, else its base name; nested names as they
/// are; ` > ` between levels.
pub(crate) fn shared_path(path: &[String]) -> String {
    let mut parts = path.iter();
    let Some(top) = parts.next() else {
        return String::new();
    };
    let b = top.as_bytes();
    let absolute = top.starts_with(['/', '\\', '~'])
        || (b.get(1) == Some(&b':') && b.first().is_some_and(u8::is_ascii_alphabetic));
    let climbs = top.split(['/', '\\']).any(|c| c == "..");
    let mut out = if absolute || climbs {
        top.rsplit(['/', '\\'])
            .find(|c| !c.is_empty())
            .unwrap_or(top)
            .to_owned()
    } else {
        top.clone()
    };
    for p in parts {
        out.push_str(" > ");
        out.push_str(p);
    }
    out
}

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
        // num() kept month and day in range, so the casts are exact.
        let mut secs = installsift::days_from_civil(y, m as u32, day as u32) * 86_400;
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
        let (y, m, d) = installsift::civil_from_days(days);
        (
            y,
            i64::from(m),
            i64::from(d),
            rem / 3600,
            rem % 3600 / 60,
            rem % 60,
        )
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
    let mut h = sha1::Sha1::new();
    h.update(ns);
    h.update(name.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(d.get(..16).unwrap_or(&[0; 16]));
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = installsift::hash::to_hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The action's command-line name, part of the UUIDv5 names of formats
/// whose ids must differ between an allow and a block export.
pub(crate) fn action_name(a: Action) -> &'static str {
    match a {
        Action::Allow => "allow",
        Action::Audit => "audit",
        Action::Warn => "warn",
        Action::Block => "block",
        Action::BlockAndRemediate => "block-and-remediate",
    }
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
    fn shared_paths_drop_local_directories() {
        let p = |v: &[&str]| shared_path(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(p(&["/home/ana/case 7/setup.exe"]), "setup.exe");
        assert_eq!(
            p(&["C:\\Users\\ana\\setup.exe", "a.cab"]),
            "setup.exe > a.cab"
        );
        assert_eq!(p(&["\\\\srv\\share\\x.msi"]), "x.msi");
        assert_eq!(p(&["../../cases/acme/x.msi"]), "x.msi");
        assert_eq!(
            p(&["samples/x.msi", "Binary/y.dll"]),
            "samples/x.msi > Binary/y.dll"
        );
        assert_eq!(p(&["/dir/"]), "dir");
        assert_eq!(p(&[]), "");
    }

    #[test]
    fn empty_and_unverified_nodes_are_meaningless() {
        use installsift::{Format, Verdict};
        let node = |size: u64, depth: u32, errors: bool| NodeInfo {
            path: vec!["x".into()],
            depth,
            size,
            sha256: None,
            sha1: None,
            md5: None,
            verified_by: Vec::new(),
            format: Format::Unknown,
            verdict: Verdict::Unknown,
            family: None,
            kind: None,
            installer: None,
            tools: None,
            evidence: Vec::new(),
            errors: if errors {
                vec![installsift::Error::truncated("cut short")]
            } else {
                Vec::new()
            },
            entry: None,
            metadata: None,
        };
        let h = Sha256([0xab; 32]);
        assert_eq!(
            meaningless(&node(0, 0, false), h, true),
            Some(Skip::EmptyFile)
        );
        assert_eq!(
            meaningless(&node(5, 0, false), NO_BYTES.0, false),
            Some(Skip::EmptyFile)
        );
        let mut md5 = node(5, 1, false);
        // Upper-case hex of the MD5 of nothing is the same digest.
        md5.md5 = Some(EMPTY_MD5.to_ascii_uppercase().parse().unwrap());
        assert_eq!(meaningless(&md5, h, false), Some(Skip::EmptyFile));
        assert_eq!(
            meaningless(&node(5, 1, true), h, false),
            Some(Skip::Unverified)
        );
        assert_eq!(meaningless(&node(5, 1, true), h, true), None);
        // The top-level file's hash is of the bytes on disk.
        assert_eq!(meaningless(&node(5, 0, true), h, false), None);
        // A limit that only stopped opening the node leaves its bytes whole.
        let mut deep = node(5, 3, false);
        deep.errors = vec![installsift::Error::limit(
            installsift::Limit::MaxDepth,
            "not opened",
        )];
        assert_eq!(meaningless(&deep, h, false), None);
        deep.errors.push(installsift::Error::limit(
            installsift::Limit::MaxEntrySize,
            "cut",
        ));
        assert_eq!(meaningless(&deep, h, false), Some(Skip::Unverified));
        // A CRC that matched vouches for the bytes of a node whose own
        // structure is damaged; not against a checksum mismatch.
        let mut vouched = node(5, 1, true);
        vouched.verified_by = vec![installsift::Check::ZipCrc32];
        assert_eq!(meaningless(&vouched, h, false), None);
        vouched
            .errors
            .push(installsift::Error::checksum("msi-file-hash differs"));
        assert_eq!(meaningless(&vouched, h, false), Some(Skip::Unverified));
        // A check of stored data only (the cabinet checksum) vouches for
        // nothing we hash.
        let mut stored = node(5, 1, true);
        stored.verified_by = vec![installsift::Check::CabChecksum];
        assert_eq!(meaningless(&stored, h, false), Some(Skip::Unverified));
        assert_eq!(meaningless(&node(5, 1, false), h, false), None);
        assert!(is_empty_imphash(&EMPTY_MD5.parse().unwrap()));
        assert!(!is_empty_imphash(
            &"8a98287583280596621b430fd66919dd".parse().unwrap()
        ));
        assert_eq!(NO_BYTES.0, Sha256::digest(b""));
        assert_eq!(NO_BYTES.1, Sha1::digest(b""));
        assert_eq!(NO_BYTES.2, Md5::digest(b""));
    }

    #[test]
    fn skip_summaries_count_and_name_the_first_paths() {
        let mut s = Skips::default();
        for i in 0..7 {
            s.add(Skip::EmptyFile, format!("e{i}"));
        }
        s.add(Skip::Unverified, "a > b".into());
        let w = s.summaries();
        assert_eq!(w.len(), 2);
        assert!(
            w[0].message.starts_with("skipped 7 empty file(s)"),
            "{}",
            w[0]
        );
        assert!(
            w[0].message.ends_with(": e0, e1, e2, e3, e4 and 2 more"),
            "{}",
            w[0]
        );
        assert!(w[1].message.contains("1 nested entry"), "{}", w[1]);
        assert!(w[1].message.ends_with(": a > b"), "{}", w[1]);
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
