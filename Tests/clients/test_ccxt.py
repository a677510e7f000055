"""ccxt (binanceusdm, and ccxt.pro for streams) against the simulator, unmodified: only the URLs
are pointed at it, as a user would do."""
import asyncio
import time

import ccxt
import ccxt.pro
import pytest

SYMBOL = "BTC/USDT:USDT"


def point_at(exchange, sim):
    for key, url in list(exchange.urls["api"].items()):
        if isinstance(url, str) and url.startswith("https://fapi.binance.com"):
            exchange.urls["api"][key] = url.replace("https://fapi.binance.com", sim.http)
    if "ws" in exchange.urls["api"]:
        exchange.urls["api"]["ws"]["linear"] = sim.ws + "/ws"   # ccxt rewrites to /public|/market|/private
    return exchange


def client(sim, cls=ccxt.binanceusdm):
    return point_at(cls({
        "apiKey": "demo-key", "secret": "demo-secret", "enableRateLimit": False,
        "options": {"fetchCurrencies": False, "defaultType": "future"},
    }), sim)


def test_public_market_data(sim):
    ex = client(sim)
    markets = ex.load_markets()
    assert SYMBOL in markets and "ETH/USDT:USDT" in markets
    m = markets[SYMBOL]
    assert m["precision"]["price"] == 0.1 and m["precision"]["amount"] == 0.001
    assert m["limits"]["cost"]["min"] == 100
    ohlcv = ex.fetch_ohlcv(SYMBOL, "1m", limit=5)
    assert 1 <= len(ohlcv) <= 5
    for t, o, h, l, c, v in ohlcv:
        assert l <= min(o, c) <= max(o, c) <= h and t % 60_000 == 0
    ticker = ex.fetch_ticker(SYMBOL)
    assert ticker["last"] > 0 and ticker["symbol"] == SYMBOL
    book = ex.fetch_order_book(SYMBOL, limit=20)
    assert len(book["bids"]) == 20 and len(book["asks"]) == 20
    assert book["bids"][0][0] < book["asks"][0][0]
    funding = ex.fetch_funding_rate(SYMBOL)
    assert funding["markPrice"] > 0 and funding["fundingTimestamp"] % (8 * 3600_000) == 0


def test_account_and_orders(sim):
    ex = client(sim)
    ex.load_markets()
    balance = ex.fetch_balance()
    assert balance["USDT"]["total"] == 10_000
    assert ex.fetch_positions([SYMBOL]) == [] or all(p["contracts"] == 0 for p in ex.fetch_positions([SYMBOL]))
    ex.set_leverage(10, SYMBOL)
    ex.set_margin_mode("isolated", SYMBOL)
    with pytest.raises(ccxt.ExchangeError):
        ex.set_margin_mode("isolated", SYMBOL)  # -4046 No need to change margin type.

    book = ex.fetch_order_book(SYMBOL, limit=20)
    market = ex.create_order(SYMBOL, "market", "buy", 0.01)
    assert market["status"] == "closed" and market["filled"] == 0.01
    # The average fill price lies inside the ask side that was published.
    assert book["asks"][0][0] - 1 <= market["average"] <= book["asks"][-1][0] + 1

    positions = [p for p in ex.fetch_positions([SYMBOL]) if p["contracts"]]
    assert len(positions) == 1 and positions[0]["side"] == "long" and positions[0]["contracts"] == 0.01
    # v3 positionRisk (what fetch_positions reads) has no leverage field, as on Binance: read v2 raw.
    raw = ex.fapiPrivateV2GetPositionRisk({"symbol": "BTCUSDT"})
    assert raw[0]["leverage"] == "10" and raw[0]["marginType"] == "isolated"

    far = round(book["asks"][0][0] * 1.2, 1)
    limit = ex.create_order(SYMBOL, "limit", "sell", 0.01, far)
    assert limit["status"] == "open"
    fetched = ex.fetch_order(limit["id"], SYMBOL)
    assert fetched["price"] == far and fetched["remaining"] == 0.01
    assert [o["id"] for o in ex.fetch_open_orders(SYMBOL)] == [limit["id"]]
    canceled = ex.cancel_order(limit["id"], SYMBOL)
    assert canceled["status"] == "canceled"

    stop = ex.create_order(SYMBOL, "STOP_MARKET", "sell", 0.01, None,
                           {"triggerPrice": round(book["bids"][0][0] * 0.8, 1), "reduceOnly": True})
    assert stop["id"]
    trades = ex.fetch_my_trades(SYMBOL)
    assert len(trades) >= 1 and trades[-1]["side"] == "buy"

    with pytest.raises(ccxt.InvalidOrder):
        ex.create_order(SYMBOL, "limit", "buy", 0.0001, 100.0)  # below step size / min notional


def test_streams(sim):
    async def run():
        ex = client(sim, ccxt.pro.binanceusdm)
        try:
            await ex.load_markets()
            ohlcv = await asyncio.wait_for(ex.watch_ohlcv(SYMBOL, "1m"), 10)
            assert ohlcv and ohlcv[-1][4] > 0
            trades = await asyncio.wait_for(ex.watch_trades(SYMBOL), 10)
            assert trades and trades[-1]["price"] > 0
            watcher = asyncio.ensure_future(ex.watch_orders(SYMBOL))
            await asyncio.sleep(1.0)
            rest = client(sim)
            rest.load_markets()
            rest.create_order(SYMBOL, "market", "buy", 0.003)
            orders = await asyncio.wait_for(watcher, 10)
            assert orders and orders[-1]["symbol"] == SYMBOL
        finally:
            await ex.close()
    asyncio.run(run())
