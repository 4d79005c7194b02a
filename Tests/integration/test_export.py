"""GET /api/export and POST /api/import (SPEC §6) through the real web servers: a
history with every kind of fact goes out of one server and into a new one, with the same
figures day by day and the same digests; the document's digest is recomputed here."""
import hashlib
import json
import re
from datetime import date, datetime, timedelta

import pytest
import requests

from conftest import Stack
from test_signing import BERLIN, api, canonical, seed


def every_fact(stack):
    """Two months of heartbeats (test_signing's), then one of each other fact, and October signed."""
    seed(stack)
    origin = {"Origin": stack.url}
    start = datetime(2025, 11, 3, 18, tzinfo=BERLIN)
    for body in [{"start": start.isoformat(), "end": (start + timedelta(minutes=90)).isoformat(), "note": "client call \"A\""},
                 {"start": (start + timedelta(days=1)).isoformat(), "end": (start + timedelta(days=1, minutes=30)).isoformat()}]:
        assert api(stack, "POST", "/api/entries", body, headers=origin).status_code == 201
    removed = api(stack, "POST", "/api/entries", {"start": (start + timedelta(days=2)).isoformat(),
                                                  "end": (start + timedelta(days=2, minutes=20)).isoformat()}, headers=origin).json()
    assert api(stack, "DELETE", f"/api/entries/{removed['id']}", headers=origin).status_code == 204
    assert api(stack, "POST", "/api/corrections", {"date": "2025-11-05", "minutes": 300, "note": "first"}, headers=origin).status_code == 201
    assert api(stack, "POST", "/api/corrections", {"date": "2025-11-05", "minutes": 420, "note": "second"}, headers=origin).status_code == 201
    assert api(stack, "POST", "/api/absences", {"from": "2025-11-10", "to": "2025-11-11", "kind": "vacation"}, headers=origin).status_code == 201
    assert api(stack, "POST", "/api/holidays", {"date": "2025-11-20", "name": "Buß- und Bettag"}, headers=origin).status_code == 201
    assert api(stack, "POST", "/api/schedules", {"valid_from": "2025-11-17", "minutes": {"mon": 420, "tue": 420, "wed": 420, "thu": 420, "fri": 240},
                                                 "work_rules": "de"}, headers=origin).status_code == 201
    assert api(stack, "POST", "/api/bookings", {"date": "2025-11-28", "kind": "payout", "minutes": -120, "note": "paid in November"},
               headers=origin).status_code == 201
    assert api(stack, "POST", "/api/months/2025-10/sign", headers=origin).status_code == 201


def figures(stack):
    return {
        "days": api(stack, "GET", "/api/days?from=2025-09-25&to=2025-12-05").json(),
        "months": api(stack, "GET", "/api/months?year=2025").json(),
        "october": api(stack, "GET", "/api/months/2025-10").json(),
        "balance": api(stack, "GET", "/api/balance?as_of=2025-11-30").json(),
        "summary": api(stack, "GET", "/api/summary?year=2025").json(),
        "corrections": api(stack, "GET", "/api/corrections").json(),
        "entries": api(stack, "GET", "/api/entries?from=2025-11-01&to=2025-11-30").json(),
        "bookings": api(stack, "GET", "/api/bookings").json(),
        "schedules": api(stack, "GET", "/api/schedules").json(),
        "settings": api(stack, "GET", "/api/settings").json(),
    }


@pytest.fixture(scope="module")
def source():
    running = Stack()
    every_fact(running)
    yield running
    running.stop()


@pytest.mark.parametrize("web_server", ["nginx", "lighttpd"])
def test_an_export_imported_into_a_new_install_gives_the_same_figures_and_digests(source, web_server):
    download = api(source, "GET", "/api/export")
    assert download.status_code == 200 and download.headers["Content-Type"].startswith("application/json")
    today = api(source, "GET", "/api/balance").json()["as_of"]
    assert download.headers["Content-Disposition"] == f'attachment; filename="attendance-{today}.json"'
    document = download.json()
    assert document["format"] == "attendance-export" and document["version"] == 1
    stated = document.pop("digest")
    assert hashlib.sha256(canonical(document)).hexdigest() == stated
    assert len(document["heartbeats"]) == 43 * 240 and len(document["corrections"]) == 2
    assert [e["removed_at"] is not None for e in document["entries"]] == [False, False, True]
    [october] = document["signed_months"]
    assert hashlib.sha256(b"0" * 64 + october["snapshot"].encode()).hexdigest() == october["digest"]

    target = Stack(web_server=web_server)
    try:
        imported = api(target, "POST", "/api/import", json.loads(download.text), headers={"Origin": target.url})
        assert imported.status_code == 200, imported.text
        assert imported.json() == {"heartbeats": 43 * 240, "entries": 3, "corrections": 2, "absences": 2, "holidays": 1,
                                   "bookings": 1, "signed_months": 1}
        assert figures(target) == figures(source)
        # A second import into what is no longer empty: refused, nothing changed.
        again = api(target, "POST", "/api/import", json.loads(download.text), headers={"Origin": target.url})
        assert again.status_code == 409 and "empty database" in again.json()["error"]
        assert figures(target) == figures(source)
    finally:
        target.stop()


def test_a_changed_or_broken_document_is_refused_whole_saying_where(source):
    text = api(source, "GET", "/api/export").text
    target = Stack()
    try:
        def post(body, origin=None):
            return requests.post(target.url + "/api/import", data=body, timeout=30,
                                 headers={"Origin": origin or target.url, "Content-Type": "application/json"})
        changed = text.replace('"note":"paid in November"', '"note":"paid in December"')
        assert changed != text
        refused = post(changed.encode())
        assert refused.status_code == 422 and refused.json()["error"].startswith("digest: ")
        document = json.loads(text)
        del document["digest"]
        document["entries"][0]["end_minute"] = document["entries"][0]["start_minute"] - 5
        refused = post(json.dumps(document).encode())
        assert refused.status_code == 422 and refused.json()["error"].startswith("entries[0]: "), refused.text
        document = json.loads(text)
        del document["digest"]
        document["heartbeats"][7] = [1, 2, 3]
        refused = post(json.dumps(document).encode())
        assert refused.status_code == 422 and refused.json()["error"].startswith("heartbeats[7]: ")
        assert post(b'{"format": "attendance-export", ').status_code == 400
        assert api(target, "GET", "/api/holidays").json() == [] and api(target, "GET", "/api/entries?from=2025-11-01&to=2025-11-30").json() == []
        assert target.query("SELECT COUNT(*) FROM heartbeat") == [(0,)]
        # Cross-site is refused like every other write.
        assert post(text.encode(), origin="http://evil.example").status_code == 403
        assert target.query("SELECT COUNT(*) FROM heartbeat") == [(0,)] and api(target, "GET", "/api/holidays").json() == []
    finally:
        target.stop()


def test_the_settings_page_downloads_everything_and_imports_without_javascript(source):
    page = requests.get(source.url + "/settings", timeout=30).text
    assert re.search(r'<a [^>]*href="/api/export"[^>]*>Download everything</a>', page)
    document = api(source, "GET", "/api/export").content
    target = Stack(web_server="lighttpd")
    try:
        done = requests.post(target.url + "/settings/import", files={"document": ("attendance.json", document, "application/json")},
                             headers={"Origin": target.url}, timeout=60)
        assert done.status_code == 200 and "Imported: 10320 heartbeats, 3 entries, 2 corrections" in done.text
        assert figures(target) == figures(source)
        refused = requests.post(target.url + "/settings/import", files={"document": ("attendance.json", document, "application/json")},
                                headers={"Origin": target.url}, timeout=60)
        assert refused.status_code == 409 and "Nothing was imported" in refused.text and 'id="document-error"' in refused.text
        assert refused.text.lower().count("nothing was imported") == 1  # said once, not twice
        assert figures(target) == figures(source)
    finally:
        target.stop()


def vm_hwm_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024


@pytest.mark.parametrize("web_server", ["nginx", "lighttpd"])
def test_years_of_history_stream_out_and_in_beyond_the_2_mib_limit_in_bounded_memory(web_server, tmp_path):
    from test_backup import seed
    database = tmp_path / "attendance.sqlite"
    seed(database, days=1000)  # 460,000 heartbeats: about 12 MB of document
    source = Stack(web_server=web_server, env={"DATABASE": str(database)})
    target = Stack(web_server=web_server)
    try:
        assert api(source, "POST", "/api/settings", {"period_start": "2023-01-02"}, headers={"Origin": source.url}).status_code == 200
        before = vm_hwm_mb(source.responder_pid())
        download = requests.get(source.url + "/api/export", timeout=120)
        assert download.status_code == 200 and len(download.content) > 8 * 1024 * 1024
        grown = vm_hwm_mb(source.responder_pid()) - before
        print(f"export of {len(download.content) / 1e6:.1f} MB: responder peak RSS +{grown:.1f} MB")
        assert grown < 15, "the export was held in memory"
        before = vm_hwm_mb(target.responder_pid())
        imported = requests.post(target.url + "/api/import", data=download.content, timeout=300,
                                 headers={"Origin": target.url, "Content-Type": "application/json"})
        assert imported.status_code == 200, imported.text[:500]
        assert imported.json()["heartbeats"] == len(download.json()["heartbeats"])
        grown = vm_hwm_mb(target.responder_pid()) - before
        print(f"import: responder peak RSS +{grown:.1f} MB")
        assert grown < 25, "the import was held in memory"
        window = "/api/days?from=2023-06-01&to=2026-06-01"
        assert api(target, "GET", window).json() == api(source, "GET", window).json()
        assert api(target, "GET", "/api/balance").json() == api(source, "GET", "/api/balance").json()
    finally:
        source.stop()
        target.stop()
