//! The HTML report (`installsift report`): one self-contained page to look
//! at a scan.
//!
//! The page is a fixed head (styles, the search box), the scan as data,
//! and a script that draws it: the tree of every layer (collapsible, drawn
//! only as it is opened, so a scan of 10^5 nodes keeps a small DOM), each
//! node with its format, verdict, family, size, builders (`tools`) and
//! errors, its evidence and facts on demand, hashes with a copy button, a
//! search by name or hash prefix, and a summary by family and by input.
//!
//! Nothing from a scanned file is ever markup. The nodes are one JSON array
//! inside `<script type="application/json">` (never executed), written with
//! `<`, `>` and `&` as `\u003c`, `\u003e`, `\u0026`, so no name can close
//! the element or open a comment; the script puts every string in the page
//! with `textContent`. The page loads nothing: its Content Security Policy
//! allows only its own script and style (by SHA-256) and `data:` images,
//! so no request leaves it even if markup were injected.
//!
//! The URL fragment drives the page (and its test in headless Chromium):
//! `#q=TEXT` searches (as typed in the box), `#n=INDEX` opens the tree down
//! to node INDEX (the node's position in the scan's JSONL order, 0-based),
//! `#open=all` opens every node (up to [`OPEN_ALL_MAX`] nodes).
//!
//! Records are rendered without knowing where they land in the page (a
//! node names its parent by the distance back to it), so reports are
//! rendered on the worker threads ([`rendered`]) and written in order
//! ([`Page::write`]), as the other formats are.

use super::{Part, Totals, RENDER_ON_WORKER_MAX_NODES};
use crate::{Node, Report};
use std::io::{self, Write};

/// The page's stylesheet.
const STYLE: &str = include_str!("report.css");
/// The page's script.
const SCRIPT: &str = include_str!("report.js");

/// `#open=all` opens at most this many nodes (the page says when it
/// stopped); the tree stays usable in a browser at this size.
pub const OPEN_ALL_MAX: usize = 50_000;

/// An HTML page being written: [`Page::new`] writes the head, then each
/// report's records in scan order, then [`Page::finish`] the script.
pub struct Page<W: Write> {
    out: W,
    first: bool,
}

impl<W: Write> Page<W> {
    /// Start the page: everything before the first record.
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(head().as_bytes())?;
        Ok(Page { out, first: true })
    }

    fn begin(&mut self) -> io::Result<()> {
        if !self.first {
            self.out.write_all(b",\n")?;
        }
        self.first = false;
        Ok(())
    }

    /// Write one report, rendering its records into the output as it goes.
    pub fn report(&mut self, report: &Report) -> io::Result<()> {
        self.begin()?;
        write_records(&mut self.out, &report.root)
    }

    /// Write one [`Part`] from [`rendered`].
    pub fn write(&mut self, part: &Part) -> io::Result<()> {
        match part {
            Part::Bytes(bytes) => {
                self.begin()?;
                self.out.write_all(bytes)
            }
            Part::Report(report) => self.report(report),
        }
    }

    /// An input that could not be scanned: a record of its own (an input
    /// with its error and no facts), listed and counted in the page.
    pub fn input_error(&mut self, path: &std::path::Path, error: &crate::Error) -> io::Result<()> {
        #[derive(serde::Serialize)]
        struct InputError<'a> {
            u: u8,
            n: std::borrow::Cow<'a, str>,
            ie: String,
        }
        self.begin()?;
        let record = InputError {
            u: 0,
            n: path.to_string_lossy(),
            ie: error.to_string(),
        };
        serde_json::to_writer(ScriptSafe(&mut self.out), &record).map_err(io::Error::from)
    }

    /// Close the data and write the script; the writer back, flushed.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(b"\n]</script>\n<script>")?;
        self.out.write_all(SCRIPT.as_bytes())?;
        self.out.write_all(b"</script>\n</body>\n</html>\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// One scan result as the page's records with its [`Totals`], for a
/// [`Scanner::scan_paths_map`](crate::Scanner::scan_paths_map) `map`
/// function (as [`super::rendered`]): a report of more than
/// [`RENDER_ON_WORKER_MAX_NODES`] nodes is passed on whole and rendered
/// into the output by [`Page::write`]; an error is passed through.
pub fn rendered(result: crate::Result<Report>) -> crate::Result<(Totals, Part)> {
    result.map(|report| {
        let totals = Totals::of(&report);
        if report.stats.nodes > RENDER_ON_WORKER_MAX_NODES {
            return (totals, Part::Report(Box::new(report)));
        }
        let mut bytes = Vec::new();
        // Writing into a Vec fails only on a serde error, which a report
        // does not produce; should one, the report is rendered again into
        // the output, where the error stops the page (never a record cut
        // short in a page that looks whole).
        match write_records(&mut bytes, &report.root) {
            Ok(()) => (totals, Part::Bytes(bytes)),
            Err(_) => (totals, Part::Report(Box::new(report))),
        }
    })
}

/// The page of `reports`, whole (for tests and small callers).
pub fn page(reports: &[Report]) -> io::Result<Vec<u8>> {
    let mut p = Page::new(Vec::new())?;
    for r in reports {
        p.report(r)?;
    }
    p.finish()
}

/// Everything before the first record: the head with its policy, the
/// body's fixed parts, the opening of the data element.
fn head() -> String {
    let version = env!("CARGO_PKG_VERSION");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"generator\" content=\"installsift {version}\">\n\
<title>installsift report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
<header><h1>installsift report</h1>\
<input id=\"q\" type=\"search\" placeholder=\"Search: name, hash prefix, family:NAME, is:error\" \
autocomplete=\"off\" spellcheck=\"false\" aria-label=\"Search\">\
<span id=\"count\"></span></header>\n\
<noscript><p class=\"noscript\">This report draws its tree with JavaScript; the scan is \
in the page source as JSON (element <code>installsift-data</code>).</p></noscript>\n\
<section id=\"summary\"></section>\n<section id=\"results\" hidden></section>\n\
<main id=\"tree\"></main>\n<footer id=\"footer\">installsift {version}</footer>\n\
<script type=\"application/json\" id=\"installsift-data\">[\n",
        csp = policy()
    )
}

/// The Content Security Policy: nothing but this page's own script and
/// style (by hash) and `data:` images; no request of any kind, no form,
/// no base URL.
pub fn policy() -> String {
    format!(
        "default-src 'none'; script-src '{}'; style-src '{}'; img-src data:; \
base-uri 'none'; form-action 'none'",
        csp_hash(SCRIPT),
        csp_hash(STYLE)
    )
}

/// `sha256-BASE64` of an inline element's text, as CSP compares it.
fn csp_hash(text: &str) -> String {
    let digest = crate::hash::Sha256::digest(text.as_bytes());
    format!("sha256-{}", base64(&digest.0))
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                let sextet = (n >> (18 - 6 * k)) & 63;
                out.push(char::from(ALPHABET[sextet as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One node as the page's data: short keys (a page of 10^5 nodes is
/// mostly these), `u` the distance back to the parent record (0: an
/// input), the details (`x`) drawn only when asked.
#[derive(serde::Serialize)]
struct Record<'a> {
    u: usize,
    /// The input's path, or the entry's name.
    n: &'a str,
    f: &'static str,
    v: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fa: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    k: Option<&'a str>,
    s: u64,
    h: Option<crate::hash::Sha256>,
    #[serde(skip_serializing_if = "Option::is_none")]
    h1: Option<crate::hash::Sha1>,
    #[serde(skip_serializing_if = "Option::is_none")]
    m5: Option<crate::hash::Md5>,
    /// The text view's line of tools.
    #[serde(skip_serializing_if = "Option::is_none")]
    t: Option<String>,
    /// `kind: message` of each error.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    e: Vec<String>,
    x: Details<'a>,
}

/// What a node's details show when opened: the contract's fields of the
/// same names.
#[derive(serde::Serialize)]
struct Details<'a> {
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    evidence: &'a [crate::Evidence],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    verified_by: &'a [crate::Check],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tools: &'a [crate::Tool],
    #[serde(skip_serializing_if = "Option::is_none")]
    installer: Option<&'a crate::InstallerFacts>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    error_details: &'a [crate::Error],
    #[serde(skip_serializing_if = "Option::is_none")]
    entry: Option<&'a crate::EntryInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a crate::formats::Metadata>,
}

/// The records of a tree, parent before children, `,\n`-separated.
fn write_records(out: &mut dyn Write, root: &Node) -> io::Result<()> {
    // (node, distance back to its parent) in walk order; the index of
    // each record is its position in this walk.
    let mut next = 0usize;
    let mut stack: Vec<(&Node, Option<usize>)> = vec![(root, None)];
    let mut out = ScriptSafe(out);
    while let Some((node, parent)) = stack.pop() {
        let here = next;
        next += 1;
        if here > 0 {
            out.0.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut out, &record(node, parent.map_or(0, |p| here - p)))?;
        // Children pushed in reverse so they come out in order.
        stack.extend(node.children.iter().rev().map(|c| (c, Some(here))));
    }
    Ok(())
}

fn record(node: &Node, up: usize) -> Record<'_> {
    let i = &node.info;
    let name = if up == 0 {
        i.path.first()
    } else {
        i.path.last()
    };
    Record {
        u: up,
        n: name.map_or("", String::as_str),
        f: i.format.as_str(),
        v: i.verdict.as_str(),
        fa: i.family.map(|f| f.as_str()),
        k: i.kind.as_deref(),
        s: i.size,
        h: i.sha256,
        h1: i.sha1,
        m5: i.md5,
        t: super::tools_line(i.tools()),
        e: i.errors.iter().map(ToString::to_string).collect(),
        x: Details {
            evidence: &i.evidence,
            verified_by: &i.verified_by,
            tools: i.tools(),
            installer: i.installer.as_deref(),
            error_details: &i.errors,
            entry: i.entry.as_ref(),
            metadata: i.metadata.as_ref(),
        },
    }
}

/// Writes JSON text so that it can sit inside a `<script>` element: `<`,
/// `>` and `&` (which JSON allows only inside strings) become `\u003c`,
/// `\u003e`, `\u0026`, so nothing in the data can end the element
/// (`</script>`), start a comment (`<!--`) or be read as a character
/// reference. The JSON value is unchanged.
struct ScriptSafe<W: Write>(W);

impl<W: Write> Write for ScriptSafe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let mut rest = buf;
        while let Some(at) = rest.iter().position(|b| matches!(b, b'<' | b'>' | b'&')) {
            let (plain, tail) = rest.split_at(at);
            self.0.write_all(plain)?;
            let escaped: &[u8] = match tail.first() {
                Some(b'<') => b"\\u003c",
                Some(b'>') => b"\\u003e",
                _ => b"\\u0026",
            };
            self.0.write_all(escaped)?;
            rest = tail.get(1..).unwrap_or_default();
        }
        self.0.write_all(rest)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The data between the data element's tags, parsed.
    fn data(page: &str) -> serde_json::Value {
        let start = page
            .find("<script type=\"application/json\" id=\"installsift-data\">")
            .expect("data element");
        let body = &page[start..];
        let open = body.find('>').expect("tag end") + 1;
        let close = body.find("</script>").expect("data element end");
        serde_json::from_str(&body[open..close]).expect("the data is JSON")
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), want, "{plain:?}");
        }
    }

    /// The policy names the hashes of the script and style the page holds,
    /// and allows nothing else: a changed script without a changed hash
    /// would not run (Chromium's test sees that), a request would be
    /// refused.
    #[test]
    fn the_policy_allows_only_the_page_s_own_script_and_style() {
        let r = crate::Scanner::new().scan_bytes("a.bin", b"hello");
        let page = String::from_utf8(page(&[r]).expect("page")).expect("utf-8");
        let p = policy();
        assert!(page.contains(&format!("content=\"{p}\"")));
        assert!(p.starts_with("default-src 'none';"), "{p}");
        // The script is the last element, whole, with the hash of its text.
        let script = page
            .rsplit("<script>")
            .next()
            .and_then(|s| s.split("</script>").next())
            .expect("script");
        assert_eq!(script, SCRIPT);
        assert!(p.contains(&format!("script-src '{}'", csp_hash(script))));
        assert!(p.contains(&format!("style-src '{}'", csp_hash(STYLE))));
        for word in ["http", "unsafe", "*"] {
            assert!(!p.contains(word), "{word} in {p}");
        }
        // Neither the script nor the style ends its element early.
        assert!(!SCRIPT.contains("</script") && !STYLE.contains("</style"));
    }

    /// Names and errors from a file are data: a name that would close the
    /// data element or open a tag is written with `<` `>` `&` escaped, and
    /// reads back unchanged as JSON.
    #[test]
    fn hostile_names_cannot_leave_the_data_element() {
        let hostile = "<img src=x onerror=alert(1)></script><script>alert(2)</script><!--&amp;";
        let mut r = crate::Scanner::new().scan_bytes(hostile, b"hello");
        let mut child = r.root.clone();
        child.info.path.push(format!("inner{hostile}"));
        child.info.depth = 1;
        child
            .info
            .errors
            .push(crate::Error::malformed(format!("bad {hostile}")));
        r.root.children.push(child);
        let bytes = page(&[r]).expect("page");
        let page = String::from_utf8(bytes).expect("utf-8");
        // The only tags are the page's own: two scripts, each closed once.
        assert_eq!(page.matches("<script").count(), 2, "{page}");
        assert_eq!(page.matches("</script>").count(), 2);
        assert!(!page.contains("<img") && !page.contains("<!--") && !page.contains("&amp;"));
        let v = data(&page);
        assert_eq!(v[0]["n"], hostile);
        assert_eq!(v[1]["n"], format!("inner{hostile}"));
        assert_eq!(v[1]["u"], 1);
        assert_eq!(v[1]["e"][0], format!("malformed: bad {hostile}"));
    }

    /// Records name their parent by the distance back to it, so a report's
    /// records are the same wherever they land in the page; a node's
    /// facts are those of the contract.
    #[test]
    fn records_point_back_to_their_parents_in_walk_order() {
        let leaf = crate::Scanner::new().scan_bytes("leaf", b"hello");
        let mut mid = leaf.clone();
        mid.root.children = vec![leaf.root.clone(), leaf.root.clone()];
        let mut top = leaf.clone();
        top.root.children = vec![mid.root.clone(), leaf.root.clone(), mid.root.clone()];
        // top, mid, l, l, l, mid, l, l
        let page = String::from_utf8(page(&[leaf.clone(), top]).expect("page")).expect("utf-8");
        let v = data(&page);
        let ups: Vec<u64> = v
            .as_array()
            .expect("array")
            .iter()
            .map(|r| r["u"].as_u64().expect("u"))
            .collect();
        assert_eq!(ups, [0, 0, 1, 1, 2, 4, 5, 1, 2]);
        let sha = leaf.root.info.sha256.map(|h| h.to_string());
        assert_eq!(v[0]["h"].as_str(), sha.as_deref());
        assert_eq!(v[0]["v"], "unknown");
        assert_eq!(v[0]["s"], 5);
    }

    /// Workers render the same bytes as the page does itself, small and
    /// large reports alike, and errors of inputs become records.
    #[test]
    fn rendered_parts_and_input_errors_make_the_same_page() {
        let small = crate::Scanner::new().scan_bytes("a.bin", b"hello");
        let mut big = small.clone();
        let n = RENDER_ON_WORKER_MAX_NODES as usize + 1;
        big.root.children = vec![small.root.clone(); n];
        big.stats.nodes = n as u64 + 1;
        let want = page(&[small.clone(), big.clone()]).expect("page");
        let mut got = Page::new(Vec::new()).expect("page");
        for r in [small, big] {
            let (_, part) = rendered(Ok(r)).expect("report");
            got.write(&part).expect("write");
        }
        assert_eq!(got.finish().expect("finish"), want);
        let mut p = Page::new(Vec::new()).expect("page");
        p.input_error("gone</script>".as_ref(), &crate::Error::malformed("x"))
            .expect("write");
        let text = String::from_utf8(p.finish().expect("finish")).expect("utf-8");
        let v = data(&text);
        assert_eq!(v[0]["n"], "gone</script>");
        assert_eq!(v[0]["ie"], "malformed: x");
    }
}
