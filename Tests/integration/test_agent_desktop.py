"""The agent on today's desktops (spec §5): GNOME's Mutter idle monitor and the freedesktop
screen saver asked on a real session bus (a private dbus-daemon with small fake services),
the nudge on return over org.freedesktop.Notifications, the backlog warning, and a laptop
clock that is wrong (libfaketime), all through the real stack."""
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from test_agent import AGENT, HOST, queue, stored_minutes

sys.path.insert(0, str(Path(__file__).parent / "fakes"))
from desktop_bus import DesktopBus  # noqa: E402

MINUTE_MS = 60_000
ZONE = "Europe/Berlin"


def run_agent(home, stack, desktop=None, *arguments, idle_minutes="10", extra=None, via_runtime_dir=False, clock=None):
    """One run as cron starts it: no DISPLAY, no system bus; the session bus by its address,
    or (via_runtime_dir) found at $XDG_RUNTIME_DIR/bus as a cron job finds it."""
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "HEARTBEAT_URL": stack.url + "/api/heartbeat",
           "BEARER_TOKEN": stack.token, "IDLE_MINUTES": idle_minutes, "TZ": ZONE,
           "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={home}/no-system-bus",
           "XDG_RUNTIME_DIR": str(desktop.runtime_dir if desktop else home / "no-runtime")}
    if desktop and not via_runtime_dir:
        env["DBUS_SESSION_BUS_ADDRESS"] = desktop.address
    env.update(extra or {})
    started = time.monotonic()
    prefix = []
    if clock:
        # The wrapper, not LD_PRELOAD alone: libfaketime's own setenv would otherwise move
        # `environ` before the Swift runtime finds argv there (swiftlang/swift#76080).
        assert shutil.which("faketime"), "faketime is needed (scripts/install-deps test)"
        prefix = ["faketime", "-f", clock]
        env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
    result = subprocess.run([*prefix, AGENT, *arguments], env=env, capture_output=True, text=True, timeout=60)
    return result, time.monotonic() - started


def held(home):
    path = home / ".local/state/attendance/held"
    return path.read_text().splitlines() if path.exists() else []


def this_minute_recorded(stack, before, after):
    minutes = stored_minutes(stack)
    return any(minute in minutes for minute in range(int(before) // 60, int(after) // 60 + 1))


@pytest.fixture
def gnome(tmp_path):
    with DesktopBus(tmp_path / "gnome", "mutter", "notifications") as desktop:
        yield desktop


@pytest.fixture
def kde(tmp_path):
    with DesktopBus(tmp_path / "kde", "screensaver", "notifications") as desktop:
        yield desktop


def make_dirs(*paths):
    for path in paths:
        path.mkdir(parents=True, exist_ok=True)
    return paths[0]


def test_gnome_mutter_idle_time_decides_on_wayland(stack, tmp_path, gnome):
    home = make_dirs(tmp_path / "home")
    gnome.set(mutter_idle_ms=0)
    before = time.time()
    result, _ = run_agent(home, stack, gnome)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert this_minute_recorded(stack, before, time.time())

    result, _ = run_agent(home, stack, gnome, "--test")
    assert result.returncode == 0, result.stderr
    assert "GNOME Mutter idle monitor: no input for 0 s" in result.stdout
    assert "Now: present, this minute is sent; decided by GNOME Mutter." in result.stdout

    # 20 minutes without input: away; nothing sent, queued or held.
    gnome.set(mutter_idle_ms=20 * MINUTE_MS)
    count = len(stored_minutes(stack))
    result, _ = run_agent(home, stack, gnome)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert len(stored_minutes(stack)) == count and queue(home) == [] and held(home) == []
    result, _ = run_agent(home, stack, gnome, "--test")
    assert "GNOME Mutter idle monitor: no input for 1200 s" in result.stdout
    assert "Now: away (no input in the GNOME session for 20 min); nothing is sent; decided by GNOME Mutter." in result.stdout

    # Three minutes: a pause, held until it is known whether it was a break.
    gnome.set(mutter_idle_ms=3 * MINUTE_MS)
    result, _ = run_agent(home, stack, gnome)
    assert result.returncode == 0 and len(held(home)) == 1

    # Found by $XDG_RUNTIME_DIR/bus alone, as cron finds it.
    gnome.set(mutter_idle_ms=20 * MINUTE_MS)
    result, _ = run_agent(home, stack, gnome, "--test", via_runtime_dir=True)
    assert "GNOME Mutter idle monitor: no input for 1200 s" in result.stdout, result.stdout


def test_on_gnome_the_x_display_and_the_screen_saver_are_not_asked(stack, tmp_path, gnome):
    # GNOME on X11: Mutter's idle time is the X server's; the lock is logind's.
    home = make_dirs(tmp_path / "home")
    gnome.set(mutter_idle_ms=1000)
    result, _ = run_agent(home, stack, gnome, "--test", extra={"DISPLAY": ":97"})
    assert result.returncode == 0, result.stderr
    assert "X display :97: not asked (the desktop said how long there was no input)" in result.stdout
    assert "freedesktop screen saver: not asked (GNOME answered)" in result.stdout


def test_the_freedesktop_screen_saver_active_or_not(stack, tmp_path, kde):
    home = make_dirs(tmp_path / "home")
    # KDE on Wayland: locked, and GetSessionIdleTime not supported.
    kde.set(screensaver_active=True, screensaver_idle_ms=None)
    count = len(stored_minutes(stack))
    result, _ = run_agent(home, stack, kde)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert len(stored_minutes(stack)) == count and queue(home) == [] and held(home) == []
    result, _ = run_agent(home, stack, kde, "--test")
    assert "freedesktop screen saver: active (locked or blanked); GetSessionIdleTime no answer (" in result.stdout
    assert "GNOME Mutter idle monitor: no answer (not on the session bus)" in result.stdout
    assert "Now: away (the screen saver is active (locked or blanked)); nothing is sent; decided by screen saver." in result.stdout

    # Unlocked: sent.
    kde.set(screensaver_active=False, screensaver_idle_ms=None)
    before = time.time()
    result, _ = run_agent(home, stack, kde)
    assert (result.returncode, result.stderr) == (0, "")
    assert this_minute_recorded(stack, before, time.time())

    # KDE on X11 answers the idle time too (milliseconds): 20 minutes is away.
    kde.set(screensaver_active=False, screensaver_idle_ms=20 * MINUTE_MS)
    count = len(stored_minutes(stack))
    result, _ = run_agent(home, stack, kde, "--test")
    assert "freedesktop screen saver: not active; no input for 1200 s" in result.stdout
    assert "decided by screen saver" in result.stdout
    count = len(stored_minutes(stack))  # --test itself sent one
    result, _ = run_agent(home, stack, kde)
    assert result.returncode == 0 and len(stored_minutes(stack)) == count


def test_a_bus_without_the_services_or_no_bus_at_all_sends_as_before(stack, tmp_path):
    home = make_dirs(tmp_path / "home")
    with DesktopBus(tmp_path / "empty") as empty:
        before = time.time()
        result, _ = run_agent(home, stack, empty)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
        assert this_minute_recorded(stack, before, time.time())
        result, _ = run_agent(home, stack, empty, "--test")
        assert "GNOME Mutter idle monitor: no answer (not on the session bus)" in result.stdout
        assert "freedesktop screen saver: no answer (not on the session bus)" in result.stdout
        assert "every minute is sent" in result.stdout
    result, _ = run_agent(home, stack, None, "--test")
    assert result.returncode == 0
    assert f"GNOME Mutter idle monitor: no answer (cannot reach the session bus unix:path={home}/no-runtime/bus" in result.stdout


def test_a_service_that_answers_slowly_does_not_hold_the_run(stack, tmp_path):
    home = make_dirs(tmp_path / "home")
    with DesktopBus(tmp_path / "slow", "mutter", "screensaver") as slow:
        slow.set(mutter_idle_ms=20 * MINUTE_MS, screensaver_active=True, delay=20)
        before = time.time()
        result, elapsed = run_agent(home, stack, slow)
        # Each service gets one second; no answer is no evidence: the minute is sent.
        assert (result.returncode, result.stderr) == (0, "")
        assert elapsed < 8, elapsed
        assert this_minute_recorded(stack, before, time.time())
        result, elapsed = run_agent(home, stack, slow, "--test")
        assert elapsed < 12, elapsed
        assert "GNOME Mutter idle monitor: no answer (timed out)" in result.stdout
        assert "freedesktop screen saver: no answer (timed out)" in result.stdout


def local(moment):
    return datetime.fromtimestamp(moment, timezone.utc).astimezone(__import__("zoneinfo").ZoneInfo(ZONE))


def expected_nudge(stack, start, end):
    return {"app": "Attendance", "replaces": 0, "icon": "", "actions": [], "timeout": -1,
            "summary": f"Away {local(start):%H:%M}–{local(end):%H:%M} — open the day to count it as work",
            "body": f"{stack.url}/days/{local(start):%Y-%m-%d}"}


def test_one_nudge_after_a_long_absence_none_after_a_short_one(stack, tmp_path, gnome):
    home = make_dirs(tmp_path / "home")
    # Away: no input for 35 minutes (the input stopped then), then back.
    gnome.set(mutter_idle_ms=35 * MINUTE_MS)
    result, _ = run_agent(home, stack, gnome)
    away_seen = time.time()
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert gnome.notifications() == []
    gnome.set(mutter_idle_ms=2000)
    result, _ = run_agent(home, stack, gnome)
    back = time.time()
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    [nudge] = gnome.notifications()
    # The absence began when the input stopped: 35 minutes before the away run.
    start = away_seen - 35 * 60
    candidates = [expected_nudge(stack, start - delta, end) for delta in (0, 1, 2) for end in (back - 1, back)]
    assert nudge in candidates, nudge
    assert "a desktop notification offered to count it as work" in (home / ".heartbeat_agent.log").read_text()
    # Never twice for the same absence.
    result, _ = run_agent(home, stack, gnome)
    assert len(gnome.notifications()) == 1

    # Ten minutes away (IDLE_MINUTES=5): none.
    gnome.set(mutter_idle_ms=10 * MINUTE_MS)
    run_agent(home, stack, gnome, idle_minutes="5")
    gnome.set(mutter_idle_ms=0)
    result, _ = run_agent(home, stack, gnome, idle_minutes="5")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert len(gnome.notifications()) == 1

    # NOTIFY_AWAY_MINUTES=0 turns it off.
    gnome.set(mutter_idle_ms=60 * MINUTE_MS)
    run_agent(home, stack, gnome, extra={"NOTIFY_AWAY_MINUTES": "0"})
    gnome.set(mutter_idle_ms=0)
    run_agent(home, stack, gnome, extra={"NOTIFY_AWAY_MINUTES": "0"})
    assert len(gnome.notifications()) == 1


def test_no_nudge_and_nothing_printed_without_a_notification_server(stack, tmp_path):
    home = make_dirs(tmp_path / "home")
    with DesktopBus(tmp_path / "bare", "mutter") as bare:
        bare.set(mutter_idle_ms=40 * MINUTE_MS)
        run_agent(home, stack, bare)
        bare.set(mutter_idle_ms=0)
        result, _ = run_agent(home, stack, bare)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
        assert "no notification shown (not on the session bus)" in (home / ".heartbeat_agent.log").read_text()


def test_a_backlog_older_than_a_day_is_told_by_test_the_log_and_setup(stack, tmp_path):
    home = make_dirs(tmp_path / "home", tmp_path / "home/.local/state/attendance")
    oldest = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(days=3)
    lines = [(oldest + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ") + "\tlaptop\n" for m in range(5)]
    (home / ".local/state/attendance/queue").write_text("".join(lines))
    down = {"HEARTBEAT_URL": "http://127.0.0.1:9/api/heartbeat"}
    # A run that cannot reach the server keeps them and says so in the log, once a day.
    for _ in range(2):
        result, _ = run_agent(home, stack, None, extra=down, idle_minutes="0")
        assert (result.returncode, result.stdout, result.stderr) == (75, "", "")
    log = (home / ".heartbeat_agent.log").read_text()
    assert log.count("older than a day") == 1
    assert f"the queue holds 5 heartbeats older than a day, the oldest from {oldest:%Y-%m-%d}" in log
    # --test says it too (the server is reachable now; the queue is not sent by --test).
    result, _ = run_agent(home, stack, None, "--test", idle_minutes="0")
    assert result.returncode == 0, result.stderr
    assert f"Backlog: the queue holds 5 heartbeats older than a day, the oldest from {oldest:%Y-%m-%d}" in result.stdout
    # setup warns of it (and writes nothing else here: --no-schedule).
    result, _ = run_agent(home, stack, None, "setup", "--url", stack.url + "/api/heartbeat", "--token", stack.token,
                          "--no-schedule")
    assert result.returncode == 0, result.stderr
    assert f"Warning: the queue holds 5 heartbeats older than a day, the oldest from {oldest:%Y-%m-%d}" in result.stdout
    # The next run delivers them, and the warning is gone.
    result, _ = run_agent(home, stack, None, idle_minutes="0")
    assert result.returncode == 0 and queue(home) == []
    result, _ = run_agent(home, stack, None, "--test", idle_minutes="0")
    assert "Backlog" not in result.stdout


@pytest.mark.parametrize("offset", ["+6m", "-400d"])
def test_a_wrong_laptop_clock_loses_no_minute_and_stores_none_elsewhere(stack, tmp_path, offset):
    home = make_dirs(tmp_path / "home")
    clock = offset
    start = int(time.time()) // 60
    distant = [m for m in stored_minutes(stack) if abs(m - start) > 10]
    # --test sends as a run does, and says how far off the clock is.
    result, _ = run_agent(home, stack, None, "--test", idle_minutes="0", clock=clock)
    assert result.returncode == 0, result.stdout + result.stderr
    size = "6 min ahead of" if offset == "+6m" else "400 days behind"
    assert f"Clock: this computer's clock is {size} the server's" in result.stdout
    # setup says it too, and what it wrote makes the runs below stamp right from the start.
    result, _ = run_agent(home, stack, None, "setup", "--url", stack.url + "/api/heartbeat", "--token", stack.token,
                          "--no-schedule", clock=clock)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Warning: this computer's clock is {size} the server's" in result.stdout
    # Three runs: each its own minute in the server's time, exit 0, nothing queued.
    for _ in range(3):
        before = time.time()
        result, _ = run_agent(home, stack, None, idle_minutes="0", clock=clock)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
        assert this_minute_recorded(stack, before, time.time())
        assert queue(home) == []
    # Nothing was stored six minutes ahead or last year.
    assert [m for m in stored_minutes(stack) if abs(m - start) > 10] == distant
    assert re.search(f"clock is (still )?{size} the server's: heartbeats are stamped in the server's time",
                     (home / ".heartbeat_agent.log").read_text())


def test_minutes_queued_by_a_fast_clock_before_it_was_known_land_in_the_servers_time(stack, tmp_path):
    home = make_dirs(tmp_path / "home")
    clock = "+6m"
    start = int(time.time()) // 60
    result, _ = run_agent(home, stack, None, idle_minutes="0", clock=clock,
                          extra={"HEARTBEAT_URL": "http://127.0.0.1:9/api/heartbeat"})
    assert result.returncode == 75 and queue(home)[0].endswith("\tlocal")
    queued_at = int(time.time()) // 60
    result, _ = run_agent(home, stack, None, idle_minutes="0", clock=clock)
    assert (result.returncode, result.stderr) == (0, "")
    assert queue(home) == []
    minutes = stored_minutes(stack)
    assert start in minutes or queued_at in minutes
    assert not [m for m in minutes if m > int(time.time()) // 60 + 1]
