import Logging
import NIOCore
import NIOPosix
import Synchronization

/// E-mails an alert through an SMTP relay: greeting, `EHLO` (falling back to `HELO`),
/// `MAIL FROM`, one `RCPT TO` per recipient, `DATA` with a dot-stuffed text/plain message,
/// `QUIT` (RFC 5321). Every reply code is checked; a whole conversation is bounded by the send
/// timeout.
///
/// ## Caveats
/// - Plain TCP, no STARTTLS and no AUTH: meant for a relay on the host or a trusted network
///   (`localhost:25` postfix/exim/nullmailer, an `msmtpd`, a cluster smarthost) that does TLS and
///   authentication onward. Do not point it at a provider's submission port across the internet.
/// - A recipient the relay refuses is logged and skipped; the alert fails only when every
///   recipient is refused.
/// - UTF-8 text goes out as `8bit` when the relay offers `8BITMIME`, else as base64; headers
///   use RFC 2047 encoded words. Addresses must be ASCII (no `SMTPUTF8`).
public struct SMTPAlertSink: AlertSink {
    public let name: String
    public let host: String
    public let port: Int
    public let from: String
    public let fromName: String?
    public let to: [String]
    /// The name sent in `EHLO` and used as the `Message-ID` domain fallback.
    public let heloName: String
    public let subjectPrefix: String
    let source: String
    let group: any EventLoopGroup
    let logger: Logger

    public init(name: String = "smtp", host: String, port: Int = 25, from: String, fromName: String? = "Tickline",
                to: [String], heloName: String? = nil, subjectPrefix: String = "[Tickline]", source: String,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "tickline.alerts")) {
        self.name = name
        self.host = host
        self.port = port
        self.from = from
        self.fromName = fromName
        self.to = to
        self.heloName = heloName ?? AlertFormat.hostName()
        self.subjectPrefix = subjectPrefix
        self.source = source
        self.group = group
        self.logger = logger
    }

    var endpoint: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public func send(_ alert: Alert, timeoutMs: Int64) async throws {
        let loop = group.next()
        let endpoint = self.endpoint
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(.milliseconds(timeoutMs))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw AlertSendError.connectFailed(endpoint: endpoint, reason: NIOAlertHTTPTransport.describe(error))
        }
        // The deadline closes the channel, which ends the reads below; `timedOut` tells why.
        let timedOut = AlertFlag()
        let raw = channel.channel
        let timer = loop.scheduleTask(in: .milliseconds(timeoutMs)) {
            timedOut.set()
            raw.close(promise: nil)
        }
        defer { timer.cancel() }
        do {
            try await withTaskCancellationHandler {
                try await channel.executeThenClose { inbound, outbound in
                    var session = SMTPSession(inbound: inbound.makeAsyncIterator(), outbound: outbound, endpoint: endpoint)
                    try await converse(&session, alert: alert)
                }
            } onCancel: {
                raw.close(promise: nil)
            }
        } catch {
            if timedOut.isSet { throw AlertSendError.timedOut(timeoutMs: timeoutMs) }
            if error is AlertSendError || error is CancellationError { throw error }
            throw AlertSendError.io("\(endpoint): \(NIOAlertHTTPTransport.describe(error))")
        }
    }

    private func converse(_ session: inout SMTPSession, alert: Alert) async throws {
        try await session.expect("greeting", [220])
        var extensions: Set<String> = []
        try await session.send("EHLO \(heloName)")
        let ehlo = try await session.readReply()
        if ehlo.code == 250 {
            for line in ehlo.lines.dropFirst() {
                if let word = line.split(separator: " ").first { extensions.insert(word.uppercased()) }
            }
        } else {
            try await session.send("HELO \(heloName)")
            try await session.expect("HELO", [250])
        }
        let message = SMTPAlertMessage.compose(
            alert, from: from, fromName: fromName, to: to, subjectPrefix: subjectPrefix, source: source,
            domain: Self.domain(of: from) ?? heloName, eightBitAllowed: extensions.contains("8BITMIME"))
        try await session.send("MAIL FROM:<\(from)>" + (message.needsEightBitMIME ? " BODY=8BITMIME" : ""))
        try await session.expect("MAIL FROM", [250])
        var accepted = 0
        var refused: [String] = []
        var lastRefusal: SMTPReply?
        for recipient in to {
            try await session.send("RCPT TO:<\(recipient)>")
            let reply = try await session.readReply()
            if reply.code == 250 || reply.code == 251 {
                accepted += 1
            } else {
                refused.append(recipient)
                lastRefusal = reply
            }
        }
        if let lastRefusal, !refused.isEmpty {
            logger.warning(
                "smtp relay refused alert recipients",
                metadata: ["sink": "\(name)", "recipients": "\(refused.joined(separator: ","))",
                           "reply": "\(lastRefusal.code) \(lastRefusal.text)"])
        }
        guard accepted > 0 else {
            try? await session.send("QUIT")
            throw AlertSendError.smtpReply(
                command: "RCPT TO", code: lastRefusal?.code ?? 0, text: lastRefusal?.text ?? "no recipients")
        }
        try await session.send("DATA")
        try await session.expect("DATA", [354])
        try await session.sendRaw(SMTPAlertMessage.dotStuffed(message.text) + "\r\n.\r\n")
        try await session.expect("end of DATA", [250])
        try await session.send("QUIT")
        _ = try? await session.readReply()  // 221; the message is already accepted either way
    }

    static func domain(of address: String) -> String? {
        guard let at = address.lastIndex(of: "@") else { return nil }
        let domain = address[address.index(after: at)...]
        return domain.isEmpty ? nil : String(domain)
    }
}

/// A flag one thread sets and another reads (a timer's "I fired").
final class AlertFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// One SMTP reply: the code and the text of each line (`250-PIPELINING` → `PIPELINING`).
struct SMTPReply: Sendable, Equatable {
    var code: Int
    var lines: [String]
    var text: String { lines.joined(separator: " / ") }
}

/// Line I/O over the connection: commands out, (multi-line) replies in.
struct SMTPSession {
    static let maxReplyBytes = 64 * 1024

    var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let endpoint: String
    var pending: [UInt8] = []

    init(inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
         outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, endpoint: String) {
        self.inbound = inbound
        self.outbound = outbound
        self.endpoint = endpoint
    }

    func send(_ command: String) async throws {
        try await sendRaw(command + "\r\n")
    }

    func sendRaw(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    /// Reads lines until one whose fourth character is not `-` (RFC 5321 §4.2.1).
    mutating func readReply() async throws -> SMTPReply {
        var code = -1
        var lines: [String] = []
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                var end = newline
                if end > 0, pending[end - 1] == 0x0D { end -= 1 }
                let line = Array(pending[..<end])
                pending.removeSubrange(...newline)
                guard line.count >= 3, let lineCode = Int(String(decoding: line[0..<3], as: UTF8.self)),
                      (200...599).contains(lineCode) || (100...199).contains(lineCode),
                      code == -1 || code == lineCode
                else {
                    throw AlertSendError.protocolError(
                        "\(endpoint): not an SMTP reply: \(String(decoding: line.prefix(80), as: UTF8.self))")
                }
                code = lineCode
                lines.append(line.count > 4 ? String(decoding: line[4...], as: UTF8.self) : "")
                if line.count > 3, line[3] == UInt8(ascii: "-") { continue }
                return SMTPReply(code: code, lines: lines)
            }
            guard pending.count < Self.maxReplyBytes else {
                throw AlertSendError.protocolError("\(endpoint): reply longer than \(Self.maxReplyBytes) bytes")
            }
            guard var chunk = try await inbound.next() else {
                throw AlertSendError.connectionClosed(endpoint: endpoint)
            }
            if let bytes = chunk.readBytes(length: chunk.readableBytes) { pending += bytes }
        }
    }

    /// Reads a reply and throws unless its code is one of `codes`.
    mutating func expect(_ command: String, _ codes: [Int]) async throws {
        let reply = try await readReply()
        guard codes.contains(reply.code) else {
            throw AlertSendError.smtpReply(command: command, code: reply.code, text: reply.text)
        }
    }
}
