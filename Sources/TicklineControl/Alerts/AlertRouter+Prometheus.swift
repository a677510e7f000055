import Foundation

extension AlertRouter.Stats {
    /// The counters in Prometheus text exposition format (version 0.0.4), for the metrics
    /// endpoint to append:
    ///
    /// - `<prefix>_raised_total`, `<prefix>_dispatched_total`, `<prefix>_suppressed_total` (counters)
    /// - `<prefix>_sent_total{sink}`, `<prefix>_failed_total{sink}`, `<prefix>_timeouts_total{sink}`,
    ///   `<prefix>_dropped_total{sink}` (counters), `<prefix>_queued{sink}` (gauge)
    /// - `<errorsMetric>` (gauge): alerts raised plus errors noted in the last 60 s.
    ///
    /// Prometheus can also derive a rate from `_raised_total` (`rate(...[1m]) * 60`); the gauge is
    /// the figure the issue asks for, computed in process.
    public func prometheusText(prefix: String = "tickline_alerts",
                               errorsMetric: String = "tickline_errors_per_minute") -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func sample(_ name: String, _ value: some BinaryInteger, sink: String? = nil) {
            let labels = sink.map { "{sink=\"\(Self.escapeLabel($0))\"}" } ?? ""
            out += "\(name)\(labels) \(value)\n"
        }
        family("\(prefix)_raised_total", "counter", "Alerts raised, suppressed repeats included.")
        sample("\(prefix)_raised_total", raised)
        family("\(prefix)_dispatched_total", "counter", "Alerts fanned out to the sinks.")
        sample("\(prefix)_dispatched_total", dispatched)
        family("\(prefix)_suppressed_total", "counter", "Repeats of an alert key within the dedup window.")
        sample("\(prefix)_suppressed_total", suppressed)
        let perSink: [(String, String, String, (AlertRouter.SinkStats) -> UInt64)] = [
            ("sent_total", "counter", "Alerts delivered, per sink.", { $0.sent }),
            ("failed_total", "counter", "Alert sends that failed (timeouts included), per sink.", { $0.failed }),
            ("timeouts_total", "counter", "Alert sends that hit the send timeout, per sink.", { $0.timedOut }),
            ("dropped_total", "counter", "Alerts dropped because the sink's queue was full.", { $0.dropped }),
            ("queued", "gauge", "Alerts waiting or in flight, per sink.", { UInt64($0.queued) }),
        ]
        for (suffix, type, help, value) in perSink {
            family("\(prefix)_\(suffix)", type, help)
            for sink in sinks { sample("\(prefix)_\(suffix)", value(sink), sink: sink.name) }
        }
        family(errorsMetric, "gauge", "Alerts raised plus error records in the last 60 seconds.")
        sample(errorsMetric, errorsLastMinute)
        return out
    }

    static func escapeLabel(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
