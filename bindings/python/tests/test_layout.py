"""The package's layout rules (docs/python.md, "Inside the package"): its modules import each
other without a cycle and only at the top (no import hidden inside a function to dodge one),
and only the guard in strata._util enters and leaves a C call in flight — every other module
goes through ``_call``."""

import ast
import os

PKG = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "strata")


def _modules():
    return {f[:-3]: ast.parse(open(os.path.join(PKG, f), encoding="utf-8").read(), f)
            for f in sorted(os.listdir(PKG)) if f.endswith(".py")}


def _package_imports(node):
    """Names of the package's modules a `from . import x` / `from .x import y` names."""
    if isinstance(node, ast.ImportFrom) and node.level == 1:
        if node.module:
            return [node.module.split(".")[0]]
        return [a.name for a in node.names]
    return []


def test_modules_import_each_other_without_a_cycle():
    mods = _modules()
    graph = {name: {m for node in tree.body for m in _package_imports(node) if m in mods}
             for name, tree in mods.items()}
    done, path = set(), []

    def visit(name):
        if name in path:
            raise AssertionError("import cycle: " + " -> ".join(path[path.index(name):] + [name]))
        if name in done:
            return
        path.append(name)
        for dep in sorted(graph[name]):
            visit(dep)
        path.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)


def test_no_module_imports_inside_a_function():
    late = []
    for name, tree in _modules().items():
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                late += ["%s.%s line %d" % (name, fn.name, n.lineno) for n in ast.walk(fn)
                         if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert not late, "imports inside functions: " + ", ".join(late)


def test_only_the_guard_enters_and_leaves_c_calls():
    bare = []
    for name, tree in _modules().items():
        if name == "_util":
            continue
        bare += ["%s line %d" % (name, n.lineno) for n in ast.walk(tree)
                 if isinstance(n, ast.Attribute) and n.attr in ("_enter", "_leave")]
    assert not bare, "C calls held in flight by hand instead of _call: " + ", ".join(bare)
