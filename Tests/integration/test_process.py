"""The responder as a process: stops promptly on SIGTERM, loses nothing acknowledged on
kill -9 under load, and is brought back by scripts/serve's supervisor."""
import json
import os
import signal
import threading
import time

import requests

from conftest import Stack


def wait_for_new_responder(stack, old_pid, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            pid = stack.responder_pid()
            if pid != old_pid and requests.get(stack.url + "/api/ping", timeout=1).status_code == 200:
                return pid
        except (OSError, ValueError, requests.RequestException):
            pass
        time.sleep(0.05)
    raise AssertionError("responder was not restarted")


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except (FileNotFoundError, ProcessLookupError):  # gone before open, or between open and read
        return False


def test_sigterm_stops_the_responder_within_a_second():
    stack = Stack()
    try:
        pid = stack.responder_pid()
        started = time.monotonic()
        os.kill(pid, signal.SIGTERM)
        while alive(pid) and time.monotonic() - started < 1.0:
            time.sleep(0.01)
        assert not alive(pid), "responder still running 1 s after SIGTERM"
        wait_for_new_responder(stack, pid)
    finally:
        stack.stop()


def test_kill_9_under_load_loses_no_acknowledged_heartbeat():
    stack = Stack()
    acknowledged = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(worker):
        session = requests.Session()
        n = 0
        while not stop.is_set() and n < 5000:
            minute = 27_000_000 + worker * 100_000 + n  # distinct minutes in 2021
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(minute * 60))
            try:
                response = session.post(stack.url + "/api/heartbeat", timeout=5,
                                        headers={"Authorization": f"Bearer {stack.token}"},
                                        data=json.dumps({"timestamp": stamp, "host": "load"}))
                if response.status_code == 200 and response.json()["accepted"] == 1:
                    with lock:
                        acknowledged.append(minute)
            except requests.RequestException:
                pass
            n += 1

    try:
        threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        pid = stack.responder_pid()
        os.kill(pid, signal.SIGKILL)
        wait_for_new_responder(stack, pid)
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join()
        assert len(acknowledged) > 100, "the load did not get going"
        stored = {m for (m,) in stack.query("SELECT minute FROM heartbeat WHERE host = 'load'")}
        missing = set(acknowledged) - stored
        assert not missing, f"{len(missing)} acknowledged heartbeats lost"
        cached = stack.query("SELECT SUM(minutes) FROM daily_attendance")[0][0]
        distinct = stack.query("SELECT COUNT(DISTINCT minute) FROM heartbeat")[0][0]
        assert cached == distinct
    finally:
        stop.set()
        stack.stop()


def test_serve_leaves_no_process_behind():
    stack = Stack()
    pid = stack.responder_pid()
    nginx_pid = int((stack.data_dir / "run/nginx.pid").read_text())
    stack.process.send_signal(signal.SIGINT)
    stack.process.wait(timeout=10)
    time.sleep(0.3)
    assert not alive(pid)
    assert not alive(nginx_pid)
    stack.stop()


def test_ctrl_c_stops_both_servers_cleanly_and_removes_what_the_run_made():
    """A terminal's Ctrl-C: SIGINT to the whole foreground process group, not only to
    scripts/serve (Stack starts it as the leader of its own group)."""
    for web_server in ("nginx", "lighttpd"):
        stack = Stack(web_server=web_server)
        run = stack.data_dir / "run"
        pid = stack.responder_pid()
        os.killpg(stack.process.pid, signal.SIGINT)
        assert stack.process.wait(timeout=10) == 0
        time.sleep(0.3)
        output = (stack.data_dir / "serve.out").read_text()
        assert "restarting" not in output and "stopped; see" not in output, output
        assert not alive(pid)
        left = sorted(path.name for path in run.iterdir())
        assert not [name for name in left if not name.endswith(".log")], left
        stack.stop()
