"""The hand-written cdef (strata/_ffi.py) must say what include/strata.h says.

ABI mode cannot read the header, so the binding restates it; a restatement drifts silently (a
parameter added in C, a renamed function, a field appended to an options struct) and then
crashes or corrupts at run time. These tests parse both with pycparser (which cffi itself
uses) and compare, in both directions:

- every STRATA_API function: name, return type and parameter types, exactly (parameter names
  are ignored; an array parameter is the pointer C makes of it, ``unsigned`` is ``unsigned int``);
- every struct, enum and typedef the header defines: the same fields (type, name, order),
  enumerators and types;
- every integer #define: the same value (the cdef restates them; cffi reads those);
- the module constants _ffi.py makes of them (``ENOTFOUND`` for ``STRATA_ENOTFOUND``, …): every
  integer #define and enumerator of the header, with its value.

Skipped when the header is not there (the package installed without the source tree).
"""

import os
import re

import pytest

pycparser = pytest.importorskip("pycparser")
from pycparser import c_ast, c_generator  # noqa: E402

from strata import _ffi  # noqa: E402

HEADER = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                       "..", "..", "..", "include", "strata.h"))

# The types the header takes from <stddef.h> and <stdint.h>; what they stand for does not
# matter, only that both sides spell the same name.
PRELUDE_TYPES = ("size_t", "int64_t", "uint64_t", "int32_t", "uint32_t", "uint8_t")
PRELUDE = "".join("typedef int %s;\n" % t for t in PRELUDE_TYPES)

pytestmark = pytest.mark.skipif(not os.path.exists(HEADER), reason="no include/strata.h here")


def _strip_comments(text):
    return re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)


def header_source(path=HEADER):
    return c_source(open(path, encoding="utf-8").read())


def c_source(text):
    """C text (the header or the cdef) as plain C for pycparser plus its object-like #defines
    {name: text}: comments and preprocessor lines dropped, ``#ifdef __cplusplus`` blocks left
    out, STRATA_API removed and #define names used in declarations replaced by their values."""
    defines = {}
    out = []
    skipping = []  # one flag per open #if: True inside a block that is left out
    for line in _strip_comments(text).splitlines():
        s = line.strip()
        if s.startswith("#"):
            words = s[1:].split()
            d = words[0] if words else ""
            if d in ("if", "ifdef", "ifndef"):
                skipping.append(d == "ifdef" and words[1:2] == ["__cplusplus"])
            elif d == "endif":
                skipping.pop()
            elif d == "define" and not any(skipping) and len(words) >= 3 and "(" not in words[1]:
                defines[words[1]] = " ".join(words[2:])
            continue
        if not any(skipping):
            out.append(line)
    text = "\n".join(out).replace("STRATA_API", "")
    for _ in range(3):  # macros defined by macros (STRATA_OID_HEXSIZE + 1)
        text = re.sub(r"\bSTRATA_[A-Z0-9_]+\b",
                      lambda m: defines.get(m.group(0), m.group(0)), text)
    return text, defines


def _parse(text):
    return pycparser.CParser().parse(PRELUDE + text, "<decls>")


_gen = c_generator.CGenerator()


def _type_text(node):
    """A declaration's type as C text without its name: arrays as pointers (a parameter),
    bare ``unsigned`` as ``unsigned int``."""
    return _spelled(_gen.visit(_unname(node)))


def _spelled(text):
    text = re.sub(r"\bunsigned(?!\s+(int|char|long|short)\b)", "unsigned int", text)
    return " ".join(text.split())


def _unname(node):
    """A copy of a parameter declaration's type with no declarator name, arrays decayed."""
    t = node.type if isinstance(node, (c_ast.Decl, c_ast.Typename)) else node
    return _strip(t)


def _strip(t):
    if isinstance(t, c_ast.TypeDecl):
        return c_ast.TypeDecl(None, t.quals, t.align, t.type)
    if isinstance(t, c_ast.PtrDecl):
        return c_ast.PtrDecl(t.quals, _strip(t.type))
    if isinstance(t, c_ast.ArrayDecl):
        return c_ast.PtrDecl(t.dim_quals, _strip(t.type))
    if isinstance(t, c_ast.FuncDecl):
        return c_ast.FuncDecl(_params(t), _strip(t.type))
    return t


def _params(func):
    """A FuncDecl's parameter list with names stripped; () and (void) alike become None."""
    if func.args is None:
        return None
    ps = func.args.params
    if (len(ps) == 1 and isinstance(ps[0], c_ast.Typename)
            and _gen.visit(ps[0]).strip() == "void"):
        return None
    return c_ast.ParamList([c_ast.Typename(None, p.quals, None, _strip(p.type)) for p in ps])


def _signature(decl):
    func = decl.type
    params = [] if _params(func) is None else [_spelled(_gen.visit(p))
                                                 for p in _params(func).params]
    return "%s (%s)" % (_type_text(func.type), ", ".join(params))


def declarations(text):
    """{"functions": {name: signature}, "structs": {name: [(type, field)]},
    "enums": {name: {enumerator: value}}, "typedefs": {name: type text}} of C text."""
    ast = _parse(text)
    funcs, structs, enums, typedefs = {}, {}, {}, {}
    consts = _enum_values(ast)

    def struct(s):
        if s.decls is not None:
            structs[s.name] = [(_field_type(f), f.name) for f in s.decls]

    def enum(e, name):
        if e.values is not None:
            enums[name or e.name or "(anonymous enum)"] = {
                v.name: consts[v.name] for v in e.values.enumerators}

    for node in ast.ext:
        if isinstance(node, c_ast.Decl) and isinstance(node.type, c_ast.FuncDecl):
            funcs[node.name] = _signature(node)
        elif isinstance(node, c_ast.Decl) and isinstance(node.type, c_ast.Struct):
            struct(node.type)
        elif isinstance(node, c_ast.Decl) and isinstance(node.type, c_ast.Enum):
            enum(node.type, None)
        elif isinstance(node, c_ast.Typedef):
            inner = node.type.type if isinstance(node.type, c_ast.TypeDecl) else None
            if isinstance(inner, c_ast.Struct):
                struct(inner)
                typedefs[node.name] = "struct " + inner.name
            elif isinstance(inner, c_ast.Enum):
                enum(inner, node.name)
                typedefs[node.name] = "enum " + str(inner.name)
            elif node.name not in PRELUDE_TYPES:
                typedefs[node.name] = _type_text(node.type)
    return {"functions": funcs, "structs": structs, "enums": enums, "typedefs": typedefs}


def _field_type(decl):
    """A struct field's type without its name; an array keeps its (evaluated) size."""
    t = decl.type
    if isinstance(t, c_ast.ArrayDecl):
        return "%s[%d]" % (_type_text(t.type), _eval(t.dim, {}))
    return _type_text(t)


def _eval(node, consts):
    """The value of an integer constant expression (literals, enumerators, + - * unary -)."""
    if isinstance(node, c_ast.Constant):
        return int(node.value.rstrip("uUlL"), 0)
    if isinstance(node, c_ast.ID):
        return consts[node.name]
    if isinstance(node, c_ast.UnaryOp) and node.op == "-":
        return -_eval(node.expr, consts)
    if isinstance(node, c_ast.BinaryOp) and node.op in "+-*":
        a, b = _eval(node.left, consts), _eval(node.right, consts)
        return {"+": a + b, "-": a - b, "*": a * b}[node.op]
    raise ValueError("not an integer constant: %s" % _gen.visit(node))


def _enum_values(ast):
    consts = {}

    class Visitor(c_ast.NodeVisitor):
        def visit_Enum(self, node):
            if node.values is None:
                return
            nxt = 0
            for v in node.values.enumerators:
                nxt = _eval(v.value, consts) if v.value is not None else nxt
                consts[v.name] = nxt
                nxt += 1

    Visitor().visit(ast)
    return consts


@pytest.fixture(scope="module")
def header():
    text, defines = header_source()
    d = declarations(text)
    d["defines"] = defines
    return d


@pytest.fixture(scope="module")
def cdef():
    text, defines = c_source(_ffi.CDEF)
    d = declarations(text)
    d["defines"] = defines
    return d


def _diff(kind, header_map, cdef_map):
    problems = []
    for name in sorted(set(header_map) | set(cdef_map)):
        if name not in cdef_map:
            problems.append("%s %s is in include/strata.h but not in the cdef: %s"
                            % (kind, name, header_map[name]))
        elif name not in header_map:
            problems.append("%s %s is in the cdef but not in include/strata.h: %s"
                            % (kind, name, cdef_map[name]))
        elif header_map[name] != cdef_map[name]:
            problems.append("%s %s differs:\n  strata.h: %s\n  cdef:     %s"
                            % (kind, name, header_map[name], cdef_map[name]))
    return problems


def test_header_parses_into_every_strata_api_function(header):
    # The parse must see every STRATA_API declaration, or the comparison below proves little.
    text = _strip_comments(open(HEADER, encoding="utf-8").read())
    n = len(re.findall(r"^\s*STRATA_API\b", text, flags=re.M))
    assert n > 100 and len(header["functions"]) == n


def test_cdef_declares_every_public_function_with_its_signature(header, cdef):
    problems = _diff("function", header["functions"], cdef["functions"])
    assert not problems, "\n".join(problems)


def test_cdef_structs_have_the_header_fields(header, cdef):
    problems = _diff("struct", header["structs"], cdef["structs"])
    assert not problems, "\n".join(problems)


def test_cdef_enums_and_typedefs_match_the_header(header, cdef):
    problems = (_diff("enum", header["enums"], cdef["enums"])
                + _diff("typedef", header["typedefs"], cdef["typedefs"]))
    assert not problems, "\n".join(problems)


def _integer_defines(defines):
    """{name: value} of the #defines that are integers (``1u``, ``(-32768)`` and ``0x10`` too)."""
    out = {}
    for name, text in defines.items():
        m = re.fullmatch(r"\(?\s*(-?\s*(0x[0-9a-fA-F]+|\d+))[uUlL]*\s*\)?", text)
        if m:
            out[name] = int(m.group(1).replace(" ", ""), 0)
    return out


def test_cdef_defines_every_integer_constant_of_the_header(header, cdef):
    problems = _diff("#define", _integer_defines(header["defines"]),
                     _integer_defines(cdef["defines"]))
    assert not problems, "\n".join(problems)


def test_module_constants_are_the_header_constants(header):
    # _ffi.ENOTFOUND, _ffi.JSON_DYNAMODB, ...: what the binding's code uses.
    consts = _integer_defines(header["defines"])
    for values in header["enums"].values():
        consts.update(values)
    want = {name[len("STRATA_"):]: value for name, value in consts.items()}
    have = {name: value for name, value in vars(_ffi).items()
            if name.isupper() and isinstance(value, int) and not isinstance(value, bool)}
    problems = _diff("constant", want, have)
    assert not problems, "\n".join(problems)
