"""The agent's idle checks (spec §5, IDLE_MINUTES) against a real D-Bus daemon with a
fake logind, and a real X server (Xvfb) driven by xdotool, through the real stack."""
import re
import os
import shutil
import sys
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROOT
from test_agent import AGENT, HOST, queue, stored_minutes

FAKES = Path(__file__).parent / "fakes"
sys.path.insert(0, str(FAKES))
from logind_bus import LogindBus  # noqa: E402


@pytest.fixture
def bus(tmp_path):
    """A private dbus-daemon with the fake logind on it; yields (address, set_sessions)."""
    with LogindBus(tmp_path) as logind:
        yield logind.address, logind.set_sessions


def run_agent(home, stack, address=None, display=None, idle_minutes="10", *arguments):
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "HEARTBEAT_URL": stack.url + "/api/heartbeat",
           "BEARER_TOKEN": stack.token, "IDLE_MINUTES": idle_minutes,
           # no system bus unless the test gives one
           "DBUS_SYSTEM_BUS_ADDRESS": address or f"unix:path={home}/no-bus"}
    if display:
        env["DISPLAY"] = display
    started = time.monotonic()
    result = subprocess.run([AGENT, *arguments], env=env, capture_output=True, text=True, timeout=60)
    return result, time.monotonic() - started


def held(home):
    path = home / ".local/state/attendance/held"
    return path.read_text().splitlines() if path.exists() else []


def now_usec():
    return int(time.time() * 1_000_000)


def test_logind_locked_and_idle_sessions_send_nothing(stack, tmp_path, bus):
    address, set_sessions = bus
    home = tmp_path
    before = stored_minutes(stack)  # the stack is shared by this file's tests

    set_sessions({"locked": True})
    result, _ = run_agent(home, stack, address)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert stored_minutes(stack) == before and queue(home) == [] and held(home) == []

    set_sessions({"idle": True, "idle_since_usec": now_usec() - 11 * 60_000_000})
    result, _ = run_agent(home, stack, address)
    assert result.returncode == 0 and stored_minutes(stack) == before and held(home) == []

    # Idle for 3 minutes, under the limit: held, not sent yet ...
    set_sessions({"idle": True, "idle_since_usec": now_usec() - 3 * 60_000_000})
    result, _ = run_agent(home, stack, address)
    assert result.returncode == 0 and stored_minutes(stack) == before and len(held(home)) == 1
    # ... and sent when the user is back.
    set_sessions({})
    result, _ = run_agent(home, stack, address)
    assert result.returncode == 0 and held(home) == []
    assert len(stored_minutes(stack)) > len(before)

    # A tty session, or a graphical session of another user, says nothing: sent as before.
    set_sessions({"type": "tty", "locked": True}, {"uid": os.getuid() + 1, "locked": True})
    count = len(stored_minutes(stack))
    result, _ = run_agent(home, stack, address)
    assert result.returncode == 0 and len(stored_minutes(stack)) >= count


def test_idle_minutes_0_turns_the_check_off(stack, tmp_path, bus):
    address, set_sessions = bus
    set_sessions({"locked": True})
    before = time.time()
    result, _ = run_agent(tmp_path, stack, address, None, "0")
    assert (result.returncode, result.stderr) == (0, "")
    minutes = stored_minutes(stack)
    assert int(before) // 60 in minutes or int(time.time()) // 60 in minutes


def test_test_mode_says_what_the_idle_check_sees(stack, tmp_path, bus):
    address, set_sessions = bus
    set_sessions({"locked": True})
    result, elapsed = run_agent(tmp_path, stack, address, None, "10", "--test")
    assert result.returncode == 0, result.stderr
    assert "logind: 1 graphical session(s) of this user [x11, locked]" in result.stdout
    assert "away (the screen is locked)" in result.stdout
    result, _ = run_agent(tmp_path, stack, None, None, "10", "--test")
    assert "logind: no answer" in result.stdout and "every minute is sent" in result.stdout


@pytest.fixture
def xserver(tmp_path):
    if not shutil.which("Xvfb") or not shutil.which("xdotool"):
        pytest.fail("Xvfb and xdotool are needed (scripts/install-deps test)")
    display = ":%d" % (90 + os.getpid() % 100)
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", "640x480x24", "-nolisten", "tcp"],
                              stderr=subprocess.DEVNULL)
    for _ in range(100):
        if subprocess.run(["xdotool", "getmouselocation"], env=dict(os.environ, DISPLAY=display),
                          capture_output=True).returncode == 0:
            break
        time.sleep(0.05)
    yield display
    server.terminate()
    server.wait()


def test_x_input_is_seen_through_the_screen_saver_extension(stack, tmp_path, xserver):
    env = dict(os.environ, DISPLAY=xserver)
    subprocess.run(["xdotool", "mousemove", "10", "10"], env=env, check=True)
    result, _ = run_agent(tmp_path, stack, None, xserver, "10", "--test")
    assert result.returncode == 0, result.stderr
    assert re.search(rf"X display {xserver}: no input for [01] s", result.stdout), result.stdout
    assert "Now: present" in result.stdout
    tested = stored_minutes(stack)

    # A minute without input, with IDLE_MINUTES=1: away, nothing sent, nothing held.
    # (Xvfb ignores `xset s activate`, so the idle time is the way to get there.)
    time.sleep(61)
    result, _ = run_agent(tmp_path, stack, None, xserver, "1", "--test")
    assert re.search(r"no input for 6\d s", result.stdout) and "away (no input on the X display for 1 min)" in result.stdout
    tested = stored_minutes(stack)  # the second --test sent one more
    other_home = tmp_path / "other"
    other_home.mkdir()
    result, _ = run_agent(other_home, stack, None, xserver, "1")
    assert (result.returncode, result.stderr) == (0, "")
    assert stored_minutes(stack) == tested and queue(other_home) == [] and held(other_home) == []

    # Input again: present, and this minute is sent.
    subprocess.run(["xdotool", "mousemove", "200", "200"], env=env, check=True)
    result, _ = run_agent(other_home, stack, None, xserver, "1")
    assert (result.returncode, result.stderr) == (0, "")
    assert len(stored_minutes(stack)) >= len(tested) and queue(other_home) == [] and held(other_home) == []
    result, _ = run_agent(other_home, stack, None, xserver, "1", "--test")
    assert "Now: present" in result.stdout, result.stdout


def test_in_a_wayland_session_the_xwayland_display_is_not_asked(stack, tmp_path, bus, xserver):
    # Xwayland's idle time grows while the user types into Wayland windows: not evidence.
    address, set_sessions = bus
    set_sessions({"type": "wayland"})
    result, _ = run_agent(tmp_path, stack, address, xserver, "1", "--test")
    assert result.returncode == 0, result.stderr
    assert f"X display {xserver}: not asked (the session is Wayland" in result.stdout
    assert "Now: present" in result.stdout, result.stdout


def test_an_agent_without_an_x_server_or_a_bus_still_sends(stack, tmp_path):
    before = time.time()
    result, _ = run_agent(tmp_path, stack, None, ":99999")
    assert (result.returncode, result.stderr) == (0, "")
    minutes = stored_minutes(stack)
    assert int(before) // 60 in minutes or int(time.time()) // 60 in minutes
