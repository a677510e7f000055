/// What the market-data and order connections need from an I/O backend. Two backends: the
/// io_uring loop (default) and `PollingSocketLoop` (non-blocking sockets polled in a spin, the
/// fastest mode measured on this VM). Owners are generic over it, so calls are static.
public protocol SocketEventLoop: AnyObject {
    @discardableResult func connect(fd: Int32, to address: SocketAddress, token: UInt32, timeoutNs: UInt64) -> Bool
    @discardableResult func receive(fd: Int32, token: UInt32) -> Bool
    @discardableResult func send(fd: Int32, _ bytes: UnsafeRawBufferPointer, token: UInt32) -> Bool
    @discardableResult func close(fd: Int32, token: UInt32) -> Bool
    func poll(_ handler: (URingCompletion, UnsafeRawBufferPointer?) -> Void) -> Int
    /// Hands what was queued to the kernel now rather than at the next `poll`.
    func flush()
}

extension URingLoop: SocketEventLoop {}
