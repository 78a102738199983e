"""strata.dynafile — dynafile's API (``Dynafile``, ``Event``, ``EventListener``, ``Action``,
``ActionType``) on a strata table.

    from strata.dynafile import *           # was: from dynafile import *
    db = Dynafile(path=".", pk_attribute="PK", sk_attribute="SK")
    db.put_item(item={"PK": "user#1", "SK": "user#1", "name": "Bob"})
    db.get_item(key={"PK": "user#1", "SK": "user#1"})
    list(db.query(pk="user#1", _filter="name == 'Bob'"))

The items live in one strata table (tenant ``dynafile``, entry ``items``, keyed by the
``pk_attribute`` / ``sk_attribute`` names) in the strata database ``<path>/_strata``. Every
put/delete is one crash-safe commit; ``batch_writer()`` makes one commit of its whole block.
A query is one range scan of the partition in sort-key order; filter strings (the
``filtration`` syntax the seed accepts) are compiled to strata's expression language and
evaluated in C, next to the items; callables run in Python on the items C returns.

Python types round-trip exactly, as with the seed's pickles: an item is stored as a strata map
(so filters see real numbers and strings) plus, only when needed, a small hidden attribute
``__py_types__`` recording which values were floats, tuples, Decimals, frozensets or
bytearrays, restored on every read. Other objects need a strata handler
(``strata.register_handler``) — nothing in this module uses pickle.
"""

import json
import os
import re
import threading
import time
from decimal import Decimal
from typing import Callable, NamedTuple, Optional

from ._util import Placeholders
from .db import Database
from .errors import InvalidArgument

__all__ = ["Dynafile", "Event", "EventListener", "Action", "ActionType"]

TENANT = "dynafile"
ENTRY = "items"
TYPES_ATTRIBUTE = "__py_types__"
_PAGE = 1000


class ActionType:
    PUT = "PUT"
    DELETE = "DELETE"


class Action(NamedTuple):
    op: str
    data: dict  # the key attributes for DELETE, the whole item for PUT


class Event(NamedTuple):
    action: str
    new: Optional[dict]
    old: Optional[dict]


EventListener = Callable[[Event], None]


# ---- exact Python types -------------------------------------------------------------------


def _shadow(x):
    """What a strata round trip of ``x`` would lose, as a small JSON-able tree, or None:
    "f" float, "d" Decimal, "B" bytearray, "S f"/"F"/"F f" sets of floats / frozensets,
    ["m", {key: sub}] a map, ["l", {index: sub}] a list, ["t", {index: sub}] a tuple."""
    t = type(x)
    if t is str or t is int or t is bool or x is None or t is bytes:
        return None
    if t is float:
        return "f"
    if t is dict:
        sub = None
        for k, v in x.items():
            s = _shadow(v)
            if s is not None:
                if sub is None:
                    sub = {}
                sub[k] = s
        return None if sub is None else ["m", sub]
    if t is list or t is tuple:
        sub = {}
        for i, v in enumerate(x):
            s = _shadow(v)
            if s is not None:
                sub[str(i)] = s
        if t is tuple:
            return ["t", sub]
        return ["l", sub] if sub else None
    if t is Decimal:
        return "d"
    if t is set or t is frozenset:
        floats = any(type(v) is float for v in x)
        code = ("F" if t is frozenset else "S") + (" f" if floats else "")
        return None if code == "S" else code
    if t is bytearray:
        return "B"
    return None  # handled objects, subclasses: the binding's encoder decides


def _restore(x, s):
    """``x`` as decoded from strata with the types ``s`` (from _shadow) put back."""
    if type(s) is str:
        if s == "f":
            return float(x)
        if s == "d":
            return Decimal(x)
        if s == "B":
            return bytearray(x)
        if s.endswith(" f"):
            x = {float(v) for v in x}
        return frozenset(x) if s[0] == "F" else x
    kind, sub = s
    if kind == "m":
        for k, ss in sub.items():
            if k in x:
                x[k] = _restore(x[k], ss)
        return x
    for i, ss in sub.items():
        i = int(i)
        if i < len(x):
            x[i] = _restore(x[i], ss)
    return tuple(x) if kind == "t" else x


def _to_stored(item):
    if not isinstance(item, dict):
        raise InvalidArgument("an item must be a dict, got %s" % type(item).__name__)
    s = _shadow(dict(item))
    if s is None:
        return item
    stored = dict(item)
    stored[TYPES_ATTRIBUTE] = json.dumps(s[1], separators=(",", ":"))
    return stored


def _from_stored(item):
    if item is None:
        return None
    s = item.pop(TYPES_ATTRIBUTE, None)
    if s is not None:
        _restore(item, ["m", json.loads(s)])
    return item


# ---- filter strings: filtration's syntax compiled to strata expressions ----------------------

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?![\w.])
    | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<regex>/(?:[^/\\]|\\.)*/[a-z]*)
    | (?P<op>==|!=|<=|>=|=~|<|>|\(|\)|\[|\]|,)
    | (?P<word>[A-Za-z_][\w\-]*(?:\.[A-Za-z_\d][\w\-]*)*)
    )""", re.X)
_COMPARE = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_REGEX_FLAGS = {"i": "i", "m": "m", "s": "s", "x": "x"}


def _unquote(s):
    body = s[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


class _FilterParser:
    """filtration's expression syntax: statements ``path OP rhs`` (== != < <= > >=, ``in
    [a, b]``, ``=~ /regex/flags``) or a bare ``path`` (the attribute exists), joined with
    ``and`` / ``or`` (``and`` binds tighter) and grouped with parentheses. Paths are dotted
    (``nested.a``). Right-hand sides are numbers, quoted strings, true/false/null and lists
    of those. Compiled to a strata condition expression using placeholders."""

    def __init__(self, text, params):
        self.text = text
        self.params = params
        self.toks = []
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise InvalidArgument("filter %r: cannot parse at offset %d" % (self.text, pos))
            kind = m.lastgroup
            self.toks.append((kind, m.group(kind), m.start(kind)))
            pos = m.end()
        self.i = 0

    def error(self, what):
        at = self.toks[self.i][2] if self.i < len(self.toks) else len(self.text)
        return InvalidArgument("filter %r: at offset %d: %s" % (self.text, at, what))

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None, None)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def parse(self):
        if not self.toks:
            raise self.error("empty filter")
        out = self.disjunction()
        if self.i != len(self.toks):
            raise self.error("unexpected %r" % self.peek()[1])
        return out

    def _keyword(self, word):
        kind, val, _ = self.peek()
        return kind == "word" and val.lower() == word

    def disjunction(self):
        parts = [self.conjunction()]
        while self._keyword("or"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def conjunction(self):
        parts = [self.statement()]
        while self._keyword("and"):
            self.take()
            parts.append(self.statement())
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def statement(self):
        kind, val, _ = self.peek()
        if kind == "op" and val == "(":
            self.take()
            inner = self.disjunction()
            if self.take()[1] != ")":
                self.i -= 1
                raise self.error("expected ')'")
            return inner
        if kind != "word" or val.lower() in ("and", "or"):
            raise self.error("expected an attribute path")
        self.take()
        path = self.params.path(val)
        kind, op, _ = self.peek()
        if kind == "word" and op.lower() == "in":
            self.take()
            items = self.list_literal()
            if not items:
                return "(attribute_exists(%s) AND %s <> %s)" % (path, path, path)
            return "%s IN (%s)" % (path, ", ".join(self.params.value(v) for v in items))
        if kind != "op" or op not in _COMPARE and op != "=~":
            return "attribute_exists(%s)" % path
        self.take()
        if op == "=~":
            kind, rx, _ = self.take()
            if kind != "regex":
                self.i -= 1
                raise self.error("'=~' needs a /regex/ on its right")
            end = rx.rindex("/")
            pattern, flags = rx[1:end].replace("\\/", "/"), rx[end + 1:]
            bad = [f for f in flags if f not in _REGEX_FLAGS]
            if bad:
                raise self.error("unknown regex flag %r" % bad[0])
            if flags:
                pattern = "(?%s)" % flags + pattern
            return "regex(%s, %s)" % (path, self.params.value(pattern))
        return "%s %s %s" % (path, _COMPARE[op], self.params.value(self.literal()))

    def literal(self):
        kind, val, _ = self.take()
        if kind == "num":
            return Decimal(val) if ("." in val or "e" in val.lower()) else int(val)
        if kind == "str":
            return _unquote(val)
        if kind == "word" and val.lower() in ("true", "false", "null", "none"):
            return {"true": True, "false": False}.get(val.lower())
        self.i -= 1
        raise self.error("expected a number, a quoted string, true, false or null")

    def list_literal(self):
        if self.take()[1] != "[":
            self.i -= 1
            raise self.error("'in' needs a [list] on its right")
        items = []
        if self.peek()[1] == "]":
            self.take()
            return items
        while True:
            items.append(self.literal())
            sep = self.take()[1]
            if sep == "]":
                return items
            if sep != ",":
                self.i -= 1
                raise self.error("expected ',' or ']'")


def compile_filter(text):
    """(expression, names, values) of a filtration filter string, for strata's evaluator."""
    params = Placeholders()
    expr = _FilterParser(text, params).parse()
    return expr, params.names, params.values


# ---- shared handles -------------------------------------------------------------------------

_OPEN = {}  # real path of the store → [Database, users]
_OPEN_LOCK = threading.Lock()


def _acquire(store, durability):
    key = os.path.realpath(store)
    with _OPEN_LOCK:
        held = _OPEN.get(key)
        if held is None or held[0].closed:
            os.makedirs(os.path.dirname(key), exist_ok=True)
            held = _OPEN[key] = [Database(store, durability=durability), 0]
        held[1] += 1
        return held[0]


def _release(db):
    with _OPEN_LOCK:
        for key, held in list(_OPEN.items()):
            if held[0] is db:
                held[1] -= 1
                if held[1] <= 0:
                    del _OPEN[key]
                    db.close()
                return


# ---- the database ---------------------------------------------------------------------------


class Dynafile:
    """dynafile's database interface: items in partitions (``pk_attribute``), sorted by
    ``sk_attribute`` inside a partition, optionally expiring at ``ttl_attribute`` (seconds
    since 1970; a falsy value never expires). ``durability`` (not in the seed): strata's,
    "normal" by default. Several Dynafile objects on one path in a process share one
    strata handle."""

    def __init__(self, path="", pk_attribute="PK", sk_attribute="SK", ttl_attribute=None, *,
                 durability="normal"):
        for what, v in (("pk_attribute", pk_attribute), ("sk_attribute", sk_attribute),
                        ("ttl_attribute", ttl_attribute)):
            if v is not None and (not isinstance(v, str) or not v):
                raise InvalidArgument("%s must be a non-empty str" % what)
        if pk_attribute is None:
            raise InvalidArgument("pk_attribute is required")
        self._path = os.fspath(path) or "."
        self._pk = pk_attribute
        self._sk = sk_attribute
        self._ttl = ttl_attribute
        self._listeners = []
        self._db = _acquire(os.path.join(self._path, "_strata"), durability)
        try:
            self._table = self._open_table()
        except BaseException:
            _release(self._db)
            raise

    def _open_table(self):
        db = self._db
        if not db.tenant_exists(TENANT):
            db.init_tenant(TENANT, user="dynafile")
        if not db.exists(TENANT, ENTRY):
            return db.create_table(TENANT, ENTRY, self._pk, self._sk, user="dynafile")
        table = db.table(TENANT, ENTRY)
        d = table.describe()
        if d.get("pk") != self._pk or d.get("sk") != self._sk:
            raise InvalidArgument("the table at %r is keyed by pk=%r, sk=%r, not pk=%r, sk=%r"
                                  % (self._path, d.get("pk"), d.get("sk"), self._pk, self._sk))
        return table

    # -- writes ---------------------------------------------------------------------------

    def put_item(self, *, item):
        """Store ``item`` (replacing the item with the same key): one commit."""
        stored = _to_stored(item)
        if self._listeners:
            old = self._table.put_item(stored, return_values="ALL_OLD", user="dynafile")
            self._emit(Event(ActionType.PUT, item, _from_stored(old)))
        else:
            self._table.put_item(stored, user="dynafile")

    def delete_item(self, *, key):
        """Delete the item with ``key``'s key attributes; KeyError when there is none (as the
        seed)."""
        old = self._table.delete_item(self._key(key), return_values="ALL_OLD", user="dynafile")
        if old is None:
            raise KeyError(key.get(self._sk) if self._sk else key.get(self._pk))
        if self._listeners:
            self._emit(Event(ActionType.DELETE, None, _from_stored(old)))

    def batch_writer(self):
        """A context manager whose put_item/delete_item calls become one commit at the end of
        the block (nothing is written when the block raises)."""
        return BatchWriter(self)

    def execute_batch(self, actions):
        """Apply [Action] in order as one commit; events follow the commit."""
        self._execute(list(actions))

    def _execute(self, actions, events=None, stored=None):
        """Apply ``actions`` as one commit (``stored``: the PUT items' stored forms, already
        made), then emit ``events`` (None: work them out when there are listeners)."""
        if not actions:
            return
        if events is None and self._listeners:
            events = self._batch_events(actions)
        with self._table.batch_writer(user="dynafile") as batch:
            for i, a in enumerate(actions):
                if a.op == ActionType.PUT:
                    batch.put_item(stored[i] if stored is not None else _to_stored(a.data))
                elif a.op == ActionType.DELETE:
                    batch.delete_item(self._key(a.data))
                else:
                    raise InvalidArgument("unknown action %r" % (a.op,))
        for e in events or ():
            self._emit(e)

    def _batch_events(self, actions):
        """The events of a batch as the seed reports them (one per action, old = the item
        before that action), reading each key's item before the batch once."""
        state = {}
        events = []
        for a in actions:
            k = self._key(a.data)
            kt = tuple(sorted((n, repr(v)) for n, v in k.items()))
            if kt not in state:
                state[kt] = self.get_item(key=k)
            old = state[kt]
            if a.op == ActionType.PUT:
                events.append(Event(ActionType.PUT, a.data, old))
                state[kt] = a.data
            elif old is not None:
                events.append(Event(ActionType.DELETE, None, old))
                state[kt] = None
        return events

    # -- reads ----------------------------------------------------------------------------

    def get_item(self, *, key, at=None, as_of=None):
        """The item with ``key``'s key attributes, or None (missing or expired). ``at`` /
        ``as_of`` (not in the seed) read an older version."""
        item = _from_stored(self._table.get_item(self._key(key), None, at=at, as_of=as_of))
        if item is not None and self._expired(item):
            return None
        return item

    def query(self, pk, *, starts_with="", scan_index_forward=True, _filter=None, at=None,
              as_of=None):
        """The items of partition ``pk`` in sort-key order, as the seed: forward, those whose
        sort key is >= ``starts_with``; backward (scan_index_forward=False), those <= it,
        descending (None: the whole partition). ``_filter``: a callable or a filter string."""
        params = Placeholders()
        kc = "%s = %s" % (params.name(self._pk), params.value(pk))
        if self._sk is not None and starts_with is not None:
            kc += " AND %s %s %s" % (params.name(self._sk), ">=" if scan_index_forward else "<=",
                                     params.value(starts_with))
        fn, cond = self._filter(_filter, params)
        pages = self._pages(lambda start: self._table.query(
            kc, filter=cond, names=params.names, values=params.values,
            reverse=not scan_index_forward, limit=_PAGE, start_key=start, at=at, as_of=as_of))
        return self._items(pages, fn)

    def scan(self, _filter=None, *, at=None, as_of=None):
        """Every item (in key order), filtered by ``_filter`` (a callable or a filter
        string)."""
        params = Placeholders()
        fn, cond = self._filter(_filter, params)
        pages = self._pages(lambda start: self._table.scan(
            filter=cond, names=params.names or None, values=params.values or None,
            limit=_PAGE, start_key=start, at=at, as_of=as_of))
        return self._items(pages, fn)

    @staticmethod
    def _pages(read):
        start = None
        while True:
            page = read(start)
            yield page.items
            if page.last_key is None:
                return
            start = page.last_key

    @staticmethod
    def _items(pages, fn):
        for items in pages:
            for item in items:
                item = _from_stored(item)
                if fn is None or fn(item):
                    yield item

    def _filter(self, _filter, params):
        """(Python callable or None, strata condition or None) for ``_filter`` plus TTL."""
        parts = []
        if self._ttl is not None:
            t = params.name(self._ttl)
            parts.append("(NOT %s < %s OR %s = %s)" % (t, params.value(time.time()),
                                                         t, params.value(0)))
        fn = None
        if _filter is None:
            pass
        elif callable(_filter):
            fn = _filter
        elif isinstance(_filter, str):
            parts.append(_FilterParser(_filter, params).parse())
        else:
            raise InvalidArgument("_filter must be a callable or a filter string, got %s"
                                  % type(_filter).__name__)
        return fn, (" AND ".join(parts) if parts else None)

    # -- events ---------------------------------------------------------------------------

    def add_stream_listener(self, listener):
        """Call ``listener(Event(action, new, old))`` after each put and delete."""
        if not callable(listener):
            raise InvalidArgument("listener must be callable")
        self._listeners.append(listener)

    def remove_stream_listener(self, listener):
        self._listeners.remove(listener)

    def _emit(self, event):
        for listener in list(self._listeners):
            listener(event)

    # -- beyond the seed ------------------------------------------------------------------

    def sweep_ttl(self, now=None):
        """Delete the expired items in one commit; returns how many (with events)."""
        if self._ttl is None:
            return 0
        now = time.time() if now is None else now
        params = Placeholders()
        t = params.name(self._ttl)
        cond = "%s < %s AND %s <> %s" % (t, params.value(float(now)), t,
                                         params.value(0))
        pages = self._pages(lambda start: self._table.scan(
            filter=cond, names=params.names, values=params.values, limit=_PAGE,
            start_key=start))
        gone = [_from_stored(it) for items in pages for it in items]
        if gone:
            self._execute([Action(ActionType.DELETE, it) for it in gone],
                          [Event(ActionType.DELETE, None, it) for it in gone])
        return len(gone)

    def history(self, max_items=0):
        """The table's commits (strata.Commit), newest first."""
        return self._db.history(TENANT, ENTRY, max_items=max_items)

    @property
    def strata(self):
        """The underlying strata.Database (tenant "dynafile", table "items")."""
        return self._db

    def close(self):
        """Release this object's share of the strata handle (idempotent)."""
        db, self._db = self._db, None
        if db is not None:
            _release(db)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # -- internals ------------------------------------------------------------------------

    def _key(self, key):
        if not isinstance(key, dict):
            raise InvalidArgument("key must be a dict, got %s" % type(key).__name__)
        out = {self._pk: key.get(self._pk)}
        if self._sk is not None:
            out[self._sk] = key.get(self._sk)
        return out

    def _expired(self, item):
        ttl = item.get(self._ttl) if self._ttl else None
        try:
            return bool(ttl) and ttl < time.time()
        except TypeError:
            return False

    def __repr__(self):
        return "<strata.dynafile.Dynafile %r>" % self._path


class BatchWriter:
    """dynafile's batch writer: put_item(item=…) and delete_item(key=…) are collected and
    applied as one strata commit when the ``with`` block ends normally."""

    def __init__(self, db):
        self._db = db
        self._queue = None
        self._stored = None

    def put_item(self, *, item):
        self._stored.append(_to_stored(item))  # bad input fails here, not at the block's end
        self._queue.append(Action(ActionType.PUT, item))

    def delete_item(self, *, key):
        self._db._key(key)
        self._stored.append(None)
        self._queue.append(Action(ActionType.DELETE, key))

    def __enter__(self):
        self._queue = []
        self._stored = []
        return self

    def __exit__(self, exc_type, exc, tb):
        queue, self._queue = self._queue, None
        stored, self._stored = self._stored, None
        if exc_type is None:
            self._db._execute(queue, stored=stored)
        return False
