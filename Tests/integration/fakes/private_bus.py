"""A private dbus-daemon for the fakes: a system-type bus (for the fake logind) or a
session-type one (for the fake desktop services), anyone may own any name and call
anything on it.

    daemon, address = start_bus("system", "/tmp/x/system_bus_socket", "/tmp/x/bus.conf")"""
import subprocess

CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>{type}</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/><allow send_type="method_call"/><allow send_destination="*"/>
    <allow receive_type="*"/>
  </policy>
</busconfig>
"""


def start_bus(kind, socket, config):
    """Starts dbus-daemon listening on `socket` (config written to `config`); returns the
    process and the bus's address."""
    config.write_text(CONFIG.format(type=kind, socket=socket))
    daemon = subprocess.Popen(["dbus-daemon", "--config-file", str(config), "--nofork", "--print-address"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return daemon, daemon.stdout.readline().strip()
