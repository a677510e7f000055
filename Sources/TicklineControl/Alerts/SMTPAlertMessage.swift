import Foundation

/// The e-mail for one alert (RFC 5322 headers, text/plain body), CRLF line endings, before
/// dot-stuffing. Pure code: `SMTPAlertSink` decides the transfer encoding from the relay's
/// `EHLO` answer and hands the text to `dotStuffed`.
struct SMTPAlertMessage: Sendable, Equatable {
    /// Headers, a blank line, the body; CRLF line endings; no final CRLF.
    var text: String
    /// The body is raw UTF-8 (`8bit`): `MAIL FROM` must carry `BODY=8BITMIME`.
    var needsEightBitMIME: Bool

    /// RFC 5321 §4.5.3.1.6: a text line is at most 998 octets before CRLF.
    static let maxLineBytes = 998

    static func compose(
        _ alert: Alert, from: String, fromName: String?, to: [String], subjectPrefix: String, source: String,
        domain: String, eightBitAllowed: Bool, messageID: String? = nil
    ) -> SMTPAlertMessage {
        let body = bodyLines(alert, source: source)
        let ascii = body.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } }
        let shortLines = body.allSatisfy { $0.utf8.count <= maxLineBytes }
        let encoding: String
        var bodyText: String
        if ascii && shortLines {
            encoding = "7bit"
            bodyText = body.joined(separator: "\r\n")
        } else if eightBitAllowed && shortLines {
            encoding = "8bit"
            bodyText = body.joined(separator: "\r\n")
        } else {
            encoding = "base64"
            bodyText = Data(body.joined(separator: "\r\n").utf8).base64EncodedString(
                options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        }
        let subject = "\(subjectPrefix.isEmpty ? "" : subjectPrefix + " ")\(alert.severity.rawValue.uppercased()): "
            + alert.summary
        let fromHeader = fromName.map { "\(displayName($0)) <\(from)>" } ?? from
        let id = messageID ?? "<tickline.\(alert.timeMs).\(String(UInt64.random(in: 0...UInt64.max), radix: 16))@\(domain)>"
        let headers = [
            "From: \(headerSafe(fromHeader))",
            "To: \(headerSafe(to.joined(separator: ", ")))",
            "Subject: \(encodedWords(AlertFormat.truncate(headerSafe(subject), maxCharacters: 200)))",
            "Date: \(AlertFormat.rfc5322(ms: alert.timeMs))",
            "Message-ID: \(headerSafe(id))",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: \(encoding)",
            "X-Tickline-Alert-Key: \(encodedWords(headerSafe(alert.key)))",
            "X-Tickline-Severity: \(alert.severity.rawValue)",
            "Auto-Submitted: auto-generated",
        ]
        return SMTPAlertMessage(
            text: headers.joined(separator: "\r\n") + "\r\n\r\n" + bodyText, needsEightBitMIME: encoding == "8bit")
    }

    /// The body as lines. Every piece of alert text is split at its own line breaks, so no bare
    /// CR or LF reaches the wire (RFC 5321 §2.3.8).
    static func bodyLines(_ alert: Alert, source: String) -> [String] {
        rawBodyLines(alert, source: source).flatMap(textLines)
    }

    private static func rawBodyLines(_ alert: Alert, source: String) -> [String] {
        var lines = ["\(alert.severity.rawValue.uppercased()): \(alert.summary)", ""]
        lines += ["Impact:"] + textLines(alert.impact) + [""]
        lines += ["Remediation:"] + textLines(alert.remediation) + [""]
        lines += ["Log reference: \(alert.logReference)", ""]
        lines += [
            "Alert key: \(alert.key)",
            "Component: \(alert.component)",
            "Severity:  \(alert.severity.rawValue)",
            "Time:      \(AlertFormat.iso8601(ms: alert.timeMs))",
            "Source:    \(source)",
        ]
        let context = alert.sortedContext
        if !context.isEmpty {
            lines.append("Context:")
            for (name, value) in context { lines += textLines("  \(name): \(value)") }
        }
        return lines
    }

    /// `text` split at CRLF, CR or LF.
    static func textLines(_ text: String) -> [String] {
        text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// RFC 5321 §4.5.2 transparency: every line that starts with `.` gets one more, so no line
    /// of the message can read as the end-of-data marker.
    static func dotStuffed(_ text: String) -> String {
        text.split(separator: "\r\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") ? "." + $0 : String($0) }
            .joined(separator: "\r\n")
    }

    /// A header value with CR and LF replaced by spaces (no header injection from alert text).
    static func headerSafe(_ value: String) -> String {
        String(value.map { $0 == "\r" || $0 == "\n" || $0 == "\r\n" ? " " : $0 })
    }

    /// ASCII as is; otherwise RFC 2047 `=?utf-8?B?…?=` words of ≤ 45 bytes of text each
    /// (≤ 72 characters encoded), folded onto continuation lines.
    static func encodedWords(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 >= 0x80 }) else { return value }
        var words: [String] = []
        var chunk: [UInt8] = []
        for ch in value {
            let bytes = Array(String(ch).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?utf-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?utf-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words.joined(separator: "\r\n ")
    }

    /// A display name as a quoted string (ASCII) or encoded words.
    static func displayName(_ name: String) -> String {
        let clean = headerSafe(name).filter { $0 != "\"" && $0 != "\\" }
        return clean.utf8.contains(where: { $0 >= 0x80 }) ? encodedWords(clean) : "\"\(clean)\""
    }
}
