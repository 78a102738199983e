"""strata.delta_trace: delta-trace-db's API (MasahideMori-SimpleAppli/delta_trace_db_py; README
/work/shared/seeds/003_*.txt) on strata — every query type, nodes (C-compiled and Python),
sorts, paging, serial keys, transactions, permissions, dict round trips, causes in commits,
whole-database restore, history, bad input and a killed writer."""

import os
import random
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

import strata
import strata.delta_trace as dt
from strata.delta_trace import (Actor, AndNode, Cause, DeltaTraceDatabase, EnumActorType,
                                EnumQueryType, EnumValueType, FieldContains, FieldEndsWith,
                                FieldEquals, FieldGreaterThan, FieldGreaterThanOrEqual, FieldIn,
                                FieldLessThan, FieldLessThanOrEqual, FieldMatchesRegex,
                                FieldNotEquals, FieldNotIn, FieldStartsWith, MultiSort, NotNode,
                                OrNode, Permission, Query, QueryBuilder, QueryNode, QueryResult,
                                RawQueryBuilder, SingleSort, TemporalTrace, TimestampNode,
                                TransactionQuery, TransactionQueryResult, UtilQuery)

README = '''\
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Dict, Any
from file_state_manager import CloneableFile
from delta_trace_db import DeltaTraceDatabase, QueryBuilder


@dataclass
class User(CloneableFile):
    id: int
    name: str
    age: int
    created_at: datetime
    updated_at: datetime
    nested_obj: dict

    @classmethod
    def from_dict(cls, src: Dict[str, Any]) -> "User":
        return User(
            id=src["id"],
            name=src["name"],
            age=src["age"],
            created_at=datetime.fromisoformat(src["createdAt"]).astimezone(timezone.utc),
            updated_at=datetime.fromisoformat(src["updatedAt"]).astimezone(timezone.utc),
            nested_obj=dict(src["nestedObj"]),
        )

    def to_dict(self) -> Dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "age": self.age,
            "createdAt": self.created_at.astimezone(timezone.utc).isoformat(),
            "updatedAt": self.updated_at.astimezone(timezone.utc).isoformat(),
            "nestedObj": dict(self.nested_obj),
        }

    def clone(self) -> "User":
        return User.from_dict(self.to_dict())


def main():
    db = DeltaTraceDatabase()
    now = datetime.now(timezone.utc)

    users = [
        User(
            id=-1,
            name="Taro",
            age=30,
            created_at=now,
            updated_at=now,
            nested_obj={"a": "a"},
        ),
        User(
            id=-1,
            name="Jiro",
            age=25,
            created_at=now,
            updated_at=now,
            nested_obj={"a": "b"},
        ),
    ]

    # If you want the return value to be reflected immediately on the front end,
    # set return_data = True to get data that properly reflects the serial key.
    query = (
        QueryBuilder.add(
            target="users",
            add_data=users,
            serial_key="id",
            return_data=True,
        )
        .build()
    )

    # In the Python version, no type specification is required (duck typing)
    r = db.execute_query(query)

    # If you want to check the return value, you can easily do so by using toDict, which serializes it.
    print(r.to_dict())

    # You can easily convert from the Result object back to the original class.
    # The value of r.result is deserialized using the function specified by convert.
    results = r.convert(User.from_dict)


if __name__ == "__main__":
    main()
'''

SEED_ALL = ["Collection", "DeltaTraceDatabase", "UtilCopy", "UtilDslEvaluator", "TemporalTrace",
            "TimestampNode", "Actor", "Cause", "EnumActorType", "Permission", "FieldEquals",
            "FieldNotEquals", "FieldGreaterThan", "FieldLessThan", "FieldGreaterThanOrEqual",
            "FieldLessThanOrEqual", "FieldMatchesRegex", "FieldContains", "FieldIn",
            "FieldNotIn", "FieldStartsWith", "FieldEndsWith", "AndNode", "OrNode", "NotNode",
            "EnumNodeType", "EnumValueType", "QueryNode", "AbstractSort", "MultiSort",
            "SingleSort", "EnumQueryType", "MergeQueryParams", "Query", "QueryBuilder",
            "QueryExecutionResult", "QueryResult", "RawQueryBuilder", "TransactionQuery",
            "TransactionQueryResult", "UtilQuery"]


def test_seed_003_readme_runs_with_only_the_imports_changed(capsys):
    code = README.replace("from file_state_manager import CloneableFile",
                          "from strata.delta_trace import CloneableFile")
    code = code.replace("from delta_trace_db import DeltaTraceDatabase, QueryBuilder",
                        "from strata.delta_trace import DeltaTraceDatabase, QueryBuilder")
    assert code.count("strata.delta_trace") == 2 and code.count("\n") == README.count("\n")
    exec(compile(code, "README", "exec"), {"__name__": "__main__"})
    out = capsys.readouterr().out
    assert "'isSuccess': True" in out and "'id': 0" in out and "'id': 1" in out


def test_every_name_the_seed_exports():
    for name in SEED_ALL:
        assert hasattr(dt, name), name
        assert name in dt.__all__


@pytest.fixture
def db(tmp_path):
    d = DeltaTraceDatabase(str(tmp_path / "db"), durability="off")
    yield d
    d.close()


def add(db, target, items, **kw):
    return db.execute_query(RawQueryBuilder.add(target=target, raw_add_data=items, **kw).build())


def people():
    return [{"name": "Taro", "age": 30, "tags": ["a", "b"], "nested": {"x": 1}},
            {"name": "Jiro", "age": 25, "tags": ["b"], "nested": {"x": 2}},
            {"name": "Hanako", "age": 41, "tags": [], "nested": {"x": 3}, "nick": None},
            {"name": "Ken", "age": 27, "tags": ["c"], "nested": {"y": 1}}]


def names(r):
    return [x["name"] for x in r.result]


# ---- query types -----------------------------------------------------------------------------


def test_add_with_serial_key_and_return_data(db):
    r = add(db, "u", [{"id": None, "n": 1}, {"id": None, "n": 2}], serial_key="id",
            return_data=True)
    assert r.is_success and [x["id"] for x in r.result] == [0, 1]
    assert r.db_length == 2 and r.update_count == 2 and r.hit_count == 0
    r = add(db, "u", [{"id": None, "n": 3}], serial_key="id", return_data=True)
    assert r.result[0]["id"] == 2
    r = add(db, "u", [{"n": 4}], serial_key="id")  # the key is missing: fails, adds nothing
    assert not r.is_success and r.error_message == "The target serialKey does not exist"
    assert db.execute_query(QueryBuilder.count("u").build()).hit_count == 3


def test_search_nodes_sort_and_paging(db):
    add(db, "p", people())
    q = QueryBuilder.search("p", FieldGreaterThan("age", 28)).build()
    assert names(db.execute_query(q)) == ["Taro", "Hanako"]
    r = db.execute_query(QueryBuilder.search("p", FieldLessThanOrEqual("age", 30),
                                             sort_obj=SingleSort("age", reversed_=True)).build())
    assert names(r) == ["Taro", "Ken", "Jiro"] and r.hit_count == 3 and r.db_length == 4
    r = db.execute_query(QueryBuilder.search("p", FieldGreaterThanOrEqual("age", 0),
                                             sort_obj=SingleSort("age"), offset=1,
                                             limit=2).build())
    assert names(r) == ["Ken", "Taro"]
    all_ = db.execute_query(QueryBuilder.get_all("p").build()).result
    r = db.execute_query(QueryBuilder.get_all("p", start_after=all_[1], limit=1).build())
    assert names(r) == ["Hanako"]
    r = db.execute_query(QueryBuilder.get_all("p", end_before=all_[3], limit=2).build())
    assert names(r) == ["Jiro", "Hanako"]
    r = db.execute_query(QueryBuilder.search_one("p", FieldEquals("age", 25)).build())
    assert names(r) == ["Jiro"] and r.hit_count == 1


def test_get_all_keeps_insertion_order_and_multisort(db):
    add(db, "p", people())
    assert names(db.execute_query(QueryBuilder.get_all("p").build())) == \
        ["Taro", "Jiro", "Hanako", "Ken"]
    add(db, "q", [{"a": 1, "b": "z"}, {"a": 0, "b": "y"}, {"a": 1, "b": "x"}])
    r = db.execute_query(QueryBuilder.get_all("q", sort_obj=MultiSort(
        [SingleSort("a", reversed_=True), SingleSort("b")])).build())
    assert [x["b"] for x in r.result] == ["x", "z", "y"]


def test_sort_puts_none_last_and_fails_on_mixed_types(db):
    add(db, "s", [{"v": 2}, {"v": None}, {"v": 1}])
    assert [x["v"] for x in db.execute_query(
        QueryBuilder.get_all("s", sort_obj=SingleSort("v")).build()).result] == [1, 2, None]
    add(db, "m", [{"v": 2}, {"v": "x"}])
    r = db.execute_query(QueryBuilder.get_all("m", sort_obj=SingleSort("v")).build())
    assert not r.is_success and r.error_message == "execute_query Unexpected Error"


def test_update_update_one_delete_delete_one(db):
    add(db, "p", people())
    r = db.execute_query(QueryBuilder.update("p", FieldEquals("age", 25), {"age": 26},
                                             return_data=True).build())
    assert r.update_count == 1 and r.result[0]["age"] == 26
    r = db.execute_query(QueryBuilder.update_one("p", FieldContains("tags", "b"),
                                                 {"flag": True}).build())
    assert r.update_count == 1
    got = db.execute_query(QueryBuilder.search("p", FieldEquals("flag", True)).build())
    assert names(got) == ["Taro"]
    r = db.execute_query(QueryBuilder.delete("p", FieldIn("name", ["Jiro", "Ken"]),
                                             return_data=True,
                                             sort_obj=SingleSort("name")).build())
    assert names(r) == ["Jiro", "Ken"] and r.db_length == 2
    r = db.execute_query(QueryBuilder.delete_one("p", FieldGreaterThan("age", 0)).build())
    assert names(r) == ["Taro"] and r.db_length == 1  # deleteOne returns the item anyway
    assert names(db.execute_query(QueryBuilder.get_all("p").build())) == ["Hanako"]


def test_must_affect_at_least_one_fails_and_changes_nothing(db):
    add(db, "p", people())
    heads = len(db.strata.history("delta_trace", "c:p"))
    r = db.execute_query(QueryBuilder.update("p", FieldEquals("name", "Nobody"),
                                             {"x": 1}).build())
    assert not r.is_success and "mustAffectAtLeastOne" in r.error_message
    r = db.execute_query(QueryBuilder.update("p", FieldEquals("name", "Nobody"), {"x": 1},
                                             must_affect_at_least_one=False).build())
    assert r.is_success and r.update_count == 0
    assert len(db.strata.history("delta_trace", "c:p")) == heads


def test_conform_rename_clear_clear_add_remove(db):
    add(db, "p", [{"a": 1, "b": 2}, {"a": 3, "c": 4}], serial_key=None)
    r = db.execute_query(QueryBuilder.conform_to_template("p", {"a": 0, "d": "new"}).build())
    assert r.update_count == 2
    assert db.execute_query(QueryBuilder.get_all("p").build()).result == \
        [{"a": 1, "d": "new"}, {"a": 3, "d": "new"}]
    r = db.execute_query(QueryBuilder.rename_field("p", "zz", "y").build())
    assert not r.is_success and "does not exist" in r.error_message
    r = db.execute_query(QueryBuilder.rename_field("p", "a", "d").build())
    assert not r.is_success and "existing key" in r.error_message
    r = db.execute_query(QueryBuilder.rename_field("p", "a", "z", return_data=True).build())
    assert r.is_success and r.result == [{"d": "new", "z": 1}, {"d": "new", "z": 3}]
    add(db, "s", [{"k": None}], serial_key="k")
    r = db.execute_query(RawQueryBuilder.clear_add(
        "s", [{"k": None}, {"k": None}], serial_key="k", return_data=True).build())
    assert r.update_count == 1 and [x["k"] for x in r.result] == [1, 2]
    r = db.execute_query(QueryBuilder.clear("s", reset_serial=True).build())
    assert r.update_count == 2 and r.db_length == 0
    assert add(db, "s", [{"k": None}], serial_key="k", return_data=True).result[0]["k"] == 0
    assert db.find_collection("s") is not None
    r = db.execute_query(QueryBuilder.remove_collection("s").build())
    assert r.update_count == 1 and db.find_collection("s") is None
    r = db.execute_query(QueryBuilder.remove_collection("s").build())
    assert not r.is_success  # nothing to remove and must_affect_at_least_one
    assert "s" not in db.to_dict()["collections"]


def test_merge_builds_a_new_collection_through_the_dsl(db):
    add(db, "users", [{"id": None, "name": "Taro", "team": 1, "secret": "x"},
                      {"id": None, "name": "Jiro", "team": 2, "secret": "y"},
                      {"id": None, "name": "Solo", "team": 9, "secret": "z"}], serial_key="id")
    add(db, "teams", [{"tid": 1, "title": "Red"}, {"tid": 2, "title": "Blue"}])
    mqp = dt.MergeQueryParams(base="users", source=["teams"], relation_key="team",
                              source_keys=["tid"], output="members",
                              dsl_tmp={"who": "base.name", "team": "0.title", "n": "int(5)",
                                       "none": "null", "s": "str(hi)", "b": "bool(true)",
                                       "f": "float(1.5)", "tags": ["[base.team]"],
                                       "rest": "popped.base[secret, id]"},
                              serial_key="who")
    assert dt.MergeQueryParams.from_dict(mqp.to_dict()).to_dict() == mqp.to_dict()
    r = db.execute_query(QueryBuilder.merge(mqp).build())
    assert r.is_success and r.update_count == 3 and r.db_length == 3
    got = db.execute_query(QueryBuilder.get_all("members").build()).result
    assert got[0] == {"who": 0, "team": "Red", "n": 5, "none": None, "s": "hi", "b": True,
                      "f": 1.5, "tags": [[1]], "rest": {"name": "Taro", "team": 1}}
    assert got[2]["team"] is None  # no matching source item: {} → missing → None
    r = db.execute_query(QueryBuilder.merge(mqp).build())
    assert not r.is_success and r.error_message == "The output collection already exists."
    bad = dt.MergeQueryParams(base="nope", source=[], relation_key="x", source_keys=[],
                              output="o2", dsl_tmp={})
    assert db.execute_query(QueryBuilder.merge(bad).build()).error_message == \
        "Base collection does not exist."
    inherit = dt.MergeQueryParams(base="users", source=[], relation_key="id", source_keys=[],
                                  output="copy", dsl_tmp={"id": "base.id"}, serial_base="users")
    assert db.execute_query(QueryBuilder.merge(inherit).build()).is_success
    assert db.collection("copy").get_serial_num() == 3
    with pytest.raises(ValueError):
        dt.UtilDslEvaluator.parse("bool(maybe)", {}, [])


# ---- nodes: C-compiled filters agree with the seed's Python semantics ---------------------------


def _random_value(rnd):
    return rnd.choice([None, 0, 1, 2, 25, 30, 2.5, -1, True, False, "a", "ab", "b", "Taro",
                       "sample1", "1", [1, 2], ["a"], {"k": 1}])


NODES = [
    lambda v: FieldEquals("f", v), lambda v: FieldNotEquals("f", v),
    lambda v: FieldGreaterThan("f", v), lambda v: FieldLessThan("f", v),
    lambda v: FieldGreaterThanOrEqual("f", v), lambda v: FieldLessThanOrEqual("f", v),
    lambda v: FieldContains("f", v), lambda v: FieldIn("f", [v, 2]),
    lambda v: FieldNotIn("f", [v, "a"]), lambda v: FieldStartsWith("f", "a"),
    lambda v: FieldEndsWith("f", "b"), lambda v: FieldMatchesRegex("f", "^[ab]"),
    lambda v: FieldEquals("g.h", v), lambda v: NotNode(FieldEquals("f", v)),
    lambda v: AndNode([FieldGreaterThan("f", 0), FieldLessThan("f", 26)]),
    lambda v: OrNode([FieldEquals("f", v), FieldStartsWith("f", "T")]),
    lambda v: FieldEquals("f", "1", v_type=EnumValueType.int_),
    lambda v: FieldGreaterThan("f", 1, v_type=EnumValueType.floatStrict_),
]


def _bool_free(items, v):
    # Python's True == 1 (a bool is an int) is the one documented difference: keep bools and
    # numbers apart in the comparison so that the property holds exactly.
    return not (isinstance(v, bool) or any(isinstance(it.get("f"), bool) for it in items))


@pytest.mark.parametrize("seed", range(6))
def test_compiled_nodes_match_python_evaluation(db, seed):
    rnd = random.Random(seed)
    items = []
    for i in range(40):
        it = {"i": i}
        if rnd.random() < 0.9:
            it["f"] = _random_value(rnd)
        if rnd.random() < 0.5:
            it["g"] = {"h": _random_value(rnd)}
        items.append(it)
    add(db, "r%d" % seed, items)
    checked = 0
    for make in NODES:
        for v in (_random_value(rnd) for _ in range(4)):
            node = make(v)
            if not _bool_free(items, v) and node._compile(dt._Params())[0] is not None:
                continue
            expect = [it["i"] for it in items if node.evaluate(it)]
            r = db.execute_query(QueryBuilder.search("r%d" % seed, node).build())
            assert r.is_success, (seed, node.to_dict())
            assert [x["i"] for x in r.result] == expect, (seed, node.to_dict())
            checked += 1
    assert checked > 8, "seed %d checked too few nodes" % seed


def test_nodes_and_sorts_round_trip_as_dicts():
    node = AndNode([FieldEquals("a", 1), OrNode([FieldIn("b", [1, 2]), NotNode(
        FieldMatchesRegex("c", "x"))]),
        FieldEquals("d", datetime(2024, 1, 1, tzinfo=timezone.utc))])
    again = QueryNode.from_dict(node.to_dict())
    assert again.to_dict() == node.to_dict()
    assert again.conditions[2].v_type == EnumValueType.datetime_
    s = MultiSort([SingleSort("a"), SingleSort("b", True, EnumValueType.int_)])
    assert dt.AbstractSort.from_dict(s.to_dict()).to_dict() == s.to_dict()


def test_datetime_nodes_are_evaluated_in_python(db):
    t0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
    add(db, "t", [{"at": (t0 + timedelta(days=d)).isoformat()} for d in range(5)])
    r = db.execute_query(QueryBuilder.search("t", FieldGreaterThan(
        "at", t0 + timedelta(days=2, hours=1))).build())
    assert len(r.result) == 2


# ---- queries and results as dicts, transactions, permissions ----------------------------------


def make_cause(who="ann", why="fix"):
    now = datetime.now(timezone.utc)
    return Cause(who=Actor(EnumActorType.human, who, name="Ann"),
                 when=TemporalTrace([TimestampNode(now, "client"), TimestampNode(now, "server")]),
                 what="edit users", why=why, from_="unit test")


def test_query_and_result_dicts_round_trip(db):
    q = QueryBuilder.search("p", FieldEquals("name", "Taro"), sort_obj=SingleSort("age"),
                            limit=3, cause=make_cause()).build()
    d = q.to_dict()
    assert Query.from_dict(d).to_dict() == d
    add(db, "p", people())
    r = db.execute_query_object(d)
    assert isinstance(r, QueryResult) and names(r) == ["Taro"]
    assert QueryResult.from_dict(r.to_dict()).to_dict() == r.to_dict()
    tq = TransactionQuery([q])
    assert isinstance(UtilQuery.convert_from_json(tq.to_dict()), TransactionQuery)
    assert isinstance(db.execute_query_object(tq.to_dict()), TransactionQueryResult)
    with pytest.raises(ValueError):
        db.execute_query_object({"className": "Nope"})
    with pytest.raises(ValueError):
        db.execute_query_object(42)
    c = make_cause()
    assert Cause.from_dict(c.to_dict()).to_dict() == c.to_dict()
    assert Actor.from_dict(c.who.to_dict()) == c.who


def test_transactions_are_all_or_nothing_and_see_their_own_writes(db):
    add(db, "a", [{"n": 1}])
    ok = db.execute_transaction_query(TransactionQuery([
        RawQueryBuilder.add("a", [{"n": 2}]).build(),
        QueryBuilder.update("a", FieldEquals("n", 2), {"n": 3}).build(),
        RawQueryBuilder.add("b", [{"m": 1}]).build()]))
    assert ok.is_success and [r.update_count for r in ok.results] == [1, 1, 1]
    assert [x["n"] for x in db.execute_query(QueryBuilder.get_all("a").build()).result] == [1, 3]
    commits = len(db.strata.history("delta_trace", "meta"))
    bad = db.execute_transaction_query(TransactionQuery([
        RawQueryBuilder.add("a", [{"n": 9}]).build(),
        QueryBuilder.delete("a", FieldEquals("n", 100)).build()]))  # affects nothing: fails
    assert not bad.is_success and bad.error_message == "Transaction failed"
    assert [x["n"] for x in db.execute_query(QueryBuilder.get_all("a").build()).result] == [1, 3]
    assert len(db.strata.history("delta_trace", "meta")) == commits
    r = db.execute_transaction_query(TransactionQuery([QueryBuilder.remove_collection("a")
                                                       .build()]))
    assert not r.is_success and "not permitted" in r.error_message


def test_permissions(db):
    add(db, "p", people())
    perms = {"p": Permission([EnumQueryType.search])}
    assert db.execute_query(QueryBuilder.search("p", FieldEquals("age", 25)).build(),
                            perms).is_success
    r = db.execute_query(RawQueryBuilder.add("p", [{"x": 1}]).build(), perms)
    assert not r.is_success and r.error_message == "Operation not permitted."
    assert not db.execute_query(QueryBuilder.count("other").build(), perms).is_success
    assert Permission.from_dict(perms["p"].to_dict()) == perms["p"]


def test_listeners_run_after_changes(db):
    calls = []
    db.add_listener("p", lambda: calls.append("p"))
    db.add_listener("p", lambda: calls.append("named"), name="n")
    add(db, "p", people())
    db.execute_query(QueryBuilder.search("p", FieldEquals("age", 25)).build())
    assert calls == ["p", "named"] or calls == ["named", "p"]
    db.remove_listener("p", None, name="n")
    db.execute_query(QueryBuilder.clear("p").build())
    assert calls.count("p") == 2 and calls.count("named") == 1


# ---- database as a dict, persistence ----------------------------------------------------------


def test_to_dict_from_dict_and_clone(db):
    add(db, "p", people())
    add(db, "s", [{"k": None}], serial_key="k")
    d = db.to_dict()
    assert d["className"] == "DeltaTraceDatabase" and set(d["collections"]) == {"p", "s"}
    assert d["collections"]["s"]["serialNum"] == 1
    other = DeltaTraceDatabase.from_dict(d)
    try:
        assert other.to_dict() == d
        assert add(other, "s", [{"k": None}], serial_key="k", return_data=True).result[0]["k"] == 1
    finally:
        other.close()
    c = db.clone()
    assert c.to_dict() == d
    c.close()
    assert db.collection("p").length == 4 and len(db.collection("p").raw) == 4
    assert db.collection_to_dict("nope") is None
    db.collection_from_dict("z", {"data": [{"a": 1}], "serialNum": 5})
    assert db.collection("z").get_serial_num() == 5
    with pytest.raises(ValueError):
        DeltaTraceDatabase.from_dict({"collections": []})


def test_persistent_database_reopens(tmp_path):
    path = str(tmp_path / "p")
    with DeltaTraceDatabase(path) as d:
        add(d, "p", people(), serial_key=None)
    with DeltaTraceDatabase(path) as d:
        assert names(d.execute_query(QueryBuilder.get_all("p").build())) == \
            ["Taro", "Jiro", "Hanako", "Ken"]


def test_in_memory_database_leaves_nothing_behind(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    d = DeltaTraceDatabase()
    other = DeltaTraceDatabase()
    add(d, "p", people())
    assert d.path == ":memory:" and other.collection_names() == []
    assert d.strata.verify() == 0
    d.close()
    other.close()
    assert os.listdir(tmp_path) == []  # no files anywhere in the working directory
    assert DeltaTraceDatabase().collection_names() == []  # a new one is empty


# ---- bad input --------------------------------------------------------------------------------


def test_bad_input_fails_the_query_and_changes_nothing(db):
    add(db, "p", people())
    before = db.to_dict()
    for items in ([{"bad": float("nan")}], [{"when": datetime.now()}], ["not a dict"],
                  [{"big": 10 ** 40 + 1}]):
        r = add(db, "p", items)
        assert not r.is_success and r.error_message == "execute_query ArgumentError"
    r = db.execute_query(QueryBuilder.update("p", FieldEquals("name", "Taro"),
                                             {"x": object()}).build())
    assert not r.is_success
    assert db.to_dict() == before
    with pytest.raises(KeyError):
        Query.from_dict({"target": "p", "type": "nope"})


# ---- beyond the seed: causes in commits, restore, history, reads in the past ------------------


def test_cause_is_recorded_in_the_commit(db):
    c = make_cause("ann", "fix typo")
    db.execute_query(RawQueryBuilder.add("p", [{"a": 1}], cause=c).build())
    h = db.history("p")
    assert h[0].kind == "query"
    qtype, target, cause = h[0].queries[0]
    assert qtype == EnumQueryType.add and target == "p"
    assert cause.to_dict() == c.to_dict()
    assert h[0].commit.user == "ann" and h[0].commit.origin == "unit test"


def test_restore_the_whole_database_to_a_past_moment(db):
    add(db, "p", people())
    add(db, "s", [{"k": None}], serial_key="k")
    moment = db.snapshot()
    before = db.to_dict()
    db.execute_query(QueryBuilder.delete("p", FieldGreaterThan("age", 26)).build())
    db.execute_query(QueryBuilder.update("p", FieldEquals("name", "Jiro"), {"age": 99}).build())
    add(db, "s", [{"k": None}], serial_key="k")
    add(db, "later", [{"x": 1}])  # created after the moment: must disappear
    assert db.to_dict() != before
    digest = db.restore(snapshot=moment, cause=make_cause("admin", "undo"))
    assert isinstance(digest, str) and len(digest) == 64
    assert db.to_dict() == before
    assert db.find_collection("later") is None
    h = db.history()
    assert h[0].kind == "restore" and h[0].queries[0][2].why == "undo"
    assert db.restore(snapshot=moment) is None  # nothing differs any more
    # restoring to a time works the same way
    t = datetime.now(timezone.utc)
    add(db, "p", [{"name": "New"}])
    db.restore(as_of=t)
    assert db.to_dict() == before
    with pytest.raises(ValueError):
        db.restore()


def test_reads_in_the_past_and_item_history(db):
    add(db, "p", [{"name": "Taro", "age": 30}])
    t1 = datetime.now(timezone.utc)
    db.execute_query(QueryBuilder.update("p", FieldEquals("name", "Taro"), {"age": 31}).build())
    r = db.execute_query(QueryBuilder.search("p", FieldEquals("name", "Taro")).build(), as_of=t1)
    assert r.result[0]["age"] == 30
    r = db.execute_query(RawQueryBuilder.add("p", [{"x": 1}]).build(), as_of=t1)
    assert not r.is_success
    hist = db.item_history("p", FieldEquals("name", "Taro"))
    # newest first; the oldest commit created the (empty) collection's table
    assert [items[0]["age"] if items else None for _, items in hist] == [31, 30, None]


# ---- crash -----------------------------------------------------------------------------------


WRITER = r"""
import sys
sys.path.insert(0, %(pkg)r)
from strata.delta_trace import DeltaTraceDatabase, RawQueryBuilder, TransactionQuery
db = DeltaTraceDatabase(%(path)r, durability="normal")
i = 0
while True:
    if i %% 2:
        r = db.execute_query(RawQueryBuilder.add("a", [{"i": i, "pad": "x" * 50}]).build())
    else:
        r = db.execute_transaction_query(TransactionQuery([
            RawQueryBuilder.add("b", [{"i": i}], serial_key=None).build(),
            RawQueryBuilder.add("c", [{"i": i}]).build()]))
    assert r.is_success
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
            if acked >= 150:
                break
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stdout.close()
    assert acked >= 150
    with DeltaTraceDatabase(path) as d:
        got_a = {x["i"] for x in d.execute_query(QueryBuilder.get_all("a").build()).result}
        got_b = {x["i"] for x in d.execute_query(QueryBuilder.get_all("b").build()).result}
        got_c = {x["i"] for x in d.execute_query(QueryBuilder.get_all("c").build()).result}
        assert {i for i in range(acked + 1) if i % 2} <= got_a
        assert {i for i in range(acked + 1) if not i % 2} <= got_b
        assert got_b == got_c  # a transaction is both or neither
        assert d.strata.verify() == 0
