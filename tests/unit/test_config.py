"""Configuration: the official SDK's constructor and environment variables, plus where the embedded data lives."""

import pathlib


from conductor_nb import AuthenticationSettings, Configuration


def test_no_server_means_the_embedded_engine_on_the_env_database(tmp_path, monkeypatch):
    monkeypatch.setenv("CONDUCTOR_NB_DB", str(tmp_path / "env.db"))
    config = Configuration()
    assert config.embedded and config.host is None and config.ui_host is None
    assert config.db_path == str(tmp_path / "env.db")


def test_the_default_database_is_in_the_home_directory(monkeypatch):
    monkeypatch.delenv("CONDUCTOR_NB_DB")
    assert Configuration().db_path == str(pathlib.Path.home() / ".conductor_nb" / "conductor.db")


def test_an_argument_beats_the_environment_and_memory_is_allowed(tmp_path):
    assert Configuration(db_path=str(tmp_path / "arg.db")).db_path == str(tmp_path / "arg.db")
    assert Configuration(db_path=":memory:").db_path == ":memory:"


def test_server_url_auth_and_ui_host_from_the_environment(monkeypatch):
    monkeypatch.setenv("CONDUCTOR_SERVER_URL", "http://conductor.example:8080/api")
    monkeypatch.setenv("CONDUCTOR_AUTH_KEY", "key")
    monkeypatch.setenv("CONDUCTOR_AUTH_SECRET", "secret")
    config = Configuration()
    assert not config.embedded and config.db_path is None
    assert config.host == "http://conductor.example:8080/api"
    assert config.ui_host == "http://conductor.example:8080"
    assert config.authentication_settings == AuthenticationSettings(key_id="key", key_secret="secret")
    monkeypatch.setenv("CONDUCTOR_UI_SERVER_URL", "http://ui.example")
    assert config.ui_host == "http://ui.example"


def test_explicit_urls_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("CONDUCTOR_SERVER_URL", "http://env:8080/api")
    assert Configuration(base_url="http://base:1234").host == "http://base:1234/api"
    assert Configuration(server_api_url="http://api:1/api/").host == "http://api:1/api"


def test_equal_configurations_are_equal(tmp_path):
    assert Configuration(db_path=str(tmp_path / "a.db")) == Configuration(db_path=str(tmp_path / "a.db"))
    assert Configuration(db_path=str(tmp_path / "a.db")) != Configuration(db_path=str(tmp_path / "b.db"))
