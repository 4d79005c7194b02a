"""Integration tests: the real nginx and attendance-fcgi, started by scripts/serve
exactly as `make run` starts them, on a free port with a throw-away data dir."""
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "t0k-integration.test"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """nginx + responder under scripts/serve; stopped with SIGTERM like Ctrl-C."""

    def __init__(self, token=TOKEN, web_server="nginx", database=None, env=None, data_dir=None, auth=None, ready=(200,)):
        # Fail, never skip: a missing web server is a broken setup, not an excuse.
        self.web_server = web_server
        for tool in (web_server, "spawn-fcgi"):
            assert shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists(), f"{tool} is not installed (make test-deps)"
        self.binary = os.environ.get("ATTENDANCE_FCGI", str(ROOT / ".build/debug/attendance-fcgi"))
        assert Path(self.binary).is_file(), f"no responder binary at {self.binary} (make build-debug)"
        self.port = free_port()
        self.data_dir = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="attendance-test-"))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if database is not None:  # start on an existing database file, as an upgrade would
            shutil.copyfile(database, self.data_dir / "attendance.sqlite")
        self.token = token
        self.database = Path((env or {}).get("DATABASE", self.data_dir / "attendance.sqlite"))
        self.url = f"http://{(env or {}).get('LISTEN', '127.0.0.1')}:{self.port}"
        self.auth = auth  # the login pages need beyond loopback, for the start-up check
        self.ready = ready  # what /api/ping answers once up (503 on a damaged database)
        env = dict(os.environ, PORT=str(self.port), DATA_DIR=str(self.data_dir),
                   BEARER_TOKEN=token, ATTENDANCE_FCGI=self.binary, WEB_SERVER=web_server, **(env or {}))
        self.log = open(self.data_dir / "serve.out", "w")
        self.process = subprocess.Popen([str(ROOT / "scripts/serve")], env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_until_ready()

    def wait_until_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            assert self.process.poll() is None, "scripts/serve exited:\n" + (self.data_dir / "serve.out").read_text()
            try:
                if requests.get(self.url + "/api/ping", timeout=1, auth=self.auth).status_code in self.ready:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError("stack did not come up:\n" + (self.data_dir / "serve.out").read_text())

    def responder_pid(self):
        return int((self.data_dir / "run/responder.pid").read_text())

    def heartbeat(self, body=None, token=None, path="/api/heartbeat", **kwargs):
        headers = {"Authorization": f"Bearer {self.token if token is None else token}"}
        headers.update(kwargs.pop("headers", {}))
        return requests.post(self.url + path, headers=headers, data=body, timeout=10, **kwargs)

    def query(self, sql, *args):
        with sqlite3.connect(self.database, timeout=10) as db:
            return db.execute(sql, args).fetchall()

    def stop(self):
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def stack():
    """nginx in front."""
    running = Stack()
    yield running
    running.stop()


@pytest.fixture(scope="module", params=["nginx", "lighttpd"])
def any_server(request):
    """The same tests once behind nginx and once behind lighttpd."""
    running = Stack(web_server=request.param)
    yield running
    running.stop()
