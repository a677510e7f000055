#!/usr/bin/env python3
"""Expected indicator values for TicklineIndicatorsTests, from TA-Lib and talipp.

Reads the real kline series in ../shared/data/klines/ and writes, per series and per parameter
set, one CSV of expected values to OUT (default .build/indicator-reference/):

    <series>.csv       the standard periods (the engine's defaults, and `tickline indicators`)
    <series>-alt.csv   other periods, to check that periods are really configurable

    BTC-PERP-1m-<5m|15m|1h|4h>-candles.csv   the 1m series aggregated, epoch-aligned
    BTC-PERP-1m-<5m|15m|1h|4h>.csv           standard-period values on those candles

plus manifest.json (library versions, parameters, input checksums). Nothing here is committed:
`Tests/indicators/reference.sh` creates the venv and runs this before the Swift tests.

Sources of truth:
  - TA-Lib (the PyPI `ta-lib` wheel, which bundles the C library): SMA, EMA, RSI, MACD, BBANDS
    (matype SMA, population standard deviation), ATR, STOCH (matype SMA for both smoothings),
    ADX, OBV, and SMA of the volume. Default compatibility mode, unstable periods 0.
  - talipp: session VWAP (TA-Lib has none). talipp's VWAP is cumulative with no sessions, so a
    fresh talipp VWAP runs over each session (epoch-aligned; the UTC day by default). talipp's
    OBV is checked to equal TA-Lib's.
  - volume ratio = volume / SMA(volume), 0 where the average is 0 (the engine's definition).

Input parsing: `open_time_ms,open,high,low,close,volume` files as they are; the nautilus
`timestamp,...` file (BTC-PERP-1m) has `YYYY-MM-DD HH:MM:SS.ffffff` UTC times, taken as the
candle's open time, as `tickline indicators` does. Values are Python floats of the CSV text.

Output: one row per candle; empty fields where the library has no value yet (warm-up); floats
in repr form (shortest round-trip), so the Swift side reads the exact doubles.
"""

import argparse
import csv
import datetime
import hashlib
import importlib.metadata
import json
import math
import os
import sys

import numpy as np
import talib
from talipp.indicators import OBV as TalippOBV
from talipp.indicators import VWAP as TalippVWAP
from talipp.ohlcv import OHLCV

SERIES = {
    "XRPUSDT-5m": "XRPUSDT-5m.csv",
    "BTCUSDT-PERP-5m": "BTCUSDT-PERP-5m-20230102-20230209.csv",
    "BTC-PERP-1m": "BTC-PERP-1m-2022-01.csv",
}

PARAMETERS = {
    "standard": dict(sma=20, ema=20, rsi=14, macd=(12, 26, 9), bollinger=(20, 2.0), atr=14, stochastic=(14, 3, 3),
                     adx=14, volume=20, vwap_session_ms=86_400_000),
    "alt": dict(sma=7, ema=9, rsi=7, macd=(5, 35, 5), bollinger=(10, 1.5), atr=5, stochastic=(9, 1, 4),
                adx=7, volume=10, vwap_session_ms=14_400_000),
}

COLUMNS = ["open_time_ms", "sma", "ema", "rsi", "macd", "macd_signal", "macd_hist", "bb_upper", "bb_middle",
           "bb_lower", "atr", "stoch_k", "stoch_d", "adx", "obv", "vwap", "volume_sma", "volume_ratio"]


def parse_time_ms(text):
    if text.isdigit():
        return int(text)
    t = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
    return int(round(t.timestamp() * 1000))


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    if header[:6] not in (["open_time_ms", "open", "high", "low", "close", "volume"],
                          ["timestamp", "open", "high", "low", "close", "volume"]):
        sys.exit(f"{path}: unexpected header {header}")
    times, o, h, l, c, v = [], [], [], [], [], []
    for r in rows[1:]:
        times.append(parse_time_ms(r[0]))
        o.append(float(r[1])); h.append(float(r[2])); l.append(float(r[3])); c.append(float(r[4])); v.append(float(r[5]))
    as_array = lambda xs: np.asarray(xs, dtype=np.float64)
    return times, as_array(o), as_array(h), as_array(l), as_array(c), as_array(v)


def session_vwap(times, o, h, l, c, v, session_ms):
    out = [math.nan] * len(times)
    start = 0
    while start < len(times):
        session = times[start] - times[start] % session_ms
        end = start
        while end < len(times) and times[end] - times[end] % session_ms == session:
            end += 1
        vwap = TalippVWAP(input_values=[OHLCV(o[i], h[i], l[i], c[i], v[i]) for i in range(start, end)])
        for i in range(start, end):
            value = vwap[i - start]
            out[i] = math.nan if value is None else float(value)
        start = end
    return out


def compute(times, o, h, l, c, v, p):
    fast, slow, signal = p["macd"]
    bb_period, deviations = p["bollinger"]
    fast_k, slow_k, slow_d = p["stochastic"]
    macd, macd_signal, macd_hist = talib.MACD(c, fastperiod=fast, slowperiod=slow, signalperiod=signal)
    upper, middle, lower = talib.BBANDS(c, timeperiod=bb_period, nbdevup=deviations, nbdevdn=deviations,
                                        matype=talib.MA_Type.SMA)
    stoch_k, stoch_d = talib.STOCH(h, l, c, fastk_period=fast_k, slowk_period=slow_k, slowk_matype=talib.MA_Type.SMA,
                                   slowd_period=slow_d, slowd_matype=talib.MA_Type.SMA)
    obv = talib.OBV(c, v)
    talipp_obv = TalippOBV(input_values=[OHLCV(o[i], h[i], l[i], c[i], v[i]) for i in range(len(c))])
    if [float(x) for x in obv] != [float(x) for x in talipp_obv]:
        sys.exit("TA-Lib and talipp disagree on OBV")
    volume_sma = talib.SMA(v, timeperiod=p["volume"])
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(volume_sma == 0, 0.0, v / volume_sma)
    ratio[np.isnan(volume_sma)] = math.nan
    return {
        "open_time_ms": times,
        "sma": talib.SMA(c, timeperiod=p["sma"]),
        "ema": talib.EMA(c, timeperiod=p["ema"]),
        "rsi": talib.RSI(c, timeperiod=p["rsi"]),
        "macd": macd, "macd_signal": macd_signal, "macd_hist": macd_hist,
        "bb_upper": upper, "bb_middle": middle, "bb_lower": lower,
        "atr": talib.ATR(h, l, c, timeperiod=p["atr"]),
        "stoch_k": stoch_k, "stoch_d": stoch_d,
        "adx": talib.ADX(h, l, c, timeperiod=p["adx"]),
        "obv": obv,
        "vwap": session_vwap(times, o, h, l, c, v, p["vwap_session_ms"]),
        "volume_sma": volume_sma,
        "volume_ratio": ratio,
    }


AGGREGATES = {"5m": 300_000, "15m": 900_000, "1h": 3_600_000, "4h": 14_400_000}


def aggregate(times, o, h, l, c, v, duration_ms, source_ms=60_000):
    """Epoch-aligned buckets of consecutive candles: open of the first, extremes, close of the
    last, volume summed in order. A trailing bucket without its last candle is left out (it is
    still in progress); earlier incomplete buckets are kept (a later one closed them)."""
    buckets = []
    for i, t in enumerate(times):
        start = t - t % duration_ms
        if buckets and buckets[-1][0] == start:
            b = buckets[-1]
            b[2] = max(b[2], h[i]); b[3] = min(b[3], l[i]); b[4] = c[i]; b[5] = b[5] + v[i]; b[6] = t
        else:
            buckets.append([start, o[i], h[i], l[i], c[i], v[i], t])
    if buckets and buckets[-1][6] + source_ms != buckets[-1][0] + duration_ms:
        buckets.pop()
    columns = list(zip(*buckets))
    as_array = lambda xs: np.asarray(xs, dtype=np.float64)
    return (list(columns[0]),) + tuple(as_array(columns[k]) for k in range(1, 6))


def write_values(target, columns, count):
    with open(target + ".tmp", "w") as f:
        f.write(",".join(COLUMNS) + "\n")
        for i in range(count):
            f.write(",".join(field(columns[k][i]) for k in COLUMNS) + "\n")
    os.replace(target + ".tmp", target)


def field(x):
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    return "" if math.isnan(x) else repr(x)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=os.path.join(root, "..", "shared", "data", "klines"))
    parser.add_argument("--out", default=os.path.join(root, ".build", "indicator-reference"))
    args = parser.parse_args()
    for name in ("EMA", "RSI", "ATR", "ADX"):  # the functions used here that have an unstable period
        talib.set_unstable_period(name, 0)
    talib.set_compatibility(0)  # TA_COMPATIBILITY_DEFAULT: EMA seeded with an SMA
    os.makedirs(args.out, exist_ok=True)
    manifest = {
        "ta_lib_python": talib.__version__,
        "ta_lib_c": talib.__ta_version__.decode() if isinstance(talib.__ta_version__, bytes) else talib.__ta_version__,
        "talipp": importlib.metadata.version("talipp"),
        "numpy": np.__version__,
        "parameters": PARAMETERS,
        "series": {},
    }
    for series, filename in SERIES.items():
        path = os.path.join(args.data, filename)
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        data = load(path)
        manifest["series"][series] = {"file": filename, "sha256": digest, "candles": len(data[0])}
        for label, params in PARAMETERS.items():
            columns = compute(*data, params)
            suffix = "" if label == "standard" else "-" + label
            write_values(os.path.join(args.out, series + suffix + ".csv"), columns, len(data[0]))
        if series == "BTC-PERP-1m":
            for label, duration_ms in AGGREGATES.items():
                candles = aggregate(*data, duration_ms)
                with open(os.path.join(args.out, f"{series}-{label}-candles.csv"), "w") as f:
                    f.write("open_time_ms,open,high,low,close,volume\n")
                    for i in range(len(candles[0])):
                        f.write(",".join(field(candles[k][i]) for k in range(6)) + "\n")
                write_values(os.path.join(args.out, f"{series}-{label}.csv"), compute(*candles, PARAMETERS["standard"]),
                             len(candles[0]))
        print(f"indicator reference: {series}: {len(data[0])} candles", file=sys.stderr)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
