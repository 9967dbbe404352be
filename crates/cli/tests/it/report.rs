//! `installsift report` (issue 21): the HTML page, loaded in headless
//! Chromium (Debian package `chromium`; the tests fail, never skip, when it
//! is missing). Each load dumps the DOM after the page's script ran
//! (`--dump-dom`) and collects what the page wrote to its console
//! (`--enable-logging=stderr`: every console message, uncaught exception
//! and Content Security Policy refusal is a `CONSOLE` line; the page itself
//! logs nothing, so any such line is an error).

use crate::util::root;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn installsift() -> Command {
    Command::new(env!("CARGO_BIN_EXE_installsift"))
}

/// The scratch directory of what this test run shares across tests (the
/// corpus report, Chromium profiles); a test's own files go to a
/// `util::Scratch` removed when it ends.
fn scratch() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The Chromium binary: `chromium` (Debian) or `chromium-browser`.
fn chromium() -> &'static Path {
    static FOUND: OnceLock<PathBuf> = OnceLock::new();
    FOUND.get_or_init(|| {
        let path = std::env::var_os("PATH").unwrap_or_default();
        for name in ["chromium", "chromium-browser"] {
            for dir in std::env::split_paths(&path) {
                let p = dir.join(name);
                if p.is_file() {
                    return p;
                }
            }
        }
        panic!("no chromium or chromium-browser on PATH: apt-get install chromium");
    })
}

/// What a page showed: its DOM after the scripts ran, and its console.
struct Loaded {
    dom: String,
    console: Vec<String>,
    seconds: f64,
}

/// Load `page` with `fragment` (`""` or `#…`) in headless Chromium.
fn load(page: &Path, fragment: &str) -> Loaded {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUN.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let profile = scratch().join(format!("chromium-profile-{n}"));
    let page = page.canonicalize().expect("page path");
    let url = format!("file://{}{fragment}", page.display());
    let start = Instant::now();
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            // Tests run as root in CI, where Chromium's sandbox refuses to
            // start; the page is one these tests wrote.
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (apt-get install chromium)", chromium().display()));
    // Read both pipes on threads (a full pipe would stall Chromium).
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut b).map(|_| b)
    });
    let err = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut b).map(|_| b)
    });
    let deadline = start + Duration::from_secs(300);
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish loading {url} in 300 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let seconds = start.elapsed().as_secs_f64();
    let dom = String::from_utf8_lossy(&out.join().expect("thread").expect("stdout")).into_owned();
    // What the scripts drew: everything before the data and the script
    // (whose text would otherwise be searched too).
    let dom = match dom.find("<script type=\"application/json\"") {
        Some(end) if dom.contains("</html>") => dom[..end].to_owned() + "</html>",
        _ => dom,
    };
    let stderr =
        String::from_utf8_lossy(&err.join().expect("thread").expect("stderr")).into_owned();
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        dom.contains("</html>"),
        "chromium printed no DOM for {url}:\n{stderr}"
    );
    Loaded {
        dom,
        console: console_lines(&stderr),
        seconds,
    }
}

/// Chromium's log lines of console messages (`…:INFO:CONSOLE:12] "…"`):
/// all levels are logged at INFO, so every one counts.
fn console_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect()
}

/// The page's data: the JSON array between the data element's tags.
fn records(page: &str) -> Vec<serde_json::Value> {
    let tag = "<script type=\"application/json\" id=\"installsift-data\">";
    let start = page.find(tag).expect("data element") + tag.len();
    let len = page[start..].find("</script>").expect("end of data");
    serde_json::from_str(&page[start..start + len]).expect("data is JSON")
}

/// Each record's parent index (`None` for inputs).
fn parents(recs: &[serde_json::Value]) -> Vec<Option<usize>> {
    recs.iter()
        .enumerate()
        .map(|(i, r)| match r["u"].as_u64().expect("u") as usize {
            0 => None,
            u => Some(i - u),
        })
        .collect()
}

/// The tree as the DOM holds it: for each drawn node `n<index>`, the
/// index of the node element it is nested in (`None` at the top).
fn dom_tree(dom: &str) -> BTreeMap<usize, Option<usize>> {
    let tags = regex_lite::Regex::new(r"<details([^>]*)>|</details>").expect("regex");
    let id = regex_lite::Regex::new(r#"\bid="n([0-9]+)""#).expect("regex");
    let mut stack: Vec<Option<usize>> = Vec::new();
    let mut tree = BTreeMap::new();
    for m in tags.captures_iter(dom) {
        match m.get(1) {
            Some(attrs) => {
                let node = id
                    .captures(attrs.as_str())
                    .map(|c| c[1].parse::<usize>().expect("index"));
                if let Some(n) = node {
                    let enclosing = stack.iter().rev().find_map(|s| *s);
                    assert!(tree.insert(n, enclosing).is_none(), "n{n} drawn twice");
                }
                stack.push(node);
            }
            None => {
                stack.pop().expect("balanced details");
            }
        }
    }
    assert!(stack.is_empty(), "unbalanced details");
    tree
}

/// The indices of the search results (`<li class="hit" data-i="…">`).
fn hits(dom: &str) -> BTreeSet<usize> {
    let re = regex_lite::Regex::new(r#"<li class="hit" data-i="([0-9]+)""#).expect("regex");
    re.captures_iter(dom)
        .map(|c| c[1].parse().expect("index"))
        .collect()
}

/// The report of the whole corpus, written once by the binary (as a user
/// would: `installsift report -o … corpus/` from the checkout).
fn corpus_report() -> &'static (PathBuf, String) {
    static PAGE: OnceLock<(PathBuf, String)> = OnceLock::new();
    PAGE.get_or_init(|| {
        let out = scratch().join("corpus-report.html");
        let run = installsift()
            .current_dir(root())
            .args(["report", "-q", "-o"])
            .arg(&out)
            .arg("corpus/")
            .output()
            .expect("run installsift report");
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let text = std::fs::read_to_string(&out).expect("report written");
        (out, text)
    })
}

/// The index of the node at `path` (input, then names inside).
fn find(recs: &[serde_json::Value], path: &[&str]) -> usize {
    let up = parents(recs);
    let mut at: Option<usize> = None;
    for name in path {
        at = Some(
            (0..recs.len())
                .find(|&i| up[i] == at && recs[i]["n"] == *name)
                .unwrap_or_else(|| panic!("no {name} under {at:?}")),
        );
    }
    at.expect("a path")
}

/// A known nested node of the corpus: the README's example.
const KNOWN: [&str; 3] = [
    "corpus/pe/msi_in_overlay.exe",
    "[overlay]",
    "Program Files/SiftSimple/hello.exe",
];

/// Issue 21's acceptance: the corpus report opens in headless Chromium
/// without console errors; with every node opened (`#open=all`) the DOM
/// holds the known nested node inside its parents, and every node once.
#[test]
fn corpus_report_opens_without_console_errors_and_shows_a_nested_node() {
    let (page, text) = corpus_report();
    let recs = records(text);
    let up = parents(&recs);
    let known = find(&recs, &KNOWN);
    let first = load(page, "");
    assert!(first.console.is_empty(), "{:#?}", first.console);
    let all = load(page, "#open=all");
    assert!(all.console.is_empty(), "{:#?}", all.console);
    let tree = dom_tree(&all.dom);
    assert_eq!(tree.len(), recs.len(), "every node drawn once");
    for (i, p) in up.iter().enumerate() {
        assert_eq!(tree.get(&i), Some(p), "n{i} is not inside its parent");
    }
    let (overlay, input) = (up[known].expect("parent"), up[up[known].expect("p")]);
    assert_eq!(input, Some(find(&recs, &KNOWN[..1])));
    assert_eq!(tree[&known], Some(overlay));
    // Its line shows its name, format, verdict and full hash.
    let at = all.dom.find(&format!("id=\"n{known}\"")).expect("drawn");
    let line = &all.dom[at..at + all.dom[at..].find("</summary>").expect("line")];
    let sha = recs[known]["h"].as_str().expect("sha256");
    // Its line: name, format and verdict badges, the full hash with its
    // copy button, the builders (`tools`).
    let copy = format!("title=\"Copy {sha}\"");
    let tools = recs[known]["t"]
        .as_str()
        .expect("hello.exe names its compiler");
    for part in [KNOWN[2], ">pe<", "not-installer", sha, &copy, tools] {
        assert!(line.contains(part), "{part} not in {line}");
    }
    eprintln!(
        "corpus report: {} bytes, {} nodes; Chromium: {:.1} s to load and dump (first view, {} ms drawing), {:.1} s with every node opened ({} ms drawing)",
        text.len(),
        recs.len(),
        first.seconds,
        drawn_ms(&first.dom),
        all.seconds,
        drawn_ms(&all.dom),
    );
}

/// The page's own measure of its drawing time (`#drawn-ms`).
fn drawn_ms(dom: &str) -> String {
    let re = regex_lite::Regex::new(r#"id="drawn-ms">([0-9]+)<"#).expect("regex");
    re.captures(dom).map_or("?".into(), |c| c[1].to_owned())
}

/// The summary counts what the data holds: inputs, nodes, installers
/// (inputs and nested), nodes with errors, installers by family; the first
/// view keeps the DOM small (lazy drawing) and holds every input's line.
#[test]
fn corpus_report_summary_counts_families_and_errors() {
    let (page, text) = corpus_report();
    let recs = records(text);
    let up = parents(&recs);
    let loaded = load(page, "");
    assert!(loaded.console.is_empty(), "{:#?}", loaded.console);
    let dom = &loaded.dom;
    let total = |name: &str| -> usize {
        let re = regex_lite::Regex::new(&format!(r#"id="total-{name}">([0-9]+)<"#)).expect("re");
        re.captures(dom)
            .unwrap_or_else(|| panic!("no total {name}"))[1]
            .parse()
            .expect("number")
    };
    let inputs = up.iter().filter(|p| p.is_none()).count();
    let errors = recs
        .iter()
        .filter(|r| r["e"].as_array().is_some_and(|e| !e.is_empty()))
        .count();
    let mut fams: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (r, p) in recs.iter().zip(&up) {
        if r["v"] == "installer" {
            let f = r["fa"]
                .as_str()
                .expect("an installer has a family")
                .to_owned();
            let e = fams.entry(f).or_default();
            if p.is_none() {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
    }
    assert!(errors > 0 && fams.len() > 10, "the corpus has both");
    assert_eq!(total("inputs"), inputs);
    assert_eq!(total("nodes"), recs.len());
    assert_eq!(
        total("installers"),
        fams.values().map(|f| f.0).sum::<usize>()
    );
    assert_eq!(
        total("installers-nested-inside"),
        fams.values().map(|f| f.1).sum::<usize>()
    );
    assert_eq!(total("nodes-with-errors"), errors);
    assert_eq!(total("inputs-not-scanned"), 0);
    let chip = regex_lite::Regex::new(
        r#"data-family="([^"]+)"><button[^>]*>[^<]*</button><span class="n-inputs"[^>]*>([0-9]+)</span>(?:<span class="n-nested"[^>]*>\+([0-9]+) nested</span>)?"#,
    )
    .expect("regex");
    let shown: BTreeMap<String, (usize, usize)> = chip
        .captures_iter(dom)
        .map(|c| {
            let n = |k: usize| c.get(k).map_or(0, |m| m.as_str().parse().expect("count"));
            (c[1].to_owned(), (n(2), n(3)))
        })
        .collect();
    assert_eq!(shown, fams);
    let tree = dom_tree(dom);
    // The first 500 inputs are drawn at the top (a button draws more).
    for i in (0..recs.len()).filter(|&i| up[i].is_none()).take(500) {
        assert_eq!(tree.get(&i), Some(&None), "input n{i} drawn at the top");
    }
    assert!(tree.len() < 2000, "{} nodes drawn at first", tree.len());
    // Errors are marked on the line (class and count).
    let bad = (0..recs.len())
        .find(|&i| tree.contains_key(&i) && recs[i]["e"].as_array().is_some_and(|e| !e.is_empty()))
        .expect("a drawn node with errors");
    assert!(dom.contains("<details class=\"node err"), "err class");
    let at = dom.find(&format!("id=\"n{bad}\"")).expect("drawn");
    let line = &dom[at..at + dom[at..].find("</summary>").expect("line")];
    assert!(line.contains("error"), "{line}");
}

/// Search from the URL fragment: a SHA-256 prefix lists exactly the nodes
/// with that prefix and hides the tree; a name lists every node whose name
/// holds it; `family:` every installer of the family.
#[test]
fn corpus_report_search_by_hash_prefix_name_and_family() {
    let (page, text) = corpus_report();
    let recs = records(text);
    let known = find(&recs, &KNOWN);
    let prefix = &recs[known]["h"].as_str().expect("sha256")[..12];
    let want = |f: &dyn Fn(&serde_json::Value) -> bool| -> BTreeSet<usize> {
        (0..recs.len()).filter(|&i| f(&recs[i])).collect()
    };
    let by_hash = want(&|r| r["h"].as_str().is_some_and(|h| h.starts_with(prefix)));
    let by_name = want(&|r| {
        r["n"]
            .as_str()
            .is_some_and(|n| n.to_lowercase().contains("readme.txt"))
    });
    let nsis = want(&|r| r["v"] == "installer" && r["fa"] == "nsis");
    assert!(by_hash.contains(&known) && by_hash.len() > 1 && by_hash.len() < recs.len() / 10);
    assert!(by_name.len() > 5 && nsis.len() > 5);
    for (fragment, expected) in [
        (format!("#q={prefix}"), &by_hash),
        ("#q=README.txt".to_owned(), &by_name),
        ("#q=family%3Ansis".to_owned(), &nsis),
    ] {
        let loaded = load(page, &fragment);
        assert!(
            loaded.console.is_empty(),
            "{fragment}: {:#?}",
            loaded.console
        );
        assert_eq!(&hits(&loaded.dom), expected, "{fragment}");
        assert!(
            loaded.dom.contains("<main id=\"tree\" hidden=\"\">"),
            "{fragment}: the tree is hidden while searching"
        );
        assert!(loaded.dom.contains(&format!("{} matches", expected.len())));
    }
    // `#n=` opens the tree down to a node, and the node's facts: its
    // path, the evidence table.
    let loaded = load(page, &format!("#n={known}"));
    assert!(loaded.console.is_empty(), "{:#?}", loaded.console);
    let at = loaded.dom.find(&format!("id=\"n{known}\"")).expect("drawn");
    let body = &loaded.dom[at..at + loaded.dom[at..].find("</details>").expect("end")];
    let evidence = recs[known]["x"]["evidence"].as_array().expect("evidence");
    assert!(!evidence.is_empty());
    for e in evidence {
        let signal = format!("<td>{}</td>", e["signal"].as_str().expect("signal"));
        assert!(body.contains(&signal), "{signal} not in {body}");
    }
    assert!(
        body.contains(&KNOWN.join(" \u{203a} ")),
        "the path in {body}"
    );
    assert!(
        loaded
            .dom
            .contains(&format!("hl\" id=\"n{known}\" open=\"\"")),
        "node n{known} opened and highlighted"
    );
    assert!(hits(&loaded.dom).is_empty());
}

/// The console check sees errors: a script error (the data made invalid)
/// and a request the page's policy refuses (an image from the network) are
/// both caught, so a clean load means something.
#[test]
fn the_console_check_catches_script_errors_and_refused_requests() {
    let r = installsift::Scanner::new().scan_bytes("a.bin", b"hello");
    let good = installsift::render::html::page(&[r]).expect("page");
    let good = String::from_utf8(good).expect("utf-8");
    let dir = crate::util::Scratch::dir("report-console");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write page");
        p
    };
    let clean = load(&write("clean.html", &good), "");
    assert!(clean.console.is_empty(), "{:#?}", clean.console);
    assert!(clean.dom.contains("id=\"n0\""));
    let broken = good.replacen("[\n{\"u\":0", "[\n{\"u\":0,,", 1);
    assert_ne!(broken, good);
    let loaded = load(&write("broken.html", &broken), "");
    assert!(
        loaded.console.iter().any(|l| l.contains("SyntaxError")),
        "{:#?}",
        loaded.console
    );
    let fetching = good.replacen(
        "<main id=\"tree\">",
        "<img src=\"http://127.0.0.1:9/pixel.png\"><main id=\"tree\">",
        1,
    );
    assert_ne!(fetching, good);
    let loaded = load(&write("fetching.html", &fetching), "");
    assert!(
        loaded
            .console
            .iter()
            .any(|l| l.contains("Content Security Policy")),
        "{:#?}",
        loaded.console
    );
}

/// Names are data: a node named like markup is shown as text, runs
/// nothing (an `onerror` handler or a script would be refused on the
/// console, or show as an element), and is found by search.
#[test]
fn hostile_names_are_shown_as_text_in_chromium() {
    let names = [
        "<img src=x onerror=alert(1)>",
        "</script><script>alert(2)</script>",
        "<!-- &amp; \u{2028} \"' <b>bold</b>",
    ];
    let mut r = installsift::Scanner::new().scan_bytes(names[0], b"hello");
    let leaf = r.root.clone();
    for name in &names[1..] {
        let mut child = leaf.clone();
        child.info.path = vec![names[0].to_owned(), (*name).to_owned()];
        child.info.depth = 1;
        child.info.errors = vec![installsift::Error::malformed(format!("bad {name}"))];
        r.root.children.push(child);
    }
    let page = installsift::render::html::page(&[r]).expect("page");
    let dir = crate::util::Scratch::dir("report-hostile");
    let path = dir.join("hostile.html");
    std::fs::write(&path, &page).expect("write");
    let loaded = load(&path, "#open=all");
    assert!(loaded.console.is_empty(), "{:#?}", loaded.console);
    let dom = &loaded.dom;
    assert!(
        !dom.contains("<img") && !dom.contains("<b>"),
        "markup from a name"
    );
    assert!(dom.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(dom.contains("&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;"));
    assert_eq!(dom_tree(dom).len(), 3);
    let loaded = load(&path, "#q=%3C%2Fscript%3E");
    assert!(loaded.console.is_empty(), "{:#?}", loaded.console);
    assert_eq!(hits(&loaded.dom), BTreeSet::from([1]));
}

/// A scan of 10^5 nodes stays usable: the page loads without errors, the
/// first view draws a bounded number of nodes, and a search finds one
/// node among them.
#[test]
fn a_report_of_100000_nodes_loads_lazily_and_searches() {
    let leaf = installsift::Scanner::new().scan_bytes("leaf", b"hello");
    let mut root = leaf.clone();
    root.root.info.path = vec!["big.zip".into()];
    for c in 0..1000 {
        let mut dir = leaf.root.clone();
        dir.info.path = vec!["big.zip".into(), format!("dir{c}.cab")];
        dir.info.depth = 1;
        for f in 0..99 {
            let mut file = leaf.root.clone();
            file.info.path = vec![
                "big.zip".into(),
                format!("dir{c}.cab"),
                format!("file-{c}-{f}.txt"),
            ];
            file.info.depth = 2;
            dir.children.push(file);
        }
        root.root.children.push(dir);
    }
    root.stats.nodes = 100_001;
    let page = installsift::render::html::page(&[root]).expect("page");
    let dir = crate::util::Scratch::dir("report-big");
    let path = dir.join("big.html");
    std::fs::write(&path, &page).expect("write");
    let first = load(&path, "");
    assert!(first.console.is_empty(), "{:#?}", first.console);
    let drawn = dom_tree(&first.dom).len();
    // The lone input opened, its first 500 entries drawn.
    assert_eq!(drawn, 501, "nodes drawn at first");
    assert!(first.dom.contains("id=\"total-nodes\">100001<"));
    let found = load(&path, "#q=file-777-42.txt");
    assert!(found.console.is_empty(), "{:#?}", found.console);
    // big.zip > dir777.cab (1 + 777 * 100 + 1) > file 42.
    assert_eq!(hits(&found.dom), BTreeSet::from([777 * 100 + 2 + 42]));
    eprintln!(
        "100,001-node page: {} bytes; Chromium {:.1} s to load and dump ({} ms drawing, {drawn} nodes drawn), search {:.1} s ({} ms)",
        page.len(),
        first.seconds,
        drawn_ms(&first.dom),
        found.seconds,
        drawn_ms(&found.dom)
    );
}

/// The command: `--files-from`, `--hashes` and an unreadable input (listed
/// in the page as not scanned, exit status 1); `-o` is required.
#[test]
fn report_command_takes_the_scan_inputs_and_lists_unreadable_ones() {
    let dir = crate::util::Scratch::dir("report-command");
    let list = dir.join("list.txt");
    std::fs::write(&list, "corpus/pe/msi_in_overlay.exe\ncorpus/no-such-file\n").expect("list");
    let out = dir.join("listed.html");
    let run = installsift()
        .current_dir(root())
        .args(["report", "--hashes", "sha256,md5", "--files-from"])
        .arg(&list)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("run");
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("no-such-file"), "{stderr}");
    assert!(
        stderr.contains("1 files") && stderr.contains("1 unreadable"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&out).expect("page");
    let recs = records(&text);
    assert_eq!(recs[0]["n"], "corpus/pe/msi_in_overlay.exe");
    assert!(recs[0]["m5"].as_str().is_some_and(|m| m.len() == 32));
    let last = recs.last().expect("records");
    assert_eq!(last["n"], "corpus/no-such-file");
    assert!(
        last["ie"].as_str().is_some_and(|e| e.starts_with("io: ")),
        "{last}"
    );
    let loaded = load(&out, "");
    assert!(loaded.console.is_empty(), "{:#?}", loaded.console);
    assert!(loaded.dom.contains("id=\"total-inputs-not-scanned\">1<"));
    // --password reads the corpus's encrypted 7z (its README's password):
    // without it the entries carry errors and no hash, with it they are
    // hashed.
    let hashed = |password: Option<&str>| -> usize {
        let out = dir.join("encrypted.html");
        let mut cmd = installsift();
        cmd.current_dir(root())
            .args(["report", "-q", "-o"])
            .arg(&out);
        if let Some(p) = password {
            cmd.args(["--password", p]);
        }
        let run = cmd.arg("corpus/7z/enc_data.7z").output().expect("run");
        assert!(run.status.success());
        let recs = records(&std::fs::read_to_string(&out).expect("page"));
        assert!(recs.len() > 2);
        recs.iter().skip(1).filter(|r| r["h"].is_string()).count()
    };
    assert_eq!(hashed(None), 0);
    assert!(hashed(Some("installsift")) >= 4);
    let usage = installsift()
        .args(["report", "corpus/"])
        .output()
        .expect("run");
    assert_eq!(usage.status.code(), Some(2));
}
