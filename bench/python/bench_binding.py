#!/usr/bin/env python3
"""Benchmark of the Python binding: µs per operation for small records.

    python3 bench/python/bench_binding.py [N] [--runs R] [--durability off|normal|full] [--smoke]

Workloads (each run on a fresh database; medians of R runs, default 3):
  put         N single puts into one records entry as it grows (one commit each); also the
              cost of the first and the last tenth of the puts (growth)
  put_many    N records written in batches of 1000 (one commit per batch), per record
  get         N gets of random keys, per get
  get_all     reading all N records as one dict, per record
  codec       the binding's value conversion alone (encode → strata value → decode), per value
  dbengine    N/10 DbEngine.put calls (the seeds' API), per put
  sqlite put  the peer: Python's sqlite3, one autocommit INSERT OR REPLACE of JSON per put, with
              synchronous matching the durability; sqlite get: SELECT by primary key
Ratios strata/sqlite are printed for put and get. --smoke: N = 300, 1 run (CTest-size).
The library is found like the package finds it (STRATA_LIB, build trees, system).
"""

import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))

import strata  # noqa: E402
from strata.values import Encoder, Decoder  # noqa: E402
from strata._ffi import ffi, lib  # noqa: E402


def record(i):
    return {"name": "user-%d" % i, "age": i % 90, "active": i % 3 == 0, "score": i * 0.5}


def keyname(i):
    return "k%08d" % i


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run_strata(n, durability, tmp):
    res = {}
    path = os.path.join(tmp, "s.strata")
    db = strata.open(path, durability=durability)
    db.init_tenant("t")
    tenth = max(1, n // 10)
    marks = []

    def puts():
        for i in range(n):
            if i % tenth == 0:
                marks.append(time.perf_counter())
            db.put("t", "users", keyname(i), record(i), user="bench")
        marks.append(time.perf_counter())

    res["put"] = timed(puts) / n
    res["put first 10%"] = (marks[1] - marks[0]) / tenth
    res["put last 10%"] = (marks[-1] - marks[-2]) / (n - tenth * (len(marks) - 2))
    rnd = random.Random(7)
    keys = [keyname(rnd.randrange(n)) for _ in range(n)]
    res["get"] = timed(lambda: [db.get("t", "users", k) for k in keys]) / n
    res["get_all"] = timed(lambda: db.get_all("t", "users")) / n

    def put_many():
        for b in range(0, n, 1000):
            db.put_many("t", "bulk", {keyname(i): record(i) for i in range(b, min(n, b + 1000))})

    res["put_many"] = timed(put_many) / n
    db.close()

    enc_dec = Decoder(None)

    def codec():
        pv = ffi.new("strata_value **")
        out = ffi.new("char **")
        ln = ffi.new("size_t *")
        for i in range(n):
            data = Encoder(None).encode(record(i))
            lib.strata_value_from_json(pv, data, len(data), 2)
            lib.strata_value_to_json(out, ln, pv[0], 2)
            enc_dec.decode_text(ffi.unpack(out[0], ln[0]))
            lib.strata_free(out[0])
            lib.strata_value_free(pv[0])

    res["codec"] = timed(codec) / n

    m = max(1, n // 10)
    eng = strata.DbEngine(os.path.join(tmp, "e.strata"), durability=durability)
    eng.init("t")
    res["dbengine put"] = timed(lambda: [eng.put("t", "u", "users", keyname(i), record(i))
                                         for i in range(m)]) / m
    eng.close()
    return res


def run_sqlite(n, durability, tmp):
    res = {}
    con = sqlite3.connect(os.path.join(tmp, "s.sqlite"), isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=%s" % {"off": "OFF", "normal": "NORMAL",
                                           "full": "FULL"}[durability])
    con.execute("CREATE TABLE users (k TEXT PRIMARY KEY, v TEXT)")

    def puts():
        for i in range(n):
            con.execute("INSERT OR REPLACE INTO users VALUES (?, ?)",
                        (keyname(i), json.dumps(record(i))))

    res["put"] = timed(puts) / n
    rnd = random.Random(7)
    keys = [keyname(rnd.randrange(n)) for _ in range(n)]

    def gets():
        for k in keys:
            json.loads(con.execute("SELECT v FROM users WHERE k = ?", (k,)).fetchone()[0])

    res["get"] = timed(gets) / n
    con.close()
    return res


def main(argv):
    n, runs, durability = 100_000, 3, "off"
    args = list(argv)
    if "--smoke" in args:
        args.remove("--smoke")
        n, runs = 300, 1
    if "--runs" in args:
        i = args.index("--runs")
        runs = int(args[i + 1])
        del args[i:i + 2]
    if "--durability" in args:
        i = args.index("--durability")
        durability = args[i + 1]
        del args[i:i + 2]
    if args:
        n = int(args[0])
    results = {}
    for r in range(runs):
        tmp = tempfile.mkdtemp(prefix="strata-pybench-")
        try:
            for name, v in run_strata(n, durability, tmp).items():
                results.setdefault("strata " + name, []).append(v)
            for name, v in run_sqlite(n, durability, tmp).items():
                results.setdefault("sqlite " + name, []).append(v)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print("python binding bench: N=%d, durability=%s, median of %d run(s), libstrata %s"
          % (n, durability, runs, strata.library_version()))
    med = {k: statistics.median(v) * 1e6 for k, v in results.items()}
    for k, v in med.items():
        print("  %-28s %10.2f us/op" % (k, v))
    for op in ("put", "get"):
        print("  ratio strata/sqlite %-8s %10.2f" % (op, med["strata " + op] / med["sqlite " + op]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
