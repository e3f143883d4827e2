"""Fixtures for HttpConductor tests: a real `conductor-nb server` (in this process) on 127.0.0.1 over an Engine on
a fresh SQLite file."""

import pytest

from conductor_nb.engine import Engine
from conductor_nb.server import ConductorServer


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "http.db")


@pytest.fixture
def engine(db_path):
    engine = Engine(db_path)
    yield engine
    engine.close()


@pytest.fixture
def server(engine):
    with ConductorServer(engine, port=0) as server:
        yield server
