"""A private system-type dbus-daemon with the fake logind (fake_logind.py) on it, for the
agent's idle tests and for `make bench`. The agent reaches it through
DBUS_SYSTEM_BUS_ADDRESS=<address>.

    with LogindBus(directory) as bus:
        bus.set_sessions({"locked": True})   # one graphical session of this user, locked
        ... bus.address ..."""
import json
import os
import subprocess
from pathlib import Path

from private_bus import start_bus

HERE = Path(__file__).parent



class LogindBus:
    def __init__(self, directory):
        self.directory = Path(directory)
        self.state = self.directory / "logind.json"
        self.address = None

    def set_sessions(self, *sessions):
        """Each session is a dict of changes from an active x11 session of this user."""
        self.state.write_text(json.dumps({"sessions": [
            dict({"id": str(n + 2), "uid": os.getuid(), "user": "me", "type": "x11", "locked": False,
                  "idle": False, "idle_since_usec": 0}, **s) for n, s in enumerate(sessions)]}))

    def __enter__(self):
        self.daemon, self.address = start_bus("system", self.directory / "system_bus_socket", self.directory / "bus.conf")
        self.set_sessions({})
        # Debian's python3-dbus and python3-gi belong to the system interpreter.
        self.logind = subprocess.Popen(["/usr/bin/python3", str(HERE / "fake_logind.py"), str(self.state)],
                                       env=dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address),
                                       stdout=subprocess.PIPE, text=True)
        if self.logind.stdout.readline().strip() != "ready":
            self.__exit__()
            raise RuntimeError("the fake logind did not start")
        return self

    def __exit__(self, *_):
        for process in (self.logind, self.daemon):
            process.terminate()
            process.wait()
