"""Fixtures of the hub tests."""

import pytest

from hub.services import terminals
from tests.support.api import Api, make_config


@pytest.fixture
async def api(tmp_path):
    """The app in-process with window 12 and its terminal T-12 provisioned."""
    a = Api(make_config(tmp_path))
    a.db_call(terminals.provision, "T-12", "12")
    yield a
    await a.aclose()
