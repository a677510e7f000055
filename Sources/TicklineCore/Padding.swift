/// Bytes that round a message up to whole cache lines. Never read; equal whatever they hold, so
/// padding does not stop a message from being `Equatable`.
@frozen
public struct Padding<Storage: BitwiseCopyable & Sendable>: Equatable, Sendable, BitwiseCopyable {
    @usableFromInline var storage: Storage
    @inlinable public init(_ storage: Storage) { self.storage = storage }
    @inlinable public static func == (_: Self, _: Self) -> Bool { true }
}
