"""`make run` never leaves orphans: SIGTERM to its process group (what a supervisor or
`timeout` sends) stops everything and leaves nothing in run/ but logs; a second
`make run` on the same data folder is refused and the first keeps serving; after a
kill -9 of the nginx master, its workers go and a new `make run` serves.

`make run` is run for real, with its prerequisites (deps, the release build) taken as
done (`make -o deps -o build`) and the debug responder."""
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from conftest import ROOT
from test_process import alive

BINARY = os.environ.get("ATTENDANCE_FCGI", str(ROOT / ".build/debug/attendance-fcgi"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MakeRun:
    def __init__(self, data_dir, port, web_server="nginx"):
        self.data_dir, self.port = Path(data_dir), port
        env = dict(os.environ, DATA_DIR=str(data_dir), PORT=str(port), ATTENDANCE_FCGI=BINARY, WEB_SERVER=web_server)
        env.pop("BEARER_TOKEN", None)
        self.output = tempfile.TemporaryFile(mode="w+")
        # Its own process group, as a terminal or a supervisor starts it.
        self.process = subprocess.Popen(["make", "--no-print-directory", "-o", "deps", "-o", "build", "run"], cwd=ROOT,
                                        env=env, stdout=self.output, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def text(self):
        self.output.seek(0)
        return self.output.read()

    def wait_until_serving(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            assert self.process.poll() is None, "make run exited:\n" + self.text()
            try:
                # (its own start line: an earlier run's server may answer on the port)
                if "is at http://" in self.text() and requests.get(self.url + "/api/ping", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise AssertionError("make run did not come up:\n" + self.text())

    def pids(self):
        run = self.data_dir / "run"
        names = {"nginx.pid": "nginx", "responder.pid": "responder", "lighttpd.pid": "lighttpd"}
        return {name: int((run / file).read_text()) for file, name in names.items() if (run / file).exists()}

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            self.process.wait(timeout=20)


def processes_of(data_dir):
    """Every process still running whose command line or open files name `data_dir`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            files = [os.readlink(fd) for fd in (entry / "fd").iterdir()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if str(data_dir) in cmdline or any(str(data_dir) in f for f in files):
            found.append((int(entry.name), cmdline.strip()))
    return found


def left_in_run(data_dir):
    run = Path(data_dir) / "run"
    return sorted(p.name for p in run.iterdir() if not p.name.endswith(".log")) if run.exists() else []


@pytest.mark.parametrize("web_server,times", [("nginx", 20), ("lighttpd", 5)])
def test_sigterm_to_the_process_group_leaves_no_process_and_nothing_in_run(tmp_path, web_server, times):
    data_dir = tmp_path / "var"
    port = free_port()
    for attempt in range(times):
        run = MakeRun(data_dir, port, web_server)
        run.wait_until_serving()
        pids = run.pids()
        assert set(pids) >= {"responder", web_server}, pids
        os.killpg(run.process.pid, signal.SIGTERM)
        run.process.wait(timeout=20)
        deadline = time.time() + 5
        while time.time() < deadline and (processes_of(data_dir) or any(alive(p) for p in pids.values())):
            time.sleep(0.05)
        assert processes_of(data_dir) == [], (attempt, processes_of(data_dir), run.text())
        assert not [name for name, pid in pids.items() if alive(pid)], (attempt, run.text())
        assert left_in_run(data_dir) == [], (attempt, left_in_run(data_dir), run.text())
        assert "restarting" not in run.text(), run.text()


def test_a_second_make_run_on_the_same_data_folder_is_refused_and_the_first_keeps_serving(tmp_path):
    data_dir = tmp_path / "var"
    first = MakeRun(data_dir, free_port())
    try:
        first.wait_until_serving()
        before = sorted((data_dir / "run").iterdir())
        pids = first.pids()
        second = MakeRun(data_dir, free_port())
        assert second.process.wait(timeout=30) != 0
        assert f"{data_dir} is served already, by scripts/serve pid" in second.text(), second.text()
        # Nothing of the first was touched: its files, its processes, its answers.
        assert sorted((data_dir / "run").iterdir()) == before
        assert first.pids() == pids and all(alive(pid) for pid in pids.values())
        assert requests.get(first.url + "/api/ping", timeout=2).status_code == 200
        assert requests.get(first.url + "/dashboard", timeout=5).status_code == 200
    finally:
        first.stop()
    assert left_in_run(data_dir) == []


def test_after_kill_9_of_the_nginx_master_its_workers_go_and_a_new_make_run_serves(tmp_path):
    data_dir = tmp_path / "var"
    port = free_port()
    run = MakeRun(data_dir, port)
    run.wait_until_serving()
    master = run.pids()["nginx"]
    workers = [int(pid) for pid in subprocess.run(["pgrep", "-s", str(master), "-x", "nginx"], capture_output=True,
                                                  text=True).stdout.split() if int(pid) != master]
    assert workers
    os.kill(master, signal.SIGKILL)
    # scripts/serve sees its web server gone, says so, and ends the rest of its session.
    assert run.process.wait(timeout=20) != 0
    assert "nginx stopped" in run.text()
    deadline = time.time() + 5
    while time.time() < deadline and any(alive(pid) for pid in workers):
        time.sleep(0.05)
    assert not [pid for pid in workers if alive(pid)]
    again = MakeRun(data_dir, port)
    try:
        again.wait_until_serving()
        assert requests.get(again.url + "/dashboard", timeout=5).status_code == 200
    finally:
        again.stop()
    assert processes_of(data_dir) == [] and left_in_run(data_dir) == []


def test_what_a_killed_run_left_is_ended_by_the_next_one(tmp_path):
    """scripts/serve itself killed with -9 cannot clean up: its nginx and responder live on
    in sessions of their own; the next start ends them (and not anything else's)."""
    data_dir = tmp_path / "var"
    port = free_port()
    run = MakeRun(data_dir, port)
    run.wait_until_serving()
    pids = run.pids()
    serve = int((data_dir / "run/serve.pid").read_text())
    os.kill(serve, signal.SIGKILL)
    os.killpg(run.process.pid, signal.SIGKILL)
    run.process.wait(timeout=10)
    assert all(alive(pid) for pid in pids.values())
    again = MakeRun(data_dir, port)
    try:
        again.wait_until_serving()
        assert "ending what an earlier run left" in again.text()
        assert not [pid for pid in pids.values() if alive(pid)]
    finally:
        again.stop()
    assert processes_of(data_dir) == [] and left_in_run(data_dir) == []
