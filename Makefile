# Tickline: `make run`, `make test`, `make bench`. Each installs the system libraries first.
SHELL := /bin/bash
LAYOUT ?= split-2
IDLE ?=
SECONDS_TO_RUN ?= 90
RUN_CONFIG ?= examples/paper-demo.toml
LOG_LEVEL ?= info
BENCH_TICKS ?= 1000000
BENCH_RATE ?= 100000
SIM_BENCH_TICKS ?= 50000
SIM_BENCH_RATE ?= 5000
IDLE_FLAG := $(if $(IDLE),--idle $(IDLE),)

.PHONY: deps build release run test test-tsan test-crash bench-control bench bench-pipeline bench-ring bench-sim bench-parser bench-wire bench-order-wire bench-store clean

deps:
	@scripts/install-deps.sh

build: deps
	swift build

release: deps
	swift build -c release --product tickline

## Paper trading against the bundled simulator (in process, loopback) with the fast demo
## configuration: start-up sync, signals, orders with exchange-side stop-loss / take-profit,
## fills from the user-data stream; prints the latency table, market-data, signal and trading
## counters and each account's equity and positions. The simulator's demo keys unless
## TICKLINE_API_KEY / TICKLINE_API_SECRET are set. LOG_LEVEL=debug prints a line per closed candle.
## The control plane runs beside it (REST + WebSocket on 8080, metrics on 9464); its JWT secret is
## data/jwt-secret (made on the first run, mode 0600) and a trader token is printed first.
run: release
	@mkdir -p data; [ -s data/jwt-secret ] || (umask 077; openssl rand -hex 32 > data/jwt-secret)
	@echo "API token (trader, 7 days; mint more: .build/release/tickline token --secret-file data/jwt-secret --user NAME):"
	@.build/release/tickline token --secret-file data/jwt-secret --user demo --role trader
	TICKLINE_API_KEY=$${TICKLINE_API_KEY:-demo-key} TICKLINE_API_SECRET=$${TICKLINE_API_SECRET:-demo-secret} \
	TICKLINE_JWT_SECRET=$$(cat data/jwt-secret) \
	.build/release/tickline run --config $(RUN_CONFIG) --layout $(LAYOUT) --seconds $(SECONDS_TO_RUN) \
		--log-level $(LOG_LEVEL) $(IDLE_FLAG)

## One debug build, then every Swift test suite (per-suite times), then the real-client suites
## against the simulator (Python venvs under .build/), then the API contract on a live engine.
## The control-plane suites run on their own: their servers run on Swift concurrency's pool, which
## the engine's blocking integration tests would otherwise hold (two threads on two cores).
test: deps
	Tests/clients/venvs.sh
	Tests/clients/venvs.sh control >/dev/null
	Tests/indicators/reference.sh
	swift build --build-tests
	@set -o pipefail; start=$$(date +%s); \
	swift test --skip-build --skip TicklineControlTests 2>&1 | tee .build/test.log; status=$$?; \
	echo "== swift test took $$(( $$(date +%s) - start )) s =="; \
	scripts/suite-times.sh .build/test.log; \
	start=$$(date +%s); swift test --skip-build --filter TicklineControlTests 2>&1 | tee .build/control.log; control=$$?; \
	echo "== control-plane suites took $$(( $$(date +%s) - start )) s =="; \
	scripts/suite-times.sh .build/control.log; \
	start=$$(date +%s); Tests/clients/run.sh 2>&1 | tee .build/clients.log; clients=$$?; \
	echo "== real-client suites (ccxt, python-binance, message shapes, determinism) took $$(( $$(date +%s) - start )) s =="; \
	start=$$(date +%s); scripts/api-contract.sh 2>&1 | tee .build/contract.log; contract=$$?; \
	echo "== API contract and observability (schemathesis, promtool, Prometheus, rules, dashboard) took $$(( $$(date +%s) - start )) s =="; \
	scripts/test-summary.sh .build/test.log .build/control.log .build/clients.log .build/contract.log; \
	[ $$status -eq 0 ] && [ $$control -eq 0 ] && [ $$clients -eq 0 ] && [ $$contract -eq 0 ]

## The crash test, long version: the engine trading against the simulator killed with SIGKILL at
## three fixed points and at 20 random moments (TICKLINE_CRASH_KILLS=N for more), restarted on the
## same journal each time; after every restart the journal holds every venue fill and matches the
## venue's positions. (`make test` runs the three fixed points.)
test-crash: deps
	swift build --build-tests
	TICKLINE_CRASH_LONG=1 swift test --skip-build --filter 'CrashTests|CrashRecoveryTests'

## The ring tests alone under ThreadSanitizer (1 M messages in the stress test).
test-tsan: deps
	TICKLINE_RING_STRESS_MESSAGES=1000000 swift test --sanitize=thread --scratch-path .build-tsan \
	  --filter 'TicklineRingTests'

## Pipeline tick-to-order (synthetic ticks for fused-1 and split-2; the real parse stage on the
## simulator's paced stream, both socket backends), the ring and pipeline benchmarks (Benchmarks/),
## the simulator's throughput (WebSocket messages/s, signed REST orders/s), and the parser.
bench: bench-pipeline bench-ring bench-sim bench-parser bench-wire bench-order-wire bench-store bench-control

bench-pipeline: release
	.build/release/tickline bench pipeline --source synthetic --layout fused-1 --ticks $(BENCH_TICKS) --rate $(BENCH_RATE) $(IDLE_FLAG)
	.build/release/tickline bench pipeline --source synthetic --layout split-2 --ticks $(BENCH_TICKS) --rate $(BENCH_RATE) $(IDLE_FLAG)
	.build/release/tickline bench pipeline --source sim --backend uring --layout fused-1 --ticks $(SIM_BENCH_TICKS) --rate $(SIM_BENCH_RATE) $(IDLE_FLAG)
	.build/release/tickline bench pipeline --source sim --backend poll --layout fused-1 --ticks $(SIM_BENCH_TICKS) --rate $(SIM_BENCH_RATE) $(IDLE_FLAG)

## Durable journal commits (LMDB, fsync at commit) per batch size into a temporary store under /tmp,
## then the synthetic pipeline without and with the journal in one process.
bench-store: release
	.build/release/tickline bench store
	.build/release/tickline bench pipeline --source synthetic --journal both --layout fused-1 --ticks $(BENCH_TICKS) --rate $(BENCH_RATE) $(IDLE_FLAG)

## The control plane: WebSocket fan-out to 1 000 local clients (delivery p50/p99, lost), REST reads
## under wrk, and /metrics scrape latency on a running engine (scripts/control-bench.py).
bench-control: release
	@scripts/install-deps.sh wrk
	Tests/clients/venvs.sh ccxt >/dev/null
	.build/venv-ccxt/bin/python scripts/control-bench.py .build/release/tickline

bench-ring: deps
	@scripts/install-deps.sh valgrind libsimdjson-dev
	cd Benchmarks && swift package --disable-sandbox benchmark --no-progress
	cd Benchmarks && swift run -c release RingCompare
	scripts/ring-instructions.sh

bench-sim: deps
	scripts/sim-bench.sh

## Binance stream parser vs simdjson ondemand and JSONDecoder on the real capture.
bench-parser: deps
	@scripts/install-deps.sh libsimdjson-dev
	SKIP_PACKAGE_BENCHMARK=1 scripts/parser-bench.sh

## Wire-to-parsed latency: simulator → the engine's feed on both backends, beside a C client.
bench-wire: deps
	scripts/wire-bench.sh

## Wire to wire: simulator tick → engine (parse, risk, order over the Binance gateway) → order read
## by the simulator, beside a minimal C client answering the same ticks (scripts/order-wire-bench.sh).
bench-order-wire: deps
	scripts/order-wire-bench.sh

clean:
	rm -rf .build .build-tsan Benchmarks/.build
