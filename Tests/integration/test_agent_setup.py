"""`attendance-agent setup`: the first run in one command (config file, check, schedule),
against the real stack. crontab and systemctl are small recording stand-ins put on PATH:
the test must not change this machine's own crontab or user services. One test uses the
real systemctl where no systemd user manager runs (as on this machine: no user bus)."""
import os
import pwd
import re
import shlex
import shutil
import stat
import subprocess
import time
from pathlib import Path

from conftest import ROOT, TOKEN, Stack
from test_agent import AGENT, stored_minutes

USER = pwd.getpwuid(os.getuid()).pw_name
ENABLE = "systemctl --user daemon-reload && systemctl --user enable --now attendance-agent.timer"


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


def with_systemctl(tmp_path, failing=""):
    """A systemctl whose user manager answers; the calls matching `failing` (a shell
    pattern) fail. Each call is recorded with the XDG_RUNTIME_DIR it was given."""
    fake_program(tmp_path / "bin", "systemctl", f"""
echo "$* (XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR)" >> {tmp_path}/systemctl.calls
case "$*" in {failing or "-"}) exit 1 ;; esac
""")


def setup(tmp_path, *arguments, command="setup", env=None):
    (tmp_path / "bin").mkdir(exist_ok=True)
    env = {"HOME": str(tmp_path / "home"), "PATH": str(tmp_path / "bin"), **(env or {})}
    return subprocess.run([AGENT, command, *arguments], env=env, capture_output=True, text=True, timeout=60)


def install(tmp_path, *arguments, env=None):
    return setup(tmp_path, *arguments, command="install", env=env)


def config(tmp_path):
    return tmp_path / "home/.config/attendance/agent.conf"


def test_setup_checks_writes_the_config_and_adds_the_crontab_line(stack, tmp_path):
    with_crontab(tmp_path)
    (tmp_path / "table").write_text("MAILTO=me\n0 3 * * * backup\n")
    token_file = tmp_path / "token"
    token_file.write_text(stack.token + "\n")
    result = setup(tmp_path, "--url", stack.url + "/api/heartbeat", "--token-file", str(token_file))
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    assert "accepted a heartbeat" in result.stdout and "Scheduled with cron" in result.stdout
    assert stat.S_IMODE(config(tmp_path).stat().st_mode) == 0o600
    assert f"BEARER_TOKEN={stack.token}\n" in config(tmp_path).read_text()
    executable = os.path.realpath(AGENT)
    assert (tmp_path / "table").read_text() == f"MAILTO=me\n0 3 * * * backup\n* * * * * {executable}\n"
    # The PATH note comes before the schedule's step, so a failing step cannot hide it.
    assert result.stdout.index("is not on your PATH") < result.stdout.index("Scheduled with cron")
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
    # First asked whether the user manager answers; without XDG_RUNTIME_DIR (as from cron,
    # su or ssh without a session), /run/user/UID is given to systemctl.
    runtime = f"(XDG_RUNTIME_DIR=/run/user/{os.getuid()})"
    assert (tmp_path / "systemctl.calls").read_text() == \
        f"--user show-environment {runtime}\n--user daemon-reload {runtime}\n--user enable --now attendance-agent.timer {runtime}\n"
    assert "IDLE_MINUTES=0\n" in config(tmp_path).read_text()
    # A session's own XDG_RUNTIME_DIR is kept.
    (tmp_path / "systemctl.calls").unlink()
    result = setup(tmp_path, "--url", stack.url + "/api/heartbeat", "--token", stack.token,
                   env={"XDG_RUNTIME_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert set(re.findall(r"\(XDG_RUNTIME_DIR=.*\)", (tmp_path / "systemctl.calls").read_text())) == \
        {f"(XDG_RUNTIME_DIR={tmp_path})"}


def test_a_failing_systemctl_is_reported_with_the_commands_to_run(stack, tmp_path):
    with_systemctl(tmp_path, failing="*enable*")
    result = setup(tmp_path, "--url", stack.url + "/api/heartbeat", "--token", stack.token)
    assert result.returncode == 1
    assert "`systemctl --user enable --now attendance-agent.timer` failed" in result.stderr
    assert ENABLE in result.stderr
    assert f"the configuration is written: {config(tmp_path)}" in result.stderr
    assert config(tmp_path).exists()  # the check passed, so the configuration stands
    assert "is not on your PATH" in result.stdout


def test_with_neither_cron_nor_systemd_setup_says_what_to_install(stack, tmp_path):
    result = setup(tmp_path, "--url", stack.url + "/api/heartbeat", "--token", stack.token)
    assert result.returncode == 1 and "neither cron" in result.stderr
    assert "apt-get install cron (Debian, Ubuntu)" in result.stderr and "dnf install cronie (Fedora)" in result.stderr
    assert f"install --apply" in result.stderr and "loginctl" not in result.stderr
    assert f"The configuration is written ({config(tmp_path)})" in result.stderr and config(tmp_path).exists()
    assert "is not on your PATH" in result.stdout


def real_systemctl(tmp_path):
    """This machine's systemctl, alone on PATH (no crontab beside it, whatever is installed)."""
    found = shutil.which("systemctl")
    assert found, "systemctl is not installed (make test-deps installs systemd)"
    (tmp_path / "bin").mkdir(exist_ok=True)
    (tmp_path / "bin/systemctl").symlink_to(found)
    # The case of the issue: no user manager, and no XDG_RUNTIME_DIR. Where this user does
    # have a manager running, an empty runtime folder stands for "none".
    if Path(f"/run/user/{os.getuid()}/systemd/private").exists():
        (tmp_path / "runtime").mkdir()
        return {"XDG_RUNTIME_DIR": str(tmp_path / "runtime")}
    return {}


def test_without_cron_and_without_a_user_manager_setup_says_exactly_what_to_do(stack, tmp_path):
    env = real_systemctl(tmp_path)
    token_file = tmp_path / "token"
    token_file.write_text(stack.token + "\n")
    result = setup(tmp_path, "--url", stack.url + "/api/heartbeat", "--token-file", str(token_file), env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    message = result.stderr
    assert "there is no cron here (no crontab on PATH)" in message
    assert f"reaches no systemd user manager for {USER}" in message
    # Either cron, installed, then the agent's own command ...
    executable = os.path.realpath(AGENT)
    assert "apt-get install cron (Debian, Ubuntu)" in message and "dnf install cronie (Fedora)" in message
    assert f"then run: {executable} install --apply" in message
    # ... or the systemd timer, written, once the user has a manager.
    units = tmp_path / "home/.config/systemd/user"
    assert (units / "attendance-agent.timer").exists() and (units / "attendance-agent.service").exists()
    assert f"the systemd user timer written to {units}" in message
    assert f"loginctl enable-linger {USER}" in message and ENABLE in message
    # What stands: the configuration, said so; the PATH note on stdout all the same.
    assert f"The configuration is written ({config(tmp_path)})" in message
    assert f"BEARER_TOKEN={stack.token}\n" in config(tmp_path).read_text()
    assert "accepted a heartbeat" in result.stdout and "is not on your PATH" in result.stdout
    assert "Scheduled" not in result.stdout
    # install, printing: no crontab line without a crontab, the same advice (exit 1).
    result = install(tmp_path, env=env)
    assert result.returncode == 1 and result.stdout == ""
    assert "* * * * *" not in result.stderr
    assert "apt-get install cron" in result.stderr and f"loginctl enable-linger {USER}" in result.stderr
    # install --apply: the same, and nothing in a crontab.
    result = install(tmp_path, "--apply", env=env)
    assert result.returncode == 1 and "apt-get install cron" in result.stderr


def test_install_prints_the_crontab_line_only_where_there_is_a_crontab(tmp_path):
    with_crontab(tmp_path)
    result = install(tmp_path)
    executable = os.path.realpath(AGENT)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"* * * * * {executable}\n", "")
    # No crontab, a user manager: the timer's commands.
    (tmp_path / "bin/crontab").unlink()
    with_systemctl(tmp_path)
    result = install(tmp_path)
    assert result.returncode == 0 and "* * * * *" not in result.stdout
    assert f"{executable} install --apply" in result.stdout and ENABLE in result.stdout
    assert not (tmp_path / "home/.config/systemd").exists()  # printing writes nothing
    # Neither: what to install, as setup says it.
    (tmp_path / "bin/systemctl").unlink()
    result = install(tmp_path)
    assert result.returncode == 1 and result.stdout == "" and "neither cron" in result.stderr
    assert "apt-get install cron" in result.stderr


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


def printed_setup(stack):
    """The set-up command scripts/serve (make run) printed at its start."""
    deadline = time.time() + 10
    while time.time() < deadline:
        lines = (stack.data_dir / "serve.out").read_text().splitlines()
        found = [line.strip() for line in lines if line.strip().startswith("attendance-agent setup ")]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError("serve printed no setup command:\n" + (stack.data_dir / "serve.out").read_text())


def test_make_run_prints_the_setup_command_for_its_url_and_token(tmp_path):
    stack = Stack(token="")  # no BEARER_TOKEN: serve makes DATA_DIR/token, as on a first `make run`
    try:
        token_file = stack.data_dir / "token"
        line = printed_setup(stack)
        assert line == f"attendance-agent setup --url {stack.url}/api/heartbeat --token-file {token_file}"
        # Copied as printed, it works.
        with_crontab(tmp_path)
        result = setup(tmp_path, *shlex.split(line)[2:])
        # (no crontab yet: `crontab -l`'s "no crontab for you" is not passed on)
        assert (result.returncode, result.stderr) == (0, ""), result.stderr
        assert f"BEARER_TOKEN={token_file.read_text().strip()}\n" in config(tmp_path).read_text()
    finally:
        stack.stop()
    # Started with BEARER_TOKEN, there is no file to name.
    stack = Stack()
    try:
        assert printed_setup(stack) == f'attendance-agent setup --url {stack.url}/api/heartbeat --token "$BEARER_TOKEN"'
    finally:
        stack.stop()


def test_with_several_people_make_run_prints_a_persons_setup_command(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    binary = os.environ.get("ATTENDANCE_FCGI", str(ROOT / ".build/debug/attendance-fcgi"))
    added = subprocess.run([binary, "person", "add", "anna", "--database", str(data / "attendance.sqlite")],
                           env=dict(os.environ, BEARER_TOKEN=TOKEN), capture_output=True, text=True, timeout=30)
    assert added.returncode == 0, added.stderr
    logins = tmp_path / "htpasswd"
    subprocess.run(["htpasswd", "-cbB", str(logins), "anna", "anna pass"], check=True, capture_output=True)
    stack = Stack(data_dir=data, env={"HTPASSWD": str(logins)}, ready=(200, 401))
    try:
        line = printed_setup(stack)
        # No command shows a person's token (person token makes a new one): the one person add printed.
        assert line == f"attendance-agent setup --url {stack.url}/api/heartbeat --token-file NAME.token"
        assert "person token" not in (stack.data_dir / "serve.out").read_text()
        (tmp_path / "anna.token").write_text(added.stdout.strip().splitlines()[-1] + "\n")
        with_crontab(tmp_path)
        result = setup(tmp_path, *shlex.split(line.replace("NAME.token", str(tmp_path / "anna.token")))[2:])
        assert result.returncode == 0, result.stderr
    finally:
        stack.stop()
