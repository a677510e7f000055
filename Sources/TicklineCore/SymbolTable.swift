/// The start-up table of symbols: name ↔ `SymbolID`, and each symbol's fixed-point scales.
///
/// Built once before the data plane starts and then only read, so lookups by id are array
/// indexing. Lookup by name (`id(of:)`) is for configuration and parsing set-up, not for the
/// per-message path: the parse stage resolves names against pre-hashed byte keys instead.
public struct SymbolTable: Sendable {
    /// What the engine knows about one symbol.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var priceScale: DecimalScale
        public var quantityScale: DecimalScale

        public init(name: String, priceScale: DecimalScale, quantityScale: DecimalScale) {
            self.name = name
            self.priceScale = priceScale
            self.quantityScale = quantityScale
        }
    }

    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case duplicate(String)
        case invalidName(String)
        case tooMany(Int)

        public var description: String {
            switch self {
            case .duplicate(let n): return "symbol \(n) is listed twice"
            case .invalidName(let n): return "symbol name '\(n)' must be 1–20 upper-case letters or digits"
            case .tooMany(let c): return "\(c) symbols exceed the table's limit of \(Int(UInt16.max))"
            }
        }
    }

    public private(set) var entries: [Entry] = []
    private var idsByName: [String: SymbolID] = [:]

    public init() {}

    public init(_ entries: [Entry]) throws {
        for e in entries { _ = try intern(e) }
    }

    /// Adds a symbol and returns its id; ids are assigned in insertion order.
    @discardableResult
    public mutating func intern(_ entry: Entry) throws -> SymbolID {
        guard !entry.name.isEmpty, entry.name.utf8.count <= 20,
            entry.name.utf8.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) })
        else { throw Error.invalidName(entry.name) }
        guard idsByName[entry.name] == nil else { throw Error.duplicate(entry.name) }
        guard entries.count < Int(UInt16.max) else { throw Error.tooMany(entries.count + 1) }
        let id = SymbolID(UInt16(entries.count))
        entries.append(entry)
        idsByName[entry.name] = id
        return id
    }

    public var count: Int { entries.count }
    public func id(of name: String) -> SymbolID? { idsByName[name] }
    public subscript(id: SymbolID) -> Entry { entries[id.index] }
    public func name(of id: SymbolID) -> String { entries[id.index].name }
}
