#!/usr/bin/env python3
"""Expected signal sequence for TicklineStrategyTests, from TA-Lib indicators and a second,
independent implementation of the rule strategies and the combiner.

Reads the 5m kline series BTCUSDT-PERP-5m-20230102-20230209.csv (../shared/data/klines/), builds
the 4h candles from it by epoch-aligned aggregation, computes every indicator the strategies read
with TA-Lib (not with the engine's indicator code, and not from indicator_reference.py's output),
evaluates the five strategies and the combiner at every 5m close, and writes OUT (default
.build/strategy-reference/BTCUSDT-PERP-5m-signals.csv), one row per evaluation after warm-up:

    open_time_ms,direction,score,confidence,agreement,entry,stop_loss,take_profit,risk_reward,
    atr_fraction,stop_distance_fraction,trend,volatility,volume,reason,
    rsi,rsi_reason,macd,macd_reason,bollinger,bollinger_reason,trend_score,trend_reason,
    volume_score,volume_reason

plus manifest.json (versions, parameters, input checksum, counts). Nothing here is committed:
Tests/indicators/strategy-reference.sh (run by Tests/indicators/reference.sh, so by `make test`)
creates it before the Swift tests.

This file is the second statement of the definitions in Sources/TicklineStrategy/ (read the doc
comments there: StrategyConfiguration, RSIMeanReversion, MACDCrossover, BollingerStrategy,
EMATrendFilter, VolumeConfirmation, SignalCombiner). It is written from those definitions, not
translated from the Swift code, and keeps their arithmetic order so that numbers agree to the
last bits and only TA-Lib's own differences from the engine's indicators (~1e-13) remain.

Timing, as the engine: the 5m candle with open time t closes at t + 5m. At that close the 5m
indicators include it; the 4h snapshot is the latest 4h candle closed by then (a 4h bucket closes
with its last 5m candle, so the bucket ending at t + 5m is included). The first 4h bucket of the
file is partial (the file starts at 16:45): it is still a closed 4h candle, as CandleAggregator
emits it. The previous snapshot (MACD crossover, volume direction) is candle i - 1.

Numbers are written in repr form (shortest round-trip) so the Swift side reads the exact doubles;
directions long/short/neutral; enums and reasons by name (the engine's render names).
"""

import argparse
import csv
import hashlib
import importlib.metadata
import json
import math
import os
import sys

import numpy as np
import talib

SERIES_FILE = "BTCUSDT-PERP-5m-20230102-20230209.csv"
TRADING_MS = 300_000
TREND_MS = 14_400_000

# Indicator periods: IndicatorConfiguration.standard (both the 5m and the 4h bank).
RSI_PERIOD = 14
MACD = (12, 26, 9)
BOLLINGER = (20, 2.0)
ATR_PERIOD = 14
ADX_PERIOD = 14
EMA_PERIOD = 20
VOLUME_PERIOD = 20

# StrategyConfiguration() defaults: keep in sync with Sources/TicklineStrategy/StrategyConfiguration.swift.
CONFIG = dict(
    # slot order: rsi, macd, bollinger, trend, volume
    enabled=dict(rsi=True, macd=True, bollinger=True, trend=True, volume=True),
    weights=dict(rsi=1.0, macd=1.0, bollinger=1.0, trend=1.0, volume=0.5),
    rsi_oversold=30.0, rsi_overbought=70.0, rsi_full_scale=20.0,
    macd_atr_scale=0.5,
    bollinger_mode="adaptive", bollinger_full_scale=0.5, adx_trend_level=25.0,
    trend_atr_scale=1.0, trend_level=0.25, strong_trend_level=0.75, trend_veto_level=0.25,
    volume_confirm_ratio=1.5, volume_full_ratio=3.0, volume_low_ratio=0.5,
    min_confidence=0.3, min_agreement=0.5,
    stop_atr=1.5, take_profit_atr=3.0,
    volatility_low=0.001, volatility_high=0.003, volatility_extreme=0.006,
)

SLOTS = ["rsi", "macd", "bollinger", "trend", "volume"]


def clamp(x, lo, hi):
    return min(max(x, lo), hi)


# ---------------------------------------------------------------------------------------------
# Strategies: each returns (score, reason) or None (not warmed up: no score).


def rsi_mean_reversion(c, rsi):
    if math.isnan(rsi):
        return None
    if rsi <= c["rsi_oversold"]:
        return 0.5 + 0.5 * min(1.0, (c["rsi_oversold"] - rsi) / c["rsi_full_scale"]), "rsiOversold"
    if rsi >= c["rsi_overbought"]:
        return -(0.5 + 0.5 * min(1.0, (rsi - c["rsi_overbought"]) / c["rsi_full_scale"])), "rsiOverbought"
    return 0.0, "rsiNeutral"


def macd_crossover(c, hist, previous_hist, atr):
    if math.isnan(hist) or math.isnan(previous_hist) or math.isnan(atr):
        return None
    if not atr > 0:
        return 0.0, "macdNoRange"
    m = clamp(hist / (c["macd_atr_scale"] * atr), -1.0, 1.0)
    if previous_hist <= 0 and hist > 0:
        return 0.5 + 0.5 * abs(m), "macdBullishCross"
    if previous_hist >= 0 and hist < 0:
        return -(0.5 + 0.5 * abs(m)), "macdBearishCross"
    if hist > 0:
        return 0.5 * m, "macdAboveSignal"
    if hist < 0:
        return 0.5 * m, "macdBelowSignal"
    return 0.0, "macdFlat"


def bollinger(c, close, upper, middle, adx):
    mode = c["bollinger_mode"]
    if math.isnan(upper) or (mode == "adaptive" and math.isnan(adx)):
        return None
    half_width = upper - middle
    if not half_width > 0:
        return 0.0, "bandsFlat"
    p = (close - middle) / half_width
    if abs(p) < 1.0:
        return 0.0, "insideBands"
    strength = min(1.0, 0.5 + 0.5 * ((abs(p) - 1.0) / c["bollinger_full_scale"]))
    breakout = mode == "breakout" or (mode == "adaptive" and adx >= c["adx_trend_level"])
    if breakout:
        return (strength, "breakoutUp") if p > 0 else (-strength, "breakoutDown")
    return (-strength, "reversionFromUpper") if p > 0 else (strength, "reversionFromLower")


def ema_trend(c, close, ema4h, atr4h):
    if math.isnan(ema4h) or math.isnan(atr4h):
        return None
    if not atr4h > 0:
        return 0.0, "trendNoRange"
    t = clamp((close - ema4h) / (c["trend_atr_scale"] * atr4h), -1.0, 1.0)
    if t >= c["trend_level"]:
        return t, "trendUp"
    if t <= -c["trend_level"]:
        return t, "trendDown"
    return t, "trendSideways"


def volume_confirmation(c, ratio, close, previous_close):
    if math.isnan(ratio) or math.isnan(previous_close):
        return None
    if ratio < c["volume_confirm_ratio"]:
        return 0.0, "volumeUnconfirmed"
    strength = 0.5 + 0.5 * min(1.0, (ratio - c["volume_confirm_ratio"]) /
                               (c["volume_full_ratio"] - c["volume_confirm_ratio"]))
    if close > previous_close:
        return strength, "volumeConfirmsUp"
    if close < previous_close:
        return -strength, "volumeConfirmsDown"
    return 0.0, "volumeNoDirection"


# ---------------------------------------------------------------------------------------------
# Combiner


def market_trend(c, trend):
    if trend is None:
        return "unknown"
    t = trend[0]
    if t >= c["strong_trend_level"]:
        return "strongUp"
    if t >= c["trend_level"]:
        return "up"
    if t <= -c["strong_trend_level"]:
        return "strongDown"
    if t <= -c["trend_level"]:
        return "down"
    return "sideways"


def volatility_regime(c, atr_fraction):
    if atr_fraction < c["volatility_low"]:
        return "low"
    if atr_fraction < c["volatility_high"]:
        return "normal"
    if atr_fraction < c["volatility_extreme"]:
        return "high"
    return "extreme"


def volume_state(c, ratio):
    if math.isnan(ratio):
        return "unknown"
    if ratio < c["volume_low_ratio"]:
        return "low"
    if ratio < c["volume_confirm_ratio"]:
        return "normal"
    if ratio < c["volume_full_ratio"]:
        return "high"
    return "spike"


def combine(c, scores, close, atr, volume_ratio):
    """scores: slot -> (score, reason) or None, for every slot. Returns a dict, or None while an
    enabled strategy (weighted or not) or the ATR is still warming up."""
    enabled = [s for s in SLOTS if c["enabled"][s]]
    if math.isnan(atr) or any(scores[s] is None for s in enabled):
        return None
    active = [s for s in enabled if c["weights"][s] > 0]
    total_weight = 0.0
    weighted = 0.0
    bull = 0.0
    bear = 0.0
    for s in active:
        w = c["weights"][s]
        x = scores[s][0]
        total_weight += w
        weighted += w * x
        if x > 0:
            bull += w * x
        elif x < 0:
            bear += w * -x
    score = weighted / total_weight
    confidence = abs(score)
    agreement = abs(bull - bear) / (bull + bear) if bull + bear > 0 else 0.0
    trend = scores["trend"] if c["enabled"]["trend"] else None
    if score == 0:
        direction, reason = "neutral", "noOpinion"
    elif confidence < c["min_confidence"]:
        direction, reason = "neutral", "lowConfidence"
    elif agreement < c["min_agreement"]:
        direction, reason = "neutral", "conflict"
    elif trend is not None and score > 0 and trend[0] <= -c["trend_veto_level"]:
        direction, reason = "neutral", "counterTrend"
    elif trend is not None and score < 0 and trend[0] >= c["trend_veto_level"]:
        direction, reason = "neutral", "counterTrend"
    elif not atr > 0:
        direction, reason = "neutral", "noRange"
    elif score > 0:
        direction, reason = "long", "confirmed"
    else:
        direction, reason = "short", "confirmed"
    entry = close
    stop_loss = take_profit = risk_reward = stop_distance = 0.0
    if direction == "long":
        stop_loss = entry - c["stop_atr"] * atr
        take_profit = entry + c["take_profit_atr"] * atr
    elif direction == "short":
        stop_loss = entry + c["stop_atr"] * atr
        take_profit = entry - c["take_profit_atr"] * atr
    if direction != "neutral":
        risk = abs(entry - stop_loss)
        risk_reward = abs(take_profit - entry) / risk
        stop_distance = risk / entry
    atr_fraction = atr / entry
    return dict(direction=direction, score=score, confidence=confidence, agreement=agreement, entry=entry,
                stop_loss=stop_loss, take_profit=take_profit, risk_reward=risk_reward, atr_fraction=atr_fraction,
                stop_distance_fraction=stop_distance, trend=market_trend(c, trend),
                volatility=volatility_regime(c, atr_fraction), volume=volume_state(c, volume_ratio), reason=reason)


# ---------------------------------------------------------------------------------------------
# Input


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if rows[0][:6] != ["open_time_ms", "open", "high", "low", "close", "volume"]:
        sys.exit(f"{path}: unexpected header {rows[0]}")
    times = [int(r[0]) for r in rows[1:]]
    cols = [np.asarray([float(r[k]) for r in rows[1:]], dtype=np.float64) for k in range(1, 6)]
    for i in range(1, len(times)):
        if times[i] - times[i - 1] != TRADING_MS:
            sys.exit(f"{path}: gap or disorder at row {i + 2}; this reference assumes a gap-free file")
    return (times, *cols)


def aggregate(times, o, h, l, c, v):
    """4h buckets, epoch-aligned: open of the first 5m candle, extremes, last close, volumes summed
    in order. A bucket closes with the 5m candle that ends it (close time = bucket end), also when
    it began mid-bucket (the file's first one). Returns the buckets and, per bucket, the index of
    the 5m candle whose close closes it; a trailing bucket that never closes is left out."""
    buckets, closing_index = [], []
    current = None
    for i, t in enumerate(times):
        start = t - t % TREND_MS
        if current is None or current[0] != start:
            current = [start, o[i], h[i], l[i], c[i], v[i]]
        else:
            current[2] = max(current[2], h[i])
            current[3] = min(current[3], l[i])
            current[4] = c[i]
            current[5] = current[5] + v[i]
        if t + TRADING_MS == start + TREND_MS:
            buckets.append(current)
            closing_index.append(i)
            current = None
    cols = list(zip(*buckets))
    return [list(cols[0])] + [np.asarray(cols[k], dtype=np.float64) for k in range(1, 6)], closing_index


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=os.path.join(root, "..", "shared", "data", "klines"))
    parser.add_argument("--out", default=os.path.join(root, ".build", "strategy-reference"))
    args = parser.parse_args()
    for name in ("EMA", "RSI", "ATR", "ADX"):
        talib.set_unstable_period(name, 0)
    talib.set_compatibility(0)

    path = os.path.join(args.data, SERIES_FILE)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    times, o, h, l, c, v = load(path)
    n = len(times)

    rsi = talib.RSI(c, timeperiod=RSI_PERIOD)
    _, _, hist = talib.MACD(c, fastperiod=MACD[0], slowperiod=MACD[1], signalperiod=MACD[2])
    upper, middle, _ = talib.BBANDS(c, timeperiod=BOLLINGER[0], nbdevup=BOLLINGER[1], nbdevdn=BOLLINGER[1],
                                    matype=talib.MA_Type.SMA)
    atr = talib.ATR(h, l, c, timeperiod=ATR_PERIOD)
    adx = talib.ADX(h, l, c, timeperiod=ADX_PERIOD)
    volume_sma = talib.SMA(v, timeperiod=VOLUME_PERIOD)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(volume_sma == 0, 0.0, v / volume_sma)
    ratio[np.isnan(volume_sma)] = math.nan

    (t4, o4, h4, l4, c4, v4), closing = aggregate(times, o, h, l, c, v)
    ema4 = talib.EMA(c4, timeperiod=EMA_PERIOD)
    atr4 = talib.ATR(h4, l4, c4, timeperiod=ATR_PERIOD)

    cfg = CONFIG
    columns = ["open_time_ms", "direction", "score", "confidence", "agreement", "entry", "stop_loss", "take_profit",
               "risk_reward", "atr_fraction", "stop_distance_fraction", "trend", "volatility", "volume", "reason"]
    for s in SLOTS:
        columns += [s if s != "trend" and s != "volume" else s + "_score", s + "_reason"]
    rows = []
    counts = {"long": 0, "short": 0, "neutral": 0}
    bucket = -1  # index of the latest closed 4h bucket
    for i in range(n):
        while bucket + 1 < len(closing) and closing[bucket + 1] <= i:
            bucket += 1
        nan = math.nan
        scores = {
            "rsi": rsi_mean_reversion(cfg, rsi[i]),
            "macd": macd_crossover(cfg, hist[i], hist[i - 1] if i > 0 else nan, atr[i]),
            "bollinger": bollinger(cfg, c[i], upper[i], middle[i], adx[i]),
            "trend": ema_trend(cfg, c[i], ema4[bucket] if bucket >= 0 else nan, atr4[bucket] if bucket >= 0 else nan),
            "volume": volume_confirmation(cfg, ratio[i], c[i], c[i - 1] if i > 0 else nan),
        }
        for s in SLOTS:
            if not cfg["enabled"][s]:
                scores[s] = None
        result = combine(cfg, scores, c[i], atr[i], ratio[i])
        if result is None:
            continue
        counts[result["direction"]] += 1
        row = [str(times[i]), result["direction"]]
        row += [repr(float(result[k])) for k in ("score", "confidence", "agreement", "entry", "stop_loss",
                                                  "take_profit", "risk_reward", "atr_fraction",
                                                  "stop_distance_fraction")]
        row += [result[k] for k in ("trend", "volatility", "volume", "reason")]
        for s in SLOTS:
            score = scores[s]
            row += ["", ""] if score is None else [repr(float(score[0])), score[1]]
        rows.append(row)

    os.makedirs(args.out, exist_ok=True)
    target = os.path.join(args.out, "BTCUSDT-PERP-5m-signals.csv")
    with open(target + ".tmp", "w") as f:
        f.write(",".join(columns) + "\n")
        for row in rows:
            f.write(",".join(row) + "\n")
    os.replace(target + ".tmp", target)
    manifest = {
        "ta_lib_python": talib.__version__,
        "numpy": np.__version__,
        "series": {"file": SERIES_FILE, "sha256": digest, "candles": n, "trend_candles": len(t4)},
        "indicators": dict(rsi=RSI_PERIOD, macd=MACD, bollinger=BOLLINGER, atr=ATR_PERIOD, adx=ADX_PERIOD,
                           ema=EMA_PERIOD, volume=VOLUME_PERIOD),
        "configuration": cfg,
        "signals": len(rows),
        "first_signal_open_time_ms": int(rows[0][0]) if rows else None,
        "counts": counts,
    }
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"strategy reference: {n} candles, {len(rows)} signals ({counts['long']} long, {counts['short']} short, "
          f"{counts['neutral']} neutral)", file=sys.stderr)


if __name__ == "__main__":
    main()
