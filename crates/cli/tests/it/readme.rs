//! The README's first screen is real output: the `text` block after the
//! `<!-- first-screen: … -->` marker starts with `$ installsift scan ARGS`,
//! and the rest is what that command prints (standard output, then the
//! summary line of standard error), run from the workspace root.
//! `UPDATE_EXPECT=1` rewrites the block from a run.

use crate::util::root;

const MARKER: &str = "<!-- first-screen:";

#[test]
fn readme_first_screen_is_what_the_command_prints() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let at = readme
        .find(MARKER)
        .expect("the first-screen marker in README.md");
    let open = at
        + readme[at..]
            .find("```text\n")
            .expect("a text block after the marker");
    let body = open + "```text\n".len();
    let close = body + readme[body..].find("```\n").expect("the block's end");
    let block = &readme[body..close];
    let command = block
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("$ installsift "))
        .expect("the block starts with `$ installsift …`");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_installsift"))
        .args(command.split_whitespace())
        .current_dir(root())
        .output()
        .expect("run installsift");
    assert!(out.status.success(), "{command}");
    let mut got = format!("$ installsift {command}\n");
    got.push_str(&String::from_utf8(out.stdout).expect("UTF-8"));
    got.push_str(&String::from_utf8(out.stderr).expect("UTF-8"));
    assert!(got.lines().count() > 3, "{got}");
    if std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1") {
        let updated = format!("{}{got}{}", &readme[..body], &readme[close..]);
        std::fs::write(&path, updated).expect("write README.md");
        return;
    }
    assert!(
        block == got,
        "README.md's first screen is not what `installsift {command}` prints \
         (UPDATE_EXPECT=1 cargo test -p installsift-cli --test it readme rewrites it):\n{got}"
    );
}
