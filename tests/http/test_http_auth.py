"""HttpConductor's Orkes auth: key and secret for a token, renewed when the server says it expired or is invalid,
and off when the server has no /token (as Conductor OSS)."""

import time

import pytest

from conductor_nb import AuthError, AuthenticationSettings, TaskDef
from conductor_nb.http import HttpConductor
from conductor_nb.server import ConductorServer

KEY = AuthenticationSettings(key_id="app", key_secret="s3cret")


def test_a_key_and_secret_open_a_secured_server(engine):
    with ConductorServer(engine, port=0, credentials={"app": "s3cret"}) as server:
        client = HttpConductor(server.url, KEY)
        client.register_task_defs([TaskDef(name="a")])
        assert [d.name for d in client.get_all_task_defs()] == ["a"]
        with pytest.raises(AuthError, match="INVALID_TOKEN|Token cannot be null"):
            HttpConductor(server.url).get_all_task_defs()
        with pytest.raises(AuthError, match="refused key id 'app'"):
            HttpConductor(server.url, AuthenticationSettings("app", "wrong")).get_all_task_defs()


def test_an_expired_token_is_renewed_and_the_call_retried(engine):
    with ConductorServer(engine, port=0, credentials={"app": "s3cret"}, token_ttl_s=0.2) as server:
        client = HttpConductor(server.url, KEY)  # its own refresh period (45 min) is far longer than 0.2 s
        assert client.get_all_task_defs() == []
        time.sleep(0.3)
        assert client.get_all_task_defs() == []


def test_a_token_from_before_a_restart_is_renewed(db_path, engine):
    first = ConductorServer(engine, port=0, credentials={"app": "s3cret"}).start()
    client = HttpConductor(first.url, KEY)
    client.register_task_defs([TaskDef(name="kept")])
    first.stop()
    with ConductorServer(engine, port=first.port, credentials={"app": "s3cret"}):  # a new signing key
        assert [d.name for d in client.get_all_task_defs()] == ["kept"]


def test_no_token_endpoint_means_no_auth(server):
    client = HttpConductor(server.url, KEY)
    client.register_task_defs([TaskDef(name="open")])
    assert client.get_task_def("open").name == "open"
