//! OpenIOC 1.1: one `Indicator operator="OR"` of `FileItem/Sha256sum` (and
//! `Md5sum`, `Sha1sum` with `--hash`) items, one per file and hash kind,
//! `condition="is"`, `Content type="string"`, lowercase hex.
//!
//! The root id is the UUIDv5 of the export timestamp and options, the item
//! ids UUIDv5 of the hashes; `last-modified` and `authored_date` are the
//! export timestamp.

use super::util::{uuid5, xml};
use super::{ExportFormat, ExportOptions, FormatWriter, HashKind, Item, Sink, Warnings};
use std::io::{self, Write};

#[derive(Default)]
pub(crate) struct OpenIoc;

impl FormatWriter for OpenIoc {
    fn begin(&mut self, out: &mut Sink, opts: &ExportOptions) -> io::Result<()> {
        let t = opts.timestamp.naive();
        let root = uuid5(&format!("openioc/{}/{:?}", t, opts.hashes));
        writeln!(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>")?;
        writeln!(
            out,
            "<OpenIOC xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
             xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" \
             xmlns=\"http://openioc.org/schemas/OpenIOC_1.1\" id=\"{root}\" \
             last-modified=\"{t}\" published-date=\"0001-01-01T00:00:00\">"
        )?;
        writeln!(out, "  <metadata>")?;
        writeln!(
            out,
            "    <short_description>installsift export</short_description>"
        )?;
        writeln!(
            out,
            "    <description>File hashes exported by installsift</description>"
        )?;
        writeln!(out, "    <keywords />")?;
        writeln!(out, "    <authored_by>installsift</authored_by>")?;
        writeln!(out, "    <authored_date>{t}</authored_date>")?;
        writeln!(out, "    <links />")?;
        writeln!(out, "  </metadata>")?;
        writeln!(out, "  <criteria>")?;
        writeln!(
            out,
            "    <Indicator id=\"{}\" operator=\"OR\">",
            uuid5(&format!("openioc-indicator/{root}"))
        )
    }

    fn item(
        &mut self,
        out: &mut Sink,
        it: &Item<'_>,
        opts: &ExportOptions,
        warn: &mut Warnings,
    ) -> io::Result<bool> {
        let mut any = false;
        writeln!(
            out,
            "      <!-- {} -->",
            xml(&opts.comment_for(it)).replace("--", "- -")
        )?;
        for k in opts.hash_kinds(ExportFormat::Openioc) {
            let Some(h) = it.hash(k) else {
                warn.node(it, format!("no {} computed", k.name()));
                continue;
            };
            let search = match k {
                HashKind::Md5 => "FileItem/Md5sum",
                HashKind::Sha1 => "FileItem/Sha1sum",
                _ => "FileItem/Sha256sum",
            };
            writeln!(
                out,
                "      <IndicatorItem id=\"{}\" condition=\"is\" preserve-case=\"false\" negate=\"false\">\n        \
                 <Context document=\"FileItem\" search=\"{search}\" type=\"mir\" />\n        \
                 <Content type=\"string\">{h}</Content>\n      </IndicatorItem>",
                uuid5(&format!("openioc-item/{}/{h}", k.name()))
            )?;
            any = true;
        }
        Ok(any)
    }

    fn end(&mut self, out: &mut Sink, _opts: &ExportOptions) -> io::Result<()> {
        writeln!(out, "    </Indicator>")?;
        writeln!(out, "  </criteria>")?;
        writeln!(out, "  <parameters />")?;
        writeln!(out, "</OpenIOC>")
    }
}
