//! `sha256sum` / `sha1sum` / `md5sum`: `HASH  PATH` lines in GNU coreutils'
//! format, so `sha256sum -c` checks the input files. A path holding a
//! backslash, CR or LF is written as coreutils writes it: the line starts
//! with `\` and those characters are escaped (`\\`, `\r`, `\n`). A name
//! that is not UTF-8 is written byte for byte, as coreutils does (the CLI
//! passes the input path's own bytes: the report keeps names lossily).
//! Paths are written as given, never cut to base names, or `-c` could not
//! find the files. Nested
//! entries (`--depth all`) get lines too, their path joined with ` > `: they
//! are not files on disk, so check with `sha256sum -c --ignore-missing`.

use super::{ExportOptions, FormatWriter, HashKind, Item, Sink, Warnings};
use std::io::{self, Write};

pub(crate) struct Sums(pub HashKind);

/// One `HASH  NAME` line, escaped as GNU coreutils escapes it.
fn line(hash: &str, name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hash.len() + name.len() + 4);
    let escape = name.iter().any(|b| matches!(b, b'\\' | b'\n' | b'\r'));
    if escape {
        out.push(b'\\');
    }
    out.extend_from_slice(hash.as_bytes());
    out.extend_from_slice(b"  ");
    for &b in name {
        match b {
            b'\\' if escape => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b => out.push(b),
        }
    }
    out.push(b'\n');
    out
}

impl FormatWriter for Sums {
    fn item(
        &mut self,
        out: &mut Sink,
        it: &Item<'_>,
        _opts: &ExportOptions,
        warn: &mut Warnings,
    ) -> io::Result<bool> {
        let Some(hash) = it.hash(self.0) else {
            warn.node(it, format!("no {} computed", self.0.name()));
            return Ok(false);
        };
        if it.node.depth > 0 {
            warn.once(
                "sums-nested",
                "nested entries are listed with their container path (`a > b`); \
                 `sha256sum -c` cannot open them: use --ignore-missing",
            );
        }
        out.write_all(&line(&hash.to_string(), &it.path_bytes()))?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::line;

    #[test]
    fn names_are_escaped_as_coreutils_does() {
        assert_eq!(line("ab", b"a b.exe"), b"ab  a b.exe\n");
        assert_eq!(line("ab", b"a\\b\nc\rd"), b"\\ab  a\\\\b\\nc\\rd\n");
        assert_eq!(line("ab", b"\xff\xfe.exe"), b"ab  \xff\xfe.exe\n");
    }
}
