"""Control-plane benchmarks (issue 8), all on loopback:

1. WebSocket fan-out: `tickline bench control` (the control plane over a made-up state) with
   CLIENTS clients (`scripts/ws-fanout-client.c`: one epoll loop in C, so that the client is not
   what is measured); the server broadcasts MESSAGES messages stamped with CLOCK_MONOTONIC
   (`t_ns`), one every INTERVAL µs; the client takes the same clock on receipt. Delivery latency
   percentiles over every (client, message), and the count lost.
2. REST reads under wrk (cached reads: positions, portfolio, prices) against the same server.
3. /metrics scrape latency with wrk (one connection, sequential scrapes) on a real engine
   (`tickline run` paper trading on the in-process simulator: the full metric set).

Usage: control-bench.py TICKLINE_BINARY [--clients 1000] [--messages 100] [--interval-us 10000]
Needs wrk (Debian) and a C compiler. Prints a table.
"""
import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time



def wrk(url, token, connections, threads, seconds):
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if token:
        cmd[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    dist = dict(re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+\w+)", out, re.M))
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return dist, rps, int(non2xx.group(1)) if non2xx else 0


def fanout(binary_dir, port, token, clients, messages, interval_us, server):
    """The C client connected and ready, then the broadcast; its JSON result."""
    exe = os.path.join(binary_dir, "ws-fanout-client")
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ws-fanout-client.c")
    subprocess.run(["cc", "-O2", "-D_GNU_SOURCE", "-o", exe, src], check=True)
    client = subprocess.Popen([exe, str(port), token, str(clients), str(messages), "60"], stdout=subprocess.PIPE, text=True)
    assert client.stdout.readline().strip() == "ready"
    server.stdin.write(f"broadcast {messages} {interval_us}\n")
    server.stdin.flush()
    result = json.loads(client.stdout.readline())
    client.wait(timeout=10)
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--messages", type=int, default=100)
    ap.add_argument("--interval-us", type=int, default=10000)
    ap.add_argument("--seconds", type=int, default=10)
    a = ap.parse_args()

    server = subprocess.Popen([a.binary, "bench", "control"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    _, port, token = server.stdout.readline().split()
    rows = []
    try:
        r = fanout(tempfile.gettempdir(), int(port), token, a.clients, a.messages, a.interval_us, server)
        us = lambda ns: f"{ns / 1000:.0f} µs"
        rows.append((f"WebSocket fan-out, {a.clients} clients × {a.messages} messages, one per {a.interval_us} µs",
                     f"p50 {us(r['p50_ns'])}, p99 {us(r['p99_ns'])}, p99.9 {us(r['p999_ns'])}, max {us(r['max_ns'])}",
                     f"{r['lost']} lost of {r['expected']}"))
        server.stdin.write("stats\n")
        server.stdin.flush()
        for path in ["positions", "portfolio", "prices"]:
            dist, rps, bad = wrk(f"http://127.0.0.1:{port}/api/v1/{path}", token, 32, 2, a.seconds)
            rows.append((f"REST GET /api/v1/{path} (wrk -t2 -c32 -d{a.seconds}s)",
                         f"p50 {dist.get('50')}, p90 {dist.get('90')}, p99 {dist.get('99')}", f"{rps} req/s, {bad} non-2xx"))
    finally:
        try:
            server.stdin.write("quit\n")
            server.stdin.flush()
        except BrokenPipeError:
            pass
        server.wait(timeout=20)

    # /metrics on a real engine.
    env = dict(os.environ, TICKLINE_JWT_SECRET=secrets.token_hex(32), TICKLINE_API_KEY="demo-key",
               TICKLINE_API_SECRET="demo-secret")
    with tempfile.TemporaryDirectory() as d:
        engine = subprocess.Popen([a.binary, "run", "--layout", "split-2", "--idle", "yield", "--seconds", str(a.seconds + 40),
                                   "--store", f"{d}/store", "--port", "0", "--metrics-port", "0", "--sim-history", "30",
                                   "--config", "examples/paper-demo.toml"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        line = engine.stdout.readline()
        metrics = re.search(r"metrics http://127.0.0.1:(\d+)/metrics", line).group(1)
        time.sleep(15)  # some trading: latency histograms and counters fill
        subprocess.run(["wrk", "-t1", "-c1", "-d2s", f"http://127.0.0.1:{metrics}/metrics"], capture_output=True)  # warm-up
        import urllib.request
        text = urllib.request.urlopen(f"http://127.0.0.1:{metrics}/metrics").read().decode()
        families = text.count("# TYPE ")
        samples = sum(1 for l in text.splitlines() if l and not l.startswith("#"))
        dist, rps, bad = wrk(f"http://127.0.0.1:{metrics}/metrics", None, 1, 1, a.seconds)
        rows.append((f"/metrics scrape, full set ({families} families, {samples} samples, {len(text)} bytes; wrk -t1 -c1)",
                     f"p50 {dist.get('50')}, p90 {dist.get('90')}, p99 {dist.get('99')}", f"{rps} scrapes/s, {bad} non-2xx"))
        engine.terminate()
        engine.wait(timeout=60)

    width = max(len(r[0]) for r in rows)
    for name, latency, extra in rows:
        print(f"{name.ljust(width)}  {latency}  ({extra})")


if __name__ == "__main__":
    main()
