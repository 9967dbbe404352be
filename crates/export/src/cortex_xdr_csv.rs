//! Cortex XDR IOC CSV, the `request_data` of `insert_csv` and the UI import.
//!
//! Header exactly `indicator,type,severity,expiration_date,comment,reputation,
//! reliability,class,vendor.name,vendor.reputation,vendor.reliability`; one
//! row per file and hash kind (`type` is `HASH` for SHA-256 and MD5 alike;
//! XDR takes no SHA-1). `expiration_date` is epoch milliseconds, or `Never`
//! (the current documentation's spelling of "no expiration"; an empty field
//! would give the per-type default of 7–180 days). The JSON request body
//! ([`super::cortex_xdr_json`]) has a numeric field and sends `-1` instead.

use super::util::csv;
use super::{Action, ExportOptions, FormatWriter, Item, Severity, Sink, Warnings};
use std::io::{self, Write};

pub(crate) const HEADER: &str = "indicator,type,severity,expiration_date,comment,reputation,reliability,class,vendor.name,vendor.reputation,vendor.reliability";

pub(crate) struct CortexXdrCsv;

pub(crate) fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Info => "INFO",
        Severity::Low => "LOW",
        Severity::Medium => "MEDIUM",
        Severity::High => "HIGH",
        Severity::Critical => "CRITICAL",
    }
}

pub(crate) fn reputation(a: Action) -> &'static str {
    match a {
        Action::Allow => "GOOD",
        Action::Audit | Action::Warn => "SUSPICIOUS",
        Action::Block | Action::BlockAndRemediate => "BAD",
    }
}

pub(crate) fn expiration_ms(opts: &ExportOptions) -> i64 {
    opts.expiration
        .map_or(-1, |t| t.unix().saturating_mul(1000))
}

pub(crate) fn class(it: &Item<'_>) -> &'static str {
    if it.is_installer() {
        "Installer"
    } else {
        ""
    }
}

impl FormatWriter for CortexXdrCsv {
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
        let comment = csv(&opts.comment_for(it));
        let rep = reputation(opts.action);
        let rel = opts.reliability;
        let mut any = false;
        for k in opts.hash_kinds(super::ExportFormat::CortexXdrCsv) {
            let Some(h) = it.hash(k) else {
                warn.node(it, format!("no {} computed", k.name()));
                continue;
            };
            writeln!(
                out,
                "{h},HASH,{},{},{comment},{rep},{rel},{},installsift,{rep},{rel}",
                severity(opts.severity),
                opts.expiration.map_or_else(
                    || "Never".to_owned(),
                    |t| t.unix().saturating_mul(1000).to_string()
                ),
                class(it),
            )?;
            any = true;
        }
        Ok(any)
    }
}
