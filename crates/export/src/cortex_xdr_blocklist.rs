//! Cortex XDR block list / allow list: the request body of `POST
//! /public_api/v1/hash_exceptions/blocklist` (or `/allowlist`, same body),
//! `{"request_data":{"hash_list":[…],"comment":"…"}}`.
//!
//! These lists take the SHA-256 of PE files only: an MSI, an archive or a
//! script cannot be hash-blocked there, so every non-PE node is left out with
//! a warning (use `cortex-xdr-csv` IOC rules for those). The list has one
//! comment for all its hashes: the comment template is used as is when it has
//! no per-file placeholder, else a count is written.

use super::util::json;
use super::{ExportOptions, FormatWriter, Item, Sink, Warnings};
use installsift::Format;
use std::io::{self, Write};

#[derive(Default)]
pub(crate) struct CortexXdrBlocklist {
    rows: u64,
}

impl FormatWriter for CortexXdrBlocklist {
    fn begin(&mut self, out: &mut Sink, _opts: &ExportOptions) -> io::Result<()> {
        write!(out, "{{\"request_data\":{{\"hash_list\":[")
    }

    fn item(
        &mut self,
        out: &mut Sink,
        it: &Item<'_>,
        _opts: &ExportOptions,
        warn: &mut Warnings,
    ) -> io::Result<bool> {
        if it.node.format != Format::Pe {
            warn.node(
                it,
                format!(
                    "skipped: {} is not a PE; Cortex XDR block/allow lists take SHA-256 of PE \
                     files only (use cortex-xdr-csv IOC rules for it)",
                    it.node.format
                ),
            );
            return Ok(false);
        }
        let sep = if self.rows == 0 { "\n" } else { ",\n" };
        self.rows += 1;
        write!(out, "{sep}\"{}\"", it.sha256)?;
        Ok(true)
    }

    fn end(&mut self, out: &mut Sink, opts: &ExportOptions) -> io::Result<()> {
        let comment = if opts.comment.contains('{') {
            format!("installsift: {} PE file hashes", self.rows)
        } else {
            opts.comment.clone()
        };
        writeln!(out, "\n],\"comment\":{}}}}}", json(&comment))
    }
}
