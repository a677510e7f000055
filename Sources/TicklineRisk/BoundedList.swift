/// An array with a fixed capacity reserved once: appending within it never allocates (as long as
/// the list is not copied while being appended to), and appending beyond it fails instead of
/// growing. Read as a `RandomAccessCollection`.
public struct BoundedList<Element>: RandomAccessCollection {
    @usableFromInline var storage: [Element]
    public let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        storage = []
        storage.reserveCapacity(capacity)
    }

    /// False (and nothing stored) when full.
    @discardableResult
    mutating func append(_ element: Element) -> Bool {
        guard storage.count < capacity else { return false }
        storage.append(element)
        return true
    }

    mutating func removeAll() { storage.removeAll(keepingCapacity: true) }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { storage.count }
    @inlinable public subscript(position: Int) -> Element { storage[position] }
}
