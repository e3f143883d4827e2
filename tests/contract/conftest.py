"""The contract suite: client-facing behaviour, asserted through the ConductorAPI on every home it has.

- embedded: the Engine, called directly.
- http: HttpConductor -> the `conductor-nb server` code on 127.0.0.1 (an ephemeral port) -> an Engine.
Both run on a fresh SQLite file per test.
"""

import pytest

from conductor_nb.engine import Engine
from conductor_nb.http import HttpConductor
from conductor_nb.server import ConductorServer


@pytest.fixture(params=["embedded", "http"])
def api(request, tmp_path):
    engine = Engine(str(tmp_path / "contract.db"))
    if request.param == "embedded":
        yield engine
    else:
        with ConductorServer(engine, port=0) as server:
            client = HttpConductor(server.url)
            yield client
            client.close()
    engine.close()
