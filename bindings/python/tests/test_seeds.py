"""The seeds' README examples (DbEngine: /work/shared/seeds/000_*.txt; MyDbEngine: 001_*.txt)
executed as written, with only the import changed to ``from strata import DbEngine`` (and
``from strata.handlers import …`` for MyDbEngine's handler module). Where a README line cannot
run as written the test says why next to it."""

import datetime
import os

import pytest

import strata


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_seed_000_dbengine_readme(in_tmp, capsys):
    from strata import DbEngine  # was: from db_engine import DbEngine

    # Initialize with default root
    db = DbEngine()
    assert os.path.isdir(".strata")
    db.close()
    # Or specify custom root directory
    db = DbEngine(root=str(in_tmp / "path" / "to" / "database"))

    # Initialize Database for a Tenant
    tenant_id = "my_company"
    db.init(tenant_id)

    # Save Data
    user_id = "john_doe"
    entry = "users"
    data = {"name": "John", "age": 30}
    digest = db.save(tenant_id, user_id, entry, data)
    assert isinstance(digest, str) and len(digest) == 64

    # Load Data
    data = db.load(tenant_id, entry="users")
    assert data == {"name": "John", "age": 30}
    # Load specific version by digest (the README's digest="abc123..." is a placeholder)
    data = db.load(tenant_id, entry="users", digest=digest)
    assert data == {"name": "John", "age": 30}

    # Work with Individual Records. The README puts records into "users", which it just saved
    # as a snapshot — mixing the patterns it says not to mix. strata refuses the mix clearly:
    with pytest.raises(strata.DbException, match="document"):
        db.put(tenant_id, user_id, entry="users", key="john", value={"name": "John", "age": 30})
    db.close()

    # The records block run as written on its own database:
    db = DbEngine(root=str(in_tmp / "records"))
    db.init(tenant_id)
    # Add or update a single record
    db.put(tenant_id, user_id, entry="users", key="john", value={"name": "John", "age": 30})
    # Add or update multiple records at once
    items = {
        "john": {"name": "John", "age": 30},
        "jane": {"name": "Jane", "age": 25}
    }
    db.put_many(tenant_id, user_id, entry="users", items=items)
    # Get a specific record
    user = db.get(tenant_id, entry="users", key="john")
    assert user == {"name": "John", "age": 30}
    # Get all records
    all_users = db.get(tenant_id, entry="users")
    assert all_users == [{"name": "Jane", "age": 25}, {"name": "John", "age": 30}]

    # Check Existence
    if db.exists(tenant_id, entry="users"):
        print("Entry exists")
    assert capsys.readouterr().out == "Entry exists\n"

    # Access History
    db.put(tenant_id, user_id, entry="users", key="john", value={"name": "John", "age": 31})
    history = db.history(tenant_id, entry="users", max_items=10)
    # Load a previous version
    old_data = db.load(tenant_id, entry="users", digest=history[1])
    assert old_data == items
    assert len(history) == 3 and history[0] == db.get_digest(tenant_id, "users")

    # Usage Patterns
    config = {"theme": "dark", "language": "en"}
    db.save(tenant_id, user_id, "config", config)
    db.put(tenant_id, user_id, "settings", "theme", "dark")
    db.put(tenant_id, user_id, "settings", "language", "en")
    assert db.load(tenant_id, "config") == config
    assert db.get(tenant_id, "settings", "theme") == "dark"

    # Metadata: __parent__ / __user__ / __date__ live in the commit.
    c = db.commit(tenant_id, history[0])
    assert c.user == "john_doe" and c.parent == history[1]
    db.close()


def test_seed_000_api_reference_return_values(in_tmp):
    from strata import DbEngine

    db = DbEngine(root="db")
    db.init("t")
    assert db.put("t", "u", "e", "k", 1) is True
    assert db.put("t", "u", "e", "k", 1) is False  # no new snapshot
    assert db.put_many("t", "u", "e", {"k": 1}) is False
    assert db.put_many("t", "u", "e", [("k", 2), ("j", 3)]) is True
    assert db.get("t", "e", key="k") == 2
    assert db.exists("t", "e") and not db.exists("t", "nope") and not db.exists("nobody", "e")
    assert db.get_digest("t", "nope") is None
    assert db.history("t", "e", max_items=1) == [db.get_digest("t", "e")]
    assert db.history("t", "e", max_items=0) == []
    assert len(db.history("t", "e", max_items=None)) == 2
    with pytest.raises(strata.DbException):
        db.load("t", "nope")
    with pytest.raises(strata.DbException):
        db.get("t", "e", key="missing")
    db.close()


def test_seed_001_mydbengine_readme(in_tmp, capsys, clean_handlers):
    from strata import DbEngine  # was: from dbengine.dbengine import DbEngine

    # Quick Start
    engine = DbEngine(root=".mytools_db")
    engine.init("tenant_1")
    engine.save("tenant_1", "user_1", "config", {"theme": "dark", "lang": "en"})
    data = engine.load("tenant_1", "config")
    print(data)  # {"theme": "dark", "lang": "en"}
    # Same dict; strata keeps map keys in canonical (sorted) order, so it prints sorted.
    assert capsys.readouterr().out == "{'lang': 'en', 'theme': 'dark'}\n"
    assert data == {"theme": "dark", "lang": "en"}

    # Pattern 1: Snapshot-based
    engine.save("tenant_1", "user_1", "config", {"theme": "dark", "lang": "en"})
    config = engine.load("tenant_1", "config")
    assert config == {"theme": "dark", "lang": "en"}

    # Pattern 2: Record-based
    engine.put("tenant_1", "user_1", "users", "john", {"name": "John", "age": 30})
    engine.put("tenant_1", "user_1", "users", "jane", {"name": "Jane", "age": 25})
    all_users = engine.get("tenant_1", "users")  # Returns list of all users
    assert all_users == [{"name": "Jane", "age": 25}, {"name": "John", "age": 30}]

    # Save and Load Complete Snapshots
    data = {"users": ["alice", "bob"], "count": 2}
    digest = engine.save("tenant_1", "user_1", "session", data)
    session = engine.load("tenant_1", "session")
    old_session = engine.load("tenant_1", "session", digest=digest)
    assert session == old_session == data

    # Incremental Record Updates
    engine.put("tenant_1", "user_1", "users", "alice", {"name": "Alice", "role": "admin"})
    users = {
        "bob": {"name": "Bob", "role": "user"},
        "charlie": {"name": "Charlie", "role": "user"}
    }
    engine.put_many("tenant_1", "user_1", "users", users)
    alice = engine.get("tenant_1", "users", key="alice")
    all_users = engine.get("tenant_1", "users")
    assert alice == {"name": "Alice", "role": "admin"}
    assert len(all_users) == 5

    # History Navigation
    engine.save("tenant_1", "user_1", "config", {"theme": "light", "lang": "en"})
    history = engine.history("tenant_1", "config", max_items=10)
    previous = engine.load("tenant_1", "config", digest=history[1])
    assert previous == {"theme": "dark", "lang": "en"}
    if engine.exists("tenant_1", "config"):
        print("Entry exists")
    assert capsys.readouterr().out == "Entry exists\n"

    # Custom Serialization 1: BaseInlineHandler
    from strata.handlers import BaseInlineHandler, handlers  # was: from dbengine.handlers …
    import datetime

    class DateHandler(BaseInlineHandler):
        def is_eligible_for(self, obj):
            return isinstance(obj, datetime.date)

        def tag(self):
            return "Date"

        def serialize(self, obj):
            return {
                "__special__": self.tag(),
                "year": obj.year,
                "month": obj.month,
                "day": obj.day
            }

        def deserialize(self, data):
            return datetime.date(year=data["year"], month=data["month"], day=data["day"])

    handlers.register_handler(DateHandler())
    engine.save("tenant_1", "user_1", "dates", {"d": datetime.date(2024, 2, 29)})
    assert engine.load("tenant_1", "dates") == {"d": datetime.date(2024, 2, 29)}

    # API reference: is_initialized
    assert engine.is_initialized("tenant_1") and not engine.is_initialized("tenant_2")
    engine.close()


def test_seed_001_ref_handler_dataframe_example(in_tmp, clean_handlers):
    pd = pytest.importorskip("pandas")  # the README's example needs pandas + numpy
    np = pytest.importorskip("numpy")
    from strata import DbEngine
    from strata.handlers import BaseRefHandler, handlers
    import json

    class DataFrameHandler(BaseRefHandler):
        def is_eligible_for(self, obj):
            return isinstance(obj, pd.DataFrame)

        def tag(self):
            return "DataFrame"

        def serialize_to_bytes(self, df):
            metadata = {"columns": df.columns.tolist(), "index": df.index.tolist(),
                        "dtype": str(df.values.dtype)}
            metadata_bytes = json.dumps(metadata).encode('utf-8')
            return len(metadata_bytes).to_bytes(4, 'big') + metadata_bytes + df.to_numpy().tobytes()

        def deserialize_from_bytes(self, data):
            n = int.from_bytes(data[:4], 'big')
            metadata = json.loads(data[4:4 + n].decode('utf-8'))
            array = np.frombuffer(data[4 + n:], dtype=metadata['dtype'])
            array = array.reshape(len(metadata['index']), len(metadata['columns']))
            return pd.DataFrame(array, columns=metadata['columns'], index=metadata['index'])

    handlers.register_handler(DataFrameHandler())
    engine = DbEngine(root=".mytools_db")
    engine.init("tenant_1")
    df = pd.DataFrame({"col1": [1, 2, 3], "col2": [4, 5, 6]})
    engine.save("tenant_1", "user_1", "data", df)
    assert engine.load("tenant_1", "data").equals(df)
    engine.close()
