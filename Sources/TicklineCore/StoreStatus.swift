/// The store telling risk whether journaling works (64 bytes). While degraded, risk stops
/// opening positions but keeps protecting open ones.
@frozen
public struct StoreStatus: Sendable, BitwiseCopyable, Equatable {
    public var timeNs: UInt64
    /// Records waiting in memory while the store is degraded.
    public var pendingRecords: UInt64
    /// The LMDB or errno code behind the state change (0 when recovered).
    public var errorCode: Int32
    public var state: State
    @usableFromInline var _padding = Padding<(UInt64, UInt64, UInt64, UInt64, UInt64)>((0, 0, 0, 0, 0))

    public enum State: UInt8, Sendable, BitwiseCopyable {
        case healthy = 1, degraded, recovered
    }

    @inlinable
    public init(state: State, timeNs: UInt64, pendingRecords: UInt64 = 0, errorCode: Int32 = 0) {
        self.state = state
        self.timeNs = timeNs
        self.pendingRecords = pendingRecords
        self.errorCode = errorCode
    }
}
