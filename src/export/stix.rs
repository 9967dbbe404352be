//! STIX 2.1 bundle of indicators (Microsoft Sentinel, OpenCTI, MISP, XSOAR
//! import it).
//!
//! One `indicator` per file, `pattern_type:"stix"`, pattern
//! `[file:hashes.'SHA-256' = '…']` (with `--hash sha256,md5,…` the hashes are
//! joined with `OR`), lowercase hex. Identifiers are deterministic: the
//! indicator id is the UUIDv5 of its SHA-256 (in the STIX 2.1 namespace),
//! the bundle id the UUIDv5 of all indicator ids (written after the
//! objects, as the id is known only at the end; key order does not matter in
//! JSON). `created`, `modified` and `valid_from` are the export timestamp;
//! `valid_until` the expiration when one is set. `indicator_types` is
//! `benign` for allow, else `malicious-activity`.

use super::util::{json, uuid5};
use super::{Action, ExportFormat, ExportOptions, FormatWriter, HashKind, Item, Sink, Warnings};
use std::io::{self, Write};

#[derive(Default)]
pub(crate) struct Stix2 {
    ids: Vec<String>,
}

fn stix_key(k: HashKind) -> &'static str {
    match k {
        HashKind::Sha256 => "'SHA-256'",
        HashKind::Sha1 => "'SHA-1'",
        // MD5 may appear bare.
        HashKind::Md5 | HashKind::Imphash => "MD5",
    }
}

impl FormatWriter for Stix2 {
    fn begin(&mut self, out: &mut Sink, _opts: &ExportOptions) -> io::Result<()> {
        write!(out, "{{\"type\":\"bundle\",\"objects\":[")
    }

    fn item(
        &mut self,
        out: &mut Sink,
        it: &Item<'_>,
        opts: &ExportOptions,
        warn: &mut Warnings,
    ) -> io::Result<bool> {
        let mut terms = Vec::new();
        for k in opts.hash_kinds(ExportFormat::Stix2) {
            match it.hash(k) {
                Some(h) => terms.push(format!("file:hashes.{} = '{h}'", stix_key(k))),
                None => warn.node(it, format!("no {} computed", k.name())),
            }
        }
        if terms.is_empty() {
            return Ok(false);
        }
        let id = format!("indicator--{}", uuid5(&format!("indicator/{}", it.sha256)));
        let t = opts.timestamp.rfc3339_millis();
        let kind = if opts.action == Action::Allow {
            "benign"
        } else {
            "malicious-activity"
        };
        let sep = if self.ids.is_empty() { "\n" } else { ",\n" };
        write!(
            out,
            "{sep}{{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"{id}\",\
             \"created\":\"{t}\",\"modified\":\"{t}\",\"name\":{},\"description\":{},\
             \"indicator_types\":[\"{kind}\"],\"pattern\":{},\"pattern_type\":\"stix\",\
             \"valid_from\":\"{t}\"",
            json(&format!("installsift: {}", it.name)),
            json(&opts.comment_for(it)),
            json(&format!("[{}]", terms.join(" OR "))),
        )?;
        if let Some(e) = opts.expiration {
            write!(out, ",\"valid_until\":\"{}\"", e.rfc3339_millis())?;
        }
        write!(out, "}}")?;
        self.ids.push(id);
        Ok(true)
    }

    fn end(&mut self, out: &mut Sink, _opts: &ExportOptions) -> io::Result<()> {
        let bundle = uuid5(&format!("bundle/{}", self.ids.join(",")));
        writeln!(out, "\n],\"id\":\"bundle--{bundle}\"}}")
    }
}
