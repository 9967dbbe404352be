//! The decompressed NSIS header: block table, strings, language tables and
//! the entries (the compiled script), walked to recover every stored file's
//! install path as 7-Zip names it, and the installer facts.
//!
//! Layout and naming follow 7-Zip's `NsisIn.cpp` (read for facts): the file
//! path is the current `SetOutPath` prefix + the `File` name, with a leading
//! `$INSTDIR\` removed; NSIS 2 ANSI and NSIS 3 ANSI/Unicode string codes;
//! 32- and 64-bit block headers. Jim Park's Unicode fork and "log" builds
//! (shifted opcodes) are not detected.

use super::super::{le_u16, le_u32};
use installsift_model::error::Error;
use installsift_model::limits::Limit;
use serde::Serialize;
use std::cell::Cell;
use std::collections::HashSet;

const CMD_SIZE: usize = 28;

// Opcodes of NSIS 2.26+ / 3.x (non-log builds).
const EW_SETFILEATTRIBUTES: u32 = 10;
const EW_CREATEDIR: u32 = 11;
const EW_EXTRACTFILE: u32 = 20;
const EW_ASSIGNVAR: u32 = 25;
const EW_SHELLEXEC: u32 = 40;
const EW_EXECUTE: u32 = 41;
const EW_REGISTERDLL: u32 = 44;
const EW_WRITEREG: u32 = 51;
const EW_FCLOSE: u32 = 54;
const EW_FOPEN: u32 = 55;
const EW_WRITEUNINSTALLER: u32 = 62;

const VAR_INSTDIR: u32 = 21;
const VAR_OUTDIR: u32 = 22;
const VAR_EXEDIR: u32 = 23;
const VAR_TEMP: u32 = 25;
const VAR_PLUGINSDIR: u32 = 26;
const VAR_SPEC_OUTDIR: u32 = 31;
const NUM_INTERNAL_VARS: u32 = 32;

const VAR_NAMES: [&str; 12] = [
    "CMDLINE",
    "INSTDIR",
    "OUTDIR",
    "EXEDIR",
    "LANGUAGE",
    "TEMP",
    "PLUGINSDIR",
    "EXEPATH",
    "EXEFILE",
    "HWNDPARENT",
    "_CLICK",
    "_OUTDIR",
];

/// CSIDL names as NSIS (and 7-Zip) print them; `None` where NSIS has none.
const SHELL_NAMES: [Option<&str>; 62] = [
    Some("DESKTOP"),
    Some("INTERNET"),
    Some("SMPROGRAMS"),
    Some("CONTROLS"),
    Some("PRINTERS"),
    Some("DOCUMENTS"),
    Some("FAVORITES"),
    Some("SMSTARTUP"),
    Some("RECENT"),
    Some("SENDTO"),
    Some("BITBUCKET"),
    Some("STARTMENU"),
    None,
    Some("MUSIC"),
    Some("VIDEOS"),
    None,
    Some("DESKTOP"),
    Some("DRIVES"),
    Some("NETWORK"),
    Some("NETHOOD"),
    Some("FONTS"),
    Some("TEMPLATES"),
    Some("STARTMENU"),
    Some("SMPROGRAMS"),
    Some("SMSTARTUP"),
    Some("DESKTOP"),
    Some("APPDATA"),
    Some("PRINTHOOD"),
    Some("LOCALAPPDATA"),
    Some("ALTSTARTUP"),
    Some("ALTSTARTUP"),
    Some("FAVORITES"),
    Some("INTERNET_CACHE"),
    Some("COOKIES"),
    Some("HISTORY"),
    Some("APPDATA"),
    Some("WINDIR"),
    Some("SYSDIR"),
    Some("PROGRAM_FILES"),
    Some("PICTURES"),
    Some("PROFILE"),
    Some("SYSTEMX86"),
    Some("PROGRAM_FILESX86"),
    Some("PROGRAM_FILES_COMMON"),
    Some("PROGRAM_FILES_COMMONX8"),
    Some("TEMPLATES"),
    Some("DOCUMENTS"),
    Some("ADMINTOOLS"),
    Some("ADMINTOOLS"),
    Some("CONNECTIONS"),
    None,
    None,
    None,
    Some("MUSIC"),
    Some("PICTURES"),
    Some("VIDEOS"),
    Some("RESOURCES"),
    Some("RESOURCES_LOCALIZED"),
    Some("COMMON_OEM_LINKS"),
    Some("CDBURN_AREA"),
    None,
    Some("COMPUTERSNEARME"),
];

/// One stored file (or empty file, or uninstaller) found in the entries.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    /// Path as 7-Zip reports it, `\` separators.
    pub name: String,
    /// Offset of the data block (after the header in solid archives, after
    /// the compressed header in non-solid ones).
    pub pos: u32,
    /// Created by `FileOpen`/`FileClose`: no data block.
    pub empty: bool,
    /// Written by `WriteUninstaller` (needs the exe stub to rebuild).
    pub uninstaller: bool,
    /// Size of the stub patch block preceding an uninstaller's data block.
    pub patch_size: u32,
    /// The file's time as `File` stored it (EW_EXTRACTFILE's FILETIME,
    /// UTC; none with `SetDateSave off`).
    pub mtime: Option<installsift_model::Timestamp>,
}

/// A command line the installer runs.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NsisExec {
    /// `Exec`, `ExecWait` or `ExecShell`.
    pub kind: &'static str,
    /// The command (variables shown as `$INSTDIR`, …).
    pub command: String,
}

/// A registry value written under an `…\Uninstall\…` key.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NsisRegValue {
    /// Root key (`HKLM`, `HKCU`, `SHCTX`, …).
    pub root: String,
    /// Key path.
    pub key: String,
    /// Value name.
    pub name: String,
    /// Value data as a string (`<binary>` for binary values).
    pub data: String,
}

/// Facts read from the header and entries.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ScriptFacts {
    /// `NSIS-2` or `NSIS-3` (string-code layout).
    pub generation: String,
    /// Strings are UTF-16 (Unicode NSIS).
    pub unicode: bool,
    /// 64-bit block headers (amd64 exehead).
    pub bits64: bool,
    /// `Name` (the `^Name` language string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `Caption` (the `^Caption` language string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// `BrandingText`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branding_text: Option<String>,
    /// `InstallDir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub install_dir: Option<String>,
    /// `InstallDirRegKey` as `ROOT\key\value`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub install_dir_reg_key: Option<String>,
    /// Number of pages, sections and entries (compiled instructions).
    pub pages: u32,
    /// Sections.
    pub sections: u32,
    /// Entries (instructions).
    pub entries: u32,
    /// Language tables.
    pub languages: u32,
    /// Paths the uninstaller is written to (`WriteUninstaller`), as 7-Zip
    /// names the entry it rebuilds.
    pub uninstallers: Vec<String>,
    /// Plugin calls, `dll::function` (`CallInstDLL`/plugin syntax).
    pub plugin_calls: Vec<String>,
    /// `Exec`, `ExecWait`, `ExecShell` command lines (the first 1,024).
    pub exec: Vec<NsisExec>,
    /// Command lines past the first 1,024, counted, not kept.
    #[serde(skip_serializing_if = "is_zero")]
    pub exec_omitted: u64,
    /// Values written under `…\CurrentVersion\Uninstall\…`.
    pub uninstall_registry: Vec<NsisRegValue>,
}

/// The parsed header.
pub(crate) struct Script {
    pub items: Vec<Item>,
    pub facts: ScriptFacts,
    /// What could not be read whole (strings cut, the expansion budget
    /// spent), for the node's errors.
    pub errors: Vec<Error>,
}

/// Bytes one expanded string may take: NSIS's own strings hold at most
/// `NSIS_MAX_STRLEN` characters (1,024, or 8,192 in its large-strings
/// build), up to 4 bytes each in UTF-8. A longer one is cut and counted.
const MAX_STRING: usize = 32 * 1024;
/// Entries of `exec` kept (the rest counted in `exec_omitted`).
const MAX_FACTS: usize = 1024;

struct Strings<'a> {
    table: &'a [u8],
    unicode: bool,
    nsis3: bool,
    nchars: u32,
    /// String offsets of the main language table.
    lang: &'a [u8],
    /// Characters that may still be read or written ([`Limit::MaxScriptChars`]).
    budget: Cell<u64>,
    /// Strings cut at [`MAX_STRING`].
    cut: Cell<u64>,
}

impl Strings<'_> {
    fn char_at(&self, i: u32) -> Option<u32> {
        if i >= self.nchars {
            return None;
        }
        if self.unicode {
            le_u16(self.table, i as usize * 2).map(u32::from)
        } else {
            self.table.get(i as usize).map(|&b| u32::from(b))
        }
    }

    /// Variable index at the start of string `pos`, and the number of chars
    /// its code occupies.
    fn var_at(&self, pos: u32) -> Option<(u32, u32)> {
        let c = self.char_at(pos)?;
        if self.unicode {
            if c != 3 {
                return None;
            }
            let n = self.char_at(pos + 1).filter(|&n| n != 0)?;
            Some(((n & 0x7f) | (((n >> 8) & 0x7f) << 7), 2))
        } else {
            if c != if self.nsis3 { 3 } else { 253 } {
                return None;
            }
            let c0 = self.char_at(pos + 1).filter(|&n| n != 0)?;
            let c1 = self.char_at(pos + 2).filter(|&n| n != 0)?;
            Some(((c0 & 0x7f) | ((c1 & 0x7f) << 7), 3))
        }
    }

    /// The string at `pos` is exactly variable `var`.
    fn is_var(&self, pos: u32, var: u32) -> bool {
        matches!(self.var_at(pos), Some((v, k)) if v == var && self.char_at(pos + k) == Some(0))
    }

    fn good(&self, pos: u32) -> bool {
        pos < self.nchars && (pos == 0 || matches!(self.char_at(pos - 1), Some(0) | Some(0x5c)))
    }

    /// Decode string `pos` (negative: a language string). Language strings
    /// are resolved through the main language table while `depth > 0`,
    /// otherwise shown as `$(LSTR_n)` as 7-Zip names them.
    fn get(&self, pos: u32, depth: u8) -> String {
        let mut out = String::new();
        self.append(&mut out, pos, depth);
        cut_to_max(&mut out);
        if out.len() >= MAX_STRING {
            self.cut.set(self.cut.get() + 1);
        }
        self.charge(out.len());
        out
    }

    /// Take one step of the budget; `false` when it is spent.
    fn step(&self) -> bool {
        let b = self.budget.get();
        self.budget.set(b.saturating_sub(1));
        b > 0
    }

    /// Charge `n` characters written (a prefix copied into a name).
    fn charge(&self, n: usize) {
        self.budget.set(self.budget.get().saturating_sub(n as u64));
    }

    /// The budget is spent: what is read after this is not named.
    fn spent(&self) -> bool {
        self.budget.get() == 0
    }

    fn append(&self, out: &mut String, pos: u32, depth: u8) {
        if (pos as i32) < 0 {
            let id = (-((pos as i32) + 1)) as u32;
            self.lang_str(out, id, depth);
            return;
        }
        if pos >= self.nchars {
            out.push_str("$_ERROR_STR_");
            return;
        }
        let mut i = pos;
        let mut units: Vec<u16> = Vec::new();
        let mut bytes: Vec<u8> = Vec::new();
        let flush = |out: &mut String, units: &mut Vec<u16>, bytes: &mut Vec<u8>| {
            if !units.is_empty() {
                out.push_str(&String::from_utf16_lossy(units));
                units.clear();
            }
            if !bytes.is_empty() {
                let (s, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
                out.push_str(&s);
                bytes.clear();
            }
        };
        let (skip, var, shell, lang) = match (self.unicode, self.nsis3) {
            (true, _) | (false, true) => (4, 3, 2, 1),
            (false, false) => (252, 253, 254, 255),
        };
        let special = |c: u32| {
            if self.unicode || self.nsis3 {
                c <= 4
            } else {
                c >= 252
            }
        };
        while let Some(c) = self.char_at(i) {
            i += 1;
            if c == 0 || !self.step() || out.len() + units.len() + bytes.len() >= MAX_STRING {
                break;
            }
            if !special(c) {
                if self.unicode {
                    units.push(c as u16);
                } else {
                    bytes.push(c as u8);
                }
                continue;
            }
            let Some(n0) = self.char_at(i).filter(|&n| n != 0) else {
                break;
            };
            i += 1;
            if c == skip {
                if self.unicode {
                    units.push(n0 as u16);
                } else {
                    bytes.push(n0 as u8);
                }
                continue;
            }
            let (a, b) = if self.unicode {
                (n0 & 0xff, n0 >> 8)
            } else {
                let Some(n1) = self.char_at(i).filter(|&n| n != 0) else {
                    break;
                };
                i += 1;
                (n0, n1)
            };
            flush(out, &mut units, &mut bytes);
            let num = (a & 0x7f) | ((b & 0x7f) << 7);
            if c == shell {
                self.shell(out, a, b);
            } else if c == var {
                push_var(out, num);
            } else if c == lang {
                self.lang_str(out, num, depth);
            }
        }
        flush(out, &mut units, &mut bytes);
    }

    fn lang_str(&self, out: &mut String, id: u32, depth: u8) {
        let target = le_u32(self.lang, id as usize * 4).filter(|&v| v != 0);
        match target {
            Some(p) if depth > 0 => self.append(out, p, depth - 1),
            _ => {
                out.push_str("$(LSTR_");
                out.push_str(&id.to_string());
                out.push(')');
            }
        }
    }

    fn shell(&self, out: &mut String, a: u32, b: u32) {
        if a & 0x80 != 0 {
            let off = a & 0x3f;
            let mut name = String::new();
            let mut k = off;
            while let Some(c) = self.char_at(k).filter(|&c| c != 0) {
                if name.len() >= 256 {
                    break;
                }
                name.push(char::from_u32(c).unwrap_or('?'));
                k += 1;
            }
            match name.as_str() {
                "ProgramFilesDir" => out.push_str("$PROGRAMFILES"),
                "CommonFilesDir" => out.push_str("$COMMONFILES"),
                _ => out.push_str("$_ERROR_UNSUPPORTED_VALUE_REGISTRY_"),
            }
            if a & 0x40 != 0 {
                out.push_str("64");
            }
            if !matches!(name.as_str(), "ProgramFilesDir" | "CommonFilesDir") {
                out.push('(');
                out.push_str(&name);
                out.push(')');
            }
            return;
        }
        let pick = |i: u32| SHELL_NAMES.get(i as usize).copied().flatten();
        match pick(a).or_else(|| pick(b)) {
            Some(n) => {
                out.push('$');
                out.push_str(n);
            }
            None => out.push_str(&format!("$_ERROR_UNSUPPORTED_SHELL_[{a},{b}]")),
        }
    }
}

/// Cut `s` to at most [`MAX_STRING`] bytes, at a character boundary;
/// whether it was longer.
fn cut_to_max(s: &mut String) -> bool {
    if s.len() <= MAX_STRING {
        return false;
    }
    let mut end = MAX_STRING;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    true
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn push_var(out: &mut String, n: u32) {
    out.push('$');
    if n < 20 {
        if n >= 10 {
            out.push('R');
        }
        out.push_str(&(n % 10).to_string());
    } else if let Some(name) = VAR_NAMES.get((n - 20) as usize) {
        out.push_str(name);
    } else {
        out.push_str(&format!("_{}_", n - NUM_INTERNAL_VARS));
    }
}

fn is_absolute(s: &str) -> bool {
    let b = s.as_bytes();
    b.starts_with(b"\\\\")
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b.get(1) == Some(&b':'))
}

fn reg_root(v: u32) -> String {
    match v {
        0 => "SHCTX".into(),
        0x8000_0000 => "HKCR".into(),
        0x8000_0001 => "HKCU".into(),
        0x8000_0002 => "HKLM".into(),
        0x8000_0003 => "HKU".into(),
        0x8000_0004 => "HKPD".into(),
        0x8000_0005 => "HKCC".into(),
        other => format!("{other:#x}"),
    }
}

/// Parse a decompressed header.
pub(crate) fn parse(h: &[u8], max_items: u64, max_chars: u64) -> Result<Script, Error> {
    let bad = |m: String| Error::malformed(format!("NSIS header: {m}"));
    if h.len() < 4 + 8 * 8 {
        return Err(bad(format!("{} bytes is too short", h.len())));
    }
    let bits64 = h.len() >= 4 + 12 * 8 && (0..8).all(|k| le_u32(h, 4 + 12 * k + 4) == Some(0));
    let bho = if bits64 { 12 } else { 8 };
    let block = |k: usize| -> (u32, u32) {
        let at = 4 + bho * k;
        (
            le_u32(h, at).unwrap_or(0),
            le_u32(h, at + bho - 4).unwrap_or(0),
        )
    };
    let (_, pages) = block(0);
    let (_, sections) = block(1);
    let (ent_off, ent_num) = block(2);
    let (str_off, _) = block(3);
    let (lang_off, lang_num) = block(4);
    let len = h.len() as u64;
    if u64::from(str_off) > len || u64::from(lang_off) > len || u64::from(ent_off) > len {
        return Err(bad(format!(
            "block offsets (entries {ent_off}, strings {str_off}, languages {lang_off}) past the header's {len} bytes"
        )));
    }
    if lang_off < str_off + 2 {
        return Err(bad(format!(
            "string table {str_off}..{lang_off} is empty or inverted"
        )));
    }
    let table = h
        .get(str_off as usize..lang_off as usize)
        .ok_or_else(|| bad("string table out of range".into()))?;
    let unicode = le_u16(table, 0) == Some(0);
    if table.last() != Some(&0) || (unicode && (table.len() % 2 != 0)) {
        return Err(bad("string table is not terminated".into()));
    }
    let nchars = if unicode {
        table.len() / 2
    } else {
        table.len()
    } as u32;
    if u64::from(ent_num) * CMD_SIZE as u64 > len - u64::from(ent_off) {
        return Err(bad(format!(
            "{ent_num} entries at {ent_off} run past the header's {len} bytes"
        )));
    }
    let nsis3 = unicode || {
        table
            .windows(3)
            .any(|w| w[0] == 0 && w[1] == 3 && w[2] & 0x80 != 0)
    };

    // Language tables: the main one is the first, or US English.
    let p2 = 4 + bho * 8;
    let lt_size = le_u32(h, p2 + 32).unwrap_or(0) as usize;
    let mut lang: &[u8] = &[];
    let mut names = [0u32; 3];
    if lang_num > 0 && lt_size >= 10 {
        for i in 0..lang_num as usize {
            let Some(t) = i
                .checked_mul(lt_size)
                .and_then(|o| o.checked_add(lang_off as usize))
                .and_then(|o| h.get(o..o.checked_add(lt_size)?))
            else {
                break;
            };
            let id = le_u16(t, 0).unwrap_or(0);
            let strs = t.get(10..).unwrap_or(&[]);
            if i == 0 || id == 1033 {
                lang = strs;
            }
            for (k, slot) in names.iter_mut().enumerate() {
                let v = le_u32(strs, k * 4).unwrap_or(0);
                if v != 0 && (id == 1033 || *slot == 0) {
                    *slot = v;
                }
            }
        }
    }
    let s = Strings {
        table,
        unicode,
        nsis3,
        nchars,
        lang,
        budget: Cell::new(max_chars),
        cut: Cell::new(0),
    };
    let meta = |v: u32| (v != 0).then(|| s.get(v, 3)).filter(|x| !x.is_empty());
    let mut facts = ScriptFacts {
        generation: if nsis3 { "NSIS-3" } else { "NSIS-2" }.into(),
        unicode,
        bits64,
        branding_text: meta(names[0]),
        caption: meta(names[1]),
        name: meta(names[2]),
        pages,
        sections,
        entries: ent_num,
        languages: lang_num,
        ..ScriptFacts::default()
    };
    let reg_root_key = le_u32(h, p2).unwrap_or(0);
    let reg_key = le_u32(h, p2 + 4).unwrap_or(0);
    let reg_val = le_u32(h, p2 + 8).unwrap_or(0);
    if reg_key != 0 && reg_root_key != u32::MAX {
        facts.install_dir_reg_key = Some(format!(
            "{}\\{}\\{}",
            reg_root(reg_root_key),
            s.get(reg_key, 3),
            s.get(reg_val, 3)
        ));
    }
    // After the InstallDirRegKey, colours, language-table size, 10 callback
    // entry points and 33 install types (as 7-Zip reads it).
    facts.install_dir = le_u32(h, p2 + 212).and_then(meta);

    // Entries. Only the current output directory matters: a name takes the
    // prefix in force when its `File` is met (each `CreateDir` with update
    // replaces it), so no earlier one is kept.
    let mut items: Vec<Item> = Vec::new();
    let mut prefix = String::from("$INSTDIR");
    let mut spec_outdir = String::new();
    let mut errors = Vec::new();
    let cmd = |k: usize| -> (u32, [u32; 6]) {
        let at = ent_off as usize + k * CMD_SIZE;
        let mut p = [0u32; 6];
        for (i, v) in p.iter_mut().enumerate() {
            *v = le_u32(h, at + 4 + 4 * i).unwrap_or(0);
        }
        (le_u32(h, at).unwrap_or(0), p)
    };
    // (name, whether the prefix applies): it does unless the name is absolute.
    let item_name = |pos: u32| -> (String, bool) {
        let raw = s.get(pos, 0);
        let abs_var = matches!(
            s.var_at(pos),
            Some((VAR_INSTDIR | VAR_EXEDIR | VAR_TEMP | VAR_PLUGINSDIR, _))
        );
        let relative = !abs_var && !is_absolute(&raw);
        (raw, relative)
    };
    // The name of an item: the prefix (its copy charged to the budget), or not.
    let full_name = |(name, relative): (String, bool), prefix: &str| -> String {
        if relative {
            s.charge(prefix.len());
            reduced_name(Some(prefix), &name)
        } else {
            reduced_name(None, &name)
        }
    };
    let mut named: Vec<Item> = Vec::new();
    let mut calls_seen: HashSet<String> = HashSet::new();
    for k in 0..ent_num as usize {
        if named.len() as u64 >= max_items {
            break;
        }
        if s.spent() {
            errors.push(Error::limit(
                Limit::MaxScriptChars,
                format!(
                    "NSIS script: its strings took {max_chars} characters to expand by entry {k} of {ent_num}; the entries after it are not read (files they name are not listed)"
                ),
            ));
            break;
        }
        let (op, p) = cmd(k);
        match op {
            EW_CREATEDIR if p[1] != 0 => {
                let mut par0 = p[0];
                let var = s.var_at(par0);
                let lead = match var {
                    Some((VAR_SPEC_OUTDIR, off)) => {
                        par0 += off;
                        spec_outdir.clone()
                    }
                    Some((VAR_OUTDIR, off)) => {
                        par0 += off;
                        s.charge(prefix.len());
                        prefix.clone()
                    }
                    _ => String::new(),
                };
                prefix = lead + &s.get(par0, 0);
                // $OUTDIR is an NSIS string too: cut where NSIS would have
                // refused it.
                if cut_to_max(&mut prefix) {
                    s.cut.set(s.cut.get() + 1);
                }
            }
            EW_ASSIGNVAR if p[0] == VAR_SPEC_OUTDIR => {
                spec_outdir.clear();
                if s.is_var(p[1], VAR_OUTDIR) && p[2] == 0 && p[3] == 0 {
                    s.charge(prefix.len());
                    spec_outdir = prefix.clone();
                }
            }
            EW_EXTRACTFILE => {
                let name = full_name(item_name(p[1]), &prefix);
                named.push(Item {
                    name,
                    pos: p[2],
                    empty: false,
                    uninstaller: false,
                    patch_size: 0,
                    mtime: installsift_model::Timestamp::filetime(
                        u64::from(p[4]) << 32 | u64::from(p[3]),
                    ),
                });
            }
            EW_WRITEUNINSTALLER if p[0] > 0 && s.good(p[0]) => {
                let (mut name, relative) = item_name(p[0]);
                if p[3] != 0 && relative {
                    name = item_name(p[3]).0;
                }
                named.push(Item {
                    name: full_name((name, false), &prefix),
                    pos: p[1],
                    empty: false,
                    uninstaller: true,
                    patch_size: p[2],
                    mtime: None,
                });
            }
            EW_FOPEN if p[2] == 2 && p[1] == 0x4000_0000 => {
                let (next_op, next) = cmd(k + 1);
                if k + 1 < ent_num as usize && next_op == EW_FCLOSE && next[0] == p[0] {
                    named.push(Item {
                        name: full_name(item_name(p[3]), &prefix),
                        pos: 0,
                        empty: true,
                        uninstaller: false,
                        patch_size: 0,
                        mtime: None,
                    });
                }
            }
            EW_EXECUTE | EW_SHELLEXEC if facts.exec.len() >= MAX_FACTS => {
                facts.exec_omitted += 1;
            }
            EW_EXECUTE => facts.exec.push(NsisExec {
                kind: if p[1] != 0 { "ExecWait" } else { "Exec" },
                command: s.get(p[0], 2),
            }),
            EW_SHELLEXEC => {
                let mut command = s.get(p[2], 2);
                let args = s.get(p[3], 2);
                if !args.is_empty() {
                    command.push(' ');
                    command.push_str(&args);
                }
                facts.exec.push(NsisExec {
                    kind: "ExecShell",
                    command,
                });
            }
            EW_REGISTERDLL if facts.plugin_calls.len() < MAX_FACTS => {
                let dll = s.get(p[0], 2);
                let lower = dll.to_ascii_lowercase();
                if let Some(rest) = lower.strip_prefix("$pluginsdir\\") {
                    let file = dll.get(dll.len() - rest.len()..).unwrap_or(rest);
                    let call = format!("{file}::{}", s.get(p[1], 2));
                    if calls_seen.insert(call.clone()) {
                        facts.plugin_calls.push(call);
                    }
                }
            }
            EW_WRITEREG => {
                let key = s.get(p[1], 2);
                if key
                    .to_ascii_lowercase()
                    .contains("\\currentversion\\uninstall")
                    && facts.uninstall_registry.len() < 1024
                {
                    facts.uninstall_registry.push(NsisRegValue {
                        root: reg_root(p[0]),
                        key,
                        name: s.get(p[2], 2),
                        data: if p[4] == 3 {
                            "<binary>".into()
                        } else {
                            s.get(p[3], 2)
                        },
                    });
                }
            }
            EW_SETFILEATTRIBUTES => {}
            _ => {}
        }
    }
    for item in named {
        if item.uninstaller {
            facts.uninstallers.push(item.name.replace('\\', "/"));
        }
        items.push(item);
    }
    if s.cut.get() > 0 {
        errors.push(Error::malformed(format!(
            "NSIS script: {} strings expand past {MAX_STRING} bytes (NSIS's own hold at most 8,192 characters); cut there",
            s.cut.get()
        )));
    }
    // 7-Zip's order: data position, empty files first, then name; the same
    // file at the same position twice is listed once.
    items.sort_by(|a, b| {
        a.pos
            .cmp(&b.pos)
            .then(b.empty.cmp(&a.empty))
            .then(a.name.cmp(&b.name))
    });
    items.dedup_by(|b, a| !a.empty && a.pos == b.pos && a.name == b.name);
    Ok(Script {
        items,
        facts,
        errors,
    })
}

/// Prefix + name as 7-Zip's `GetReducedName`: `\` between them, `file` for
/// an empty name, a leading `$INSTDIR\` removed.
fn reduced_name(prefix: Option<&str>, name: &str) -> String {
    let mut s = String::new();
    if let Some(p) = prefix {
        s.push_str(p);
        if !s.is_empty() && !s.ends_with('\\') {
            s.push('\\');
        }
    }
    s.push_str(if name.is_empty() { "file" } else { name });
    const INSTDIR: &str = "$INSTDIR\\";
    if s.len() >= INSTDIR.len()
        && s.get(..INSTDIR.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(INSTDIR))
    {
        s.drain(..INSTDIR.len());
        if s.starts_with('\\') {
            s.remove(0);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An NSIS 3 ANSI header (32-bit blocks) of `entries` over `table`
    /// (which starts with a NUL), with one US English language table
    /// whose first string is `lang0` (as `scripts/amplification.py` builds
    /// them).
    fn header(entries: &[(u32, [u32; 3])], table: &[u8], lang0: u32) -> Vec<u8> {
        let ent_off = 400u32;
        let str_off = ent_off + 28 * entries.len() as u32;
        let lang_off = str_off + table.len() as u32;
        let mut h = vec![0u8; ent_off as usize];
        let blocks = [(ent_off, entries.len() as u32), (str_off, 0), (lang_off, 1)];
        for (k, (o, n)) in blocks.iter().enumerate() {
            let at = 4 + 8 * (k + 2);
            h[at..at + 4].copy_from_slice(&o.to_le_bytes());
            h[at + 4..at + 8].copy_from_slice(&n.to_le_bytes());
        }
        h[100..104].copy_from_slice(&14u32.to_le_bytes());
        for (op, p) in entries {
            h.extend_from_slice(&op.to_le_bytes());
            for v in p.iter().chain(&[0; 3]) {
                h.extend_from_slice(&v.to_le_bytes());
            }
        }
        h.extend_from_slice(table);
        h.extend_from_slice(&1033u16.to_le_bytes());
        h.extend_from_slice(&[0; 8]);
        h.extend_from_slice(&lang0.to_le_bytes());
        h
    }

    const OUTDIR: &[u8] = b"\x03\x96\x80";

    #[test]
    fn names_come_from_the_prefix_in_force() {
        // CreateDir "$OUTDIR\\a" (update) twice, File "x" after each.
        let mut table = b"\0".to_vec();
        table.extend_from_slice(OUTDIR);
        table.extend_from_slice(b"\\a\0x\0");
        let x = table.len() as u32 - 2;
        let h = header(
            &[
                (EW_CREATEDIR, [1, 1, 0]),
                (EW_EXTRACTFILE, [0, x, 1]),
                (EW_CREATEDIR, [1, 1, 0]),
                (EW_EXTRACTFILE, [0, x, 2]),
            ],
            &table,
            0,
        );
        let s = parse(&h, 100, 1 << 20).unwrap();
        let names: Vec<&str> = s.items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["a\\x", "a\\a\\x"]);
        assert!(s.errors.is_empty());
        // The same with too small a budget: the walk stops, by a named limit.
        let s = parse(&h, 100, 12).unwrap();
        assert!(s.items.len() < 2);
        assert_eq!(
            s.errors[0].limit_hit(),
            Some(Limit::MaxScriptChars),
            "{}",
            s.errors[0]
        );
    }

    #[test]
    fn a_string_of_references_to_itself_is_cut() {
        // Language string 0 = 200 references to language string 0, read
        // three levels deep for the branding text: 200^4 pieces uncut.
        let mut table = b"\0".to_vec();
        for _ in 0..200 {
            table.extend_from_slice(b"\x01\x80\x80");
        }
        table.push(0);
        table.extend_from_slice(OUTDIR);
        table.push(0);
        let s = parse(&header(&[], &table, 1), 100, 1 << 30).unwrap();
        let branding = s.facts.branding_text.unwrap_or_default();
        assert!(branding.len() <= MAX_STRING && branding.len() > MAX_STRING - 16);
        assert!(branding.starts_with("$(LSTR_0)"), "{}", &branding[..20]);
        assert!(s.errors.iter().any(|e| e.to_string().contains("cut there")));
    }

    #[test]
    fn reduced_names() {
        let p = "$INSTDIR\\sub".to_string();
        assert_eq!(reduced_name(Some(&p), "a.txt"), "sub\\a.txt");
        let p = "$INSTDIR".to_string();
        assert_eq!(reduced_name(Some(&p), "a.txt"), "a.txt");
        assert_eq!(
            reduced_name(None, "$PLUGINSDIR\\x.dll"),
            "$PLUGINSDIR\\x.dll"
        );
        assert_eq!(reduced_name(None, ""), "file");
    }

    #[test]
    fn short_header_is_malformed() {
        assert!(parse(&[0u8; 10], 10, 1 << 20).is_err());
        assert!(parse(&[0u8; 200], 10, 1 << 20).is_err());
    }
}
