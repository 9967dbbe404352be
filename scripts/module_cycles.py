#!/usr/bin/env python3
"""Import cycles between the top-level modules of the crate.

Reads every `src/**/*.rs` file (non-test code: everything before the first
`#[cfg(test)]` line), collects the `crate::<module>` paths it names (in `use`
items and inline paths, doc comments excluded), and builds the graph
"module A names module B" between the crate's top-level modules (`scan`,
`formats`, `report`, ...; a file under `src/formats/` belongs to `formats`).
It prints each edge with one place that makes it, then every strongly
connected component of more than one module: an import cycle.

Exit status: 0 when the modules form no cycle, or when every cycle edge is
listed in the baseline file given with --baseline (edges still to remove,
one `a -> b` per line); 1 when a cycle edge is not in the baseline (a new
cycle), 2 on usage errors. With --baseline, baseline edges that no longer
exist are reported so the file can shrink.

    scripts/module_cycles.py                 # print the graph and cycles
    scripts/module_cycles.py --baseline scripts/module_cycles.baseline
"""
import argparse
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
PATH = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)")
USE_GROUP = re.compile(r"\buse\s+crate::\{([^;]*)\};", re.S)


def top_module(rel):
    parts = rel.split(os.sep)
    if parts[0] == "bin":
        return None  # the binary is another crate
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", help="file of cycle edges still allowed, `a -> b` per line")
    ap.add_argument("--src", default=os.path.join(ROOT, "src"))
    args = ap.parse_args()
    edges = graph(args.src)
    nodes = {a for a, _ in edges} | {b for _, b in edges}
    print("edges (module -> module it names, one place):")
    for (a, b), where in sorted(edges.items()):
        print(f"  {a} -> {b}    ({where})")
    cycles = sccs(nodes, edges)
    cycle_edges = set()
    for c in cycles:
        members = set(c)
        print("cycle:", " <-> ".join(c))
        for (a, b) in edges:
            if a in members and b in members:
                cycle_edges.add((a, b))
    if not cycles:
        print("no import cycle between top-level modules")
        return 0
    allowed = set()
    if args.baseline:
        for line in open(args.baseline, encoding="utf-8"):
            line = line.split("#", 1)[0].strip()
            if line:
                a, b = [x.strip() for x in line.split("->")]
                allowed.add((a, b))
        for e in sorted(allowed - cycle_edges):
            print(f"baseline edge no longer in a cycle (remove it): {e[0]} -> {e[1]}")
    new = sorted(cycle_edges - allowed)
    for a, b in new:
        print(f"NEW cycle edge: {a} -> {b} ({edges[(a, b)]})")
    if new:
        return 1
    print(f"{len(cycle_edges)} cycle edges, all in the baseline (still to remove)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
