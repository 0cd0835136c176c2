/// An invalid event pattern or an event that cannot be read.
///
/// For patterns, `message` is the text AWS EventBridge returns in an
/// `InvalidEventPatternException`: `Event pattern is not valid. Reason: <reason>`
/// followed by the location in the pattern, formatted the way EventBridge's
/// JSON parser reports it.
public struct EventPatternError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The full message, as AWS returns it.
    public var message: String
    /// The reason alone, without the prefix or the location.
    public var reason: String

    /// Creates an error with an explicit message and reason.
    public init(message: String, reason: String) {
        self.message = message
        self.reason = reason
    }

    /// The message.
    public var description: String { message }

    /// The longest source excerpt quoted in a location, as EventBridge's parser does.
    private static let maxQuotedSource = 500

    /// An error about the pattern `source`, located at UTF-8 byte offset `offset`
    /// (the position just after the token that was last read).
    static func pattern(_ reason: String, source: [UInt8], offset: Int) -> EventPatternError {
        let location = describeLocation(source: source, offset: offset)
        return EventPatternError(
            message: "Event pattern is not valid. Reason: \(reason)\n at \(location)",
            reason: reason
        )
    }

    /// An error about an event that could not be read.
    static func event(_ reason: String) -> EventPatternError {
        EventPatternError(message: "Event is not valid. Reason: \(reason)", reason: reason)
    }

    /// `[Source: (String)"..."; line: L, column: C]` with 1-based line and column
    /// counted in UTF-16 code units, as Java reports them.
    static func describeLocation(source: [UInt8], offset: Int) -> String {
        let end = min(max(offset, 0), source.count)
        var line = 1
        var lineStart = 0
        for index in 0..<end where source[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        let column = String(decoding: source[lineStart..<end], as: UTF8.self).utf16.count + 1
        let text = String(decoding: source, as: UTF8.self)
        let units = Array(text.utf16)
        let quoted: String
        if units.count > maxQuotedSource {
            let head = String(decoding: units[0..<maxQuotedSource], as: UTF16.self)
            quoted = "\"\(head)\"[truncated \(units.count - maxQuotedSource) chars]"
        } else {
            quoted = "\"\(text)\""
        }
        return "[Source: (String)\(quoted); line: \(line), column: \(column)]"
    }
}
