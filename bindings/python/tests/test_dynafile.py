"""strata.dynafile: dynafile's API (eruvanos/dynafile; README /work/shared/seeds/002_*.txt) on a
strata table — items, query/scan semantics, filters (callables and filtration strings compiled
to strata expressions), batch writer, events, TTL, exact Python types, bad input, crash."""

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from operator import itemgetter

import pytest

import strata
from strata.dynafile import Action, ActionType, Dynafile, Event, EventListener, compile_filter

README_API = '''\
from dynafile import *

# init DB interface
db = Dynafile(path=".", pk_attribute="PK", sk_attribute="SK")

# put items
db.put_item(item={"PK": "user#1", "SK": "user#1", "name": "Bob"})
db.put_item(item={"PK": "user#1", "SK": "role#1", "TYPE": "sender"})
db.put_item(item={"PK": "user#2", "SK": "user#2", "name": "Alice"})

# more performant batch operation
with db.batch_writer() as writer:
    db.put_item(item={"PK": "user#3", "SK": "user#3", "name": "Steve"})
    db.delete_item(key={"PK": "user#3", "SK": "user#3"})

# retrieve items
item = db.get_item(key={
    "PK": "user#1",
    "SK": "user#1"
})

# query item collection by pk
items = list(db.query(pk="user#1"))

# scan full table
items = list(db.scan())

# add event stream listener to retrieve item modification
def print_listener(event: Event):
    print(event.action)
    print(event.old)
    print(event.new)


db.add_stream_listener(print_listener)
'''

README_TTL = '''\
import time
from dynafile import *

db = Dynafile(path=".", pk_attribute="PK", sk_attribute="SK", ttl_attribute="ttl")

item = {"PK": "1", "SK": "2", "ttl": time.time() - 1000} # expired ttl
db.put_item(item=item)

list(db.scan()) # -> []
'''


def run_readme(code, tmp_path, monkeypatch, sub):
    (tmp_path / sub).mkdir()
    monkeypatch.chdir(tmp_path / sub)
    changed = code.replace("from dynafile import *", "from strata.dynafile import *")
    assert changed != code and changed.count("\n") == code.count("\n")
    g = {}
    exec(compile(changed, "README", "exec"), g)
    g["db"].close()
    return g


def test_seed_002_readme_api_runs_with_only_the_import_changed(tmp_path, monkeypatch, capsys):
    g = run_readme(README_API, tmp_path, monkeypatch, "api")
    assert g["item"] == {"PK": "user#1", "SK": "user#1", "name": "Bob"}
    assert [i["SK"] for i in g["items"]] == ["role#1", "user#1", "user#2"]
    assert os.path.isdir(tmp_path / "api" / "_strata")


def test_seed_002_readme_ttl_runs_with_only_the_import_changed(tmp_path, monkeypatch):
    run_readme(README_TTL, tmp_path, monkeypatch, "ttl")
    with Dynafile(tmp_path / "ttl", ttl_attribute="ttl") as db:
        assert list(db.scan()) == []


@pytest.fixture
def db(tmp_path):
    d = Dynafile(tmp_path / "db", durability="off")
    yield d
    d.close()


def items3(db, extra=()):
    aa = {"PK": "1", "SK": "aa", "name": "Dynafile"}
    ab = {"PK": "1", "SK": "ab", "name": "Dynafile"}
    ac = {"PK": "1", "SK": "ac", "name": "Dynafile"}
    for it in (aa, ab, ac) + tuple(extra):
        db.put_item(item=it)
    return aa, ab, ac


# ---- items ------------------------------------------------------------------------------


def test_names_the_seed_exports():
    import strata.dynafile as m
    assert set(m.__all__) == {"Dynafile", "Event", "EventListener", "Action", "ActionType"}
    assert ActionType.PUT == "PUT" and ActionType.DELETE == "DELETE"
    assert Action(ActionType.PUT, {"a": 1}).op == "PUT"
    assert Event(action="PUT", new=None, old=None)._fields == ("action", "new", "old")
    assert EventListener is not None


def test_get_missing_is_none(db):
    assert db.get_item(key={"PK": "1", "SK": "2"}) is None


def test_put_get_delete(db):
    db.put_item(item={"PK": "1", "SK": "2", "name": "Dynafile"})
    assert db.get_item(key={"PK": "1", "SK": "2"})["name"] == "Dynafile"
    # a whole item works as a key (the seed's tests pass one)
    assert db.get_item(key={"PK": "1", "SK": "2", "name": "x"})["name"] == "Dynafile"
    db.delete_item(key={"PK": "1", "SK": "2"})
    assert db.get_item(key={"PK": "1", "SK": "2"}) is None


def test_delete_missing_raises_key_error_like_the_seed(db):
    with pytest.raises(KeyError):
        db.delete_item(key={"PK": "1", "SK": "nope"})


def test_persistent_and_two_handles_on_one_path(tmp_path):
    db1 = Dynafile(tmp_path / "db")
    db1.put_item(item={"PK": "1", "SK": "2", "name": "Dynafile"})
    db2 = Dynafile(tmp_path / "db")  # the seed's test opens a second one while the first lives
    assert db2.get_item(key={"PK": "1", "SK": "2"})["name"] == "Dynafile"
    db1.close()
    db2.close()
    with Dynafile(tmp_path / "db") as db3:
        assert db3.get_item(key={"PK": "1", "SK": "2"})["name"] == "Dynafile"


def test_python_types_round_trip_exactly(db):
    item = {"PK": "p", "SK": "s", "f": 1.0, "g": 0.1, "t": (1, (2.0, "x")), "l": [1.5, 2],
            "d": Decimal("1.25"), "n": {"deep": {"x": 3.0}}, "fs": frozenset({"a"}),
            "sf": {1.5, 2.5}, "ba": bytearray(b"ab"), "b": b"\x00", "none": None,
            "bool": True, "i": 10 ** 20}
    db.put_item(item=item)
    got = db.get_item(key={"PK": "p", "SK": "s"})
    assert got == item
    assert type(got["f"]) is float and type(got["g"]) is float
    assert type(got["t"]) is tuple and type(got["t"][1]) is tuple and type(got["t"][1][0]) is float
    assert type(got["l"]) is list and type(got["l"][0]) is float and type(got["l"][1]) is int
    assert type(got["d"]) is Decimal and type(got["fs"]) is frozenset
    assert all(type(v) is float for v in got["sf"]) and type(got["ba"]) is bytearray
    assert type(got["n"]["deep"]["x"]) is float
    assert [x for x in db.scan()] == [item]
    assert "__py_types__" not in got


def test_filters_see_real_numbers(db):
    db.put_item(item={"PK": "p", "SK": "a", "x": 1.5})
    db.put_item(item={"PK": "p", "SK": "b", "x": 3})
    assert [i["SK"] for i in db.scan(_filter="x > 1.2")] == ["a", "b"]
    assert [i["SK"] for i in db.scan(_filter="x == 1.5")] == ["a"]


# ---- query and scan -------------------------------------------------------------------


def test_query_forward(db):
    aa, ab, ac = items3(db)
    assert list(db.query(pk="1", starts_with="ab")) == [ab, ac]


def test_query_backwards(db):
    aa, ab, ac = items3(db)
    assert list(db.query(pk="1", starts_with="ab", scan_index_forward=False)) == [ab, aa]


def test_query_defaults_and_none(db):
    aa, ab, ac = items3(db, [{"PK": "2", "SK": "zz"}])
    assert list(db.query("1")) == [aa, ab, ac]
    # the seed's backward query with the default starts_with="" keeps sort keys <= "": none
    assert list(db.query("1", scan_index_forward=False)) == []
    assert list(db.query("1", starts_with=None, scan_index_forward=False)) == [ac, ab, aa]
    assert list(db.query("nope")) == []


def test_query_with_callable_filter(db):
    aa, ab, ac = items3(db, [{"PK": "1", "SK": "ba", "name": "Dynafile"}])
    assert list(db.query(pk="1", _filter=lambda i: i["SK"].startswith("a"))) == [aa, ab, ac]


def test_query_with_string_filter(db):
    aa, ab, ac = items3(db, [{"PK": "1", "SK": "ba", "name": "Dynafile"}])
    assert list(db.query(pk="1", _filter="SK =~ /^a/")) == [aa, ab, ac]


def test_query_with_string_filter_nested(db):
    aa = {"PK": "1", "SK": "aa", "data": {"count": 0}}
    ab = {"PK": "1", "SK": "ab", "data": {"count": 1}}
    db.put_item(item=aa)
    db.put_item(item=ab)
    assert list(db.query(pk="1", _filter="data.count > 0")) == [ab]


def test_query_pages_through_large_partitions(db):
    with db.batch_writer() as w:
        for i in range(2500):
            w.put_item(item={"PK": "big", "SK": "%05d" % i, "n": i})
    got = list(db.query("big", _filter="n >= 100"))
    assert len(got) == 2400 and got[0]["n"] == 100 and got[-1]["n"] == 2499


def test_scan_all_items(db):
    items3(db, [{"PK": "2", "SK": "ba"}])
    assert set(map(itemgetter("SK"), db.scan())) == {"aa", "ab", "ac", "ba"}


def test_scan_with_callable_and_string_filters(db):
    items3(db, [{"PK": "2", "SK": "ba"}])
    assert set(map(itemgetter("SK"), db.scan(_filter=lambda i: i["SK"].startswith("a")))) == \
        {"aa", "ab", "ac"}
    assert set(map(itemgetter("SK"), db.scan(_filter="SK =~ /^a/"))) == {"aa", "ab", "ac"}


@pytest.mark.parametrize("flt, expect", [
    ('name == "Bob"', ["1"]),
    ("name == 'Bob'", ["1"]),
    ('name != "Bob"', ["2", "3"]),
    ("age < 30", ["2"]),
    ("age <= 30", ["1", "2"]),
    ("age > 25", ["1"]),
    ("age >= 25", ["1", "2"]),
    ("age in [25, 99]", ["2"]),
    ('name in ["Bob", "Eve"]', ["1"]),
    ("SK =~ /^[12]$/", ["1", "2"]),
    ("name =~ /^bo/i", ["1"]),
    ("nested.a == 1", ["1"]),
    ("nested.a == 1 or age == 25", ["1", "2"]),
    ("age >= 25 and name == 'Alice'", ["2"]),
    ("(age == 25 or age == 30) and not_there", []),
    ("nested", ["1"]),
    ("flag == true", ["3"]),
    ("SK == 1", []),  # a string sort key is not the number 1
])
def test_filter_string_language(db, flt, expect):
    db.put_item(item={"PK": "p", "SK": "1", "name": "Bob", "age": 30, "nested": {"a": 1}})
    db.put_item(item={"PK": "p", "SK": "2", "name": "Alice", "age": 25})
    db.put_item(item={"PK": "p", "SK": "3", "flag": True})
    assert [i["SK"] for i in db.scan(_filter=flt)] == expect
    assert [i["SK"] for i in db.query("p", _filter=flt)] == expect


def test_filter_strings_compile_to_strata_expressions():
    expr, names, values = compile_filter('a.b == 1 and c =~ /x/')
    assert expr == "(#n0.#n1 = :v0 AND regex(#n2, :v1))"
    assert names == {"#n0": "a", "#n1": "b", "#n2": "c"} and values == {":v0": 1, ":v1": "x"}


@pytest.mark.parametrize("flt", ["", "a ==", "a == b", "a =~ 'x'", "a in 1", "(a == 1",
                                 "a == 1 b", "== 1", "a =~ /x/q", "a == 1 and"])
def test_bad_filter_strings_raise_value_error(db, flt):
    db.put_item(item={"PK": "p", "SK": "1"})
    with pytest.raises(ValueError):
        list(db.scan(_filter=flt))


def test_bad_regex_raises_value_error(db):
    with pytest.raises(ValueError):
        list(db.scan(_filter="a =~ /(/"))


# ---- batch writer and events -----------------------------------------------------------------


class Observer:
    def __init__(self):
        self.calls = []

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))

    @property
    def latest(self):
        return self.calls[-1] if self.calls else None


def test_put_item_schedules_event(db):
    obs = Observer()
    db.add_stream_listener(obs)
    db.put_item(item={"PK": "1", "SK": "aa"})
    assert obs.latest[0][0] == Event(action="PUT", new={"PK": "1", "SK": "aa"}, old=None)


def test_put_item_overwrite_schedules_event(db):
    db.put_item(item={"PK": "1", "SK": "aa", "old": True})
    obs = Observer()
    db.add_stream_listener(obs)
    db.put_item(item={"PK": "1", "SK": "aa", "old": False})
    assert obs.latest[0][0] == Event(action="PUT", new={"PK": "1", "SK": "aa", "old": False},
                                     old={"PK": "1", "SK": "aa", "old": True})


def test_delete_item_schedules_event(db):
    db.put_item(item={"PK": "1", "SK": "aa"})
    obs = Observer()
    db.add_stream_listener(obs)
    db.delete_item(key={"PK": "1", "SK": "aa"})
    assert obs.latest[0][0] == Event(action="DELETE", new=None, old={"PK": "1", "SK": "aa"})
    db.remove_stream_listener(obs)
    db.put_item(item={"PK": "1", "SK": "aa"})
    assert len(obs.calls) == 1


def test_batch_write_item_schedules_event(db):
    obs = Observer()
    db.add_stream_listener(obs)
    with db.batch_writer() as writer:
        writer.put_item(item={"PK": "1", "SK": "aa"})
        writer.delete_item(key={"PK": "1", "SK": "aa"})
    assert obs.calls[0][0][0] == Event(action="PUT", new={"PK": "1", "SK": "aa"}, old=None)
    assert obs.calls[1][0][0] == Event(action="DELETE", new=None, old={"PK": "1", "SK": "aa"})


def test_batch_writer_is_one_commit_and_nothing_on_exception(db):
    db.put_item(item={"PK": "x", "SK": "x"})
    before = len(db.history())
    with db.batch_writer() as w:
        for i in range(300):
            w.put_item(item={"PK": "p%d" % (i % 7), "SK": str(i), "f": i / 2})
    assert len(db.history()) == before + 1
    assert len(list(db.scan())) == 301
    with pytest.raises(RuntimeError):
        with db.batch_writer() as w:
            w.put_item(item={"PK": "y", "SK": "y"})
            raise RuntimeError("stop")
    assert db.get_item(key={"PK": "y", "SK": "y"}) is None
    assert len(db.history()) == before + 1


def test_execute_batch(db):
    db.execute_batch([Action(ActionType.PUT, {"PK": "1", "SK": "a", "v": 1.0}),
                      Action(ActionType.PUT, {"PK": "1", "SK": "b"}),
                      Action(ActionType.DELETE, {"PK": "1", "SK": "b"})])
    assert list(db.query("1")) == [{"PK": "1", "SK": "a", "v": 1.0}]


# ---- TTL -----------------------------------------------------------------------------


def test_ttl_keeps_living_and_hides_expired_items(tmp_path):
    with Dynafile(tmp_path / "db", ttl_attribute="ttl") as db:
        live = {"PK": "1", "SK": "1", "ttl": time.time() + 1000}
        dead = {"PK": "1", "SK": "2", "ttl": time.time() - 1000}
        never = {"PK": "1", "SK": "3", "ttl": 0}
        for it in (live, dead, never):
            db.put_item(item=it)
        assert list(db.scan()) == [live, never]
        assert list(db.query("1")) == [live, never]
        assert db.get_item(key=live) == live
        assert not db.get_item(key=dead)
        assert db.get_item(key=never) == never
        obs = Observer()
        db.add_stream_listener(obs)
        assert db.sweep_ttl() == 1
        assert obs.latest[0][0] == Event("DELETE", None, dead)
    with Dynafile(tmp_path / "db") as db:  # without ttl_attribute nothing expires
        assert len(list(db.scan())) == 2


# ---- bad input -----------------------------------------------------------------------------


def test_bad_items_and_keys_change_nothing(db):
    db.put_item(item={"PK": "1", "SK": "1"})
    n = len(db.history())
    for bad in ({"SK": "no pk"}, {"PK": "1"}, {"PK": {"a": 1}, "SK": "1"},
                {"PK": "1", "SK": "2", "x": object()}, {"PK": "1", "SK": "2", "x": float("nan")}):
        with pytest.raises((TypeError, ValueError)):
            db.put_item(item=bad)
    with pytest.raises(TypeError):
        db.put_item(item=["not", "a", "dict"])
    with pytest.raises(TypeError):
        db.put_item({"PK": "1", "SK": "1"})  # keyword-only, as in the seed
    with pytest.raises(TypeError):
        db.get_item(key="1")
    with pytest.raises(ValueError):
        list(db.scan(_filter=42))
    with pytest.raises(ValueError):
        with db.batch_writer() as w:
            w.put_item(item={"PK": "ok", "SK": "ok"})
            w.put_item(item={"SK": "no pk"})
    assert len(db.history()) == n
    assert list(db.scan()) == [{"PK": "1", "SK": "1"}]


def test_schema_mismatch_is_refused(tmp_path):
    Dynafile(tmp_path / "db").close()
    with pytest.raises(ValueError, match="keyed by"):
        Dynafile(tmp_path / "db", pk_attribute="id")


# ---- beyond the seed -------------------------------------------------------------------------


def test_reads_at_an_older_version(db):
    db.put_item(item={"PK": "1", "SK": "1", "v": 1})
    first = db.history()[0].digest
    db.put_item(item={"PK": "1", "SK": "1", "v": 2})
    assert db.get_item(key={"PK": "1", "SK": "1"}, at=first)["v"] == 1
    assert [i["v"] for i in db.query("1", at=first)] == [1]
    assert [i["v"] for i in db.scan()] == [2]


# ---- crash ----------------------------------------------------------------------------------


WRITER = r"""
import sys
sys.path.insert(0, %(pkg)r)
from strata.dynafile import Dynafile
db = Dynafile(%(path)r, durability="normal")
i = 0
while True:
    if i %% 2:
        db.put_item(item={"PK": "p%%d" %% (i %% 5), "SK": "%%06d" %% i, "v": i / 4})
    else:
        with db.batch_writer() as w:
            for j in range(10):
                w.put_item(item={"PK": "b", "SK": "%%06d-%%d" %% (i, j), "v": j})
    print(i, flush=True)
    i += 1
"""


def test_killed_writer_loses_no_acknowledged_write(tmp_path):
    path = str(tmp_path / "db")
    pkg = os.path.dirname(os.path.dirname(strata.__file__))
    p = subprocess.Popen([sys.executable, "-c", WRITER % {"pkg": pkg, "path": path}],
                         stdout=subprocess.PIPE, text=True)
    acked = -1
    try:
        for line in p.stdout:
            acked = int(line)
            if acked >= 200:
                break
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stdout.close()
    assert acked >= 200
    with Dynafile(path) as db:
        for i in range(acked + 1):
            if i % 2:
                assert db.get_item(key={"PK": "p%d" % (i % 5), "SK": "%06d" % i}) == \
                    {"PK": "p%d" % (i % 5), "SK": "%06d" % i, "v": i / 4}
            else:
                got = list(db.query("b", starts_with="%06d-" % i))[:10]
                assert [g["v"] for g in got] == list(range(10))
        assert db.strata.verify() == 0
