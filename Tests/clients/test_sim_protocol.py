"""The simulator's own protocol behaviour, with raw HTTP and WebSocket requests: Binance's auth
errors, rate limits (429 then 418), stream control messages, bad input and faults."""
import asyncio
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import websockets

from conftest import Sim


def request(sim, method, path, key=None, secret=None, sign=True, **params):
    query = urllib.parse.urlencode(params)
    if secret is not None and sign:
        query += ("&" if query else "") + "signature=" + hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    req = urllib.request.Request(f"{sim.http}{path}?{query}", method=method,
                                 headers={"X-MBX-APIKEY": key} if key else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


def now_ms():
    return int(time.time() * 1000)


def test_auth_errors(sim):
    assert request(sim, "GET", "/fapi/v2/balance", timestamp=now_ms())[2]["code"] == -2014
    assert request(sim, "GET", "/fapi/v2/balance", key="nobody", secret="x", timestamp=now_ms())[2]["code"] == -2015
    status, _, body = request(sim, "GET", "/fapi/v2/balance", key="demo-key", secret="wrong", timestamp=now_ms())
    assert (status, body["code"]) == (400, -1022)
    status, _, body = request(sim, "GET", "/fapi/v2/balance", key="demo-key", secret="demo-secret", timestamp=now_ms() - 60_000)
    assert (status, body["code"]) == (400, -1021)
    status, _, body = request(sim, "GET", "/fapi/v2/balance", key="demo-key", secret="demo-secret")
    assert body["code"] == -1102 and "timestamp" in body["msg"]
    status, headers, body = request(sim, "GET", "/fapi/v2/balance", key="demo-key", secret="demo-secret", timestamp=now_ms())
    assert status == 200 and body[0]["asset"] == "USDT" and int(headers["X-MBX-USED-WEIGHT-1m"]) >= 5


def test_bad_parameters(sim):
    def order(**p):
        return request(sim, "POST", "/fapi/v1/order", key="demo-key", secret="demo-secret", timestamp=now_ms(), **p)
    assert order(symbol="BTCUSDT", side="BUY", type="MARKET")[2]["code"] == -1102           # no quantity
    assert order(symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
                 price="43000.05")[2]["code"] == -4014                                       # off tick
    assert order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.0001")[2]["code"] in (-1111, -4003, -4023)
    assert order(symbol="BTCUSDT", side="BUY", type="STOP_MARKET", quantity="0.01",
                 stopPrice="40000")[2]["code"] == -4120                                     # algo endpoint only
    # Binance: newClientOrderId must be unique among *open* orders.
    status, _, body = order(symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
                            price="30000.0", newClientOrderId="dup-1")
    assert status == 200 and body["status"] == "NEW"
    assert order(symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
                 price="30000.0", newClientOrderId="dup-1")[2]["code"] == -4116
    status, _, body = request(sim, "GET", "/fapi/v1/nope")
    assert status == 404 and "code" in body


def test_stream_control_and_bad_frames(sim):
    async def run():
        async with websockets.connect(f"{sim.ws}/market/ws") as ws:
            await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade", "ethusdt@kline_1m"], "id": 1}))
            assert json.loads(await ws.recv()) == {"result": None, "id": 1}
            await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 2}))
            while True:
                m = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if m.get("id") == 2:
                    assert m["result"] == ["btcusdt@aggTrade", "ethusdt@kline_1m"]
                    break
            await ws.send("this is not json")
            while True:
                m = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if "error" in m:
                    break
            # A frame over the limit (64 KiB) closes the connection; the server stays up.
            await ws.send("x" * 200_000)
            with pytest.raises(websockets.ConnectionClosed):
                for _ in range(1000):
                    await asyncio.wait_for(ws.recv(), 5)
        assert request(sim, "GET", "/fapi/v1/ping")[0] == 200
    asyncio.run(run())


def test_rate_limit_429_then_418():
    sim = Sim("--weight-limit", "20")
    try:
        statuses = []
        for _ in range(40):
            status, headers, body = request(sim, "GET", "/fapi/v1/exchangeInfo")
            statuses.append(status)
            if status == 429:
                assert int(headers["Retry-After"]) >= 1 and body["code"] == -1003
            if status == 418:
                assert "banned until" in body["msg"]
                break
        assert statuses[:20] == [200] * 20 and 429 in statuses and statuses[-1] == 418
    finally:
        sim.stop()


def test_faults_and_listen_key_expiry(sim):
    async def run():
        key = request(sim, "POST", "/fapi/v1/listenKey", key="demo-key", secret=None)[2]["listenKey"]
        async with websockets.connect(f"{sim.ws}/private/ws?listenKey={key}") as user:
            await asyncio.sleep(0.2)
            assert request(sim, "POST", "/sim/faults", expire_listen_keys="true")[0] == 200
            m = json.loads(await asyncio.wait_for(user.recv(), 5))
            assert m["e"] == "listenKeyExpired" and m["listenKey"] == key
        async with websockets.connect(f"{sim.ws}/market/ws/btcusdt@aggTrade") as ws:
            await asyncio.wait_for(ws.recv(), 5)
            request(sim, "POST", "/sim/faults", drop_connections="now")
            with pytest.raises(websockets.ConnectionClosed):
                for _ in range(1000):
                    await asyncio.wait_for(ws.recv(), 5)
        request(sim, "POST", "/sim/faults", rest_error_fraction="1")
        assert request(sim, "GET", "/fapi/v1/time")[0] == 503
        request(sim, "POST", "/sim/faults", rest_error_fraction="0", force="429")
        assert request(sim, "GET", "/fapi/v1/time")[0] == 429
        request(sim, "POST", "/sim/faults", force="off")
        assert request(sim, "GET", "/fapi/v1/time")[0] == 200
    asyncio.run(run())
