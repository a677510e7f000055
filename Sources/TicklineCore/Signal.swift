/// A trading signal from the signal stage to risk (and to the journal and event rings):
/// 128 bytes, two cache lines.
///
/// The first line is what risk acts on (who, which way, how sure, where to enter, stop and take
/// profit); the second is the explanation the journal and the control plane keep: the score of
/// every strategy slot and why it gave it, the market analysis and the risk assessment. It grew
/// from 64 bytes when the strategies arrived: eight slot scores with their reasons, the
/// risk-reward ratio, ATR and stop distance and three analysis enums do not fit beside the
/// first line's 64 bytes.
///
/// Everything is integer: confidence, scores and agreement in basis points (1e-4), so
/// comparisons with configured thresholds are exact; ATR and stop distance in parts per million
/// of the entry; reasons as codes that `TicklineStrategy` renders to text off the hot path.
/// A `flat` (Neutral) signal carries the evaluation but no levels (stop-loss, take-profit and
/// risk-reward are zero).
@frozen
public struct Signal: Sendable, BitwiseCopyable, Equatable {
    public var ingressNs: UInt64
    public var signalID: UInt64
    public var eventTimeMs: Int64
    /// Open time of the candle whose close was evaluated (0 when not from a candle).
    public var candleOpenTimeMs: Int64
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
    // ---- 64 bytes: the second cache line is the explanation.
    /// Why: the combiner's outcome code (`SignalReason` in TicklineStrategy), rendered to text off
    /// the hot path.
    public var reasonCode: UInt32
    /// |takeProfit − entry| / |entry − stopLoss| × 10_000, from the levels above; 0 without levels.
    public var riskRewardBp: UInt32
    /// Risk assessment: the trading interval's ATR, and |entry − stopLoss|, in millionths of the entry.
    public var atrPpm: UInt32
    public var stopDistancePpm: UInt32
    /// Every strategy slot's score and reason code.
    public var strategies: StrategyScoresBp
    public var analysis: MarketAnalysis
    /// How one-sided the strategies were, [0, 10_000]: |bullish − bearish| / (bullish + bearish).
    public var agreementBp: UInt16
    @usableFromInline var _padding = Padding<(UInt64, UInt64)>((0, 0))

    @inlinable
    public init(ingressNs: UInt64, signalID: UInt64, eventTimeMs: Int64, symbol: SymbolID, interval: Interval,
                direction: SignalDirection, scoreBp: Int16, confidenceBp: UInt16, entryPrice: Price,
                stopLoss: Price = .zero, takeProfit: Price = .zero, reasonCode: UInt32 = 0,
                candleOpenTimeMs: Int64 = 0, riskRewardBp: UInt32 = 0, atrPpm: UInt32 = 0, stopDistancePpm: UInt32 = 0,
                strategies: StrategyScoresBp = StrategyScoresBp(), analysis: MarketAnalysis = MarketAnalysis(),
                agreementBp: UInt16 = 0) {
        self.ingressNs = ingressNs
        self.signalID = signalID
        self.eventTimeMs = eventTimeMs
        self.candleOpenTimeMs = candleOpenTimeMs
        self.symbol = symbol
        self.interval = interval
        self.direction = direction
        self.scoreBp = scoreBp
        self.confidenceBp = confidenceBp
        self.entryPrice = entryPrice
        self.stopLoss = stopLoss
        self.takeProfit = takeProfit
        self.reasonCode = reasonCode
        self.riskRewardBp = riskRewardBp
        self.atrPpm = atrPpm
        self.stopDistancePpm = stopDistancePpm
        self.strategies = strategies
        self.analysis = analysis
        self.agreementBp = agreementBp
    }
}

/// Long, Short, or Neutral (`flat`: no trade; risk denies it as not directional).
public enum SignalDirection: UInt8, Sendable, BitwiseCopyable {
    case flat = 0
    case long = 1
    case short = 2
}

/// The score (basis points) and reason code of each of the eight strategy slots of a signal:
/// the rule strategies, and room for the models and the advisor (slot numbers are
/// `StrategySlot` in TicklineStrategy). 24 bytes, no arrays.
@frozen
public struct StrategyScoresBp: Sendable, BitwiseCopyable, Equatable {
    public static let count = 8
    @usableFromInline var _scores: (Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16) = (0, 0, 0, 0, 0, 0, 0, 0)
    @usableFromInline var _reasons: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0)
    /// Bit i set: slot i gave a score (it is enabled and warmed up).
    public var present: UInt8 = 0

    @inlinable public init() {}

    /// Score of slot `i` in [-10_000, 10_000].
    @inlinable
    public func scoreBp(_ i: Int) -> Int16 {
        precondition(i >= 0 && i < Self.count, "strategy slot out of range")
        return withUnsafeBytes(of: _scores) { $0.load(fromByteOffset: i &* 2, as: Int16.self) }
    }

    /// Reason code of slot `i` (`StrategyReason` in TicklineStrategy; 0 = none).
    @inlinable
    public func reasonCode(_ i: Int) -> UInt8 {
        precondition(i >= 0 && i < Self.count, "strategy slot out of range")
        return withUnsafeBytes(of: _reasons) { $0[i] }
    }

    @inlinable public func isPresent(_ i: Int) -> Bool { i >= 0 && i < Self.count && present & (1 << i) != 0 }

    @inlinable
    public mutating func set(_ i: Int, scoreBp: Int16, reasonCode: UInt8) {
        precondition(i >= 0 && i < Self.count, "strategy slot out of range")
        withUnsafeMutableBytes(of: &_scores) { $0.storeBytes(of: scoreBp, toByteOffset: i &* 2, as: Int16.self) }
        withUnsafeMutableBytes(of: &_reasons) { $0[i] = reasonCode }
        present |= UInt8(1 << i)
    }

    @inlinable
    public static func == (a: Self, b: Self) -> Bool {
        guard a.present == b.present else { return false }
        for i in 0..<count where a.scoreBp(i) != b.scoreBp(i) || a.reasonCode(i) != b.reasonCode(i) { return false }
        return true
    }
}

/// The market-analysis summary of a signal: three small enums, 4 bytes.
@frozen
public struct MarketAnalysis: Sendable, BitwiseCopyable, Equatable {
    public var trend: MarketTrend
    public var volatility: VolatilityRegime
    public var volume: VolumeState
    @usableFromInline var _reserved: UInt8 = 0

    @inlinable
    public init(trend: MarketTrend = .unknown, volatility: VolatilityRegime = .unknown, volume: VolumeState = .unknown) {
        self.trend = trend
        self.volatility = volatility
        self.volume = volume
    }

    @inlinable
    public static func == (a: Self, b: Self) -> Bool {
        a.trend == b.trend && a.volatility == b.volatility && a.volume == b.volume
    }
}

/// The higher-timeframe trend (the 4h EMA filter's view).
public enum MarketTrend: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    case unknown = 0, strongDown, down, sideways, up, strongUp
}

/// The trading interval's volatility, from ATR as a fraction of the price.
public enum VolatilityRegime: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    case unknown = 0, low, normal, high, extreme
}

/// The candle's volume against its moving average.
public enum VolumeState: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    case unknown = 0, low, normal, high, spike
}
