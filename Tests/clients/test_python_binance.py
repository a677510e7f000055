"""python-binance against the simulator: only FUTURES_URL and the socket manager's FSTREAM_URL are
pointed at it."""
import asyncio

import pytest
from binance import AsyncClient, BinanceSocketManager
from binance.client import Client
from binance.exceptions import BinanceAPIException


def make_client(sim):
    c = Client("demo-key", "demo-secret", ping=False)
    c.FUTURES_URL = sim.http + "/fapi"
    return c


def test_rest(sim):
    c = make_client(sim)
    assert c.futures_ping() == {}
    server_time = c.futures_time()["serverTime"]
    assert server_time > 1_600_000_000_000
    info = c.futures_exchange_info()
    btc = next(s for s in info["symbols"] if s["symbol"] == "BTCUSDT")
    assert {f["filterType"] for f in btc["filters"]} >= {"PRICE_FILTER", "LOT_SIZE", "MARKET_LOT_SIZE", "MIN_NOTIONAL"}
    klines = c.futures_klines(symbol="BTCUSDT", interval="1m", limit=3)
    assert 1 <= len(klines) <= 3 and len(klines[0]) == 12
    assert float(c.futures_symbol_ticker(symbol="ETHUSDT")["price"]) > 0
    assert c.futures_change_leverage(symbol="ETHUSDT", leverage=5)["leverage"] == 5
    order = c.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.05")
    assert order["status"] == "FILLED" and order["executedQty"] == "0.050"
    queried = c.futures_get_order(symbol="ETHUSDT", orderId=order["orderId"])
    assert queried["status"] == "FILLED"
    positions = c.futures_position_information(symbol="ETHUSDT")
    assert float(positions[0]["positionAmt"]) == 0.05
    account = c.futures_account()
    assert float(account["totalWalletBalance"]) < 10_000  # taker fee paid
    with pytest.raises(BinanceAPIException) as e:
        c.futures_create_order(symbol="NOPEUSDT", side="BUY", type="MARKET", quantity="1")
    assert e.value.code == -1121
    bad = Client("demo-key", "wrong-secret", ping=False)
    bad.FUTURES_URL = sim.http + "/fapi"
    with pytest.raises(BinanceAPIException) as e:
        bad.futures_account()
    assert e.value.code == -1022


def test_streams(sim):
    async def run():
        # The constructor, not AsyncClient.create(), which would ping the real spot API first.
        client = AsyncClient("demo-key", "demo-secret")
        client.FUTURES_URL = sim.http + "/fapi"
        bm = BinanceSocketManager(client)
        bm.FSTREAM_URL = sim.ws + "/"
        try:
            async with bm.kline_futures_socket("BTCUSDT") as stream:
                msg = await asyncio.wait_for(stream.recv(), 10)
                assert msg["e"] == "continuous_kline" and msg["ps"] == "BTCUSDT" and msg["ct"] == "PERPETUAL"
                assert msg["k"]["i"] == "1m" and float(msg["k"]["l"]) <= float(msg["k"]["h"])
            async with bm.futures_user_socket() as user:
                await asyncio.sleep(0.5)
                await client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.003")
                seen = []
                for _ in range(5):
                    m = await asyncio.wait_for(user.recv(), 10)
                    seen.append(m.get("e"))
                    if "ORDER_TRADE_UPDATE" in seen and "ACCOUNT_UPDATE" in seen:
                        break
                assert "ORDER_TRADE_UPDATE" in seen and "ACCOUNT_UPDATE" in seen
        finally:
            await client.close_connection()
    asyncio.run(run())
