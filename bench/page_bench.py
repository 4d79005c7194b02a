#!/usr/bin/env python3
"""A phone's first look at the dashboard: headless Chromium at 390 px, the network
throttled to 1.6 Mbit/s and 150 ms round trips (CDP Network.emulateNetworkConditions),
the cache off (every load cold). For each of N loads: the bytes transferred (headers
included, the page and everything it loads) and the time until the load event, when the
figures and both charts (SVG in the page) are on screen. Prints the medians; the last
line is key=value.

usage: page_bench.py URL [LOADS]"""
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "Tests/integration"))
from test_pages import make_driver  # noqa: E402


def main():
    url = sys.argv[1]
    loads = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    driver = make_driver(True)
    driver.set_window_size(390, 844)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 1_600_000 / 8})
    sizes, times = [], []
    try:
        for _ in range(loads):
            driver.get("about:blank")
            driver.get(url + "/dashboard")
            figures = driver.execute_script("""
                const nav = performance.getEntriesByType('navigation')[0];
                const resources = performance.getEntriesByType('resource');
                return [nav.transferSize + resources.reduce((sum, r) => sum + r.transferSize, 0), nav.loadEventEnd,
                        document.querySelectorAll('#daily-chart g.bar').length,
                        document.querySelector('#balance-chart polyline') !== null];""")
            transferred, loaded, bars, line = figures
            assert bars == 28 and line, "the charts were not drawn"
            sizes.append(transferred)
            times.append(loaded)
    finally:
        driver.quit()
    size, time = statistics.median(sizes), statistics.median(times)
    print(f"cold /dashboard at 390 px, 1.6 Mbit/s and 150 ms: {size / 1024:.1f} KB transferred (goal <= 40 KB), "
          f"figures and charts on screen after {time:.0f} ms (goal <= 800 ms), median of {loads}")
    print(f"dashboard_cold_kb={size / 1024:.1f} dashboard_throttled_ms={time:.0f}")


if __name__ == "__main__":
    main()
