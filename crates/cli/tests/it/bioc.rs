//! Behaviour rules (`export --to sigma`, `--to cortex-xql`): golden rules for
//! an NSIS, an Inno Setup, an MSI, a Burn, an InstallShield and an Omaha
//! installer of the corpus (`crates/cli/tests/expected/export/bioc/`, rewritten by
//! `UPDATE_EXPECT=1 cargo test --test it golden`); escaping of hostile file
//! names, read back with decoders written here from the YAML and Sigma
//! specifications; an XQL grammar check of every query the corpus gives;
//! the switch regexes run on made-up command lines.
//!
//! There is no offline XQL validator: [`xql_check`] is our own reading of
//! the XQL reference (stages, operators, `"…"` literals that process no
//! escapes), not Cortex's parser. Sigma rules are checked by `sigma check`
//! and two pySigma backends in `scripts/check_exports.sh`.

use crate::util::corpus;
use installsift::Scanner;
use installsift_export::{Depth, ExportFormat, ExportOptions, Timestamp};

/// One installer per family the brief names (Burn with its nested MSI).
const GOLDEN: &[&str] = &[
    "nsis/signed_zlib.exe",
    "inno/inno60_bzip2.exe",
    "msi/simple.msi",
    "burn/burn_constructed.exe",
    "installshield/clam_ISmsi_int.exe",
    "omaha/omaha_tagged.exe",
];

fn options() -> ExportOptions {
    ExportOptions {
        depth: Depth::All,
        timestamp: Timestamp::parse("2024-06-01T00:00:00Z").unwrap(),
        ..ExportOptions::default()
    }
}

/// Export `(name, bytes)` inputs; the text and the warnings.
fn export_named(format: ExportFormat, inputs: &[(String, Vec<u8>)]) -> (String, Vec<String>) {
    crate::util::export_inputs(format, options(), inputs)
}

fn export(format: ExportFormat, rels: &[&str]) -> (String, Vec<String>) {
    crate::util::export_samples(format, options(), rels)
}

fn golden(name: &str, got: &str) -> Option<String> {
    crate::util::golden_in("export/bioc", name, got)
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(corpus().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn golden_behaviour_rules_per_family() {
    let mut failures = Vec::new();
    for rel in GOLDEN {
        let stem = rel.replace('/', "_");
        for format in [ExportFormat::Sigma, ExportFormat::CortexXql] {
            let (text, warnings) = export(format, &[rel]);
            assert!(
                text.contains("SHA-256"),
                "{rel}: no rule written for an installer\n{text}\n{warnings:?}"
            );
            let name = format!("{stem}.{}", format.extension());
            failures.extend(golden(&name, &text));
            failures.extend(golden(
                &format!("{name}.warnings"),
                &(warnings.join("\n") + "\n"),
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The (one) `field: value` line under a detection key, value as written.
fn sigma_line<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix(key))
        .filter_map(|l| l.strip_prefix(": "))
        .collect()
}

#[test]
fn sigma_rules_key_on_hash_name_switch_and_msiexec() {
    let (text, _) = export(ExportFormat::Sigma, &["nsis/zlib.exe", "msi/simple.msi"]);
    let docs: Vec<&str> = text.split("\n---\n").collect();
    assert_eq!(docs.len(), 2, "one rule per installer\n{text}");
    let nsis = docs[0];
    let sha = installsift_sha256(&read("nsis/zlib.exe"));
    assert_eq!(
        sigma_line(nsis, "Hashes|contains"),
        [format!("'SHA256={}'", sha.to_ascii_uppercase())]
    );
    assert_eq!(sigma_line(nsis, "Image|endswith"), ["'\\zlib.exe'"]);
    assert_eq!(sigma_line(nsis, "- CommandLine|contains|cased"), ["' /S '"]);
    assert_eq!(sigma_line(nsis, "- CommandLine|endswith|cased"), ["' /S'"]);
    assert!(nsis.contains("    condition: image_hash or (image_name and install_switch)\n"));
    assert!(nsis.contains("status: experimental\n"));
    assert!(nsis.contains("date: 2024-06-01\n"));
    assert!(nsis.contains("\nlevel: high"));
    assert!(nsis.contains("category: process_creation\n    product: windows\n"));
    // The imphash of the NSIS stub is said, not matched.
    assert!(!nsis.contains("IMPHASH="), "{nsis}");

    let msi = docs[1];
    assert!(
        msi.contains("        - Image|endswith: '\\msiexec.exe'\n"),
        "{msi}"
    );
    assert!(
        msi.contains("            - ' /i'\n            - ' /package'\n"),
        "{msi}"
    );
    assert!(
        msi.contains(
            "            - 'simple.msi'\n            - '{A1B2C3D4-0001-4000-8000-000000000001}'\n"
        ),
        "{msi}"
    );
    assert!(msi.contains(
        "    condition: msiexec and ((install_switch and package) or (uninstall_switch and \
         product_code))\n"
    ));
}

fn installsift_sha256(data: &[u8]) -> String {
    let r = Scanner::new().scan_bytes("x", data);
    r.root.info.sha256.expect("sha256").to_string()
}

#[test]
fn rule_ids_are_deterministic_and_differ_per_format_and_file() {
    let a = export(
        ExportFormat::Sigma,
        &["nsis/zlib.exe", "inno/inno60_bzip2.exe"],
    )
    .0;
    let b = export(
        ExportFormat::Sigma,
        &["nsis/zlib.exe", "inno/inno60_bzip2.exe"],
    )
    .0;
    assert_eq!(a, b);
    let ids: Vec<&str> = sigma_line(&a, "id");
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    let x = export(ExportFormat::CortexXql, &["nsis/zlib.exe"]).0;
    let xid = x
        .lines()
        .find_map(|l| l.strip_prefix("// id: "))
        .expect("xql id");
    assert!(
        !ids.contains(&xid),
        "Sigma and XQL rules of one file share an id"
    );
}

#[test]
fn nested_package_named_by_a_container_id_is_looked_for_by_product_code() {
    // Burn names its attached MSI `a0`: `contains 'a0'` would match anything.
    let (text, warnings) = export(ExportFormat::Sigma, &["burn/burn_constructed.exe"]);
    let msi = text
        .split("\n---\n")
        .find(|d| d.contains("msiexec installs a0"))
        .expect("rule for the nested MSI");
    assert!(!msi.contains("- 'a0'") && !msi.contains(": 'a0'"), "{msi}");
    assert!(
        msi.contains("'{A1B2C3D4-0001-4000-8000-000000000001}'"),
        "{msi}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("container's id")),
        "{warnings:?}"
    );
}

// ---- escaping -------------------------------------------------------------

/// A YAML flow scalar as the exporter writes it (single-quoted, or
/// double-quoted with `\x`, `\u`, `\U`, `\"`, `\\`), decoded per YAML 1.1.
fn yaml_decode(s: &str) -> String {
    if let Some(inner) = s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        assert!(!inner.replace("''", "").contains('\''), "lone quote in {s}");
        return inner.replace("''", "'");
    }
    let inner = s
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or_else(|| panic!("unquoted scalar {s}"));
    let mut out = String::new();
    let mut it = inner.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            assert!(c != '"', "bare quote in {s}");
            out.push(c);
            continue;
        }
        let hex = |it: &mut std::str::Chars, n| {
            let h: String = it.take(n).collect();
            char::from_u32(u32::from_str_radix(&h, 16).unwrap()).unwrap()
        };
        match it.next() {
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('x') => out.push(hex(&mut it, 2)),
            Some('u') => out.push(hex(&mut it, 4)),
            Some('U') => out.push(hex(&mut it, 8)),
            e => panic!("escape {e:?} in {s}"),
        }
    }
    out
}

/// A Sigma string value read per the specification: `*` and `?` are
/// wildcards (returned as `None` entries), `\` escapes `*`, `?` and `\`, a
/// `\` before anything else is itself.
fn sigma_decode(s: &str) -> Vec<Option<char>> {
    let mut out = Vec::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    out.push(Some(n));
                    it.next();
                }
                _ => out.push(Some('\\')),
            },
            '*' | '?' => out.push(None),
            c => out.push(Some(c)),
        }
    }
    out
}

fn literal(s: &str) -> Vec<Option<char>> {
    s.chars().map(Some).collect()
}

/// Names no Windows file system allows (`"`, `*`, `?`, `:`), which a scan of
/// a Linux directory or an archive can still give, and YAML's indicators at
/// the start of a scalar. (A `\` in an input name is a path separator to
/// the scanner; `Image|endswith` values start with one, decoded below, and
/// `sigma_value`'s unit tests cover the rest.)
const HOSTILE: &[&str] = &[
    "we'ird \"q\" # x: y.exe",
    "*star&amp?.exe",
    "&anchor.exe",
    "- dash: #.exe",
    "? query.exe",
    "Ünïcødé セットアップ.exe",
    "ctl\u{1}\u{7f}\u{2028}.exe",
    "{A1B2}.msi",
];

#[test]
fn hostile_names_round_trip_through_yaml_and_sigma_escaping() {
    let nsis = read("nsis/zlib.exe");
    let msi = read("msi/simple.msi");
    for name in HOSTILE {
        let data = if name.ends_with(".msi") { &msi } else { &nsis };
        let (text, _) = export_named(ExportFormat::Sigma, &[((*name).to_owned(), data.clone())]);
        // Every value the rule holds decodes to what was meant.
        let title = sigma_line(&text, "title");
        assert_eq!(title.len(), 1, "{text}");
        assert!(yaml_decode(title[0]).contains(name), "{name}: {}", title[0]);
        let refs: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("    - "))
            .collect();
        assert!(
            refs.iter().any(|r| yaml_decode(r).contains(name)),
            "{name}: references {refs:?}"
        );
        if name.ends_with(".msi") {
            let pkg = text
                .lines()
                .skip_while(|l| l.trim() != "CommandLine|contains:")
                .nth(1)
                .and_then(|l| l.trim().strip_prefix("- "))
                .unwrap_or_else(|| panic!("{text}"));
            assert_eq!(sigma_decode(&yaml_decode(pkg)), literal(name), "{pkg}");
        } else {
            let img = sigma_line(&text, "Image|endswith");
            assert_eq!(img.len(), 1, "{text}");
            assert_eq!(
                sigma_decode(&yaml_decode(img[0])),
                literal(&format!("\\{name}")),
                "{name}: {}",
                img[0]
            );
        }
        // No raw control character reaches the YAML text.
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{name}: control character in\n{text}"
        );
    }
}

#[test]
fn sigma_wildcards_are_escaped_and_backslashes_kept() {
    // `*`, `?` and `\` before them (or at the end) are escaped; a `\` before
    // anything else is a literal backslash and stays single.
    let (text, _) = export_named(
        ExportFormat::Sigma,
        &[("a*b?c.exe".to_owned(), read("nsis/zlib.exe"))],
    );
    assert_eq!(sigma_line(&text, "Image|endswith"), ["'\\a\\*b\\?c.exe'"]);
}

// ---- XQL ------------------------------------------------------------------

/// XQL tokens, as the XQL reference describes them.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Enum(String),
    Str(String),
    Num,
    Op(String),
    LParen,
    RParen,
    Comma,
    Pipe,
}

/// Tokenize one query. String literals are `"…"` with no escapes (a `\` is
/// itself; a `"` ends the literal), on one line.
fn xql_tokens(q: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let b: Vec<char> = q.chars().collect();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            c if c.is_whitespace() => i += 1,
            '"' => {
                let end = b[i + 1..]
                    .iter()
                    .position(|&c| c == '"')
                    .ok_or("unterminated string")?;
                let s: String = b[i + 1..i + 1 + end].iter().collect();
                if s.contains('\n') {
                    return Err(format!("newline in string {s:?}"));
                }
                // The character after a literal must end a token.
                if let Some(&n) = b.get(i + end + 2) {
                    if n.is_alphanumeric() || n == '"' || n == '_' {
                        return Err(format!("`{n}` right after string {s:?}"));
                    }
                }
                out.push(Tok::Str(s));
                i += end + 2;
            }
            '(' => {
                out.push(Tok::LParen);
                i += 1;
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1;
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            '|' => {
                out.push(Tok::Pipe);
                i += 1;
            }
            '=' | '!' | '~' | '<' | '>' => {
                let two: String = b[i..(i + 2).min(b.len())].iter().collect();
                let op = if ["!=", "~=", "<=", ">="].contains(&two.as_str()) {
                    two
                } else if c == '=' || c == '<' || c == '>' {
                    c.to_string()
                } else {
                    return Err(format!("stray `{c}`"));
                };
                i += op.len();
                out.push(Tok::Op(op));
            }
            c if c.is_ascii_digit() => {
                while b.get(i).is_some_and(|c| c.is_ascii_digit()) {
                    i += 1;
                }
                out.push(Tok::Num);
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while b
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
                {
                    i += 1;
                }
                let w: String = b[start..i].iter().collect();
                match w.strip_prefix("ENUM.") {
                    Some(e)
                        if !e.is_empty()
                            && e.chars().all(|c| c.is_ascii_uppercase() || c == '_') =>
                    {
                        out.push(Tok::Enum(e.to_owned()))
                    }
                    _ if w.contains('.') => return Err(format!("bad word {w}")),
                    _ => out.push(Tok::Ident(w)),
                }
            }
            c => return Err(format!("unexpected `{c}`")),
        }
    }
    Ok(out)
}

/// Fields of `xdr_data` the rules may use (names checked against public
/// XQL queries and the schema reference, see crates/export/src/xql.rs).
const FIELDS: &[&str] = &[
    "event_type",
    "event_sub_type",
    "action_process_image_sha256",
    "action_process_image_md5",
    "action_process_image_name",
    "action_process_image_command_line",
    "action_process_signature_status",
    "action_process_signature_vendor",
    "action_process_file_info",
];
const FUNCTIONS: &[&str] = &["lowercase", "json_extract_scalar"];
const STAGES: &[&str] = &[
    "filter", "alter", "fields", "dedup", "sort", "limit", "comp", "config", "join", "union",
];

/// A recursive-descent parser for the filter expressions the exporter
/// writes: `or`/`and`/`not`, parentheses, comparisons (`=`, `!=`, `~=`,
/// `contains`, `in (…)`), function calls. Every `~=` right-hand side is
/// collected for compilation.
struct Parser<'a> {
    t: &'a [Tok],
    i: usize,
    regexes: Vec<String>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.t.get(self.i).cloned();
        self.i += 1;
        t
    }
    fn word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(x)) if x == w)
    }
    fn expect(&mut self, t: Tok) -> Result<(), String> {
        match self.next() {
            Some(x) if x == t => Ok(()),
            x => Err(format!("expected {t:?}, got {x:?} at token {}", self.i)),
        }
    }
    fn expr(&mut self) -> Result<(), String> {
        self.and()?;
        while self.word("or") {
            self.i += 1;
            self.and()?;
        }
        Ok(())
    }
    fn and(&mut self) -> Result<(), String> {
        self.factor()?;
        while self.word("and") {
            self.i += 1;
            self.factor()?;
        }
        Ok(())
    }
    fn factor(&mut self) -> Result<(), String> {
        if self.word("not") {
            self.i += 1;
            return self.factor();
        }
        if self.peek() == Some(&Tok::LParen) {
            self.i += 1;
            self.expr()?;
            return self.expect(Tok::RParen);
        }
        self.operand()?;
        match self.next() {
            Some(Tok::Op(op)) => {
                let rhs = self.peek().cloned();
                self.operand()?;
                if op == "~=" {
                    match rhs {
                        Some(Tok::Str(r)) => self.regexes.push(r),
                        x => return Err(format!("~= needs a string literal, got {x:?}")),
                    }
                }
                Ok(())
            }
            Some(Tok::Ident(w)) if w == "contains" => self.operand(),
            Some(Tok::Ident(w)) if w == "in" => {
                self.expect(Tok::LParen)?;
                loop {
                    match self.next() {
                        Some(Tok::Str(_)) => {}
                        x => return Err(format!("in-list needs strings, got {x:?}")),
                    }
                    match self.next() {
                        Some(Tok::Comma) => {}
                        Some(Tok::RParen) => return Ok(()),
                        x => return Err(format!("in-list: {x:?}")),
                    }
                }
            }
            x => Err(format!(
                "expected an operator, got {x:?} at token {}",
                self.i
            )),
        }
    }
    fn operand(&mut self) -> Result<(), String> {
        match self.next() {
            Some(Tok::Str(_) | Tok::Enum(_) | Tok::Num) => Ok(()),
            Some(Tok::Ident(f)) if FUNCTIONS.contains(&f.as_str()) => {
                self.expect(Tok::LParen)?;
                self.operand()?;
                while self.peek() == Some(&Tok::Comma) {
                    self.i += 1;
                    self.operand()?;
                }
                self.expect(Tok::RParen)
            }
            Some(Tok::Ident(f)) if FIELDS.contains(&f.as_str()) => Ok(()),
            x => Err(format!("unknown operand {x:?} at token {}", self.i)),
        }
    }
}

/// Check one query: `dataset = xdr_data`, then `| stage …` with known stage
/// names, `filter` expressions parsed in full; returns the `~=` regexes.
fn xql_check(q: &str) -> Result<Vec<String>, String> {
    let t = xql_tokens(q)?;
    let head = [
        Tok::Ident("dataset".into()),
        Tok::Op("=".into()),
        Tok::Ident("xdr_data".into()),
    ];
    if t.get(..3) != Some(&head[..]) {
        return Err("does not start with `dataset = xdr_data`".into());
    }
    let mut p = Parser {
        t: &t,
        i: 3,
        regexes: Vec::new(),
    };
    let mut depth = 0i32;
    for tok in &t {
        depth += match tok {
            Tok::LParen => 1,
            Tok::RParen => -1,
            _ => 0,
        };
        if depth < 0 {
            return Err("`)` without `(`".into());
        }
    }
    if depth != 0 {
        return Err("unbalanced parentheses".into());
    }
    while p.i < t.len() {
        p.expect(Tok::Pipe)?;
        match p.next() {
            Some(Tok::Ident(s)) if s == "filter" => p.expr()?,
            Some(Tok::Ident(s)) if STAGES.contains(&s.as_str()) => {
                return Err(format!("stage {s} not expected in a behaviour rule"))
            }
            x => return Err(format!("unknown stage {x:?}")),
        }
    }
    Ok(p.regexes)
}

/// The queries of an XQL export: text between comment blocks.
fn queries(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for l in text.lines() {
        if l.starts_with("//") || l.trim().is_empty() {
            if !cur.trim().is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            cur.clear();
            continue;
        }
        cur.push_str(l);
        cur.push('\n');
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

#[test]
fn xql_checker_rejects_what_it_should() {
    let unknown = "dataset = xdr_data\n| filter a = \"x\"";
    assert!(xql_check(unknown).is_err(), "unknown field accepted");
    let good = "dataset = xdr_data\n| filter event_type = ENUM.PROCESS and (lowercase(action_process_image_name) in (\"a\", \"b\\\"))";
    assert_eq!(xql_check(good), Ok(vec![]));
    for bad in [
        "dataset = xdr_data | filter event_type = \"a\"b\"",
        "dataset = xdr_data | filter (event_type = ENUM.PROCESS",
        "dataset = xdr_data | filter event_type = ENUM.PROCESS)",
        "dataset = xdr_data | filtre event_type = ENUM.PROCESS",
        "dataset = xdr_data | filter event_type = ENUM.PROCESS and",
        "dataset = xdr_data | filter event_type ENUM.PROCESS",
        "dataset = xdr_data | filter event_type = \"unterminated",
    ] {
        assert!(xql_check(bad).is_err(), "accepted: {bad}");
    }
}

#[test]
fn every_corpus_query_parses_and_its_regexes_compile() {
    let mut rels = Vec::new();
    for dir in [
        "nsis",
        "inno",
        "msi",
        "burn",
        "installshield",
        "omaha",
        "real",
        "squirrel",
    ] {
        for e in std::fs::read_dir(corpus().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                rels.push(format!(
                    "{dir}/{}",
                    p.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    rels.sort();
    let refs: Vec<&str> = rels.iter().map(String::as_str).collect();
    let (text, _) = export(ExportFormat::CortexXql, &refs);
    let qs = queries(&text);
    assert!(qs.len() >= 30, "only {} queries", qs.len());
    let mut n_re = 0;
    for q in &qs {
        let regexes = xql_check(q).unwrap_or_else(|e| panic!("{e}\n{q}"));
        for r in regexes {
            regex_lite::Regex::new(&r).unwrap_or_else(|e| panic!("{r}: {e}"));
            n_re += 1;
        }
    }
    assert!(n_re >= qs.len(), "{n_re} regexes in {} queries", qs.len());
}

/// The one `~=` regex on the command line of an image rule.
fn switch_regex(rel: &str) -> regex_lite::Regex {
    let (text, _) = export(ExportFormat::CortexXql, &[rel]);
    let q = queries(&text).into_iter().next().expect("a query");
    let r = xql_check(&q)
        .unwrap()
        .into_iter()
        .next()
        .expect("a switch regex");
    regex_lite::Regex::new(&r).unwrap()
}

#[test]
fn switch_regexes_match_the_documented_switch_as_a_word() {
    let nsis = switch_regex("nsis/zlib.exe");
    for (line, want) in [
        ("\"C:\\t\\zlib.exe\" /S", true),
        ("zlib.exe /S /D=C:\\Program Files\\x", true),
        ("zlib.exe /s", false),  // NSIS compares case-sensitively
        ("zlib.exe /SD", false), // another word
        ("zlib.exe", false),
        ("C:\\S\\/S\\zlib.exe", false), // inside a path, not after white space
    ] {
        assert_eq!(nsis.is_match(line), want, "nsis: {line}");
    }
    let inno = switch_regex("inno/inno60_bzip2.exe");
    for (line, want) in [
        ("setup.exe /VERYSILENT /NORESTART", true),
        ("setup.exe /silent", true),
        ("setup.exe /LOADINF=\"c:\\a.inf\"", true),
        ("setup.exe /SILENTX", false),
        ("setup.exe -VERYSILENT", false), // Inno takes / only
        ("setup.exe", false),
    ] {
        assert_eq!(inno.is_match(line), want, "inno: {line}");
    }
    let burn = switch_regex("burn/burn_constructed.exe");
    for (line, want) in [
        ("b.exe -quiet", true),
        ("b.exe /PASSIVE -norestart", true),
        ("b.exe /q", true),
        ("b.exe /quietly", false),
        ("b.exe /layout c:\\x", false),
    ] {
        assert_eq!(burn.is_match(line), want, "burn: {line}");
    }
}

#[test]
fn xql_literals_never_carry_a_quote_and_keep_backslashes() {
    let nsis = read("nsis/zlib.exe");
    let msi = read("msi/simple.msi");
    for name in HOSTILE {
        let data = if name.ends_with(".msi") { &msi } else { &nsis };
        let (text, warnings) = export_named(
            ExportFormat::CortexXql,
            &[((*name).to_owned(), data.clone())],
        );
        for q in queries(&text) {
            let t = xql_tokens(&q).unwrap_or_else(|e| panic!("{name}: {e}\n{q}"));
            xql_check(&q).unwrap_or_else(|e| panic!("{name}: {e}\n{q}"));
            for tok in t {
                if let Tok::Str(s) = tok {
                    assert!(!s.contains(['\n', '\r']), "{name}: {s:?}");
                }
            }
        }
        let lower = name.to_lowercase();
        if name.contains(['"', '*']) {
            // Not writable in an XQL literal ("…" processes no escapes and
            // `*` is a wildcard): left out, with a warning saying so.
            assert!(!text.contains(&format!("\"{lower}\"")), "{name}\n{text}");
            assert!(
                warnings.iter().any(|w| w.contains("left out of the rule")),
                "{name}: {warnings:?}"
            );
        } else if name.ends_with(".exe") && !name.contains(['\u{1}', '\u{7f}', '\u{2028}']) {
            // Written as is: a `\` is itself in a "…" literal.
            assert!(
                text.contains(&format!(
                    "lowercase(action_process_image_name) = \"{lower}\""
                )),
                "{name}\n{text}"
            );
        }
        // Comment lines stay comment lines.
        for l in text.lines() {
            assert!(
                l.is_empty()
                    || l.starts_with("//")
                    || l.starts_with("dataset")
                    || l.starts_with('|')
                    || l.starts_with("    "),
                "{name}: stray line {l:?}"
            );
        }
    }
}

// ---- options and command line -------------------------------------------

#[test]
fn allow_lists_and_imphash_are_refused_with_the_reason() {
    use installsift_export::{Action, HashKind};
    for format in [ExportFormat::Sigma, ExportFormat::CortexXql] {
        let allow = ExportOptions {
            action: Action::Allow,
            ..options()
        };
        let e = allow.validate(format).unwrap_err();
        assert!(e.contains("cannot allow-list"), "{format}: {e}");
        let imphash = ExportOptions {
            hashes: vec![HashKind::Sha256, HashKind::Imphash],
            ..options()
        };
        let e = imphash.validate(format).unwrap_err();
        assert!(e.contains("engine stub"), "{format}: {e}");
    }
}

#[test]
fn cli_writes_both_formats_top_level_by_default() {
    let run = |to: &str, extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_installsift"))
            .args(["export", "--to", to, "--timestamp", "2024-06-01T00:00:00Z"])
            .args(extra)
            .arg(corpus().join("burn/burn_constructed.exe"))
            .output()
            .expect("run installsift");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    // Top level: the bundle only; --depth all adds its nested MSI.
    let top = run("sigma", &[]);
    assert_eq!(top.matches("\ntitle: ").count(), 1, "{top}");
    let all = run("sigma", &["--depth", "all"]);
    assert!(all.contains("msiexec installs a0"), "{all}");
    assert!(all.contains("\n---\n"), "{all}");
    let xql = run("cortex-xql", &[]);
    assert_eq!(xql.matches("\ndataset = xdr_data\n").count(), 1, "{xql}");
    assert!(xql.contains("action_process_image_sha256 = \""), "{xql}");
}

#[test]
fn level_follows_severity_and_date_follows_source_date_epoch() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_installsift"))
        .args(["export", "--to", "sigma", "--severity", "low"])
        .arg(corpus().join("nsis/zlib.exe"))
        .env("SOURCE_DATE_EPOCH", "1717200000")
        .output()
        .expect("run installsift");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("\ndate: 2024-06-01\n"), "{text}");
    assert!(text.contains("\nlevel: low\n"), "{text}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_installsift"))
        .args(["export", "--to", "cortex-xql", "--severity", "medium"])
        .arg(corpus().join("nsis/zlib.exe"))
        .env("SOURCE_DATE_EPOCH", "1717200000")
        .output()
        .expect("run installsift");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("\n// severity: medium\n"), "{text}");
    assert!(text.contains("2024-06-01T00:00:00Z"), "{text}");
}
