//! YARA rules: one rule per file, `filesize == N and hash.sha256(0,
//! filesize) == "…"` (lowercase: YARA compares hash strings case-sensitively
//! and its hash module returns lowercase). With `--hash` including `sha1` or
//! `md5`, those comparisons are added with `or`. With `imphash` in `--hash`,
//! one more rule per distinct imphash: `pe.imphash() == "…"` (it matches every
//! file with the same import table, not only the listed one).
//!
//! Empty files never get here (no indicator can tell one empty file from
//! another; the exporter skips them with a warning), nor the imphash of no
//! imports.
//!
//! Rule names are `installsift_<sha256>` and `installsift_imphash_<md5>`;
//! `meta` carries the path, the family and the comment.

use super::util::yara_str;
use super::{ExportFormat, ExportOptions, FormatWriter, HashKind, Item, Sink, Warnings};
use installsift::hash::Md5;
use std::collections::HashSet;
use std::io::{self, Write};

#[derive(Default)]
pub(crate) struct Yara {
    imphashes: HashSet<Md5>,
}

impl FormatWriter for Yara {
    fn begin(&mut self, out: &mut Sink, opts: &ExportOptions) -> io::Result<()> {
        writeln!(out, "// installsift export {}", opts.timestamp.rfc3339())?;
        writeln!(out, "import \"hash\"")?;
        if opts
            .hash_kinds(ExportFormat::Yara)
            .contains(&HashKind::Imphash)
        {
            writeln!(out, "import \"pe\"")?;
        }
        Ok(())
    }

    fn item(
        &mut self,
        out: &mut Sink,
        it: &Item<'_>,
        opts: &ExportOptions,
        warn: &mut Warnings,
    ) -> io::Result<bool> {
        let kinds = opts.hash_kinds(ExportFormat::Yara);
        let mut terms = Vec::new();
        for k in &kinds {
            let func = match k {
                HashKind::Sha256 => "sha256",
                HashKind::Sha1 => "sha1",
                HashKind::Md5 => "md5",
                HashKind::Imphash => continue,
            };
            match it.hash(*k) {
                Some(h) => terms.push(format!("hash.{func}(0, filesize) == \"{h}\"")),
                None => warn.node(it, format!("no {} computed", k.name())),
            }
        }
        let meta = format!(
            "  meta:\n    path = {}\n    family = {}\n    comment = {}\n",
            yara_str(&it.shared_path),
            yara_str(it.family()),
            yara_str(&opts.comment_for(it)),
        );
        let mut any = false;
        if !terms.is_empty() {
            writeln!(
                out,
                "\nrule installsift_{} {{\n{meta}  condition:\n    filesize == {} and ({})\n}}",
                it.sha256,
                it.node.size,
                terms.join(" or ")
            )?;
            any = true;
        }
        if kinds.contains(&HashKind::Imphash) {
            match it.imphash() {
                Some(h) if self.imphashes.insert(h) => {
                    writeln!(
                        out,
                        "\nrule installsift_imphash_{h} {{\n{meta}  condition:\n    pe.imphash() == \"{h}\"\n}}",
                    )?;
                    any = true;
                }
                Some(_) => any = true,
                // Summed up by the exporter (an imphash of no imports).
                None if it.pe.is_some() => {}
                None => {
                    if terms.is_empty() {
                        warn.node(it, "skipped: not a PE, so no imphash");
                    }
                }
            }
        }
        Ok(any)
    }
}
