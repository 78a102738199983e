"""Conversion between Python objects and strata values, and custom type handlers.

Python values travel to the library as DynamoDB JSON text (STRATA_JSON_DYNAMODB), which carries
every strata type exactly, and come back the same way:

    None ↔ null          bool ↔ bool            str ↔ string          bytes ↔ binary
    int, Decimal, float → number (exact decimal, at most 38 significant digits, magnitude
                          1E-130 … 9.99…E+125); number → int when integral, else Decimal
                          (or float with float_numbers=True)
    dict (str keys) ↔ map      list, tuple → list → list
    set/frozenset of str ↔ string set, of numbers ↔ number set, of bytes ↔ binary set → set

Anything else goes through a registered handler (see InlineHandler and RefHandler). A handled
object is stored as a map ``{"__strata_type__": tag, "value": <the handler's value>}`` (inline)
or ``{"__strata_type__": tag, "ref": <sha-256 hex>}`` with the bytes stored out of line, once,
in the tenant's reserved records entry ``__strata_refs__``. No pickle is ever used.

Those two shapes — a map of exactly two members, ``__strata_type__`` holding a string and
``value`` (anything) or ``ref`` (a string) — are the only maps read as handled objects. Any other
map is a plain map, even one holding ``__strata_type__`` (the CLI and other writers store such
maps freely): it is written as it is and read back with every member. A user dict that has one
of the two shapes itself is escaped as ``{"__strata_type__": "__dict__", "value": {…}}``, which
decoding undoes, so every dict round-trips unchanged.
"""

import base64
import hashlib
import json
import math
import threading
from decimal import Decimal

from .errors import InvalidArgument, LimitExceeded

TYPE_KEY = "__strata_type__"
DICT_ESCAPE_TAG = "__dict__"
REFS_ENTRY = "__strata_refs__"
MAX_DEPTH = 64  # STRATA_DOC_MAX_DEPTH: nesting of lists, maps and sets

_b64encode = base64.b64encode
_b64decode = base64.b64decode
_dumps = json.JSONEncoder(ensure_ascii=False, check_circular=False, allow_nan=False,
                          separators=(",", ":")).encode
_loads = json.loads
_NUMBER_TYPES = (int, float, Decimal)


def _is_typed(members):
    """True when map ``members`` (name -> AttributeValue, holding TYPE_KEY) has a shape the
    encoder writes for something other than a plain dict: exactly
    {TYPE_KEY: {"S": "__dict__"}, "value": {"M": …}} (an escaped dict), or, for a handler tag
    (non-empty, not starting with "__"), {TYPE_KEY: {"S": tag}, "value": any} or
    {TYPE_KEY: {"S": tag}, "ref": {"S": digest}}. The one test both directions use, so the
    encoder escapes exactly the dicts the decoder would otherwise misread."""
    if len(members) != 2:
        return False
    tag = members[TYPE_KEY].get("S")
    if type(tag) is not str or not tag:
        return False
    value = members.get("value")
    if tag == DICT_ESCAPE_TAG:
        return value is not None and "M" in value
    if tag.startswith("__"):
        return False
    if value is not None:
        return True
    ref = members.get("ref")
    return ref is not None and "S" in ref


class InlineHandler:
    """Stores objects of a custom type inside the value as a strata value.

    Subclasses implement ``is_eligible_for(obj) -> bool``, ``tag() -> str`` (unique, not
    starting with "__"), ``serialize(obj) -> value`` (anything the binding can store, e.g. a
    dict) and ``deserialize(value) -> obj``. Handlers written for MyDbEngine's
    BaseInlineHandler have these methods and work unchanged."""

    def is_eligible_for(self, obj):
        raise NotImplementedError

    def tag(self):
        raise NotImplementedError

    def serialize(self, obj):
        raise NotImplementedError

    def deserialize(self, data):
        raise NotImplementedError


class RefHandler:
    """Stores objects of a custom type as bytes out of line (large data, custom formats).

    Subclasses implement ``is_eligible_for``, ``tag``, ``serialize_to_bytes(obj) -> bytes`` and
    ``deserialize_from_bytes(data) -> obj`` (MyDbEngine's BaseRefHandler names). The bytes are
    stored once per tenant under their SHA-256; the value holds only the digest, so saving the
    same object again, in any entry, stores nothing new."""

    def is_eligible_for(self, obj):
        raise NotImplementedError

    def tag(self):
        raise NotImplementedError

    def serialize_to_bytes(self, obj):
        raise NotImplementedError

    def deserialize_from_bytes(self, data):
        raise NotImplementedError


def _is_ref_handler(handler):
    return hasattr(handler, "serialize_to_bytes")


class HandlerRegistry:
    """An ordered set of handlers, one per tag. The first eligible handler wins. Registering a
    second handler for a tag raises InvalidArgument (MyDbEngine 0.2.1 behaves the same)."""

    def __init__(self, handlers=(), parent=None):
        self._lock = threading.Lock()
        self._handlers = []
        self._by_tag = {}
        self._parent = parent
        for h in handlers:
            self.register_handler(h)

    def register_handler(self, handler):
        """Add ``handler``; raise InvalidArgument when it lacks the methods of InlineHandler
        or RefHandler, when its tag is not a non-empty str, starts with "__", or is taken."""
        need = (("is_eligible_for", "tag", "serialize_to_bytes", "deserialize_from_bytes")
                if _is_ref_handler(handler) else
                ("is_eligible_for", "tag", "serialize", "deserialize"))
        missing = [m for m in need if not callable(getattr(handler, m, None))]
        if missing:
            raise InvalidArgument("handler %r lacks %s" % (handler, ", ".join(missing)))
        tag = handler.tag()
        if not isinstance(tag, str) or not tag or tag.startswith("__"):
            raise InvalidArgument("handler tag must be a non-empty str not starting with '__',"
                                  " got %r" % (tag,))
        with self._lock:
            if tag in self._by_tag:
                raise InvalidArgument("a handler for tag %r is already registered" % tag)
            self._by_tag[tag] = handler
            self._handlers = self._handlers + [handler]

    def unregister_handler(self, tag):
        """Remove the handler of ``tag`` (NotFound-free: no error when absent)."""
        with self._lock:
            h = self._by_tag.pop(tag, None)
            if h is not None:
                self._handlers = [x for x in self._handlers if x is not h]

    def find(self, obj):
        """The first handler eligible for ``obj`` (own handlers, then the parent's), or None."""
        for h in self._handlers:
            if h.is_eligible_for(obj):
                return h
        if self._parent is not None:
            return self._parent.find(obj)
        return None

    def by_tag(self, tag):
        h = self._by_tag.get(tag)
        if h is None and self._parent is not None:
            return self._parent.by_tag(tag)
        return h

    def __len__(self):
        return len(self._handlers) + (len(self._parent) if self._parent is not None else 0)


# The process-wide registry (MyDbEngine's `handlers`): every Database consults it after its own.
handlers = HandlerRegistry()


def register_handler(handler):
    """Register ``handler`` process-wide (see HandlerRegistry.register_handler)."""
    handlers.register_handler(handler)


def unregister_handler(tag):
    """Remove the process-wide handler of ``tag`` (nothing happens when there is none)."""
    handlers.unregister_handler(tag)


def _number_text(x):
    """The exact decimal text of an int, float or Decimal; InvalidArgument when not finite.
    Range and precision (38 digits) are checked by the library, which names the problem."""
    t = type(x)
    if t is int or (isinstance(x, int) and t is not bool):
        try:
            return str(int(x))
        except ValueError:  # beyond sys.get_int_max_str_digits(): far past 38 digits anyway
            raise InvalidArgument("number has more than 38 significant digits") from None
    if t is float or isinstance(x, float):
        if not math.isfinite(x):
            raise InvalidArgument("number %r is not finite: strata numbers are exact decimals"
                                  % (x,))
        return repr(float(x))
    if not x.is_finite():
        raise InvalidArgument("number %s is not finite: strata numbers are exact decimals" % x)
    return str(x)


class Encoder:
    """One conversion of a Python object to DynamoDB JSON. ``refs`` collects the out-of-line
    bytes of RefHandler objects: {sha256 hex: bytes}."""

    __slots__ = ("registry", "refs")

    def __init__(self, registry):
        self.registry = registry
        self.refs = None

    def encode(self, obj):
        """Return the UTF-8 DynamoDB JSON bytes of ``obj``. Raises InvalidArgument (a type
        that is neither built in nor handled, a non-str map key, an empty or mixed set, a
        non-finite number, a string that is not valid Unicode) or LimitExceeded (nesting
        deeper than 64)."""
        try:
            return _dumps(self._av(obj, 0)).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidArgument("string is not valid Unicode (lone surrogate at %d)"
                                  % exc.start) from None

    def _av(self, x, depth):
        t = type(x)
        if t is str:
            return {"S": x}
        if t is dict:
            return self._map(x, depth)
        if t is int or t is float or t is Decimal:
            return {"N": _number_text(x)}
        if t is bool:
            return {"BOOL": x}
        if x is None:
            return {"NULL": True}
        if t is list or t is tuple:
            if depth >= MAX_DEPTH:
                raise LimitExceeded("value nesting is deeper than %d" % MAX_DEPTH)
            d = depth + 1
            return {"L": [self._av(v, d) for v in x]}
        if t is bytes:
            return {"B": _b64encode(x).decode("ascii")}
        if t is set or t is frozenset:
            return self._set(x, depth)
        handler = self.registry.find(x) if self.registry is not None else None
        if handler is not None:
            return self._handled(handler, x, depth)
        # Subclasses of the built-in types (after handlers, which may claim them).
        if isinstance(x, str):
            return {"S": str(x)}
        if isinstance(x, bool):
            return {"BOOL": bool(x)}
        if isinstance(x, _NUMBER_TYPES):
            return {"N": _number_text(x)}
        if isinstance(x, dict):
            return self._map(x, depth)
        if isinstance(x, (list, tuple)):
            if depth >= MAX_DEPTH:
                raise LimitExceeded("value nesting is deeper than %d" % MAX_DEPTH)
            return {"L": [self._av(v, depth + 1) for v in x]}
        if isinstance(x, (bytes, bytearray, memoryview)):
            return {"B": _b64encode(bytes(x)).decode("ascii")}
        if isinstance(x, (set, frozenset)):
            return self._set(x, depth)
        raise InvalidArgument("cannot store a %s: not a strata value type and no handler is "
                              "registered for it" % type(x).__name__)

    def _map(self, x, depth):
        if depth >= MAX_DEPTH:
            raise LimitExceeded("value nesting is deeper than %d" % MAX_DEPTH)
        d = depth + 1
        members = {}
        for k, v in x.items():
            if type(k) is not str:
                if not isinstance(k, str):
                    raise InvalidArgument("map keys must be str, got %s %r"
                                          % (type(k).__name__, k))
                k = str(k)
            members[k] = self._av(v, d)
        if TYPE_KEY in members and _is_typed(members):
            # Escape a user dict that looks like a handled object; decoding undoes it.
            if d >= MAX_DEPTH:
                raise LimitExceeded("value nesting is deeper than %d" % MAX_DEPTH)
            return {"M": {TYPE_KEY: {"S": DICT_ESCAPE_TAG}, "value": {"M": members}}}
        return {"M": members}

    def _set(self, x, depth):
        if depth >= MAX_DEPTH:
            raise LimitExceeded("value nesting is deeper than %d" % MAX_DEPTH)
        if not x:
            raise InvalidArgument("cannot store an empty set: strata sets are non-empty "
                                  "string, number or binary sets")
        if all(isinstance(v, str) for v in x):
            return {"SS": [str(v) for v in x]}
        if all(isinstance(v, _NUMBER_TYPES) and not isinstance(v, bool) for v in x):
            texts = [_number_text(v) for v in x]
            return {"NS": texts}
        if all(isinstance(v, (bytes, bytearray, memoryview)) for v in x):
            return {"BS": [_b64encode(bytes(v)).decode("ascii") for v in x]}
        raise InvalidArgument("a set must hold only str, only numbers or only bytes")

    def _handled(self, handler, x, depth):
        tag = handler.tag()
        if _is_ref_handler(handler):
            data = handler.serialize_to_bytes(x)
            if not isinstance(data, (bytes, bytearray, memoryview)):
                raise InvalidArgument("handler %r: serialize_to_bytes returned %s, not bytes"
                                      % (tag, type(data).__name__))
            data = bytes(data)
            digest = hashlib.sha256(data).hexdigest()
            if self.refs is None:
                self.refs = {}
            self.refs[digest] = data
            return {"M": {TYPE_KEY: {"S": tag}, "ref": {"S": digest}}}
        if depth >= MAX_DEPTH:
            raise LimitExceeded("value nesting is deeper than %d" % MAX_DEPTH)
        inner = handler.serialize(x)  # a handler returning its own kind hits the depth limit
        return {"M": {TYPE_KEY: {"S": tag}, "value": self._av(inner, depth + 1)}}


class Decoder:
    """One conversion of DynamoDB JSON to Python. ``load_ref(hex) -> bytes`` fetches the
    out-of-line bytes of a RefHandler object (None: refs cannot be decoded)."""

    __slots__ = ("registry", "float_numbers", "load_ref")

    def __init__(self, registry, float_numbers=False, load_ref=None):
        self.registry = registry
        self.float_numbers = float_numbers
        self.load_ref = load_ref

    def decode_text(self, text):
        return self.av(_loads(text))

    def number(self, s):
        """int when the decimal text is integral, else Decimal (float with float_numbers)."""
        if "." not in s and "E" not in s and "e" not in s:
            return int(s)
        d = Decimal(s)
        if d == d.to_integral_value():
            return int(d)
        return float(d) if self.float_numbers else d

    def av(self, av):
        """The Python object for one AttributeValue (already parsed from JSON)."""
        (t, v), = av.items()
        if t == "S":
            return v
        if t == "M":
            if TYPE_KEY in v and _is_typed(v):
                return self._typed(v)
            av_ = self.av
            return {k: av_(x) for k, x in v.items()}
        if t == "N":
            return self.number(v)
        if t == "L":
            av_ = self.av
            return [av_(x) for x in v]
        if t == "BOOL":
            return v
        if t == "NULL":
            return None
        if t == "B":
            return _b64decode(v)
        if t == "SS":
            return set(v)
        if t == "NS":
            num = self.number
            return {num(x) for x in v}
        if t == "BS":
            return {_b64decode(x) for x in v}
        raise InvalidArgument("unknown DynamoDB JSON type %r from the library" % t)

    def _typed(self, members):
        """The object of a map _is_typed() accepted: an escaped dict or a handled object."""
        tag = members[TYPE_KEY]["S"]
        if tag == DICT_ESCAPE_TAG:
            return {k: self.av(x) for k, x in members["value"]["M"].items()}
        handler = self.registry.by_tag(tag) if self.registry is not None else None
        if handler is None:
            raise InvalidArgument("stored object has type tag %r but no handler is registered "
                                  "for it (register one with strata.register_handler)" % (tag,))
        if _is_ref_handler(handler):
            ref = members.get("ref", {}).get("S")
            if ref is None:
                raise InvalidArgument("stored %r object has no ref" % tag)
            if self.load_ref is None:
                raise InvalidArgument("stored %r object refers to out-of-line bytes, which "
                                      "cannot be read here" % tag)
            return handler.deserialize_from_bytes(self.load_ref(ref))
        if "value" not in members:
            raise InvalidArgument("stored %r object has no value" % tag)
        return handler.deserialize(self.av(members["value"]))
