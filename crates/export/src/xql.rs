//! Cortex XDR BIOC rules as XQL queries (the language Cortex XDR saves a
//! BIOC from): one query per installer node, each under `//` comment lines
//! naming it. Paste a query into XQL Search, test it, then save it as a
//! BIOC rule (and, to block, add the BIOC to a Restrictions profile).
//!
//! ```text
//! dataset = xdr_data
//! | filter event_type = ENUM.PROCESS and event_sub_type = ENUM.PROCESS_START and (
//!     action_process_image_sha256 = "…"
//!     or (<traits> and action_process_image_command_line ~= "(?is).*\s(?:/verysilent|…)(?:\s.*)?$"))
//! ```
//!
//! Fields, from the XQL schema reference (`xdr_data`, action actor):
//! `action_process_image_sha256` and `_md5` (no SHA-1, no imphash),
//! `action_process_image_name`, `action_process_image_command_line`,
//! `action_process_signature_status` (`ENUM.SIGNED`) and
//! `action_process_signature_vendor`, and `action_process_file_info` (the
//! version information as JSON; its `original_name` key comes from public
//! queries, not the reference).
//!
//! String literals are plain double-quoted: XQL processes no escapes in
//! them, so a value holding `"` cannot be written (the condition is left
//! out with a warning) and regular expressions are written as they are.
//! Comparisons use `lowercase(…)` where the engine compares without case.
//! A switch regex matches the same lines whether `~=` searches or matches
//! the whole line. None of this has been run against a Cortex XDR tenant;
//! `scripts/check_bioc.sh` checks the syntax and evaluates the conditions
//! on made-up events.

use super::bioc::{self, Rule, Switches, Target};
use super::{ExportFormat, ExportOptions, FormatWriter, HashKind, Item, Severity, Sink, Warnings};
use std::fmt::Write as _;
use std::io::{self, Write};

#[derive(Default)]
pub(crate) struct Xql;

impl FormatWriter for Xql {
    fn begin(&mut self, out: &mut Sink, opts: &ExportOptions) -> io::Result<()> {
        writeln!(
            out,
            "// installsift behaviour rules for Cortex XDR (BIOC as XQL), {}\n\
             // One query per rule: run it in XQL Search, then save it as a BIOC rule.\n\
             // Not run against a Cortex XDR tenant: field names are from the XQL schema reference.",
            opts.timestamp.rfc3339()
        )
    }

    fn item(
        &mut self,
        out: &mut Sink,
        it: &Item<'_>,
        opts: &ExportOptions,
        warn: &mut Warnings,
    ) -> io::Result<bool> {
        let Some(rule) = bioc::rule_for(it, warn) else {
            return Ok(false);
        };
        bioc::warn_if_hash_only(&rule, it, warn);
        let mut dropped = Vec::new();
        let Some(text) = render(&rule, opts, &mut dropped) else {
            warn.node(
                it,
                "skipped: nothing on the package's command line can be written in XQL (its \
                 file name and ProductCode hold `\"`)",
            );
            return Ok(false);
        };
        for d in dropped {
            warn.node(
                it,
                format!(
                    "{d} holds `\"`, `*` or a control character, which an XQL \"…\" literal \
                     cannot carry (it processes no escapes; `*` is a wildcard): left out of the \
                     rule"
                ),
            );
        }
        out.write_all(text.as_bytes())?;
        Ok(true)
    }
}

/// The BIOC severity names.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Info => "informational",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High | Severity::Critical => "high",
    }
}

/// An XQL string literal, or `None` when the value holds `"` (XQL string
/// literals process no escapes).
pub(crate) fn xql_str(s: &str) -> Option<String> {
    (!s.chars().any(|c| c == '"' || c.is_control())).then(|| format!("\"{s}\""))
}

/// A literal for `in (…)` and `contains`, where `*` is a wildcard:
/// refused like `"`.
fn xql_plain(s: &str) -> Option<String> {
    if s.contains('*') {
        None
    } else {
        xql_str(s)
    }
}

/// Regular-expression metacharacters escaped (RE2 takes `\` before any
/// punctuation as that character).
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The switch regex: one of the family's switches as a whole word after
/// white space (or, for `…=` switches, as a prefix). Anchored so that a
/// search and a whole-line match accept the same lines.
pub(crate) fn switch_regex(s: &Switches) -> String {
    let mut words = Vec::new();
    let mut prefixes = Vec::new();
    for w in s.list {
        let text = if w.dash {
            format!("[-/]{}", regex_escape(w.text.get(1..).unwrap_or_default()))
        } else {
            regex_escape(w.text)
        };
        let text = if s.case_sensitive {
            text
        } else {
            text.to_lowercase()
        };
        if w.prefix {
            prefixes.push(format!("{text}.*"));
        } else {
            words.push(text);
        }
    }
    let mut alts = Vec::new();
    if !words.is_empty() {
        alts.push(format!("(?:{})(?:\\s.*)?", words.join("|")));
    }
    alts.extend(prefixes);
    let flags = if s.case_sensitive { "(?s)" } else { "(?is)" };
    format!("{flags}.*\\s(?:{})$", alts.join("|"))
}

/// `lowercase(field) = "v"` or `… in ("a", "b")` for values written in
/// lowercase.
fn lower_in(field: &str, values: &[String]) -> Option<String> {
    let lits: Option<Vec<String>> = values
        .iter()
        .map(|v| xql_plain(&v.to_lowercase()))
        .collect();
    let lits = lits?;
    Some(match lits.as_slice() {
        [one] => format!("lowercase({field}) = {one}"),
        many => format!("lowercase({field}) in ({})", many.join(", ")),
    })
}

const ORIGINAL_NAME: &str = "json_extract_scalar(action_process_file_info, \"$.original_name\")";
const COMMAND_LINE: &str = "action_process_image_command_line";

/// One rule as commented XQL; `None` when no condition can be written.
/// Values left out (holding `"`) are named in `dropped`.
pub(crate) fn render(
    rule: &Rule,
    opts: &ExportOptions,
    dropped: &mut Vec<String>,
) -> Option<String> {
    let (condition, notes) = match &rule.target {
        Target::Image(f) => image_condition(rule, f, opts, dropped),
        Target::Msiexec(m) => msiexec_condition(m, dropped)?,
    };
    let mut q = String::new();
    let _ = writeln!(q, "\n// ---- {}", comment(&rule.title()));
    let _ = writeln!(q, "// id: {}", super::sigma::rule_id("xql", rule));
    let _ = writeln!(q, "// severity: {}", severity(opts.severity));
    for f in rule.facts() {
        let _ = writeln!(q, "// fact: {}", comment(&f));
    }
    for n in notes {
        let _ = writeln!(q, "// {}", comment(&n));
    }
    let _ = writeln!(q, "// reference: {}", comment(&rule.reference()));
    let _ = writeln!(q, "dataset = xdr_data");
    let _ = writeln!(
        q,
        "| filter event_type = ENUM.PROCESS and event_sub_type = ENUM.PROCESS_START and ({condition})"
    );
    Some(q)
}

/// Comment text on one line (control characters, which a file name or a
/// version string may hold, become spaces).
fn comment(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

fn image_condition(
    rule: &Rule,
    f: &bioc::ImageFacts,
    opts: &ExportOptions,
    dropped: &mut Vec<String>,
) -> (String, Vec<String>) {
    let mut hash = vec![format!("action_process_image_sha256 = \"{}\"", rule.sha256)];
    if opts
        .hash_kinds(ExportFormat::CortexXql)
        .contains(&HashKind::Md5)
    {
        if let Some(m) = &rule.md5 {
            hash.push(format!("action_process_image_md5 = \"{m}\""));
        }
    }
    let mut notes = vec![format!(
        "matches: this exact file by {} under any name and arguments",
        if hash.len() > 1 {
            "SHA-256 or MD5"
        } else {
            "SHA-256"
        }
    )];
    let mut branches = vec![hash.join("\n    or ")];
    let mut by_name = false;
    let mut by_original = false;
    if let Some(s) = f.switches {
        let mut who = Vec::new();
        let mut words = Vec::new();
        if let Some(n) = &f.image_name {
            match lower_in("action_process_image_name", std::slice::from_ref(n)) {
                Some(t) => {
                    who.push(t);
                    words.push(format!("named '{n}'"));
                    by_name = true;
                }
                None => dropped.push("the file name".to_owned()),
            }
        }
        if !f.original_names.is_empty() {
            match lower_in(ORIGINAL_NAME, &f.original_names) {
                Some(t) => {
                    who.push(t);
                    by_original = true;
                    if let Some(n) = f.original_names.first() {
                        words.push(format!("with version-info OriginalFilename '{n}'"));
                    }
                }
                None => dropped.push("the version-info OriginalFilename".to_owned()),
            }
        }
        let mut signer = None;
        if let Some(sg) = &f.signer {
            match xql_plain(&sg.cn.to_lowercase()) {
                Some(v) => {
                    signer = Some(format!(
                        "action_process_signature_status = ENUM.SIGNED\n        and \
                         lowercase(action_process_signature_vendor) = {v}"
                    ));
                }
                None => dropped.push("the signer name".to_owned()),
            }
        }
        let sw = format!("{COMMAND_LINE} ~= {}", quote_regex(&switch_regex(s)));
        if !who.is_empty() {
            let ident = match who.as_slice() {
                [one] => one.clone(),
                many => format!("({})", many.join("\n        or ")),
            };
            let mut parts = vec![ident];
            parts.extend(signer.clone());
            parts.push(sw.clone());
            branches.push(format!("({})", parts.join("\n        and ")));
            notes.push(format!(
                "matches: a program {}{} started with {} ({})",
                words.join(" or "),
                f.signer
                    .as_ref()
                    .filter(|_| signer.is_some())
                    .map(|s| format!(", validly signed by '{}',", s.cn))
                    .unwrap_or_default(),
                bioc::switch_words(s),
                s.source
            ));
        }
        if let Some(g) = &f.omaha_appguid {
            match xql_plain(&format!("appguid={}", g.to_lowercase())) {
                Some(v) => {
                    branches.push(format!(
                        "(lowercase({COMMAND_LINE}) contains {v}\n        and {sw})"
                    ));
                    notes.push(format!(
                        "matches: any process (the metainstaller, the GoogleUpdate.exe it \
                         unpacks) with /install and appguid={g} on its command line"
                    ));
                }
                None => dropped.push("the Omaha appguid".to_owned()),
            }
        }
    }
    notes.push(format!(
        "misses: copies with another hash (rebuilt, re-signed, repacked) {}; what the installer \
         extracts and starts (nested installers and packages have their own rules with --depth \
         all)",
        match (branches.len() > 1, by_original, by_name) {
            (false, _, _) => "in any case",
            (true, true, _) => {
                "run interactively, with the switch written otherwise \
                 (quoted), or renamed without the same OriginalFilename"
            }
            (true, false, _) => {
                "run interactively, with the switch written otherwise \
                 (quoted), or renamed"
            }
        }
    ));
    if f.imphash.is_some() {
        notes.push(
            "not used: the imphash (an installer's is its engine stub's; xdr_data has none)"
                .to_owned(),
        );
    }
    if f.signer.is_some() {
        notes.push(
            "signer: action_process_signature_vendor is compared with the certificate's subject \
             CN (which subject field Cortex reports is not verified); ENUM.SIGNED needs a chain \
             the endpoint trusts"
                .to_owned(),
        );
    }
    let condition = branches.join("\n    or ");
    (format!("\n    {condition}"), notes)
}

/// A regular expression as an XQL literal (it never holds `"`: the switch
/// table has none).
fn quote_regex(r: &str) -> String {
    format!("\"{r}\"")
}

fn msiexec_condition(
    m: &bioc::MsiFacts,
    dropped: &mut Vec<String>,
) -> Option<(String, Vec<String>)> {
    let mut package = Vec::new();
    if let Some(n) = &m.package_name {
        match xql_plain(&n.to_lowercase()) {
            Some(v) => package.push(format!("lowercase({COMMAND_LINE}) contains {v}")),
            None => dropped.push("the package file name".to_owned()),
        }
    }
    let pc = match m
        .product_code
        .as_deref()
        .map(|pc| xql_plain(&pc.to_lowercase()))
    {
        Some(Some(v)) => Some(format!("lowercase({COMMAND_LINE}) contains {v}")),
        Some(None) => {
            dropped.push("the ProductCode".to_owned());
            None
        }
        None => None,
    };
    package.extend(pc.clone());
    if package.is_empty() {
        return None;
    }
    let (verbs, words) = if m.patch {
        ("p|update", "/p or /update")
    } else {
        ("i|package", "/i or /package")
    };
    let install = format!(
        "{COMMAND_LINE} ~= \"(?is).*\\s[-/](?:{verbs}).*\"\n        and ({})",
        package.join("\n            or ")
    );
    let uninstall = pc.filter(|_| !m.patch).map(|pc| {
        format!("{COMMAND_LINE} ~= \"(?is).*\\s[-/](?:x|uninstall).*\"\n        and {pc}")
    });
    let action = match &uninstall {
        Some(u) => format!("(({install})\n        or ({u}))"),
        None => format!("({install})"),
    };
    let condition = format!(
        "\n    (lowercase(action_process_image_name) = \"msiexec.exe\"\n        or \
         lowercase({ORIGINAL_NAME}) = \"msiexec.exe\")\n    and {action}"
    );
    let mut notes = vec![format!(
        "matches: msiexec.exe (image name or OriginalFilename, so a renamed copy too) with \
         {words} (- for / too) and {} on its command line{}; the package's \
         own hash is not testable (the image is msiexec.exe)",
        super::sigma::names(m),
        if uninstall.is_some() {
            "; also its removal, /x or /uninstall with the ProductCode"
        } else {
            ""
        }
    )];
    notes.push(
        "misses: the package installed through the Windows Installer API or COM (Burn, \
         InstallShield, SCCM, a script using WindowsInstaller.Installer: only the service, \
         msiexec.exe /V, starts, with no package on its command line); the package renamed \
         and started by path; /a, /j and /f"
            .to_owned(),
    );
    Some((condition, notes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use installsift::Family;

    #[test]
    fn strings_with_quotes_or_wildcards_are_refused() {
        assert_eq!(xql_str("a.msi").as_deref(), Some("\"a.msi\""));
        assert_eq!(xql_str("a\"b"), None);
        assert_eq!(xql_plain("a*b"), None);
        assert_eq!(
            lower_in("f", &["Setup.exe".into(), "Setup.exe  ".into()]).as_deref(),
            Some("lowercase(f) in (\"setup.exe\", \"setup.exe  \")")
        );
    }

    #[test]
    fn switch_regexes_per_family() {
        let r = |f| switch_regex(bioc::switches(f).unwrap());
        assert_eq!(r(Family::Nsis), "(?s).*\\s(?:(?:/S)(?:\\s.*)?)$");
        assert_eq!(
            r(Family::Inno),
            "(?is).*\\s(?:(?:/silent|/verysilent)(?:\\s.*)?|/loadinf=.*)$"
        );
        assert_eq!(
            r(Family::WixBurn),
            "(?is).*\\s(?:(?:[-/]q|[-/]quiet|[-/]s|[-/]silent|[-/]passive)(?:\\s.*)?)$"
        );
        assert_eq!(regex_escape("a.b(c)"), "a\\.b\\(c\\)");
    }
}
