"""Commits as objects, history, diff, restore, as_of and snapshot reads, transactions."""

from datetime import datetime, timedelta, timezone

import pytest

import strata

TZ_PARIS = timezone(timedelta(hours=2))
TZ_NY = timezone(timedelta(hours=-5))


def test_commit_carries_who_when_why_from_what(db):
    when = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=TZ_PARIS)
    d = db.save("t", "cfg", {"theme": "dark"}, user="ann", message="dark mode",
                origin="app-1", time=when)
    c = db.commit("t", d)
    assert c.digest == d
    assert (c.entry, c.kind, c.user, c.message, c.origin) == ("cfg", "document", "ann",
                                                               "dark mode", "app-1")
    assert c.operation == "save"
    assert c.time == when and c.time.utcoffset() == timedelta(hours=2)
    assert c.time.isoformat() == "2024-05-17T09:30:15.123456+02:00"
    assert c.generation == 1 and c.parents == () and c.parent is None
    assert len(c.data) == 64
    d2 = db.save("t", "cfg", {"theme": "light"}, user="bob",
                 time=datetime(2024, 5, 18, tzinfo=TZ_NY))
    c2 = db.commit("t", d2)
    assert c2.generation == 2 and c2.parents == (d,) and c2.parent == d
    assert c2.time.utcoffset() == timedelta(hours=-5) and c2.user == "bob"


def test_commit_time_never_raises_for_times_the_c_api_accepts(db, monkeypatch):
    """The C API takes any int64 µs and offsets up to ±24:00; Python's datetime holds years
    1–9999 and offsets under 24 h. Commit.time gives the instant in UTC when the offset or the
    local date cannot be represented, None when even the UTC date cannot; time_us is exact."""
    from strata._util import write_options
    cases = [  # (time_us, tz_offset_min, expected time)
        (2**63 - 1, 0, None),
        (-2**63, 0, None),
        (1_700_000_000_000_000, 24 * 60, datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)),
        (1_700_000_000_000_000, -24 * 60,
         datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)),
        (253402300799_000_000, 60, datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)),
        (-62135596800_000_000, -60, datetime(1, 1, 1, tzinfo=timezone.utc)),
    ]
    for i, (us, tz, want) in enumerate(cases):
        wo = write_options()
        wo.ptr.time_us, wo.ptr.tz_offset_min = us, tz
        monkeypatch.setattr(db, "_write_options", lambda **w: wo)
        d = db.save("t", "e%d" % i, i)
        c = db.commit("t", d)
        assert (c.time_us, c.tz_offset_min) == (us, tz)
        assert c.time == want
        if want is not None:
            assert c.time.utcoffset() == timedelta(0)
        assert c.digest[:12] in repr(c)
        assert [h.time for h in db.history("t", "e%d" % i)] == [want]


def test_commit_time_defaults_to_now_in_local_offset(db):
    before = datetime.now(timezone.utc)
    c = db.commit("t", db.save("t", "e", 1))
    after = datetime.now(timezone.utc)
    assert before - timedelta(seconds=1) <= c.time <= after + timedelta(seconds=1)
    assert c.time.tzinfo is not None


def test_history_is_newest_first_and_limited(db):
    digests = [db.save("t", "e", i) for i in range(5)]
    hist = db.history("t", "e")
    assert [c.digest for c in hist] == digests[::-1]
    assert [c.generation for c in hist] == [5, 4, 3, 2, 1]
    assert [c.digest for c in db.history("t", "e", max_items=2)] == digests[:2:-1][:2]
    assert [c.digest for c in db.history("t", "e", start=digests[2])] == digests[2::-1]


def test_unchanged_save_makes_no_commit(db):
    a = db.save("t", "e", {"x": 1})
    b = db.save("t", "e", {"x": 1})
    assert a == b and a.changed and not b.changed
    assert len(db.history("t", "e")) == 1
    p = db.put("t", "r", "k", 1)
    q = db.put("t", "r", "k", 1)
    assert p.changed and not q.changed and p == q


def test_records_operations_are_described(db):
    db.put_many("t", "r", {"a": 1, "b": 2, "c": 3})
    db.delete("t", "r", "a")
    ops = [c.operation for c in db.history("t", "r")]
    assert ops[0].startswith("delete") and ops[1].startswith("put 3")
    assert db.get_all("t", "r") == {"b": 2, "c": 3}
    assert not db.delete("t", "r", "zz").changed


def test_diff_of_records_lists_added_changed_deleted_in_key_order(db):
    a = db.put_many("t", "r", {"keep": 1, "chg": "old", "del": None})
    db.put_many("t", "r", {"chg": "new", "add": [1]})
    b = db.delete("t", "r", "del")
    changes = db.diff("t", "r", a, b)
    assert changes == [("add", strata.ABSENT, [1]), ("chg", "old", "new"),
                       ("del", None, strata.ABSENT)]
    assert changes[2].old is None and changes[2].new is strata.ABSENT
    assert db.diff("t", "r", a) == changes  # b = head
    assert db.diff("t", "r", b, b) == []
    back = db.diff("t", "r", b, a)
    assert back == [("add", [1], strata.ABSENT), ("chg", "new", "old"),
                    ("del", strata.ABSENT, None)]


def test_diff_of_a_document_is_one_change_with_empty_key(db):
    a = db.save("t", "doc", {"v": 1})
    b = db.save("t", "doc", {"v": 2})
    assert db.diff("t", "doc", a, b) == [("", {"v": 1}, {"v": 2})]


def test_restore_makes_a_new_commit_with_old_content(db):
    a = db.put_many("t", "r", {"x": 1, "y": 2})
    db.put("t", "r", "x", 100)
    db.delete("t", "r", "y")
    r = db.restore("t", "r", a, user="ops", message="undo")
    assert r.changed and r != a
    assert db.get_all("t", "r") == {"x": 1, "y": 2}
    c = db.commit("t", r)
    assert c.generation == 4 and c.user == "ops" and c.operation == "restore " + a[:12]
    assert db.commit("t", r).data == db.commit("t", a).data
    assert not db.restore("t", "r", a).changed
    assert len(db.history("t", "r")) == 4


def test_reads_at_a_commit(db):
    a = db.put("t", "r", "k", "v1")
    db.put("t", "r", "k", "v2")
    assert db.get("t", "r", "k", at=a) == "v1"
    assert db.get("t", "r", "k") == "v2"
    assert db.get_all("t", "r", at=a) == {"k": "v1"}
    assert dict(db.records("t", "r", at=a)) == {"k": "v1"}


def test_as_of_reads_see_the_state_at_a_time(db):
    t0 = datetime(2023, 1, 1, tzinfo=timezone.utc)
    db.save("t", "doc", "jan", time=t0)
    db.put("t", "r", "k", "jan", time=t0)
    db.save("t", "doc", "mar", time=t0 + timedelta(days=60))
    db.put("t", "r", "k", "mar", time=t0 + timedelta(days=60))
    feb = datetime(2023, 2, 1, 12, tzinfo=TZ_NY)
    assert db.load("t", "doc", as_of=feb) == "jan"
    assert db.get("t", "r", "k", as_of=feb) == "jan"
    assert db.load("t", "doc", as_of=t0 + timedelta(days=61)) == "mar"
    assert db.load("t", "doc", as_of=feb.timestamp()) == "jan"  # epoch seconds work too
    with pytest.raises(strata.NotFound):
        db.load("t", "doc", as_of=t0 - timedelta(days=1))
    assert not db.exists("t", "doc", as_of=t0 - timedelta(days=1))
    assert db.exists("t", "doc", as_of=feb)


def test_snapshots_read_the_whole_tenant_as_it_was(db):
    db.save("t", "a", 1)
    db.put("t", "b", "k", 1)
    snap = db.snapshot("t")
    db.save("t", "a", 2)
    db.put("t", "b", "k", 2)
    db.save("t", "c", 3)
    assert db.load("t", "a", snapshot=snap) == 1
    assert db.get("t", "b", "k", snapshot=snap) == 1
    assert db.entries("t", snapshot=snap) == ["a", "b"]
    assert db.entries("t") == ["a", "b", "c"]
    assert not db.exists("t", "c", snapshot=snap)


def test_transaction_commits_several_entries_atomically(db):
    with db.transaction("t", user="ann", message="batch") as tx:
        tx.save("doc", {"v": 1})
        tx.put("r", "a", 1)
        tx.put_many("r", {"b": 2, "c": 3})
        tx.delete("r", "c")
    assert tx.result.changed and not tx.active
    assert db.load("t", "doc") == {"v": 1}
    assert db.get_all("t", "r") == {"a": 1, "b": 2}
    for entry in ("doc", "r"):
        c = db.history("t", entry)[0]
        assert (c.user, c.message) == ("ann", "batch")


def test_transaction_aborts_on_exception(db):
    db.save("t", "doc", "before")
    with pytest.raises(RuntimeError):
        with db.transaction("t") as tx:
            tx.save("doc", "after")
            tx.put("r", "a", 1)
            raise RuntimeError("boom")
    assert not tx.active
    assert db.load("t", "doc") == "before"
    assert not db.exists("t", "r")
    with pytest.raises(strata.InvalidArgument, match="already committed or aborted"):
        tx.put("r", "a", 1)


def test_transaction_expect_head_conflict_changes_nothing(db):
    h = db.save("t", "doc", 1)
    tx = db.transaction("t")
    tx.expect_head("doc", h)
    tx.expect_head("fresh", None)
    tx.save("doc", 2)
    tx.save("fresh", "x")
    db.save("t", "doc", 99)  # someone else moves the head
    with pytest.raises(strata.Conflict):
        tx.commit()
    assert db.load("t", "doc") == 99 and not db.exists("t", "fresh")
    with db.transaction("t") as tx2:
        tx2.expect_head("doc", db.head("t", "doc"))
        tx2.save("doc", 100)
    assert db.load("t", "doc") == 100


def test_empty_transaction_is_unchanged(db):
    with db.transaction("t") as tx:
        pass
    assert tx.result.changed is False


def test_close_aborts_open_transactions_and_ends_iterators(db_path):
    d = strata.open(db_path)
    d.init_tenant("t")
    d.put_many("t", "r", {str(i): i for i in range(10)})
    tx = d.transaction("t")
    tx.put("r", "x", 1)
    it = d.records("t", "r")
    assert next(it) == ("0", 0)
    d.close()
    assert not tx.active
    with pytest.raises(strata.InvalidArgument):
        next(it)
    with pytest.raises(strata.InvalidArgument):
        tx.commit()
    with strata.open(db_path) as d2:
        assert "x" not in d2.get_all("t", "r")


def test_tenants_are_isolated(db):
    db.init_tenant("u")
    d = db.save("t", "doc", "secret")
    db.save("u", "doc", "other")
    assert db.load("u", "doc") == "other"
    with pytest.raises(strata.NotFound):
        db.commit("u", d)
    with pytest.raises(strata.StrataError):
        db.load("u", "doc", at=d)
    assert db.tenants() == ["t", "u"]
    db.drop_tenant("u")
    assert db.tenants() == ["t"] and not db.tenant_exists("u")
