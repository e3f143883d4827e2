"""Orkes-style auth: tokens from POST /api/token, and Orkes's 401 bodies for missing, invalid or expired ones."""

import socket
import time

import pytest

from conductor_nb.server import ConductorServer
from conductor_nb.server.auth import TokenIssuer


@pytest.fixture
def secured(engine):
    with ConductorServer(engine, port=0, credentials={"app": "s3cret", "other": "pw"}, token_ttl_s=60) as server:
        yield server


def token(http, server, key_id="app", secret="s3cret"):
    return http.post(f"{server.url}/token", json={"keyId": key_id, "keySecret": secret})


def test_a_token_opens_the_api(http, secured):
    issued = token(http, secured)
    assert issued.status_code == 200 and set(issued.json()) == {"token"}
    answer = http.get(f"{secured.url}/metadata/workflow", headers={"X-Authorization": issued.json()["token"]})
    assert (answer.status_code, answer.json()) == (200, [])


def test_calls_without_a_good_token_get_orkes_401(http, secured):
    missing = http.get(f"{secured.url}/metadata/workflow")
    assert missing.status_code == 401
    assert missing.json()["error"] == "INVALID_TOKEN" and missing.json()["status"] == 401
    forged = http.get(f"{secured.url}/metadata/workflow", headers={"X-Authorization": "a.b.c"})
    assert (forged.status_code, forged.json()["error"]) == (401, "INVALID_TOKEN")
    foreign = TokenIssuer({"app": "s3cret"}, 60).issue("app", "s3cret")  # another server's, or before a restart
    refused = http.get(f"{secured.url}/metadata/workflow", headers={"X-Authorization": foreign})
    assert (refused.status_code, refused.json()["error"]) == (401, "INVALID_TOKEN")


def test_an_expired_token_is_expired_token(http, engine):
    with ConductorServer(engine, port=0, credentials={"app": "s3cret"}, token_ttl_s=0.2) as server:
        issued = token(http, server).json()["token"]
        time.sleep(0.3)
        answer = http.get(f"{server.url}/metadata/workflow", headers={"X-Authorization": issued})
    assert answer.status_code == 401
    assert answer.json() == {"status": 401, "message": "Token has expired", "instance": socket.gethostname(),
                             "retryable": False, "error": "EXPIRED_TOKEN"}


def test_wrong_credentials_are_refused_without_a_token_error_code(http, secured):
    refused = token(http, secured, secret="wrong")
    assert refused.status_code == 401 and "error" not in refused.json()  # no code: SDKs must not loop on it
    assert "s3cret" not in refused.text and "wrong" not in refused.text
    assert token(http, secured, key_id="nobody").status_code == 401
    incomplete = http.post(f"{secured.url}/token", json={"keyId": "app"})
    assert incomplete.status_code == 400 and incomplete.json()["validationErrors"][0]["path"] == "keySecret"


def test_health_and_api_docs_need_no_token(http, secured):
    assert http.get(f"{secured.url}/health").status_code == 200
    docs = http.get(secured.url.replace("/api", "/api-docs")).json()
    assert docs["components"]["securitySchemes"]["token"]["name"] == "X-Authorization"


def test_without_auth_the_token_endpoint_is_404(http, server):
    assert token(http, server).status_code == 404
