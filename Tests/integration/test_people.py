"""Several people on one server (SPEC rule 13), through nginx and lighttpd: each with their
own token, login and figures; the admin's read-only views; a single-person server as before."""
import json
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import requests

from conftest import TOKEN, Stack

FIXTURES = Path(__file__).parent / "fixtures"
PASSWORDS = {"owner": "owner pass", "anna": "anna pass", "mallory": "mallory pass"}


def person(stack, *args):
    """attendance-fcgi person … on the stack's database; its stdout."""
    done = subprocess.run([stack.binary, "person", *args, "--database", str(stack.database)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def get(stack, path, login=None, **kwargs):
    auth = (login, PASSWORDS[login]) if login else None
    return requests.get(stack.url + path, auth=auth, timeout=10, **kwargs)


def send(stack, method, path, body, login):
    return requests.request(method, stack.url + path, json=body, auth=(login, PASSWORDS[login]), timeout=10)


def beat(stack, token, when, host="laptop"):
    return requests.post(stack.url + "/api/heartbeat", json={"timestamp": when, "host": host},
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)


def reloaded(stack, times=1):
    """Waits until scripts/serve has reloaded the web server `times` times for a change of
    the people, then a moment for the old workers to finish what they were answering."""
    until(lambda: (stack.data_dir / "serve.out").read_text().count("the people changed") >= times)
    time.sleep(1)


def until(check, seconds=5.0):
    """How long `check()` took to become true (at most `seconds`, else the test fails)."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        time.sleep(0.1)
    return time.monotonic() - started


@pytest.fixture
def logins(tmp_path):
    path = tmp_path / "htpasswd"
    for index, (name, password) in enumerate(PASSWORDS.items()):
        subprocess.run(["htpasswd", "-bB" + ("c" if index == 0 else ""), str(path), name, password], check=True, capture_output=True)
    return path


def figures(stack, login=None):
    """Every figure the v1 fixture was checked by (its paths), as served."""
    paths = json.loads((FIXTURES / "v1-figures.json").read_text()).keys()
    return {path: get(stack, path, login).json() for path in paths}


@pytest.mark.parametrize("web_server", ["nginx", "lighttpd"])
def test_two_people_each_with_their_own_token_login_and_figures(tmp_path, logins, web_server):
    database = tmp_path / "old.sqlite"
    with sqlite3.connect(database) as db:
        db.executescript((FIXTURES / "v1-database.sql").read_text())
    stack = Stack(web_server=web_server, database=database, env={"HTPASSWD": str(logins)})
    try:
        # One person: as before, no login on loopback, the token it was started with.
        base = get(stack, "/api/days/2025-03-03").json()["recorded"]
        assert beat(stack, TOKEN, "2025-03-03T02:00:00Z").status_code == 200
        assert get(stack, "/api/days/2025-03-03").json()["recorded"] == base + 1
        before = figures(stack)
        before_days = get(stack, "/api/days?from=2025-02-01&to=2025-03-31").json()
        registry = stack.data_dir / "attendance.people.sqlite"
        assert registry.exists() and (registry.stat().st_mode & 0o077) == 0

        out = person(stack, "add", "anna").strip().splitlines()
        anna_token = out[-1]
        assert len(anna_token) == 32 and "htpasswd" in "\n".join(out)
        # A person added while serving sends within 5 seconds (nginx reloaded, lighttpd reads the map per request).
        until(lambda: beat(stack, anna_token, "2025-03-03T09:00:00Z", "annas-laptop").status_code == 200)
        reloaded(stack)

        # Two people: every page needs a login, loopback included; a login that names nobody is refused.
        # (The web server asks for logins on loopback once it has reloaded its login rules.)
        until(lambda: get(stack, "/api/settings", "mallory").status_code == 403)
        assert get(stack, "/api/settings").status_code == 401
        assert get(stack, "/dashboard").status_code == 401
        refused = get(stack, "/api/settings", "mallory")
        assert refused.status_code == 403 and "names no person" in refused.json()["error"]
        assert requests.get(stack.url + "/api/settings", auth=("anna", "wrong"), timeout=10).status_code == 401

        # The first person is owner, an admin, with every figure and the token unchanged.
        assert figures(stack, "owner") == before
        assert get(stack, "/api/days?from=2025-02-01&to=2025-03-31", "owner").json() == before_days
        assert beat(stack, TOKEN, "2025-03-03T02:01:00Z").status_code == 200
        owner_day = get(stack, "/api/days/2025-03-03", "owner").json()
        anna_day = get(stack, "/api/days/2025-03-03", "anna").json()
        assert owner_day["recorded"] == base + 2
        assert anna_day["recorded"] == 1 and anna_day["sessions"][0]["start"].startswith("2025-03-03T")

        # Her own holidays and signed months; his stay his.
        assert send(stack, "POST", "/api/settings", {"period_start": "2025-01-01", "timezone": "Europe/Berlin"}, "anna").status_code == 200
        assert send(stack, "POST", "/api/holidays", {"date": "2025-03-04", "name": "Annas holiday"}, "anna").status_code == 201
        assert send(stack, "POST", "/api/months/2025-01/sign", None, "anna").status_code == 201
        assert "Annas holiday" not in get(stack, "/api/holidays", "owner").text
        assert [m["month"] for m in get(stack, "/api/months?year=2025", "anna").json() if m["signed"]] == ["2025-01"]
        assert not any(m["signed"] for m in get(stack, "/api/months?year=2025", "owner").json())
        assert get(stack, "/api/days/2025-03-04", "anna").json()["holiday"] == "Annas holiday"
        assert get(stack, "/api/days/2025-03-04", "owner").json()["holiday"] is None

        # The admin reads her pages and overview, read-only; she has no overview and cannot name him.
        page = get(stack, "/report?month=2025-03&person=anna", "owner")
        assert page.status_code == 200 and "Annas holiday" in page.text and "read-only" in page.text
        write = requests.post(stack.url + "/api/holidays?person=anna", json={"date": "2025-03-05", "name": "x"},
                              auth=("owner", PASSWORDS["owner"]), timeout=10)
        assert write.status_code == 403
        assert len(get(stack, "/api/holidays?person=anna", "owner").json()) == 1
        overview = get(stack, "/people", "owner")
        assert overview.status_code == 200 and 'data-person="anna"' in overview.text and 'data-person="owner"' in overview.text
        assert get(stack, "/people", "anna").status_code == 403
        assert get(stack, "/api/settings?person=owner", "anna").status_code == 403

        # A new token: the old one is refused within 5 seconds, by the web server too.
        renewed = person(stack, "token", "anna").strip().splitlines()[-1]
        until(lambda: beat(stack, anna_token, "2025-03-03T09:00:00Z").status_code == 401)  # (a minute she has)
        until(lambda: beat(stack, renewed, "2025-03-03T09:02:00Z").status_code == 200)
        assert get(stack, "/api/days/2025-03-03", "anna").json()["recorded"] == 2

        # Removed: token and login refused, data kept aside; one person again works as before.
        assert "kept aside" in person(stack, "remove", "anna")
        until(lambda: beat(stack, renewed, "2025-03-03T09:03:00Z").status_code == 401)
        kept = list((stack.data_dir / "attendance.people/removed").glob("anna-*.sqlite"))
        assert len(kept) == 1
        until(lambda: get(stack, "/api/settings").status_code == 200)
        assert get(stack, "/api/days/2025-03-03").json()["recorded"] == base + 2
        log = (stack.data_dir / "responder.log").read_text()
        assert "500" not in log.replace("v1-", "")
    finally:
        stack.stop()


def test_password_guessing_is_slowed_down_but_not_a_person_reading_pages_nor_heartbeats(tmp_path, logins):
    from test_login import machine_address
    stack = Stack(env={"HTPASSWD": str(logins), "LISTEN": machine_address()}, auth=("owner", PASSWORDS["owner"]))
    try:
        token = person(stack, "add", "anna").strip().splitlines()[-1]
        reloaded(stack)
        until(lambda: get(stack, "/api/settings", "mallory").status_code == 403)
        # A person reading pages — quickly, with their static files — is never held up.
        with requests.Session() as session:
            session.auth = ("anna", PASSWORDS["anna"])
            for _ in range(15):
                for path in ("/dashboard", "/static/style.css", "/static/app.js", "/corrections"):
                    assert session.get(stack.url + path, timeout=10).status_code == 200, path
        time.sleep(6)  # the burst refills
        statuses, started = [], time.monotonic()
        with requests.Session() as session:
            for n in range(400):
                statuses.append(session.get(stack.url + "/api/settings", auth=("anna", f"guess {n}"), timeout=10).status_code)
                if n % 50 == 0:
                    assert beat(stack, token, f"2025-03-03T10:{n // 50:02d}:00Z").status_code == 200
        elapsed = time.monotonic() - started
        assert set(statuses) <= {401, 429}
        # Only the burst and 20 a second reach the password check.
        assert statuses.count(401) <= 100 + 20 * elapsed + 5, (statuses.count(401), elapsed)
        assert statuses.count(429) >= 100, statuses.count(429)
        limited = requests.get(stack.url + "/api/settings", auth=("anna", "guess"), timeout=10)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
        assert "too many" in limited.json()["error"]
    finally:
        stack.stop()


def test_backup_restore_and_export_work_per_person(tmp_path, logins):
    stack = Stack(env={"HTPASSWD": str(logins)})
    try:
        token = person(stack, "add", "anna").strip().splitlines()[-1]
        until(lambda: beat(stack, token, "2025-05-05T07:00:00Z", "annas").status_code == 200)
        reloaded(stack)
        assert beat(stack, TOKEN, "2025-05-05T08:00:00Z", "owners").status_code == 200
        until(lambda: get(stack, "/api/settings", "mallory").status_code == 403)
        # Each person's export is their own.
        anna = get(stack, "/api/export", "anna").json()
        owner = get(stack, "/api/export", "owner").json()
        assert [h[1] for h in anna["heartbeats"]] == ["annas"]
        assert [h[1] for h in owner["heartbeats"]] == ["owners"]
        # One backup run: the first person's into the folder, each other's into a folder of their own.
        backups = tmp_path / "backups"
        done = subprocess.run([stack.binary, "backup", "--database", str(stack.database), "--to", str(backups)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout
        assert done.stdout.count("backup ") == 2 and "anna: backup" in done.stdout and "owner: backup" in done.stdout
        [first] = backups.glob("attendance-*.sqlite")
        [annas] = (backups / "anna").glob("attendance-*.sqlite")
        with sqlite3.connect(annas) as db:
            assert db.execute("SELECT host FROM heartbeat").fetchall() == [("annas",)]
        with sqlite3.connect(first) as db:
            assert db.execute("SELECT host FROM heartbeat").fetchall() == [("owners",)]
        # Her backup back into her database: her later heartbeat is kept, his time untouched.
        until(lambda: beat(stack, token, "2025-05-05T07:01:00Z", "annas").status_code == 200)
        assert send(stack, "POST", "/api/holidays", {"date": "2025-05-06", "name": "after the backup"}, "anna").status_code == 201
        done = subprocess.run([stack.binary, "restore", str(annas), "--person", "anna", "--database", str(stack.database)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout
        assert "attendance.people/anna.sqlite" in done.stdout
        until(lambda: get(stack, "/api/holidays", "anna").json() == [])
        # Every person's signed months verified by one command, each named.
        assert send(stack, "POST", "/api/settings", {"period_start": "2025-01-01"}, "anna").status_code == 200
        assert send(stack, "POST", "/api/months/2025-01/sign", None, "anna").status_code == 201
        done = subprocess.run([stack.binary, "verify", "--database", str(stack.database)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout
        assert "anna: 1 signed month verified" in done.stdout and "owner: 0 signed months verified" in done.stdout
        assert get(stack, "/api/days/2025-05-05", "anna").json()["recorded"] == 2
        assert get(stack, "/api/days/2025-05-05", "owner").json()["recorded"] == 1
    finally:
        stack.stop()


def test_the_admin_in_a_browser_reads_the_overview_and_a_person_read_only(tmp_path, logins):
    from selenium.webdriver.common.by import By
    from test_pages import make_driver
    stack = Stack(env={"HTPASSWD": str(logins)})
    driver = make_driver(False)
    try:
        token = person(stack, "add", "anna").strip().splitlines()[-1]
        until(lambda: beat(stack, token, "2025-05-05T07:00:00Z").status_code == 200)
        reloaded(stack)
        until(lambda: get(stack, "/api/settings", "mallory").status_code == 403)
        assert send(stack, "POST", "/api/settings", {"period_start": "2025-05-01", "timezone": "UTC"}, "anna").status_code == 200
        base = stack.url.replace("http://", f"http://owner:{PASSWORDS['owner'].replace(' ', '%20')}@")
        for width in (1280, 390):
            driver.set_window_size(width, 900)
            driver.get(base + "/people")
            rows = driver.find_elements(By.CSS_SELECTOR, "#people tbody tr")
            assert [row.get_attribute("data-person") for row in rows] == ["anna", "owner"]
            anna = rows[0]
            # Her figures, computed here day by day: Monday to Friday 8:00 each from 2025-05-01,
            # one minute worked (no JavaScript needed).
            assert anna.find_element(By.CSS_SELECTOR, "[data-field=heartbeat]").text == "2025-05-05 07:00"
            balance_by_hand, month_by_hand = annas_figures_by_hand()
            assert anna.find_element(By.CSS_SELECTOR, "[data-field=balance]").text == balance_by_hand
            assert anna.find_element(By.CSS_SELECTOR, "[data-field=month]").text == month_by_hand
            assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
            anna.find_element(By.LINK_TEXT, "anna").click()
            assert driver.current_url.endswith("/dashboard?person=anna")
            banner = driver.find_element(By.CSS_SELECTOR, ".viewing")
            assert banner.is_displayed() and "anna" in banner.text and "read-only" in banner.text
            assert driver.find_element(By.ID, "balance").text == balance_by_hand
            # No form that would change her time is shown; the links stay on her time.
            assert not [form for form in driver.find_elements(By.CSS_SELECTOR, "form[method=post]") if form.is_displayed()]
            driver.find_element(By.CSS_SELECTOR, "nav a[href^='/corrections']").click()
            assert "person=anna" in driver.current_url and driver.find_element(By.CSS_SELECTOR, ".viewing").is_displayed()
            assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
            driver.save_screenshot(str(tmp_path / f"people-{width}.png"))
        # Her own browser has no overview link.
        driver.get(stack.url.replace("http://", f"http://anna:{PASSWORDS['anna'].replace(' ', '%20')}@") + "/dashboard")
        assert not driver.find_elements(By.CSS_SELECTOR, "a[href='/people']")
        assert not driver.find_elements(By.CSS_SELECTOR, ".viewing")
    finally:
        driver.quit()
        stack.stop()


def annas_figures_by_hand():
    """Her balance through yesterday and this month's difference through yesterday (UTC),
    as the pages write them: 8:00 expected each weekday from 2025-05-01, one minute worked
    on 2025-05-05."""
    from datetime import date, datetime, timedelta, timezone
    today = datetime.now(timezone.utc).date()
    yesterday = today - timedelta(days=1)

    def difference(first):
        minutes, day = 0, first
        while day <= yesterday:
            minutes += (1 if day == date(2025, 5, 5) else 0) - (480 if day.weekday() < 5 else 0)
            day += timedelta(days=1)
        return minutes

    def shown(minutes):
        return ("+" if minutes > 0 else "\u2212" if minutes < 0 else "") + f"{abs(minutes) // 60}:{abs(minutes) % 60:02d}"

    return shown(difference(date(2025, 5, 1))), shown(difference(today.replace(day=1)))
