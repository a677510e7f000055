import ArgumentParser
import Foundation
import TicklineBinance
import TicklineCore

/// `tickline parse --capture FILE`: runs the engine's Binance stream parser over a recorded
/// capture (`<local_ns> <json>` lines, gzip or plain) and prints one JSON object per message with
/// the fields the engine keeps, under Binance's own names: decimals as strings at the symbol's
/// scale, times and ids as integers. Malformed lines are counted on stderr. Tests compare this
/// output with an independent parse (`scripts/binance_reference_parse.py`).
struct Parse: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parse a recorded Binance stream capture and print what the engine extracts, one JSON object per line.")

    @Option(help: "Capture file: lines '<local_ns> <json>', gzip-compressed or plain.")
    var capture: String

    @Option(name: .customLong("symbol"),
            help: "A symbol and its scales as NAME:PRICE_DECIMALS:QTY_DECIMALS (repeatable; default BTCUSDT:2:3 and ETHUSDT:2:3).")
    var symbols: [String] = []

    func run() throws {
        var table = SymbolTable()
        for spec in symbols.isEmpty ? ["BTCUSDT:2:3", "ETHUSDT:2:3"] : symbols {
            let parts = spec.split(separator: ":")
            guard parts.count == 3, let p = UInt8(parts[1]), let q = UInt8(parts[2]), p <= 18, q <= 18 else {
                fail("--symbol \(spec): expected NAME:PRICE_DECIMALS:QTY_DECIMALS")
            }
            do {
                try table.intern(.init(name: String(parts[0]), priceScale: DecimalScale(places: p),
                                       quantityScale: DecimalScale(places: q)))
            } catch {
                fail("--symbol \(spec): \(error)")
            }
        }
        guard let data = readCapture(capture) else { fail("\(capture): cannot read file") }
        var parser = BinanceStreamParser(symbols: BinanceSymbols(table))
        var out = ""
        out.reserveCapacity(1 << 20)
        var malformedLines = 0, lineNumber = 0
        let stdout = FileHandle.standardOutput
        data.withUnsafeBytes { (all: UnsafeRawBufferPointer) in
            var start = 0
            while start < all.count {
                var end = start
                while end < all.count && all[end] != 0x0A { end += 1 }
                lineNumber += 1
                let line = UnsafeRawBufferPointer(rebasing: all[start..<end])
                start = end + 1
                guard !line.isEmpty else { continue }
                guard let space = line.firstIndex(of: 0x20) else {
                    malformedLines += 1
                    continue
                }
                let json = UnsafeRawBufferPointer(rebasing: line[(space + 1)...])
                switch parser.parse(json, ingressNs: 0) {
                case .success(let message):
                    if let text = render(message, table) { out += text + "\n" }
                case .failure(let error):
                    malformedLines += 1
                    FileHandle.standardError.write(Data("line \(lineNumber): \(error)\n".utf8))
                }
                if out.utf8.count > 1 << 20 {
                    stdout.write(Data(out.utf8))
                    out.removeAll(keepingCapacity: true)
                }
            }
        }
        stdout.write(Data(out.utf8))
        FileHandle.standardError.write(Data("parsed \(parser.parsed) messages, \(malformedLines) malformed lines\n".utf8))
    }

    func readCapture(_ path: String) -> Data? {
        guard let raw = FileManager.default.contents(atPath: path) else { return nil }
        guard raw.count > 2, raw[0] == 0x1F, raw[1] == 0x8B else { return raw }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-dc", path]
        let pipe = Pipe()
        p.standardOutput = pipe
        do { try p.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return p.terminationStatus == 0 ? data : nil
    }

    func render(_ message: BinanceStreamMessage, _ table: SymbolTable) -> String? {
        func q(_ s: String) -> String { "\"" + s + "\"" }
        switch message {
        case .market(let event):
            let entry = table[event.symbol]
            let ps = entry.priceScale, qs = entry.quantityScale
            switch event.body {
            case .trade(let t):
                let id = t.isAggregate ? "\"a\":\(t.tradeID)" : "\"t\":\(t.tradeID)"
                return "{\"e\":\(q(t.isAggregate ? "aggTrade" : "trade")),\"E\":\(t.eventTimeMs),\"T\":\(t.tradeTimeMs),"
                    + "\"s\":\(q(entry.name)),\(id),\"p\":\(q(t.price.description(scale: ps))),"
                    + "\"q\":\(q(t.quantity.description(scale: qs))),\"m\":\(t.aggressor == .sell)}"
            case .bookTicker(let b):
                return "{\"e\":\"bookTicker\",\"E\":\(b.eventTimeMs),\"s\":\(q(entry.name)),\"u\":\(b.updateID),"
                    + "\"b\":\(q(b.bidPrice.description(scale: ps))),\"B\":\(q(b.bidQuantity.description(scale: qs))),"
                    + "\"a\":\(q(b.askPrice.description(scale: ps))),\"A\":\(q(b.askQuantity.description(scale: qs)))}"
            case .markPrice(let m):
                return "{\"e\":\"markPriceUpdate\",\"E\":\(m.eventTimeMs),\"s\":\(q(entry.name)),"
                    + "\"p\":\(q(m.markPrice.description(scale: ps))),\"i\":\(q(m.indexPrice.description(scale: ps))),"
                    + "\"r\":\(q(Price(raw: m.fundingRateE8).description(scale: DecimalScale(places: 8)))),"
                    + "\"T\":\(m.nextFundingTimeMs)}"
            case .klineUpdate(let k), .klineClosed(let k):
                let closed: Bool
                if case .klineClosed = event.body { closed = true } else { closed = false }
                return "{\"e\":\"kline\",\"E\":\(k.eventTimeMs),\"s\":\(q(entry.name)),\"i\":\(q(k.interval.name)),"
                    + "\"t\":\(k.openTimeMs),\"o\":\(q(k.open.description(scale: ps))),\"h\":\(q(k.high.description(scale: ps))),"
                    + "\"l\":\(q(k.low.description(scale: ps))),\"c\":\(q(k.close.description(scale: ps))),"
                    + "\"v\":\(q(k.volume.description(scale: qs))),\"q\":\(q(k.quoteVolume.description(scale: ps))),"
                    + "\"V\":\(q(k.takerBuyVolume.description(scale: qs))),\"n\":\(k.tradeCount),\"x\":\(closed)}"
            }
        case .depth(let d):
            return "{\"e\":\"depthUpdate\",\"E\":\(d.eventTimeMs),\"T\":\(d.transactionTimeMs),\"s\":\(q(table.name(of: d.symbol))),"
                + "\"U\":\(d.firstUpdateId),\"u\":\(d.finalUpdateId),\"pu\":\(d.previousFinalUpdateId)}"
        case .depthSnapshot(let id, let e, let t):
            return "{\"e\":\"depthSnapshot\",\"lastUpdateId\":\(id),\"E\":\(e),\"T\":\(t)}"
        case .reply(let id):
            return "{\"e\":\"reply\",\"id\":\(id)}"
        case .ignored:
            return nil
        }
    }
}
