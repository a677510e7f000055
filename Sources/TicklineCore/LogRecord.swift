/// A log line or alert as a stage emits it (64 bytes): a code and up to four numeric arguments.
///
/// Stages never format strings: a non-spinning thread renders records to text later
/// (`LogCode.template` names each argument). Arguments are integers or fixed-point values;
/// `argumentPlaces` holds each one's decimal places (one byte per argument).
@frozen
public struct LogRecord: Sendable, BitwiseCopyable, Equatable {
    public var timeNs: UInt64
    public var arguments: (Int64, Int64, Int64, Int64)
    public var code: LogCode
    public var level: LogLevel
    public var stage: StageID
    public var argumentCount: UInt8
    /// Decimal places of argument i in byte i (0 = plain integer).
    public var argumentPlaces: UInt32
    @usableFromInline var _padding = Padding<(UInt64, UInt64)>((0, 0))

    @inlinable
    public init(code: LogCode, level: LogLevel, stage: StageID, timeNs: UInt64) {
        self.code = code
        self.level = level
        self.stage = stage
        self.timeNs = timeNs
        self.arguments = (0, 0, 0, 0)
        self.argumentCount = 0
        self.argumentPlaces = 0
    }

    /// `places` of an argument rendered as 16 lowercase hex digits (its bit pattern): two such
    /// arguments in a row print a 128-bit id such as a trade id.
    public static let hexPlaces: UInt8 = 0xFF

    /// Appends an integer argument (at most four; further ones are ignored).
    @inlinable
    public mutating func append(_ value: Int64, places: UInt8 = 0) {
        guard argumentCount < 4 else { return }
        switch argumentCount {
        case 0: arguments.0 = value
        case 1: arguments.1 = value
        case 2: arguments.2 = value
        default: arguments.3 = value
        }
        argumentPlaces |= UInt32(places) << (UInt32(argumentCount) * 8)
        argumentCount += 1
    }

    @inlinable
    public func argument(_ i: Int) -> (value: Int64, places: UInt8) {
        let v: Int64
        switch i {
        case 0: v = arguments.0
        case 1: v = arguments.1
        case 2: v = arguments.2
        default: v = arguments.3
        }
        return (v, UInt8(truncatingIfNeeded: argumentPlaces >> (UInt32(i) * 8)))
    }

    public static func == (a: LogRecord, b: LogRecord) -> Bool {
        a.timeNs == b.timeNs && a.code == b.code && a.level == b.level && a.stage == b.stage
            && a.argumentCount == b.argumentCount && a.argumentPlaces == b.argumentPlaces
            && a.arguments.0 == b.arguments.0 && a.arguments.1 == b.arguments.1
            && a.arguments.2 == b.arguments.2 && a.arguments.3 == b.arguments.3
    }
}

public enum LogLevel: UInt8, Sendable, BitwiseCopyable, Comparable {
    case trace = 0, debug, info, notice, warning, error, critical

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// Every message a stage can log. The template's `{}` are filled with the arguments in order.
public enum LogCode: UInt16, Sendable, BitwiseCopyable, CaseIterable {
    case stageStarted = 1
    case stageStopped
    case ringFull
    case priceUpdateDropped
    case agentFailed
    case pipelineTickSourceDone
    case positionClosed
    case candleClosed
    case candleCorrected
    case marketDataReconnected
    case candleHistoryLoaded
    case candleHistoryFailed
    case positionClosedStopLoss
    case positionClosedTakeProfit
    case marginCallClosure
    case marginCallAlert
    case fundingApplied
    case fundingCorrected
    case orderRejected
    case orderStateUnknown
    case rateLimitWait
    case venueBanned
    case userStreamConnected
    case userStreamLost
    case listenKeyRenewed
    case missedFillRecovered
    case protectiveOrderRejected
    case venueFundingFee
    case venueMarginCall
    case positionClosedByVenue
    case storeDegraded
    case storeRecovered
    case tradePersisted

    public var template: String {
        switch self {
        case .stageStarted: return "stage started"
        case .stageStopped: return "stage stopped after {} messages"
        case .ringFull: return "ring full: waited {} times"
        case .priceUpdateDropped: return "dropped stale price update for symbol {}"
        case .agentFailed: return "agent failure #{}, error code {}"
        case .pipelineTickSourceDone: return "synthetic tick source finished: {} ticks"
        case .positionClosed: return "Position {} closed at {}"
        case .candleClosed: return "candle closed: symbol {} interval {}"
        case .candleCorrected: return "candle corrected by the exchange: symbol {} interval {}"
        case .marketDataReconnected: return "market data reconnected ({} reconnects so far)"
        case .candleHistoryLoaded: return "candle history: symbol {} interval {}: {} candles from REST"
        case .candleHistoryFailed: return "candle history request failed: symbol {} interval {}, attempt {}, HTTP status {}"
        case .positionClosedStopLoss: return "Position {} closed - StopLoss at {}"
        case .positionClosedTakeProfit: return "Position {} closed - TakeProfit at {}"
        case .marginCallClosure: return "Emergency closure - Margin call: margin_level={}%"
        case .marginCallAlert: return "Margin call on account {}: margin_level={}%, {} positions closing"
        case .fundingApplied: return "Funding applied to position {}: rate {}, amount {}"
        case .fundingCorrected: return "Funding corrected for position {}: venue amount {}, difference {}"
        case .orderRejected: return "Order {} rejected by the venue: code {}"
        case .orderStateUnknown: return "Order {} state unknown: querying it before anything else"
        case .rateLimitWait: return "Rate limit reached, waiting {}ms"
        case .venueBanned: return "The venue banned this IP (418) until {}: trading halted"
        case .userStreamConnected: return "User data stream connected for account {} ({} connects)"
        case .userStreamLost: return "User data stream lost for account {}: reconnecting"
        case .listenKeyRenewed: return "Listen key renewed for account {} ({} renewals)"
        case .missedFillRecovered: return "Re-sync recovered a missed fill of order {}: quantity {} at {}"
        case .protectiveOrderRejected: return "Protective order {} rejected by the venue: code {}; the engine's own checks still guard the position"
        case .venueFundingFee: return "Funding fee booked by the venue for account {}: {}"
        case .venueMarginCall: return "MARGIN_CALL from the venue for account {}"
        case .positionClosedByVenue: return "Protective order {} closed the position in symbol {} at the venue"
        case .storeDegraded: return "Journal degraded (error {}, {} records held in memory): no new positions until it recovers; open positions stay protected"
        case .storeRecovered: return "Journal recovered: held records committed in order, trading resumes"
        case .tradePersisted: return "Trade {}{} persisted to database"
        }
    }
}
