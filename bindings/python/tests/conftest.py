"""Test setup: import the package from this source tree (no install needed) and give every
test its own database directory. The library comes from $STRATA_LIB (scripts/test-python.sh
sets it to BUILD_DIR/libstrata.so) or the package's usual search."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import strata  # noqa: E402


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "db.strata")


@pytest.fixture
def db(db_path):
    d = strata.open(db_path, durability="off")
    d.init_tenant("t")
    yield d
    d.close()


@pytest.fixture
def clean_handlers():
    """Restore the process-wide handler registry after a test that registers handlers."""
    reg = strata.values.handlers
    saved = (list(reg._handlers), dict(reg._by_tag))
    yield reg
    reg._handlers, reg._by_tag = saved
