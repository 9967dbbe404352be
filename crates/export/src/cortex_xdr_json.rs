//! Cortex XDR IOC JSON: the request body of `POST
//! /public_api/v1/indicators/insert_jsons`, `{"request_data":[…],
//! "validate":true}`, with the same fields as the CSV and the vendor as a
//! `vendors` array.

use super::cortex_xdr_csv::{class, expiration_ms, reputation, severity};
use super::util::json;
use super::{ExportFormat, ExportOptions, FormatWriter, Item, Sink, Warnings};
use std::io::{self, Write};

#[derive(Default)]
pub(crate) struct CortexXdrJson {
    rows: u64,
}

impl FormatWriter for CortexXdrJson {
    fn begin(&mut self, out: &mut Sink, _opts: &ExportOptions) -> io::Result<()> {
        write!(out, "{{\"request_data\":[")
    }

    fn item(
        &mut self,
        out: &mut Sink,
        it: &Item<'_>,
        opts: &ExportOptions,
        warn: &mut Warnings,
    ) -> io::Result<bool> {
        let rep = reputation(opts.action);
        let rel = opts.reliability;
        let mut any = false;
        for k in opts.hash_kinds(ExportFormat::CortexXdrJson) {
            let Some(h) = it.hash(k) else {
                warn.node(it, format!("no {} computed", k.name()));
                continue;
            };
            let sep = if self.rows == 0 { "\n" } else { ",\n" };
            self.rows += 1;
            write!(
                out,
                "{sep}{{\"indicator\":\"{h}\",\"type\":\"HASH\",\"severity\":\"{}\",\
                 \"expiration_date\":{},\"comment\":{},\"reputation\":\"{rep}\",\
                 \"reliability\":\"{rel}\",\"vendors\":[{{\"vendor_name\":\"installsift\",\
                 \"reputation\":\"{rep}\",\"reliability\":\"{rel}\"}}],\"class\":{}}}",
                severity(opts.severity),
                expiration_ms(opts),
                json(&opts.comment_for(it)),
                json(class(it)),
            )?;
            any = true;
        }
        Ok(any)
    }

    fn end(&mut self, out: &mut Sink, _opts: &ExportOptions) -> io::Result<()> {
        writeln!(out, "\n],\"validate\":true}}")
    }
}
