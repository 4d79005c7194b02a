"""A light dashboard: text compressed for browsers that ask, the static files under
versioned URLs kept for a year, and a cold dashboard well under 40 KB on the wire, through
nginx and through lighttpd."""
import gzip
import re
import socket
from datetime import date, timedelta

import requests

from conftest import ROOT


def fetch(stack, path, encoding="gzip"):
    """The response, with its body as it came over the wire (not decoded)."""
    response = requests.get(stack.url + path, headers={"Accept-Encoding": encoding}, stream=True)
    wire = response.raw.read(decode_content=False)
    return response, wire


def static_links(stack):
    page = requests.get(stack.url + "/dashboard").text
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', page)


def test_every_kind_of_text_goes_out_gzipped_and_decodes_to_the_same(any_server):
    stack = any_server
    stack.heartbeat(json={"heartbeats": [{"timestamp": f"2026-03-02T09:{m:02d}:00Z"} for m in range(60)]})
    links = static_links(stack)
    style = next(link for link in links if link.endswith("style.css"))
    script = next(link for link in links if link.endswith("app.js"))
    cases = [("/dashboard", "text/html"), ("/api/days?from=2026-01-01&to=2026-12-31", "application/json"),
             ("/export/days.csv?from=2026-03-01&to=2026-03-31", "text/csv"), (style, "text/css"),
             (script, "javascript"), ("/days/2026-03-02", "text/html")]
    for path, kind in cases:
        response, wire = fetch(stack, path)
        assert response.status_code == 200, path
        assert kind in response.headers["Content-Type"], (path, response.headers["Content-Type"])
        assert response.headers.get("Content-Encoding") == "gzip", path
        assert "Accept-Encoding" in response.headers.get("Vary", ""), path
        plain = requests.get(stack.url + path, headers={"Accept-Encoding": "identity"})
        assert plain.headers.get("Content-Encoding") in (None, "identity")
        assert gzip.decompress(wire) == plain.content, path
        assert len(wire) < len(plain.content), path


def test_the_day_timeline_and_the_charts_are_svg_compressed_with_the_page(any_server):
    response, wire = fetch(any_server, "/dashboard")
    page = gzip.decompress(wire).decode()
    assert page.count('<svg class="chart"') == 2 and "chart.min.js" not in page


def test_a_versioned_static_url_is_kept_a_year_and_names_its_contents(any_server):
    stack = any_server
    links = static_links(stack)
    assert len(links) == 3 and all(re.match(r"^/static/v/[0-9a-f]{12}/[a-z.]+$", link) for link in links), links
    for link in links:
        response, _ = fetch(stack, link)
        assert response.status_code == 200, link
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable", link
        name = link.rsplit("/", 1)[1]
        assert requests.get(stack.url + link).content == (ROOT / "htdocs" / name).read_bytes()
    # The version names the files: another one is another URL, served all the same
    # (a page cached before an upgrade still finds its stylesheet).
    other = re.sub(r"/v/[0-9a-f]{12}/", "/v/000000000000/", links[1])
    assert requests.get(stack.url + other).status_code == 200
    assert requests.get(stack.url + "/static/v/0123/style.css").status_code == 404
    assert requests.get(stack.url + "/static/v/000000000000/../token").status_code in (400, 404)


def raw_get(stack, path):
    """Every byte a browser would receive for `path` (headers included), gzip asked."""
    host, port = stack.url.split("//", 1)[1].split(":")
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept-Encoding: gzip, br\r\n"
                           "Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    return data


def test_a_cold_dashboard_with_a_year_of_history_is_under_40_kb(any_server):
    stack = any_server
    today = date.today()
    first = today - timedelta(days=365)
    beats = []
    for n in range(365):
        day = first + timedelta(days=n)
        if day.weekday() < 5:
            beats += [{"timestamp": f"{day}T08:{m:02d}:00Z"} for m in range(0, 60, 3)]
    for start in range(0, len(beats), 9000):
        assert stack.heartbeat(json={"heartbeats": beats[start:start + 9000]}).status_code == 200
    assert requests.post(stack.url + "/api/settings", json={"period_start": first.isoformat()}).status_code == 200
    total = len(raw_get(stack, "/dashboard")) + sum(len(raw_get(stack, link)) for link in static_links(stack))
    assert total <= 40 * 1024, f"{total} bytes"
