import Synchronization
import TicklineCore
import TicklineEngine
import TicklineRing
import TicklineStore

/// The engine's Prometheus metrics, built at each scrape from what can be read without touching a
/// stage thread: latency totals (`LatencyTotals`, collected by the scheduler every second), the
/// rings' and runners' atomic counters, the journal writer's atomic metrics, and the control
/// plane's own state (events counted by `EngineState`, the WebSocket hub, the cache, health).
/// Names follow Prometheus conventions: `tickline_` prefix, base units, `_total` counters.
public final class EngineMetrics: Sendable {
    let pipeline: UncheckedBox<Pipeline>
    let plane: ControlPlane?
    let usage = ProcessUsage()
    let buckets = LatencyBuckets.standard

    public init(pipeline: Pipeline, plane: ControlPlane?) {
        self.pipeline = UncheckedBox(pipeline)
        self.plane = plane
    }

    /// Every family, in a fixed order. A family that fails validation is a bug: it is left out
    /// (and the rest served) rather than failing the scrape.
    public func families() -> [MetricFamily] {
        var out: [MetricFamily] = []
        func add(_ build: () throws -> MetricFamily) {
            if let f = try? build() { out.append(f) }
        }
        let p = pipeline.value

        // Latency: per hop and tick-to-order, from the totals.
        let hops = p.latency.hops
        add {
            var f = try MetricFamily(name: "tickline_hop_latency_seconds", help: "Latency from a market message's ingress to each stage (cumulative per hop)",
                                     type: .histogram)
            for h in hops where h.name.hasPrefix("ingress_to_") {
                try f.add(buckets.histogram(h.snapshot), labels: ["hop": h.name])
            }
            return f
        }
        add {
            let e2e = hops.first { $0.name == "end_to_end" }?.snapshot ?? LatencySnapshot()
            return try .histogram("tickline_tick_to_order_latency_seconds",
                                  help: "Ingress of the market message to the order's bytes handed to the kernel",
                                  value: buckets.histogram(e2e))
        }

        if let commits = hops.first(where: { $0.name == "store_commit" }) {
            add { try .histogram("tickline_store_commit_latency_seconds",
                                 help: "Duration of each journal or market write transaction, fsync included",
                                 value: buckets.histogram(commits.snapshot)) }
        }
        if let plane {
            add { try .histogram("tickline_rest_request_latency_seconds", help: "REST API request handling time",
                                 value: buckets.histogram(plane.restLatency.snapshot)) }
            add { try .histogram("tickline_websocket_delivery_latency_seconds",
                                 help: "An event's time from broadcast to its write on a client's socket",
                                 value: buckets.histogram(plane.hub.deliveryLatency.snapshot)) }
        }

        // Data-plane counters (atomics).
        if let live = p.liveParse {
            add { try .counter("tickline_market_events_total", help: "Market data messages parsed",
                               value: UInt64(max(0, live.eventsCounter.load(ordering: .relaxed)))) }
            add { try .counter("tickline_candles_closed_total", help: "Candles closed (each once, every subscribed interval)",
                               value: UInt64(max(0, live.candlesClosedCounter.load(ordering: .relaxed)))) }
        }
        let requests = p.order.exchangeRequests
        if !requests.isEmpty {
            add {
                var f = try MetricFamily(name: "tickline_exchange_requests_total", help: "REST requests the venue answered",
                                         type: .counter)
                for (a, n) in requests.enumerated() { try f.add(UInt64(max(0, n)), labels: ["account": "\(a)"]) }
                return f
            }
        }
        add { try .counter("tickline_orders_sent_total", help: "Orders handed to the venue (or the paper gateway)",
                           value: UInt64(max(0, p.order.handedOffCounter.load(ordering: .relaxed)))) }
        let rings = p.rings.allRingStats
        add {
            try .labeled("tickline_ring_messages_total", help: "Messages published into each ring", type: .counter, label: "ring",
                         rings.map { r in (r.name, Double(UInt64(max(0, r.published)))) })
        }
        add {
            try .labeled("tickline_ring_full_total", help: "Times a producer found its ring full", type: .counter, label: "ring",
                         rings.map { r in (r.name, Double(UInt64(max(0, r.fullEvents)))) })
        }
        add {
            try .labeled("tickline_ring_dropped_total", help: "Messages a drop-oldest ring replaced (stale prices); full side-channel rings count in tickline_ring_full_total", type: .counter, label: "ring",
                         rings.map { r in (r.name, Double(UInt64(max(0, r.drops)))) })
        }
        add {
            try .labeled("tickline_ring_depth", help: "Messages waiting in each ring", type: .gauge, label: "ring",
                         rings.map { r in (r.name, Double(Double(max(0, r.published - r.consumed)))) })
        }
        let runners = p.runners
        add {
            try .labeled("tickline_thread_duty_cycles_total", help: "Duty cycles run by each data-plane thread", type: .counter, label: "thread",
                         runners.map { r in (r.name, Double(UInt64(max(0, r.dutyCycles)))) })
        }
        add {
            try .labeled("tickline_thread_errors_total", help: "Agent failures on each data-plane thread", type: .counter, label: "thread",
                         runners.map { r in (r.name, Double(UInt64(max(0, r.errorCount)))) })
        }

        let weights = p.order.exchangeWeightUsed
        if !weights.isEmpty {
            add {
                var f = try MetricFamily(name: "tickline_exchange_weight_used_ratio",
                                         help: "The venue's used request weight over its 1-minute limit, per account",
                                         type: .gauge)
                for (a, w) in weights.enumerated() { try f.add(w, labels: ["account": "\(a)"]) }
                return f
            }
        }

        // The journal.
        if let writer = p.journalWriter {
            let s = writer.stats
            add { try .counter("tickline_store_commits_total", help: "Journal write transactions committed", value: UInt64(s.commits)) }
            add { try .counter("tickline_store_records_total", help: "Records committed to the journal", value: UInt64(s.records)) }
            add { try .counter("tickline_store_errors_total", help: "Failed journal commits", value: UInt64(s.errors)) }
            add { try .gauge("tickline_store_pending_records", help: "Records waiting to be committed",
                             value: Double(s.pendingRecords)) }
            add { try .gauge("tickline_store_degraded", help: "1 while the journal is degraded (no new positions)",
                             value: s.state == .degraded ? 1 : 0) }
            let journal = writer.store.journal
            add { try .gauge("tickline_store_map_size_bytes", help: "LMDB journal map size", value: Double(journal.mapSizeBytes)) }
            add { try .gauge("tickline_store_readers", help: "LMDB journal reader slots in use", value: Double(journal.readersInUse)) }
        }

        // What the events counted.
        if let plane {
            let c = plane.state.counters
            add {
                var f = try MetricFamily(name: "tickline_signals_total", help: "Signals generated, by direction",
                                     type: .counter)
                for d in [SignalDirection.long, .short, .flat] {
                    try f.add(UInt64(c.signals[d] ?? 0), labels: ["direction": d.wireName])
                }
                return f
            }
            add {
                try .labeled("tickline_order_denials_total", help: "Signals risk refused, by reason", type: .counter, label: "reason",
                             DenialReason.allCases.map { r in (r.wireName, Double(UInt64(c.denials[r] ?? 0))) })
            }
            add { try .counter("tickline_fills_total", help: "Order fills reported by the venue", value: UInt64(c.fills)) }
            add { try .counter("tickline_positions_opened_total", help: "Positions opened (first entry fill)",
                               value: UInt64(c.positionsOpened)) }
            add {
                var f = try MetricFamily(name: "tickline_positions_closed_total", help: "Positions closed, by reason",
                                     type: .counter)
                for r in [CloseReason.signal, .stopLoss, .takeProfit, .marginCall, .manual, .liquidation, .reconciled] {
                    try f.add(UInt64(c.positionsClosed[r] ?? 0), labels: ["reason": r.wireName ?? "none"])
                }
                return f
            }
            add { try .counter("tickline_margin_call_closures_total", help: "Positions closed to restore the margin level",
                               value: UInt64(c.marginCallClosures)) }
            let open = plane.state.openPositionCounts()
            add {
                try .labeled("tickline_open_positions", help: "Open positions per account", type: .gauge, label: "account",
                             plane.data.accounts.map { a in ("\(a.id.rawValue)", Double(Double(open[a.id.rawValue] ?? 0))) })
            }

            let portfolios = plane.state.portfolios()
            let money = 1e8  // AccountSnapshot money: 8 decimal places
            add {
                try .labeled("tickline_account_equity", help: "Account equity (wallet + unrealized PnL), USDT", type: .gauge, label: "account",
                             portfolios.map { a in ("\(a.account.rawValue)", Double(Double(a.equity.raw) / money)) })
            }
            add {
                var f = try MetricFamily(name: "tickline_account_unrealized_pnl", help: "Unrealized PnL incl. funding, USDT",
                                         type: .gauge)
                for a in portfolios {
                    try f.add(Double(a.unrealizedPnL.raw) / money, labels: ["account": "\(a.account.rawValue)"])
                }
                return f
            }
            add {
                // Risk's margin level: equity over the margin its live positions use (1.2 = 120 %).
                var f = try MetricFamily(name: "tickline_account_margin_level_ratio",
                                         help: "Equity over margin used (risk closes positions below 1.1)", type: .gauge)
                // No margin used (flat): an infinite margin level, so the family is always there.
                for a in portfolios {
                    let level = a.marginUsed.raw > 0 ? Double(a.equity.raw) / Double(a.marginUsed.raw) : .infinity
                    try f.add(level, labels: ["account": "\(a.account.rawValue)"])
                }
                return f
            }

            // WebSocket, cache, health.
            let ws = plane.hub.stats
            add { try .gauge("tickline_websocket_connections", help: "Open WebSocket event connections", value: Double(ws.active)) }
            add { try .counter("tickline_websocket_connects_total", help: "WebSocket connections accepted", value: UInt64(ws.connects)) }
            add { try .counter("tickline_websocket_timeouts_total", help: "Connections closed after missed heartbeats",
                               value: UInt64(ws.closedByTimeout)) }
            add { try .counter("tickline_websocket_slow_disconnects_total", help: "Connections closed for a full send queue",
                               value: UInt64(ws.closedSlow)) }
            add { try .counter("tickline_websocket_messages_total", help: "Event messages queued to clients",
                               value: UInt64(ws.messagesQueued)) }
            add { try .gauge("tickline_websocket_connection_duration_seconds", help: "Average duration of closed connections",
                             value: ws.averageConnectionSeconds) }
            let cache = plane.data.cache.stats
            add { try .counter("tickline_api_cache_hits_total", help: "REST reads answered from the cache", value: UInt64(cache.hits)) }
            add { try .counter("tickline_api_cache_misses_total", help: "REST reads built afresh", value: UInt64(cache.misses)) }
            add { try .gauge("tickline_api_cache_hit_ratio", help: "Cache hits over reads since start (target above 0.8)",
                             value: cache.hitRate) }
            add { try .gauge("tickline_api_cache_entries", help: "Entries in the REST cache", value: Double(cache.entries)) }
            let health = plane.health.report
            add {
                var f = try MetricFamily(name: "tickline_health_status", help: "Component health: 0 healthy, 1 degraded, 2 down",
                                     type: .gauge)
                try f.add(Double(health.status.rank), labels: ["component": "overall"])
                for c in health.components { try f.add(Double(c.status.rank), labels: ["component": c.name]) }
                return f
            }
            add {
                try .labeled("tickline_health_check_duration_seconds", help: "Duration of each component's last health check", type: .gauge, label: "component",
                             health.components.map { c in (c.name, Double(c.responseTimeMs / 1000)) })
            }
            add {
                try .labeled("tickline_health_check_failures_total", help: "Failed health checks per component", type: .counter, label: "component",
                             health.components.map { c in (c.name, Double(UInt64(c.failures))) })
            }
        }

        // Errors by kind.
        add {
            var f = try MetricFamily(name: "tickline_errors_total", help: "Errors by kind", type: .counter)
            try f.add(UInt64(max(0, runners.reduce(0) { $0 + $1.errorCount })), labels: ["kind": "agent_failure"])
            try f.add(UInt64(max(0, p.journalWriter?.stats.errors ?? 0)), labels: ["kind": "store_commit"])
            try f.add(UInt64(max(0, plane?.state.counters.rejections ?? 0)), labels: ["kind": "order_rejected"])
            let alertFailures = plane?.alerts?.router.stats().sinks.reduce(UInt64(0)) { $0 + $1.failed + $1.timedOut } ?? 0
            try f.add(alertFailures, labels: ["kind": "alert_delivery"])
            return f
        }

        // Alerts.
        if let router = plane?.alerts?.router {
            let a = router.stats()
            add { try .counter("tickline_alerts_raised_total", help: "Critical alerts raised", value: a.raised) }
            add { try .counter("tickline_alerts_suppressed_total", help: "Alerts not repeated within the dedup window",
                               value: a.suppressed) }
            add {
                try .labeled("tickline_alerts_sent_total", help: "Alerts delivered, per sink", type: .counter, label: "sink",
                             a.sinks.map { sink in (sink.name, Double(sink.sent)) })
            }
            add {
                try .labeled("tickline_alerts_failed_total", help: "Alert deliveries that failed or timed out", type: .counter, label: "sink",
                             a.sinks.map { sink in (sink.name, Double(sink.failed + sink.timedOut)) })
            }
            add { try .gauge("tickline_errors_per_minute", help: "Error records and alerts in the last 60 s",
                             value: Double(a.errorsLastMinute)) }
        }

        // The process.
        if let u = usage.sample() {
            add { try .gauge("tickline_process_resident_memory_bytes", help: "Resident memory", value: Double(u.rssBytes)) }
            add { try .counter("tickline_process_cpu_seconds_total", help: "User and system CPU time",
                               value: UInt64(u.cpuSeconds.rounded(.down))) }
        }
        return out
    }
}

extension MetricFamily {
    /// A family with one sample per (label value, value) row.
    static func labeled(_ name: String, help: String, type: MetricType, label: String, _ rows: [(String, Double)]) throws
        -> MetricFamily
    {
        var f = try MetricFamily(name: name, help: help, type: type)
        for (value, sample) in rows { try f.add(sample, labels: [MetricLabel(name: label, value: value)]) }
        return f
    }
}
