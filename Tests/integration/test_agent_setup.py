"""`attendance-agent setup`: the first run in one command (config file, check, schedule),
against the real stack. crontab and systemctl are small recording stand-ins put on PATH:
the test must not change this machine's own crontab or user services."""
import os
import stat
import subprocess

from conftest import ROOT
from test_agent import AGENT, stored_minutes


def fake_program(folder, name, script):
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)


def with_crontab(tmp_path):
    """A crontab that keeps the table in a file, like the real one."""
    fake_program(tmp_path / "bin", "crontab", f"""
if [ "$1" = "-l" ]; then [ -f {tmp_path}/table ] && exec /bin/cat {tmp_path}/table; echo "no crontab for you" >&2; exit 1; fi
exec /bin/cp "$1" {tmp_path}/table
""")


def with_systemctl(tmp_path, status=0):
    fake_program(tmp_path / "bin", "systemctl", f'echo "$*" >> {tmp_path}/systemctl.calls\nexit {status}\n')


def setup(tmp_path, *arguments):
    (tmp_path / "bin").mkdir(exist_ok=True)
    env = {"HOME": str(tmp_path / "home"), "PATH": str(tmp_path / "bin")}
    return subprocess.run([AGENT, "setup", *arguments], env=env, capture_output=True, text=True, timeout=60)


def config(tmp_path):
    return tmp_path / "home/.config/attendance/agent.conf"


def test_setup_checks_writes_the_config_and_adds_the_crontab_line(stack, tmp_path):
    with_crontab(tmp_path)
    (tmp_path / "table").write_text("MAILTO=me\n0 3 * * * backup\n")
    token_file = tmp_path / "token"
    token_file.write_text(stack.token + "\n")
    result = setup(tmp_path, "--url", stack.url + "/api/heartbeat", "--token-file", str(token_file))
    assert result.returncode == 0, result.stderr
    assert "accepted a heartbeat" in result.stdout and "Scheduled with cron" in result.stdout
    assert stat.S_IMODE(config(tmp_path).stat().st_mode) == 0o600
    assert f"BEARER_TOKEN={stack.token}\n" in config(tmp_path).read_text()
    executable = os.path.realpath(AGENT)
    assert (tmp_path / "table").read_text() == f"MAILTO=me\n0 3 * * * backup\n* * * * * {executable}\n"
    assert "is not on your PATH" in result.stdout
    # Twice is harmless: the line is not added again.
    result = setup(tmp_path, "--url", stack.url + "/api/heartbeat", "--token-file", str(token_file))
    assert result.returncode == 0 and "already in your crontab" in result.stdout
    assert (tmp_path / "table").read_text().count("attendance-agent") == 1
    # What cron then runs: the agent with a bare environment, reading the file.
    before = len(stored_minutes(stack))
    run = subprocess.run([executable], env={"HOME": str(tmp_path / "home")}, capture_output=True, text=True, timeout=60)
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")
    assert len(stored_minutes(stack)) >= before


def test_without_cron_setup_enables_the_systemd_user_timer(stack, tmp_path):
    with_systemctl(tmp_path)
    result = setup(tmp_path, "--url", stack.url + "/api/heartbeat", "--token", stack.token, "--idle-minutes", "0")
    assert result.returncode == 0, result.stderr
    assert "systemd user timer" in result.stdout
    units = tmp_path / "home/.config/systemd/user"
    assert (units / "attendance-agent.timer").read_text() == (ROOT / "systemd/attendance-agent.timer").read_text()
    shipped = (ROOT / "systemd/attendance-agent.service").read_text()
    executable = os.path.realpath(AGENT)
    assert (units / "attendance-agent.service").read_text() == \
        shipped.replace("ExecStart=%h/.local/bin/attendance-agent", f"ExecStart={executable}")
    assert (tmp_path / "systemctl.calls").read_text() == \
        "--user daemon-reload\n--user enable --now attendance-agent.timer\n"
    assert "IDLE_MINUTES=0\n" in config(tmp_path).read_text()


def test_a_failing_systemctl_is_reported_with_the_commands_to_run(stack, tmp_path):
    with_systemctl(tmp_path, status=1)
    result = setup(tmp_path, "--url", stack.url + "/api/heartbeat", "--token", stack.token)
    assert result.returncode == 1
    assert "systemctl --user enable --now attendance-agent.timer" in result.stderr
    assert config(tmp_path).exists()  # the check passed, so the configuration stands


def test_with_neither_cron_nor_systemd_setup_says_what_to_install(stack, tmp_path):
    result = setup(tmp_path, "--url", stack.url + "/api/heartbeat", "--token", stack.token)
    assert result.returncode == 1 and "neither cron" in result.stderr and "apt-get install cron" in result.stderr


def test_an_empty_or_wrong_token_writes_nothing(stack, tmp_path):
    with_crontab(tmp_path)
    empty = tmp_path / "empty-token"
    empty.write_text("\n")
    result = setup(tmp_path, "--url", stack.url + "/api/heartbeat", "--token-file", str(empty))
    assert result.returncode == 78 and "holds no token" in result.stderr
    result = setup(tmp_path, "--url", stack.url + "/api/heartbeat", "--token-file", str(tmp_path / "missing"))
    assert result.returncode == 78 and "cannot read the token file" in result.stderr
    result = setup(tmp_path, "--url", stack.url + "/api/heartbeat", "--token", "wrong")
    assert result.returncode == 77 and "401" in result.stderr and "Nothing was written." in result.stderr
    result = setup(tmp_path, "--url", stack.url + "/api/heartbeats", "--token", stack.token)
    assert result.returncode == 77 and "404" in result.stderr
    result = setup(tmp_path, "--url", "127.0.0.1:8080/api/heartbeat", "--token", stack.token)
    assert result.returncode == 78 and "http://" in result.stderr
    result = setup(tmp_path, "--url", stack.url + "/api/heartbeat")
    assert result.returncode == 64 and "--token" in result.stderr
    assert not config(tmp_path).exists() and not (tmp_path / "table").exists()
