"""GC, retention and space statistics through the binding."""

import datetime

import pytest

import strata


def test_gc_with_retention_keeps_kept_versions_and_frees_space(db):
    for i in range(40):
        db.put("t", "e", f"k{i % 4}", {"v": i, "pad": "x" * 300})
    history = db.history("t", "e")
    assert len(history) == 40
    db.set_retention("t", "e", keep_commits=5, audit=True, user="ops", message="keep five")
    assert db.retention("t", "e") == {"keep_commits": 5, "keep_age": 0, "audit": True}
    assert db.retention("t") is None
    before = db.space()["file_bytes"]
    report = db.gc(min_dead_share=0.01)
    assert report["bytes_after"] < report["bytes_before"]
    assert report["truncated"] >= 1
    assert db.space()["file_bytes"] < before
    kept = [c.digest for c in db.history("t", "e")]
    assert kept == [c.digest for c in history[:5]]
    # every kept version still reads back exactly: the i-th newest commit wrote v = 39 - i
    for i, digest in enumerate(kept):
        assert db.get("t", "e", f"k{(39 - i) % 4}", at=digest)["v"] == 39 - i
    with pytest.raises(strata.NotFound):
        db.get("t", "e", "k0", at=history[-1].digest)
    assert db.verify() == 0


def test_retention_by_age_and_bad_arguments(db):
    db.set_retention("t", keep_age=datetime.timedelta(days=90))
    assert db.retention("t") == {"keep_commits": 0, "keep_age": 90 * 86400, "audit": False}
    assert db.retention("t", "any") == {"keep_commits": 0, "keep_age": 90 * 86400, "audit": False}
    db.set_retention("t")  # 0 and 0 removes it
    assert db.retention("t") is None
    with pytest.raises(strata.InvalidArgument):
        db.set_retention("t", keep_age=-1)
    with pytest.raises(strata.InvalidArgument):
        db.set_retention("bad\nname", keep_commits=1)
