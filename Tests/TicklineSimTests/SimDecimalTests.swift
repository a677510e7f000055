import Testing

@testable import TicklineSim

@Suite struct SimDecimalTests {
    @Test func parsesExactly() {
        #expect(SimDecimal("43250.10")?.units == 4_325_010_000_000)
        #expect(SimDecimal("0.001")?.units == 100_000)
        #expect(SimDecimal("-1.5")?.units == -150_000_000)
        #expect(SimDecimal("+2")?.units == 200_000_000)
        #expect(SimDecimal(".5")?.units == 50_000_000)
        #expect(SimDecimal("0.00000001")?.units == 1)
        // More than 8 decimals only if the extra ones are zeros.
        #expect(SimDecimal("1.000000000000")?.units == 100_000_000)
        #expect(SimDecimal("1.000000001") == nil)
        for junk in ["", "-", ".", "abc", "1e5", "1.2.3", "1,5", " 1", "1 ", "0x10", "--1", "NaN"] {
            #expect(SimDecimal(junk) == nil, "\(junk)")
        }
        // Int64.max units = 92233720368.54775807.
        #expect(SimDecimal("92233720368.54775807")?.units == Int64.max)
        #expect(SimDecimal("92233720368.54775808") == nil)
        #expect(SimDecimal("100000000000") == nil)
    }

    @Test func arithmeticRoundsHalfEven() {
        let d = { (s: String) in SimDecimal(s)! }
        #expect(d("0.1") + d("0.2") == d("0.3"))
        #expect(d("43250.1") - d("0.2") == d("43249.9"))
        #expect(d("43250.10") * d("0.001") == d("43.2501"))
        // 0.00000001 × 0.5 = 0.000000005 → ties to even → 0; 0.00000003 × 0.5 → 0.00000002.
        #expect(d("0.00000001") * d("0.5") == .zero)
        #expect(d("0.00000003") * d("0.5") == d("0.00000002"))
        #expect(d("-0.00000003") * d("0.5") == d("-0.00000002"))
        #expect(d("1") / d("3") == d("0.33333333"))
        #expect(d("2") / d("3") == d("0.66666667"))
        #expect(d("-2") / d("3") == d("-0.66666667"))
        // Large products go through Int128: 4 529 764 × 1 000 = 4 529 764 000.
        #expect(d("4529764") * d("1000") == SimDecimal(4_529_764_000))
        #expect(d("-3.5").abs == d("3.5"))
        #expect(d("1.5") < d("1.50000001"))
    }

    @Test func roundingToMultiples() {
        let d = { (s: String) in SimDecimal(s)! }
        let tick = d("0.10")
        #expect(d("43250.17").rounded(toMultipleOf: tick, rule: .down) == d("43250.1"))
        #expect(d("43250.11").rounded(toMultipleOf: tick, rule: .up) == d("43250.2"))
        #expect(d("43250.15").rounded(toMultipleOf: tick, rule: .nearest) == d("43250.2"))  // tie → even (…2)
        #expect(d("43250.25").rounded(toMultipleOf: tick, rule: .nearest) == d("43250.2"))  // tie → even (…2)
        #expect(d("-0.15").rounded(toMultipleOf: tick, rule: .down) == d("-0.2"))
        #expect(d("-0.15").rounded(toMultipleOf: tick, rule: .up) == d("-0.1"))
        #expect(d("43250.1").isMultiple(of: tick))
        #expect(!d("43250.15").isMultiple(of: tick))
        #expect(d("0.001").decimalPlaces == 3)
        #expect(d("10").decimalPlaces == 0)
    }

    @Test func formats() {
        let d = { (s: String) in SimDecimal(s)! }
        #expect(d("43250.1").format(decimals: 2) == "43250.10")
        #expect(d("0.1").format(decimals: 2) == "0.10")
        #expect(d("0.001").format(decimals: 8) == "0.00100000")
        #expect(d("-2.5").format(decimals: 0) == "-2")  // half-even
        #expect(d("0.125").format(decimals: 2) == "0.12")
        #expect(d("0.135").format(decimals: 2) == "0.14")
        #expect(d("-0.001").format(decimals: 3) == "-0.001")
        #expect(d("0.001").plain == "0.001")
        #expect(d("1.000").plain == "1")
        #expect(d("-2.50").plain == "-2.5")
        #expect(SimDecimal.zero.plain == "0")
        #expect(SimDecimal(units: 1).plain == "0.00000001")
    }
}
