import pytest

from tests.support.upstream import Hall


@pytest.fixture
def hall(tmp_path):
    """A hall database with a provisioned terminal (tests.support.upstream.Hall);
    a test file may define its own."""
    h = Hall(tmp_path / "hub.db")
    h.db_path = str(tmp_path / "hub.db")
    return h
