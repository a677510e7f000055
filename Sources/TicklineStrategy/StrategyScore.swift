import TicklineCore
import TicklineIndicators

/// One strategy's opinion on a candle close: a score in [-1, 1] (positive = long, negative =
/// short, 0 = no opinion) and the reason code behind it.
@frozen
public struct StrategyScore: Sendable, BitwiseCopyable, Equatable {
    public var value: Double
    public var reason: StrategyReason

    @inlinable
    public init(_ value: Double, _ reason: StrategyReason) {
        self.value = value
        self.reason = reason
    }
}

/// The eight places a strategy's score has in the combiner and in `Signal.strategies`: the five
/// rule strategies, then two for the ML models and one for the LLM advisor (later issues plug them
/// into the same combiner; their weights default to 0).
public enum StrategySlot: Int, Sendable, BitwiseCopyable, CaseIterable {
    case rsi = 0
    case macd = 1
    case bollinger = 2
    case trend = 3
    case volume = 4
    case model1 = 5
    case model2 = 6
    case advisor = 7

    public static let rules: [StrategySlot] = [.rsi, .macd, .bollinger, .trend, .volume]
}

/// Which slots are enabled.
@frozen
public struct StrategySlots: OptionSet, Sendable, BitwiseCopyable, Hashable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    @inlinable public init(_ slot: StrategySlot) { rawValue = 1 << UInt8(slot.rawValue) }

    @inlinable public func contains(_ slot: StrategySlot) -> Bool { rawValue & (1 << UInt8(slot.rawValue)) != 0 }

    public static let rsi = StrategySlots(.rsi)
    public static let macd = StrategySlots(.macd)
    public static let bollinger = StrategySlots(.bollinger)
    public static let trend = StrategySlots(.trend)
    public static let volume = StrategySlots(.volume)
    public static let model1 = StrategySlots(.model1)
    public static let model2 = StrategySlots(.model2)
    public static let advisor = StrategySlots(.advisor)
    /// The five rule strategies: the default.
    public static let rules: StrategySlots = [.rsi, .macd, .bollinger, .trend, .volume]
}

/// Why a strategy gave its score: one byte per slot in `Signal.strategies`. Grouped by strategy
/// in blocks of 10 so a code says which strategy wrote it; 0 is "none" (slot empty).
public enum StrategyReason: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    case none = 0
    // RSI mean reversion
    case rsiNeutral = 1, rsiOversold, rsiOverbought
    // MACD crossover
    case macdNoRange = 10, macdBullishCross, macdBearishCross, macdAboveSignal, macdBelowSignal, macdFlat
    // Bollinger breakout / reversion
    case bandsFlat = 20, insideBands, breakoutUp, breakoutDown, reversionFromUpper, reversionFromLower
    // EMA trend filter (4h)
    case trendNoRange = 30, trendUp, trendDown, trendSideways
    // Volume confirmation
    case volumeUnconfirmed = 40, volumeConfirmsUp, volumeConfirmsDown, volumeNoDirection
}

/// The score of every slot for one evaluation: nil where a slot is disabled or still warming up.
public typealias StrategyScores = StrategySlotValues<StrategyScore?>

extension StrategySlotValues where Value == StrategyScore? {
    @inlinable
    public init() {
        self.init(rsi: nil, macd: nil, bollinger: nil, trend: nil, volume: nil, model1: nil, model2: nil, advisor: nil)
    }
}

/// One value per strategy slot — weights, scores — as eight named stored properties (no array),
/// so it is a plain value on the stack.
@frozen
public struct StrategySlotValues<Value> {
    public var rsi, macd, bollinger, trend, volume, model1, model2, advisor: Value

    @inlinable
    public init(rsi: Value, macd: Value, bollinger: Value, trend: Value, volume: Value, model1: Value, model2: Value,
                advisor: Value) {
        (self.rsi, self.macd, self.bollinger, self.trend, self.volume) = (rsi, macd, bollinger, trend, volume)
        (self.model1, self.model2, self.advisor) = (model1, model2, advisor)
    }

    @inlinable
    public subscript(slot: StrategySlot) -> Value {
        get {
            switch slot {
            case .rsi: return rsi
            case .macd: return macd
            case .bollinger: return bollinger
            case .trend: return trend
            case .volume: return volume
            case .model1: return model1
            case .model2: return model2
            case .advisor: return advisor
            }
        }
        set {
            switch slot {
            case .rsi: rsi = newValue
            case .macd: macd = newValue
            case .bollinger: bollinger = newValue
            case .trend: trend = newValue
            case .volume: volume = newValue
            case .model1: model1 = newValue
            case .model2: model2 = newValue
            case .advisor: advisor = newValue
            }
        }
    }
}

extension StrategySlotValues: Sendable where Value: Sendable {}
extension StrategySlotValues: Equatable where Value: Equatable {}
extension StrategySlotValues: BitwiseCopyable where Value: BitwiseCopyable {}

/// min(max(x, lo), hi).
@inlinable
func clamp(_ x: Double, _ lo: Double, _ hi: Double) -> Double { min(max(x, lo), hi) }
