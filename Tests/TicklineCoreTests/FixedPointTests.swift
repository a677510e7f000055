import Foundation
import Testing
import TicklineCore

/// One row of `Fixtures/fixedpoint-reference.tsv` (columns: see scripts/gen_fixedpoint_reference.py).
private struct ReferenceRow: Sendable, CustomStringConvertible {
    let line: Int
    let fields: [String]
    var description: String { "line \(line): \(fields.joined(separator: " | "))" }
}

private enum Reference {
    /// Rows of the generated table for one operation; the generator's summary sets the minimum.
    static func rows(_ op: String) throws -> [ReferenceRow] {
        let url = try #require(
            Bundle.module.url(forResource: "fixedpoint-reference", withExtension: "tsv", subdirectory: "Fixtures"))
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        return lines.enumerated().compactMap { index, line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return fields.first == op ? ReferenceRow(line: index + 1, fields: Array(fields.dropFirst())) : nil
        }
    }

    /// `exact` → nil (no rounding argument); otherwise a rule name.
    static func rounding(_ name: String) throws -> FixedPointRounding? {
        switch name {
        case "exact": nil
        case "towardZero": .towardZero
        case "awayFromZero": .awayFromZero
        case "toNearestOrAwayFromZero": .toNearestOrAwayFromZero
        case "toNearestOrEven": .toNearestOrEven
        default: throw ReferenceError.unknownRule(name)
        }
    }

    static func rule(_ name: String) throws -> FixedPointRounding {
        guard let rule = try rounding(name) else { throw ReferenceError.unknownRule(name) }
        return rule
    }

    static func int(_ text: String) throws -> Int64 {
        guard let value = Int64(text) else { throw ReferenceError.badInteger(text) }
        return value
    }

    /// `nil` → nil; otherwise an integer.
    static func optionalInt(_ text: String) throws -> Int64? { text == "nil" ? nil : try int(text) }

    static func scale(_ text: String) throws -> DecimalScale { DecimalScale(places: UInt8(try int(text))) }

    enum ReferenceError: Error { case unknownRule(String), badInteger(String) }
}

private func formatted<T: FixedPointValue>(_ value: T, _ scale: DecimalScale) -> String {
    withUnsafeTemporaryAllocation(byteCount: scale.maxFormattedLength, alignment: 1) { buffer in
        let count = value.format(scale: scale, into: buffer)
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[..<count]), as: UTF8.self)
    }
}

@Suite struct FixedPointTests {
    // MARK: Reference table (Python decimal)

    @Test func referenceParse() throws {
        let rows = try Reference.rows("parse")
        #expect(rows.count > 3000)
        for row in rows {
            let scale = try Reference.scale(row.fields[0])
            let rounding = try Reference.rounding(row.fields[1])
            let expected = try Reference.optionalInt(row.fields[3])
            #expect(Price(row.fields[2], scale: scale, rounding: rounding)?.raw == expected, "\(row)")
            var text = row.fields[2]
            let viaBytes = text.withUTF8 { Quantity.parse(UnsafeRawBufferPointer($0), scale: scale, rounding: rounding) }
            #expect(viaBytes?.raw == expected, "\(row)")
        }
    }

    @Test func referenceFormat() throws {
        let rows = try Reference.rows("format")
        #expect(rows.count > 500)
        for row in rows {
            let scale = try Reference.scale(row.fields[0])
            let price = Price(raw: try Reference.int(row.fields[1]))
            #expect(formatted(price, scale) == row.fields[2], "\(row)")
            #expect(price.description(scale: scale) == row.fields[2], "\(row)")
        }
    }

    @Test func referenceRoundToIncrement() throws {
        let rows = try Reference.rows("round")
        #expect(rows.count > 300)
        for row in rows {
            let value = Price(raw: try Reference.int(row.fields[0]))
            let increment = Price(raw: try Reference.int(row.fields[1]))
            let rounded = value.rounded(toMultipleOf: increment, try Reference.rule(row.fields[2]))
            #expect(rounded.raw == (try Reference.int(row.fields[3])), "\(row)")
        }
    }

    @Test func referenceRescale() throws {
        let rows = try Reference.rows("rescale")
        #expect(rows.count > 300)
        for row in rows {
            let value = Quantity(raw: try Reference.int(row.fields[3]))
            let result = value.rescaled(
                from: try Reference.scale(row.fields[0]), to: try Reference.scale(row.fields[1]),
                try Reference.rule(row.fields[2]))
            #expect(result?.raw == (try Reference.optionalInt(row.fields[4])), "\(row)")
        }
    }

    @Test func referenceNotional() throws {
        let rows = try Reference.rows("notional")
        #expect(rows.count > 300)
        for row in rows {
            let result = Price.notional(
                price: Price(raw: try Reference.int(row.fields[4])), priceScale: try Reference.scale(row.fields[0]),
                quantity: Quantity(raw: try Reference.int(row.fields[5])), quantityScale: try Reference.scale(row.fields[1]),
                resultScale: try Reference.scale(row.fields[2]), try Reference.rule(row.fields[3]))
            #expect(result?.raw == (try Reference.optionalInt(row.fields[6])), "\(row)")
        }
    }

    @Test func referenceDivide() throws {
        let rows = try Reference.rows("divide")
        #expect(rows.count > 300)
        for row in rows {
            let value = Quantity(raw: try Reference.int(row.fields[0]))
            let (quotient, overflow) = value.dividedReportingOverflow(
                by: try Reference.int(row.fields[1]), try Reference.rule(row.fields[2]))
            #expect((overflow ? nil : quotient.raw) == (try Reference.optionalInt(row.fields[3])), "\(row)")
        }
    }

    @Test func referenceIncrementScale() throws {
        let rows = try Reference.rows("increment")
        #expect(rows.count > 20)
        for row in rows {
            let expected = try Reference.optionalInt(row.fields[1])
            #expect(DecimalScale(ofIncrement: row.fields[0]).map { Int64($0.places) } == expected, "\(row)")
        }
    }

    // MARK: Exhaustive

    @Test func scale2FormatParseRoundTripsExhaustively() {
        let scale = DecimalScale(places: 2)
        var failures = 0
        withUnsafeTemporaryAllocation(byteCount: scale.maxFormattedLength, alignment: 1) { buffer in
            for raw in Int64(-100_000)...100_000 {
                let count = Price(raw: raw).format(scale: scale, into: buffer)
                let text = UnsafeRawBufferPointer(rebasing: buffer[..<count])
                // An independent, allocating rendering to compare the bytes with.
                let cents = String(raw.magnitude % 100)
                let expected = (raw < 0 ? "-" : "") + "\(raw.magnitude / 100)." + (cents.count == 1 ? "0" : "") + cents
                if Price.parse(text, scale: scale)?.raw != raw || !text.elementsEqual(expected.utf8) {
                    failures += 1
                    if failures <= 10 { Issue.record("raw \(raw) formatted as \(String(decoding: text, as: UTF8.self))") }
                }
            }
        }
        #expect(failures == 0)
    }

    @Test func scale3ParsesEveryThreeDigitFraction() {
        let scale = DecimalScale(places: 3)
        var failures = 0
        for integer in 0...99 {
            for fraction in 0...999 {
                let digits = String(fraction)
                let text = "\(integer)." + String(repeating: "0", count: 3 - digits.count) + digits
                let expected = Int64(integer * 1000 + fraction)
                if Quantity(text, scale: scale)?.raw != expected || Quantity("-" + text, scale: scale)?.raw != -expected {
                    failures += 1
                    if failures <= 10 { Issue.record("\(text) did not parse to \(expected)") }
                }
            }
        }
        #expect(failures == 0)
    }

    // MARK: Overflow

    static let edgeRaws: [Int64] = {
        var generator = SplitMix64(seed: 0x5EED)
        return [.min, .min + 1, -1_000_000, -1, 0, 1, 1_000_000, .max - 1, .max]
            + (0..<40).map { _ in Int64(bitPattern: generator.next()) }
    }()

    @Test func addingAndSubtractingReportOverflowAtBounds() {
        let max = Price(raw: .max), min = Price(raw: .min), one = Price(raw: 1)
        #expect(max.addingReportingOverflow(one) == (Price(raw: .min), true))
        #expect(min.subtractingReportingOverflow(one) == (Price(raw: .max), true))
        #expect(max.addingReportingOverflow(min) == (Price(raw: -1), false))
        #expect(max.subtractingReportingOverflow(max) == (.zero, false))
        #expect(min.subtractingReportingOverflow(Price(raw: -1)) == (Price(raw: .min + 1), false))
        #expect(Price.zero.subtractingReportingOverflow(min) == (min, true))
        #expect(Quantity(raw: .max / 2 + 1).multipliedReportingOverflow(by: 2) == (Quantity(raw: .min), true))
        #expect(Quantity(raw: .min / 2).multipliedReportingOverflow(by: 2) == (Quantity(raw: .min), false))
        #expect(Quantity(raw: 7).multipliedReportingOverflow(by: -3) == (Quantity(raw: -21), false))
    }

    @Test func operationsMatchInt64OnRaw() {
        for a in Self.edgeRaws {
            for b in Self.edgeRaws {
                let (x, y) = (Quantity(raw: a), Quantity(raw: b))
                #expect((x &+ y).raw == a &+ b)
                #expect((x &- y).raw == a &- b)
                let sum = a.addingReportingOverflow(b), difference = a.subtractingReportingOverflow(b)
                #expect(x.addingReportingOverflow(y) == (Quantity(raw: sum.partialValue), sum.overflow))
                #expect(x.subtractingReportingOverflow(y) == (Quantity(raw: difference.partialValue), difference.overflow))
                if !sum.overflow { #expect((x + y).raw == a + b) }
                if !difference.overflow { #expect((x - y).raw == a - b) }
                #expect((x < y) == (a < b))
                let product = a.multipliedReportingOverflow(by: b)
                #expect(x.multipliedReportingOverflow(by: b) == (Quantity(raw: product.partialValue), product.overflow))
                let quotient = a.dividedReportingOverflow(by: b)
                #expect(x.dividedReportingOverflow(by: b, .towardZero) == (Quantity(raw: quotient.partialValue), quotient.overflow))
            }
        }
        var total = Quantity.zero
        total += Quantity(raw: 5)
        total -= Quantity(raw: 8)
        #expect(total == -Quantity(raw: 3))
    }

    // MARK: Binance examples

    @Test func binanceExamples() throws {
        let tick = try #require(DecimalScale(ofIncrement: "0.10"))
        let step = try #require(DecimalScale(ofIncrement: "0.001"))
        #expect(tick == DecimalScale(places: 2) && tick.multiplier == 100)
        #expect(step.places == 3)

        let price = try #require(Price("43250.10", scale: tick))
        #expect(price.raw == 4_325_010)
        #expect(price.description(scale: tick) == "43250.10")
        #expect(Quantity("0.001", scale: step)?.raw == 1)
        #expect(Quantity("0.00100000", scale: step)?.raw == 1)
        #expect(Quantity("0.0015", scale: step) == nil)
        #expect(Quantity("0.0015", scale: step, rounding: .toNearestOrEven)?.raw == 2)
        #expect(Quantity("0.0025", scale: step, rounding: .toNearestOrEven)?.raw == 2)
        #expect(Quantity("0.0025", scale: step, rounding: .toNearestOrAwayFromZero)?.raw == 3)

        // Snap a computed price onto the 0.10 tick grid: buys round down, sells up.
        let raw = try #require(Price("43250.17", scale: tick))
        let tickSize = try #require(Price("0.10", scale: tick))
        #expect(raw.rounded(toMultipleOf: tickSize, .towardZero).description(scale: tick) == "43250.10")
        #expect(raw.rounded(toMultipleOf: tickSize, .awayFromZero).description(scale: tick) == "43250.20")

        // 0.015 BTC at 43250.10 is 648.7515 USDT; at 2 places: 648.75.
        let quantity = try #require(Quantity("0.015", scale: step))
        let notional = Price.notional(
            price: price, priceScale: tick, quantity: quantity, quantityScale: step,
            resultScale: DecimalScale(places: 2), .toNearestOrEven)
        #expect(notional?.description(scale: DecimalScale(places: 2)) == "648.75")
        #expect(quantity.rescaled(from: step, to: DecimalScale(places: 8), .towardZero)?.raw == 1_500_000)
    }

    @Test func formatsScaleZeroAndNegatives() {
        #expect(Price(raw: -5).description(scale: DecimalScale(places: 0)) == "-5")
        #expect(Price(raw: -5).description(scale: DecimalScale(places: 3)) == "-0.005")
        #expect(Price(raw: .min).description(scale: DecimalScale(places: 0)) == "-9223372036854775808")
        #expect(Price(raw: .min).description(scale: DecimalScale(places: 18)) == "-9.223372036854775808")
    }
}

/// Deterministic pseudo-random numbers for the overflow cases (SplitMix64).
private struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
