import CRingBaseline

/// The 64-byte POD message every ring in these benchmarks carries. Same layout as the C side's
/// `crb_msg64_t` (checked by `checkMessageLayout()`), so the Swift and C rings move the same bytes.
public struct Msg64: BitwiseCopyable, Sendable, Equatable {
    public var seq: UInt64
    public var a: UInt64
    public var b: UInt64
    public var c: UInt64
    public var d: UInt64
    public var e: UInt64
    public var f: UInt64
    public var g: UInt64

    @inlinable
    public init(seq: UInt64, a: UInt64, b: UInt64, c: UInt64, d: UInt64, e: UInt64, f: UInt64, g: UInt64) {
        self.seq = seq; self.a = a; self.b = b; self.c = c
        self.d = d; self.e = e; self.f = f; self.g = g
    }

    /// What producers send (seq is set per message); the C side uses the same words.
    @inlinable public static var template: Msg64 { Msg64(seq: 0, a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7) }
    @inlinable public static var zero: Msg64 { Msg64(seq: 0, a: 0, b: 0, c: 0, d: 0, e: 0, f: 0, g: 0) }

    /// What consumers do with a message, on both sides: read all eight words (crb_msg64_fold).
    @inlinable public var fold: UInt64 { seq &+ a &+ b &+ c &+ d &+ e &+ f &+ g }
}

/// Traps unless `Msg64` and `crb_msg64_t` have the same size, stride and field offsets.
public func checkMessageLayout() {
    precondition(MemoryLayout<Msg64>.size == 64 && MemoryLayout<Msg64>.stride == 64)
    precondition(MemoryLayout<crb_msg64_t>.size == 64 && MemoryLayout<crb_msg64_t>.stride == 64)
    precondition(MemoryLayout<Msg64>.offset(of: \.seq) == MemoryLayout<crb_msg64_t>.offset(of: \.seq))
    precondition(MemoryLayout<Msg64>.offset(of: \.g) == MemoryLayout<crb_msg64_t>.offset(of: \.g))
}
