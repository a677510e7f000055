#!/usr/bin/env python3
"""Generate Tests/TicklineCoreTests/Fixtures/fixedpoint-reference.tsv.

The expected values come from Python's `decimal` module (precision 60, well above the 38 digits
an Int64 x Int64 product needs), never from the Swift code under test. Deterministic (fixed seed):
rerun and `git diff` the fixture to review a change.

    python3 scripts/gen_fixedpoint_reference.py

Rows are tab-separated; the first field names the operation. `nil` means the Swift API returns
nil (for `divide`: reports overflow). Rules are `FixedPointRounding` case names; `exact` means no
rounding argument. Lines starting with '#' are comments.

    parse      places  rule  text  expected_raw|nil          Price.parse(text, scale:, rounding:)
    format     places  raw  expected_text                    Price(raw:).format(scale:into:)
    round      raw  increment  rule  expected_raw            rounded(toMultipleOf:_:)
    rescale    from_places  to_places  rule  raw  expected_raw|nil      rescaled(from:to:_:)
    notional   price_places  qty_places  result_places  rule  price_raw  qty_raw  expected_raw|nil
    divide     raw  divisor  rule  expected_raw|nil          dividedReportingOverflow(by:_:)
    increment  text  expected_places|nil                     DecimalScale(ofIncrement:)

Parse texts never contain tabs or newlines; a text may be empty.
"""

import random
import re
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal, getcontext
from pathlib import Path

getcontext().prec = 60

OUT = Path(__file__).resolve().parent.parent / "Tests/TicklineCoreTests/Fixtures/fixedpoint-reference.tsv"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
RULES = {
    "towardZero": ROUND_DOWN,
    "awayFromZero": ROUND_UP,
    "toNearestOrAwayFromZero": ROUND_HALF_UP,
    "toNearestOrEven": ROUND_HALF_EVEN,
}
# The accepted grammar, restated independently of the Swift parser (ASCII digits only: Python's
# Decimal() would also take whitespace, underscores, exponents and non-ASCII digits).
SYNTAX = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)", re.ASCII)
SCALES = list(range(9)) + [9, 12, 15, 17, 18]

rng = random.Random(20240611)
rows = []


def fits(n):
    return INT64_MIN <= n <= INT64_MAX


def to_integer(x, rule):
    return int(x.to_integral_value(rounding=RULES[rule]))


def show(n):
    return "nil" if n is None else str(n)


def random_raw(max_digits=19):
    digits = rng.randint(1, min(max_digits, 19))
    n = rng.randrange(10 ** (digits - 1) if digits > 1 else 0, min(10**digits, 2**63))
    return -n if rng.random() < 0.5 else n


def fmt(raw, places):
    text = "{:f}".format(Decimal(raw).scaleb(-places))
    # Cross-check with plain integer arithmetic: the two must agree before anything is written.
    whole, frac = divmod(abs(raw), 10**places)
    plain = ("-" if raw < 0 else "") + str(whole) + ("." + str(frac).zfill(places) if places else "")
    assert text == plain, (raw, places, text, plain)
    return text


# parse ------------------------------------------------------------------------------------------

def parse_ref(text, places, rule):
    if not SYNTAX.fullmatch(text):
        return None
    assert len(text) < 55, text
    x = Decimal(text).scaleb(places)
    if rule == "exact":
        if x != x.to_integral_value():
            return None
        n = int(x)
    else:
        n = to_integer(x, rule)
    return n if fits(n) else None


def add_parse(places, text, rules=("exact",)):
    for rule in rules:
        rows.append(("parse", str(places), rule, text, show(parse_ref(text, places, rule))))


ALL_RULES = ("exact",) + tuple(RULES)


def parse_variants(raw, places):
    text = fmt(raw, places)
    add_parse(places, text)
    point = "" if places else "."
    kind = rng.randrange(8)
    if kind == 0:
        add_parse(places, text + point + "0" * rng.randint(1, 12))  # extra zeros past the scale
    elif kind == 1:
        add_parse(places, text + point + "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 6))), ALL_RULES)
    elif kind == 2:
        add_parse(places, text + point + rng.choice(["5", "50", "5000", "50001", "49", "4999999", "51"]), ALL_RULES)
    elif kind == 3:
        sign = "-" if text.startswith("-") else rng.choice(["", "+"])
        add_parse(places, sign + "0" * rng.randint(1, 8) + text.lstrip("-"))  # leading zeros
    elif kind == 4 and places:
        add_parse(places, text.rstrip("0"))  # fewer fraction digits than the scale, maybe "5."
    elif kind == 5 and places and text.lstrip("-").startswith("0."):
        add_parse(places, text.replace("0.", ".", 1))  # ".05"
    elif kind == 6:
        add_parse(places, ("+" + text) if raw >= 0 else text)
    elif kind == 7:  # one nonzero digit just past the scale
        add_parse(places, text + point + "0" * rng.randint(0, 3) + rng.choice("123456789"), ALL_RULES)


for places in SCALES:
    count = 54 if places <= 8 else 22
    for _ in range(count):
        parse_variants(random_raw(), places)
    for _ in range(count // 4):  # small magnitudes, where the fraction layout matters most
        parse_variants(random_raw(max_digits=places + 2), places)
    # Bounds: the extreme raws, one unit past them, and ties just inside and outside.
    for raw in (INT64_MAX, INT64_MAX - 1, INT64_MIN, INT64_MIN + 1):
        text = fmt(raw, places)
        add_parse(places, text)
        add_parse(places, text + ("" if places else ".") + "5", ALL_RULES)
        add_parse(places, text + ("" if places else ".") + "4999", ALL_RULES)
        add_parse(places, text + ("" if places else ".") + "0000000")
    for raw in (INT64_MAX + 1, INT64_MIN - 1, 10 * INT64_MAX):
        add_parse(places, fmt(raw, places))
    add_parse(places, "9" * 25)
    add_parse(places, "0" * 30 + "1")

INVALID_OR_ODD = [
    "", ".", "-", "+", "-.", "+.", "..", "1..2", "1.2.3", "--1", "+-1", "-+1", "1-", "1+", "1e5", "1E5",
    "1e-5", " 1", "1 ", "1,5", "1_000", "0x1F", "inf", "-inf", "nan", "NaN", "Infinity", "\u0661\u0662",
    "\u00bd", "12a", "a12", "1.2a", "--", ". 5", "1 .5", "+ 1", "1\u00a0", "\u00a01", "0", "-0", "+0", ".0",
    "0.", "-.0", "+.5", "-.5", "5.", "-5.", ".000", "-0.000", "00.00", "1.", "9.9", ".", "'1'", "1/2",
]
for places in (0, 2, 8, 18):
    for text in INVALID_OR_ODD:
        add_parse(places, text, ("exact", "toNearestOrEven"))

# format -----------------------------------------------------------------------------------------

for places in range(19):
    for raw in [random_raw() for _ in range(18)] + [random_raw(places + 1) for _ in range(8)] + [
        0, 1, -1, 10**places, -(10**places), INT64_MAX, INT64_MIN, INT64_MIN + 1,
    ]:
        rows.append(("format", str(places), str(raw), fmt(raw, places)))

# round to increment -----------------------------------------------------------------------------

INCREMENTS = [1, 2, 3, 5, 7, 10, 25, 50, 100, 250, 1000, 10**6, 10**8, 123456789, 10**18, INT64_MAX]
for _ in range(500):
    inc = rng.choice(INCREMENTS)
    shape = rng.randrange(4)
    if shape == 0:
        raw = random_raw()
    elif shape == 1:  # an exact tie (even increments) or an exact multiple
        raw = rng.randrange(-10**6, 10**6) * inc + (inc // 2 if inc % 2 == 0 else 0)
    elif shape == 2:  # just off a multiple
        raw = rng.randrange(-10**6, 10**6) * inc + rng.choice([-1, 1])
    else:
        raw = rng.choice([INT64_MAX, INT64_MIN, INT64_MAX - rng.randrange(10**6), INT64_MIN + rng.randrange(10**6)])
    if not fits(raw):
        continue
    rule = rng.choice(list(RULES))
    expected = to_integer(Decimal(raw) / Decimal(inc), rule) * inc
    if fits(expected):  # out-of-range results trap by design: not testable here
        rows.append(("round", str(raw), str(inc), rule, str(expected)))

# rescale ----------------------------------------------------------------------------------------

for _ in range(500):
    source, target = rng.randrange(19), rng.randrange(19)
    raw = random_raw()
    if rng.random() < 0.3 and source > target:  # a tie at the target scale
        raw = (raw // 10 ** (source - target)) * 10 ** (source - target) + 5 * 10 ** (source - target - 1)
        if not fits(raw):
            continue
    rule = rng.choice(list(RULES))
    n = to_integer(Decimal(raw).scaleb(target - source), rule)
    rows.append(("rescale", str(source), str(target), rule, str(raw), show(n if fits(n) else None)))

# notional ---------------------------------------------------------------------------------------

SCALE_SETS = [(2, 3, 2), (2, 3, 8), (1, 3, 2), (2, 0, 2), (4, 1, 4), (6, 0, 2), (8, 8, 8), (8, 8, 18), (0, 0, 18),
              (18, 18, 0), (18, 18, 18), (3, 2, 5), (5, 5, 1)]
for _ in range(500):
    p_places, q_places, r_places = rng.choice(SCALE_SETS) if rng.random() < 0.7 else (
        rng.randrange(19), rng.randrange(19), rng.randrange(19))
    price, qty = random_raw(), random_raw()
    if rng.random() < 0.5:  # realistic sizes: mostly in range
        price, qty = random_raw(10), random_raw(8)
    rule = rng.choice(list(RULES))
    n = to_integer(Decimal(price) * Decimal(qty) * Decimal(10) ** (r_places - p_places - q_places), rule)
    rows.append(("notional", str(p_places), str(q_places), str(r_places), rule, str(price), str(qty),
                 show(n if fits(n) else None)))

# divide by an integer ---------------------------------------------------------------------------

for _ in range(300):
    raw = random_raw()
    divisor = rng.choice([random_raw(rng.randint(1, 6)), rng.choice([-2, -1, 1, 2, 3, 4, 10])])
    if rng.random() < 0.2:  # a tie
        divisor = 2 * rng.randint(1, 1000) * rng.choice([1, -1])
        raw = (raw // divisor) * divisor + divisor // 2
        if not fits(raw):
            continue
    for rule in rng.sample(list(RULES), 2):
        n = None if divisor == 0 else to_integer(Decimal(raw) / Decimal(divisor), rule)
        rows.append(("divide", str(raw), str(divisor), rule, show(n if n is not None and fits(n) else None)))
for raw, divisor in ((INT64_MIN, -1), (INT64_MIN, 1), (INT64_MAX, -1), (5, 0), (0, 0), (INT64_MIN, 2)):
    for rule in RULES:
        n = None if divisor == 0 else to_integer(Decimal(raw) / Decimal(divisor), rule)
        rows.append(("divide", str(raw), str(divisor), rule, show(n if n is not None and fits(n) else None)))

# increment (tick/step size) scale ---------------------------------------------------------------

INCREMENT_TEXTS = ["0.10", "0.01", "0.1", "1", "10", "0.00000001", "0.001", "5", "0.5", "10.0", "0.000000000000000001",
                   "0.0000000000000000001", "0", "0.00", "", ".", "-0.1", "+0.1", "1e-3", ".5", "5.", "1.2.3", " 0.1",
                   "0.1 ", "100.000", "0.0010", "00.01", "1000000"]
for text in INCREMENT_TEXTS:
    ok = re.fullmatch(r"[0-9]+\.?[0-9]*|\.[0-9]+", text, re.ASCII) and Decimal(text) != 0
    places = len(text.partition(".")[2]) if ok else None
    rows.append(("increment", text, show(places if places is not None and places <= 18 else None)))

for row in rows:
    assert all("\t" not in f and "\n" not in f for f in row), row
counts = {}
for row in rows:
    counts[row[0]] = counts.get(row[0], 0) + 1
header = "# Generated by scripts/gen_fixedpoint_reference.py (columns documented there). Do not edit.\n"
header += "# rows: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + "\n"
OUT.write_text(header + "".join("\t".join(row) + "\n" for row in rows), encoding="utf-8")
print(f"wrote {len(rows)} rows, {OUT.stat().st_size} bytes to {OUT}")
