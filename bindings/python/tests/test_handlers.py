"""Custom types through registered handlers: inline (a strata value with a type tag) and ref
(bytes stored out of line once per tenant, addressed by SHA-256). No pickle."""

import datetime
import hashlib
import struct

import pytest

import strata
from strata.handlers import BaseInlineHandler, BaseRefHandler


class DateHandler(BaseInlineHandler):
    def is_eligible_for(self, obj):
        return isinstance(obj, datetime.date)

    def tag(self):
        return "Date"

    def serialize(self, obj):
        return {"__special__": self.tag(), "year": obj.year, "month": obj.month, "day": obj.day}

    def deserialize(self, data):
        return datetime.date(year=data["year"], month=data["month"], day=data["day"])


class Matrix:
    """A stand-in for a large array: rows of floats."""

    def __init__(self, rows):
        self.rows = [list(map(float, r)) for r in rows]

    def __eq__(self, other):
        return isinstance(other, Matrix) and other.rows == self.rows


class MatrixHandler(BaseRefHandler):
    def __init__(self):
        self.serialized = 0

    def is_eligible_for(self, obj):
        return isinstance(obj, Matrix)

    def tag(self):
        return "Matrix"

    def serialize_to_bytes(self, m):
        self.serialized += 1
        n, k = len(m.rows), len(m.rows[0]) if m.rows else 0
        return struct.pack("<II", n, k) + b"".join(struct.pack("<%dd" % k, *r) for r in m.rows)

    def deserialize_from_bytes(self, data):
        n, k = struct.unpack_from("<II", data)
        vals = struct.unpack_from("<%dd" % (n * k), data, 8)
        return Matrix([vals[i * k:(i + 1) * k] for i in range(n)])


def test_inline_handler_round_trips_a_custom_type(db, clean_handlers):
    strata.handlers.register_handler(DateHandler())  # module function
    value = {"born": datetime.date(1990, 4, 1), "dates": [datetime.date(2020, 2, 29)]}
    db.save("t", "person", value)
    assert db.load("t", "person") == value
    db.put("t", "people", "ann", datetime.date(2001, 1, 1))
    assert db.get("t", "people", "ann") == datetime.date(2001, 1, 1)


def test_stored_form_of_a_handled_object_is_a_tagged_map(db, db_path):
    d2 = strata.open(db_path + "-h", handlers=[DateHandler()])
    try:
        d2.init_tenant("t")
        d2.save("t", "e", datetime.date(2000, 1, 2))
        assert d2.load("t", "e") == datetime.date(2000, 1, 2)
    finally:
        d2.close()
    # The same data read without the handler: a clear error names the tag.
    with strata.open(db_path + "-h") as d3:
        with pytest.raises(strata.InvalidArgument, match="'Date'"):
            d3.load("t", "e")


def test_ref_handler_stores_bytes_once_and_round_trips(db_path, clean_handlers):
    h = MatrixHandler()
    strata.register_handler(h)
    big = Matrix([[i * 0.5 + j for j in range(50)] for i in range(40)])
    with strata.open(db_path) as db:
        for t in ("t1", "t2"):
            db.init_tenant(t)
        db.save("t1", "a", {"m": big, "note": "x"})
        db.save("t1", "b", [big, big])
        db.put("t2", "recs", "k", big)
        assert db.load("t1", "a") == {"m": big, "note": "x"}
        assert db.load("t1", "b") == [big, big]
        assert db.get("t2", "recs", "k") == big
        digest = hashlib.sha256(h.serialize_to_bytes(big)).hexdigest()
        refs = db.get_all("t1", strata.REFS_ENTRY)
        assert list(refs) == [digest]
        assert db.entries("t1") == ["a", "b"]  # the reserved entry is hidden
        assert len(db.history("t1", strata.REFS_ENTRY)) == 1  # stored once
        # The stored value holds only the digest.
        assert db.tenants() == ["t1", "t2"]


def test_ref_bytes_are_checked_against_their_digest(db, clean_handlers):
    strata.register_handler(MatrixHandler())
    db.save("t", "a", Matrix([[1, 2]]))
    (digest,) = db.get_all("t", strata.REFS_ENTRY)
    db._put_many_raw(b"t", strata.REFS_ENTRY.encode(), [(digest, b"tampered")],
                     db._write_options())
    with pytest.raises(strata.Corrupt, match="does not hash"):
        db.load("t", "a")


def test_reserved_entry_cannot_be_written_through_the_api(db):
    with pytest.raises(strata.InvalidArgument, match="reserved"):
        db.put("t", strata.REFS_ENTRY, "k", b"x")
    with pytest.raises(strata.InvalidArgument, match="reserved"):
        db.save("t", strata.REFS_ENTRY, 1)


def test_refs_in_a_transaction_commit_with_it(db, clean_handlers):
    strata.register_handler(MatrixHandler())
    m = Matrix([[3, 4]])
    with pytest.raises(RuntimeError):
        with db.transaction("t") as tx:
            tx.save("a", m)
            raise RuntimeError
    assert not db.exists("t", strata.REFS_ENTRY)
    with db.transaction("t") as tx:
        tx.save("a", m)
    assert db.load("t", "a") == m


def test_handler_registration_rules(clean_handlers):
    strata.register_handler(DateHandler())
    with pytest.raises(strata.InvalidArgument, match="already registered"):
        strata.register_handler(DateHandler())

    class NoTag(BaseInlineHandler):
        def is_eligible_for(self, obj):
            return False

        def tag(self):
            return "__mine"

        def serialize(self, obj):
            return obj

        def deserialize(self, d):
            return d

    with pytest.raises(strata.InvalidArgument, match="tag"):
        strata.register_handler(NoTag())
    with pytest.raises(strata.InvalidArgument, match="lacks"):
        strata.register_handler(object())


def test_handler_that_returns_its_own_type_hits_the_depth_limit(db):
    class Loop:
        pass

    class LoopHandler(BaseInlineHandler):
        def is_eligible_for(self, obj):
            return isinstance(obj, Loop)

        def tag(self):
            return "Loop"

        def serialize(self, obj):
            return obj

        def deserialize(self, d):
            return d

    with strata.open(db.path + "-loop", handlers=[LoopHandler()]) as d:
        d.init_tenant("t")
        with pytest.raises(strata.LimitExceeded):
            d.save("t", "e", Loop())
