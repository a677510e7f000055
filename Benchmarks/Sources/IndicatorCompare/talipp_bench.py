"""talipp (pure-Python streaming indicators) per-value cost on the same series IndicatorCompare
uses: each indicator is created empty and fed one candle at a time with `add`, as a streaming
engine would. Prints one JSON object: ns per value for each indicator, median over rounds.

Usage: talipp_bench.py CSV [rounds]   (run by IndicatorCompare with .build/venv-ta's python)
"""
import json
import statistics
import sys
import time

import talipp
from talipp.indicators import ADX, ATR, BB, EMA, MACD, OBV, RSI, SMA, Stoch
from talipp.ohlcv import OHLCV


def main():
    path = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    rows = [line.split(",") for line in open(path).read().split("\n")[1:] if line]
    closes = [float(r[4]) for r in rows]
    bars = [OHLCV(float(r[1]), float(r[2]), float(r[3]), float(r[4]), float(r[5])) for r in rows]
    cases = {
        "sma": (lambda: SMA(20), closes),
        "ema": (lambda: EMA(20), closes),
        "rsi": (lambda: RSI(14), closes),
        "macd": (lambda: MACD(12, 26, 9), closes),
        "bbands": (lambda: BB(20, 2.0), closes),
        "atr": (lambda: ATR(14), bars),
        "stoch": (lambda: Stoch(14, 3), bars),
        "obv": (lambda: OBV(), bars),
        "adx": (lambda: ADX(14, 14), bars),
    }
    result = {}
    for name, (make, values) in cases.items():
        samples = []
        for _ in range(rounds):
            ind = make()
            t0 = time.perf_counter_ns()
            for v in values:
                ind.add(v)
            samples.append((time.perf_counter_ns() - t0) / len(values))
        result[name] = statistics.median(samples)
    result["all"] = sum(result[n] for n in cases)
    result["talipp"] = talipp.__version__ if hasattr(talipp, "__version__") else "2.x"
    result["values"] = len(closes)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
