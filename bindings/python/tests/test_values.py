"""Python values ↔ strata values: every type round-trips exactly; numbers stay exact within
strata's 38 digits and are refused beyond; bad values are refused with InvalidArgument and
change nothing."""

import random
from decimal import Decimal

import pytest

import strata


def roundtrip(db, value, entry="v"):
    db.save("t", entry, value)
    return db.load("t", entry)


@pytest.mark.parametrize("value", [
    None, True, False, "", "héllo wörld ✓ 𝄞", "a\u0000b", 0, -1, 7, {}, [], b"", b"\x00\xff" * 10,
    {"nested": {"list": [1, "two", None, [True, {"deep": b"bin"}]]}},
    {"": "empty key", "k\u00e9y": 1},
])
def test_value_round_trips_exactly(db, value):
    got = roundtrip(db, value)
    assert got == value
    assert type(got) is type(value)


def test_big_ints_up_to_38_digits_round_trip_as_int(db):
    for v in [2**63, -2**63 - 1, 2**64 + 1, 10**37 + 1, int("9" * 38), -int("9" * 38),
              10**125, 12 * 10**120]:
        got = roundtrip(db, v)
        assert got == v and type(got) is int, v


def test_int_with_39_significant_digits_is_refused(db):
    with pytest.raises(strata.InvalidArgument, match="38 significant digits"):
        db.save("t", "v", 10**38 + 1)
    assert not db.exists("t", "v")


def test_huge_int_beyond_str_conversion_limit_is_refused(db):
    with pytest.raises(strata.InvalidArgument):
        db.save("t", "v", 10**5000 + 1)


def test_decimals_with_38_digits_round_trip_exactly(db):
    vals = [Decimal("0.1"), Decimal("-3.14159265358979323846264338327950288"),
            Decimal("1.2345678901234567890123456789012345678"),
            Decimal("1E-130"), Decimal("9.9999999999999999999999999999999999999E+125"),
            Decimal("-0.00000000000000000000000000000000000001")]
    got = roundtrip(db, vals)
    assert got == vals
    assert [type(g) for g in got] == [Decimal, Decimal, Decimal, Decimal, int, Decimal]
    assert str(got[2]) == "1.2345678901234567890123456789012345678"


def test_decimal_beyond_38_digits_or_range_is_refused(db):
    for bad in [Decimal("1.23456789012345678901234567890123456789"), Decimal("1E+126"),
                Decimal("1E-131")]:
        with pytest.raises(strata.InvalidArgument):
            db.save("t", "v", {"n": bad})
    assert not db.exists("t", "v")


def test_non_finite_numbers_are_refused(db):
    for bad in [float("nan"), float("inf"), -float("inf"), Decimal("NaN"), Decimal("Infinity")]:
        with pytest.raises(strata.InvalidArgument, match="not finite"):
            db.save("t", "v", [bad])


def test_integral_numbers_come_back_as_int_others_as_decimal(db):
    got = roundtrip(db, [1.0, 2.5, Decimal("3.00"), Decimal("1E+3"), 1e20, 0.1])
    assert got == [1, Decimal("2.5"), 3, 1000, 10**20, Decimal("0.1")]
    assert [type(x) for x in got] == [int, Decimal, int, int, int, Decimal]


def test_float_numbers_option_returns_floats(db_path):
    with strata.open(db_path, float_numbers=True) as d:
        d.init_tenant("t")
        d.save("t", "v", {"a": 0.1, "b": 2, "c": Decimal("1.5")})
        got = d.load("t", "v")
    assert got == {"a": 0.1, "b": 2, "c": 1.5}
    assert type(got["a"]) is float and type(got["b"]) is int


def test_floats_round_trip_through_repr(db):
    rnd = random.Random(1234)
    vals = [rnd.uniform(-1e6, 1e6) for _ in range(200)] + [5e-100, 1.7976931348623157e+125]
    got = roundtrip(db, vals)
    assert [float(g) for g in got] == vals


def test_float_out_of_strata_range_is_refused(db):
    with pytest.raises(strata.InvalidArgument, match="magnitude"):
        db.save("t", "v", 1e300)
    with pytest.raises(strata.InvalidArgument, match="magnitude"):
        db.save("t", "v", 5e-324)


def test_sets_of_str_numbers_and_bytes_round_trip(db):
    value = {"ss": {"b", "a", "c"}, "ns": {1, Decimal("2.5"), 3.0, -10**30},
             "bs": {b"\x00", b"\xff\xfe", b"x"}, "fs": frozenset({"only"})}
    got = roundtrip(db, value)
    assert got == {"ss": {"a", "b", "c"}, "ns": {1, Decimal("2.5"), 3, -10**30},
                   "bs": {b"\x00", b"\xff\xfe", b"x"}, "fs": {"only"}}
    assert all(type(got[k]) is set for k in got)


def test_empty_and_mixed_sets_are_refused(db):
    with pytest.raises(strata.InvalidArgument, match="empty set"):
        db.save("t", "v", set())
    with pytest.raises(strata.InvalidArgument, match="only str, only numbers or only bytes"):
        db.save("t", "v", {"a", 1})
    with pytest.raises(strata.InvalidArgument):
        db.save("t", "v", {True, "x"})
    assert not db.exists("t", "v")


def test_tuples_bytearrays_and_subclasses_are_stored_as_their_base_types(db):
    class MyStr(str):
        pass

    class MyDict(dict):
        pass

    got = roundtrip(db, MyDict(a=(1, 2), b=bytearray(b"ab"), c=MyStr("s"), d=memoryview(b"m")))
    assert got == {"a": [1, 2], "b": b"ab", "c": "s", "d": b"m"}
    assert type(got["c"]) is str


def test_non_str_map_keys_are_refused(db):
    with pytest.raises(strata.InvalidArgument, match="map keys must be str"):
        db.save("t", "v", {1: "x"})


def test_unknown_types_are_refused_with_the_type_name(db):
    class Thing:
        pass

    with pytest.raises(strata.InvalidArgument, match="Thing"):
        db.save("t", "v", {"x": Thing()})
    assert not db.exists("t", "v")


def test_lone_surrogate_is_refused(db):
    with pytest.raises(strata.InvalidArgument, match="Unicode"):
        db.save("t", "v", "bad \udc80")


def test_nesting_depth_64_is_accepted_and_65_refused(db):
    v = "leaf"
    for _ in range(64):
        v = [v]
    assert roundtrip(db, v) == v
    with pytest.raises(strata.LimitExceeded):
        db.save("t", "v", [v])
    loop = []
    loop.append(loop)
    with pytest.raises(strata.LimitExceeded):
        db.save("t", "w", loop)


def test_user_dict_with_the_type_key_round_trips(db):
    value = {"__strata_type__": "looks like a tag", "value": 1, "other": [{"__strata_type__": 2}]}
    assert roundtrip(db, value) == value


def _put_plain_json(db, key, text):
    """Store ``text`` (plain JSON, as the CLI's put does) as record ``key`` of t/cli."""
    from strata._ffi import ffi, lib
    data = text.encode()
    v = ffi.new("strata_value **")
    assert lib.strata_value_from_json(v, data, len(data), 0) == 0
    try:
        out = ffi.new("strata_oid *")
        rc = db._call(lambda p: lib.strata_records_put(out, p, b"t", b"cli", key.encode(), v[0],
                                                       ffi.NULL))
        assert rc >= 0
    finally:
        lib.strata_value_free(v[0])


@pytest.mark.parametrize("text,want", [
    ('{"__strata_type__": "__dict__", "value": {"a": 1}, "extra": 2}',
     {"__strata_type__": "__dict__", "value": {"a": 1}, "extra": 2}),
    ('{"__strata_type__": "point", "x": 1, "y": 2}', {"__strata_type__": "point", "x": 1, "y": 2}),
    ('{"__strata_type__": 5, "value": 1}', {"__strata_type__": 5, "value": 1}),
    ('{"__strata_type__": null}', {"__strata_type__": None}),
    ('{"__strata_type__": "__x", "value": 1}', {"__strata_type__": "__x", "value": 1}),
    ('{"__strata_type__": "__dict__", "value": 5}', {"__strata_type__": "__dict__", "value": 5}),
    ('{"__strata_type__": "", "value": 5}', {"__strata_type__": "", "value": 5}),
    ('{"__strata_type__": "point", "ref": 7}', {"__strata_type__": "point", "ref": 7}),
    ('{"k": {"__strata_type__": "point", "value": [1], "z": 0}}',
     {"k": {"__strata_type__": "point", "value": [1], "z": 0}}),
])
def test_plain_maps_holding_the_type_key_written_by_other_writers_read_whole(db, text, want):
    """Only the exact shapes the binding writes for handled objects and escaped dicts are read
    as such; any other map holding __strata_type__ (the CLI stores them freely) is a plain
    map with every member — and writing it back stores the same bytes (no commit)."""
    _put_plain_json(db, "k", text)
    got = db.get("t", "cli", "k")
    assert got == want
    assert not db.put("t", "cli", "k", got).changed


@pytest.mark.parametrize("value", [
    {"__strata_type__": "point", "value": 3},
    {"__strata_type__": "point", "ref": "ab" * 32},
    {"__strata_type__": "__dict__", "value": {"a": 1}},
    {"__strata_type__": "__dict__", "value": {"__strata_type__": "__dict__", "value": {}}},
    {"__strata_type__": "__dict__", "value": 5},
    {"__strata_type__": 1, "value": 2},
    {"__strata_type__": "point", "value": 3, "more": 4},
])
def test_user_dicts_shaped_like_a_handled_object_round_trip(db, value):
    assert roundtrip(db, value) == value
    db.put("t", "recs", "k", value)
    assert db.get("t", "recs", "k") == value


def test_record_values_round_trip_in_records_and_get_all(db):
    items = {"a": {"n": Decimal("0.5")}, "b": {b"x", b"y"}, "c": None, "d": 10**30}
    db.put_many("t", "recs", items)
    assert db.get_all("t", "recs") == items
    assert dict(db.records("t", "recs")) == items
    assert db.get("t", "recs", "c") is None


def test_random_nested_values_round_trip(db):
    rnd = random.Random(99)

    def gen(depth):
        k = rnd.randrange(10 if depth < 5 else 6)
        if k == 0:
            return None
        if k == 1:
            return rnd.random() < 0.5
        if k == 2:
            return rnd.randrange(-10**20, 10**20)
        if k == 3:
            return "".join(chr(rnd.choice([rnd.randrange(32, 127), rnd.randrange(160, 0xD7FF)]))
                           for _ in range(rnd.randrange(8)))
        if k == 4:
            return bytes(rnd.randrange(256) for _ in range(rnd.randrange(6)))
        if k == 5:
            return Decimal(rnd.randrange(1, 10**10)) / Decimal(10 ** rnd.randrange(1, 9))
        if k in (6, 7):
            return [gen(depth + 1) for _ in range(rnd.randrange(4))]
        if k == 8:
            return {str(rnd.randrange(100)): gen(depth + 1) for _ in range(rnd.randrange(4))}
        return {rnd.choice("abcdef") + str(i) for i in range(1 + rnd.randrange(3))}

    for i in range(100):
        v = gen(0)
        if isinstance(v, Decimal) and v == v.to_integral_value():
            v = int(v)
        got = roundtrip(db, v, "r%d" % (i % 7))
        assert got == v, "seed 99 item %d" % i
