/// Market data, as the parse stage hands it on: one fixed 128-byte slot per event.
///
/// Every event carries `ingressNs`, the monotonic time at which the bytes it came from left the
/// socket, so each later hop can record its latency against it. Prices and quantities are in the
/// symbol's fixed-point scales (see `SymbolTable`).
@frozen
public struct MarketEvent: Sendable, BitwiseCopyable {
    public var ingressNs: UInt64
    public var symbol: SymbolID
    public var body: Body
    /// Pads the event to two whole cache lines, so ring slots never share a line.
    @usableFromInline var _padding = Padding<(UInt64, UInt64, UInt64, UInt64)>((0, 0, 0, 0))

    @frozen
    public enum Body: Sendable, BitwiseCopyable {
        case trade(TradeTick)
        case bookTicker(BookTicker)
        case markPrice(MarkPriceUpdate)
        /// A candle still in progress (Binance pushes these every 250 ms with `"x":false`).
        case klineUpdate(Kline)
        /// The final state of a candle (`"x":true`): exactly one per symbol, interval and open time.
        case klineClosed(Kline)
    }

    @inlinable
    public init(ingressNs: UInt64, symbol: SymbolID, body: Body) {
        self.ingressNs = ingressNs
        self.symbol = symbol
        self.body = body
    }

    /// The price a risk check marks positions to: the trade price or the mark price.
    @inlinable public var lastPrice: Price? {
        switch body {
        case .trade(let t): return t.price
        case .markPrice(let m): return m.markPrice
        case .klineUpdate(let k), .klineClosed(let k): return k.close
        case .bookTicker: return nil
        }
    }
}

public enum Side: UInt8, Sendable, BitwiseCopyable {
    case buy = 1
    case sell = 2

    @inlinable public var opposite: Side { self == .buy ? .sell : .buy }
}

/// A trade (`@trade`) or aggregate trade (`@aggTrade`).
@frozen
public struct TradeTick: Sendable, BitwiseCopyable, Equatable {
    public var eventTimeMs: Int64
    public var tradeTimeMs: Int64
    public var tradeID: Int64
    public var price: Price
    public var quantity: Quantity
    /// The aggressor: `.sell` when the buyer was the maker (`"m":true`).
    public var aggressor: Side
    public var isAggregate: Bool

    @inlinable
    public init(eventTimeMs: Int64, tradeTimeMs: Int64, tradeID: Int64, price: Price, quantity: Quantity,
                aggressor: Side, isAggregate: Bool) {
        self.eventTimeMs = eventTimeMs
        self.tradeTimeMs = tradeTimeMs
        self.tradeID = tradeID
        self.price = price
        self.quantity = quantity
        self.aggressor = aggressor
        self.isAggregate = isAggregate
    }
}

/// Best bid and ask (`@bookTicker`).
@frozen
public struct BookTicker: Sendable, BitwiseCopyable, Equatable {
    public var eventTimeMs: Int64
    public var updateID: Int64
    public var bidPrice: Price
    public var bidQuantity: Quantity
    public var askPrice: Price
    public var askQuantity: Quantity

    @inlinable
    public init(eventTimeMs: Int64, updateID: Int64, bidPrice: Price, bidQuantity: Quantity, askPrice: Price,
                askQuantity: Quantity) {
        self.eventTimeMs = eventTimeMs
        self.updateID = updateID
        self.bidPrice = bidPrice
        self.bidQuantity = bidQuantity
        self.askPrice = askPrice
        self.askQuantity = askQuantity
    }
}

/// Mark price with funding (`@markPrice`, `@markPrice@1s`).
@frozen
public struct MarkPriceUpdate: Sendable, BitwiseCopyable, Equatable {
    public var eventTimeMs: Int64
    public var markPrice: Price
    public var indexPrice: Price
    /// Funding rate as a fraction with 8 decimal places (Binance sends e.g. "0.00010000").
    public var fundingRateE8: Int64
    public var nextFundingTimeMs: Int64

    @inlinable
    public init(eventTimeMs: Int64, markPrice: Price, indexPrice: Price, fundingRateE8: Int64,
                nextFundingTimeMs: Int64) {
        self.eventTimeMs = eventTimeMs
        self.markPrice = markPrice
        self.indexPrice = indexPrice
        self.fundingRateE8 = fundingRateE8
        self.nextFundingTimeMs = nextFundingTimeMs
    }
}

/// One candle (`@kline_<interval>`), in progress or closed.
@frozen
public struct Kline: Sendable, BitwiseCopyable, Equatable {
    public var eventTimeMs: Int64
    public var openTimeMs: Int64
    public var open: Price
    public var high: Price
    public var low: Price
    public var close: Price
    public var volume: Quantity
    /// Quote-asset volume, in the symbol's price scale.
    public var quoteVolume: Price
    public var takerBuyVolume: Quantity
    public var tradeCount: UInt32
    public var interval: Interval

    @inlinable
    public init(eventTimeMs: Int64, openTimeMs: Int64, interval: Interval, open: Price, high: Price, low: Price,
                close: Price, volume: Quantity, quoteVolume: Price, takerBuyVolume: Quantity, tradeCount: UInt32) {
        self.eventTimeMs = eventTimeMs
        self.openTimeMs = openTimeMs
        self.interval = interval
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.quoteVolume = quoteVolume
        self.takerBuyVolume = takerBuyVolume
        self.tradeCount = tradeCount
    }

    @inlinable public var closeTimeMs: Int64 { openTimeMs + interval.durationMs - 1 }
}
