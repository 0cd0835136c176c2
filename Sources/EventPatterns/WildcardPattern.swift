/// A compiled wildcard expression: literal segments separated by `*`, each matching any
/// run of bytes. Matching is greedy and linear per segment, never exponential.
struct WildcardPattern: Sendable, Hashable {
    /// The literal pieces between wildcards; `segments.count - 1` wildcards in all.
    let segments: [[UInt8]]

    /// True when the expression has no wildcard at all.
    var isLiteral: Bool { segments.count == 1 }
    /// The literal text before the first wildcard.
    var leadingLiteral: [UInt8] { segments[0] }
    /// The literal text after the last wildcard.
    var trailingLiteral: [UInt8] { segments[segments.count - 1] }

    /// The outcome of parsing a wildcard expression.
    enum ParseResult {
        case success(WildcardPattern)
        case failure(String)
    }

    /// Parses `text`, where `\*` is a literal asterisk and `\\` a literal backslash.
    /// Error positions count from the opening quote of the value, as EventBridge does.
    static func parse(_ text: String) -> ParseResult {
        let bytes = Array(text.utf8)
        var segments: [[UInt8]] = []
        var current: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let position = index + 1
            if byte == UInt8(ascii: "*") {
                if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "*") {
                    return .failure("Consecutive wildcard characters at pos \(position)")
                }
                segments.append(current)
                current = []
            } else if byte == UInt8(ascii: "\\") {
                guard index + 1 < bytes.count,
                      bytes[index + 1] == UInt8(ascii: "*") || bytes[index + 1] == UInt8(ascii: "\\") else {
                    return .failure("Invalid escape character at pos \(position)")
                }
                current.append(bytes[index + 1])
                index += 1
            } else {
                current.append(byte)
            }
            index += 1
        }
        segments.append(current)
        return .success(WildcardPattern(segments: segments))
    }

    /// Whether `value` matches the whole expression.
    func matches(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        let first = segments[0]
        if segments.count == 1 {
            return Self.equal(value, 0, first)
        }
        let last = segments[segments.count - 1]
        guard value.count >= first.count + last.count,
              Self.equal(value, 0, first, prefixOnly: true),
              Self.equal(value, value.count - last.count, last, prefixOnly: true) else {
            return false
        }
        var cursor = first.count
        let limit = value.count - last.count
        var segmentIndex = 1
        while segmentIndex < segments.count - 1 {
            let segment = segments[segmentIndex]
            guard let found = Self.find(segment, in: value, from: cursor, limit: limit) else { return false }
            cursor = found + segment.count
            segmentIndex += 1
        }
        return true
    }

    private static func equal(_ value: UnsafeBufferPointer<UInt8>, _ start: Int, _ literal: [UInt8], prefixOnly: Bool = false) -> Bool {
        if !prefixOnly && value.count != literal.count { return false }
        guard start >= 0, start + literal.count <= value.count else { return false }
        for index in 0..<literal.count where value[start + index] != literal[index] {
            return false
        }
        return true
    }

    private static func find(_ segment: [UInt8], in value: UnsafeBufferPointer<UInt8>, from start: Int, limit: Int) -> Int? {
        if segment.isEmpty { return start }
        guard limit - start >= segment.count else { return nil }
        var position = start
        while position + segment.count <= limit {
            if equal(value, position, segment, prefixOnly: true) { return position }
            position += 1
        }
        return nil
    }
}
