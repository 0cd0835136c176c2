/// The outcome of scanning a JSON number.
enum NumberScan {
    case success(end: Int, isInteger: Bool)
    case failure(reason: String, at: Int)
}

/// The outcome of scanning a JSON string.
enum StringScan {
    /// `end` is just past the closing quote.
    case success(end: Int, hasEscapes: Bool)
    case failure(reason: String, at: Int)
}

/// The outcome of decoding a JSON string.
enum StringDecode {
    case success(bytes: [UInt8], end: Int)
    case failure(reason: String, at: Int)
}

/// Describes a byte the way Java's JSON parser does in its messages.
func describeJSONByte(_ byte: UInt8) -> String {
    if byte < 0x20 { return "(CTRL-CHAR, code \(byte))" }
    return "'\(Character(Unicode.Scalar(byte)))' (code \(byte))"
}

/// Scans JSON numbers without converting them.
enum JSONNumberScanner {
    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    /// The end of the valid number starting at `start`, or -1 (then `scan` explains why).
    @_transparent
    static func end(_ text: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = text.baseAddress, start < text.count,
              base[start] == UInt8(ascii: "-") || isDigit(base[start]) else { return -1 }
        return JSONSkipper.numberEnd(base, count: text.count, from: start)
    }

    /// Scans the number starting at `start` (a minus sign or a digit).
    static func scan(_ text: UnsafeBufferPointer<UInt8>, from start: Int) -> NumberScan {
        var index = start
        let end = text.endIndex
        var isInteger = true
        if index < end, text[index] == UInt8(ascii: "-") { index += 1 }
        guard index < end, isDigit(text[index]) else {
            if index < end {
                return .failure(reason: "Unexpected character (\(describeJSONByte(text[index]))) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value", at: index)
            }
            return .failure(reason: "Unexpected end-of-input in numeric value", at: max(index - 1, start))
        }
        if text[index] == UInt8(ascii: "0") {
            index += 1
            if index < end, isDigit(text[index]) {
                return .failure(reason: "Invalid numeric value: Leading zeroes not allowed", at: index)
            }
        } else {
            while index < end, isDigit(text[index]) { index += 1 }
        }
        if index < end, text[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < end, isDigit(text[index]) else {
                let at = min(index, end - 1)
                let what = index < end ? describeJSONByte(text[index]) : "end-of-input"
                return .failure(reason: "Unexpected character (\(what)) in numeric value: Decimal point not followed by a digit", at: at)
            }
            while index < end, isDigit(text[index]) { index += 1 }
        }
        if index < end, text[index] == UInt8(ascii: "e") || text[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < end, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") { index += 1 }
            guard index < end, isDigit(text[index]) else {
                let at = min(index, end - 1)
                let what = index < end ? describeJSONByte(text[index]) : "end-of-input"
                return .failure(reason: "Unexpected character (\(what)) in numeric value: Exponent indicator not followed by a digit", at: at)
            }
            while index < end, isDigit(text[index]) { index += 1 }
        }
        return .success(end: index, isInteger: isInteger)
    }
}

/// Scans and decodes JSON strings.
enum JSONStringDecoder {
    /// The end (past the closing quote) of the valid string opening at `openingQuote`,
    /// or -1 (then `scan` explains why); sets `hasEscapes`.
    ///
    /// `@_transparent`, as `JSONSkipper.numberEnd` is: with `@inline(__always)` the
    /// optimizer still called it for every key (see `docs/performance.md`).
    @_transparent
    static func end(_ text: UnsafeBufferPointer<UInt8>, openingQuote: Int, hasEscapes: inout Bool) -> Int {
        guard let base = text.baseAddress else { return -1 }
        let index = JSONWords.stringSpecial(base, from: openingQuote + 1, count: text.count)
        if index < text.count && base[index] == UInt8(ascii: "\"") { return index + 1 }
        if index < text.count && base[index] == UInt8(ascii: "\\") {
            if case .success(let found, _) = scan(text, openingQuote: openingQuote) {
                hasEscapes = true
                return found
            }
        }
        return -1
    }

    /// Finds the end of the string opening at `openingQuote`, validating escapes.
    @inline(__always)
    static func scan(_ text: UnsafeBufferPointer<UInt8>, openingQuote: Int) -> StringScan {
        guard let base = text.baseAddress else {
            return .failure(reason: "Unexpected end-of-input: was expecting closing quote for a string value", at: openingQuote)
        }
        let end = text.endIndex
        var index = JSONWords.stringSpecial(base, from: openingQuote + 1, count: end)
        var hasEscapes = false
        while index < end {
            let byte = text[index]
            if byte == UInt8(ascii: "\"") {
                return .success(end: index + 1, hasEscapes: hasEscapes)
            }
            if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                guard index + 1 < end else { break }
                let escaped = text[index + 1]
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 2
                case UInt8(ascii: "u"):
                    guard index + 5 < end else {
                        return .failure(reason: "Unexpected end-of-input in character escape sequence", at: end - 1)
                    }
                    for offset in 2...5 where hexValue(text[index + offset]) == nil {
                        return .failure(reason: "Unexpected character (\(describeJSONByte(text[index + offset]))): expected a hex-digit for character escape sequence", at: index + offset)
                    }
                    index += 6
                default:
                    return .failure(reason: "Unrecognized character escape \(describeJSONByte(escaped))", at: index + 1)
                }
                continue
            }
            if byte < 0x20 {
                return .failure(reason: "Illegal unquoted character (\(describeJSONByte(byte))): has to be escaped using backslash to be included in string value", at: index)
            }
            index = JSONWords.stringSpecial(base, from: index + 1, count: end)
        }
        return .failure(reason: "Unexpected end-of-input: was expecting closing quote for a string value", at: end - 1)
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// Decodes the content between `start` (after the opening quote) and `end` (the closing
    /// quote) of an already scanned string, appending UTF-8 bytes to `output`.
    static func unescape(_ text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, into output: inout [UInt8]) {
        var index = start
        while index < end {
            let byte = text[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < end else {
                output.append(byte)
                index += 1
                continue
            }
            let escaped = text[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                var unit = readHex4(text, at: index)
                index += 4
                if unit >= 0xD800, unit < 0xDC00, index + 5 < end, text[index] == UInt8(ascii: "\\"),
                   text[index + 1] == UInt8(ascii: "u") {
                    let low = readHex4(text, at: index + 2)
                    if low >= 0xDC00, low < 0xE000 {
                        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                }
                appendUTF8(unit, to: &output)
            default: output.append(escaped)
            }
        }
    }

    private static func readHex4(_ text: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt32 {
        var value: UInt32 = 0
        for offset in 0..<4 {
            value = value << 4 | (hexValue(text[index + offset]) ?? 0)
        }
        return value
    }

    private static func appendUTF8(_ value: UInt32, to output: inout [UInt8]) {
        let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
        UTF8.encode(scalar) { output.append($0) }
    }

    /// Scans and decodes the string opening at `openingQuote`.
    static func decode(_ text: UnsafeBufferPointer<UInt8>, openingQuote: Int) -> StringDecode {
        switch scan(text, openingQuote: openingQuote) {
        case .failure(let reason, let at):
            return .failure(reason: reason, at: at)
        case .success(let end, let hasEscapes):
            if !hasEscapes {
                return .success(bytes: Array(text[(openingQuote + 1)..<(end - 1)]), end: end)
            }
            var bytes: [UInt8] = []
            unescape(text, from: openingQuote + 1, to: end - 1, into: &bytes)
            return .success(bytes: bytes, end: end)
        }
    }
}
