"""POST /api/heartbeat through the real nginx and responder (SPEC §3)."""
import json
import os
import subprocess

import pytest
import requests


def rows(stack, host):
    return stack.query("SELECT minute FROM heartbeat WHERE host = ? ORDER BY minute", host)


def test_empty_body_records_now(stack):
    response = stack.heartbeat()
    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "duplicates": 0}
    assert stack.query("SELECT COUNT(*) FROM heartbeat WHERE host = ''")[0][0] >= 1


@pytest.mark.parametrize("authorization", [None, "bearer t0k-integration.test", "BEARER t0k-integration.test",
                                           "Bearer t0k-integration.testX", "Bearer t0k-integration.tes",
                                           "Bearer  t0k-integration.test", "Basic dDBr"])
def test_wrong_or_missing_token_is_401_from_nginx(stack, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    body = json.dumps({"timestamp": "2024-01-02T10:00:00Z", "host": "auth-" + str(authorization)})
    response = requests.post(stack.url + "/api/heartbeat", headers=headers, data=body)
    assert response.status_code == 401
    assert response.json() == {"error": "missing or wrong bearer token"}
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert rows(stack, "auth-" + str(authorization)) == []


@pytest.mark.parametrize("path", ["//api/heartbeat", "/api/heart%62eat", "/API/heartbeat", "/api/heartbeat/",
                                  "/api/./heartbeat", "/api/heartbeat?x=1"])
def test_bypass_spellings_never_store_without_the_token(stack, path):
    host = "bypass" + path
    response = requests.post(stack.url + path, data=json.dumps({"host": host}))
    assert response.status_code in (401, 404)
    assert rows(stack, host) == []


def fastcgi(stack, **params):
    """One request straight to the responder's socket with libfcgi's cgi-fcgi, skipping nginx."""
    env = dict(os.environ, REQUEST_METHOD="POST", REQUEST_URI="/api/heartbeat", CONTENT_LENGTH="0", **params)
    out = subprocess.run(["cgi-fcgi", "-bind", "-connect", str(stack.data_dir / "run/attendance.sock")],
                         env=env, capture_output=True, timeout=10, check=True).stdout.decode()
    return out.split("\r\n", 1)[0]


def test_responder_checks_the_token_itself_behind_a_careless_web_server(stack):
    before = stack.query("SELECT COUNT(*) FROM heartbeat")[0][0]
    assert fastcgi(stack) == "Status: 401 Unauthorized"
    assert fastcgi(stack, HTTP_AUTHORIZATION="bearer " + stack.token) == "Status: 401 Unauthorized"
    assert stack.query("SELECT COUNT(*) FROM heartbeat")[0][0] == before
    assert fastcgi(stack, HTTP_AUTHORIZATION="Bearer " + stack.token) == "Status: 200 OK"


def test_dedup_and_two_hosts_in_one_minute_count_once(stack):
    one = {"timestamp": "2023-05-10T08:15:10+02:00", "host": "laptop"}
    assert stack.heartbeat(json.dumps(one)).json() == {"accepted": 1, "duplicates": 0}
    assert stack.heartbeat(json.dumps(one)).json() == {"accepted": 0, "duplicates": 1}
    other = dict(one, host="desktop", timestamp="2023-05-10T06:15:59Z")
    assert stack.heartbeat(json.dumps(other)).json() == {"accepted": 1, "duplicates": 0}
    assert stack.query("SELECT COUNT(*) FROM heartbeat WHERE minute = ?", 1683699300 // 60)[0][0] == 2
    assert stack.query("SELECT minutes FROM daily_attendance WHERE date = '2023-05-10'") == [(1,)]


def test_batch_is_stored_whole(stack):
    beats = [{"timestamp": f"2023-06-01T09:{m:02d}:00Z", "host": "batch"} for m in range(60)]
    response = stack.heartbeat(json.dumps({"heartbeats": beats}))
    assert response.json() == {"accepted": 60, "duplicates": 0}
    assert len(rows(stack, "batch")) == 60


def test_batch_with_one_bad_item_stores_nothing(stack):
    beats = [{"timestamp": f"2023-07-01T09:{m:02d}:00Z", "host": "atomic"} for m in range(10)]
    beats[7]["timestamp"] = "2023-07-01T09:07:00"  # no offset
    response = stack.heartbeat(json.dumps({"heartbeats": beats}))
    assert response.status_code == 422
    assert "heartbeats[7]" in response.json()["error"]
    assert rows(stack, "atomic") == []


@pytest.mark.parametrize("body,status", [
    ("{oops", 400), ("[]", 400), ('{"timestamp": 1700000000}', 400), ('{"host": 7}', 400),
    ('{"timestamp": "2024-01-01T10:00:00"}', 422), ('{"timestamp": "2024-02-30T10:00:00Z"}', 422),
    ('{"timestamp": "2999-01-01T10:00:00Z"}', 422), ('{"timestamp": "tomorrow"}', 422),
])
def test_bad_bodies(stack, body, status):
    before = stack.query("SELECT COUNT(*) FROM heartbeat")[0][0]
    response = stack.heartbeat(body, headers={"Content-Type": "application/json"})
    assert response.status_code == status
    assert isinstance(response.json()["error"], str)
    assert stack.query("SELECT COUNT(*) FROM heartbeat")[0][0] == before


def test_too_large_body_and_batch_are_413(stack):
    huge = "{" + " " * (2 * 1024 * 1024) + "}"
    response = stack.heartbeat(huge)
    assert response.status_code == 413
    assert "error" in response.json()
    batch = {"heartbeats": [{"host": "big"}] * 10001}
    response = stack.heartbeat(json.dumps(batch))
    assert response.status_code == 413
    assert rows(stack, "big") == []


def test_other_methods_are_405(stack):
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        response = requests.request(method, stack.url + "/api/heartbeat",
                                    headers={"Authorization": f"Bearer {stack.token}"})
        assert response.status_code == 405, method
        assert response.headers["Allow"] == "POST"
        assert "error" in response.json()


def test_unknown_path_is_404_json(stack):
    response = requests.get(stack.url + "/api/nothing-here")
    assert response.status_code == 404
    assert "error" in response.json()


@pytest.mark.parametrize("method,path,headers,status", [
    ("DELETE", "/api/holidays/%00", {}, 400),
    ("GET", "/" + "a" * 20000, {}, 414),
    ("GET", "/api/ping", {"X-Big": "b" * 20000}, 400),
    ("GET", "/_errors/400.json", {}, 404),
    ("GET", "/static/no-such-file.css", {}, 404),
])
def test_errors_nginx_makes_itself_are_json(stack, method, path, headers, status):
    response = requests.request(method, stack.url + path, headers=headers)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert isinstance(response.json()["error"], str)
