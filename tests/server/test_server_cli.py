"""`conductor-nb server` as a process: loopback by default, one log line at start and one at stop, a clean exit
on SIGTERM that lets a request in flight finish, and no secret in its output."""

import threading
import time

import requests


def test_sigterm_stops_cleanly_after_answering_a_long_poll(cli_server):
    server = cli_server("--auth", "app:hunter2-secret")
    assert server.url.startswith("http://127.0.0.1:")
    assert "auth on" in server.start_line and "cli0.db" in server.start_line
    with requests.Session() as http:
        token = http.post(f"{server.url}/token", json={"keyId": "app", "keySecret": "hunter2-secret"}).json()
        headers = {"X-Authorization": token["token"]}
        assert http.get(f"{server.url}/metadata/workflow", headers=headers).status_code == 200
        answers = []
        poll = threading.Thread(target=lambda: answers.append(
            http.get(f"{server.url}/tasks/poll/batch/a?timeout=5000", headers=headers)))
        poll.start()
        time.sleep(0.5)  # let the poll reach the server: it waits up to 5 s there
        rest, exit_code = server.stop()
        poll.join()
    assert exit_code == 0
    assert answers[0].status_code == 200 and answers[0].json() == []
    lines = [server.start_line, *rest.splitlines()]
    assert len(lines) == 2 and "stopped" in lines[1]
    assert not any("hunter2" in line or token["token"] in line for line in lines)


def test_auth_is_off_by_default(cli_server):
    server = cli_server()
    assert "auth off" in server.start_line
    assert requests.post(f"{server.url}/token", json={"keyId": "a", "keySecret": "b"}).status_code == 404
    _, exit_code = server.stop()
    assert exit_code == 0
