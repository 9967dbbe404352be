//! Install paths of MSI files, named the way `msiextract` (msitools 0.101)
//! names what it extracts, so that our child names can be checked against it.
//!
//! The rule, for a File row:
//! 1. The file name is the long half of `FileName` (`short|long` → `long`).
//! 2. Its component's `Directory_` is the start of a walk up
//!    `Directory_Parent`. Each directory contributes one segment:
//!    - the directory whose key is `ProgramFilesFolder` contributes
//!      `Program Files` (msiextract's fixed choice; every other standard
//!      folder, e.g. `ProgramFiles64Folder` with `DefaultDir` `.`, contributes
//!      what its `DefaultDir` says);
//!    - otherwise the `DefaultDir` value: its target half when it is
//!      `target:source` (msiextract does not split on `:`; MSI does, and
//!      wixl-built databases never use it), then the long half of
//!      `short|long`;
//!    - a segment `.` or `SourceDir` contributes nothing.
//! 3. The walk ends at a row without parent (TARGETDIR), a row whose parent is
//!    itself, a parent key that is not in the table, a directory already seen
//!    (a cycle, reported) or after [`MAX_DIR_DEPTH`] levels (reported).
//! 4. Segments are joined with `/`, outermost first, then `/` and the file
//!    name; empty segments are skipped (so a file in TARGETDIR is just its
//!    name).

use std::collections::{HashMap, HashSet};

/// Deepest directory nesting followed.
pub const MAX_DIR_DEPTH: usize = 256;

/// `short|long` → `long`; a value without `|` is returned whole.
pub fn long_name(s: &str) -> &str {
    match s.split_once('|') {
        Some((_, long)) => long,
        None => s,
    }
}

/// The target half of a `DefaultDir` (`target:source` → `target`).
pub fn target_half(default_dir: &str) -> &str {
    match default_dir.split_once(':') {
        Some((target, _)) => target,
        None => default_dir,
    }
}

/// The path segment a Directory row contributes, empty for none.
pub fn dir_segment<'a>(key: &str, default_dir: &'a str) -> &'a str {
    if key == "ProgramFilesFolder" {
        return "Program Files";
    }
    let name = long_name(target_half(default_dir));
    if name == "." || name == "SourceDir" {
        ""
    } else {
        name
    }
}

/// One Directory row.
#[derive(Debug, Clone)]
pub struct DirRow {
    /// `Directory_Parent`, when not NULL.
    pub parent: Option<String>,
    /// `DefaultDir`.
    pub default_dir: String,
}

/// Why a walk stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkProblem {
    /// The parent chain comes back to a directory already on the path.
    Cycle(String),
    /// More than [`MAX_DIR_DEPTH`] levels.
    TooDeep,
    /// The starting directory key is not in the Directory table.
    Unknown(String),
}

/// The directory path of `key`, outermost segment first, joined with `/`.
pub fn dir_path(dirs: &HashMap<String, DirRow>, key: &str) -> (String, Option<WalkProblem>) {
    let mut segments: Vec<&str> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut problem = None;
    let Some((mut cur, mut row)) = dirs.get_key_value(key) else {
        return (String::new(), Some(WalkProblem::Unknown(key.to_owned())));
    };
    loop {
        if !seen.insert(cur.as_str()) {
            problem = Some(WalkProblem::Cycle(cur.clone()));
            break;
        }
        if seen.len() > MAX_DIR_DEPTH {
            problem = Some(WalkProblem::TooDeep);
            break;
        }
        segments.push(dir_segment(cur, &row.default_dir));
        let Some(parent) = row
            .parent
            .as_deref()
            .filter(|p| !p.is_empty() && *p != cur.as_str())
        else {
            break;
        };
        let Some((k, r)) = dirs.get_key_value(parent) else {
            break;
        };
        cur = k;
        row = r;
    }
    let path: Vec<&str> = segments
        .into_iter()
        .rev()
        .filter(|s| !s.is_empty())
        .collect();
    (path.join("/"), problem)
}

/// Join a directory path and a file name.
pub fn join(dir: &str, file: &str) -> String {
    if dir.is_empty() {
        file.to_owned()
    } else {
        format!("{dir}/{file}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[(&str, Option<&str>, &str)]) -> HashMap<String, DirRow> {
        rows.iter()
            .map(|(k, p, d)| {
                (
                    (*k).to_owned(),
                    DirRow {
                        parent: p.map(str::to_owned),
                        default_dir: (*d).to_owned(),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn names() {
        assert_eq!(long_name("SAMPLE~1.TXT|sample file.txt"), "sample file.txt");
        assert_eq!(long_name("plain.txt"), "plain.txt");
        assert_eq!(long_name("a|b|c"), "b|c");
        assert_eq!(
            target_half("TGT~1|Target Dir:SRC~1|Source Dir"),
            "TGT~1|Target Dir"
        );
        assert_eq!(
            dir_segment("X", "TGT~1|Target Dir:SRC~1|Source Dir"),
            "Target Dir"
        );
        assert_eq!(dir_segment("ProgramFilesFolder", "PFiles"), "Program Files");
        assert_eq!(dir_segment("ProgramFiles64Folder", "."), "");
        assert_eq!(dir_segment("TARGETDIR", "SourceDir"), "");
        assert_eq!(dir_segment("X", ".:SRC"), "");
    }

    #[test]
    fn walk_like_msiextract() {
        let t = table(&[
            ("TARGETDIR", None, "SourceDir"),
            ("ProgramFilesFolder", Some("TARGETDIR"), "."),
            ("ProgramFiles64Folder", Some("TARGETDIR"), "."),
            (
                "Vendor",
                Some("ProgramFiles64Folder"),
                "VENDOR~1|Installsift Vendor",
            ),
            ("App", Some("Vendor"), "App"),
            ("Same", Some("App"), "."),
            ("Simple", Some("ProgramFilesFolder"), "SiftSimple"),
        ]);
        assert_eq!(
            dir_path(&t, "Same"),
            ("Installsift Vendor/App".to_owned(), None)
        );
        assert_eq!(
            dir_path(&t, "Simple"),
            ("Program Files/SiftSimple".to_owned(), None)
        );
        assert_eq!(dir_path(&t, "TARGETDIR"), (String::new(), None));
        assert_eq!(join("", "a.txt"), "a.txt");
        assert_eq!(
            join("Program Files/SiftSimple", "a.txt"),
            "Program Files/SiftSimple/a.txt"
        );
        assert_eq!(
            dir_path(&t, "Nope").1,
            Some(WalkProblem::Unknown("Nope".into()))
        );
    }

    #[test]
    fn walk_survives_cycles_and_self_parents() {
        let t = table(&[
            ("A", Some("B"), "a"),
            ("B", Some("C"), "b"),
            ("C", Some("A"), "c"),
            ("R", Some("R"), "root"),
        ]);
        let (p, problem) = dir_path(&t, "A");
        assert_eq!(p, "c/b/a");
        assert_eq!(problem, Some(WalkProblem::Cycle("A".into())));
        assert_eq!(dir_path(&t, "R"), ("root".to_owned(), None));
        // A long chain stops at the depth cap.
        let rows: Vec<(String, Option<String>, String)> = (0..1000)
            .map(|i| (format!("d{i}"), Some(format!("d{}", i + 1)), "x".to_owned()))
            .collect();
        let t: HashMap<String, DirRow> = rows
            .into_iter()
            .map(|(k, p, d)| {
                (
                    k,
                    DirRow {
                        parent: p,
                        default_dir: d,
                    },
                )
            })
            .collect();
        let (p, problem) = dir_path(&t, "d0");
        assert_eq!(problem, Some(WalkProblem::TooDeep));
        assert_eq!(p.split('/').count(), MAX_DIR_DEPTH);
    }
}
