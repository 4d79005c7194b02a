#!/usr/bin/env python3
"""One heartbeat POST by attendance-agent next to curl doing the same POST, measured
in the same run: CPU time (user + system) and peak RSS per run, median of N runs each,
interleaved so that all see the same machine load. The agent runs three times per round:
with the idle check off (IDLE_MINUTES=0); on (IDLE_MINUTES=10) as on GNOME: a fake logind
on a private system bus reporting one active graphical session, and on a private session
bus a fake GNOME Mutter idle monitor reporting recent input (the X display, set too, is
then not asked); and as on an X desktop without those services (Xfce, MATE): logind, an
empty session bus and an X display (Xvfb) with recent input. Each sends its minute.

usage: agent_cost.py AGENT_BINARY URL TOKEN [RUNS]"""
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "Tests/integration/fakes"))
from logind_bus import LogindBus  # noqa: E402
from desktop_bus import DesktopBus  # noqa: E402


def measure(argv, env):
    """CPU seconds and max RSS (KiB) of one run of argv."""
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execvpe(argv[0], argv, env)
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[0]} failed with {os.waitstatus_to_exitcode(status)}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main():
    agent, url, token = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    home = tempfile.mkdtemp(prefix="agent-bench-")
    env = dict(os.environ, HOME=home, HEARTBEAT_URL=url, BEARER_TOKEN=token)
    env.pop("http_proxy", None)
    env.pop("HTTP_PROXY", None)
    curl = ["curl", "-s", "-o", "/dev/null", "--fail", "-X", "POST", "-H", f"Authorization: Bearer {token}",
            "-H", "Content-Type: application/json", "-d", '{"host":"bench"}', url]
    results = {"agent": [], "agent-idle": [], "agent-x": [], "curl": []}
    display = ":%d" % (150 + os.getpid() % 100)
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "640x480x24", "-nolisten", "tcp"], stderr=subprocess.DEVNULL)
    time.sleep(1)
    try:
        with LogindBus(tempfile.mkdtemp(prefix="agent-bench-bus-")) as bus, \
                DesktopBus(tempfile.mkdtemp(prefix="agent-bench-desktop-"), "mutter", "screensaver") as desktop, \
                DesktopBus(tempfile.mkdtemp(prefix="agent-bench-x-desktop-")) as plain:
            idle_off = dict(env, IDLE_MINUTES="0")
            # GNOME: logind, and Mutter on the session bus (which answers for X too).
            idle_on = dict(env, IDLE_MINUTES="10", DBUS_SYSTEM_BUS_ADDRESS=bus.address,
                           DBUS_SESSION_BUS_ADDRESS=desktop.address, DISPLAY=display)
            # An X desktop without Mutter or a screen saver service (Xfce, MATE): logind, two
            # questions the session bus cannot answer, and the X server.
            with_x = dict(env, IDLE_MINUTES="10", DBUS_SYSTEM_BUS_ADDRESS=bus.address,
                          DBUS_SESSION_BUS_ADDRESS=plain.address, DISPLAY=display)
            for round in range(runs):
                # Input on the X display, so that it reports a present user too.
                subprocess.run(["xdotool", "mousemove", str(10 + round % 2), "10"], env=dict(os.environ, DISPLAY=display),
                               check=True)
                results["agent"].append(measure([agent], idle_off))
                results["agent-idle"].append(measure([agent], idle_on))
                results["agent-x"].append(measure([agent], with_x))
                results["curl"].append(measure(curl, env))
    finally:
        xvfb.terminate()
        xvfb.wait()
    if os.path.exists(os.path.join(home, ".local/state/attendance/held")):
        raise SystemExit("the idle-on runs held their minutes: a source did not report a present user")
    summary = {}
    for name, samples in results.items():
        cpu = statistics.median(s[0] for s in samples) * 1000
        rss = statistics.median(s[1] for s in samples) / 1024
        peak = max(s[1] for s in samples) / 1024
        summary[name] = (cpu, rss, peak)
        print(f"{name:10} cpu {cpu:6.2f} ms/run (median of {runs})   max RSS {rss:5.1f} MB median, {peak:5.1f} MB peak")
    curl_cpu = summary["curl"][0]
    print(f"agent/curl cpu ratio {summary['agent'][0] / curl_cpu:.2f} idle check off, "
          f"{summary['agent-idle'][0] / curl_cpu:.2f} on (GNOME: logind, Mutter), {summary['agent-x'][0] / curl_cpu:.2f} "
          f"on an X desktop (logind, X) (goal <= 1.25); agent RSS goal <= 16 MB")
    print(f"agent_cpu_ms={summary['agent'][0]:.2f} agent_idle_cpu_ms={summary['agent-idle'][0]:.2f} "
          f"agent_x_cpu_ms={summary['agent-x'][0]:.2f} "
          f"curl_cpu_ms={curl_cpu:.2f} agent_cpu_ratio={summary['agent'][0] / curl_cpu:.2f} "
          f"agent_idle_cpu_ratio={summary['agent-idle'][0] / curl_cpu:.2f} "
          f"agent_x_cpu_ratio={summary['agent-x'][0] / curl_cpu:.2f} agent_rss_mb={summary['agent'][1]:.1f} "
          f"agent_idle_rss_mb={summary['agent-idle'][1]:.1f} agent_x_rss_mb={summary['agent-x'][1]:.1f} "
          f"curl_rss_mb={summary['curl'][1]:.1f}")


if __name__ == "__main__":
    main()
