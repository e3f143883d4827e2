"""Fixtures for the tests against a real Conductor OSS server (conductor_server.sh: a release resolved from Maven
Central by Maven, SQLite for everything, 127.0.0.1 only).

`peer` is the session's server, started once and shared with the contract suite's "peer" home
(tests/contract/conftest.py): the first run fetches about 450 MB with Maven (cached in ~/.m2), every run boots
the server (30-50 s on two cores). On a machine without Maven or a JDK that runs the release, every test here
is skipped with the reason.
"""

import sys
from pathlib import Path

import pytest

sys.path.append(str(Path(__file__).resolve().parent))
import conductor_peer  # noqa: E402


@pytest.fixture(scope="session")
def peer(pytestconfig):
    try:
        return conductor_peer.shared(pytestconfig)
    except conductor_peer.PeerUnavailable as e:
        pytest.skip(f"real Conductor peer unavailable: {e}")


@pytest.fixture
def clean_peer(peer):
    """The peer, emptied: no executions, no definitions."""
    conductor_peer.reset(peer.url)
    return peer
