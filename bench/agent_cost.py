#!/usr/bin/env python3
"""One heartbeat POST by attendance-agent next to curl doing the same POST, measured
in the same run: CPU time (user + system) and peak RSS per run, median of N runs each,
interleaved so that both see the same machine load.

usage: agent_cost.py AGENT_BINARY URL TOKEN [RUNS]"""
import os
import statistics
import sys
import tempfile


def measure(argv, env):
    """CPU seconds and max RSS (KiB) of one run of argv."""
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execvpe(argv[0], argv, env)
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[0]} failed with {os.waitstatus_to_exitcode(status)}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main():
    agent, url, token = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    home = tempfile.mkdtemp(prefix="agent-bench-")
    env = dict(os.environ, HOME=home, HEARTBEAT_URL=url, BEARER_TOKEN=token)
    env.pop("http_proxy", None)
    env.pop("HTTP_PROXY", None)
    curl = ["curl", "-s", "-o", "/dev/null", "--fail", "-X", "POST", "-H", f"Authorization: Bearer {token}",
            "-H", "Content-Type: application/json", "-d", '{"host":"bench"}', url]
    results = {"agent": [], "curl": []}
    for _ in range(runs):
        results["agent"].append(measure([agent], env))
        results["curl"].append(measure(curl, env))
    summary = {}
    for name, samples in results.items():
        cpu = statistics.median(s[0] for s in samples) * 1000
        rss = statistics.median(s[1] for s in samples) / 1024
        peak = max(s[1] for s in samples) / 1024
        summary[name] = (cpu, rss, peak)
        print(f"{name:6} cpu {cpu:6.2f} ms/run (median of {runs})   max RSS {rss:5.1f} MB median, {peak:5.1f} MB peak")
    ratio = summary["agent"][0] / summary["curl"][0]
    print(f"agent/curl cpu ratio {ratio:.2f} (goal <= 1.25); agent RSS goal <= 16 MB")
    print(f"agent_cpu_ms={summary['agent'][0]:.2f} curl_cpu_ms={summary['curl'][0]:.2f} agent_cpu_ratio={ratio:.2f} "
          f"agent_rss_mb={summary['agent'][1]:.1f} curl_rss_mb={summary['curl'][1]:.1f}")


if __name__ == "__main__":
    main()
