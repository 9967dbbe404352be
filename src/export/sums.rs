//! `sha256sum` / `sha1sum` / `md5sum`: `HASH  PATH` lines in GNU coreutils'
//! format, so `sha256sum -c` checks the input files. A path holding a
//! backslash, CR or LF is written as coreutils writes it: the line starts
//! with `\` and those characters are escaped (`\\`, `\r`, `\n`). Nested
//! entries (`--depth all`) get lines too, their path joined with ` > `: they
//! are not files on disk, so check with `sha256sum -c --ignore-missing`.

use super::{ExportOptions, FormatWriter, HashKind, Item, Sink, Warnings};
use std::io::{self, Write};

pub(crate) struct Sums(pub HashKind);

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
        let path = &it.path;
        if path.contains(['\\', '\n', '\r']) {
            let escaped = path
                .replace('\\', "\\\\")
                .replace('\n', "\\n")
                .replace('\r', "\\r");
            writeln!(out, "\\{hash}  {escaped}")?;
        } else {
            writeln!(out, "{hash}  {path}")?;
        }
        Ok(true)
    }
}
