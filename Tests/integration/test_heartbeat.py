"""POST /api/heartbeat through the real web server and responder (SPEC §3), once behind
nginx and once behind lighttpd."""
import json
import os
import subprocess

import pytest
import requests


def rows(any_server, host):
    return any_server.query("SELECT minute FROM heartbeat WHERE host = ? ORDER BY minute", host)


def test_empty_body_records_now(any_server):
    response = any_server.heartbeat()
    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "duplicates": 0}
    assert any_server.query("SELECT COUNT(*) FROM heartbeat WHERE host = ''")[0][0] >= 1


@pytest.mark.parametrize("authorization", [None, "bearer t0k-integration.test", "BEARER t0k-integration.test",
                                           "Bearer t0k-integration.testX", "Bearer t0k-integration.tes",
                                           "Bearer  t0k-integration.test", "Basic dDBr"])
def test_wrong_or_missing_token_is_401_from_the_web_server(any_server, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    body = json.dumps({"timestamp": "2024-01-02T10:00:00Z", "host": "auth-" + str(authorization)})
    response = requests.post(any_server.url + "/api/heartbeat", headers=headers, data=body)
    assert response.status_code == 401
    assert response.json() == {"error": "missing or wrong bearer token"}
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["Content-Type"] == "application/json"
    assert rows(any_server, "auth-" + str(authorization)) == []


@pytest.mark.parametrize("path", ["//api/heartbeat", "/api/heart%62eat", "/API/heartbeat", "/api/heartbeat/",
                                  "/api/./heartbeat", "/api/heartbeat?x=1"])
def test_bypass_spellings_never_store_without_the_token(any_server, path):
    host = "bypass" + path
    response = requests.post(any_server.url + path, data=json.dumps({"host": host}))
    assert response.status_code in (401, 404)
    assert rows(any_server, host) == []


def fastcgi(any_server, **params):
    """One request straight to the responder's socket with libfcgi's cgi-fcgi, skipping nginx."""
    env = dict(os.environ, REQUEST_METHOD="POST", REQUEST_URI="/api/heartbeat", CONTENT_LENGTH="0")
    env.update(params)
    out = subprocess.run(["cgi-fcgi", "-bind", "-connect", str(any_server.data_dir / "run/attendance.sock")],
                         env=env, capture_output=True, timeout=10, check=True).stdout.decode()
    return out.split("\r\n", 1)[0]


def test_responder_checks_the_token_itself_behind_a_careless_web_server(any_server):
    before = any_server.query("SELECT COUNT(*) FROM heartbeat")[0][0]
    assert fastcgi(any_server) == "Status: 401 Unauthorized"
    assert fastcgi(any_server, HTTP_AUTHORIZATION="bearer " + any_server.token) == "Status: 401 Unauthorized"
    assert any_server.query("SELECT COUNT(*) FROM heartbeat")[0][0] == before
    assert fastcgi(any_server, HTTP_AUTHORIZATION="Bearer " + any_server.token) == "Status: 200 OK"


def test_dedup_and_two_hosts_in_one_minute_count_once(any_server):
    one = {"timestamp": "2023-05-10T08:15:10+02:00", "host": "laptop"}
    assert any_server.heartbeat(json.dumps(one)).json() == {"accepted": 1, "duplicates": 0}
    assert any_server.heartbeat(json.dumps(one)).json() == {"accepted": 0, "duplicates": 1}
    other = dict(one, host="desktop", timestamp="2023-05-10T06:15:59Z")
    assert any_server.heartbeat(json.dumps(other)).json() == {"accepted": 1, "duplicates": 0}
    assert any_server.query("SELECT COUNT(*) FROM heartbeat WHERE minute = ?", 1683699300 // 60)[0][0] == 2
    assert any_server.query("SELECT minutes FROM daily_attendance WHERE date = '2023-05-10'") == [(1,)]


def test_batch_is_stored_whole(any_server):
    beats = [{"timestamp": f"2023-06-01T09:{m:02d}:00Z", "host": "batch"} for m in range(60)]
    response = any_server.heartbeat(json.dumps({"heartbeats": beats}))
    assert response.json() == {"accepted": 60, "duplicates": 0}
    assert len(rows(any_server, "batch")) == 60


def test_batch_with_one_bad_item_stores_nothing(any_server):
    beats = [{"timestamp": f"2023-07-01T09:{m:02d}:00Z", "host": "atomic"} for m in range(10)]
    beats[7]["timestamp"] = "2023-07-01T09:07:00"  # no offset
    response = any_server.heartbeat(json.dumps({"heartbeats": beats}))
    assert response.status_code == 422
    assert "heartbeats[7]" in response.json()["error"]
    assert rows(any_server, "atomic") == []


@pytest.mark.parametrize("body,status", [
    ("{oops", 400), ("[]", 400), ('{"timestamp": 1700000000}', 400), ('{"host": 7}', 400),
    ('{"timestamp": "2024-01-01T10:00:00"}', 422), ('{"timestamp": "2024-02-30T10:00:00Z"}', 422),
    ('{"timestamp": "2999-01-01T10:00:00Z"}', 422), ('{"timestamp": "tomorrow"}', 422),
])
def test_bad_bodies(any_server, body, status):
    before = any_server.query("SELECT COUNT(*) FROM heartbeat")[0][0]
    response = any_server.heartbeat(body, headers={"Content-Type": "application/json"})
    assert response.status_code == status
    assert isinstance(response.json()["error"], str)
    assert any_server.query("SELECT COUNT(*) FROM heartbeat")[0][0] == before


def test_too_large_body_and_batch_are_413(any_server):
    huge = "{" + " " * (2 * 1024 * 1024) + "}"
    response = any_server.heartbeat(huge)
    assert response.status_code == 413
    assert "error" in response.json()
    batch = {"heartbeats": [{"host": "big"}] * 10001}
    response = any_server.heartbeat(json.dumps(batch))
    assert response.status_code == 413
    assert rows(any_server, "big") == []


def test_other_methods_are_405(any_server):
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        response = requests.request(method, any_server.url + "/api/heartbeat",
                                    headers={"Authorization": f"Bearer {any_server.token}"})
        assert response.status_code == 405, method
        assert response.headers["Allow"] == "POST"
        assert "error" in response.json()


def test_unknown_path_is_404_json(any_server):
    response = requests.get(any_server.url + "/api/nothing-here")
    assert response.status_code == 404
    assert "error" in response.json()
