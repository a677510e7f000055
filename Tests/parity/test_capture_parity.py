"""Capture parity: `tickline parse --capture` against an independent parse (Python json + decimal,
scripts/binance_reference_parse.py) on every message of the real captures in
../shared/data/binance-usdm-capture and on the documentation examples in
../shared/data/binance-messages/market_data_json."""
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
BINARY = os.environ.get("TICKLINE_BIN", str(ROOT / ".build" / "debug" / "tickline"))
REFERENCE = ROOT / "scripts" / "binance_reference_parse.py"


def both(path, symbols=()):
    args = [a for s in symbols for a in ("--symbol", s)]
    ours = subprocess.run([BINARY, "parse", "--capture", str(path), *args], capture_output=True, text=True, timeout=120)
    assert ours.returncode == 0, ours.stderr[-2000:]
    ref = subprocess.run([sys.executable, str(REFERENCE), str(path), *args], capture_output=True, text=True, timeout=300)
    assert ref.returncode == 0, ref.stderr[-2000:]
    return ours, [json.loads(l) for l in ours.stdout.splitlines()], [json.loads(l) for l in ref.stdout.splitlines()]


@pytest.mark.parametrize("name", ["btcusdt_20240808.gz", "ethusdt_20240808.gz"])
def test_capture_parity(name):
    path = SHARED / "binance-usdm-capture" / name
    ours, mine, theirs = both(path)
    assert len(theirs) > 70_000
    assert "0 malformed lines" in ours.stderr
    assert len(mine) == len(theirs)
    mismatches = [(i, a, b) for i, (a, b) in enumerate(zip(mine, theirs)) if a != b]
    assert mismatches == [], f"{len(mismatches)} of {len(theirs)} differ, first: {mismatches[:3]}"


def test_documentation_examples(tmp_path):
    capture = tmp_path / "examples.txt"
    lines = []
    for f in sorted((SHARED / "binance-messages" / "market_data_json").glob("*.json")):
        lines.append("0 " + json.dumps(json.loads(f.read_text()), separators=(",", ":")))
    capture.write_text("\n".join(lines) + "\n")
    # Documentation placeholders carry up to 8 decimals: parse them at scale 8.
    ours, mine, theirs = both(capture, ["BTCUSDT:8:8", "BNBUSDT:8:8"])
    assert "0 malformed lines" in ours.stderr
    assert mine == theirs and len(mine) >= 7


def test_malformed_input_is_counted_not_fatal(tmp_path):
    capture = tmp_path / "bad.txt"
    capture.write_text("\n".join([
        '1 {"stream":"btcusdt@trade","data":{"e":"trade","E":1,"T":1,"s":"BTCUSDT","t":1,"p":"1.00","q":"0.001","m":true}}',
        '2 {"stream":"btcusdt@trade","data":{"e":"trade","E":1,"T":1,"s":"BTCUSDT","t":1,"p":"1.00"',   # truncated
        '3 {"e":"trade","E":1,"T":1,"s":"NOPEUSDT","t":1,"p":"1.00","q":"1","m":true}',                 # unknown symbol
        '4 {"e":"trade","E":1,"T":1,"s":"BTCUSDT","t":1,"p":"1.005","q":"1","m":true}',                 # off scale
        '5 {"e":"trade","E":"x","T":1,"s":"BTCUSDT","t":1,"p":"1.00","q":"1","m":true}',                # bad number
        '6 not json at all',
        '7 {"e":"mystery","s":"BTCUSDT"}',
    ]) + "\n")
    out = subprocess.run([BINARY, "parse", "--capture", str(capture)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0
    assert len(out.stdout.splitlines()) == 1
    assert "parsed 1 messages, 6 malformed lines" in out.stderr
