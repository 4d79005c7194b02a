"""The responder under faults and odd clients (issue: a TLS proxy in front, clients
without Host, bytes that are not what they claim), through nginx and lighttpd."""
import json
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from conftest import Stack


@pytest.fixture(scope="module", params=["nginx", "lighttpd"])
def proxied(request):
    """A stack that also serves attendance.example, as one behind a TLS proxy does."""
    running = Stack(web_server=request.param, env={"ALLOWED_HOSTS": "attendance.example"})
    yield running
    running.stop()


def raw(stack, request):
    """Sends bytes as they are (no client library adding a Host) and returns the answer."""
    with socket.create_connection(("127.0.0.1", stack.port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode()


def holiday(stack, day, headers):
    return requests.post(stack.url + "/api/holidays", json={"date": f"2024-12-{day}", "name": "Holiday"},
                         headers=headers, timeout=10)


def holiday_days(stack):
    return {row[0] for row in stack.query("SELECT date FROM holiday")}


def test_behind_a_tls_proxy_forms_from_the_site_itself_are_taken(proxied):
    # What a TLS-terminating proxy passes on: the browser's Host (no port: 443) and the scheme.
    same = {"Host": "attendance.example", "Origin": "https://attendance.example", "X-Forwarded-Proto": "https"}
    assert holiday(proxied, "01", same).status_code == 201
    assert holiday(proxied, "02", {k: v for k, v in same.items() if k != "X-Forwarded-Proto"}).status_code == 201
    for origin, proto in [("https://evil.example", "https"), ("https://attendance.example:8443", "https"),
                          ("http://attendance.example", "https"), ("null", "https")]:
        response = holiday(proxied, "03", {"Host": "attendance.example", "Origin": origin, "X-Forwarded-Proto": proto})
        assert response.status_code == 403 and "cross-site" in response.json()["error"], origin
    # Straight to the web server, the browser sends the port in Host.
    local = f"127.0.0.1:{proxied.port}"
    assert holiday(proxied, "04", {"Host": local, "Origin": f"http://{local}"}).status_code == 201
    assert holiday(proxied, "05", {"Host": local, "Origin": "http://127.0.0.1"}).status_code == 403
    assert {"2024-12-01", "2024-12-02", "2024-12-04"} <= holiday_days(proxied)
    assert not {"2024-12-03", "2024-12-05"} & holiday_days(proxied)


def test_a_client_without_host_is_not_a_browser_and_its_token_decides(proxied):
    body = b'{"host":"old-client"}'
    status, answer = raw(proxied, b"POST /api/heartbeat HTTP/1.0\r\nAuthorization: Bearer " + proxied.token.encode()
                         + b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    assert (status, answer.strip()) == (200, '{"accepted":1,"duplicates":0}')
    assert proxied.query("SELECT COUNT(*) FROM heartbeat WHERE host = 'old-client'") == [(1,)]
    status, _ = raw(proxied, b"POST /api/heartbeat HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                    % len(body) + body)
    assert status == 401
    status, _ = raw(proxied, b"GET /api/settings HTTP/1.0\r\n\r\n")
    assert status == 200


@pytest.mark.parametrize("note", ["100%25%zz", "a%FFb", "50%"])
def test_a_form_value_with_a_broken_escape_is_a_400_and_stores_nothing(proxied, note):
    local = f"127.0.0.1:{proxied.port}"
    before = proxied.query("SELECT COUNT(*) FROM correction")
    response = requests.post(proxied.url + "/corrections", data=f"date=2024-03-01&minutes=60&note={note}",
                             headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": f"http://{local}"},
                             allow_redirects=False, timeout=10)
    assert response.status_code == 400 and "note is not valid percent-encoded UTF-8" in response.text
    assert proxied.query("SELECT COUNT(*) FROM correction") == before
    # (raw: a client library would re-escape the bad escape before sending it)
    status, answer = raw(proxied, f"GET /api/days?from=2024-01-01&to=2024-01-31&x={note} HTTP/1.1\r\n"
                         f"Host: {local}\r\nConnection: close\r\n\r\n".encode())
    # lighttpd refuses some of these itself (its error, in the API's JSON too).
    assert status == 400 and ("query parameter x is not valid percent-encoded UTF-8" in answer
                              or (proxied.web_server == "lighttpd" and '"malformed request"' in answer)), answer


@pytest.mark.parametrize("number", ["1e-400", "1e400", "12345678901234567890123"])
def test_numbers_out_of_range_are_one_422(proxied, number):
    response = requests.post(proxied.url + "/api/settings", data='{"opening_balance_minutes":%s}' % number,
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 422 and "out of range" in response.json()["error"]


def test_a_json_array_body_says_what_is_wrong(proxied):
    response = requests.post(proxied.url + "/api/holidays", data="[1,2]", headers={"Content-Type": "application/json"},
                             timeout=10)
    assert response.status_code == 400 and response.json()["error"] == "body must be a JSON object"


def test_every_error_the_web_server_makes_itself_is_json(proxied):
    local = f"127.0.0.1:{proxied.port}"
    for request in [b"GARBAGE\r\n\r\n", f"GET /static/nope.css HTTP/1.1\r\nHost: {local}\r\nConnection: close\r\n\r\n".encode(),
                    f"GET /api/days?x=%00 HTTP/1.1\r\nHost: {local}\r\nConnection: close\r\n\r\n".encode()]:
        status, answer = raw(proxied, request)
        assert status in (400, 404) and answer.startswith('{"error":'), (request, answer)
    # The responder's own pages for people stay pages.
    response = requests.get(proxied.url + "/no-such-page", timeout=10)
    assert response.status_code == 404 and response.headers["Content-Type"].startswith("text/html")


@contextmanager
def tmpfs(size):
    """A fresh tmpfs of `size`, unmounted afterwards. Mounting needs root (CI and `make
    test` here run as root); a machine that forbids it skips these tests and says why in
    the summary, and any other failure to mount fails them."""
    path = Path(tempfile.mkdtemp(prefix="attendance-mount-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        path.rmdir()
        if "permission denied" in mounted.stderr.lower() or "not permitted" in mounted.stderr.lower() \
                or "must be superuser" in mounted.stderr.lower():
            pytest.skip(f"this machine does not allow mounting a tmpfs: {mounted.stderr.strip()}")
        raise AssertionError(f"cannot mount a tmpfs: {mounted.stderr}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)
        path.rmdir()


def remount(path, mode):
    subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], check=True)


def beat(stack, minute):
    return stack.heartbeat(json.dumps({"timestamp": f"{stamp(minute)}", "host": "fault-test"}))


def stamp(minute):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(minute * 60))


def stored(stack):
    return {row[0] for row in stack.query("SELECT minute FROM heartbeat WHERE host = 'fault-test'")}


@pytest.mark.parametrize("web_server", ["nginx", "lighttpd"])
def test_a_read_only_database_serves_reads_refuses_writes_in_json_and_recovers(web_server):
    first = int(time.time()) // 60 - 600
    with tmpfs("64m") as mount:
        database = mount / "attendance.sqlite"
        stack = Stack(web_server=web_server, env={"DATABASE": str(database)})
        assert beat(stack, first).status_code == 200
        stack.stop()
        remount(mount, "ro")
        stack = Stack(web_server=web_server, env={"DATABASE": str(database)})
        try:
            pid = stack.responder_pid()
            assert requests.get(stack.url + "/api/settings", timeout=10).status_code == 200
            assert requests.get(stack.url + "/dashboard", timeout=10).status_code == 200
            for n in range(30):
                response = beat(stack, first + 1 + n)
                assert response.status_code == 503 and response.headers["Retry-After"] == "60"
                assert "cannot be written" in response.json()["error"]
            response = holiday(stack, "24", {})
            assert response.status_code == 503 and "cannot be written" in response.json()["error"]
            page = requests.post(stack.url + "/corrections", data={"date": "2024-03-01", "duration": "1:00"}, timeout=10,
                                 headers={"Origin": stack.url}, allow_redirects=False)
            assert page.status_code == 503 and page.headers["Content-Type"].startswith("text/html")
            assert stack.responder_pid() == pid  # no crash loop
            log = (stack.data_dir / "responder.log").read_text()
            assert log.count("cannot be written") <= 3, log  # the start, and once a minute
            assert "restarting" not in (stack.data_dir / "serve.out").read_text()
            # Writable again: the next write after at most 5 s is taken, by the same process.
            remount(mount, "rw")
            time.sleep(5.2)
            assert beat(stack, first + 100).status_code == 200
            assert holiday(stack, "25", {}).status_code == 201
            assert stack.responder_pid() == pid
            assert {first, first + 100} <= stored(stack)
        finally:
            stack.stop()


@pytest.mark.parametrize("web_server", ["nginx", "lighttpd"])
def test_a_full_disk_is_a_json_507_and_nothing_acknowledged_is_lost(web_server):
    with tmpfs("6m") as mount:
        stack = Stack(web_server=web_server, data_dir=mount / "data")
        try:
            pid = stack.responder_pid()
            first = int(time.time()) // 60 - 5000
            acknowledged = set()
            assert beat(stack, first).status_code == 200
            acknowledged.add(first)
            # Everything the disk has left; unbuffered, so that what did not fit is not
            # flushed again (and refused again) when the file is closed.
            with open(mount / "filler", "wb", buffering=0) as filler:
                try:
                    while True:
                        filler.write(b"\0" * 65536)
                except OSError:
                    pass
            refused = None
            for n in range(1, 400):
                response = beat(stack, first + n)
                if response.status_code == 200:
                    acknowledged.add(first + n)
                    continue
                refused = response
                break
            assert refused is not None, "the full disk never refused a heartbeat"
            assert refused.status_code == 507 and refused.headers["Retry-After"] == "60"
            assert refused.headers["Content-Type"].startswith("application/json") and "disk is full" in refused.json()["error"]
            batch = [{"timestamp": stamp(first + 1000 + n), "host": "fault-test"} for n in range(2000)]
            response = stack.heartbeat(json.dumps({"heartbeats": batch}))
            assert response.status_code == 507 and "disk is full" in response.json()["error"], response.text[:200]
            assert stack.responder_pid() == pid
            (mount / "filler").unlink()
            response = stack.heartbeat(json.dumps({"heartbeats": batch}))
            assert response.status_code == 200 and response.json()["accepted"] == 2000
            assert acknowledged <= stored(stack)
            assert {first + 1000 + n for n in range(2000)} <= stored(stack)
        finally:
            stack.stop()
