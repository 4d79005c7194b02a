"""No heartbeat is lost on the way (spec §5): the agent against small fake servers in
front of, or instead of, the real stack. Each test proves that every valid heartbeat
reaches the database in the end and that each run ends within its promised time
(a request has 10 s, no request starts after 30 s, the queue lock is waited for 10 s)."""
import fcntl
import json
import os
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from test_agent import AGENT, HOST, queue, stamp, stored_minutes

RUN_LIMIT = 40  # seconds: the README's promise for one run


class FakeServer:
    """An HTTP server on a free port whose answer to each POST is `respond(body)` ->
    (status, content type, body bytes). Every request body is kept in `bodies`."""

    def __init__(self, respond):
        self.respond = respond
        self.bodies = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                fake.bodies.append(body)
                status, content_type, answer = fake.respond(body)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/heartbeat"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake():
    servers = []

    def start(respond):
        servers.append(FakeServer(respond))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def forward(stack, body):
    """The real stack's answer to `body`."""
    request = urllib.request.Request(stack.url + "/api/heartbeat", data=body, method="POST",
                                     headers={"Authorization": f"Bearer {stack.token}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, "application/json", response.read()
    except urllib.error.HTTPError as error:
        return error.code, "application/json", error.read()


def run(home, url, token, *arguments, **extra):
    """One agent run: (exit code, stdout, stderr, seconds, peak RSS in MB). The peak is the
    agent's own VmHWM, read while it runs (a child's ru_maxrss would include the RSS of
    this test process, from before the exec)."""
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "HEARTBEAT_URL": url, "BEARER_TOKEN": token,
           "IDLE_MINUTES": "0", "XDG_RUNTIME_DIR": str(home / "runtime"), **extra}
    (home / "runtime").mkdir(exist_ok=True)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        process = subprocess.Popen([AGENT, *arguments], env=env, stdout=out, stderr=err)
        peak = 0
        while process.poll() is None:
            try:
                with open(f"/proc/{process.pid}/status") as status:
                    text = status.read()
                if process.poll() is None and "VmHWM:" in text:
                    peak = max(peak, int(text.split("VmHWM:")[1].split()[0]))
            except (FileNotFoundError, ProcessLookupError, ValueError):
                pass
            time.sleep(0.02)
        elapsed = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return process.returncode, out.read().decode(), err.read().decode(), elapsed, peak / 1024


def sent_stamps(server):
    """The timestamps in every request `server` received."""
    return sent_stamps_of(server.bodies)


def sent_stamps_of(bodies):
    stamps = []
    for body in bodies:
        document = json.loads(body)
        # (a run's first heartbeat, before the clock's offset is known, the server stamps)
        stamps += [beat["timestamp"] for beat in document.get("heartbeats", [document]) if "timestamp" in beat]
    return stamps


def queued_stamps(home):
    return [line.split("\t")[0] for line in queue(home)]


@pytest.mark.parametrize("status, content_type, answer", [
    (200, "text/html", b"<html><body>Please log in to the guest network</body></html>"),
    (200, "application/json", b'{"ok":true}'),
    (200, "application/json", b'{"accepted":0,"duplicates":0}'),
    (408, "text/html", b"<html>Request Timeout</html>"),
    (429, "application/json", b'{"error":"slow down"}'),
    (503, "text/html", b"<html>Service Unavailable</html>"),
])
def test_an_answer_that_is_not_a_delivery_keeps_the_heartbeat(stack, tmp_path, fake, status, content_type, answer):
    server = fake(lambda body: (status, content_type, answer))
    moment, minute = stamp(3)
    code, out, err, elapsed, _ = run(tmp_path, server.url, stack.token, "--at", moment)
    assert (code, out, err) == (75, "", ""), err  # temporary: queued, and quiet like an offline laptop
    assert queued_stamps(tmp_path) == [moment] and sent_stamps(server) == [moment]
    assert elapsed < RUN_LIMIT
    # The next run that reaches Attendance delivers it.
    code, out, err, _, _ = run(tmp_path, stack.url + "/api/heartbeat", stack.token)
    assert (code, out, err) == (0, "", "")
    assert queue(tmp_path) == [] and minute in stored_minutes(stack)


def test_test_mode_fails_on_a_page_that_is_not_attendance(stack, tmp_path, fake):
    server = fake(lambda body: (200, "text/html", b"<html><title>Hotel Wi-Fi</title></html>"))
    code, out, err, _, _ = run(tmp_path, server.url, stack.token, "--test")
    assert code == 77 and "not as Attendance does" in err and "Hotel Wi-Fi" in err and out == ""


def test_a_proxy_413_splits_the_batch_until_it_passes(stack, tmp_path, fake):
    """A proxy in front that takes at most 3 heartbeats per request (about 200 bytes)."""
    proxy = fake(lambda body: (413, "text/html", b"<html>413 Request Entity Too Large</html>") if len(body) > 200
                 else forward(stack, body))
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    offline = f"http://127.0.0.1:{closed.getsockname()[1]}/api/heartbeat"
    closed.close()
    stamps = [stamp(60 + n) for n in range(20)]
    for moment, _ in stamps:
        assert run(tmp_path, offline, stack.token, "--at", moment)[0] == 75
    assert len(queue(tmp_path)) == 20
    code, out, err, elapsed, _ = run(tmp_path, proxy.url, stack.token)
    assert (code, out, err) == (0, "", ""), err
    assert queue(tmp_path) == [] and elapsed < RUN_LIMIT
    assert {minute for _, minute in stamps} <= set(stored_minutes(stack))
    passed = [body for body in proxy.bodies if len(body) <= 200]
    assert len(passed) < len(proxy.bodies)  # some were refused with 413 and split
    assert {moment for moment, _ in stamps} <= set(sent_stamps_of(passed))


def test_a_server_that_never_answers_ends_the_run_in_time(stack, tmp_path):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # connections are made by the kernel, and nothing ever answers
    try:
        moment, minute = stamp(5)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/api/heartbeat"
        code, out, err, elapsed, _ = run(tmp_path, url, stack.token, "--at", moment)
    finally:
        silent.close()
    assert (code, out, err) == (75, "", "")
    assert 9 <= elapsed < 15, elapsed  # one request's 10 s limit, then the run gives up
    assert queued_stamps(tmp_path) == [moment]
    assert run(tmp_path, stack.url + "/api/heartbeat", stack.token)[0] == 0
    assert minute in stored_minutes(stack)


def test_a_held_queue_lock_is_waited_for_10_seconds_and_nothing_is_lost(stack, tmp_path):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    offline = f"http://127.0.0.1:{closed.getsockname()[1]}/api/heartbeat"
    closed.close()
    state = tmp_path / ".local/state/attendance"
    state.mkdir(parents=True)
    first, first_minute = stamp(7)
    with open(state / "queue.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process holds the queue
        code, out, err, elapsed, _ = run(tmp_path, offline, stack.token, "--at", first)
    assert 10 <= elapsed < 20, elapsed
    # Appending needs no lock (one O_APPEND write): the minute is queued all the same.
    assert (code, out, err) == (75, "", "") and queued_stamps(tmp_path) == [first]
    with open(state / "queue.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        code, out, err, elapsed, _ = run(tmp_path, stack.url + "/api/heartbeat", stack.token)
    assert 10 <= elapsed < 20, elapsed
    assert first_minute in stored_minutes(stack)  # sent; only the queue's rewrite had to wait
    assert code == 1 and "queue.lock" in err and "held by another process" in err, err
    # The lock free again, the next run leaves the queue empty and nothing was stored twice.
    assert run(tmp_path, stack.url + "/api/heartbeat", stack.token)[0] == 0
    assert queue(tmp_path) == [] and stored_minutes(stack).count(first_minute) == 1


def test_a_state_folder_that_cannot_be_written_still_sends_the_minute_and_says_so_once(stack, tmp_path):
    blocked = tmp_path / "state-is-a-file"
    blocked.write_text("")  # ~/.local/state/attendance cannot be created under a file
    moment, minute = stamp(9)
    code, out, err, _, _ = run(tmp_path, stack.url + "/api/heartbeat", stack.token, "--at", moment,
                               XDG_STATE_HOME=str(blocked))
    assert code == 0 and out == "" and "cannot" in err and "queued" in err, err
    assert minute in stored_minutes(stack)
    moment, minute = stamp(8)
    code, out, err, _, _ = run(tmp_path, stack.url + "/api/heartbeat", stack.token, "--at", moment,
                               XDG_STATE_HOME=str(blocked))
    assert (code, out, err) == (0, "", "")  # said once
    assert minute in stored_minutes(stack)
    code, out, err, _, _ = run(tmp_path, stack.url + "/api/heartbeat", stack.token, "--test",
                               XDG_STATE_HOME=str(blocked))
    assert code == 1 and "writable" in err and str(blocked) in err, err
    # Unreachable and unwritable: the minute cannot be kept, and the exit code says so.
    code, _, _, _, _ = run(tmp_path, "http://127.0.0.1:1/api/heartbeat", stack.token, XDG_STATE_HOME=str(blocked))
    assert code == 75


def test_a_50_mb_queue_of_junk_drains_in_two_runs_with_bounded_memory(stack, tmp_path):
    state = tmp_path / ".local/state/attendance"
    state.mkdir(parents=True)
    valid = [stamp(2000 + n) for n in range(300)]
    with open(state / "queue", "wb") as file:
        junk = [b"\x00\x01 not a heartbeat \xff\xfe", b"2026-11-26T10:00Zjunk", b"{\"timestamp\":1}",
                b"2026-11-26T10:00:00Z\t" + b"h" * 600, b"\t\t\t", b"2026-13-45T99:99:99Z\thost" + b"\x00" * 40]
        written = 0
        while written < 30_000_000:
            for line in junk:
                file.write(line + b"\n")
                written += len(line) + 1
        file.write(b"x" * 20_000_000 + b"\x00\n")  # one 20 MB line
        # Shaped like heartbeats but refused by the server (422: no such date): found by halving.
        for day in (30, 31):
            file.write(f"2026-02-{day}T10:00:00Z\t{HOST}\n".encode())
        for moment, _ in valid:
            file.write(f"{moment}\t{HOST}\n".encode())
    assert (state / "queue").stat().st_size > 50_000_000
    url = stack.url + "/api/heartbeat"
    results = [run(tmp_path, url, stack.token) for _ in range(2)]
    for code, out, err, elapsed, rss in results:
        assert elapsed < RUN_LIMIT and rss < 40, (elapsed, rss)
        print(f"run: {elapsed:.1f} s, peak RSS {rss:.1f} MB")
    assert {minute for _, minute in valid} <= set(stored_minutes(stack))
    assert queue(tmp_path) == []
    log = (tmp_path / ".heartbeat_agent.log").read_bytes()
    rotated = tmp_path / ".heartbeat_agent.log.1"
    assert b"\x00" not in log and len(log) <= 256 * 1024
    assert not rotated.exists() or b"\x00" not in rotated.read_bytes()
    assert max(len(line) for line in log.splitlines()) <= 2100
