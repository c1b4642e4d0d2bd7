"""Fixtures of the hub tests."""

import pytest

from hub.services import terminals
from hub.store import open_db
from tests.support.api import Api, make_config


@pytest.fixture
async def api(tmp_path):
    """The app in-process with window 12 and its terminal T-12 provisioned."""
    a = Api(make_config(tmp_path))
    a.db_call(terminals.provision, "T-12", "12")
    yield a
    await a.aclose()


@pytest.fixture
def store_db(tmp_path):
    """A migrated database file in tmp_path/data, closed after the test."""
    d = open_db(tmp_path / "data" / "hub.db")
    yield d
    d.conn.close()
