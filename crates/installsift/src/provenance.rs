//! Hash provenance over a JSONL index: which input, and which path inside
//! it, carried a file of a given SHA-256 (`installsift where`).
//!
//! The index is what `installsift scan --format jsonl -o index.jsonl
//! LIBRARY` writes (the JSONL contract), one file or a directory of such
//! files (shards: one per day, per share, per Spark partition written as
//! JSONL). That store needs no new dependency, is appended to by
//! concatenation, and is read by every tool that reads the contract. A
//! lookup streams it: a line is parsed only when its bytes contain the
//! hex digest (a substring search) or when it is an input's own line
//! (depth 0, whose family names the installer); the rest is skipped
//! unparsed. That is one pass over the index per query: for libraries of
//! millions of files, query the Parquet of the Spark job with DuckDB
//! instead (README, "Python and Spark").

use crate::hash::Sha256;
use serde_json::Value;
use std::fmt;
use std::io::{self, BufRead};

/// A node of the index whose `sha256` is the one looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The input file (`path[0]`).
    pub input: String,
    /// The input's family (`family` of its depth-0 line), when an
    /// installer; `None` when the index has no line for the input itself.
    pub input_family: Option<String>,
    /// The input's verdict.
    pub input_verdict: Option<String>,
    /// The path inside the input (`path[1..]`); empty when the input
    /// itself has the hash.
    pub inside: Vec<String>,
    /// The node's format.
    pub format: String,
}

impl fmt::Display for Match {
    /// `INPUT [family]  >  a > b > c  [format]`, tab-separated:
    /// input, its family (or verdict), the path inside (` > ` between
    /// levels, `-` for the input itself), the node's format.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = self
            .input_family
            .as_deref()
            .or(self.input_verdict.as_deref())
            .unwrap_or("?");
        let inside = if self.inside.is_empty() {
            "-".to_owned()
        } else {
            self.inside.join(" > ")
        };
        write!(f, "{}\t{what}\t{inside}\t{}", self.input, self.format)
    }
}

/// The first `],"depth":N` of a contract line gives its depth without
/// parsing it (a string of `path` cannot hold an unescaped `"`).
fn depth_of(line: &[u8]) -> Option<u64> {
    let at = memchr::memmem::find(line, b"],\"depth\":")?;
    let digits = line.get(at + 10..)?;
    let end = digits.iter().position(|b| !b.is_ascii_digit())?;
    std::str::from_utf8(digits.get(..end)?).ok()?.parse().ok()
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_owned))
        .collect()
}

/// Stream a JSONL index and hand every node whose `sha256` is `sha256`
/// to `on_match`, in index order. Returns the number of lines read. A
/// line that is not a contract record (not JSON, no `path`) is an error
/// naming its line number: a damaged index must not answer "not found".
pub fn find_in_jsonl(
    index: &mut dyn BufRead,
    sha256: &Sha256,
    on_match: &mut dyn FnMut(Match),
) -> io::Result<u64> {
    let needle = sha256.to_string();
    let finder = memchr::memmem::Finder::new(needle.as_bytes());
    let mut line = Vec::new();
    let mut n = 0u64;
    // The last input line seen: (input, family, verdict).
    let mut input: Option<(String, Option<String>, Option<String>)> = None;
    let bad = |n: u64, what: &str| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("index line {n}: {what}"),
        )
    };
    loop {
        line.clear();
        if index.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        n += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let is_input = match depth_of(&line) {
            Some(d) => d == 0,
            None => return Err(bad(n, "not a record of the JSONL contract (no depth)")),
        };
        if !is_input && finder.find(&line).is_none() {
            continue;
        }
        let v: Value =
            serde_json::from_slice(&line).map_err(|e| bad(n, &format!("not JSON: {e}")))?;
        let path = v
            .get("path")
            .and_then(strings)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| bad(n, "no path"))?;
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        if is_input {
            input = Some((path[0].clone(), text("family"), text("verdict")));
        }
        if v.get("sha256").and_then(Value::as_str) != Some(needle.as_str()) {
            continue;
        }
        let (input_family, input_verdict) = match &input {
            Some((name, family, verdict)) if *name == path[0] => (family.clone(), verdict.clone()),
            _ => (None, None),
        };
        on_match(Match {
            input: path[0].clone(),
            input_family,
            input_verdict,
            inside: path.get(1..).map(<[String]>::to_vec).unwrap_or_default(),
            format: text("format").unwrap_or_default(),
        });
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scanner;

    fn index_of(name: &str, data: &[u8]) -> Vec<u8> {
        crate::render::render(
            &Scanner::new().scan_bytes(name, data),
            crate::render::Format::Jsonl,
        )
        .expect("jsonl")
    }

    #[test]
    fn a_nested_file_is_found_with_its_input_and_path() {
        let data = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../corpus/nested/zip_7z_zip.zip"),
        )
        .expect("corpus sample");
        let report = Scanner::new().scan_bytes("lib/outer.zip", &data);
        let mut deepest = None;
        report.root.walk(&mut |n| {
            if n.info.depth == 3 {
                deepest.get_or_insert_with(|| n.info.clone());
            }
        });
        let deepest = deepest.expect("a node three levels down");
        let mut index = index_of("other.bin", b"nothing");
        index.extend(index_of("lib/outer.zip", &data));
        let mut found = Vec::new();
        let sha = deepest.sha256.expect("hashed");
        let lines = find_in_jsonl(&mut index.as_slice(), &sha, &mut |m| found.push(m))
            .expect("a good index");
        assert!(lines > 4);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].input, "lib/outer.zip");
        assert_eq!(found[0].inside, deepest.path[1..].to_vec());
        assert_eq!(found[0].input_verdict.as_deref(), Some("not-installer"));
        assert_eq!(
            found[0].to_string(),
            format!(
                "lib/outer.zip\tnot-installer\t{}\t{}",
                deepest.path[1..].join(" > "),
                deepest.format
            )
        );
    }

    #[test]
    fn an_absent_hash_finds_nothing_and_a_damaged_index_is_an_error() {
        let index = index_of("a.bin", b"abc");
        let absent = Sha256::digest(b"not in the index");
        let mut found = 0;
        find_in_jsonl(&mut index.as_slice(), &absent, &mut |_| found += 1).expect("good");
        assert_eq!(found, 0);
        let mut damaged = index.clone();
        damaged.extend_from_slice(b"{\"path\":[\"x\"],\"depth\":0,\n");
        let err =
            find_in_jsonl(&mut damaged.as_slice(), &absent, &mut |_| {}).expect_err("a cut line");
        assert!(err.to_string().contains("index line 2"), "{err}");
        let err = find_in_jsonl(&mut &b"hello\n"[..], &absent, &mut |_| {}).expect_err("not jsonl");
        assert!(err.to_string().contains("index line 1"), "{err}");
    }
}
