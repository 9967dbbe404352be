//! Microsoft Defender for Endpoint custom indicators, the portal's CSV
//! import.
//!
//! Header exactly `IndicatorType,IndicatorValue,ExpirationTime,Action,
//! Severity,Title,Description,RecommendedActions,RbacGroups,Category,
//! MitreTechniques,GenerateAlert`; `FileSha256` or `FileSha1` rows (FileMd5
//! is API-only). The portal takes at most 500 rows per file: with
//! [`Exporter::with_parts`](super::Exporter::with_parts) (the CLI's `-o
//! FILE`) the rows are split into FILE, FILE.2, FILE.3 … each with the
//! header; on a single stream a warning says the limit was passed.
//! Defender enforces file indicators on PE files only: other nodes are
//! written with a warning.

use super::util::csv;
use super::{
    Action, ExportFormat, ExportOptions, FormatWriter, HashKind, Item, Severity, Sink, Warnings,
};
use crate::report::Format;
use std::io::{self, Write};

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
                         (write to a file with -o to split into FILE, FILE.2, …)",
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
