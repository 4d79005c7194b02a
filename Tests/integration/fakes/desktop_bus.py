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

HERE = Path(__file__).parent

CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={runtime}/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/><allow send_type="method_call"/><allow send_destination="*"/>
    <allow receive_type="*"/>
  </policy>
</busconfig>
"""

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
        config = self.directory / "session.conf"
        config.write_text(CONFIG.format(runtime=self.runtime_dir))
        self.daemon = subprocess.Popen(["dbus-daemon", "--config-file", str(config), "--nofork", "--print-address"],
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.address = self.daemon.stdout.readline().strip()
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
