//! Squirrel.Windows `RELEASES` files: one line per package,
//! `SHA1 filename size` (Squirrel's `ReleaseEntry`: 40 hex digits, the
//! `.nupkg` name, its size in bytes). Squirrel's `Setup.exe` carries one in its
//! embedded zip, beside `Update.exe` and the full package.

use super::container::{Notes, Opened, Options};
use super::{Handler, Metadata, Parsed};
use installsift_model::error::Error;
use installsift_model::hash;
use installsift_model::Format;
use serde::Serialize;

/// Entries listed in metadata (all are counted).
const MAX_LISTED: usize = 1_000;
/// Longest file name kept.
const MAX_NAME: usize = 512;

/// Facts of a RELEASES file.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReleasesInfo {
    /// Lines that are release entries.
    pub count: u64,
    /// The first entries.
    pub entries: Vec<ReleaseEntry>,
}

/// One line.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReleaseEntry {
    /// SHA-1 of the package (as stated; written as lowercase hex).
    pub sha1: hash::Sha1,
    /// Package file name.
    pub filename: String,
    /// Package size in bytes.
    pub size: u64,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "squirrel-releases",
    format: Format::SquirrelReleases,
    sniff,
    open,
};

/// One `SHA1 filename size` line.
fn entry(line: &str) -> Option<ReleaseEntry> {
    let mut f = line.split_ascii_whitespace();
    let (sha, name, size) = (f.next()?, f.next()?, f.next()?);
    if f.next().is_some() || name.len() > MAX_NAME {
        return None;
    }
    Some(ReleaseEntry {
        sha1: sha.parse().ok()?,
        filename: name.to_owned(),
        size: size.parse().ok()?,
    })
}

fn first_line(data: &[u8]) -> Option<&str> {
    let d = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let head = &d[..d.len().min(1024)];
    let end = memchr::memchr(b'\n', head)?;
    std::str::from_utf8(&head[..end]).ok()
}

/// The first line is a release entry (and ends within 1 KiB).
pub fn sniff(data: &[u8]) -> bool {
    first_line(data).and_then(entry).is_some()
        || (data.len() < 1024
            && std::str::from_utf8(data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data))
                .ok()
                .and_then(entry)
                .is_some())
}

/// Parse the whole document (a leaf: no entries).
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let max = usize::try_from(opts.limits.max_document_size).unwrap_or(usize::MAX);
    let d = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    if d.len() > max {
        notes.error(Error::limit(
            installsift_model::limits::Limit::MaxDocumentSize,
            format!("RELEASES of {} bytes; read the first {max}", d.len()),
        ));
    }
    let text = String::from_utf8_lossy(&d[..d.len().min(max)]);
    let mut info = ReleasesInfo::default();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match entry(line) {
            Some(e) => {
                info.count += 1;
                if info.entries.len() < MAX_LISTED {
                    info.entries.push(e);
                }
            }
            None => notes.error(Error::malformed(format!(
                "RELEASES line {} is not `SHA1 filename size`",
                n + 1
            ))),
        }
    }
    Opened::Leaf(Parsed {
        format: Format::SquirrelReleases,
        metadata: Some(Metadata::Releases(Box::new(info))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_entries() {
        let e = entry("E3F67244E4166A65310C816221A12685C83F8E6F myapp-1.0.0-full.nupkg 600725")
            .expect("entry");
        assert_eq!(e.size, 600725);
        assert_eq!(e.filename, "myapp-1.0.0-full.nupkg");
        assert!(sniff(b"E3F67244E4166A65310C816221A12685C83F8E6F a.nupkg 1"));
        assert!(!sniff(
            b"E3F67244E4166A65310C816221A12685C83F8E6 a.nupkg 1\n"
        ));
        assert!(!sniff(b"hello world 1\n"));
    }
}
