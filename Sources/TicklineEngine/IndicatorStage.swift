import TicklineCore
import TicklineRing

/// The indicator stage: market events in, `IndicatorUpdate`s out.
///
/// Pass-through for now (the indicator issue fills in candles and indicators behind
/// `update(for:)`): every trade and candle becomes a provisional or closed update carrying the
/// price, so the pipeline's hops can be measured end to end.
public final class IndicatorStage<C: NanoClock>: Agent {
    public let roleName = "indicator"
    public let rings: PipelineRings
    public let clock: C
    public let latency = LatencyRecorder(name: "ingress_to_indicator")
    public private(set) var handled = 0
    let input: SPSCRingHandle<MarketEvent>
    let output: SPSCRingHandle<IndicatorUpdate>

    public init(rings: PipelineRings, clock: C) {
        self.rings = rings
        self.clock = clock
        self.input = rings.marketToIndicator.handle
        self.output = rings.indicatorToSignal.handle
    }

    public func doWork(nowNs: UInt64) throws -> Int {
        latency.serviceSwap()
        let n = input.drain(limit: 64) { event in
            guard let slot = output.tryClaim() else { return false }
            latency.record(clock.nowNs() &- event.pointee.ingressNs)
            slot.initialize(to: update(for: event.pointee))
            output.publish()
            return true
        }
        handled &+= n
        return n
    }

    func update(for event: MarketEvent) -> IndicatorUpdate {
        var closed = false
        var openTime: Int64 = 0
        var interval = Interval.m1
        switch event.body {
        case .klineClosed(let k):
            closed = true
            openTime = k.openTimeMs
            interval = k.interval
        case .klineUpdate(let k):
            openTime = k.openTimeMs
            interval = k.interval
        default:
            break
        }
        return IndicatorUpdate(ingressNs: event.ingressNs, symbol: event.symbol, interval: interval,
                               candleOpenTimeMs: openTime, isClosed: closed, close: event.lastPrice ?? .zero)
    }
}
