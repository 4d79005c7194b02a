"""The Debian packages, installed for real: into a clean Debian 12 root made here with
debootstrap, with apt resolving their Depends from the Debian archive. The responder is
started the way attendance-fcgi.service and .socket say (systemd does not run in a
chroot), behind the packaged nginx site, in a network namespace of its own so the site's
own ports (8080, 443) are used as shipped. Then: a heartbeat with the generated token,
pages with and without the login, TLS with the snakeoil certificate, an upgrade to a
rebuilt package with a higher version, remove and purge.

Run by `make package-test` (CI runs it after `make test`); the tests run in order, each
on the state the one before left."""
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = Path(os.environ.get("DEBS", ROOT / "dist"))
MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
NAMESPACE = f"attendance-package-{os.getpid()}"
# An address beyond loopback inside the namespace: what another computer reaches.
SERVER = "192.0.2.10"
HEARTBEAT = {"timestamp": "2024-03-05T09:00:00Z", "host": "laptop"}


def run(command, **kwargs):
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


class Machine:
    """The Debian root: `apt` runs there with the network, `sh` inside the namespace."""

    def __init__(self, root):
        self.root = root

    def apt(self, *args):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        return run(["chroot", str(self.root), "apt-get", "-y", "-q", "-o", "Dpkg::Options::=--force-confold", *args], env=env)

    def enter(self):
        """The command that runs a program in this machine."""
        return ["ip", "netns", "exec", NAMESPACE, "chroot", str(self.root)]

    def sh(self, script, check=True):
        done = subprocess.run([*self.enter(), "/bin/sh", "-ec", script], capture_output=True, text=True, timeout=300)
        if check:
            assert done.returncode == 0, f"{script}\nexited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        return done

    def file(self, path):
        return self.root / path.lstrip("/")

    def curl(self, url, *args):
        """Status line and body of one request, made on the server itself."""
        done = self.sh("curl -sS -o /tmp/body -w '%{http_code}\\n%header{www-authenticate}' "
                       + " ".join(shlex.quote(a) for a in [*args, url]) + "; echo; cat /tmp/body")
        status, challenge, body = done.stdout.split("\n", 2)
        return int(status), challenge, body

    def heartbeat(self, url, token=None):
        token = token or self.file("/etc/attendance/token").read_text().strip()
        return self.curl(url + "/api/heartbeat", "-H", f"Authorization: Bearer {token}",
                         "-H", "Content-Type: application/json", "--data", json.dumps(HEARTBEAT))

    def reload_nginx(self, until, restart=False):
        """Reloads nginx (or restarts it: a reload cannot move 127.0.0.1:8080 to *:8080,
        the old socket holds the port) and waits until `until`, a URL only the new
        configuration serves, answers."""
        change = ("nginx -s quit; while [ -e /run/nginx.pid ]; do sleep 0.1; done; nginx" if restart
                  else "nginx -s reload")
        self.sh(f"nginx -t && {change}; "
                f"for i in $(seq 100); do curl -ks -o /dev/null {shlex.quote(until)} && exit 0; sleep 0.1; done; exit 1")

    def start_responder(self):
        """The socket and the service as the units say, with spawn-fcgi in systemd's place."""
        unit = self.file("/lib/systemd/system/attendance-fcgi.service").read_text()
        socket = self.file("/lib/systemd/system/attendance-fcgi.socket").read_text()
        setting = lambda text, key: re.search(rf"^{key}=(.*)$", text, re.M).group(1).strip()
        path = setting(socket, "ListenStream")
        environment = setting(unit, "EnvironmentFile").lstrip("-")
        self.sh(f"""
            install -d -m {setting(socket, "DirectoryMode")} {shlex.quote(str(Path(path).parent))}
            set -a; [ ! -f {environment} ] || . {environment}; set +a
            spawn-fcgi -s {path} -M {setting(socket, "SocketMode")} -U {setting(socket, "SocketUser")} \\
                -G {setting(socket, "SocketGroup")} -u {setting(unit, "User")} -g {setting(unit, "Group")} \\
                -- {setting(unit, "ExecStart")} >/dev/null
        """)

    def stop_responder(self):
        self.sh("pkill -x attendance-fcgi || true; while pgrep -x attendance-fcgi >/dev/null; do sleep 0.1; done; "
                "rm -f /run/attendance/attendance.sock")


@pytest.fixture(scope="module")
def debs():
    found = {name: sorted(DIST.glob(f"{name}_*.deb")) for name in ("attendance", "attendance-agent")}
    assert all(found.values()), f"no packages in {DIST} (make deb)"
    return {name: paths[-1] for name, paths in found.items()}


@pytest.fixture(scope="module")
def machine(debs):
    for tool in ("debootstrap", "lintian"):
        assert shutil.which(tool), f"{tool} is not installed (make package-test installs it)"
    root = Path(tempfile.mkdtemp(prefix="attendance-debian-"))
    root.chmod(0o755)  # it is "/" there: every user passes through
    try:
        run(["debootstrap", "--variant=minbase", "bookworm", str(root), MIRROR], timeout=900)
        # Installing nginx must not start it: nothing starts in this root but what the test starts.
        policy = root / "usr/sbin/policy-rc.d"
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
        run(["mount", "-t", "proc", "proc", str(root / "proc")])
        run(["ip", "netns", "add", NAMESPACE])
        run(["ip", "netns", "exec", NAMESPACE, "ip", "link", "set", "lo", "up"])
        run(["ip", "netns", "exec", NAMESPACE, "ip", "addr", "add", f"{SERVER}/32", "dev", "lo"])
        for deb in debs.values():
            shutil.copy(deb, root / "tmp")
        machine = Machine(root)
        machine.apt("update")
        # What an admin adds by hand: curl to try it, htpasswd for logins, ssl-cert for TLS.
        machine.apt("install", "--no-install-recommends", "curl", "apache2-utils", "ssl-cert", "spawn-fcgi", "procps")
        yield machine
    finally:
        pids = subprocess.run(["ip", "netns", "pids", NAMESPACE], capture_output=True, text=True).stdout.split()
        for pid in pids:
            subprocess.run(["kill", "-9", pid])
        subprocess.run(["ip", "netns", "del", NAMESPACE], capture_output=True)
        subprocess.run(["umount", "-l", str(root / "proc")], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_lintian_reports_no_errors(debs):
    done = subprocess.run(["lintian", "--fail-on", "error", "--tag-display-limit", "0", *map(str, debs.values())],
                          capture_output=True, text=True, timeout=600)
    print(f"\nlintian {' '.join(p.name for p in debs.values())}:\n{done.stdout}{done.stderr}")
    assert not [line for line in done.stdout.splitlines() if line.startswith("E:")]
    assert done.returncode == 0


def test_install_makes_the_user_the_token_and_the_database(machine, debs):
    done = machine.apt("install", f"/tmp/{debs['attendance'].name}")
    output = done.stdout + done.stderr
    assert "the heartbeat token is in /etc/attendance/token" in output
    assert "systemd is not running here" in output
    assert "htpasswd -B /etc/attendance/htpasswd NAME" in output
    # apt resolved what the responder links from the Debian archive.
    status = machine.sh("dpkg -s attendance").stdout
    for library in ("libfcgi0ldbl", "libsqlite3-0", "tzdata", "adduser"):
        assert library in status
    assert "chart" not in status  # the charts are drawn by the responder
    assert "nginx" in machine.sh("dpkg -l 'nginx*' | grep ^ii").stdout  # Recommends
    machine.sh("getent passwd attendance && getent group attendance")
    listing = machine.sh("stat -c '%a %U %G %n' /var/lib/attendance /var/lib/attendance/attendance.sqlite "
                         "/etc/attendance/token /etc/attendance/nginx-token.conf /etc/attendance/htpasswd").stdout
    assert listing.splitlines() == [
        "700 attendance attendance /var/lib/attendance",
        "644 attendance attendance /var/lib/attendance/attendance.sqlite",
        "640 root www-data /etc/attendance/token",
        "640 root www-data /etc/attendance/nginx-token.conf",
        "640 root www-data /etc/attendance/htpasswd",
    ]
    token = machine.file("/etc/attendance/token").read_text().strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token)
    assert f'"Bearer {token}"' in machine.file("/etc/attendance/nginx-token.conf").read_text()
    assert machine.file("/etc/attendance/htpasswd").read_text() == ""
    # The site is there; enabling it stays the admin's choice.
    assert machine.file("/etc/nginx/sites-available/attendance").exists()
    assert not machine.file("/etc/nginx/sites-enabled/attendance").exists()


def test_the_enabled_site_takes_heartbeats_and_serves_this_machine(machine, debs):
    machine.start_responder()
    # The README's command, then nginx as its service would start it.
    machine.sh("ln -s ../sites-available/attendance /etc/nginx/sites-enabled/ && nginx -t && nginx")
    status, _, body = machine.heartbeat("http://127.0.0.1:8080")
    assert (status, json.loads(body)) == (200, {"accepted": 1, "duplicates": 0})
    status, challenge, body = machine.heartbeat("http://127.0.0.1:8080", token="wrong")
    assert (status, challenge) == (401, "Bearer")
    # On the server itself no login is asked.
    status, _, body = machine.curl("http://127.0.0.1:8080/dashboard")
    assert status == 200 and "Balance" in body
    # The static files as the page links them: kept a year, and sent precompressed
    # (gzip_static: the package's style.css.gz, byte for byte).
    link = re.search(r'href="(/static/v/[0-9a-f]{12}/style\.css)"', body).group(1)
    done = machine.sh(f"curl -sS -D - -o /tmp/style.gz -H 'Accept-Encoding: gzip' http://127.0.0.1:8080{link}")
    assert "cache-control: public, max-age=31536000, immutable" in done.stdout.lower()
    assert "content-encoding: gzip" in done.stdout.lower()
    assert machine.file("/tmp/style.gz").read_bytes() == machine.file("/usr/share/attendance/htdocs/style.css.gz").read_bytes()
    days = json.loads(machine.curl("http://127.0.0.1:8080/api/days?from=2024-03-05&to=2024-03-05")[2])
    assert [(day["date"], day["recorded"]) for day in days] == [("2024-03-05", 1)]


def test_the_agent_package_sends_to_it(machine, debs):
    machine.apt("install", f"/tmp/{debs['attendance-agent'].name}")
    token = machine.file("/etc/attendance/token").read_text().strip()
    done = machine.sh(f"HOME=/tmp/agent-home HEARTBEAT_URL=http://127.0.0.1:8080/api/heartbeat BEARER_TOKEN={token} "
                      "attendance-agent --test")
    assert "accepted" in done.stdout + done.stderr


def test_beyond_loopback_the_pages_ask_for_the_login(machine):
    # The admin's steps: listen on the network, add a login.
    machine.sh("sed -i 's/listen 127.0.0.1:8080;/listen 8080;/' /etc/nginx/sites-available/attendance")
    machine.reload_nginx(f"http://{SERVER}:8080/", restart=True)
    machine.sh("htpasswd -bB /etc/attendance/htpasswd alice 's3cret pass'")
    url = f"http://{SERVER}:8080"
    for path in ("/dashboard", "/api/settings", "/static/style.css"):
        status, challenge, _ = machine.curl(url + path)
        assert (status, challenge) == (401, 'Basic realm="Attendance"'), path
        assert machine.curl(url + path, "-u", "alice:wrong")[0] == 401
        assert machine.curl(url + path, "-u", "alice:s3cret pass")[0] == 200, path
    # The heartbeat keeps its token, no login.
    status, _, body = machine.heartbeat(url)
    assert (status, json.loads(body)) == (200, {"accepted": 0, "duplicates": 1})
    # Cross-site checks hold behind the login.
    holiday = json.dumps({"date": "2024-12-24", "name": "Eve"})
    assert machine.curl(url + "/api/holidays", "-u", "alice:s3cret pass", "-H", "Origin: http://evil.example",
                        "-H", "Content-Type: application/json", "--data", holiday)[0] == 403
    assert machine.curl(url + "/api/holidays", "-u", "alice:s3cret pass", "-H", f"Origin: {url}",
                        "-H", "Content-Type: application/json", "--data", holiday)[0] == 201


def test_tls_with_the_snakeoil_certificate(machine):
    machine.sh("make-ssl-cert generate-default-snakeoil --force-overwrite")
    subject = machine.sh("openssl x509 -in /etc/ssl/certs/ssl-cert-snakeoil.pem -noout -subject -nameopt sep_multiline").stdout
    name = re.search(r"CN=(\S+)", subject).group(1)
    # The admin's steps: the name to the responder, the TLS site enabled.
    env = machine.file("/etc/attendance/responder.env")
    env.write_text(env.read_text() + f"ALLOWED_HOSTS={name}\n")
    machine.stop_responder()
    machine.start_responder()
    machine.sh("ln -s ../sites-available/attendance-tls /etc/nginx/sites-enabled/")
    machine.reload_nginx(f"https://{SERVER}/")
    https = [f"https://{name}", "--resolve", f"{name}:443:{SERVER}", "--cacert", "/etc/ssl/certs/ssl-cert-snakeoil.pem"]
    status, challenge, _ = machine.curl(https[0] + "/dashboard", *https[1:])
    assert (status, challenge) == (401, 'Basic realm="Attendance"')
    status, _, body = machine.curl(https[0] + "/dashboard", *https[1:], "-u", "alice:s3cret pass")
    assert status == 200 and "Balance" in body
    token = machine.file("/etc/attendance/token").read_text().strip()
    status, _, body = machine.curl(https[0] + "/api/heartbeat", *https[1:], "-H", f"Authorization: Bearer {token}",
                                   "--data", json.dumps(dict(HEARTBEAT, timestamp="2024-03-05T09:01:00Z")))
    assert (status, json.loads(body)) == (200, {"accepted": 1, "duplicates": 0})
    # Same-origin changes over https: Origin https://NAME is Host NAME on 443.
    change = [*https[1:], "-u", "alice:s3cret pass", "-H", f"Origin: https://{name}", "-H", "Content-Type: application/json"]
    status, _, body = machine.curl(https[0] + "/api/settings", *change, "--data", json.dumps({"period_start": "2024-01-01"}))
    assert status == 200, body
    status, _, body = machine.curl(https[0] + "/api/absences", *change,
                                   "--data", json.dumps({"from": "2024-03-08", "kind": "vacation"}))
    assert status in (200, 201), body
    assert machine.curl(https[0] + "/api/settings", *change[:-2], "-H", "Origin: http://" + name,
                        "--data", json.dumps({"period_start": "2024-01-02"}))[0] == 403


@pytest.fixture(scope="module")
def newer(debs, tmp_path_factory):
    """The same responder packaged again with a higher version."""
    out = tmp_path_factory.mktemp("newer")
    run([str(ROOT / "scripts/build-deb")], env=dict(os.environ, DEB_VERSION="0.2.0+1", OUT=str(out)), timeout=600)
    return out / f"attendance_0.2.0+1_{debs['attendance'].name.rsplit('_', 1)[1]}"


def test_an_upgrade_keeps_the_data_the_token_and_the_admins_changes(machine, newer):
    token = machine.file("/etc/attendance/token").read_text()
    logins = machine.file("/etc/attendance/htpasswd").read_text()
    shutil.copy(newer, machine.file("/tmp"))
    machine.stop_responder()
    done = machine.apt("install", f"/tmp/{newer.name}")
    assert "the heartbeat token is in" not in done.stdout  # said on the first install only
    assert "0.2.0+1" in machine.sh("dpkg-query -W -f '${Version}' attendance").stdout
    assert machine.file("/etc/attendance/token").read_text() == token
    assert machine.file("/etc/attendance/htpasswd").read_text() == logins
    assert "listen 8080;" in machine.file("/etc/nginx/sites-available/attendance").read_text()
    assert "ALLOWED_HOSTS=" in machine.file("/etc/attendance/responder.env").read_text()
    machine.start_responder()
    status, _, body = machine.curl("http://127.0.0.1:8080/api/days?from=2024-03-05&to=2024-03-08")
    days = {day["date"]: day for day in json.loads(body)}
    assert days["2024-03-05"]["recorded"] == 2
    assert days["2024-03-08"]["absence"]["kind"] == "vacation"
    status, _, body = machine.heartbeat("http://127.0.0.1:8080")
    assert (status, json.loads(body)) == (200, {"accepted": 0, "duplicates": 1})


def test_remove_keeps_the_data_and_leaves_nginx_working(machine):
    machine.stop_responder()
    done = machine.apt("remove", "attendance")
    assert "kept your hours in /var/lib/attendance" in done.stdout
    assert "disabled the nginx site(s) attendance attendance-tls" in done.stdout
    assert not machine.file("/usr/sbin/attendance-fcgi").exists()
    assert machine.file("/var/lib/attendance/attendance.sqlite").stat().st_size > 0
    assert machine.file("/etc/attendance/token").exists()
    machine.sh("nginx -t && nginx -s reload")


def test_purge_removes_the_configuration_and_says_it_kept_the_data(machine):
    done = machine.apt("purge", "attendance")
    assert "removed the token and the logins in /etc/attendance" in done.stdout
    assert "kept your hours in /var/lib/attendance (the database was not removed)" in done.stdout
    assert not machine.file("/etc/attendance").exists()
    assert not machine.file("/etc/nginx/sites-available/attendance").exists()
    assert machine.file("/var/lib/attendance/attendance.sqlite").stat().st_size > 0
    machine.sh("nginx -t")


# Under systemd: the same root booted with systemd-nspawn (systemd as its PID 1, a
# network of its own), so the maintainer scripts take their systemd path and the units
# run as shipped: socket activation, the service's user and sandbox, nginx reloaded.

class Booted(Machine):
    """A Debian root running systemd; commands run inside it with nsenter."""

    def __init__(self, root, init):
        super().__init__(root)
        self.init = init

    def enter(self):
        return ["nsenter", "-t", str(self.init), "-a", "env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]

    def apt(self, *args):
        # Everything was downloaded before the boot: the container has no network.
        return self.sh("DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Options::=--force-confold --no-download "
                       + " ".join(map(shlex.quote, args)))

    def install(self, deb):
        """A package file with its dependencies from apt's cache (apt cannot take a file
        with --no-download): dpkg unpacks it, apt completes what it depends on."""
        return self.sh(f"export DEBIAN_FRONTEND=noninteractive; dpkg --force-confold -i {deb} || "
                       "apt-get -y -q -o Dpkg::Options::=--force-confold --no-download -f install")

    def unit(self, name, property):
        return self.sh(f"systemctl show -P {property} {name}").stdout.strip()


def container_init(nspawn):
    """PID of the container's systemd: the first process named systemd below nspawn's."""
    pending = [nspawn.pid]
    while pending:
        pid = pending.pop(0)
        children = Path(f"/proc/{pid}/task/{pid}/children")
        for child in (children.read_text().split() if children.exists() else []):
            if Path(f"/proc/{child}/comm").read_text().strip() == "systemd":
                return int(child)
            pending.append(int(child))
    return None


@pytest.fixture(scope="module")
def booted(debs, newer):
    assert shutil.which("systemd-nspawn"), "systemd-nspawn is not installed (make package-test installs it)"
    root = Path(tempfile.mkdtemp(prefix="attendance-debian-systemd-"))
    root.chmod(0o755)
    nspawn = None
    try:
        run(["debootstrap", "--variant=minbase", "--include=systemd,systemd-sysv,dbus", "bookworm", str(root), MIRROR],
            timeout=900)
        # (not /tmp: systemd mounts a tmpfs there)
        for deb in [*debs.values(), newer]:
            shutil.copy(deb, root / "srv")
        prepare = Machine(root)
        prepare.apt("update")
        # (for the agent's set-up, which first finds neither: libpam-systemd, without which
        # no user manager starts, and cron)
        prepare.apt("install", "--download-only", *(f"/srv/{deb.name}" for deb in debs.values()), "curl", "apache2-utils", "procps",
                    "sqlite3", "libpam-systemd", "cron")
        nspawn = subprocess.Popen(["systemd-nspawn", "-q", "-D", str(root), "-b", "--console=passive", "--private-network",
                                   "--register=no", "--keep-unit"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 90
        state = ""
        while time.time() < deadline and nspawn.poll() is None:
            init = container_init(nspawn)
            if init:
                state = Booted(root, init).sh("systemctl is-system-running || true").stdout.strip()
                if state in ("running", "degraded"):
                    break
            time.sleep(0.5)
        if nspawn.poll() is not None:
            pytest.skip("systemd-nspawn cannot boot a container on this machine: " + nspawn.stderr.read().decode()[-500:])
        machine = Booted(root, init)
        assert state in ("running", "degraded"), f"systemd did not finish booting: {state}\n" + machine.sh(
            "systemctl --failed --no-pager", check=False).stdout
        yield machine
    finally:
        if nspawn and nspawn.poll() is None:
            nspawn.terminate()  # a clean poweroff of the container
            try:
                nspawn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                nspawn.kill()
                nspawn.wait()
        shutil.rmtree(root, ignore_errors=True)


def test_under_systemd_the_install_enables_and_starts_the_socket(booted, debs):
    done = booted.install(f"/srv/{debs['attendance'].name}")
    # (apt's -f install leaves out Recommends; a plain `apt install` of the file brings nginx)
    booted.apt("install", "nginx", "curl", "apache2-utils", "procps", "sqlite3")
    assert "systemd is not running" not in done.stdout
    assert "the heartbeat token is in /etc/attendance/token" in done.stdout
    assert booted.unit("attendance-fcgi.socket", "UnitFileState") == "enabled"
    assert booted.unit("attendance-fcgi.socket", "ActiveState") == "active"
    assert booted.sh("stat -c '%a %U %G' /run/attendance /run/attendance/attendance.sock").stdout.splitlines() == [
        "755 root root", "660 attendance www-data"]
    # nginx was started by its own package.
    assert booted.unit("nginx.service", "ActiveState") == "active", booted.sh("journalctl -u nginx --no-pager", check=False).stdout


def test_under_systemd_the_readme_commands_serve_through_socket_activation(booted):
    booted.sh("ln -s ../sites-available/attendance /etc/nginx/sites-enabled/ && systemctl reload nginx; "
              "for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:8080/ && exit 0; sleep 0.1; done; exit 1")
    status, _, body = booted.heartbeat("http://127.0.0.1:8080")
    assert (status, json.loads(body)) == (200, {"accepted": 1, "duplicates": 0})
    # The first request started the service, as user attendance, in its sandbox.
    assert booted.unit("attendance-fcgi.service", "ActiveState") == "active"
    assert booted.sh("ps -o user= -C attendance-fcgi").stdout.split() == ["attendance"]
    assert booted.sh("stat -c '%a %U' /var/lib/attendance/attendance.sqlite").stdout.strip().endswith("attendance")
    status, _, body = booted.curl("http://127.0.0.1:8080/dashboard")
    assert status == 200 and "Balance" in body
    assert "listening (fd 0)" in booted.sh("journalctl -u attendance-fcgi --no-pager").stdout


def test_under_systemd_a_person_added_sends_through_the_shipped_site_within_5_seconds(booted):
    assert booted.unit("attendance-web.path", "UnitFileState") == "enabled"
    assert booted.unit("attendance-web.path", "ActiveState") == "active"
    owner_token = booted.file("/etc/attendance/token").read_text().strip()
    # The README's commands, as root: a person, their login.
    done = booted.sh("attendance-fcgi person add anna --database /var/lib/attendance/attendance.sqlite")
    token = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token), done.stdout
    added = time.monotonic()
    booted.sh("htpasswd -bB /etc/attendance/htpasswd anna 'anna pass' 2>/dev/null && "
              "htpasswd -bB /etc/attendance/htpasswd owner 'owner pass' 2>/dev/null")
    while booted.heartbeat("http://127.0.0.1:8080", token=token)[0] != 200:
        assert time.monotonic() - added < 5, booted.sh("journalctl -u attendance-web --no-pager", check=False).stdout
        time.sleep(0.1)
    # The responder's user owns what root made; the token maps stay the web server's group's.
    assert booted.sh("stat -c '%a %U' /var/lib/attendance/attendance.people.sqlite /var/lib/attendance/attendance.people "
                     "/var/lib/attendance/attendance.people/anna.sqlite").stdout.splitlines() == [
        "600 attendance", "700 attendance", "600 attendance"]
    assert booted.sh("stat -c '%a %U %G' /etc/attendance/nginx-token.conf /etc/attendance/nginx-login.conf").stdout.splitlines() == [
        "640 root www-data", "640 root www-data"]
    # Two people: a login on loopback too; each sees their own time.
    assert booted.curl("http://127.0.0.1:8080/api/settings")[0] == 401
    status, _, body = booted.curl("http://127.0.0.1:8080/api/days?from=2024-03-05&to=2024-03-05", "-u", "anna:anna pass")
    assert status == 200 and json.loads(body)[0]["recorded"] == 1, body
    status, _, body = booted.curl("http://127.0.0.1:8080/people", "-u", "owner:owner pass")
    assert status == 200 and 'data-person="anna"' in body
    assert booted.heartbeat("http://127.0.0.1:8080", token=owner_token)[0] == 200
    # Removed again: one person as before, no login on loopback.
    booted.sh("attendance-fcgi person remove anna --database /var/lib/attendance/attendance.sqlite")
    removed = time.monotonic()
    while booted.heartbeat("http://127.0.0.1:8080", token=token)[0] != 401:
        assert time.monotonic() - removed < 5
        time.sleep(0.1)
    while booted.curl("http://127.0.0.1:8080/api/settings")[0] != 200:
        assert time.monotonic() - removed < 5
        time.sleep(0.1)


def test_under_systemd_the_daily_backup_timer_makes_a_checked_private_backup(booted):
    assert booted.unit("attendance-backup.timer", "UnitFileState") == "enabled"
    assert booted.unit("attendance-backup.timer", "ActiveState") == "active"
    assert booted.unit("attendance-backup.timer", "NextElapseUSecRealtime") not in ("", "0", "n/a")
    # What the timer starts each day, started now: the service, as user attendance.
    booted.sh("systemctl start attendance-backup.service")
    assert booted.unit("attendance-backup.service", "Result") == "success"
    names = booted.sh("ls /var/lib/attendance/backups").stdout.split()
    assert len(names) == 1 and names[0].startswith("attendance-") and names[0].endswith("Z.sqlite"), names
    assert booted.sh(f"stat -c '%a %U' /var/lib/attendance/backups /var/lib/attendance/backups/{names[0]}").stdout.splitlines() == [
        "700 attendance", "600 attendance"]
    journal = booted.sh("journalctl -u attendance-backup --no-pager").stdout
    assert "signed months verified" in journal and f"backups/{names[0]}" in journal, journal[-2000:]
    # The copy holds the heartbeat the earlier test sent, and passes the checks on its own.
    assert booted.sh(f"sqlite3 -readonly /var/lib/attendance/backups/{names[0]} 'PRAGMA integrity_check; SELECT COUNT(*) FROM heartbeat'"
                     ).stdout.split() == ["ok", "1"]


def test_under_systemd_an_upgrade_restarts_the_responder_and_keeps_the_data(booted, newer):
    before = booted.unit("attendance-fcgi.service", "MainPID")
    booted.install(f"/srv/{newer.name}")
    assert booted.unit("attendance-fcgi.socket", "ActiveState") == "active"
    status, _, body = booted.heartbeat("http://127.0.0.1:8080")
    assert (status, json.loads(body)) == (200, {"accepted": 0, "duplicates": 1})
    after = booted.unit("attendance-fcgi.service", "MainPID")
    assert after not in ("0", before), (before, after)


AGENT_SETUP = "HOME=/root attendance-agent setup --url http://127.0.0.1:8080/api/heartbeat --token-file /etc/attendance/token"


def stored_heartbeats(booted):
    return int(booted.sh("sqlite3 -readonly /var/lib/attendance/attendance.sqlite 'SELECT COUNT(*) FROM heartbeat'").stdout)


def wait_for_a_heartbeat(booted, before, seconds, why):
    """A heartbeat the schedule sent (setup's own went in before `before` was counted)."""
    started = time.monotonic()
    while stored_heartbeats(booted) == before:
        assert time.monotonic() - started < seconds, why()
        time.sleep(1)
    return time.monotonic() - started


def test_under_systemd_agent_setup_without_cron_says_what_to_do_then_schedules_a_user_timer(booted, debs):
    booted.install(f"/srv/{debs['attendance-agent'].name}")
    # Root, no cron, no session (so no user manager): the configuration is written, the
    # schedule is not, and the message says both ways on.
    done = booted.sh(AGENT_SETUP, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "accepted a heartbeat" in done.stdout and "not on your PATH" not in done.stdout
    assert "apt-get install cron (Debian, Ubuntu)" in done.stderr and "then run: attendance-agent install --apply" in done.stderr
    assert "loginctl enable-linger root" in done.stderr
    assert "The configuration is written (/root/.config/attendance/agent.conf)" in done.stderr
    assert "systemd user timer written to /root/.config/systemd/user" in done.stderr
    assert booted.sh("HOME=/root attendance-agent install", check=False).stdout == ""  # no crontab line
    # The advice followed: root's user manager runs from now on (and from each boot). It
    # needs pam_systemd, which a Debian system with systemd has and minbase leaves out.
    booted.apt("install", "libpam-systemd")
    booted.sh("loginctl enable-linger root; "
              "for i in $(seq 300); do [ -S /run/user/0/systemd/private ] && exit 0; sleep 0.1; done; exit 1")
    # From a shell without XDG_RUNTIME_DIR (as here, as su or ssh without a session give),
    # and with it.
    for runtime in ("", "XDG_RUNTIME_DIR=/run/user/0 "):
        done = booted.sh(runtime + AGENT_SETUP)
        assert "Scheduled with a systemd user timer (no cron here)" in done.stdout, done.stdout + done.stderr
    user = "XDG_RUNTIME_DIR=/run/user/0 systemctl --user "
    assert booted.sh(user + "is-enabled attendance-agent.timer").stdout.strip() == "enabled"
    assert booted.sh(user + "is-active attendance-agent.timer").stdout.strip() == "active"
    # Its first run, at the next full minute, reaches the server.
    took = wait_for_a_heartbeat(booted, stored_heartbeats(booted), 75, lambda: booted.sh(
        user + "status --no-pager attendance-agent.service; journalctl --no-pager -n 30", check=False).stdout)
    print(f"\nthe user timer's heartbeat came {took:.0f} s after setup")
    assert booted.sh(user + "show -P Result attendance-agent.service").stdout.strip() == "success"


def test_under_systemd_agent_setup_uses_cron_once_it_is_installed(booted):
    booted.sh("XDG_RUNTIME_DIR=/run/user/0 systemctl --user disable --now attendance-agent.timer")
    booted.apt("install", "cron")
    done = booted.sh(AGENT_SETUP)
    assert "Scheduled with cron: added to your crontab: * * * * * /usr/bin/attendance-agent" in done.stdout, done.stdout
    assert "* * * * * /usr/bin/attendance-agent" in booted.sh("crontab -l").stdout.splitlines()
    assert booted.sh("HOME=/root attendance-agent install").stdout == "* * * * * /usr/bin/attendance-agent\n"
    # cron reads the changed table at the next minute and runs the agent then.
    took = wait_for_a_heartbeat(booted, stored_heartbeats(booted), 130,
                                lambda: booted.sh("journalctl -u cron --no-pager -n 30", check=False).stdout)
    print(f"\ncron's heartbeat came {took:.0f} s after setup")
    assert "CMD (/usr/bin/attendance-agent)" in booted.sh("journalctl -u cron --no-pager").stdout


def test_under_systemd_remove_stops_it_and_nginx_keeps_running(booted):
    done = booted.apt("remove", "attendance")
    assert "disabled the nginx site(s) attendance" in done.stdout
    assert booted.unit("attendance-fcgi.socket", "ActiveState") == "inactive"
    assert booted.sh("pgrep -x attendance-fcgi", check=False).returncode == 1
    assert booted.unit("nginx.service", "ActiveState") == "active"
    booted.sh("for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:8080/ || exit 0; sleep 0.1; done; exit 1")
    assert booted.file("/var/lib/attendance/attendance.sqlite").stat().st_size > 0


def test_under_systemd_purge_says_it_kept_the_data(booted):
    done = booted.apt("purge", "attendance")
    assert "kept your hours in /var/lib/attendance (the database was not removed)" in done.stdout
    assert not booted.file("/etc/attendance").exists()
    assert booted.file("/var/lib/attendance/attendance.sqlite").exists()
