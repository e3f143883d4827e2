"""The contract suite: client-facing behaviour, asserted through the ConductorAPI on every home it has."""

import pytest

from conductor_nb.engine import Engine


@pytest.fixture(params=["embedded"])
def api(request, tmp_path):
    engine = Engine(str(tmp_path / "contract.db"))
    yield engine
    engine.close()
