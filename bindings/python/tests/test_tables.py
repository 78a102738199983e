"""Tables: items by partition/sort key, conditions, return values, updates, query/scan with
filters, paging and segments, batch writer, TTL, listeners, table diff."""

from decimal import Decimal

import pytest

import strata
from strata._ffi import lib

pytestmark = pytest.mark.skipif(not hasattr(lib, "strata_table_put_item"),
                                reason="the loaded libstrata predates tables")


@pytest.fixture
def users(db):
    tb = db.create_table("t", "users", pk="org", sk="id", ttl="expires")
    for org in ("acme", "beta"):
        for i in range(1, 6):
            tb.put_item({"org": org, "id": i, "name": "%s-%d" % (org, i), "age": 20 + i})
    return tb


def test_create_table_and_describe(db, users):
    assert users.describe() == {"pk": "org", "sk": "id", "ttl": "expires", "count": 10}
    assert db.kind("t", "users") == "table"
    with pytest.raises(strata.AlreadyExists):
        db.create_table("t", "users", pk="x")


def test_put_get_delete_items_with_return_values(users):
    key = {"org": "acme", "id": 1}
    assert users.get_item(key)["name"] == "acme-1"
    old = users.put_item({"org": "acme", "id": 1, "name": "new"}, return_values="ALL_OLD")
    assert old == {"org": "acme", "id": 1, "name": "acme-1", "age": 21}
    assert users.delete_item(key, return_values="ALL_OLD") == {"org": "acme", "id": 1,
                                                               "name": "new"}
    with pytest.raises(strata.NotFound):
        users.get_item(key)
    assert users.get_item(key, None) is None
    assert users.delete_item(key) is None  # missing item: not an error


def test_values_of_every_type_round_trip_in_items(users):
    item = {"org": "acme", "id": 99, "d": Decimal("1.25"), "b": b"\x00\x01", "s": {"x", "y"},
            "n": None, "l": [1, [2]], "big": 10**37}
    users.put_item(item)
    assert users.get_item({"org": "acme", "id": 99}) == item


def test_condition_failure_changes_nothing(db, users):
    head = db.head("t", "users")
    with pytest.raises(strata.ConditionFailed):
        users.put_item({"org": "acme", "id": 1, "name": "x"},
                       condition="attribute_not_exists(org)")
    with pytest.raises(strata.ConditionFailed):
        users.delete_item({"org": "acme", "id": 2}, condition="age > :a", values={":a": 100})
    assert db.head("t", "users") == head
    users.put_item({"org": "acme", "id": 1, "name": "x"}, condition="#n = :n",
                   names={"#n": "name"}, values={":n": "acme-1"})
    assert users.get_item({"org": "acme", "id": 1})["name"] == "x"


def test_update_item_expressions(users):
    key = {"org": "acme", "id": 3}
    new = users.update_item(key, "SET age = age + :one, tags = :t REMOVE #n",
                            names={"#n": "name"}, values={":one": 1, ":t": ["a"]},
                            return_values="ALL_NEW")
    assert new == {"org": "acme", "id": 3, "age": 24, "tags": ["a"]}
    created = users.update_item({"org": "new", "id": 1}, "SET v = :v", values={":v": "x"},
                                return_values="ALL_NEW")
    assert created == {"org": "new", "id": 1, "v": "x"}
    with pytest.raises(strata.InvalidArgument):
        users.update_item(key, "SET org = :o", values={":o": "z"})


def test_query_with_sort_key_conditions_filter_projection_reverse(users):
    page = users.query("org = :o AND id BETWEEN :a AND :b", values={":o": "acme", ":a": 2,
                                                                    ":b": 4})
    assert [i["id"] for i in page] == [2, 3, 4] and page.last_key is None
    page = users.query("org = :o", values={":o": "beta", ":min": 23}, filter="age >= :min",
                       projection="id", reverse=True)
    assert page.items == [{"id": 5}, {"id": 4}, {"id": 3}]
    assert page.count == 3 and page.scanned_count == 5


def test_query_paging_returns_every_item_once(users):
    seen, start, pages = [], None, 0
    while True:
        page = users.query("org = :o", values={":o": "acme"}, limit=2, start_key=start)
        seen += [i["id"] for i in page]
        pages += 1
        if page.last_key is None:
            break
        start = page.last_key
    assert seen == [1, 2, 3, 4, 5] and pages == 3
    assert [i["id"] for i in users.query_all("org = :o", values={":o": "beta"},
                                             page_size=2)] == [1, 2, 3, 4, 5]


def test_scan_segments_cover_the_table_once(users):
    every = [(i["org"], i["id"]) for i in users.scan()]
    assert len(every) == 10
    parts = []
    for seg in range(3):
        parts += [(i["org"], i["id"]) for i in users.scan(segment=seg, total_segments=3)]
    assert sorted(parts) == sorted(every)
    assert len(list(users.scan_all(page_size=3))) == 10


def test_bad_expressions_raise_invalid_argument(users):
    with pytest.raises(strata.InvalidArgument):
        users.query("org = = :o", values={":o": "acme"})
    with pytest.raises(strata.InvalidArgument):
        users.query("org = :o", values={":o": "acme", ":unused": 1})
    with pytest.raises(strata.InvalidArgument):
        users.put_item({"id": 1})  # no partition key


def test_batch_writer_is_one_commit_and_aborts_on_error(db, users):
    n = len(db.history("t", "users"))
    with users.batch_writer(user="loader", message="import") as batch:
        for i in range(10, 20):
            batch.put_item({"org": "gamma", "id": i})
        batch.delete_item({"org": "acme", "id": 1})
    assert len(db.history("t", "users")) == n + 1
    c = db.history("t", "users")[0]
    assert (c.user, c.message) == ("loader", "import")
    assert len(users.query("org = :o", values={":o": "gamma"}).items) == 10
    with pytest.raises(KeyError):
        with users.batch_writer() as batch:
            batch.put_item({"org": "delta", "id": 1})
            raise KeyError("stop")
    assert users.query("org = :o", values={":o": "delta"}).items == []


def test_ttl_hides_and_sweeps_expired_items(users):
    users.put_item({"org": "tmp", "id": 1, "expires": 1000})
    users.put_item({"org": "tmp", "id": 2, "expires": 4_000_000_000})
    assert users.get_item({"org": "tmp", "id": 1}, None) is None
    assert [i["id"] for i in users.query("org = :o", values={":o": "tmp"})] == [2]
    assert users.sweep_ttl() == 1
    assert users.history(1)[0].user == "ttl"


def test_listener_sees_each_changed_item_and_failures_are_counted(db, users):
    events = []
    lid = db.listen(lambda *ev: events.append(ev))
    users.put_item({"org": "acme", "id": 1, "name": "L"})
    users.delete_item({"org": "acme", "id": 2})
    db.put("t", "recs", "k", 1)
    db.save("t", "doc", 1)
    assert events[0][:3] == ("t", "users", {"org": "acme", "id": 1})
    assert events[0][4]["name"] == "L"
    assert events[1][4] is strata.ABSENT
    assert events[2] == ("t", "recs", "k", strata.ABSENT, 1)
    assert events[3][2] is None and events[3][4] == 1
    db.unlisten(lid)

    def bad(*ev):
        raise RuntimeError("listener bug")

    db.listen(bad)
    users.put_item({"org": "acme", "id": 3, "name": "still committed"})
    assert users.get_item({"org": "acme", "id": 3})["name"] == "still committed"
    assert db.listener_failures() == 1
    assert len(events) == 4


def test_table_diff_gives_key_maps(db, users):
    a = db.head("t", "users")
    users.put_item({"org": "acme", "id": 1, "name": "changed", "age": 21})
    users.delete_item({"org": "beta", "id": 5})
    changes = db.diff("t", "users", a)
    assert [c.key for c in changes] == [{"org": "acme", "id": 1}, {"org": "beta", "id": 5}]
    assert changes[0].old["name"] == "acme-1" and changes[1].new is strata.ABSENT
    db.restore("t", "users", a)
    assert users.get_item({"org": "beta", "id": 5})["id"] == 5


def test_table_reads_at_past_points(db, users):
    a = db.head("t", "users")
    users.delete_item({"org": "acme", "id": 1})
    assert users.get_item({"org": "acme", "id": 1}, at=a)["id"] == 1
    assert len(users.scan(at=a).items) == 10 and len(users.scan().items) == 9
