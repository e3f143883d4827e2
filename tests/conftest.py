import pytest

from conductor_nb import Configuration, WorkflowExecutor
from conductor_nb.engine import Engine
from conductor_nb.server import ConductorServer


@pytest.fixture(autouse=True)
def _isolated_default_db(tmp_path, monkeypatch):
    """No test touches the user's ~/.conductor_nb: the default database is a fresh file per test."""
    monkeypatch.setenv("CONDUCTOR_NB_DB", str(tmp_path / "default.db"))
    monkeypatch.delenv("CONDUCTOR_SERVER_URL", raising=False)


@pytest.fixture
def config(tmp_path):
    return Configuration(db_path=str(tmp_path / "conductor.db"))


@pytest.fixture
def executor(config):
    return WorkflowExecutor(configuration=config)


@pytest.fixture
def handlers():
    """TaskHandlers started by a test are stopped at its end, even when it fails."""
    started = []
    yield started
    for handler in started:
        handler.stop_processes()


@pytest.fixture
def db_path(tmp_path):
    """A fresh SQLite file for the test's engine."""
    return str(tmp_path / "engine.db")


@pytest.fixture
def engine(db_path):
    """An embedded engine on `db_path`, closed at the end."""
    engine = Engine(db_path)
    yield engine
    engine.close()


@pytest.fixture
def server(engine):
    """`engine` served over HTTP in this process, on 127.0.0.1 and an ephemeral port."""
    with ConductorServer(engine, port=0) as server:
        yield server
