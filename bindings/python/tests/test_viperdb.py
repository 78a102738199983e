"""strata.viperdb: viperdb's API (ostafen/viperdb; README /work/shared/seeds/004_*.txt) on
strata — the dict interface, expiry, reclaim, the seed's encodings (JSON for builtins, raw bytes,
pickle for user classes), bad input, history, and a writer killed mid-stream."""

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from secrets import token_bytes

import pytest

import strata
from strata.viperdb import ViperDB


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "db")


@pytest.fixture
def vdb(path):
    with ViperDB(path, durability="off") as d:
        yield d


class MyClass:
    pass


def expiration_in(seconds):
    """The seed's tests' unit: milliseconds since 1970."""
    return int((datetime.now() + timedelta(seconds=seconds)).timestamp() * 1000)


README = '''\
from viperdb import ViperDB

db = ViperDB('./db')
# db can be used as a simple dictionary
db['hello'] = 'ViperDB!'
assert db['hello'] == 'ViperDB'

del db['hello']
assert 'hello' not in db

db.reclaim() # call this method periodically to free unused space.
db.close() # flush any pending write and close the database.
'''


def test_seed_004_readme_runs_with_only_the_import_changed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = README.replace("from viperdb import ViperDB", "from strata.viperdb import ViperDB")
    assert code.count("\n") == README.count("\n")
    # The README's first assert compares with 'ViperDB' but stored 'ViperDB!': it fails under
    # the seed too. Run it as written and expect exactly that failure at that line...
    g = {}
    with pytest.raises(AssertionError):
        exec(compile(code, "README", "exec"), g)
    g["db"].close()
    # ...then with the typo fixed, the whole example runs.
    fixed = code.replace("== 'ViperDB'\n", "== 'ViperDB!'\n")
    (tmp_path / "fixed").mkdir()
    monkeypatch.chdir(tmp_path / "fixed")
    exec(compile(fixed, "README", "exec"), {})
    assert os.path.isdir("db")


# ---- the dict interface ------------------------------------------------------------------


def test_insert_keys_like_the_seed(vdb):
    for i in range(1000):
        vdb[i] = i + 1
        assert i in vdb
        assert vdb[i] == i + 1
    assert len(vdb) == 1000
    assert sorted(vdb) == list(range(1000))


def test_missing_key_reads_none_and_delete_of_missing_is_a_no_op(vdb):
    assert vdb["nope"] is None
    del vdb["nope"]
    assert "nope" not in vdb
    assert vdb.get("nope", 7) == 7
    with pytest.raises(KeyError):
        vdb.pop("nope")
    assert vdb.pop("nope", 3) == 3


def test_mapping_methods(vdb):
    vdb.update({"a": 1, "b": 2})
    assert dict(vdb.items()) == {"a": 1, "b": 2}
    assert sorted(vdb.keys()) == ["a", "b"] and sorted(vdb.values()) == [1, 2]
    assert vdb.pop("a") == 1 and "a" not in vdb
    assert vdb.setdefault("c", 5) == 5 and vdb.setdefault("c", 6) == 5
    vdb["n"] = None
    assert "n" in vdb and vdb["n"] is None  # a stored None exists


def test_str_and_int_keys_are_distinct_and_survive_reopen(path):
    with ViperDB(path) as d:
        d[1] = "int"
        d["1"] = "str"
        d["ctl\x01%41"] = "escaped"
        d[-5] = "neg"
        d["é/ü"] = "unicode"
    with ViperDB(path) as d:
        assert d[1] == "int" and d["1"] == "str" and d[-5] == "neg"
        assert d["ctl\x01%41"] == "escaped" and d["é/ü"] == "unicode"
        assert set(d) == {1, "1", -5, "ctl\x01%41", "é/ü"}
        assert all(type(k) in (int, str) for k in d)


def test_values_round_trip_as_the_seed_returns_them(vdb):
    data = token_bytes(1000)
    vdb["bytes"] = data
    vdb["float"] = 1.0
    vdb["floats"] = [0.1, 2.0, {"x": 1e300}]
    vdb["tuple"] = (1, "a")
    vdb["dict"] = {1: "a", "b": [True, None]}
    vdb["big"] = 10 ** 40
    vdb["nan"] = float("nan")
    vdb.flush()
    assert vdb["bytes"] == data
    assert vdb["float"] == 1.0 and type(vdb["float"]) is float
    assert vdb["floats"] == [0.1, 2.0, {"x": 1e300}] and type(vdb["floats"][1]) is float
    assert vdb["tuple"] == [1, "a"]          # JSON, as in the seed
    assert vdb["dict"] == {"1": "a", "b": [True, None]}
    assert vdb["big"] == 10 ** 40
    assert vdb["nan"] != vdb["nan"]


def test_user_class_instances_are_pickled(path):
    with ViperDB(path) as d:
        o = MyClass()
        o.field = "myField"
        d["myKey"] = o
        assert d["myKey"].field == "myField"
    with ViperDB(path) as d:
        assert d["myKey"].field == "myField"
        assert isinstance(d["myKey"], MyClass)


def test_remove_keys_reopen_reclaim(path):
    n = 1000
    d = ViperDB(path, durability="off")
    for i in range(n):
        d[i] = i + 1
    for i in range(0, n, 2):
        del d[i]

    def check(db):
        for i in range(n):
            if i % 2 == 0:
                assert i not in db
            else:
                assert db[i] == i + 1
    check(d)
    d.close()
    d = ViperDB(path, durability="off")
    check(d)
    d.reclaim()
    check(d)
    assert len(d) == n // 2
    d.close()


# ---- expiry ------------------------------------------------------------------------------


def test_insert_with_expiration(vdb):
    soon, later = expiration_in(0.3), expiration_in(30)
    for i in range(200):
        vdb.set_with_expiration(i, i + 1, soon if i % 2 == 0 else later)
        assert vdb[i] == i + 1
    time.sleep(0.4)

    def check():
        for j in range(200):
            if j % 2 == 0:
                assert vdb[j] is None and j not in vdb
            else:
                assert vdb[j] == j + 1 and j in vdb
    check()
    assert len(vdb) == 100
    vdb.reclaim()
    check()
    # reclaim deleted the expired records themselves
    assert len(vdb.strata.get_all("viperdb", "kv")) == 100


def test_a_plain_set_clears_an_expiration(vdb):
    vdb.set_with_expiration("k", 1, expiration_in(-1))
    assert vdb["k"] is None
    vdb["k"] = 2
    assert vdb["k"] == 2


# ---- reclaim ----------------------------------------------------------------------------------


def test_reclaim_gives_back_the_space_of_old_values(path):
    d = ViperDB(path, durability="off")
    blob = b"x" * 2000
    for rnd in range(20):
        for i in range(200):
            d[i] = blob + bytes([rnd])  # random-ish but compressible values
        d.flush()
    for i in range(100):
        del d[i]
    d.flush()
    before = d.strata.space()["file_bytes"]
    assert len(d.commits()) > 20
    report = d.reclaim()
    after = d.strata.space()["file_bytes"]
    assert report["bytes_after"] < report["bytes_before"] / 4
    assert after < before / 4
    assert len(d.commits()) == 1  # history cut to the current values
    assert d.strata.retention("viperdb") is None  # the temporary policy is gone
    assert all(d[i] == blob + bytes([19]) for i in range(100, 200))
    assert all(d[i] is None for i in range(100))
    d.close()
    with ViperDB(path) as d:
        assert len(d) == 100
        assert d.strata.verify() == 0


# ---- bad input: the seed's kind of exception, nothing changed ----------------------------------


@pytest.mark.parametrize("key", [1.5, None, (1, 2), b"k", True])
def test_bad_keys_raise_type_error(vdb, key):
    with pytest.raises(TypeError):
        vdb[key] = 1
    with pytest.raises(TypeError):
        vdb[key]
    assert len(vdb) == 0


def test_unserializable_builtin_raises_type_error_and_changes_nothing(vdb):
    vdb["k"] = 1
    with pytest.raises(TypeError):
        vdb["k"] = {1, 2}          # a set: JSON cannot hold it, as in the seed
    with pytest.raises(TypeError):
        vdb["k"] = [MyClass()]     # a user object inside a builtin: JSON again
    assert vdb["k"] == 1


def test_bad_expiration(vdb):
    with pytest.raises(TypeError):
        vdb.set_with_expiration("k", 1, "tomorrow")
    assert "k" not in vdb


def test_too_long_key_is_refused(vdb):
    vdb["ok"] = 1
    with pytest.raises(ValueError):
        vdb["x" * 300] = 1
    with pytest.raises(ValueError):
        vdb["\ud800"] = 1
    vdb.flush()
    assert list(vdb) == ["ok"]


def test_bad_options(path):
    with pytest.raises(ValueError):
        ViperDB(path, write_buffer=-1)
    with pytest.raises(ValueError):
        ViperDB(path, durability="sometimes")


def test_closed_database_raises(path):
    d = ViperDB(path)
    d["a"] = 1
    d.close()
    d.close()  # idempotent
    with pytest.raises(strata.InvalidArgument, match="closed"):
        d["a"]
    with ViperDB(path) as d2:
        assert d2["a"] == 1  # close flushed


# ---- beyond the seed: history and old versions -------------------------------------------------


def test_history_and_reads_at_an_older_version(vdb):
    vdb["k"] = "v1"
    vdb.flush()
    first = vdb.commits()[0]
    vdb["k"] = "v2"
    vdb["other"] = 1
    vdb.flush()
    vdb["other"] = 2
    vdb.flush()
    del vdb["k"]
    vdb.flush()
    h = vdb.history("k")
    assert [v.value for v in h] == [strata.ABSENT, "v2", "v1"]
    assert h[-1].digest == first.digest
    assert vdb.history("k", max_items=1)[0].value is strata.ABSENT
    assert vdb.get("k", at=first.digest) == "v1"
    assert vdb.get("k", at=h[1].digest) == "v2"
    assert vdb.get("k", as_of=datetime.now(timezone.utc)) is None
    assert vdb.get("k", as_of=first.time) == "v1"
    assert vdb.history("never") == []


def test_write_buffer_zero_commits_every_write(path):
    with ViperDB(path, write_buffer=0, durability="off") as d:
        d["a"] = 1
        d["a"] = 2
        del d["a"]
        assert len(d.commits()) == 3


def test_writes_are_buffered_into_one_commit(path):
    with ViperDB(path, write_buffer=100, durability="off") as d:
        for i in range(250):
            d[i] = i
        assert len(d.commits()) == 3  # two full buffers flushed, the rest at commits()


# ---- crash: a killed writer loses no acknowledged write ------------------------------------


WRITER = r"""
import sys
sys.path.insert(0, %(pkg)r)
from strata.viperdb import ViperDB
db = ViperDB(%(path)r, durability="normal", write_buffer=%(buffer)d)
i = 0
while True:
    db[i] = {"n": i, "pad": "x" * 100}
    if %(buffer)d == 0 or i %% 50 == 49:
        db.flush()
        print(i, flush=True)   # acknowledged
    i += 1
"""


@pytest.mark.parametrize("buffer", [0, 1000])
def test_killed_writer_loses_no_acknowledged_write(path, buffer):
    pkg = os.path.dirname(os.path.dirname(strata.__file__))
    code = WRITER % {"pkg": pkg, "path": path, "buffer": buffer}
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    acked = -1
    try:
        for line in p.stdout:
            acked = int(line)
            if acked >= 400:
                break
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stdout.close()
    assert acked >= 400
    with ViperDB(path) as d:
        for i in range(acked + 1):
            assert d[i] == {"n": i, "pad": "x" * 100}
        assert d.strata.verify() == 0


def test_threads_share_one_viperdb(path):
    import threading
    with ViperDB(path, durability="off", write_buffer=50) as d:
        def work(t):
            for i in range(300):
                d["%d-%d" % (t, i)] = i
                assert d["%d-%d" % (t, i)] == i
                if i % 7 == 0:
                    del d["%d-%d" % (t, i)]
        ts = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert len(d) == 4 * (300 - 43)
