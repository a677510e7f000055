/// A trading signal from the signal stage to risk: 64 bytes.
///
/// `confidence` and `score` are in basis points (1e-4) so the message stays integer and
/// comparisons with configured thresholds are exact.
@frozen
public struct Signal: Sendable, BitwiseCopyable, Equatable {
    public var ingressNs: UInt64
    public var signalID: UInt64
    public var eventTimeMs: Int64
    /// Suggested entry, and protective levels when the strategy derived them (ATR-based);
    /// zero means "not provided: risk uses its configured percentages".
    public var entryPrice: Price
    public var stopLoss: Price
    public var takeProfit: Price
    public var symbol: SymbolID
    public var direction: SignalDirection
    public var interval: Interval
    /// Score in [-10_000, 10_000] (= [-1, 1]).
    public var scoreBp: Int16
    /// Confidence in [0, 10_000] (= [0, 1]).
    public var confidenceBp: UInt16
    /// Why: a strategy-defined reason code, rendered to text off the hot path.
    public var reasonCode: UInt32
    @usableFromInline var _padding = Padding<UInt32>(0)

    @inlinable
    public init(ingressNs: UInt64, signalID: UInt64, eventTimeMs: Int64, symbol: SymbolID, interval: Interval,
                direction: SignalDirection, scoreBp: Int16, confidenceBp: UInt16, entryPrice: Price,
                stopLoss: Price = .zero, takeProfit: Price = .zero, reasonCode: UInt32 = 0) {
        self.ingressNs = ingressNs
        self.signalID = signalID
        self.eventTimeMs = eventTimeMs
        self.symbol = symbol
        self.interval = interval
        self.direction = direction
        self.scoreBp = scoreBp
        self.confidenceBp = confidenceBp
        self.entryPrice = entryPrice
        self.stopLoss = stopLoss
        self.takeProfit = takeProfit
        self.reasonCode = reasonCode
    }
}

public enum SignalDirection: UInt8, Sendable, BitwiseCopyable {
    case flat = 0
    case long = 1
    case short = 2
}
