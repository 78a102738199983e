#!/usr/bin/env python3
"""No call cycle between the files of src/db, read from the compiled objects.

For each object file of src/db in BUILD_DIR, `nm` gives the global symbols it defines and the
ones it uses (undefined). A use in a.c of a symbol defined in b.c is an edge a.c -> b.c ("a.c
calls b.c"; data references count too). Every strongly connected component of that graph with
more than one file is a cycle, and every one is printed with its edges and symbols.

The design wants a floor: lower files never call up. tests/layering/db_calls_allow.txt lists
today's upward edges ("a.c -> b.c" a line, each with a comment): with those edges taken out, the
graph must have no cycle. So a new call that closes a cycle fails the test, while the known ones
are tolerated until the restructure removes them (the list should only shrink; entries that no
longer exist or no longer close a cycle are noted).
Usage: check_db_calls.py BUILD_DIR [ALLOW_FILE]   (exits 1 on a cycle not broken by the list)
"""
import collections
import glob
import os
import subprocess
import sys

if len(sys.argv) < 2:
    sys.exit(__doc__)
build = os.path.abspath(sys.argv[1])
here = os.path.dirname(os.path.abspath(__file__))
allow_path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "db_calls_allow.txt")
nm = os.environ.get("NM", "nm")

src_db = os.path.join(os.path.dirname(os.path.dirname(here)), "src", "db")
objs = sorted(glob.glob(os.path.join(build, "CMakeFiles", "strata_db_obj.dir", "src", "db", "*.o")))
# an object file left in the build directory by a source file that was since deleted is not code
objs = [o for o in objs if os.path.exists(os.path.join(src_db, os.path.basename(o)[: -len(".o")]))]
if not objs:
    sys.exit(f"FAIL: no object files of src/db under {build} (build first)")

defined = {}                        # symbol -> file
used = collections.defaultdict(set)  # file -> symbols
for o in objs:
    f = os.path.basename(o)[: -len(".o")]  # x.c
    out = subprocess.run([nm, "-P", "-g", o], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        p = line.split()
        if len(p) < 2:
            continue
        if p[1] == "U":
            used[f].add(p[0])
        elif p[1] in "TDBRVWGS":
            defined[p[0]] = f

edges = collections.defaultdict(lambda: collections.defaultdict(set))  # a -> b -> symbols
for a, syms in used.items():
    for s in syms:
        b = defined.get(s)
        if b and b != a:
            edges[a][b].add(s)
files = sorted({os.path.basename(o)[: -len(".o")] for o in objs})


def sccs(graph_edges):
    """Tarjan's strongly connected components (iterative), only those with 2+ files."""
    index, low, on, stack, out, n = {}, {}, set(), [], [], [0]
    for root in files:
        if root in index:
            continue
        work = [(root, iter(sorted(graph_edges.get(root, {}))))]
        index[root] = low[root] = n[0]; n[0] += 1; stack.append(root); on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        x = stack.pop(); on.discard(x); comp.append(x)
                        if x == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
            elif w not in index:
                index[w] = low[w] = n[0]; n[0] += 1; stack.append(w); on.add(w)
                work.append((w, iter(sorted(graph_edges.get(w, {})))))
            elif w in on:
                low[v] = min(low[v], index[w])
    return out


def a_cycle(graph_edges, comp):
    """One elementary cycle inside component comp, as a list of files."""
    comp = set(comp)
    start = min(comp)
    path, seen = [start], {start}
    while True:
        nxt = sorted(b for b in graph_edges[path[-1]] if b in comp)
        back = [b for b in nxt if b in seen]
        if back:
            return path[path.index(back[0]):] + [back[0]]
        path.append(nxt[0]); seen.add(nxt[0])


allowed = {}
with open(allow_path, encoding="utf-8") as fh:
    for line in fh:
        line = line.split("#", 1)[0].strip()
        if line:
            a, _, b = (x.strip() for x in line.partition("->"))
            allowed[(a, b)] = True

full = sccs(edges)
for comp in full:
    print(f"cycle among {', '.join(comp)}:")
    for a in comp:
        for b in sorted(edges[a]):
            if b in comp:
                mark = "  (allowed: upward)" if (a, b) in allowed else ""
                print(f"  {a} -> {b}: {', '.join(sorted(edges[a][b]))}{mark}")

pairs = sorted((a, b) for a in edges for b in edges[a] if a < b and a in edges.get(b, {}))
if pairs:
    print("calls both ways: " + ", ".join(f"{a} <-> {b}" for a, b in pairs))

in_cycle = {(a, b) for comp in full for a in comp for b in edges[a] if b in comp}
for a, b in sorted(allowed):
    if b not in edges.get(a, {}):
        print(f"note: allow-list edge {a} -> {b} no longer exists (remove it)")
    elif (a, b) not in in_cycle:
        print(f"note: allow-list edge {a} -> {b} no longer closes a cycle (remove it)")

rest = {a: {b: s for b, s in bs.items() if (a, b) not in allowed} for a, bs in edges.items()}
bad = sccs(rest)
for comp in bad:
    print(f"FAIL: a cycle not broken by {os.path.basename(allow_path)}: "
          + " -> ".join(a_cycle(rest, comp)))
print(f"src/db calls: {len(files)} files, {sum(len(b) for b in edges.values())} file edges, "
      f"{len(full)} cycle(s) in all, {len(bad)} not allowed")
sys.exit(1 if bad else 0)
