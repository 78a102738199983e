"""strata.delta_trace — delta-trace-db's API (``DeltaTraceDatabase``, ``QueryBuilder``, the query
nodes, sorts, ``Cause``, transactions, results …) on strata.

    from strata.delta_trace import DeltaTraceDatabase, QueryBuilder   # was: from delta_trace_db …
    db = DeltaTraceDatabase()                      # in memory (strata's ":memory:"), or
    db = DeltaTraceDatabase("./data")              # persistent
    r = db.execute_query(QueryBuilder.add(target="users", add_data=users,
                                          serial_key="id", return_data=True).build())

Storage: tenant ``delta_trace``; each collection is a strata table ``c:<name>`` whose items are
the collection's dicts plus their position ``__seq__`` (the table's key, so key order is the
seed's insertion order); a records entry ``meta`` holds each collection's serial number, next
position and existence. Every query that changes something is **one strata commit** (a
transaction of queries too), made by ``cause.who.id`` from ``cause.from_`` with the whole cause
in the commit message, so the history of the database is the history of its queries.

What runs where: a query node is compiled to a strata condition (docs/expressions.md) and
evaluated in C during the table scan — exactly for equality, ordering, ``in``, ``contains``,
``and``/``or``/``not`` of those; as a superset prefilter for ``startsWith``/``endsWith``
(whose Python check on the candidates is then exact). Regexes, typed comparisons (``v_type``
other than ``auto_``) and datetimes are evaluated in Python on the items. Sorting, offset /
startAfter / endBefore / limit, update merging and template conforming run in Python.
"""

import copy
import enum
import functools
import json
import logging
import os
import re
import threading
from collections import namedtuple
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Optional

from . import _ffi as C
from ._ffi import ffi, lib
from ._util import ABSENT, ClosesOnExit, Placeholders, Scratch, collect, text
from .db import Database
from .errors import NotFound, check

__all__ = [
    "Collection", "DeltaTraceDatabase", "UtilCopy", "UtilDslEvaluator", "TemporalTrace",
    "TimestampNode", "Actor", "Cause", "EnumActorType", "Permission", "FieldEquals",
    "FieldNotEquals", "FieldGreaterThan", "FieldLessThan", "FieldGreaterThanOrEqual",
    "FieldLessThanOrEqual", "FieldMatchesRegex", "FieldContains", "FieldIn", "FieldNotIn",
    "FieldStartsWith", "FieldEndsWith", "AndNode", "OrNode", "NotNode", "EnumNodeType",
    "EnumValueType", "QueryNode", "AbstractSort", "MultiSort", "SingleSort", "EnumQueryType",
    "MergeQueryParams", "Query", "QueryBuilder", "QueryExecutionResult", "QueryResult",
    "RawQueryBuilder", "TransactionQuery", "TransactionQueryResult", "UtilQuery",
    "CloneableFile",
]

_logger = logging.getLogger(__name__)

TENANT = "delta_trace"
MEMORY = ":memory:"  # STRATA_MEMORY: strata_db_open's in-memory database
META = "meta"
SEQ = "__seq__"
_T = TENANT.encode()
_META_B = META.encode()


# ---- enums and small values -------------------------------------------------------------------


class EnumQueryType(enum.Enum):
    add = "add"
    update = "update"
    updateOne = "updateOne"
    delete = "delete"
    deleteOne = "deleteOne"
    search = "search"
    searchOne = "searchOne"
    getAll = "getAll"
    conformToTemplate = "conformToTemplate"
    renameField = "renameField"
    count = "count"
    clear = "clear"
    clearAdd = "clearAdd"
    removeCollection = "removeCollection"
    merge = "merge"


_WRITES = {EnumQueryType.add, EnumQueryType.update, EnumQueryType.updateOne,
           EnumQueryType.delete, EnumQueryType.deleteOne, EnumQueryType.conformToTemplate,
           EnumQueryType.renameField, EnumQueryType.clear, EnumQueryType.clearAdd,
           EnumQueryType.removeCollection, EnumQueryType.merge}


class EnumNodeType(enum.Enum):
    and_ = "and_"
    or_ = "or_"
    not_ = "not_"
    equals_ = "equals_"
    notEquals_ = "notEquals_"
    greaterThan_ = "greaterThan_"
    lessThan_ = "lessThan_"
    greaterThanOrEqual_ = "greaterThanOrEqual_"
    lessThanOrEqual_ = "lessThanOrEqual_"
    regex_ = "regex_"
    contains_ = "contains_"
    in_ = "in_"
    notIn_ = "notIn_"
    startsWith_ = "startsWith_"
    endsWith_ = "endsWith_"


class EnumValueType(enum.Enum):
    auto_ = "auto_"
    datetime_ = "datetime_"
    int_ = "int_"
    floatStrict_ = "floatStrict_"
    floatEpsilon12_ = "floatEpsilon12_"
    boolean_ = "boolean_"
    string_ = "string_"


class EnumActorType(enum.Enum):
    human = "human"
    ai = "ai"
    system = "system"


class CloneableFile:
    """file_state_manager's base class: subclasses implement to_dict() and clone()."""

    def to_dict(self) -> Dict[str, Any]:
        raise NotImplementedError

    def clone(self):
        raise NotImplementedError


class UtilCopy:
    @staticmethod
    def jsonable_deep_copy(value):
        """A deep copy of a JSON-able value (dict with str keys, list, tuple → list, str, int,
        float, bool, None); ValueError for anything else."""
        t = type(value)
        if value is None or t is str or t is int or t is float or t is bool:
            return value
        if t is dict:
            out = {}
            for k, v in value.items():
                if not isinstance(k, str):
                    raise ValueError("jsonable_deep_copy: keys must be str, got %r" % (k,))
                out[k] = UtilCopy.jsonable_deep_copy(v)
            return out
        if t is list or t is tuple:
            return [UtilCopy.jsonable_deep_copy(v) for v in value]
        if isinstance(value, (str, int, float)):
            return value
        raise ValueError("jsonable_deep_copy: unsupported type %s" % t.__name__)


def _nested(data, field):
    """The value at dotted path ``field`` of dict ``data`` (None when missing)."""
    cur = data
    for part in field.split("."):
        if isinstance(cur, dict):
            cur = cur.get(part)
        elif isinstance(cur, list):
            try:
                cur = cur[int(part)]
            except (ValueError, IndexError):
                return None
        else:
            return None
        if cur is None:
            return None
    return cur


def _utc_iso(dt):
    if dt is None:
        return None
    dt = dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)
    return dt.isoformat()


def _parse_dt(v):
    if v is None:
        return None
    try:
        dt = datetime.fromisoformat(v)
    except (TypeError, ValueError):
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


# ---- cause ------------------------------------------------------------------------------------


class TimestampNode(CloneableFile):
    class_name = "TimestampNode"
    version = "1"

    def __init__(self, timestamp: datetime, location: str, context: Dict[str, Any] = None):
        self.timestamp = timestamp
        self.location = location
        self.context = context if context is not None else {}

    @classmethod
    def from_dict(cls, src):
        return cls(datetime.fromisoformat(src["timestamp"]), src["location"],
                   src.get("context", {}))

    def to_dict(self):
        return {"className": self.class_name, "version": self.version,
                "timestamp": _utc_iso(self.timestamp), "location": self.location,
                "context": UtilCopy.jsonable_deep_copy(self.context)}

    def clone(self):
        return TimestampNode.from_dict(self.to_dict())


class TemporalTrace(CloneableFile):
    class_name = "TemporalTrace"
    version = "1"

    def __init__(self, nodes: Optional[List[TimestampNode]] = None):
        self.nodes = nodes if nodes is not None else []

    @property
    def initiated_at(self):
        return self.nodes[0].timestamp if self.nodes else None

    @property
    def finalized_at(self):
        return self.nodes[-1].timestamp if self.nodes else None

    @classmethod
    def from_dict(cls, src):
        return cls([TimestampNode.from_dict(n) for n in src.get("nodes", [])])

    def to_dict(self):
        return {"className": self.class_name, "version": self.version,
                "nodes": [n.to_dict() for n in self.nodes]}

    def clone(self):
        return TemporalTrace.from_dict(self.to_dict())


class Permission(CloneableFile):
    class_name = "Permission"
    version = "1"

    def __init__(self, allows: List[EnumQueryType]):
        self.allows = list(allows)

    @classmethod
    def from_dict(cls, src):
        return cls([EnumQueryType[a] for a in src.get("allows", [])])

    def to_dict(self):
        return {"className": self.class_name, "version": self.version,
                "allows": [a.name for a in self.allows]}

    def clone(self):
        return Permission.from_dict(self.to_dict())

    def __eq__(self, other):
        return isinstance(other, Permission) and self.allows == other.allows

    def __hash__(self):
        return hash(tuple(self.allows))


class Actor(CloneableFile):
    className = "Actor"
    version = "6"

    def __init__(self, actor_type: EnumActorType, actor_id: str,
                 collection_permissions: Optional[Dict[str, Permission]] = None,
                 context: Optional[Dict[str, Any]] = None, name: Optional[str] = None,
                 email: Optional[str] = None, created_at: Optional[datetime] = None,
                 updated_at: Optional[datetime] = None, last_access: Optional[datetime] = None,
                 last_access_day: Optional[datetime] = None,
                 operation_in_day: Optional[int] = None,
                 device_ids: Optional[List[str]] = None):
        self.actor_type = actor_type
        self.actor_id = actor_id
        self.collection_permissions = collection_permissions
        self.context = context
        self.name = name
        self.email = email
        now = datetime.now(timezone.utc)
        self.created_at = _parse_dt(_utc_iso(created_at or now))
        self.updated_at = _parse_dt(_utc_iso(updated_at or self.created_at))
        self.last_access = _parse_dt(_utc_iso(last_access))
        self.last_access_day = _parse_dt(_utc_iso(last_access_day))
        self.operation_in_day = operation_in_day
        self.device_ids = device_ids

    def update_access(self, now: datetime, reset_hour: int = 5):
        if reset_hour < 0 or reset_hour > 23:
            raise ValueError("reset_hour must be between 0 and 23")
        now = _parse_dt(_utc_iso(now))
        base = now.replace(hour=reset_hour, minute=0, second=0, microsecond=0)
        if now < base:
            base -= timedelta(days=1)
        if self.last_access_day is None or self.last_access_day < base:
            self.operation_in_day = 1
            self.last_access_day = base
        else:
            self.operation_in_day = (self.operation_in_day or 0) + 1
        self.last_access = now

    @classmethod
    def from_dict(cls, src):
        perms = src.get("collectionPermissions")
        return cls(EnumActorType[src["type"]], src["id"],
                   {k: Permission.from_dict(v) for k, v in perms.items()} if perms else None,
                   src.get("context"), src.get("name"), src.get("email"),
                   _parse_dt(src.get("createdAt")), _parse_dt(src.get("updatedAt")),
                   _parse_dt(src.get("lastAccess")), _parse_dt(src.get("lastAccessDay")),
                   src.get("operationInDay"), src.get("deviceIds"))

    def to_dict(self):
        perms = self.collection_permissions
        return {"className": self.className, "version": self.version,
                "type": self.actor_type.name, "id": self.actor_id,
                "collectionPermissions": ({k: v.to_dict() for k, v in perms.items()}
                                          if perms is not None else None),
                "context": UtilCopy.jsonable_deep_copy(self.context), "name": self.name,
                "email": self.email, "createdAt": _utc_iso(self.created_at),
                "updatedAt": _utc_iso(self.updated_at), "lastAccess": _utc_iso(self.last_access),
                "lastAccessDay": _utc_iso(self.last_access_day),
                "operationInDay": self.operation_in_day,
                "deviceIds": UtilCopy.jsonable_deep_copy(self.device_ids)}

    def clone(self):
        return Actor.from_dict(self.to_dict())

    def _identity(self):
        perms = self.collection_permissions
        return (self.actor_type, self.actor_id,
                json.dumps({k: v.to_dict() for k, v in perms.items()} if perms else None,
                           sort_keys=True),
                json.dumps(self.context, sort_keys=True), self.name, self.email,
                json.dumps(self.device_ids))

    def __eq__(self, other):
        return isinstance(other, Actor) and self._identity() == other._identity()

    def __hash__(self):
        return hash(self._identity())


class Cause(CloneableFile):
    class_name = "Cause"
    version = "1"

    def __init__(self, who: Actor, when: TemporalTrace, what: str, why: str, from_: str,
                 serial: Optional[str] = None, chain_parent_serial: Optional[str] = None,
                 context: Optional[Dict[str, Any]] = None, confidence_score: float = 1.0):
        self.serial = serial
        self.chain_parent_serial = chain_parent_serial
        self.who = who
        self.when = when
        self.what = what
        self.why = why
        self.from_ = from_
        self.context = context
        self.confidence_score = confidence_score

    @classmethod
    def from_dict(cls, src):
        return cls(Actor.from_dict(src["who"]), TemporalTrace.from_dict(src["when"]),
                   src["what"], src["why"], src["from"], src.get("serial"),
                   src.get("chainParentSerial"), src.get("context"),
                   src.get("confidenceScore", 1.0))

    def to_dict(self):
        return {"className": self.class_name, "version": self.version, "serial": self.serial,
                "chainParentSerial": self.chain_parent_serial, "who": self.who.to_dict(),
                "when": self.when.to_dict(), "what": self.what, "why": self.why,
                "from": self.from_, "context": UtilCopy.jsonable_deep_copy(self.context),
                "confidenceScore": self.confidence_score}

    def clone(self):
        return Cause.from_dict(self.to_dict())


# ---- query nodes: evaluate in Python, compile to a strata condition ---------------------------


class _Params(Placeholders):
    """Placeholders of one scan; a path's numeric parts are list indexes
    ("a.0.b" → #n0[0].#n1)."""

    def path(self, dotted):
        out = []
        for part in dotted.split("."):
            if part.isdigit() and out:
                out[-1] += "[%s]" % part
                continue
            out.append(self.name(part))
        return ".".join(out)


def _c_scalar(v):
    """True when strata compares ``v`` the way Python's == / < do for stored JSON values."""
    t = type(v)
    return t is str or t is int or (t is float and v == v and abs(v) < 1e125) or t is bool


class QueryNode:
    """A search condition: evaluate(item) -> bool, to_dict(), QueryNode.from_dict(src)."""

    def evaluate(self, data: dict) -> bool:
        raise NotImplementedError

    def to_dict(self) -> dict:
        raise NotImplementedError

    def _compile(self, p):
        """(strata condition or None, exact): a condition true for every item this node
        accepts (None: no such condition); exact when it accepts nothing else."""
        return None, False

    @staticmethod
    def from_dict(src: dict) -> "QueryNode":
        t = EnumNodeType[src["type"]]
        cls = _NODE_TYPES.get(t)
        if cls is None:
            raise ValueError("unknown query node type %r" % src.get("type"))
        return cls.from_dict(src)


class _Compare(QueryNode):
    _node_type = None
    _version = "2"

    def __init__(self, field: str, value: Any, v_type: EnumValueType = EnumValueType.auto_):
        self.field = field
        self.value = value
        self.v_type = EnumValueType.datetime_ if isinstance(value, datetime) else v_type

    @classmethod
    def from_dict(cls, src):
        t = EnumValueType[src["vType"]]
        v = datetime.fromisoformat(src["value"]) if t == EnumValueType.datetime_ else src["value"]
        return cls(src["field"], v, v_type=t)

    def to_dict(self):
        v = self.value.isoformat() if isinstance(self.value, datetime) else self.value
        return {"type": self._node_type.name, "field": self.field, "value": v,
                "vType": self.v_type.name, "version": self._version}

    def _typed(self, f):
        """(field value, compare value) cast as v_type says (raises when impossible)."""
        vt, v = self.v_type, self.value
        if vt == EnumValueType.datetime_:
            return datetime.fromisoformat(str(f)), v
        if vt == EnumValueType.int_:
            return int(str(f)), int(v)
        if vt in (EnumValueType.floatStrict_, EnumValueType.floatEpsilon12_):
            return float(str(f)), float(v)
        if vt == EnumValueType.string_:
            return str(f), str(v)
        return f, v


class FieldEquals(_Compare):
    _node_type = EnumNodeType.equals_

    def evaluate(self, data):
        f = _nested(data, self.field)
        try:
            if self.v_type == EnumValueType.auto_:
                return f == self.value
            if self.v_type == EnumValueType.floatEpsilon12_:
                a, b = self._typed(f)
                return abs(a - b) < 1e-12
            if self.v_type == EnumValueType.boolean_:
                return str(f).lower() == str(self.value).lower()
            a, b = self._typed(f)
            return a == b
        except Exception:
            return False

    def _compile(self, p):
        if self.v_type != EnumValueType.auto_:
            return None, False
        path = p.path(self.field)
        if self.value is None:
            return "(attribute_not_exists(%s) OR %s = %s)" % (path, path, p.value(None)), True
        if _c_scalar(self.value) or isinstance(self.value, (dict, list)):
            return "%s = %s" % (path, p.value(self.value)), True
        return None, False


class FieldNotEquals(_Compare):
    _node_type = EnumNodeType.notEquals_

    def evaluate(self, data):
        f = _nested(data, self.field)
        try:
            if self.v_type == EnumValueType.auto_:
                return f != self.value
            if self.v_type == EnumValueType.floatEpsilon12_:
                a, b = self._typed(f)
                return abs(a - b) >= 1e-12
            if self.v_type == EnumValueType.boolean_:
                return str(f).lower() != str(self.value).lower()
            a, b = self._typed(f)
            return a != b
        except Exception:
            return False

    def _compile(self, p):
        expr, exact = FieldEquals(self.field, self.value, self.v_type)._compile(p)
        return ("NOT %s" % expr, True) if expr is not None and exact else (None, False)


class _Order(_Compare):
    _op = None
    _py = None

    def evaluate(self, data):
        f = _nested(data, self.field)
        if f is None or self.value is None:
            return False
        try:
            if self.v_type == EnumValueType.boolean_:
                return False
            if self.v_type == EnumValueType.floatEpsilon12_:
                a, b = self._typed(f)
                return self._eps(a - b)
            a, b = self._typed(f)
            return self._py(a, b)
        except Exception:
            return False

    def _compile(self, p):
        if self.v_type != EnumValueType.auto_ or not _c_scalar(self.value) \
                or type(self.value) is bool:
            return None, False
        return "%s %s %s" % (p.path(self.field), self._op, p.value(self.value)), True


class FieldGreaterThan(_Order):
    _node_type = EnumNodeType.greaterThan_
    _op = ">"
    _py = staticmethod(lambda a, b: a > b)
    _eps = staticmethod(lambda d: d > 1e-12)


class FieldLessThan(_Order):
    _node_type = EnumNodeType.lessThan_
    _op = "<"
    _py = staticmethod(lambda a, b: a < b)
    _eps = staticmethod(lambda d: -d > 1e-12)


class FieldGreaterThanOrEqual(_Order):
    _node_type = EnumNodeType.greaterThanOrEqual_
    _op = ">="
    _py = staticmethod(lambda a, b: a >= b)
    _eps = staticmethod(lambda d: d >= -1e-12)


class FieldLessThanOrEqual(_Order):
    _node_type = EnumNodeType.lessThanOrEqual_
    _op = "<="
    _py = staticmethod(lambda a, b: a <= b)
    _eps = staticmethod(lambda d: -d >= -1e-12)


class FieldMatchesRegex(QueryNode):
    """re.search(pattern, str(field)) — evaluated in Python (Python's regex dialect)."""

    def __init__(self, field: str, pattern: str):
        self.field = field
        self.pattern = pattern

    @classmethod
    def from_dict(cls, src):
        return cls(src["field"], src["pattern"])

    def evaluate(self, data):
        v = _nested(data, self.field)
        return v is not None and re.search(self.pattern, str(v)) is not None

    def to_dict(self):
        return {"type": EnumNodeType.regex_.name, "field": self.field,
                "pattern": self.pattern, "version": "1"}


class FieldContains(QueryNode):
    def __init__(self, field: str, value):
        self.field = field
        self.value = value

    @classmethod
    def from_dict(cls, src):
        return cls(src["field"], src["value"])

    def evaluate(self, data):
        v = _nested(data, self.field)
        if isinstance(v, (list, tuple, set)):
            return self.value in v
        if isinstance(v, str) and isinstance(self.value, str):
            return self.value in v
        return False

    def to_dict(self):
        return {"type": EnumNodeType.contains_.name, "field": self.field, "value": self.value,
                "version": "1"}

    def _compile(self, p):
        if not _c_scalar(self.value):
            return None, False
        path = p.path(self.field)
        expr = "contains(%s, %s)" % (path, p.value(self.value))
        if isinstance(self.value, str):
            return expr, True
        # a number is never a substring; contains() on a string field with a number is false
        return "(%s AND NOT attribute_type(%s, \"S\"))" % (expr, path), True


class _Membership(QueryNode):
    _node_type = None
    _version = "1"

    def __init__(self, field: str, values: list):
        self.field = field
        self.values = values

    @classmethod
    def from_dict(cls, src):
        return cls(src["field"], list(src["values"]))

    def to_dict(self):
        return {"type": self._node_type.name, "field": self.field, "values": self.values,
                "version": self._version}

    def _in(self, p):
        vals = list(self.values)
        if not 0 < len(vals) <= 100 or not all(v is None or _c_scalar(v) for v in vals):
            return None
        path = p.path(self.field)
        parts = []
        real = [v for v in vals if v is not None]
        if real:
            parts.append("%s IN (%s)" % (path, ", ".join(p.value(v) for v in real)))
        if len(real) != len(vals):
            parts.append("attribute_not_exists(%s) OR %s = %s" % (path, path, p.value(None)))
        return "(" + " OR ".join(parts) + ")"


class FieldIn(_Membership):
    _node_type = EnumNodeType.in_

    def evaluate(self, data):
        return _nested(data, self.field) in self.values

    def _compile(self, p):
        expr = self._in(p)
        return (expr, True) if expr else (None, False)


class FieldNotIn(_Membership):
    _node_type = EnumNodeType.notIn_
    _version = "2"

    def evaluate(self, data):
        return _nested(data, self.field) not in self.values

    def _compile(self, p):
        expr = self._in(p)
        return ("NOT " + expr, True) if expr else (None, False)


class _Affix(QueryNode):
    _node_type = None

    def __init__(self, field: str, value: str):
        self.field = field
        self.value = value

    @classmethod
    def from_dict(cls, src):
        return cls(src["field"], src["value"])

    def to_dict(self):
        return {"type": self._node_type.name, "field": self.field, "value": self.value,
                "version": "1"}

    def _compile(self, p):
        # Strings are checked in C; other present values (numbers: str(v) in Python) pass to
        # the exact Python check.
        if not isinstance(self.value, str):
            return None, False
        path = p.path(self.field)
        return ("(%s(%s, %s) OR (attribute_exists(%s) AND NOT attribute_type(%s, \"S\") AND "
                "NOT attribute_type(%s, \"NULL\")))"
                % (self._fn, path, p.value(self.value), path, path, path)), False


class FieldStartsWith(_Affix):
    _node_type = EnumNodeType.startsWith_
    _fn = "begins_with"

    def evaluate(self, data):
        f = _nested(data, self.field)
        return str(f).startswith(self.value) if f is not None else False


class FieldEndsWith(_Affix):
    _node_type = EnumNodeType.endsWith_
    _fn = "contains"

    def evaluate(self, data):
        f = _nested(data, self.field)
        return str(f).endswith(self.value) if f is not None else False


class _Junction(QueryNode):
    """AND / OR of a list of conditions (_node_type names which)."""
    _node_type = None

    def __init__(self, conditions: List[QueryNode]):
        self.conditions = conditions

    @classmethod
    def from_dict(cls, src):
        return cls([QueryNode.from_dict(dict(e)) for e in src["conditions"]])

    def to_dict(self):
        return {"type": self._node_type.name,
                "conditions": [c.to_dict() for c in self.conditions], "version": "1"}


class AndNode(_Junction):
    _node_type = EnumNodeType.and_

    def evaluate(self, data):
        return all(c.evaluate(data) for c in self.conditions)

    def _compile(self, p):
        parts, exact = [], True
        for c in self.conditions:
            e, x = c._compile(p)
            exact = exact and x and e is not None
            if e is not None:
                parts.append(e)
        if not parts:
            return None, False
        return "(" + " AND ".join(parts) + ")", exact


class OrNode(_Junction):
    _node_type = EnumNodeType.or_

    def evaluate(self, data):
        return any(c.evaluate(data) for c in self.conditions)

    def _compile(self, p):
        parts, exact = [], True
        for c in self.conditions:
            e, x = c._compile(p)
            if e is None:
                return None, False
            parts.append(e)
            exact = exact and x
        if not parts:
            return None, False
        return "(" + " OR ".join(parts) + ")", exact


class NotNode(QueryNode):
    def __init__(self, condition: QueryNode):
        self.condition = condition

    @classmethod
    def from_dict(cls, src):
        return cls(QueryNode.from_dict(dict(src["condition"])))

    def evaluate(self, data):
        return not self.condition.evaluate(data)

    def to_dict(self):
        return {"type": EnumNodeType.not_.name, "condition": self.condition.to_dict(),
                "version": "1"}

    def _compile(self, p):
        e, x = self.condition._compile(p)
        return ("NOT " + e, True) if e is not None and x else (None, False)


_NODE_TYPES = {EnumNodeType.and_: AndNode, EnumNodeType.or_: OrNode, EnumNodeType.not_: NotNode,
               EnumNodeType.equals_: FieldEquals, EnumNodeType.notEquals_: FieldNotEquals,
               EnumNodeType.greaterThan_: FieldGreaterThan,
               EnumNodeType.lessThan_: FieldLessThan,
               EnumNodeType.greaterThanOrEqual_: FieldGreaterThanOrEqual,
               EnumNodeType.lessThanOrEqual_: FieldLessThanOrEqual,
               EnumNodeType.regex_: FieldMatchesRegex, EnumNodeType.contains_: FieldContains,
               EnumNodeType.in_: FieldIn, EnumNodeType.notIn_: FieldNotIn,
               EnumNodeType.startsWith_: FieldStartsWith, EnumNodeType.endsWith_: FieldEndsWith}


# ---- sorts ------------------------------------------------------------------------------------


class AbstractSort:
    def get_comparator(self) -> Callable[[dict, dict], int]:
        raise NotImplementedError

    def to_dict(self):
        raise NotImplementedError

    @staticmethod
    def from_dict(src):
        if src.get("className") == "MultiSort":
            return MultiSort.from_dict(src)
        if src.get("className") == "SingleSort":
            return SingleSort.from_dict(src)
        raise ValueError("unknown sort class %r" % src.get("className"))


class SingleSort(AbstractSort):
    class_name = "SingleSort"
    version = "5"

    def __init__(self, field: str, reversed_: bool = False,
                 v_type: EnumValueType = EnumValueType.auto_):
        self.field = field
        self.reversed = reversed_
        self.v_type = v_type

    @classmethod
    def from_dict(cls, src):
        try:
            vt = EnumValueType[src.get("vType", "auto_")]
        except KeyError:
            vt = EnumValueType.auto_
        return cls(src["field"], src.get("reversed", False), vt)

    def to_dict(self):
        return {"className": self.class_name, "version": self.version, "field": self.field,
                "reversed": self.reversed, "vType": self.v_type.name}

    def _convert(self, v):
        if v is None:
            return None
        vt = self.v_type
        try:
            if vt == EnumValueType.datetime_:
                return v if isinstance(v, datetime) else datetime.fromisoformat(v)
            if vt == EnumValueType.int_:
                return int(v)
            if vt in (EnumValueType.floatStrict_, EnumValueType.floatEpsilon12_):
                return float(v)
            if vt == EnumValueType.boolean_:
                if isinstance(v, bool):
                    return v
                if isinstance(v, int):
                    return v != 0
                s = str(v).lower()
                if s in ("true", "1", "yes", "y"):
                    return True
                if s in ("false", "0", "no", "n"):
                    return False
                raise ValueError(v)
            if vt == EnumValueType.string_:
                return str(v)
        except (TypeError, ValueError):
            raise Exception("Cannot convert value %r to %s" % (v, vt.name)) from None
        return v

    def get_comparator(self):
        def comparator(a, b):
            av = self._convert(_nested(a, self.field))
            bv = self._convert(_nested(b, self.field))
            if av is None and bv is None:
                return 0
            if av is None:
                return -1 if self.reversed else 1
            if bv is None:
                return 1 if self.reversed else -1
            if self.v_type == EnumValueType.floatEpsilon12_:
                d = float(av) - float(bv)
                r = 0 if abs(d) < 1e-12 else (-1 if d < 0 else 1)
            elif isinstance(av, bool) and isinstance(bv, bool):
                r = int(av) - int(bv)
            elif isinstance(av, (int, float, str)) and isinstance(bv, (int, float, str)):
                if type(av) != type(bv):
                    raise Exception("Incompatible types")
                r = (av > bv) - (av < bv)
            elif isinstance(av, datetime) and isinstance(bv, datetime):
                r = (av > bv) - (av < bv)
            else:
                raise Exception("Field not comparable")
            return -r if self.reversed else r
        return comparator


class MultiSort(AbstractSort):
    class_name = "MultiSort"
    version = "1"

    def __init__(self, sort_orders: List[SingleSort]):
        self.sort_orders = sort_orders

    @classmethod
    def from_dict(cls, src):
        return cls([SingleSort.from_dict(e) for e in src.get("sortOrders", [])])

    def to_dict(self):
        return {"className": self.class_name, "version": self.version,
                "sortOrders": [s.to_dict() for s in self.sort_orders]}

    def get_comparator(self):
        comps = [s.get_comparator() for s in self.sort_orders]

        def comparator(a, b):
            for c in comps:
                r = c(a, b)
                if r:
                    return r
            return 0
        return comparator


# ---- queries and results ---------------------------------------------------------------------


class MergeQueryParams(CloneableFile):
    """The parameters of a merge query: for each item of collection ``base``, the first item
    of each ``source`` collection whose ``source_keys[i]`` equals the base item's
    ``relation_key`` (or {}) is looked up, and ``dsl_tmp`` (see UtilDslEvaluator) builds the
    new item of collection ``output``. ``serial_base``: inherit that collection's serial
    number; else ``serial_key``: number the new items from 0."""

    class_name = "MergeQueryParams"
    version = "1"

    def __init__(self, *, base: str, source: List[str], relation_key: str,
                 source_keys: List[str], output: str, dsl_tmp: Dict[str, Any],
                 serial_base: Optional[str] = None, serial_key: Optional[str] = None):
        self.base, self.source, self.relation_key = base, source, relation_key
        self.source_keys, self.output, self.dsl_tmp = source_keys, output, dsl_tmp
        self.serial_base, self.serial_key = serial_base, serial_key

    @classmethod
    def from_dict(cls, src):
        return cls(base=src.get("base"), source=src.get("source"),
                   relation_key=src.get("relationKey"), source_keys=src.get("sourceKeys"),
                   output=src.get("output"), dsl_tmp=src.get("dslTmp"),
                   serial_base=src.get("serialBase"), serial_key=src.get("serialKey"))

    def to_dict(self):
        return {"className": self.class_name, "version": self.version, "base": self.base,
                "source": self.source, "relationKey": self.relation_key,
                "sourceKeys": self.source_keys, "dslTmp": self.dsl_tmp, "output": self.output,
                "serialBase": self.serial_base, "serialKey": self.serial_key}

    def clone(self):
        return MergeQueryParams.from_dict(self.to_dict())


class UtilDslEvaluator:
    """The merge template language. A template is walked recursively (dicts and lists keep
    their shape, non-strings stay as they are); each string is one expression:
    ``none``/``null``; ``int(n)``, ``float(n)``, ``bool(true|false)``, ``str(text)``
    literals; ``base`` / ``base.a.b`` (the base item or a path in it); ``N`` / ``N.a.b``
    (the N-th source item); ``[expr]`` (a one-element list); ``popped.N[a.b, c]`` (a copy
    of base/source N without the listed paths)."""

    @staticmethod
    def run(template, base, source):
        if isinstance(template, dict):
            return {k: UtilDslEvaluator.run(v, base, source) for k, v in template.items()}
        if isinstance(template, list):
            return [UtilDslEvaluator.run(v, base, source) for v in template]
        if isinstance(template, str):
            return UtilDslEvaluator.parse(template, base, source)
        return template

    @staticmethod
    def parse(dsl, base, source):
        dsl = dsl.strip()
        if dsl in ("none", "null"):
            return None
        for prefix, conv in (("int(", int), ("float(", float)):
            if dsl.startswith(prefix) and dsl.endswith(")"):
                return conv(dsl[len(prefix):-1])
        if dsl.startswith("bool(") and dsl.endswith(")"):
            v = dsl[5:-1]
            if v not in ("true", "false"):
                raise ValueError("Invalid bool literal")
            return v == "true"
        if dsl.startswith("str(") and dsl.endswith(")"):
            return dsl[4:-1]
        if dsl.startswith("[") and dsl.endswith("]"):
            return [UtilCopy.jsonable_deep_copy(UtilDslEvaluator.parse(dsl[1:-1], base, source))]
        if dsl.startswith("popped.") and dsl.endswith("]"):
            body = dsl[len("popped."):-1]
            i = body.find("[")
            if i < 0:
                raise ValueError("Invalid DSL path")
            out = UtilCopy.jsonable_deep_copy(UtilDslEvaluator._target(body[:i], base, source))
            for path in (x.strip() for x in body[i + 1:].split(",")):
                if path:
                    UtilDslEvaluator._remove(out, path)
            return out
        if not dsl:
            raise ValueError("Empty DSL path")
        dot = dsl.find(".")
        if dot == 0 or dot == len(dsl) - 1:
            raise ValueError("Invalid DSL path")
        target = UtilDslEvaluator._target(dsl if dot < 0 else dsl[:dot], base, source)
        if dot < 0:
            return UtilCopy.jsonable_deep_copy(target)
        return UtilCopy.jsonable_deep_copy(_nested(target, dsl[dot + 1:]))

    @staticmethod
    def _target(name, base, source):
        return base if name == "base" else source[int(name)]

    @staticmethod
    def _remove(root, path):
        parts = path.split(".")
        cur = root
        for key in parts[:-1]:
            nxt = cur.get(key) if isinstance(cur, dict) else None
            if not isinstance(nxt, dict):
                return
            cur = nxt
        if isinstance(cur, dict):
            cur.pop(parts[-1], None)

    @staticmethod
    def resolve_source_items(base_item, source_collections, relation_key, source_keys):
        out = []
        for i, items in enumerate(source_collections):
            want = _nested(base_item, relation_key)
            hit = None
            if want is not None:
                for it in items:
                    if _nested(it, source_keys[i]) == want:
                        hit = it
                        break
            out.append(hit if hit is not None else {})
        return out


class _QueryFields:
    """The fields of a Query, which a QueryBuilder holds too until build() (a builder's
    add_data and template may be CloneableFile objects; build() makes them dicts)."""

    def __init__(self, target: str, type_: EnumQueryType,
                 add_data: Optional[List[Dict[str, Any]]] = None,
                 override_data: Optional[Dict[str, Any]] = None,
                 template: Optional[Dict[str, Any]] = None,
                 query_node: Optional[QueryNode] = None,
                 sort_obj: Optional[AbstractSort] = None, offset: Optional[int] = None,
                 start_after: Optional[Dict[str, Any]] = None,
                 end_before: Optional[Dict[str, Any]] = None,
                 rename_before: Optional[str] = None, rename_after: Optional[str] = None,
                 limit: Optional[int] = None, return_data: bool = False,
                 must_affect_at_least_one: bool = True, serial_key: Optional[str] = None,
                 reset_serial: bool = False,
                 merge_query_params: Optional[MergeQueryParams] = None,
                 cause: Optional[Cause] = None):
        self.target = target
        self.type = type_
        self.add_data = add_data
        self.override_data = override_data
        self.template = template
        self.query_node = query_node
        self.sort_obj = sort_obj
        self.offset = offset
        self.start_after = start_after
        self.end_before = end_before
        self.rename_before = rename_before
        self.rename_after = rename_after
        self.limit = limit
        self.return_data = return_data
        self.must_affect_at_least_one = must_affect_at_least_one
        self.serial_key = serial_key
        self.reset_serial = reset_serial
        self.merge_query_params = merge_query_params
        self.cause = cause


class Query(_QueryFields, CloneableFile):
    className = "Query"
    version = "7"

    @classmethod
    def from_dict(cls, src):
        mqp = src.get("mergeQueryParams")
        return cls(src["target"], EnumQueryType[src["type"]], src.get("addData"),
                   src.get("overrideData"), src.get("template"),
                   QueryNode.from_dict(src["queryNode"]) if src.get("queryNode") else None,
                   AbstractSort.from_dict(src["sortObj"]) if src.get("sortObj") else None,
                   src.get("offset"), src.get("startAfter"), src.get("endBefore"),
                   src.get("renameBefore"), src.get("renameAfter"), src.get("limit"),
                   src.get("returnData", False), src.get("mustAffectAtLeastOne", True),
                   src.get("serialKey"), src.get("resetSerial", False),
                   MergeQueryParams.from_dict(mqp) if mqp else None,
                   Cause.from_dict(src["cause"]) if src.get("cause") else None)

    def to_dict(self):
        cp = UtilCopy.jsonable_deep_copy
        return {"className": self.className, "version": self.version, "target": self.target,
                "type": self.type.name,
                "addData": [cp(d) for d in self.add_data] if self.add_data is not None else None,
                "overrideData": cp(self.override_data), "template": cp(self.template),
                "queryNode": self.query_node.to_dict() if self.query_node else None,
                "sortObj": self.sort_obj.to_dict() if self.sort_obj else None,
                "offset": self.offset, "startAfter": cp(self.start_after),
                "endBefore": cp(self.end_before), "renameBefore": self.rename_before,
                "renameAfter": self.rename_after, "limit": self.limit,
                "returnData": self.return_data,
                "mustAffectAtLeastOne": self.must_affect_at_least_one,
                "serialKey": self.serial_key, "resetSerial": self.reset_serial,
                "mergeQueryParams": (self.merge_query_params.to_dict()
                                     if self.merge_query_params is not None else None),
                "cause": self.cause.to_dict() if self.cause else None}

    def clone(self):
        return Query.from_dict(self.to_dict())


class QueryBuilder(_QueryFields):
    """Builds a Query; the class methods name the query types (add, update, update_one,
    delete, delete_one, search, search_one, get_all, conform_to_template, rename_field,
    count, clear, clear_add, remove_collection, merge); set_offset / set_start_after /
    set_end_before / set_limit change the paging; build() makes the Query."""

    @classmethod
    def add(cls, target, add_data, return_data=False, must_affect_at_least_one=True,
            serial_key=None, cause=None):
        return cls(target, EnumQueryType.add, add_data=add_data, return_data=return_data,
                   must_affect_at_least_one=must_affect_at_least_one, serial_key=serial_key,
                   cause=cause)

    @classmethod
    def update(cls, target, query_node, override_data, return_data=False, sort_obj=None,
               must_affect_at_least_one=True, cause=None):
        return cls(target, EnumQueryType.update, query_node=query_node,
                   override_data=override_data, return_data=return_data, sort_obj=sort_obj,
                   must_affect_at_least_one=must_affect_at_least_one, cause=cause)

    @classmethod
    def update_one(cls, target, query_node, override_data, return_data=False,
                   must_affect_at_least_one=True, cause=None):
        return cls(target, EnumQueryType.updateOne, query_node=query_node,
                   override_data=override_data, return_data=return_data,
                   must_affect_at_least_one=must_affect_at_least_one, cause=cause)

    @classmethod
    def delete(cls, target, query_node, return_data=False, sort_obj=None,
               must_affect_at_least_one=True, cause=None):
        return cls(target, EnumQueryType.delete, query_node=query_node,
                   return_data=return_data, sort_obj=sort_obj,
                   must_affect_at_least_one=must_affect_at_least_one, cause=cause)

    @classmethod
    def delete_one(cls, target, query_node, return_data=False, must_affect_at_least_one=True,
                   cause=None):
        return cls(target, EnumQueryType.deleteOne, query_node=query_node,
                   return_data=return_data, must_affect_at_least_one=must_affect_at_least_one,
                   cause=cause)

    @classmethod
    def search(cls, target, query_node, sort_obj=None, offset=None, start_after=None,
               end_before=None, limit=None, cause=None):
        return cls(target, EnumQueryType.search, query_node=query_node, sort_obj=sort_obj,
                   offset=offset, start_after=start_after, end_before=end_before, limit=limit,
                   cause=cause)

    @classmethod
    def search_one(cls, target, query_node, cause=None):
        return cls(target, EnumQueryType.searchOne, query_node=query_node, cause=cause)

    @classmethod
    def get_all(cls, target, sort_obj=None, offset=None, start_after=None, end_before=None,
                limit=None, cause=None):
        return cls(target, EnumQueryType.getAll, sort_obj=sort_obj, offset=offset,
                   start_after=start_after, end_before=end_before, limit=limit, cause=cause)

    @classmethod
    def conform_to_template(cls, target, template, must_affect_at_least_one=True, cause=None):
        return cls(target, EnumQueryType.conformToTemplate, template=template,
                   must_affect_at_least_one=must_affect_at_least_one, cause=cause)

    @classmethod
    def rename_field(cls, target, rename_before, rename_after, return_data=False,
                     must_affect_at_least_one=True, cause=None):
        return cls(target, EnumQueryType.renameField, rename_before=rename_before,
                   rename_after=rename_after, return_data=return_data,
                   must_affect_at_least_one=must_affect_at_least_one, cause=cause)

    @classmethod
    def count(cls, target, cause=None):
        return cls(target, EnumQueryType.count, cause=cause)

    @classmethod
    def clear(cls, target, must_affect_at_least_one=True, reset_serial=False, cause=None):
        return cls(target, EnumQueryType.clear,
                   must_affect_at_least_one=must_affect_at_least_one,
                   reset_serial=reset_serial, cause=cause)

    @classmethod
    def clear_add(cls, target, add_data, return_data=False, must_affect_at_least_one=True,
                  serial_key=None, reset_serial=False, cause=None):
        return cls(target, EnumQueryType.clearAdd, add_data=add_data, return_data=return_data,
                   must_affect_at_least_one=must_affect_at_least_one, serial_key=serial_key,
                   reset_serial=reset_serial, cause=cause)

    @classmethod
    def remove_collection(cls, target, must_affect_at_least_one=True, cause=None):
        return cls(target, EnumQueryType.removeCollection,
                   must_affect_at_least_one=must_affect_at_least_one, cause=cause)

    @classmethod
    def merge(cls, merge_query_params, must_affect_at_least_one=True, cause=None):
        return cls(merge_query_params.output, EnumQueryType.merge,
                   merge_query_params=merge_query_params,
                   must_affect_at_least_one=must_affect_at_least_one, cause=cause)

    def set_offset(self, new_offset):
        self.offset = new_offset
        return self

    def set_start_after(self, new_start_after):
        self.start_after = new_start_after
        return self

    def set_end_before(self, new_end_before):
        self.end_before = new_end_before
        return self

    def set_limit(self, new_limit):
        self.limit = new_limit
        return self

    def _data(self, items):
        return [i.to_dict() for i in items] if items is not None else None

    def _template(self):
        t = self.template
        return t.to_dict() if hasattr(t, "to_dict") and not isinstance(t, dict) else t

    def build(self) -> Query:
        return Query(self.target, self.type, self._data(self.add_data), self.override_data,
                     self._template(), self.query_node, self.sort_obj, self.offset,
                     self.start_after, self.end_before, self.rename_before, self.rename_after,
                     self.limit, self.return_data, self.must_affect_at_least_one,
                     self.serial_key, self.reset_serial, self.merge_query_params, self.cause)


class RawQueryBuilder(QueryBuilder):
    """QueryBuilder taking dicts instead of CloneableFile objects (``raw_add_data``)."""

    @classmethod
    def add(cls, target, raw_add_data, return_data=False, must_affect_at_least_one=True,
            serial_key=None, cause=None):
        return super().add(target, raw_add_data, return_data, must_affect_at_least_one,
                           serial_key, cause)

    @classmethod
    def clear_add(cls, target, raw_add_data, return_data=False, must_affect_at_least_one=True,
                  serial_key=None, reset_serial=False, cause=None):
        return super().clear_add(target, raw_add_data, return_data, must_affect_at_least_one,
                                 serial_key, reset_serial, cause)

    def _data(self, items):
        return list(items) if items is not None else None


class TransactionQuery(CloneableFile):
    className = "TransactionQuery"
    version = "1"

    def __init__(self, queries: List[Query]):
        self.queries = queries

    @classmethod
    def from_dict(cls, src):
        return cls([Query.from_dict(q) for q in src["queries"]])

    def to_dict(self):
        return {"className": self.className, "version": self.version,
                "queries": [q.to_dict() for q in self.queries]}

    def clone(self):
        return TransactionQuery.from_dict(self.to_dict())


class QueryExecutionResult(CloneableFile):
    def __init__(self, is_success: bool):
        self.is_success = is_success


class QueryResult(QueryExecutionResult):
    class_name = "QueryResult"
    version = "6"

    def __init__(self, is_success, target, type_, result, db_length, update_count, hit_count,
                 error_message=None):
        super().__init__(is_success)
        self.target = target
        self.type = type_
        self.result = result
        self.db_length = db_length
        self.update_count = update_count
        self.hit_count = hit_count
        self.error_message = error_message

    @classmethod
    def from_dict(cls, src):
        return cls(src["isSuccess"], src.get("target", ""), EnumQueryType[src["type"]],
                   list(src["result"]), src["dbLength"], src["updateCount"], src["hitCount"],
                   src.get("errorMessage"))

    def convert(self, from_dict: Callable) -> List:
        return [from_dict(i) for i in self.result]

    def to_dict(self):
        return {"className": self.class_name, "version": self.version,
                "isSuccess": self.is_success, "target": self.target, "type": self.type.name,
                "result": UtilCopy.jsonable_deep_copy(self.result), "dbLength": self.db_length,
                "updateCount": self.update_count, "hitCount": self.hit_count,
                "errorMessage": self.error_message}

    def clone(self):
        return QueryResult.from_dict(self.to_dict())


class TransactionQueryResult(QueryExecutionResult):
    class_name = "TransactionQueryResult"
    version = "1"

    def __init__(self, is_success, results, error_message=None):
        super().__init__(is_success)
        self.results = results
        self.error_message = error_message

    @classmethod
    def from_dict(cls, src):
        return cls(src["isSuccess"], [QueryResult.from_dict(r) for r in src.get("results", [])],
                   src.get("errorMessage"))

    def to_dict(self):
        return {"className": self.class_name, "version": self.version,
                "isSuccess": self.is_success, "results": [r.to_dict() for r in self.results],
                "errorMessage": self.error_message}

    def clone(self):
        return TransactionQueryResult.from_dict(self.to_dict())


class UtilQuery:
    @staticmethod
    def convert_from_json(src):
        try:
            if src.get("className") == "Query":
                return Query.from_dict(src)
            if src.get("className") == "TransactionQuery":
                return TransactionQuery.from_dict(src)
        except Exception:
            raise ValueError("Unsupported object") from None
        raise ValueError("Unsupported object")

    @staticmethod
    def check_permissions(q, collection_permissions):
        if collection_permissions is None:
            return True
        if q.type == EnumQueryType.merge:
            mqp = q.merge_query_params
            if mqp is None:
                raise ValueError("The merge query must have MergeQueryParams.")
            names = [mqp.base] + list(mqp.source) + ([mqp.serial_base] if mqp.serial_base else [])
            for n in names:
                p = collection_permissions.get(n)
                if p is None or not ({EnumQueryType.search, EnumQueryType.searchOne}
                                     & set(p.allows)):
                    return False
            p = collection_permissions.get(mqp.output)
            return p is not None and EnumQueryType.merge in p.allows
        p = collection_permissions.get(q.target)
        return p is not None and q.type in p.allows


# ---- the store: collections as strata tables --------------------------------------------------


def _entry(name):
    return "c:" + name


def _from_plain(obj):
    """A new strata_value parsed from the plain JSON of ``obj`` (ValueError when it is not
    JSON: NaN, non-str keys, objects)."""
    try:
        data = json.dumps(obj, allow_nan=False, ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as e:
        raise ValueError("item is not JSON-able: %s" % e) from None
    out = ffi.new("strata_value **")
    check(lib.strata_value_from_json(out, data, len(data), 0))
    return out[0]


class _Store:
    """The strata side: scans with C filters, metadata, commits."""

    def __init__(self, db):
        self.db = db

    def meta(self, name, ro=None):
        kw = ro or {}
        return self.db.get(TENANT, META, name, None, **kw) if self.db.exists(TENANT, META, **kw) \
            else None

    def all_meta(self, ro=None):
        kw = ro or {}
        if not self.db.exists(TENANT, META, **kw):
            return {}
        return self.db.get_all(TENANT, META, **kw)

    def scan(self, name, node, ro=None):
        """[(seq, item)] of collection ``name`` in position order, prefiltered in C by
        ``node``'s compiled condition; second value: whether that filter was exact."""
        p = _Params()
        expr, exact = node._compile(p) if node is not None else (None, True)
        db = self.db
        e = text(_entry(name), "collection")
        rd = db._read_options(**(ro or {}))
        with Scratch(db) as sc:
            q = ffi.new("strata_query_options *")
            check(lib.strata_query_options_init(q, C.QUERY_OPTIONS_VERSION))
            q.filter = sc.cstr(expr, "filter")
            q.names = sc.mapping(p.names or None, "names")
            q.values = sc.mapping(p.values or None, "values")

            out = ffi.new("char **")
            n = ffi.new("size_t *")
            unpack, free, to_json = ffi.unpack, lib.strata_free, lib.strata_value_to_json
            value_of = lib.strata_iter_value

            def each(it):
                check(to_json(out, n, value_of(it), 0))
                try:
                    return unpack(out[0], n[0])
                finally:
                    free(out[0])
            texts = db._call(lambda h: collect(
                lambda o: lib.strata_table_scan(o, h, _T, e, q, rd.ptr), each))
        # one parse for the whole scan: much cheaper than a json.loads per item
        items = json.loads(b"[" + b",".join(texts) + b"]") if texts else []
        return [(it.pop(SEQ), it) for it in items], exact or node is None

    def count(self, name):
        return self.db.table(TENANT, _entry(name)).describe()["count"]

    def ensure_table(self, name):
        if not self.db.exists(TENANT, _entry(name)):
            self.db.create_table(TENANT, _entry(name), SEQ, user="delta_trace",
                                 message="collection %s" % name)


class _Col:
    """One collection during a query run: the stored state plus this run's changes."""

    def __init__(self, store, name, ro=None):
        self.store = store
        self.name = name
        self.ro = ro
        m = store.meta(name, ro)
        self.stored = m is not None
        self.exists = bool(m and m.get("exists"))
        self.serial_num = m["serialNum"] if m else 0
        self.next_seq = m["nextSeq"] if m else 0
        self.base_next = self.next_seq  # positions below it were stored before this run
        self.base_count = None          # stored item count, read once when needed
        self.puts = {}
        self.dels = set()
        self.dirty = False
        self.cleared = False

    def items(self, node=None, first=False):
        """[(seq, item)] matching ``node`` (all for None) in position order."""
        if self.stored and not self.cleared:
            base, exact = self.store.scan(self.name, node, self.ro)
        else:
            base, exact = [], True
        out = []
        puts, dels = self.puts, self.dels
        for seq, item in base:
            if seq in dels or seq in puts:
                continue
            if exact or node.evaluate(item):
                out.append((seq, item))
                if first and not puts:
                    return out
        if puts:
            for seq, item in puts.items():
                if node is None or node.evaluate(item):
                    out.append((seq, item))
            out.sort(key=lambda si: si[0])
        return out[:1] if first else out

    def length(self):
        """The number of items, counting this run's changes (no scan)."""
        if self.base_count is None:
            self.base_count = self.store.count(self.name) if self.stored else 0
        new = sum(1 for seq in self.puts if seq >= self.base_next)
        return self.base_count - len(self.dels) + new

    def put(self, seq, item):
        self.puts[seq] = item
        self.dels.discard(seq)
        self.dirty = True

    def add(self, item):
        seq = self.next_seq
        self.next_seq += 1
        self.put(seq, item)
        self.exists = True

    def delete(self, seq):
        self.puts.pop(seq, None)
        if seq < self.base_next:
            self.dels.add(seq)
        self.dirty = True

    def clear(self):
        for seq, _ in self.items():
            self.delete(seq)
        self.dirty = True


def _message(kind, queries):
    """The commit message: the queries' types, targets and causes as JSON."""
    return json.dumps({"kind": kind, "queries": [
        {"type": q.type.name, "target": q.target,
         "cause": q.cause.to_dict() if q.cause else None} for q in queries]},
        ensure_ascii=False, separators=(",", ":"))


class _Run:
    """The collections one query (or one transaction of queries) works on; commit() writes
    every change as one strata commit."""

    def __init__(self, store, ro=None):
        self.store = store
        self.ro = ro
        self.cols = {}

    def col(self, name):
        c = self.cols.get(name)
        if c is None:
            c = self.cols[name] = _Col(self.store, name, self.ro)
        return c

    def commit(self, queries, kind):
        dirty = [c for c in self.cols.values() if c.dirty]
        if not dirty:
            return []
        db = self.store.db
        for c in dirty:
            self.store.ensure_table(c.name)
        causes = [q.cause for q in queries if q.cause is not None]
        cause = causes[-1] if causes else None
        write = {"user": cause.who.actor_id if cause else "delta_trace",
                 "origin": cause.from_ if cause else None,
                 "message": _message(kind, queries)}
        tx = db.transaction(TENANT, **write)
        try:
            for c in dirty:
                e = _entry(c.name).encode("utf-8")
                vals = []
                try:
                    for seq in c.dels:
                        vals.append((lib.strata_txn_delete_item, _from_plain({SEQ: seq})))
                    for seq, item in c.puts.items():
                        stored = dict(item)
                        stored[SEQ] = seq
                        vals.append((lib.strata_txn_put_item, _from_plain(stored)))

                    def apply_all(ptr):  # one guarded call for the whole collection
                        for fn, v in vals:
                            rc = fn(ptr, e, v)
                            if rc < 0:
                                return rc
                        return 0
                    if vals:
                        tx._op(apply_all)
                finally:
                    for _, v in vals:
                        lib.strata_value_free(v)
                tx.put(META, c.name, {"exists": c.exists, "serialNum": c.serial_num,
                                      "nextSeq": c.next_seq})
            tx.commit()
        except BaseException:
            if tx.active:
                tx.abort()
            raise
        return [c.name for c in dirty]


def _result(ok, q, result, db_length, update_count, hit_count, error=None):
    return QueryResult(ok, q.target, q.type, result, db_length, update_count, hit_count, error)


def _fail(q, message, db_length=-1, hit_count=0):
    return _result(False, q, [], db_length, 0, hit_count, message)


def _sorted(q, items):
    if q.sort_obj is None:
        return items
    return sorted(items, key=functools.cmp_to_key(q.sort_obj.get_comparator()))


def _page(q, r):
    r = _sorted(q, r)
    if q.offset is not None:
        if q.offset > 0:
            r = r[q.offset:]
    elif q.start_after is not None:
        try:
            i = r.index(q.start_after)
            r = r[i + 1:]
        except ValueError:
            pass
    elif q.end_before is not None:
        try:
            r = r[:r.index(q.end_before)]
        except ValueError:
            pass
    if q.limit is None:
        return r
    if q.offset is None and q.start_after is None and q.end_before is not None:
        return r[-q.limit:] if len(r) > q.limit else r
    return r[:q.limit]


def _copy(x):
    return copy.deepcopy(x)


def _execute(run, q):
    """Execute query ``q`` against ``run``'s collections (the seed's semantics); returns the
    QueryResult (changes stay in ``run`` until it commits)."""
    col = run.col(q.target)
    t = q.type
    E = EnumQueryType
    if t in (E.add, E.clearAdd):
        add_data = []
        for it in q.add_data or []:
            if not isinstance(it, dict):
                raise ValueError("add_data items must be dicts, got %s" % type(it).__name__)
            add_data.append(dict(it))  # JSON-ness is checked when the items are encoded
        if q.serial_key is not None and any(q.serial_key not in it for it in add_data):
            return _fail(q, "The target serialKey does not exist", col.length())
        pre = col.length() if t == E.clearAdd else 0
        if t == E.clearAdd:
            col.clear()
            if q.reset_serial:
                col.serial_num = 0
        added = []
        for it in add_data:
            if q.serial_key is not None:
                it[q.serial_key] = col.serial_num
                col.serial_num += 1
            col.add(it)
            if q.return_data:
                added.append(it)
        col.exists = True
        col.dirty = True
        n = col.length()
        if t == E.add:
            return _result(True, q, _copy(added), n, len(add_data), 0)
        return _result(True, q, _copy(added), n, pre, pre)
    if t in (E.update, E.updateOne):
        matches = col.items(q.query_node, first=(t == E.updateOne))
        r = []
        for seq, item in matches:
            item.update(UtilCopy.jsonable_deep_copy(q.override_data or {}))
            col.put(seq, item)
            r.append(item)
        if q.return_data:
            return _result(True, q, _copy(_sorted(q, r)), col.length(), len(r), len(r))
        return _result(True, q, [], col.length(), len(r), len(r))
    if t in (E.delete, E.deleteOne):
        matches = col.items(q.query_node, first=(t == E.deleteOne))
        for seq, _ in matches:
            col.delete(seq)
        r = [it for _, it in matches]
        if t == E.deleteOne or q.return_data:
            return _result(True, q, _copy(_sorted(q, r) if t == E.delete else r),
                           col.length(), len(r), len(r))
        return _result(True, q, [], col.length(), len(r), len(r))
    if t in (E.search, E.searchOne):
        matches = [it for _, it in col.items(q.query_node, first=(t == E.searchOne))]
        hit = len(matches)
        r = matches if t == E.searchOne else _page(q, matches)
        return _result(True, q, r, col.length(), 0, hit)
    if t == E.getAll:
        items = [it for _, it in col.items()]
        return _result(True, q, _page(q, items), len(items), 0, len(items))
    if t == E.count:
        n = col.length()
        return _result(True, q, [], n, 0, n)
    if t == E.conformToTemplate:
        tmpl = q.template or {}
        items = col.items()
        for seq, item in items:
            new = {k: v for k, v in item.items() if k in tmpl}
            for k, v in tmpl.items():
                if k not in new:
                    new[k] = UtilCopy.jsonable_deep_copy(v)
            col.put(seq, new)
        col.dirty = col.dirty or bool(items)
        n = len(items)
        return _result(True, q, [], n, n, n)
    if t == E.renameField:
        items = col.items()
        for _, item in items:
            if q.rename_before not in item:
                return _fail(q, "The renameBefore key does not exist", len(items))
            if q.rename_after in item:
                return _fail(q, "An existing key was specified as the new key", len(items))
        r = []
        for seq, item in items:
            item[q.rename_after] = item.pop(q.rename_before)
            col.put(seq, item)
            if q.return_data:
                r.append(item)
        return _result(True, q, _copy(r), len(items), len(items), len(items))
    if t == E.clear:
        pre = col.length()
        col.clear()
        if q.reset_serial:
            col.serial_num = 0
        return _result(True, q, [], 0, pre, pre)
    if t == E.removeCollection:
        existed = col.exists
        if col.stored:
            col.clear()
        col.exists = False
        col.serial_num = 0
        col.dirty = col.dirty or existed
        return _result(True, q, [], 0, 1 if existed else 0, 0)
    if t == E.merge:
        return _merge(run, q)
    raise ValueError("unknown query type %r" % (t,))


def _merge(run, q):
    """A merge query: a new collection built from base + sources through the DSL template."""
    m = q.merge_query_params
    if m is None:
        return _fail(q, "Argument error", 0)
    if not run.col(m.base).exists:
        return _fail(q, "Base collection does not exist.", 0)
    if any(not run.col(s).exists for s in m.source or []):
        return _fail(q, "Source collection does not exist.", 0)
    if m.serial_base is not None and not run.col(m.serial_base).exists:
        return _fail(q, "Serial base collection does not exist.", 0)
    if len(m.source or []) != len(m.source_keys or []):
        return _fail(q, "The relationKey or relationKeys setting is invalid.", 0)
    out = run.col(m.output)
    if out.exists:
        return _fail(q, "The output collection already exists.", 0)
    sources = [[it for _, it in run.col(s).items()] for s in m.source or []]
    rows = []
    for base_item in (it for _, it in run.col(m.base).items()):
        matched = UtilDslEvaluator.resolve_source_items(base_item, sources, m.relation_key,
                                                        m.source_keys or [])
        rows.append(UtilDslEvaluator.run(m.dsl_tmp, base_item, matched))
    if m.serial_base is None and m.serial_key is not None:
        if any(not isinstance(r, dict) or m.serial_key not in r for r in rows):
            return _fail(q, "The target serialKey does not exist", 0)
    for r in rows:
        if m.serial_base is None and m.serial_key is not None:
            r[m.serial_key] = out.serial_num
            out.serial_num += 1
        out.add(r)
    if m.serial_base is not None:
        out.serial_num = run.col(m.serial_base).serial_num
    out.exists = True
    out.dirty = True
    n = out.length()
    return _result(True, q, [], n, n, 0)


def _must_affect(q, r, col):
    if q.type in _WRITES and q.must_affect_at_least_one and r.is_success and \
            r.update_count == 0:
        return _result(False, q, [], col.length(), 0, r.hit_count,
                       "No data matched the condition (mustAffectAtLeastOne=True)")
    return r


# ---- the database ---------------------------------------------------------------------------


class Collection(CloneableFile):
    """A collection: a view of one collection of a DeltaTraceDatabase (``db.collection(name)``),
    or, made by ``Collection.from_dict``, a detached copy of one (``data``, ``serial_num``)."""

    class_name = "Collection"
    version = "17"

    def __init__(self, db=None, name=None):
        self._db = db
        self._name = name
        self._data = []
        self._serial_num = 0
        self.listeners = set()
        self.named_listeners = {}

    @classmethod
    def from_dict(cls, src):
        c = cls()
        c._data = UtilCopy.jsonable_deep_copy(src.get("data", []))
        c._serial_num = src.get("serialNum", 0)
        return c

    @classmethod
    def from_data(cls, data, serial_num):
        c = cls()
        c._data = data
        c._serial_num = serial_num
        return c

    def _view(self):
        return self._db._run_read(lambda run: run.col(self._name)) if self._db else None

    @property
    def raw(self):
        """The items (a copy: the stored collection is not a Python list)."""
        if self._db is None:
            return self._data
        return [it for _, it in self._view().items()]

    @property
    def length(self):
        return len(self._data) if self._db is None else self._view().length()

    def get_serial_num(self):
        return self._serial_num if self._db is None else self._view().serial_num

    def to_dict(self):
        return {"className": self.class_name, "version": self.version, "data": self.raw,
                "serialNum": self.get_serial_num()}

    def clone(self):
        return Collection.from_dict(self.to_dict())

    def add_listener(self, cb, name=None):
        if name is None:
            self.listeners.add(cb)
        else:
            self.named_listeners[name] = cb

    def remove_listener(self, cb, name=None):
        if name is None:
            self.listeners.discard(cb)
        else:
            self.named_listeners.pop(name, None)

    def notify_listeners(self):
        for cb in list(self.listeners) + list(self.named_listeners.values()):
            try:
                cb()
            except Exception:
                _logger.error("Callback in listeners failed", exc_info=True)


HistoryEntry = namedtuple("HistoryEntry", "commit kind queries")
HistoryEntry.__doc__ = """One commit of DeltaTraceDatabase.history(): the strata ``commit``,
its ``kind`` ("query", "transaction", "restore", …) and its ``queries``: [(EnumQueryType,
target, Cause or None)]."""


class DeltaTraceDatabase(ClosesOnExit, CloneableFile):
    """delta-trace-db's database on strata. ``DeltaTraceDatabase()`` is in memory (strata's
    ":memory:" database: the same engine, no files, gone at close), ``DeltaTraceDatabase(path)``
    persistent. Thread-safe (one lock around each query, as the seed)."""

    class_name = "DeltaTraceDatabase"
    version = "16"

    def __init__(self, path=None, *, durability=None):
        if path is None or path == MEMORY:
            path = MEMORY
            durability = durability or "off"
        else:
            path = os.fspath(path)
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.path = path
        self._db = Database(path, durability=durability or "normal")
        self._store = _Store(self._db)
        self._lock = threading.RLock()
        self._views = {}
        if not self._db.tenant_exists(TENANT):
            self._db.init_tenant(TENANT, user="delta_trace")

    # -- lifetime -------------------------------------------------------------------------

    def close(self):
        if not self._db.closed:
            self._db.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    @property
    def strata(self):
        """The underlying strata.Database (tenant "delta_trace")."""
        return self._db

    # -- queries --------------------------------------------------------------------------

    def execute_query_object(self, query, collection_permissions=None):
        with self._lock:
            if isinstance(query, Query):
                return self.execute_query(query, collection_permissions)
            if isinstance(query, TransactionQuery):
                return self.execute_transaction_query(query, collection_permissions)
            if isinstance(query, dict):
                if query.get("className") == "Query":
                    return self.execute_query(Query.from_dict(query), collection_permissions)
                if query.get("className") == "TransactionQuery":
                    return self.execute_transaction_query(TransactionQuery.from_dict(query),
                                                          collection_permissions)
                raise ValueError("Unsupported query class")
            raise ValueError("Unsupported query type")

    def execute_query(self, q, collection_permissions=None, *, as_of=None, snapshot=None):
        """Execute ``q``; a query that changes something is one strata commit carrying its
        cause. ``as_of`` / ``snapshot`` (not in the seed): run a read query (search,
        searchOne, getAll, count) on the database as it was then."""
        with self._lock:
            ro = self._ro(as_of, snapshot)
            try:
                if not UtilQuery.check_permissions(q, collection_permissions):
                    return _fail(q, "Operation not permitted.")
                if ro is not None and q.type in _WRITES:
                    return _fail(q, "a query at a past moment must be a read")
                run = _Run(self._store, ro)
                r = _must_affect(q, _execute(run, q), run.col(q.target))
                if not r.is_success:
                    return r
                changed = run.commit([q], "query") if ro is None else []
            except ValueError:
                _logger.error("execute_query ArgumentError", exc_info=True)
                return _fail(q, "execute_query ArgumentError")
            except Exception:
                _logger.error("execute_query Unexpected Error", exc_info=True)
                return _fail(q, "execute_query Unexpected Error")
        self._notify(changed)
        return r

    def execute_transaction_query(self, q, collection_permissions=None):
        """All queries of ``q`` or none, as one strata commit."""
        for i in q.queries:
            if i.type in (EnumQueryType.removeCollection, EnumQueryType.merge):
                return TransactionQueryResult(False, [], "The query contains a type that is not "
                                              "permitted to be executed within a transaction.")
        with self._lock:
            run = _Run(self._store)
            results = []
            try:
                for i in q.queries:
                    if not UtilQuery.check_permissions(i, collection_permissions):
                        results.append(_fail(i, "Operation not permitted."))
                        break
                    results.append(_must_affect(i, _execute(run, i), run.col(i.target)))
                    if not results[-1].is_success:
                        break
                if any(not r.is_success for r in results):
                    return TransactionQueryResult(False, [], "Transaction failed")
                changed = run.commit(q.queries, "transaction")
            except Exception:
                _logger.error("execute_transaction_query: Transaction failed", exc_info=True)
                return TransactionQueryResult(False, [], "Transaction failed")
        self._notify(changed)
        return TransactionQueryResult(True, results)

    def _ro(self, as_of, snapshot):
        if as_of is None and snapshot is None:
            return None
        if snapshot is None:
            snapshot = self._db.snapshot(TENANT, as_of)
        return {"snapshot": snapshot}

    def _run_read(self, fn):
        with self._lock:
            return fn(_Run(self._store))

    def _notify(self, names):
        for n in names:
            v = self._views.get(n)
            if v is not None:
                v.notify_listeners()

    # -- collections ----------------------------------------------------------------------

    def collection(self, name):
        v = self._views.get(name)
        if v is None:
            v = self._views[name] = Collection(self, name)
        return v

    def find_collection(self, name):
        return self.collection(name) if self._run_read(lambda r: r.col(name).exists) else None

    def remove_collection(self, name):
        self.execute_query(QueryBuilder.remove_collection(name, must_affect_at_least_one=False)
                           .build())

    def collection_names(self):
        return sorted(k for k, m in self._store.all_meta().items() if m.get("exists"))

    @property
    def raw(self):
        return {n: self.collection(n) for n in self.collection_names()}

    def collection_to_dict(self, name):
        c = self.find_collection(name)
        return c.to_dict() if c is not None else None

    def collection_from_dict(self, name, src):
        """Replace collection ``name`` with the contents of ``src`` (Collection.to_dict), in
        one commit; listeners are kept."""
        data = src.get("data", [])
        with self._lock:
            run = _Run(self._store)
            col = run.col(name)
            col.clear()
            for it in UtilCopy.jsonable_deep_copy(data):
                col.add(it)
            col.serial_num = src.get("serialNum", 0)
            col.exists = True
            col.dirty = True
            q = QueryBuilder.clear_add(name, []).build()
            changed = run.commit([q], "collection_from_dict")
        self._notify(changed)
        return self.collection(name)

    collection_from_dict_keep_listener = collection_from_dict

    def add_listener(self, target, cb, name=None):
        self.collection(target).add_listener(cb, name=name)

    def remove_listener(self, target, cb, name=None):
        self.collection(target).remove_listener(cb, name=name)

    # -- whole database as a dict ---------------------------------------------------------

    def to_dict(self):
        with self._lock:
            return {"className": self.class_name, "version": self.version,
                    "collections": {n: self.collection(n).to_dict()
                                    for n in self.collection_names()}}

    @classmethod
    def from_dict(cls, src, path=None):
        """A new database (in memory unless ``path``) holding ``src`` (to_dict's form)."""
        cols = src.get("collections")
        if not isinstance(cols, dict):
            raise ValueError("Invalid format: 'collections' should be a dict")
        db = cls(path)
        with db._lock:
            run = _Run(db._store)
            for name, value in cols.items():
                if not isinstance(value, dict):
                    raise ValueError("Invalid format: target is not a dict")
                col = run.col(name)
                for it in UtilCopy.jsonable_deep_copy(value.get("data", [])):
                    col.add(it)
                col.serial_num = value.get("serialNum", 0)
                col.exists = True
                col.dirty = True
            run.commit([], "from_dict")
        return db

    def clone(self):
        return DeltaTraceDatabase.from_dict(self.to_dict())

    # -- beyond the seed: history and restore ---------------------------------------------

    def history(self, target=None, max_items=0):
        """The commits that changed collection ``target`` (None: any collection), newest
        first, as [HistoryEntry(commit, kind, queries)] where queries are
        [(EnumQueryType, target, Cause or None)] parsed from the commit."""
        entry = META if target is None else _entry(target)
        if not self._db.exists(TENANT, entry):
            return []
        out = []
        for c in self._db.history(TENANT, entry, max_items=max_items):
            try:
                m = json.loads(c.message or "")
            except ValueError:
                m = None
            if not isinstance(m, dict):
                out.append(HistoryEntry(c, c.message, []))
                continue
            qs = [(EnumQueryType[x["type"]], x["target"],
                   Cause.from_dict(x["cause"]) if x.get("cause") else None)
                  for x in m.get("queries", [])]
            out.append(HistoryEntry(c, m.get("kind"), qs))
        return out

    def item_history(self, target, query_node, max_items=0):
        """How the items of ``target`` matching ``query_node`` looked after each commit that
        changed the collection: [(Commit, [items])], newest first."""
        out = []
        for h in self.history(target, max_items):
            items, exact = self._store.scan(target, query_node, {"at": h.commit.digest})
            out.append((h.commit, [it for _, it in items
                                   if exact or query_node.evaluate(it)]))
        return out

    def snapshot(self, as_of=None):
        """The tenant snapshot digest of now (or of time ``as_of``) for restore/reads."""
        return self._db.snapshot(TENANT, as_of)

    def restore(self, *, as_of=None, snapshot=None, cause=None):
        """Put the whole database back as it was at time ``as_of`` (or tenant ``snapshot``),
        in one atomic strata commit carrying ``cause``: items come back, later items and
        collections disappear. Returns the commit's digest (None when nothing differed)."""
        if (as_of is None) == (snapshot is None):
            raise ValueError("give exactly one of as_of, snapshot")
        with self._lock:
            if snapshot is None:
                snapshot = self._db.snapshot(TENANT, as_of)
            db = self._db
            old_meta = self._store.all_meta({"snapshot": snapshot})
            cur_meta = self._store.all_meta()
            write = {"user": cause.who.actor_id if cause else "delta_trace",
                     "origin": cause.from_ if cause else None,
                     "message": json.dumps({"kind": "restore", "snapshot": snapshot,
                                            "queries": [{"type": "clearAdd", "target": "*",
                                                         "cause": cause.to_dict() if cause
                                                         else None}]})}
            names = set(old_meta) | set(cur_meta)
            tx = db.transaction(TENANT, **write)
            changed = []
            try:
                for name in sorted(names):
                    e = _entry(name)
                    if not db.exists(TENANT, e):
                        continue
                    try:
                        old_head = db.head(TENANT, e, snapshot=snapshot)
                    except NotFound:
                        old_head = None
                    if old_head is not None:
                        changes = db.diff(TENANT, e, old_head)
                        for ch in changes:
                            if ch.old is ABSENT:
                                tx.delete_item(e, ch.key)
                            else:
                                tx.put_item(e, ch.old)
                    else:
                        changes = db.table(TENANT, e).scan_all()
                        for item in changes:
                            tx.delete_item(e, {SEQ: item[SEQ]})
                    if changes:
                        changed.append(name)
                for name in names:
                    if name in old_meta:
                        if cur_meta.get(name) != old_meta[name]:
                            tx.put(META, name, old_meta[name])
                            changed.append(name)
                    else:
                        tx.delete(META, name)
                        changed.append(name)
                if not changed:
                    tx.abort()
                    return None
                digest = tx.commit()
            except BaseException:
                if tx.active:
                    tx.abort()
                raise
        self._notify(sorted(set(changed)))
        return digest

