"""strata.open(":memory:"): strata_db_open's in-memory database (STRATA_MEMORY) — the same
engine on the vfs's in-memory namespace, private to its handle, no files, gone at close."""

import os

import pytest

import strata


def test_memory_database_is_private_and_leaves_no_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = strata.open(":memory:")
    b = strata.open(":memory:", durability="off")
    a.init_tenant("t")
    assert not b.tenant_exists("t")
    first = a.put("t", "e", "k", {"v": 1.5})
    a.put_many("t", "e", {"k%d" % i: i for i in range(2000)})
    assert a.get("t", "e", "k", at=first) == {"v": strata.values.Decimal("1.5")}
    t = a.create_table("t", "tab", pk="p", sk="s")
    t.put_item({"p": "x", "s": 1, "n": 2})
    assert t.query("p = :p", values={":p": "x"}).items == [{"p": "x", "s": 1, "n": 2}]
    a.set_retention("t", keep_commits=1)
    report = a.gc()
    assert report["live_objects"] > 0
    assert a.verify() == 0 and len(a.get_all("t", "e")) == 2001
    a.close()
    b.close()
    assert os.listdir(tmp_path) == []
    with strata.open(":memory:") as c:
        assert c.tenants() == []


def test_memory_database_cannot_be_read_only():
    with pytest.raises(strata.InvalidArgument, match="in-memory"):
        strata.open(":memory:", read_only=True)
