/// The result of a pipeline run: latency per hop and end to end, throughput, ring counters.
///
/// Hops are cumulative: `ingress_to_signal` is the time from the bytes' ingress until the signal
/// stage took the message, so the cost of one hop is the step between two rows.
public struct PipelineReport: Sendable {
    public var layout: String
    public var ticks: Int
    public var elapsedNs: UInt64
    public var hops: [(name: String, summary: LatencySummary)]
    public var endToEnd: LatencySummary
    public var rings: [RingStats]
    public var errors: Int

    /// A fixed-width table for people.
    public var table: String {
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
        func row(_ name: String, _ s: LatencySummary) -> String {
            let name = name.count >= 22 ? name : name + String(repeating: " ", count: 22 - name.count)
            return name + [s.p50Ns, s.p90Ns, s.p99Ns, s.p999Ns, s.maxNs].map { pad(String($0), 10) }.joined()
                + pad(String(Int(s.messagesPerSecond.rounded())), 14) + "\n"
        }
        var out = "layout \(layout): \(ticks) market events in \(elapsedNs / 1_000_000) ms\n"
        out += "hop (ns)              " + ["p50", "p90", "p99", "p99.9", "max"].map { pad($0, 10) }.joined()
            + pad("msgs/s", 14) + "\n"
        for h in hops { out += row(h.name, h.summary) }
        out += row("end_to_end", endToEnd)
        let busy = rings.filter { $0.fullEvents > 0 || $0.drops > 0 }
        for r in busy { out += "ring \(r.name): \(r.fullEvents) full events, \(r.drops) drops\n" }
        if errors > 0 { out += "agent errors: \(errors)\n" }
        return out
    }

    /// One JSON object; scripts rely on `end_to_end` and `hops` with `p50_ns`, `p90_ns`, `p99_ns`,
    /// `p999_ns`, `max_ns` and `messages_per_s`.
    public var json: String {
        func obj(_ s: LatencySummary) -> String {
            "{\"count\":\(s.count),\"p50_ns\":\(s.p50Ns),\"p90_ns\":\(s.p90Ns),\"p99_ns\":\(s.p99Ns),"
                + "\"p999_ns\":\(s.p999Ns),\"max_ns\":\(s.maxNs),\"messages_per_s\":\(Int(s.messagesPerSecond.rounded()))}"
        }
        let hopsJSON = hops.map { "\"\($0.name)\":" + obj($0.summary) }.joined(separator: ",")
        let ringsJSON = rings.map {
            "{\"name\":\"\($0.name)\",\"published\":\($0.published),\"full_events\":\($0.fullEvents),\"drops\":\($0.drops)}"
        }.joined(separator: ",")
        return "{\"layout\":\"\(layout)\",\"ticks\":\(ticks),\"elapsed_ns\":\(elapsedNs),\"errors\":\(errors),"
            + "\"end_to_end\":" + obj(endToEnd) + ",\"hops\":{" + hopsJSON + "},\"rings\":[" + ringsJSON + "]}"
    }
}
