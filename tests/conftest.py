import pytest

from conductor_nb import Configuration, WorkflowExecutor


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
