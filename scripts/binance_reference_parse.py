#!/usr/bin/env python3
"""Independent parse of Binance USD-M stream captures, for parity with `tickline parse`.

Reads the capture format of ../shared/data/binance-usdm-capture (`<local_ns> <json>` lines, gzip or
plain) with the standard `json` module and `decimal`, and prints, per message, the fields the
engine keeps as JSON lines in the same shape as `tickline parse --capture`: decimals as strings
quantized to the symbol's scale (exact for trade/book/kline prices and quantities, half-even for
mark/index prices and quote volumes, which carry extra digits), times and ids as integers.

    binance_reference_parse.py FILE [--symbol NAME:PRICE_DECIMALS:QTY_DECIMALS ...]
"""
import gzip
import json
import sys
from decimal import ROUND_HALF_EVEN, Decimal


def scales_from(args):
    scales = {}
    for spec in args or ["BTCUSDT:2:3", "ETHUSDT:2:3"]:
        name, p, q = spec.split(":")
        scales[name] = (int(p), int(q))
    return scales


def fmt(text, places, exact=True):
    d = Decimal(text)
    q = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    if exact and q != d:
        raise ValueError(f"{text} has more than {places} decimals")
    return f"{q:.{places}f}"


def reference(obj, scales):
    if "lastUpdateId" in obj and "bids" in obj:
        return {"e": "depthSnapshot", "lastUpdateId": obj["lastUpdateId"], "E": obj["E"], "T": obj["T"]}
    if "result" in obj and "id" in obj:
        return {"e": "reply", "id": obj["id"]}
    d = obj.get("data", obj)
    e = d["e"]
    if e in ("24hrTicker", "24hrMiniTicker", "forceOrder", "continuous_kline"):
        return None
    p, q = scales[d["s"]]
    if e in ("trade", "aggTrade"):
        out = {"e": e, "E": d["E"], "T": d["T"], "s": d["s"]}
        out["a" if e == "aggTrade" else "t"] = d["a" if e == "aggTrade" else "t"]
        out.update({"p": fmt(d["p"], p), "q": fmt(d["q"], q), "m": d["m"]})
        return out
    if e == "bookTicker":
        return {"e": e, "E": d["E"], "s": d["s"], "u": d["u"], "b": fmt(d["b"], p), "B": fmt(d["B"], q),
                "a": fmt(d["a"], p), "A": fmt(d["A"], q)}
    if e == "markPriceUpdate":
        return {"e": e, "E": d["E"], "s": d["s"], "p": fmt(d["p"], p, False), "i": fmt(d["i"], p, False),
                "r": fmt(d["r"], 8), "T": d["T"]}
    if e == "kline":
        k = d["k"]
        return {"e": e, "E": d["E"], "s": d["s"], "i": k["i"], "t": k["t"], "o": fmt(k["o"], p), "h": fmt(k["h"], p),
                "l": fmt(k["l"], p), "c": fmt(k["c"], p), "v": fmt(k["v"], q), "q": fmt(k["q"], p, False),
                "V": fmt(k["V"], q), "n": k["n"], "x": k["x"]}
    if e == "depthUpdate":
        return {"e": e, "E": d["E"], "T": d["T"], "s": d["s"], "U": d["U"], "u": d["u"], "pu": d["pu"]}
    raise ValueError(f"unknown event {e}")


def main(argv):
    path = argv[0]
    scales = scales_from([a for i, a in enumerate(argv) if i > 0 and argv[i - 1] == "--symbol"])
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rt") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            _, payload = line.split(" ", 1)
            ref = reference(json.loads(payload), scales)
            if ref is not None:
                print(json.dumps(ref, separators=(",", ":")))


if __name__ == "__main__":
    main(sys.argv[1:])
