#!/usr/bin/env python3
"""The dependency direction of the workspace, and import cycles in each crate.

Two checks, both run in .ci/run:

1. Crates (from `cargo metadata`): each workspace crate may depend (normal,
   build or dev) only on the crates listed for it in ALLOWED below:

       installsift-model    -> nothing of ours
       installsift-formats  -> model
       installsift          -> model, formats
       installsift-export   -> installsift
       installsift-cli      -> installsift, export (+ formats, model in tests)
       installsift-python   -> installsift, export (+ model)

   so the parsers can never name the engine, nor the vocabulary anything.

2. Modules: in every crate, reads each `src/**/*.rs` file (non-test code:
   everything before the first `#[cfg(test)]` line), collects the
   `crate::<module>` paths it names (in `use` items and inline paths, doc
   comments excluded), and builds the graph "module A names module B"
   between the crate's top-level modules (a file under `crates/installsift/src/classify/`
   belongs to `classify`). It prints each edge with one place that makes
   it, then every strongly connected component of more than one module: an
   import cycle.

Exit status: 0 when both hold, 1 when a crate depends on one it may not or
the modules of a crate form a cycle, 2 on usage errors.

    scripts/module_cycles.py
"""
import argparse
import json
import os
import re
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
PATH = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)")
USE_GROUP = re.compile(r"\buse\s+crate::\{([^;]*)\};", re.S)


ALLOWED = {
    "installsift-model": set(),
    "installsift-formats": {"installsift-model"},
    "installsift": {"installsift-model", "installsift-formats"},
    "installsift-export": {"installsift"},
    "installsift-cli": {"installsift", "installsift-export", "installsift-formats", "installsift-model"},
    # The Python binding: the engine's public API and the exports, like the CLI.
    "installsift-python": {"installsift", "installsift-export", "installsift-model"},
}


def crate_edges():
    """(crate, dependency, kind) for every dependency between workspace crates."""
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps", "--locked"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    meta = json.loads(out)
    ours = {p["name"] for p in meta["packages"]}
    edges = []
    for p in meta["packages"]:
        for d in p["dependencies"]:
            if d["name"] in ours:
                edges.append((p["name"], d["name"], d["kind"] or "normal"))
    return ours, edges


def top_module(rel):
    parts = rel.split(os.sep)
    name = parts[0]
    return name[:-3] if name.endswith(".rs") else name


def code_of(text):
    out = []
    for line in text.splitlines():
        if line.strip().startswith("#[cfg(test)]"):
            break
        s = line.strip()
        if s.startswith("//"):
            continue
        out.append(line)
    return "\n".join(out)


def graph(src):
    edges = {}
    for dirpath, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, src)
            a = top_module(rel)
            if a in (None, "lib", "main"):
                continue
            text = code_of(open(path, encoding="utf-8").read())
            names = set(PATH.findall(text))
            for group in USE_GROUP.findall(text):
                for item in group.split(","):
                    item = item.strip()
                    m = re.match(r"([a-z_][a-z0-9_]*)", item)
                    if m:
                        names.add(m.group(1))
            for b in names:
                is_module = os.path.exists(os.path.join(src, b + ".rs")) or os.path.isdir(
                    os.path.join(src, b)
                )
                if is_module and b != a:
                    edges.setdefault((a, b), rel)
    return edges


def sccs(nodes, edges):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    adj = {n: [b for (a, b) in edges if a == n] for n in nodes}

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in adj[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    for n in sorted(nodes):
        if n not in index:
            visit(n)
    return [c for c in out if len(c) > 1]


def check_crates():
    ours, edges = crate_edges()
    bad = 0
    for name in sorted(ours):
        if name not in ALLOWED:
            print(f"crate {name} is not in ALLOWED (scripts/module_cycles.py): say what it may depend on")
            bad += 1
    print("crates (crate -> dependency, kind):")
    for a, b, kind in sorted(edges):
        ok = b in ALLOWED.get(a, set())
        print(f"  {a} -> {b} ({kind}){'' if ok else '    NOT ALLOWED'}")
        bad += not ok
    return bad


def check_modules(src):
    edges = graph(src)
    nodes = {a for a, _ in edges} | {b for _, b in edges}
    print(f"modules of {os.path.relpath(src, ROOT)} (module -> module it names, one place):")
    for (a, b), where in sorted(edges.items()):
        print(f"  {a} -> {b}    ({where})")
    cycles = sccs(nodes, edges)
    for c in cycles:
        members = set(c)
        print("  CYCLE:", " <-> ".join(c))
        for (a, b) in sorted(edges):
            if a in members and b in members:
                print(f"    {a} -> {b} ({edges[(a, b)]})")
    return len(cycles)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.parse_args()
    bad = check_crates()
    crates = os.path.join(ROOT, "crates")
    for c in sorted(os.listdir(crates)):
        src = os.path.join(crates, c, "src")
        if os.path.isdir(src):
            bad += check_modules(src)
    if bad:
        print(f"{bad} problem(s)")
        return 1
    print("the crates depend in the allowed direction; no import cycle between the top-level modules of any crate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
