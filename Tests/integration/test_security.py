"""Local security and response headers (issue: hardening): what other local users can
reach, and the headers every kind of response carries."""
import json
import os
import stat

import pytest
import requests

HEADERS = {
    "Content-Security-Policy": "script-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@pytest.mark.parametrize("method,path", [
    ("GET", "/dashboard"), ("GET", "/settings"), ("GET", "/api/settings"), ("GET", "/api/nothing"),
    ("GET", "/static/style.css"), ("GET", "/static/v/0123456789ab/style.css"), ("GET", "/static/missing.css"),
    ("POST", "/api/heartbeat"),  # nginx's own 401
])
def test_every_response_carries_the_security_headers(stack, method, path):
    response = requests.request(method, stack.url + path)
    for name, value in HEADERS.items():
        assert value in response.headers.get(name, ""), f"{path}: {name}"
        assert "," not in response.headers.get(name, "").replace(", ", "") or name == "Content-Security-Policy"
    assert response.headers["Server"] == "nginx"  # no version


def test_csp_has_no_inline_escape_hatch(stack):
    policy = requests.get(stack.url + "/dashboard").headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy


def test_private_files_are_out_of_other_users_reach(stack):
    data = stack.data_dir
    assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(data / "run").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(data / "run/attendance.sock").st_mode) == 0o660
    for name in ("attendance.sqlite", "attendance.people.sqlite"):
        assert stat.S_IMODE(os.stat(data / name).st_mode) & 0o077 == 0, name
    # The web server's token maps: its group may read them (the package's www-data), nobody else.
    for name in ("nginx-token.conf", "lighttpd-token.lua", "nginx-login.conf", "lighttpd-login.conf"):
        assert stat.S_IMODE(os.stat(data / "run" / name).st_mode) == 0o640, name


def test_generated_token_file_is_0600(tmp_path):
    from conftest import Stack
    stack = Stack(token="")
    try:
        token = stack.data_dir / "token"
        assert stat.S_IMODE(os.stat(token).st_mode) == 0o600
        value = token.read_text().strip()
        assert len(value) >= 32
        assert requests.post(stack.url + "/api/heartbeat", headers={"Authorization": f"Bearer {value}"}).status_code == 200
    finally:
        stack.stop()


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


def raw_answer(stack, request):
    """Status and body of a request written byte by byte (what requests would not send)."""
    import socket
    host, port = stack.url.split("//", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), head.decode(errors="replace"), body


@pytest.mark.parametrize("request_bytes,status", [
    (b"GET /static/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 403),           # a folder
    (b"POST /static/style.css HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 405),
    (b"POST /api/heartbeat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n", 501),
    (b"GET /api/days HTTP/2.0\r\nHost: x\r\nConnection: close\r\n\r\n", 505),
    (b"GET /api/days HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: foo\r\nConnection: close\r\n\r\n", 501),
])
def test_the_web_servers_own_errors_answer_json_too(stack, request_bytes, status):
    got, head, body = raw_answer(stack, request_bytes)
    assert got == status, head
    assert "application/json" in head.lower(), head
    assert json.loads(body)["error"], body
