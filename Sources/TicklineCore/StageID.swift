/// The data plane's stages, and the side-channel consumers beside them.
public enum StageID: UInt8, CaseIterable, Sendable, BitwiseCopyable {
    case parse = 0, indicator, signal, risk, order, store, publish

    /// The five trading stages, in pipeline order.
    public static let tradingStages: [StageID] = [.parse, .indicator, .signal, .risk, .order]

    public var name: String {
        switch self {
        case .parse: return "parse"
        case .indicator: return "indicator"
        case .signal: return "signal"
        case .risk: return "risk"
        case .order: return "order"
        case .store: return "store"
        case .publish: return "publish"
        }
    }

    public init?(name: String) {
        guard let s = StageID.allCases.first(where: { $0.name == name }) else { return nil }
        self = s
    }
}
