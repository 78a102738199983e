"""Error codes map to the right exception classes, carry the library's message, and bad input
changes nothing."""

import os
import subprocess
import sys
import textwrap
from decimal import Decimal

import pytest

import strata
from strata import _ffi as C
from strata.errors import error_for

ALL = [
    (C.ENOTFOUND, strata.NotFound, LookupError),
    (C.EEXISTS, strata.AlreadyExists, None),
    (C.ECONFLICT, strata.Conflict, None),
    (C.EINVALID, strata.InvalidArgument, ValueError),
    (C.EBUSY, strata.Busy, None),
    (C.ECORRUPT, strata.Corrupt, None),
    (C.EVERSION, strata.VersionError, None),
    (C.ENOMEM, strata.OutOfMemory, MemoryError),
    (C.EIO, strata.StrataIOError, OSError),
    (C.ECONDITION, strata.ConditionFailed, None),
    (C.ELIMIT, strata.LimitExceeded, None),
    (C.EPOISONED, strata.Poisoned, None),
]


@pytest.mark.parametrize("code,cls,builtin", ALL)
def test_every_error_code_maps_to_its_class_with_the_library_description(code, cls, builtin):
    C.lib.strata_error_clear()
    err = error_for(code)
    assert type(err) is cls
    assert isinstance(err, strata.StrataError) and isinstance(err, strata.DbException)
    if builtin is not None:
        assert isinstance(err, builtin)
    assert err.code == code == cls.code
    want = C.ffi.string(C.lib.strata_strerror(code)).decode()
    assert err.message == want and str(err) == want and want


def test_io_error_class_does_not_shadow_the_builtin():
    assert IOError is OSError
    assert not hasattr(strata, "IOError")


def test_missing_tenant_entry_key_and_commit_raise_not_found_with_message(db):
    with pytest.raises(strata.NotFound, match="tenant 'nope'"):
        db.load("nope", "e")
    with pytest.raises(strata.NotFound):
        db.load("t", "missing")
    db.put("t", "recs", "a", 1)
    with pytest.raises(strata.NotFound, match="'zz'"):
        db.get("t", "recs", "zz")
    assert db.get("t", "recs", "zz", default="dflt") == "dflt"
    with pytest.raises(strata.NotFound):
        db.commit("t", "0" * 64)
    with pytest.raises(LookupError):
        db.head("t", "missing")


def test_bad_names_raise_invalid_argument_and_change_nothing(db):
    before = db.entries("t")
    for bad in ["", "x" * 256, "ctl\x01", "nul\x00byte", "surrogate\udc80"]:
        with pytest.raises(strata.InvalidArgument):
            db.put("t", bad, "k", 1)
        with pytest.raises(strata.InvalidArgument):
            db.put("t", "e", bad, 1)
        with pytest.raises(strata.InvalidArgument):
            db.init_tenant(bad)
    for bad in [None, 5, b"bytes"]:
        with pytest.raises(strata.InvalidArgument):
            db.save("t", bad, 1)
    assert db.entries("t") == before
    assert db.tenants() == ["t"]


def test_bad_digests_raise_invalid_argument(db):
    db.save("t", "doc", 1)
    for bad in ["xyz", "0" * 63, "g" * 64, 12]:
        with pytest.raises(strata.InvalidArgument):
            db.load("t", "doc", at=bad)


def test_mixing_document_and_records_on_one_entry_is_refused(db):
    db.save("t", "doc", {"a": 1})
    with pytest.raises(strata.InvalidArgument, match="document"):
        db.put("t", "doc", "k", 1)
    db.put("t", "recs", "k", 1)
    with pytest.raises(strata.InvalidArgument, match="keyed records"):
        db.save("t", "recs", 1)
    assert db.load("t", "doc") == {"a": 1}
    assert db.get_all("t", "recs") == {"k": 1}


def test_expect_head_mismatch_raises_conflict_and_changes_nothing(db):
    first = db.save("t", "doc", 1)
    db.save("t", "doc", 2)
    with pytest.raises(strata.Conflict, match="expected"):
        db.save("t", "doc", 3, expect_head=first)
    with pytest.raises(strata.Conflict):
        db.save("t", "doc", 3, expect_head=strata.NO_HEAD)
    assert db.load("t", "doc") == 2
    assert db.save("t", "new", 1, expect_head=strata.NO_HEAD).changed
    head = db.head("t", "doc")
    assert db.save("t", "doc", 4, expect_head=head).changed


def test_second_writer_shares_the_database_and_reader_is_allowed(db_path):
    """Every handle may open the database read-write (the write lock is taken per commit,
    docs/concurrency.md): both write, both see each other's commits."""
    with strata.open(db_path) as w:
        w.init_tenant("t")
        with strata.open(db_path) as w2:
            w2.save("t", "other", 1)
            w.save("t", "doc", "v")
            assert w.load("t", "other") == 1
            assert w2.load("t", "doc") == "v"
        with strata.open(db_path, read_only=True) as r:
            assert r.load("t", "doc") == "v"
            with pytest.raises(strata.InvalidArgument, match="read-only"):
                r.save("t", "doc", "w")


def test_writer_in_another_process_shares_the_database(db_path):
    """Another process writes while this one holds the database open (issue 15); only a
    process holding the write lock itself (stuck inside a commit) makes a bounded wait give
    Busy."""
    import fcntl
    with strata.open(db_path) as db:
        db.init_tenant("t")
        db.save("t", "doc", "mine")
        code = textwrap.dedent("""
            import sys
            sys.path.insert(0, %r)
            import strata
            with strata.open(%r) as db:
                assert db.load("t", "doc") == "mine"
                db.save("t", "theirs", 7)
            print("written", flush=True)
        """ % (os.path.dirname(os.path.dirname(os.path.abspath(__file__))), db_path))
        out = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                             timeout=60)
        assert out.returncode == 0 and out.stdout.strip() == "written"
        assert db.load("t", "theirs") == 7
        db.save("t", "doc", "again")
        with open(os.path.join(db_path, "LOCK"), "r+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            with pytest.raises(strata.Busy):
                strata.open(db_path, lock_wait_ms=50)
    strata.open(db_path).close()  # free again


def test_open_missing_without_create_raises_not_found(tmp_path):
    with pytest.raises(strata.NotFound):
        strata.open(str(tmp_path / "none"), create=False)
    assert not (tmp_path / "none").exists()


def test_damaged_files_raise_corrupt(db_path):
    with strata.open(db_path) as d:
        d.init_tenant("t")
        for i in range(50):
            d.put("t", "e", str(i), {"pad": "x" * 100, "i": i})
    seg = [f for f in os.listdir(db_path) if f.endswith(".seg")][0]
    with open(os.path.join(db_path, seg), "r+b") as f:
        f.seek(3000)
        f.write(b"\xaa" * 16)
    with pytest.raises(strata.Corrupt, match="damaged record"):
        strata.open(db_path)
    with open(os.path.join(db_path, "STORE"), "r+b") as f:
        f.seek(8)
        f.write(b"\x02")
    with pytest.raises(strata.Corrupt, match="STORE"):
        strata.open(db_path)


def test_failed_operation_poisons_the_transaction(db):
    db.save("t", "doc", 1)
    tx = db.transaction("t")
    tx.put("recs", "a", 1)
    with pytest.raises(strata.InvalidArgument, match="control character"):
        tx.put("bad\x01name", "k", 1)
    with pytest.raises(strata.Poisoned):
        tx.put("recs", "b", 2)
    with pytest.raises(strata.Poisoned):
        tx.commit()
    assert not tx.active
    assert not db.exists("t", "recs")


def test_kind_mismatch_in_a_transaction_fails_at_commit_and_changes_nothing(db):
    db.save("t", "doc", 1)
    tx = db.transaction("t")
    tx.put("recs", "a", 1)
    tx.put("doc", "k", 1)  # "doc" is a document: found when the commit applies the edits
    with pytest.raises(strata.InvalidArgument, match="document"):
        tx.commit()
    assert not db.exists("t", "recs")
    assert db.load("t", "doc") == 1


def test_bad_options_are_refused(db_path, db):
    with pytest.raises(strata.InvalidArgument, match="durability"):
        strata.open(db_path + "2", durability="sometimes")
    with pytest.raises(strata.InvalidArgument, match="at most one"):
        db.load("t", "x", at="0" * 64, as_of=1)
    import datetime
    with pytest.raises(strata.InvalidArgument, match="aware"):
        db.save("t", "x", 1, time=datetime.datetime(2020, 1, 1))
    assert not db.exists("t", "x")


def test_closed_database_raises_instead_of_crashing(db_path):
    d = strata.open(db_path)
    d.init_tenant("t")
    d.close()
    d.close()  # idempotent
    assert d.closed
    with pytest.raises(strata.InvalidArgument, match="closed"):
        d.save("t", "e", 1)
    with pytest.raises(strata.InvalidArgument, match="closed"):
        d.tenants()


def test_bad_strata_lib_path_fails_import_with_a_clear_oserror(tmp_path):
    env = dict(os.environ, STRATA_LIB=str(tmp_path / "nope.so"))
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, %r); import strata"
                        % pkg], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "OSError" in p.stderr and "nope.so" in p.stderr


def _bad_numeric_calls():
    nan, inf = float("nan"), float("inf")
    return [
        ("history max_items 2**64", lambda db, tb: db.history("t", "r", max_items=2**64)),
        ("history max_items -1", lambda db, tb: db.history("t", "r", max_items=-1)),
        ("history max_items 1.5", lambda db, tb: db.history("t", "r", max_items=1.5)),
        ("table history 2**64", lambda db, tb: tb.history(max_items=2**64)),
        ("scan limit 2**64", lambda db, tb: tb.scan(limit=2**64)),
        ("query limit -1", lambda db, tb: tb.query("id = :v", values={":v": "a"}, limit=-1)),
        ("scan segment -1", lambda db, tb: tb.scan(segment=-1, total_segments=2)),
        ("scan total_segments 2**32", lambda db, tb: tb.scan(segment=0, total_segments=2**32)),
        ("scan segment 1.0", lambda db, tb: tb.scan(segment=1.0, total_segments=2)),
        ("put time 2**70", lambda db, tb: db.put("t", "r", "a", 2, time=2**70)),
        ("put time nan", lambda db, tb: db.put("t", "r", "a", 2, time=nan)),
        ("put time inf", lambda db, tb: db.put("t", "r", "a", 2, time=inf)),
        ("put time 1e300", lambda db, tb: db.put("t", "r", "a", 2, time=1e300)),
        ("put time Decimal NaN", lambda db, tb: db.put("t", "r", "a", 2, time=Decimal("NaN"))),
        ("put time Decimal 1e999999",
         lambda db, tb: db.put("t", "r", "a", 2, time=Decimal("1e999999"))),
        ("save time 2**62", lambda db, tb: db.save("t", "d", 2, time=2**62)),
        ("get as_of 2**62", lambda db, tb: db.get("t", "r", "a", as_of=2**62)),
        ("get as_of nan", lambda db, tb: db.get("t", "r", "a", as_of=nan)),
        ("get as_of -inf", lambda db, tb: db.get("t", "r", "a", as_of=-inf)),
        ("snapshot as_of 2**62", lambda db, tb: db.snapshot("t", as_of=2**62)),
        ("sweep_ttl now nan", lambda db, tb: tb.sweep_ttl(now=nan)),
        ("sweep_ttl now 2**70", lambda db, tb: tb.sweep_ttl(now=2**70)),
        ("unlisten 2**64", lambda db, tb: db.unlisten(2**64)),
        ("unlisten -1", lambda db, tb: db.unlisten(-1)),
        ("unlisten str", lambda db, tb: db.unlisten("1")),
        ("set_retention keep_commits 2**64",
         lambda db, tb: db.set_retention("t", keep_commits=2**64)),
        ("set_retention keep_commits -1", lambda db, tb: db.set_retention("t", keep_commits=-1)),
        ("set_retention keep_age 2**63", lambda db, tb: db.set_retention("t", keep_age=2**63)),
        ("set_retention keep_age nan", lambda db, tb: db.set_retention("t", keep_age=nan)),
        ("set_retention keep_age -1", lambda db, tb: db.set_retention("t", keep_age=-1)),
        ("gc min_dead_share str", lambda db, tb: db.gc(min_dead_share="x")),
        ("gc min_dead_share 10**400", lambda db, tb: db.gc(min_dead_share=10**400)),
        ("open cache_bytes 2**64",
         lambda db, tb: strata.open(db.path + "-2", cache_bytes=2**64)),
        ("open compress_level 2**31",
         lambda db, tb: strata.open(db.path + "-2", compress_level=2**31)),
        ("open lock_wait_ms -2**31-1",
         lambda db, tb: strata.open(db.path + "-2", lock_wait_ms=-2**31 - 1)),
    ]


@pytest.mark.parametrize("name,call", _bad_numeric_calls(),
                         ids=[n for n, _ in _bad_numeric_calls()])
def test_numbers_a_c_integer_cannot_hold_raise_invalid_argument_and_change_nothing(db, name, call):
    """Every numeric argument becomes a C integer through one checked helper: out of range,
    NaN, infinite or of the wrong type is InvalidArgument (never cffi's OverflowError,
    TypeError or ValueError), and nothing is written."""
    db.put("t", "r", "a", 1)
    db.create_table("t", "tb", "id", ttl="exp")
    tb = db.table("t", "tb")
    tb.put_item({"id": "a", "exp": 4102444800})  # 2100: not expired
    before = [c.digest for c in db.history("t", "r")], db.entries("t"), db.retention("t")
    with pytest.raises(strata.InvalidArgument) as info:
        call(db, tb)
    assert type(info.value) is strata.InvalidArgument and info.value.message
    assert ([c.digest for c in db.history("t", "r")], db.entries("t"), db.retention("t")) == before
    assert not os.path.exists(db.path + "-2")
    assert db.get("t", "r", "a") == 1 and len(tb.scan()) == 1


def test_numbers_at_the_edge_of_their_c_type_are_accepted(db):
    db.put("t", "r", "a", 1)
    assert len(db.history("t", "r", max_items=2**64 - 1)) == 1
    db.create_table("t", "tb", "id")
    tb = db.table("t", "tb")
    assert len(tb.scan(limit=2**64 - 1)) == 0
    assert len(tb.scan(segment=2**32 - 2, total_segments=2**32 - 1)) == 0
    db.put("t", "r", "a", 2, time=Decimal("1.5"))
    assert db.history("t", "r")[0].time_us == 1_500_000
    assert db.get("t", "r", "a", as_of=(2**63 - 1) // 1_000_000) == 2
