"""Deterministic mode: a manual clock and a seed give byte-identical streams and fills. Two
simulators are driven through the same sequence (advance the clock, place orders) and everything
they send is compared byte for byte."""
import asyncio
import hashlib
import hmac
import json
import urllib.parse
import urllib.request

import websockets

from conftest import Sim

STREAMS = "btcusdt@aggTrade/btcusdt@kline_1m/ethusdt@markPrice@1s/btcusdt@kline_5m"
BOOK = "btcusdt@bookTicker/btcusdt@depth20@100ms/btcusdt@trade"


def call(sim, method, path, key=None, **params):
    query = urllib.parse.urlencode(params)
    if key:
        server = json.loads(urllib.request.urlopen(f"{sim.http}/fapi/v1/time", timeout=10).read())["serverTime"]
        query = urllib.parse.urlencode({**params, "timestamp": server})
        query += "&signature=" + hmac.new(b"demo-secret", query.encode(), hashlib.sha256).hexdigest()
    req = urllib.request.Request(f"{sim.http}{path}?{query}", method=method,
                                 headers={"X-MBX-APIKEY": key} if key else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read()


async def drive(sim):
    received = []
    listen_key = json.loads(urllib.request.urlopen(urllib.request.Request(
        f"{sim.http}/fapi/v1/listenKey", method="POST", headers={"X-MBX-APIKEY": "demo-key"}),
        timeout=10).read())["listenKey"]
    async with websockets.connect(f"{sim.ws}/market/stream?streams={STREAMS}") as market, \
            websockets.connect(f"{sim.ws}/public/stream?streams={BOOK}") as book, \
            websockets.connect(f"{sim.ws}/private/ws?listenKey={listen_key}") as user:
        fills = []
        for step in range(20):
            call(sim, "POST", "/sim/advance", ms=250)
            if step == 5:
                fills.append(call(sim, "POST", "/fapi/v1/order", key="demo-key", symbol="BTCUSDT", side="BUY",
                                  type="MARKET", quantity="0.010", newClientOrderId="det-1"))
            if step == 12:
                fills.append(call(sim, "POST", "/fapi/v1/order", key="demo-key", symbol="BTCUSDT", side="SELL",
                                  type="MARKET", quantity="0.004", newClientOrderId="det-2"))
        # Drain what the three connections got (bounded: they go quiet when the clock stops).
        for ws in (market, book, user):
            while True:
                try:
                    received.append(await asyncio.wait_for(ws.recv(), 0.5))
                except asyncio.TimeoutError:
                    break
        received += [f.decode() for f in fills]
        received.append(call(sim, "GET", "/sim/ledger").decode())
    return received


def test_same_seed_same_bytes():
    a, b = Sim("--manual-clock"), Sim("--manual-clock")
    try:
        first, second = asyncio.run(drive(a)), asyncio.run(drive(b))
    finally:
        a.stop()
        b.stop()
    assert len(first) > 50, "the run should produce a real stream"
    assert any('"e":"ORDER_TRADE_UPDATE"' in m for m in first)
    assert first == second
