//! CrowdStrike Falcon custom IOCs: the request body of `POST
//! /iocs/entities/indicators/v1`, `{"comment":…,"indicators":[…]}`, one
//! indicator per file and hash kind (`sha256` or `md5`; Falcon takes no
//! SHA-1), `platforms:["windows"]`, `applied_globally:true`.
//!
//! Actions: allow → `allow`; audit and warn → `detect`; block and
//! block-and-remediate → `prevent`. `severity` is written except for
//! `allow` (Falcon requires it for detect and prevent only). The file name
//! goes under `metadata` (`"metadata":{"filename":"setup.exe"}`), as the
//! IOC API's create body has it (falconpy `src/falconpy/_payload/_ioc.py`,
//! `indicator_object`, turns its `filename` keyword into exactly that; the
//! API sorts and filters on `metadata.filename`); a top-level `filename` is
//! not a field of the indicator.

use super::util::json;
use super::{Action, ExportFormat, ExportOptions, FormatWriter, Item, Severity, Sink, Warnings};
use std::io::{self, Write};

#[derive(Default)]
pub(crate) struct CrowdstrikeJson {
    rows: u64,
}

impl FormatWriter for CrowdstrikeJson {
    fn begin(&mut self, out: &mut Sink, _opts: &ExportOptions) -> io::Result<()> {
        write!(out, "{{\"comment\":\"installsift export\",\"indicators\":[")
    }

    fn item(
        &mut self,
        out: &mut Sink,
        it: &Item<'_>,
        opts: &ExportOptions,
        warn: &mut Warnings,
    ) -> io::Result<bool> {
        let action = match opts.action {
            Action::Allow => "allow",
            Action::Audit => "detect",
            Action::Warn => {
                warn.once(
                    "crowdstrike-warn",
                    "Falcon IOCs have no `warn` action: `detect` written instead",
                );
                "detect"
            }
            Action::Block | Action::BlockAndRemediate => "prevent",
        };
        let severity = match opts.severity {
            Severity::Info => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        };
        let mut any = false;
        for k in opts.hash_kinds(ExportFormat::CrowdstrikeJson) {
            let Some(h) = it.hash(k) else {
                warn.node(it, format!("no {} computed", k.name()));
                continue;
            };
            let sep = if self.rows == 0 { "\n" } else { ",\n" };
            self.rows += 1;
            write!(
                out,
                "{sep}{{\"type\":\"{}\",\"value\":\"{h}\",\"action\":\"{action}\",\
                 \"platforms\":[\"windows\"],",
                k.name()
            )?;
            if opts.action != Action::Allow {
                write!(out, "\"severity\":\"{severity}\",")?;
            }
            write!(
                out,
                "\"description\":{},\"source\":\"installsift\",\"metadata\":{{\"filename\":{}}},",
                json(&opts.comment_for(it)),
                json(it.name)
            )?;
            if let Some(e) = opts.expiration {
                write!(out, "\"expiration\":\"{}\",", e.rfc3339())?;
            }
            write!(out, "\"applied_globally\":true}}")?;
            any = true;
        }
        Ok(any)
    }

    fn end(&mut self, out: &mut Sink, _opts: &ExportOptions) -> io::Result<()> {
        writeln!(out, "\n]}}")
    }
}
