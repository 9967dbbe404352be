//! Microsoft Defender for Endpoint custom indicators, the portal's CSV
//! import.
//!
//! Header exactly `IndicatorType,IndicatorValue,ExpirationTime,Action,
//! Severity,Title,Description,RecommendedActions,RbacGroups,Category,
//! MitreTechniques,GenerateAlert`; `FileSha256` or `FileSha1` rows (FileMd5
//! is API-only). The portal takes at most 500 rows per file: with
//! [`Exporter::with_parts`](super::Exporter::with_parts) (the CLI's `-o
//! FILE`) the rows are split into files that keep the `.csv` extension the
//! portal's upload dialog expects, `block.csv`, `block-2.csv`, `block-3.csv`
//! … ([`part_path`]), each with the header; on a single stream a warning
//! says the limit was passed.
//! Defender enforces file indicators on PE files only: other nodes are
//! written with a warning.

use super::util::csv;
use super::{
    Action, ExportFormat, ExportOptions, FormatWriter, HashKind, Item, Severity, Sink, Warnings,
};
use installsift::Format;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The file of output part `n` (2, 3, …) of a split export written to
/// `first`: `-n` before the extension (`block.csv` → `block-2.csv`), or at
/// the end of a name without one (`block` → `block-2`).
pub fn part_path(first: &Path, n: u32) -> PathBuf {
    let stem = first.file_stem().unwrap_or_default();
    let mut name = stem.to_os_string();
    name.push(format!("-{n}"));
    if let Some(ext) = first.extension() {
        name.push(".");
        name.push(ext);
    }
    first.with_file_name(name)
}

pub(crate) const HEADER: &str = "IndicatorType,IndicatorValue,ExpirationTime,Action,Severity,Title,Description,RecommendedActions,RbacGroups,Category,MitreTechniques,GenerateAlert";

/// Rows per file the portal accepts.
pub(crate) const MAX_ROWS: usize = 500;

#[derive(Default)]
pub(crate) struct DefenderCsv {
    rows_in_part: usize,
}

impl FormatWriter for DefenderCsv {
    fn begin(&mut self, out: &mut Sink, _opts: &ExportOptions) -> io::Result<()> {
        writeln!(out, "{HEADER}")
    }

    fn item(
        &mut self,
        out: &mut Sink,
        it: &Item<'_>,
        opts: &ExportOptions,
        warn: &mut Warnings,
    ) -> io::Result<bool> {
        if it.node.format != Format::Pe {
            warn.node(
                it,
                format!(
                    "written, but Defender enforces file indicators on PE files only ({} file)",
                    it.node.format
                ),
            );
        }
        let (action, alert) = match opts.action {
            Action::Allow => ("Allowed", "False"),
            Action::Audit => ("Audit", "True"),
            Action::Warn => ("Warn", "True"),
            Action::Block => ("Block", "True"),
            Action::BlockAndRemediate => ("BlockAndRemediate", "True"),
        };
        let severity = match opts.severity {
            Severity::Info => "Informational",
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
            Severity::Critical => {
                warn.once(
                    "defender-critical",
                    "Defender has no Critical severity: High written instead",
                );
                "High"
            }
        };
        let expires = opts
            .expiration
            .map(|t| format!("{}.0Z", t.naive()))
            .unwrap_or_default();
        let title = csv(&format!("installsift: {}", it.name));
        let description = csv(&opts.comment_for(it));
        let mut any = false;
        for k in opts.hash_kinds(ExportFormat::DefenderCsv) {
            let (kind, Some(h)) = (
                if k == HashKind::Sha1 {
                    "FileSha1"
                } else {
                    "FileSha256"
                },
                it.hash(k),
            ) else {
                warn.node(it, format!("no {} computed", k.name()));
                continue;
            };
            if self.rows_in_part == MAX_ROWS {
                if out.next_part()? {
                    self.begin(out, opts)?;
                    self.rows_in_part = 0;
                } else {
                    warn.once(
                        "defender-500",
                        "more than 500 rows: the Defender portal imports at most 500 per file \
                         (write to a file with -o to split: block.csv, block-2.csv, …)",
                    );
                }
            }
            writeln!(
                out,
                "{kind},{h},{expires},{action},{severity},{title},{description},,,,,{alert}"
            )?;
            self.rows_in_part += 1;
            any = true;
        }
        Ok(any)
    }
}

#[cfg(test)]
mod tests {
    use super::part_path;
    use std::path::Path;

    #[test]
    fn parts_keep_the_csv_extension() {
        assert_eq!(
            part_path(Path::new("block.csv"), 2),
            Path::new("block-2.csv")
        );
        assert_eq!(
            part_path(Path::new("/tmp/out/ioc.v1.csv"), 12),
            Path::new("/tmp/out/ioc.v1-12.csv")
        );
        assert_eq!(part_path(Path::new("block"), 3), Path::new("block-3"));
    }
}
