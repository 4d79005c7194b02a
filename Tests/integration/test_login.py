"""Pages beyond loopback need a login (nginx auth_basic, lighttpd mod_auth), the heartbeat
keeps its bearer token, and the responder refuses what a careless web server lets through."""
import json
import os
import subprocess
from pathlib import Path

import pytest
import requests

from conftest import ROOT, TOKEN, Stack, free_port
from test_heartbeat import fastcgi


ALICE = ("alice", "s3cret pass")


def machine_address():
    """An address of this machine that is not loopback; pages served there need a login."""
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    v4 = [address for address in out if "." in address and not address.startswith("127.")]
    if not v4:
        pytest.skip("this machine has no address beyond loopback")
    return v4[0]


@pytest.fixture(scope="module")
def logins(tmp_path_factory):
    path = tmp_path_factory.mktemp("logins") / "htpasswd"
    subprocess.run(["htpasswd", "-cbB", str(path), *ALICE], check=True, capture_output=True)
    return path


@pytest.fixture(scope="module", params=["nginx", "lighttpd"])
def remote(request, logins):
    address = machine_address()
    running = Stack(web_server=request.param, env={"LISTEN": address, "HTPASSWD": str(logins)},
                    auth=ALICE)
    yield running
    running.stop()


@pytest.mark.parametrize("path", ["/", "/dashboard", "/report", "/settings", "/export/days.csv", "/api/settings", "/api/ping", "/static/style.css"])
def test_every_page_asks_for_a_login(remote, path):
    response = requests.get(remote.url + path, timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="Attendance"')
    assert "log in" in response.json()["error"]
    assert requests.get(remote.url + path, auth=("alice", "wrong"), timeout=10).status_code == 401
    assert requests.get(remote.url + path, auth=("bob", "s3cret pass"), timeout=10).status_code == 401
    assert requests.get(remote.url + path, auth=ALICE, timeout=10, allow_redirects=False).status_code in (200, 303)


def test_the_dashboard_shows_after_login(remote):
    response = requests.get(remote.url + "/dashboard", auth=ALICE, timeout=10)
    assert response.status_code == 200
    assert "<html" in response.text and "Balance" in response.text


def test_the_heartbeat_keeps_its_token_and_needs_no_login(remote):
    body = json.dumps({"timestamp": "2024-03-05T09:00:00Z", "host": "laptop"})
    response = remote.heartbeat(body)
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 1, "duplicates": 0}
    refused = remote.heartbeat(body, token="wrong")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    # A login is no token.
    assert requests.post(remote.url + "/api/heartbeat", data=body, auth=ALICE, timeout=10).status_code == 401
    assert remote.query("SELECT COUNT(*) FROM heartbeat") == [(1,)]


def test_cross_site_checks_hold_behind_the_login(remote):
    holiday = json.dumps({"date": "2024-12-24", "name": "Eve"})
    headers = {"Content-Type": "application/json"}
    refused = requests.post(remote.url + "/api/holidays", data=holiday, auth=ALICE, timeout=10,
                            headers=dict(headers, Origin="http://evil.example"))
    assert refused.status_code == 403
    # A name this server was not told of: DNS rebinding, refused even with the login.
    rebound = requests.get(remote.url + "/api/settings", auth=ALICE, timeout=10, headers={"Host": "evil.example"})
    assert rebound.status_code == 403
    assert remote.query("SELECT COUNT(*) FROM holiday WHERE name = 'Eve'") == [(0,)]
    accepted = requests.post(remote.url + "/api/holidays", data=holiday, auth=ALICE, timeout=10,
                             headers=dict(headers, Origin=remote.url))
    assert accepted.status_code == 201, accepted.text
    assert remote.query("SELECT COUNT(*) FROM holiday WHERE name = 'Eve'") == [(1,)]


@pytest.mark.parametrize("web_server", ["nginx", "lighttpd"])
def test_serving_beyond_loopback_without_a_login_is_refused_at_start(web_server, tmp_path):
    env = dict(os.environ, PORT=str(free_port()), DATA_DIR=str(tmp_path), BEARER_TOKEN=TOKEN, WEB_SERVER=web_server,
               LISTEN=machine_address(), ATTENDANCE_FCGI=os.environ.get("ATTENDANCE_FCGI", str(ROOT / ".build/debug/attendance-fcgi")))
    done = subprocess.run([str(ROOT / "scripts/serve")], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 64
    assert "htpasswd -cB" in done.stderr and "ALLOW_WITHOUT_LOGIN=1" in done.stderr
    empty = tmp_path / "empty"
    empty.write_text("# nobody yet\n")
    done = subprocess.run([str(ROOT / "scripts/serve")], env=dict(env, HTPASSWD=str(empty)), capture_output=True, text=True, timeout=30)
    assert done.returncode == 64 and "holds no login" in done.stderr


@pytest.mark.parametrize("web_server", ["nginx", "lighttpd"])
def test_an_explicit_setting_serves_without_a_login(web_server):
    running = Stack(web_server=web_server, env={"LISTEN": machine_address(), "ALLOW_WITHOUT_LOGIN": "1"})
    try:
        assert requests.get(running.url + "/api/settings", timeout=10).status_code == 200
        assert requests.get(running.url + "/", timeout=10).status_code == 200
    finally:
        running.stop()


def test_the_responder_refuses_pages_a_careless_web_server_serves_beyond_loopback(any_server):
    """A web server that listens beyond loopback and asks for no login: the responder says what to do."""
    params = dict(REQUEST_METHOD="GET", REQUEST_URI="/api/settings")
    assert fastcgi(any_server, SERVER_ADDR="192.0.2.7", **params) == "Status: 403 Forbidden"
    assert fastcgi(any_server, SERVER_ADDR="192.0.2.7", REMOTE_USER="alice", **params) == "Status: 200 OK"
    assert fastcgi(any_server, SERVER_ADDR="127.0.0.1", **params) == "Status: 200 OK"
    before = any_server.query("SELECT COUNT(*) FROM heartbeat")[0][0]
    assert fastcgi(any_server, SERVER_ADDR="192.0.2.7", HTTP_AUTHORIZATION="Bearer " + any_server.token) == "Status: 200 OK"
    assert any_server.query("SELECT COUNT(*) FROM heartbeat")[0][0] == before + 1


def test_a_browser_logs_in_and_every_part_of_the_page_comes_with_it(remote):
    """Chromium with the login: the stylesheet, the script, the icon and the forms all
    pass the login (a 401 on any of them would show as a console error or an unstyled
    page), and a form's POST passes the cross-site check."""
    from selenium.webdriver.common.by import By
    from test_pages import SCREENSHOTS, make_driver, open_page, submit
    driver = make_driver(True)
    driver.javascript = True
    try:
        host = remote.url.split("//", 1)[1]
        driver.get(f"http://alice:s3cret%20pass@{host}/settings")
        assert "Attendance" in driver.title
        open_page(driver, remote, "/settings")  # no console errors: nothing refused
        driver.find_element(By.ID, "holiday-date").send_keys("12262024")
        driver.find_element(By.ID, "holiday-name").send_keys("Boxing Day")
        submit(driver.find_element(By.ID, "holiday-form"))
        assert "Boxing Day" in [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "#holiday-list td.holiday-name")]
        assert remote.query("SELECT COUNT(*) FROM holiday WHERE name = 'Boxing Day'") == [(1,)]
        open_page(driver, remote, "/dashboard")
        styled = driver.execute_script("return document.styleSheets.length > 0 && document.styleSheets[0].cssRules.length > 0")
        charts = len(driver.find_elements(By.CSS_SELECTOR, "#daily-chart g.bar"))
        assert (styled, charts) == (True, 28)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SCREENSHOTS / f"login-dashboard-{remote.web_server}.png"))
    finally:
        driver.quit()
