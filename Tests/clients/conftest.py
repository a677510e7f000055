"""Starts `tickline sim` on a free loopback port for the real-client suites and stops it after.

The binary comes from $TICKLINE_BIN (default: .build/debug/tickline). Every suite talks to
127.0.0.1 only.
"""
import os
import pathlib
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("TICKLINE_BIN", str(ROOT / ".build" / "debug" / "tickline"))


class Sim:
    def __init__(self, *args):
        self.proc = subprocess.Popen(
            [BINARY, "sim", "--host", "127.0.0.1", "--port", "0", "--seed", "7", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on http://"):
            self.proc.kill()
            raise RuntimeError(f"tickline sim did not start: {line!r} {self.proc.stderr.read()[:2000]}")
        self.http = line[len("listening on "):]
        self.ws = self.http.replace("http://", "ws://")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def sim():
    s = Sim()
    time.sleep(0.3)  # let the market take a few steps so there are trades and candles
    yield s
    s.stop()
