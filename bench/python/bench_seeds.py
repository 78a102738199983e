#!/usr/bin/env python3
"""The seeds' headline workloads through strata's compatibility modules.

    python3 bench/python/bench_seeds.py [viperdb|dynafile|delta_trace|all] [--n N]
                                        [--durability off|normal|full] [--smoke]

viperdb      set N keys (ViperDB's default write buffer, flushed by close), then get each of
             them in random order: µs per key (the seed: set 36 µs, get 6–11 µs at 100k).
dynafile     batch load of N items into 100 partitions (one batch_writer), get_item (random
             keys), and single put_item into partitions of 100 / 1k / 5k items: ms per call
             (the seed: get_item 1.1 ms; put_item 1.0 / 2.6 / 15.6 ms).
delta_trace  the seed's speed test with N records, in memory like the seed's: add, getAll, search, paging, update,
             delete, and one updateOne inside a transaction: seconds per step (the seed at
             100k: add 1.1–1.7 s, getAll 1.4–2.2 s, search 2.8–3.0 s, updateOne in a
             transaction ~1.0 s).

Numbers are medians of --runs runs (default 1). --smoke: small N, for a quick check that the
workloads run. The library is found like the package finds it (STRATA_LIB, build trees).
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))

import strata  # noqa: E402,F401


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# ---- viperdb --------------------------------------------------------------------------------


def bench_viperdb(n, durability, tmp):
    from strata.viperdb import ViperDB
    path = os.path.join(tmp, "viper")
    keys = ["key-%d" % i for i in range(n)]
    value = {"name": "user", "age": 30, "score": 8.5}
    db = ViperDB(path, durability=durability)

    def sets():
        for k in keys:
            db[k] = value
        db.close()
    t_set = timed(sets)
    db = ViperDB(path, durability=durability)
    order = keys[:]
    random.shuffle(order)

    def gets():
        for k in order:
            db[k]
    t_cold = timed(gets)
    t_get = timed(gets)
    t_in = timed(lambda: [k in db for k in order])
    db.close()
    # the seed's own tests store ints: db[i] = i + 1
    db = ViperDB(os.path.join(tmp, "viper-int"), durability=durability)
    ints = list(range(n))
    t_iset = timed(lambda: [db.__setitem__(i, i + 1) for i in ints] and db.close())
    db = ViperDB(os.path.join(tmp, "viper-int"), durability=durability)
    random.shuffle(ints)
    t_iget = timed(lambda: [db[i] for i in ints])
    db.close()
    return [("set (buffered, incl. close)", t_set / n * 1e6, "µs/key", 36.0),
            ("get (random key, first pass after open)", t_cold / n * 1e6, "µs/key", 6.0),
            ("get (random key, second pass)", t_get / n * 1e6, "µs/key", 6.0),
            ("in (random key)", t_in / n * 1e6, "µs/key", None),
            ("set int values (buffered, incl. close)", t_iset / n * 1e6, "µs/key", 36.0),
            ("get int values (random key, first pass)", t_iget / n * 1e6, "µs/key", 6.0)]


# ---- dynafile ----------------------------------------------------------------------------


def bench_dynafile(n, durability, tmp):
    from strata.dynafile import Dynafile
    out = []
    db = Dynafile(os.path.join(tmp, "dyna"), durability=durability)

    def item(i, pk=None):
        return {"PK": pk or "item-%d" % (i % 100), "SK": "%08d" % i, "n": i, "score": i / 4,
                "name": "user-%d" % i}

    def load():
        with db.batch_writer() as w:
            for i in range(n):
                w.put_item(item=item(i))
    t = timed(load)
    out.append(("batch load of N items in 100 partitions", t, "s", None))
    out.append(("  per item", t / n * 1e6, "µs", None))
    gets = [{"PK": "item-%d" % (i % 100), "SK": "%08d" % i}
            for i in random.sample(range(n), min(n, 10000))]
    t = timed(lambda: [db.get_item(key=k) for k in gets])
    out.append(("get_item (random key)", t / len(gets) * 1e3, "ms", 1.1))
    seed_put = {100: 1.0, 1000: 2.6, 5000: 15.6}
    for size in (100, 1000, 5000):
        pk = "part-%d" % size
        with db.batch_writer() as w:
            for i in range(size):
                w.put_item(item=item(i, pk))
        m = 200
        t = timed(lambda: [db.put_item(item=item(size + i, pk)) for i in range(m)])
        out.append(("put_item into a partition of %d" % size, t / m * 1e3, "ms",
                    seed_put[size]))
    t = timed(lambda: list(db.query("item-7", _filter="n > 500")))
    out.append(("query one partition (N/100 items) + C filter", t * 1e3, "ms", None))
    t = timed(lambda: list(db.scan(_filter="name =~ /^user-1/")))
    out.append(("scan N items with a regex filter", t * 1e3, "ms", None))
    db.close()
    return out


# ---- delta_trace ----------------------------------------------------------------------------


def bench_delta_trace(n, durability, tmp):
    """The seed's tests/test_speed.py steps (with object conversion where it converts)."""
    from datetime import datetime
    from strata.delta_trace import (DeltaTraceDatabase, FieldEquals, FieldGreaterThan,
                                    FieldStartsWith, OrNode, QueryBuilder, RawQueryBuilder,
                                    SingleSort, TransactionQuery)
    now = datetime.now().isoformat()
    users = [{"id": str(i), "name": "sample%d" % i, "age": i, "createdAt": now,
              "updatedAt": now, "nestedObj": {"num": i}} for i in range(n)]
    conv = dict  # the seed's User.from_dict is a cheap field copy: a dict copy stands in
    out = []
    # the seed's speed test runs in memory; so does this one (strata's ":memory:" database)
    db = DeltaTraceDatabase()

    def step(label, fn, seed=None):
        t = timed(fn)
        out.append((label, t, "s", seed))

    step("add", lambda: db.execute_query(
        RawQueryBuilder.add(target="users", raw_add_data=users).build()), 1.1)
    step("getAll (+ convert)", lambda: db.execute_query(
        QueryBuilder.get_all(target="users").build()).convert(conv), 1.4)
    step("search startsWith, sort by age (+ convert)", lambda: db.execute_query(
        QueryBuilder.search(target="users", query_node=FieldStartsWith("name", "sample"),
                            sort_obj=SingleSort(field="age")).build()).convert(conv), 2.8)
    step("search paging, half limit (+ convert)", lambda: db.execute_query(
        QueryBuilder.search(target="users", query_node=FieldStartsWith("name", "sample"),
                            sort_obj=SingleSort(field="age"), limit=n // 2).build()
    ).convert(conv))
    step("searchOne, the last object", lambda: db.execute_query(
        QueryBuilder.search_one(target="users", query_node=FieldEquals("age", n - 1)).build()))
    step("update half index and last objects", lambda: db.execute_query(
        QueryBuilder.update(target="users", query_node=OrNode([
            FieldEquals("name", "sample%d" % (n // 2 - 1)),
            FieldEquals("name", "sample%d" % (n - 1))]),
            override_data={"age": n + 1}, sort_obj=SingleSort(field="id")).build()))
    step("updateOne inside a transaction", lambda: db.execute_transaction_query(
        TransactionQuery([QueryBuilder.update_one(
            target="users", query_node=FieldEquals("name", "sample%d" % (n // 2 - 1)),
            override_data={"age": n}).build()])), 1.0)
    step("delete half (+ convert)", lambda: db.execute_query(
        QueryBuilder.delete(target="users", query_node=FieldGreaterThan("age", n // 2),
                            sort_obj=SingleSort(field="id"), return_data=True).build()
    ).convert(conv))
    step("deleteOne", lambda: db.execute_query(
        QueryBuilder.delete_one(target="users", query_node=FieldEquals("age", n // 2),
                                return_data=True).build()))
    step("add with serialKey", lambda: db.execute_query(RawQueryBuilder.add(
        target="items", raw_add_data=[{"serialKey": None, "name": str(i)} for i in range(n)],
        serial_key="serialKey").build()))
    db.close()
    return out


BENCHES = {"viperdb": bench_viperdb, "dynafile": bench_dynafile,
           "delta_trace": bench_delta_trace}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("which", nargs="?", default="all")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--durability", default="normal")
    ap.add_argument("--smoke", action="store_true")
    a = ap.parse_args()
    if a.smoke:
        a.n, a.runs = 500, 1
    names = list(BENCHES) if a.which == "all" else [a.which]
    print("library %s, N=%d, durability=%s, runs=%d"
          % (strata.library_version(), a.n, a.durability, a.runs))
    for name in names:
        results = {}
        for _ in range(a.runs):
            tmp = tempfile.mkdtemp(prefix="bench-seeds-")
            try:
                for label, v, unit, seed in BENCHES[name](a.n, a.durability, tmp):
                    results.setdefault(label, (unit, seed, []))[2].append(v)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        print("\n%s" % name)
        for label, (unit, seed, vs) in results.items():
            med = statistics.median(vs)
            ratio = " (seed %.4g, %.1fx)" % (seed, seed / med) if seed and med else ""
            print("  %-42s %10.3f %s%s" % (label, med, unit, ratio))


if __name__ == "__main__":
    main()
