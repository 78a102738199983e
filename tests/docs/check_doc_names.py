#!/usr/bin/env python3
"""Every strata_* name in README.md and docs/*.md must be real, so the docs cannot keep a
renamed or removed API name.

Rules, per identifier matched by \\bstrata_[A-Za-z0-9_]+ (a trailing "_" means a prefix, as in
`strata_txn_*`):
  - a public-style name (no "__") must be declared in include/strata.h, or be listed in
    tests/docs/doc_names_allow.txt (names that are not C API: CMake targets, test programs,
    internal types), with the reason;
  - an internal name (`strata_<module>__<name>`) must occur in src/ (the docs describe the
    internals too; a renamed internal must take its docs with it);
  - a documented call `strata_x(a, b, …)` of a public function must pass as many arguments as
    its prototype in include/strata.h has, and may pass `db` first only when the prototype's
    first parameter is `db` (out-parameters come first: `strata_db_gc(&report, db, opt)`).
docs/benchmarks.md is left out: it records historical runs under the names of their time.
Usage: check_doc_names.py [SOURCE_DIR]   (prints every problem; exits 1 when there is one)
"""
import os
import re
import sys

root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
SKIP = {"docs/benchmarks.md"}
IDENT = re.compile(r"\bstrata_[A-Za-z0-9_]+")


def read(rel):
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        return f.read()


header = read("include/strata.h")
public = set(IDENT.findall(header))

# Prototypes: name -> list of parameter texts.
protos = {}
flat = re.sub(r"/\*.*?\*/", " ", header, flags=re.S)
for m in re.finditer(r"STRATA_API\s+[^;(]*?\b(strata_\w+)\s*\(([^;]*?)\)\s*;", flat, re.S):
    params = [p.strip() for p in m.group(2).split(",")]
    protos[m.group(1)] = [] if params == ["void"] else params

src_text = []
for dirpath, _, files in os.walk(os.path.join(root, "src")):
    for fn in files:
        if fn.endswith((".c", ".h")):
            with open(os.path.join(dirpath, fn), encoding="utf-8", errors="replace") as f:
                src_text.append(f.read())
internal = set(IDENT.findall("\n".join(src_text)))

allow = {}
for line in read("tests/docs/doc_names_allow.txt").splitlines():
    line = line.split("#", 1)[0].strip()
    if line:
        allow[line.split()[0]] = line

docs = ["README.md"] + sorted("docs/" + f for f in os.listdir(os.path.join(root, "docs"))
                             if f.endswith(".md"))
docs = [d for d in docs if d not in SKIP]


def known(name, pool):
    if name.endswith("_"):
        return any(n.startswith(name) for n in pool)
    return name in pool


def split_args(text):
    depth, cur, out = 0, "", []
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


problems = []
for rel in docs:
    for lineno, line in enumerate(read(rel).splitlines(), 1):
        for m in IDENT.finditer(line):
            name = m.group(0)
            if "__" in name:
                if not known(name, internal):
                    problems.append(f"{rel}:{lineno}: {name}: internal name not found in src/")
            elif not known(name, public) and name not in allow:
                problems.append(f"{rel}:{lineno}: {name}: not in include/strata.h "
                                "(renamed? or list a non-API name in tests/docs/doc_names_allow.txt)")
        # calls with a visible argument list, e.g. `strata_db_gc(&report, db, NULL)`
        for m in re.finditer(r"\b(strata_[a-z0-9_]+)\(([^()]*(?:\([^()]*\)[^()]*)*)\)", line):
            name, args = m.group(1), split_args(m.group(2))
            if name not in protos or any(a in ("...", "…") for a in args):
                continue
            want = protos[name]
            if len(args) != len(want):
                problems.append(f"{rel}:{lineno}: {name}({m.group(2)}): {len(args)} arguments, "
                                f"include/strata.h has {len(want)}")
            elif want and args[0] == "db" and not re.search(r"\bdb$", want[0]):
                problems.append(f"{rel}:{lineno}: {name}: passes db first, include/strata.h's "
                                f"first parameter is `{want[0]}` (out-parameters come first)")

for p in problems:
    print(p)
print(f"checked strata_* names in {len(docs)} files: {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
