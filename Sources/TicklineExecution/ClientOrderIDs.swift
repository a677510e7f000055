import TicklineCore

/// A Binance client order id (`newClientOrderId` / `clientAlgoId`) held inline: up to 36 ASCII
/// bytes, no heap. Binance's rule is `^[\.A-Z\:/a-z0-9_-]{1,36}$`.
@frozen
public struct ClientOrderID: Sendable, BitwiseCopyable, Equatable, CustomStringConvertible {
    public static let capacity = 36
    @usableFromInline var storage: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
    public private(set) var count: UInt8 = 0

    @inlinable public init() {}

    /// From text; nil unless it matches Binance's pattern.
    public init?(_ text: some Collection<UInt8>) {
        guard (1...Self.capacity).contains(text.count), text.allSatisfy(Self.isAllowed) else { return nil }
        for b in text { append(b) }
    }

    public init?(_ text: String) { self.init(Array(text.utf8)) }

    @usableFromInline mutating func append(_ byte: UInt8) {
        precondition(Int(count) < Self.capacity, "client order id longer than 36 bytes")
        withUnsafeMutableBytes(of: &storage) { $0[Int(count)] = byte }
        count += 1
    }

    /// The id's bytes, valid during the call.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<Int(count)])) }
    }

    public var description: String { withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }

    /// `[.A-Z:/a-z0-9_-]`.
    @inlinable
    public static func isAllowed(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
            || c == 0x2E || c == 0x3A || c == 0x2F || c == 0x5F || c == 0x2D
    }

    public static func == (a: ClientOrderID, b: ClientOrderID) -> Bool {
        a.count == b.count && a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.elementsEqual(y) } }
    }
}

/// Unique, deterministic client order ids: `{prefix}-{account}-{sequence}`, account and sequence
/// in lower-case base 36 (e.g. `tl-1-2s` for account 1, sequence 100). At most 8 + 1 + 4 + 1 + 13
/// = 27 characters, well inside Binance's 36.
///
/// Unique because the sequence only grows: the owner seeds it at start-up above anything it may
/// have sent before (the journal's high-water mark, or the start time in ms, which a restart
/// always exceeds), and market, stop-loss and take-profit orders all draw from it. Deterministic
/// because nothing else goes in: replay with the same seed gives the same ids. The same text
/// decodes back to (account, sequence), so a user-data event's `c` field finds its order.
public struct ClientOrderIDs: Sendable {
    public enum SetupError: Error, Equatable, Sendable { case invalidPrefix(String) }

    public let prefix: [UInt8]
    public let account: AccountID
    /// The sequence the next id gets.
    public private(set) var nextSequence: UInt64

    /// - Parameters:
    ///   - prefix: 1–8 characters of `[A-Za-z0-9_.:/]` (no '-': it separates the fields).
    ///   - firstSequence: the first id's sequence (see the type's note on restarts).
    public init(prefix: String = "tl", account: AccountID, firstSequence: UInt64) throws(SetupError) {
        let bytes = Array(prefix.utf8)
        guard (1...8).contains(bytes.count), bytes.allSatisfy({ ClientOrderID.isAllowed($0) && $0 != 0x2D }) else {
            throw .invalidPrefix(prefix)
        }
        self.prefix = bytes
        self.account = account
        self.nextSequence = firstSequence
    }

    /// The next id and its sequence.
    public mutating func next() -> (sequence: UInt64, id: ClientOrderID) {
        let s = nextSequence
        nextSequence &+= 1
        return (s, make(sequence: s))
    }

    /// The id of `sequence` (no state change).
    public func make(sequence: UInt64) -> ClientOrderID {
        var id = ClientOrderID()
        for b in prefix { id.append(b) }
        id.append(0x2D)
        Self.appendBase36(UInt64(account.rawValue), to: &id)
        id.append(0x2D)
        Self.appendBase36(sequence, to: &id)
        return id
    }

    /// (account, sequence) of an id this generator's prefix made; nil for anything else.
    public func decode(_ text: UnsafeRawBufferPointer) -> (account: AccountID, sequence: UInt64)? {
        guard text.count > prefix.count + 1, text.prefix(prefix.count).elementsEqual(prefix),
              text[prefix.count] == 0x2D else { return nil }
        var i = prefix.count + 1
        guard let account = Self.base36(text, &i), text.count > i, text[i] == 0x2D, account <= UInt64(UInt16.max)
        else { return nil }
        i += 1
        guard let sequence = Self.base36(text, &i), i == text.count else { return nil }
        return (AccountID(UInt16(account)), sequence)
    }

    public func decode(_ id: ClientOrderID) -> (account: AccountID, sequence: UInt64)? { id.withUnsafeBytes { decode($0) } }

    static func appendBase36(_ value: UInt64, to id: inout ClientOrderID) {
        var digits: (UInt64, UInt64) = (0, 0)  // 13 digits at most for UInt64
        var n = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                let r = UInt8(v % 36)
                d[n] = r < 10 ? 0x30 + r : 0x61 + r - 10
                n += 1
                v /= 36
            } while v > 0
        }
        withUnsafeBytes(of: digits) { d in
            for k in stride(from: n - 1, through: 0, by: -1) { id.append(d[k]) }
        }
    }

    /// Lower-case base-36 digits from `i` up to a '-' or the end; nil if none, or on overflow.
    static func base36(_ text: UnsafeRawBufferPointer, _ i: inout Int) -> UInt64? {
        let start = i
        var v: UInt64 = 0
        while i < text.count, text[i] != 0x2D {
            let c = text[i]
            let d: UInt64
            if c >= 0x30 && c <= 0x39 { d = UInt64(c - 0x30) } else if c >= 0x61 && c <= 0x7A { d = UInt64(c - 0x61 + 10) } else {
                return nil
            }
            let (m, o1) = v.multipliedReportingOverflow(by: 36)
            let (a, o2) = m.addingReportingOverflow(d)
            guard !o1, !o2 else { return nil }
            v = a
            i += 1
        }
        // No leading zeros (except "0" itself): one spelling per value keeps decode(make(x)) == x unique.
        guard i > start, !(text[start] == 0x30 && i - start > 1) else { return nil }
        return v
    }
}
