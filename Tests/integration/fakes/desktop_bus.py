"""A private session-type dbus-daemon with the fake desktop services (fake_desktop.py) on
it, for the agent's idle and nudge tests and for `make bench`. The agent reaches it
through DBUS_SESSION_BUS_ADDRESS=<address>, or through $XDG_RUNTIME_DIR/bus (the socket
is made there, as a desktop session makes it).

    with DesktopBus(directory, "mutter", "screensaver", "notifications") as desktop:
        desktop.set(mutter_idle_ms=20 * 60_000)
        ... desktop.address, desktop.runtime_dir, desktop.notifications() ..."""
import json
import subprocess
from pathlib import Path

from private_bus import start_bus

HERE = Path(__file__).parent


DEFAULTS = {"mutter_idle_ms": 0, "screensaver_active": False, "screensaver_idle_ms": 0, "delay": 0}


class DesktopBus:
    def __init__(self, directory, *services):
        self.directory = Path(directory)
        self.runtime_dir = self.directory / "runtime"
        self.state = self.directory / "desktop.json"
        self.calls = self.directory / "notifications.jsonl"
        self.services = services
        self.address = None
        self.fake = None

    def set(self, **values):
        """What the services answer from now on (changes from DEFAULTS)."""
        self.state.write_text(json.dumps(dict(DEFAULTS, **values)))

    def notifications(self):
        return [json.loads(line) for line in self.calls.read_text().splitlines()] if self.calls.exists() else []

    def __enter__(self):
        self.runtime_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.daemon, self.address = start_bus("session", self.runtime_dir / "bus", self.directory / "session.conf")
        self.set()
        if self.services:
            # Debian's python3-dbus and python3-gi belong to the system interpreter.
            self.fake = subprocess.Popen(["/usr/bin/python3", str(HERE / "fake_desktop.py"), str(self.state),
                                          str(self.calls), *self.services],
                                         env={"DBUS_SESSION_BUS_ADDRESS": self.address, "PATH": "/usr/bin:/bin"},
                                         stdout=subprocess.PIPE, text=True)
            if self.fake.stdout.readline().strip() != "ready":
                self.__exit__()
                raise RuntimeError("the fake desktop services did not start")
        return self

    def __exit__(self, *_):
        for process in (self.fake, self.daemon):
            if process:
                process.terminate()
                process.wait()
