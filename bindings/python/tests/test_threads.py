"""One Database shared by several threads; C calls run without the GIL; close() while other
threads work ends their calls with an error, never a crash."""

import os
import threading
import time

import pytest

import strata


def run_threads(n, target):
    errors = []

    def wrap(i):
        try:
            target(i)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return threads


def test_threads_write_and_read_one_database(db):
    n, per = 8, 60

    def work(i):
        for j in range(per):
            db.put("t", "e%d" % i, "k%d" % j, {"thread": i, "j": j})
            if j % 10 == 0:
                other = db.get_all("t", "e%d" % ((i + 1) % n)) if db.exists(
                    "t", "e%d" % ((i + 1) % n)) else {}
                assert all(v["thread"] == (i + 1) % n for v in other.values())
        db.save("t", "doc%d" % i, list(range(i)))

    run_threads(n, work)
    for i in range(n):
        recs = db.get_all("t", "e%d" % i)
        assert len(recs) == per and recs["k7"] == {"thread": i, "j": 7}
        assert len(db.history("t", "e%d" % i)) == per
        assert db.load("t", "doc%d" % i) == list(range(i))


def test_optimistic_counter_with_expect_head_loses_no_increment(db):
    db.save("t", "counter", 0)
    n, per = 4, 25
    conflicts = []

    def work(i):
        done = 0
        while done < per:
            head = db.head("t", "counter")
            value = db.load("t", "counter", at=head)
            try:
                with db.transaction("t", user="w%d" % i) as tx:
                    tx.expect_head("counter", head)
                    tx.save("counter", value + 1)
                done += 1
            except strata.Conflict:
                conflicts.append(i)

    run_threads(n, work)
    assert db.load("t", "counter") == n * per
    assert len(db.history("t", "counter")) == n * per + 1


def test_c_calls_release_the_gil(db_path):
    """A call blocked inside the library (a writer waiting 700 ms for the write lock, which a
    process stuck inside a commit holds: here a flock on LOCK) lets other Python threads run
    meanwhile."""
    import fcntl
    strata.open(db_path).close()
    holder = open(os.path.join(db_path, "LOCK"), "r+")
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        state = {"done": False, "error": None}

        def blocked_open():
            try:
                strata.open(db_path, lock_wait_ms=700)
            except strata.Busy as exc:
                state["error"] = exc
            state["done"] = True

        t = threading.Thread(target=blocked_open)
        t.start()
        time.sleep(0.05)  # let it enter the C call
        start, spins = time.monotonic(), 0
        while not state["done"]:
            spins += 1
        elapsed = time.monotonic() - start
        t.join()
        assert isinstance(state["error"], strata.Busy)
        assert elapsed > 0.3
        # With the GIL held for the whole wait this loop could not have run at all.
        assert spins > 100_000, (spins, elapsed)
    finally:
        holder.close()


def test_close_while_threads_work_raises_closed_never_crashes(db_path):
    d = strata.open(db_path, durability="off")
    d.init_tenant("t")
    d.put_many("t", "r", {str(i): i for i in range(100)})
    outcomes = []
    deadline = time.monotonic() + 20

    def reader(i):
        try:
            while time.monotonic() < deadline:  # until close() ends it with an error
                assert len(d.get_all("t", "r")) >= 100
                d.put("t", "r", "w%d" % i, time.time())
                for _ in d.records("t", "r"):
                    pass
        except Exception as exc:  # checked below: only "closed" errors are expected
            outcomes.append("%s: %s" % (type(exc).__name__, exc))

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    d.close()
    for t in threads:
        t.join(30)
    assert len(outcomes) == 4 and all(o.startswith("InvalidArgument") and "closed" in o
                                      for o in outcomes), outcomes
    with strata.open(db_path) as again:
        assert len(again.get_all("t", "r")) >= 100
        assert again.verify() == 0


@pytest.mark.parametrize("durability", ["full", "normal"])
def test_durability_modes_open_and_persist(db_path, durability):
    with strata.open(db_path, durability=durability) as d:
        d.init_tenant("t")
        d.save("t", "e", durability)
    with strata.open(db_path, create=False) as d:
        assert d.load("t", "e") == durability


def test_a_listener_that_closes_the_database_gets_an_error_instead_of_a_deadlock(db_path):
    """A listener runs on the committing thread inside the commit's call, which close() would
    wait for forever: close() there raises InvalidArgument and changes nothing; the commit
    stands, the failure is counted, and closing afterwards works."""
    d = strata.open(db_path, durability="off")
    d.init_tenant("t")
    seen = []

    def closer(*ev):
        try:
            d.close()
        except strata.InvalidArgument as e:
            seen.append(e.message)
            raise

    d.listen(closer)
    writer = threading.Thread(target=lambda: d.put("t", "r", "k", 1), daemon=True)
    writer.start()
    writer.join(20)
    assert not writer.is_alive(), "close() inside a listener deadlocked the commit"
    assert len(seen) == 1 and "listener" in seen[0], seen
    assert not d.closed and d.listener_failures() == 1
    assert d.get("t", "r", "k") == 1
    d.close()
    assert d.closed
