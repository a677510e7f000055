"""Control-plane benchmarks (issue 8), all on loopback:

1. WebSocket fan-out: `tickline bench control` (the control plane over a made-up state) with
   CLIENTS clients (Python `websockets`, one asyncio process); the server broadcasts MESSAGES
   stamped messages (`t_ns` = CLOCK_MONOTONIC); each client takes `time.monotonic_ns()` (the same
   clock) on receipt. Delivery latency percentiles over every (client, message), and the count lost.
2. REST reads under wrk (cached reads: positions, portfolio, prices) against the same server.
3. /metrics scrape latency with wrk (one connection, sequential scrapes) on a real engine
   (`tickline run` paper trading on the in-process simulator: the full metric set).

Usage: control-bench.py TICKLINE_BINARY [--clients 1000] [--messages 100] [--interval-us 10000]
Needs wrk (Debian) and the websockets package (the ccxt venv). Prints a table.
"""
import argparse
import asyncio
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time

import websockets


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100 * (len(sorted_values) - 1)))))
    return sorted_values[k]


def wrk(url, token, connections, threads, seconds):
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if token:
        cmd[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    dist = dict(re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+\w+)", out, re.M))
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return dist, rps, int(non2xx.group(1)) if non2xx else 0


async def fanout(port, token, clients, messages, interval_us, server):
    latencies = []
    received = [0] * clients
    ready = asyncio.Event()
    connected = 0

    async def client(i):
        nonlocal connected
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws?token={token}", max_queue=None,
                                      ping_interval=None, open_timeout=60) as ws:
            first = json.loads(await ws.recv())
            assert first["type"] == "connected"
            connected += 1
            if connected == clients:
                ready.set()
            async for raw in ws:
                now = time.monotonic_ns()
                m = json.loads(raw)
                if m.get("type") == "bench":
                    latencies.append(now - m["t_ns"])
                    received[i] += 1
                    if received[i] == messages:
                        return
                elif m.get("type") == "ping":
                    await ws.send(json.dumps({"type": "pong", "id": m["id"]}))

    tasks = [asyncio.create_task(client(i)) for i in range(clients)]
    await asyncio.wait_for(ready.wait(), 120)
    server.stdin.write(f"broadcast {messages} {interval_us}\n")
    server.stdin.flush()
    start = time.monotonic()
    done, pending = await asyncio.wait(tasks, timeout=60)
    elapsed = time.monotonic() - start
    for t in pending:
        t.cancel()
    return sorted(latencies), sum(received), elapsed


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
        lat, got, elapsed = asyncio.run(fanout(int(port), token, a.clients, a.messages, a.interval_us, server))
        expected = a.clients * a.messages
        us = lambda ns: f"{ns / 1000:.0f} µs"
        rows.append((f"WebSocket fan-out, {a.clients} clients × {a.messages} messages",
                     f"p50 {us(percentile(lat, 50))}, p99 {us(percentile(lat, 99))}, "
                     f"p99.9 {us(percentile(lat, 99.9))}, max {us(lat[-1] if lat else 0)}",
                     f"{expected - got} lost of {expected}"))
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
