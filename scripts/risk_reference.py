#!/usr/bin/env python3
"""Independent reference for TicklineRisk's arithmetic (sizing, levels, margin, margin call,
funding, PnL), in exact decimals with the standard library only.

Written from the formulas in the Binance USD-M documentation and the issue, not from the Swift
code: the expectations in Tests/TicklineRiskTests come from running this script (its output is
pasted into the tests with the scenario names), never from running the engine.

    python3 scripts/risk_reference.py

Rules as specified:
- risk amount = equity x risk% ; quantity = risk amount / |entry - stop|, rounded DOWN to the step.
- stop-loss and take-profit rounded to the tick TOWARD the entry (long: SL up, TP down; short: SL
  down, TP up); fallback levels are entry x (1 -/+ pct).
- required margin = notional / leverage + notional x taker fee (each rounded UP to 1e-8).
- margin used = sum |q| x mark / leverage ; equity = wallet + sum unrealized (incl. funding);
  level = equity / margin used x 100 ; below 110 % close the largest loss, treat it as closed at
  its mark (its PnL stays in equity, its margin leaves), repeat until >= 120 %.
- funding fee = |q| x mark x rate (half-even to 1e-8); longs pay positive rates.
"""
from decimal import Decimal as D, ROUND_FLOOR, ROUND_CEILING, ROUND_HALF_EVEN, ROUND_DOWN, getcontext

getcontext().prec = 60
E8 = D("0.00000001")


def to_grid(value, inc, rounding):
    return (value / inc).quantize(D(1), rounding=rounding) * inc


def levels(side, entry, tick, sl_pct=None, tp_pct=None, sl=None, tp=None):
    long = side == "long"
    if sl is None:
        sl = entry * (1 - sl_pct) if long else entry * (1 + sl_pct)
    if tp is None:
        tp = entry * (1 + tp_pct) if long else entry * (1 - tp_pct)
    sl = to_grid(sl, tick, ROUND_CEILING if long else ROUND_FLOOR)
    tp = to_grid(tp, tick, ROUND_FLOOR if long else ROUND_CEILING)
    return sl, tp


def size(equity, risk_pct, entry, sl, step):
    risk = (equity * risk_pct).quantize(E8, rounding=ROUND_DOWN)
    return to_grid(risk / abs(entry - sl), step, ROUND_FLOOR), risk


def required_margin(notional, leverage, fee):
    im = (notional / leverage).quantize(E8, rounding=ROUND_CEILING)
    f = (notional * fee).quantize(E8, rounding=ROUND_CEILING)
    return im, f, im + f


def upnl(side, q, entry_cost, mark, funding=D(0)):
    n = q * mark
    return (n - entry_cost if side == "long" else entry_cost - n) + funding


def margin_call(wallet, leverage, positions):
    """positions: name -> (side, q, cost, mark). Returns the closures with the level before each
    (hundredths of a percent, truncated) and the final level."""
    live = dict(positions)
    equity = wallet + sum(upnl(p[0], p[1], p[2], p[3]) for p in positions.values())

    def level():
        used = sum(p[1] * p[3] for p in live.values()) / leverage
        return equity / used * 100

    out = []
    if level() >= 110:
        return out, level(), equity
    while live:
        lv = level()
        worst = min(live, key=lambda k: upnl(live[k][0], live[k][1], live[k][2], live[k][3]))
        out.append((worst, lv, int(lv * 100)))
        del live[worst]
        if not live or level() >= 120:
            break
    return out, (level() if live else None), equity


def show(title, **values):
    print(f"[{title}]")
    for k, v in values.items():
        print(f"  {k} = {v}")


def main():
    # sizing-long-fallback: BTCUSDT tick 0.10, step 0.001; equity 10 000, risk 1 %, lev 10, fee 0.04 %
    entry = D("43251.30")
    sl, tp = levels("long", entry, D("0.10"), sl_pct=D("0.02"), tp_pct=D("0.03"))
    q, risk = size(D(10000), D("0.01"), entry, sl, D("0.001"))
    n = q * entry
    im, f, req = required_margin(n, 10, D("0.0004"))
    show("sizing-long-fallback", stop_loss=sl, take_profit=tp, risk_amount=risk, distance=entry - sl, quantity=q,
         notional=n, initial_margin=im, fee=f, required=req)

    # sizing-short-signal-levels: BTCUSDT, signal SL 43 860.05 and TP 41 709.95 (off the 0.10 grid)
    entry = D("43000.00")
    sl, tp = levels("short", entry, D("0.10"), sl=D("43860.05"), tp=D("41709.95"))
    q, risk = size(D(10000), D("0.01"), entry, sl, D("0.001"))
    show("sizing-short-signal-levels", stop_loss=sl, take_profit=tp, quantity=q, notional=q * entry)

    # sizing-short-fallback: ETHUSDT tick 0.01, step 0.001, entry 2 345.67, SL 2 %, TP 3 %, equity 5 000, risk 2 %
    entry = D("2345.67")
    sl, tp = levels("short", entry, D("0.01"), sl_pct=D("0.02"), tp_pct=D("0.03"))
    q, risk = size(D(5000), D("0.02"), entry, sl, D("0.001"))
    show("sizing-short-fallback", stop_loss=sl, take_profit=tp, quantity=q, notional=q * entry)

    # tst-min-notional: TSTUSDT tick 0.01, step 1, entry 10.00, SL 2 %; equity 2 000, risk 1 %
    entry = D("10.00")
    sl, tp = levels("long", entry, D("0.01"), sl_pct=D("0.02"), tp_pct=D("0.03"))
    q, risk = size(D(2000), D("0.01"), entry, sl, D(1))
    show("tst-min-notional", stop_loss=sl, quantity=q, notional=q * entry)

    # tst-margin: TSTUSDT, signal SL 9.99: quantity and the required margin at leverage 10 and 20
    q, _ = size(D(2000), D("0.01"), entry, D("9.99"), D(1))
    for lev in (10, 20):
        im, f, req = required_margin(q * entry, lev, D("0.0004"))
        show(f"tst-margin-lev{lev}", quantity=q, notional=q * entry, required=req)

    # partial-fills: BTCUSDT long 0.040 @ 40 000.00 then 0.060 @ 40 100.00, fee 0.04 % each;
    # marked at 40 200.00; then 0.050 closed at 40 300.00 (fee 0.04 %)
    cost = D("0.040") * D("40000.00") + D("0.060") * D("40100.00")
    fees = (D("0.040") * D("40000.00") + D("0.060") * D("40100.00")) * D("0.0004")
    q = D("0.100")
    part_cost = cost * D("0.050") / q
    exit_n = D("0.050") * D("40300.00")
    exit_fee = exit_n * D("0.0004")
    show("partial-fills", cost=cost, average_entry=cost / q, entry_fees=fees,
         unrealized_at_40200=upnl("long", q, cost, D("40200.00")), realized_price_partial=exit_n - part_cost,
         realized_partial=exit_n - part_cost - exit_fee,
         remaining_cost=cost - part_cost, unrealized_rest_at_40300=upnl("long", q - D("0.050"), cost - part_cost, D("40300.00")))

    # margin-call-three: cross, leverage 10, wallet 1 600; longs A BTC 0.2 @ 40 000, B ETH 2 @ 2 000,
    # C XRP 2 000 @ 0.5; marks then XRP 0.48, BTC 39 500, ETH 1 800 (in that order)
    pos = {"A": ("long", D("0.2"), D("8000"), D("40000")), "B": ("long", D("2"), D("4000"), D("2000")),
           "C": ("long", D("2000"), D("1000"), D("0.5"))}
    for name, mark in (("C", D("0.48")), ("A", D("39500")), ("B", D("1800"))):
        p = pos[name]
        pos[name] = (p[0], p[1], p[2], mark)
        closures, final, equity = margin_call(D(1600), 10, pos)
        used = sum(p[1] * p[3] for p in pos.values()) / 10
        show(f"margin-call-three after {name} -> {mark}", equity=equity, margin_used=used,
             level=(equity / used * 100), closures=closures, final_level=final)

    # funding: BTCUSDT 0.100 at mark 40 000.00; rates +/-0.0001; XRP 2 000.0 at 0.4801 rate 0.00012345
    for side in ("long", "short"):
        for rate in (D("0.0001"), D("-0.0001")):
            fee = (D("0.100") * D("40000.00") * rate).quantize(E8, rounding=ROUND_HALF_EVEN)
            income = -fee if side == "long" else fee
            show(f"funding {side} rate {rate}", fee=fee, income=income)
    fee = (D("2000.0") * D("0.4801") * D("0.00012345")).quantize(E8, rounding=ROUND_HALF_EVEN)
    show("funding-rounding XRP 2000.0 x 0.4801 x 0.00012345", exact=D("2000.0") * D("0.4801") * D("0.00012345"),
         fee_half_even=fee)

    # funding-ties: XRPUSDT 5.0 and 7.0 at 0.5000 (notional 2.5 and 3.5), rate 0.00000001: the fee's
    # ninth decimal is exactly 5, so half-even (the simulator's rule) decides
    for qty in (D("5.0"), D("7.0")):
        exact = qty * D("0.5000") * D("0.00000001")
        show(f"funding-ties {qty}", exact=exact, half_even=exact.quantize(E8, rounding=ROUND_HALF_EVEN))

    # sl-tp-boundaries: the fallback levels of a long and a short at 100.00 (tick 0.01), 2 % / 3 %
    show("sl-tp-boundaries long", levels=levels("long", D("100.00"), D("0.01"), sl_pct=D("0.02"), tp_pct=D("0.03")))
    show("sl-tp-boundaries short", levels=levels("short", D("100.00"), D("0.01"), sl_pct=D("0.02"), tp_pct=D("0.03")))


if __name__ == "__main__":
    main()
