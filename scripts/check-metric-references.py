#!/usr/bin/env python3
"""Checks that every metric the Prometheus rules and the Grafana dashboard use exists on /metrics.

Usage: scripts/check-metric-references.py METRICS_TEXT_FILE
       (curl -s http://127.0.0.1:9464/metrics > metrics.txt first; scripts/api-contract.sh saves one)

Reads the PromQL expressions of Tuning/prometheus/recording-rules.yml and alert-rules.yml (every
`expr:`, single line or block scalar) and of Tuning/grafana/tickline.json (every "expr" and
templating "query"), takes each `tickline_…` metric name in them, maps `_bucket` / `_sum` /
`_count` to the histogram family when the family is a histogram or summary, and looks each name up
among the `# TYPE name type` lines of the scrape. Recording-rule names (`tickline:…`) are not
metrics; a `tickline:…` name that no recording rule defines is reported too (a dashboard typo
would otherwise only show as an empty panel).

Caveat: some families appear only when they have samples — tickline_market_events_total with a
live market stream, the tickline_store_* family with a journal, tickline_alerts_sent_total /
_failed_total with an [alerts] sink configured, tickline_account_margin_level_ratio while a
position is open, tickline_exchange_weight_used_ratio with a venue (not paper) — so check a scrape
of an engine running like production.

Exit 0 and "metric references: N names, all present"; exit 1 listing what is missing; exit 2 on
a usage or file error. Python 3 standard library only.
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULE_FILES = [ROOT / "Tuning/prometheus/recording-rules.yml", ROOT / "Tuning/prometheus/alert-rules.yml"]
DASHBOARD = ROOT / "Tuning/grafana/tickline.json"

# A metric name is [a-zA-Z_:][a-zA-Z0-9_:]*: a tickline_ name not inside a longer name (so
# neither `tickline:foo_bar` nor `job:tickline_x:rate` yields one), and not followed by `:`.
METRIC = re.compile(r"(?<![A-Za-z0-9_:])tickline_[A-Za-z0-9_]+(?![A-Za-z0-9_:])")
RECORDED = re.compile(r"(?<![A-Za-z0-9_:])tickline:[A-Za-z0-9_:]*[A-Za-z0-9_]")
TYPE_LINE = re.compile(r"^#\s+TYPE\s+([A-Za-z_:][A-Za-z0-9_:]*)\s+(\w+)\s*$")
HISTOGRAM_SUFFIXES = {"_bucket": {"histogram"}, "_sum": {"histogram", "summary"}, "_count": {"histogram", "summary"}}


def yaml_values(text, key):
    """The values of `key:` in a YAML file: plain, quoted or block scalars (`|`, `>`, with
    chomping indicators). Enough for rule files; not a YAML parser."""
    out = []
    lines = text.splitlines()
    start = re.compile(r"^(\s*)(?:-\s+)?" + re.escape(key) + r":\s*(.*)$")
    i = 0
    while i < len(lines):
        m = start.match(lines[i])
        i += 1
        if not m:
            continue
        value = m.group(2).strip()
        if value and value[0] in "|>":
            block = []
            key_indent = len(m.group(1))
            while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > key_indent):
                block.append(lines[i].strip())
                i += 1
            out.append(" ".join(block))
        else:
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            # A plain scalar may continue on more-indented lines.
            key_indent = len(m.group(1))
            while i < len(lines) and lines[i].strip() and len(lines[i]) - len(lines[i].lstrip()) > key_indent \
                    and not re.match(r"^\s*(?:-\s+)?[A-Za-z_]+:", lines[i]):
                value += " " + lines[i].strip()
                i += 1
            out.append(value)
    return out


def dashboard_queries(node):
    """Every PromQL string of a dashboard: panel targets' and annotations' "expr", and
    templating variables' "query" / "definition" (a string or {"query": …})."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "expr" and isinstance(v, str):
                yield v
            elif k in ("query", "definition") and isinstance(v, str):
                yield v
            elif k == "query" and isinstance(v, dict) and isinstance(v.get("query"), str):
                yield v["query"]
            else:
                yield from dashboard_queries(v)
    elif isinstance(node, list):
        for v in node:
            yield from dashboard_queries(v)


def families(metrics_text):
    out = {}
    for line in metrics_text.splitlines():
        m = TYPE_LINE.match(line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def family_of(name, types):
    """The family a referenced name belongs to: itself, or the histogram / summary it is a
    `_bucket`, `_sum` or `_count` series of. Unknown names map to their histogram base when the
    suffix says so, so that a missing histogram is reported once, under its family name."""
    if name in types:
        return name
    for suffix, kinds in HISTOGRAM_SUFFIXES.items():
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            if types.get(base) in kinds or base not in types:
                return base
    return name


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        types = families(Path(argv[1]).read_text(encoding="utf-8"))
        rule_texts = {p: p.read_text(encoding="utf-8") for p in RULE_FILES}
        dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        print(f"metric references: {e}", file=sys.stderr)
        return 2
    if not types:
        print(f"metric references: no '# TYPE' lines in {argv[1]}: not a Prometheus text scrape", file=sys.stderr)
        return 2

    sources = []  # (where, expression)
    defined = set()
    for path, text in rule_texts.items():
        rel = path.relative_to(ROOT)
        sources += [(str(rel), e) for e in yaml_values(text, "expr")]
        defined.update(yaml_values(text, "record"))
    sources += [(str(DASHBOARD.relative_to(ROOT)), q) for q in dashboard_queries(dashboard)]

    used = {}  # family -> first place that uses it
    undefined = {}
    for where, expr in sources:
        for name in METRIC.findall(expr):
            used.setdefault(family_of(name, types), where)
        for name in RECORDED.findall(expr):
            if name not in defined:
                undefined.setdefault(name, where)

    missing = sorted(n for n in used if n not in types)
    for name in missing:
        print(f"missing: {name} (used in {used[name]})")
    for name in sorted(undefined):
        print(f"undefined recording rule: {name} (used in {undefined[name]})")
    if missing or undefined:
        print(f"metric references: {len(used)} names, {len(missing)} missing from {argv[1]}"
              + (f", {len(undefined)} undefined recording rules" if undefined else ""))
        return 1
    print(f"metric references: {len(used)} names, all present")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
