"""attendance-agent against the real nginx + responder (SPEC §5)."""
import os
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import ROOT, Stack

AGENT = os.environ.get("ATTENDANCE_AGENT", str(ROOT / ".build/debug/attendance-agent"))
HOST = socket.gethostname()


@pytest.fixture
def home(tmp_path):
    return tmp_path


def agent(home, url, token, *arguments):
    assert Path(AGENT).is_file(), f"no agent binary at {AGENT} (make build-debug)"
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "HEARTBEAT_URL": url, "BEARER_TOKEN": token}
    return subprocess.run([AGENT, *arguments], env=env, capture_output=True, text=True, timeout=60)


def queue(home):
    path = home / ".local/state/attendance/queue"
    return path.read_text().splitlines() if path.exists() else []


def stamp(minutes_ago):
    moment = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=minutes_ago)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ"), int(moment.timestamp()) // 60


def stored_minutes(stack):
    return [minute for (minute,) in stack.query("SELECT minute FROM heartbeat WHERE host = ? ORDER BY minute", HOST)]


def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/heartbeat"


def test_a_run_records_this_minute_silently(stack, home):
    before = time.time()
    result = agent(home, stack.url + "/api/heartbeat", stack.token)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    minutes = stored_minutes(stack)
    assert int(before) // 60 in minutes or int(time.time()) // 60 in minutes
    assert queue(home) == []


def test_server_down_queues_silently_and_one_run_delivers_everything_once(home):
    down = Stack()
    url, token = down.url + "/api/heartbeat", down.token
    down.stop()  # the whole server is gone: nothing listens on that port now
    stamps = [stamp(m) for m in (30, 29, 28, 27, 26)]
    for text, _ in stamps:
        result = agent(home, url, token, "--at", text)
        assert (result.returncode, result.stdout, result.stderr) == (75, "", "")
    assert [line.split("\t")[0] for line in queue(home)] == [text for text, _ in stamps]
    assert "cannot reach the server" in (home / ".heartbeat_agent.log").read_text()

    up = Stack()
    try:
        result = agent(home, up.url + "/api/heartbeat", up.token, "--at", stamp(25)[0])
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
        assert queue(home) == []
        expected = sorted([minute for _, minute in stamps] + [stamp(25)[1]])
        assert stored_minutes(up) == expected  # none missing, none twice
        log = (home / ".heartbeat_agent.log").read_text()
        assert "delivered 5 queued heartbeats" in log and "recovered" in log
        # The queue was sent as one batch after the current minute (the log flushes each second).
        time.sleep(1.5)
        posts = [line for line in (up.data_dir / "run/nginx-access.log").read_text().splitlines()
                 if "POST /api/heartbeat" in line]
        assert len(posts) == 2
    finally:
        up.stop()


def test_concurrent_runs_do_not_corrupt_the_queue(stack, home):
    url = closed_port_url()
    stamps = [stamp(200 + m) for m in range(24)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda s: agent(home, url, stack.token, "--at", s[0]), stamps))
    assert all(r.returncode in (0, 75) and r.stdout == "" and r.stderr == "" for r in results)
    assert sorted(line.split("\t")[0] for line in queue(home)) == sorted(text for text, _ in stamps)

    # Now several runs at once against the live server: every minute lands exactly once.
    more = [stamp(300 + m) for m in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda s: agent(home, stack.url + "/api/heartbeat", stack.token, "--at", s[0]), more))
    assert all(r.returncode == 0 and r.stderr == "" for r in results), [r.stderr for r in results]
    agent(home, stack.url + "/api/heartbeat", stack.token, "--at", stamp(400)[0])  # picks up any hand-over
    assert queue(home) == []
    stored = set(stored_minutes(stack))
    assert {minute for _, minute in stamps + more} <= stored


def test_wrong_token_is_named_by_test_mode(stack, home):
    result = agent(home, stack.url + "/api/heartbeat", "not-the-token", "--test")
    assert result.returncode != 0
    assert "401" in result.stderr and "token" in result.stderr
    result = agent(home, stack.url + "/api/heartbeat", stack.token, "--test")
    assert result.returncode == 0
    assert "accepted" in result.stdout


def test_test_mode_names_a_wrong_path_and_an_unreachable_server(stack, home):
    result = agent(home, stack.url + "/api/heartbeats", stack.token, "--test")
    assert result.returncode != 0 and "404" in result.stderr and "/api/heartbeat" in result.stderr
    result = agent(home, closed_port_url(), stack.token, "--test")
    assert result.returncode != 0 and "cannot reach" in result.stderr


def test_test_mode_names_a_tls_error(stack, home):
    # https:// to a plain-HTTP port: the TLS handshake fails.
    result = agent(home, stack.url.replace("http://", "https://") + "/api/heartbeat", stack.token, "--test")
    assert result.returncode != 0 and "TLS error" in result.stderr, result.stderr


def test_missing_configuration_says_what_to_set(home):
    env = {"PATH": os.environ["PATH"], "HOME": str(home)}
    result = subprocess.run([AGENT], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 78
    assert "HEARTBEAT_URL" in result.stderr and "agent.conf" in result.stderr


def test_config_file_is_read(stack, home):
    config = home / ".config/attendance"
    config.mkdir(parents=True)
    (config / "agent.conf").write_text(f"# agent\nHEARTBEAT_URL={stack.url}/api/heartbeat\nBEARER_TOKEN={stack.token}\n")
    env = {"PATH": os.environ["PATH"], "HOME": str(home)}
    result = subprocess.run([AGENT, "--test"], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr

