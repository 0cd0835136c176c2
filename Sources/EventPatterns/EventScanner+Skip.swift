/// Skipping the parts of an event no rule names: validated, never decoded, and
/// iterative so that deep nesting costs no stack.
extension EventScanner {
    @inline(__always)
    private static func isWhitespace(_ byte: UInt8) -> Bool {
        JSONSkipper.isWhitespace(byte)
    }

    /// Skips one value (of any kind) starting at the current position.
    mutating func skipValue() throws(EventPatternError) {
        guard let text = bytes.baseAddress else { throw failure("Unexpected end-of-input") }
        let count = bytes.count
        skipWhitespace()
        guard position < count else { throw failure("Unexpected end-of-input") }
        let byte = text[position]
        if byte == UInt8(ascii: "\"") {
            // Most skipped values are plain strings: find the closing quote directly.
            let special = JSONWords.stringSpecial(text, from: position + 1, count: count)
            if special < count && text[special] == UInt8(ascii: "\"") {
                position = special + 1
                return
            }
        } else if validation == .assumeValid {
            if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                let end = StructuralSkipper.skipContainer(text, count: count, from: position)
                guard end >= 0 else {
                    position = count
                    throw failure("Unexpected end-of-input")
                }
                position = end
                return
            }
        }
        let skipped = JSONSkipper.skip(text, count: count, from: position)
        if skipped >= 0 {
            position = skipped
            return
        }
        try validatingSkip(text, count: count)
    }

    /// `skipValue` for what the fast skipper leaves: escapes, deep nesting, and errors,
    /// which it reports precisely.
    private mutating func validatingSkip(_ text: UnsafePointer<UInt8>, count: Int) throws(EventPatternError) {
        var index = position
        // The open containers, innermost in bit 0 (set for an object); levels beyond 64
        // spill their bit to `skipStack`.
        var kinds: UInt64 = 0
        var depth = 0
        var expectKey = false
        while true {
            while index < count, Self.isWhitespace(text[index]) { index += 1 }
            guard index < count else {
                position = index
                throw failure("Unexpected end-of-input")
            }
            if expectKey {
                expectKey = false
                guard text[index] == UInt8(ascii: "\"") else {
                    position = index
                    throw failure("Expected a double-quote to start a field name")
                }
                var escapes = false
                let end = JSONStringDecoder.end(bytes, openingQuote: index, hasEscapes: &escapes)
                guard end >= 0 else {
                    position = index
                    return try stringFailure()
                }
                index = end
                if index < count, text[index] == UInt8(ascii: ":") {
                    index += 1
                    continue
                }
                while index < count, Self.isWhitespace(text[index]) { index += 1 }
                guard index < count, text[index] == UInt8(ascii: ":") else {
                    position = index
                    throw failure("Expected a colon to separate field name and value")
                }
                index += 1
                continue
            }
            let byte = text[index]
            switch byte {
            case UInt8(ascii: "\""):
                var escapes = false
                let end = JSONStringDecoder.end(bytes, openingQuote: index, hasEscapes: &escapes)
                guard end >= 0 else {
                    position = index
                    return try stringFailure()
                }
                index = end
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let end = JSONNumberScanner.end(bytes, from: index)
                guard end >= 0 else {
                    position = index
                    return try numberFailure()
                }
                index = end
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = byte == UInt8(ascii: "{")
                index += 1
                while index < count, Self.isWhitespace(text[index]) { index += 1 }
                if index < count, text[index] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    index += 1
                } else {
                    guard depth < Self.maxDepth else {
                        position = index
                        throw failure("Event nesting is deeper than \(Self.maxDepth) levels")
                    }
                    if depth >= 64 { scratch.pointee.skipStack.append(kinds >> 63 == 1) }
                    kinds = kinds << 1 | (isObject ? 1 : 0)
                    depth += 1
                    expectKey = isObject
                    continue
                }
            default:
                position = index
                let length = literalLength()
                guard length > 0 else { throw failure("Unrecognized token: was expecting a JSON value") }
                index += length
            }
            // After a complete value: close containers or move to the next element.
            while depth > 0 {
                let isObject = kinds & 1 == 1
                while index < count, Self.isWhitespace(text[index]) { index += 1 }
                guard index < count else {
                    position = index
                    throw failure("Unexpected end-of-input")
                }
                let next = text[index]
                index += 1
                if next == UInt8(ascii: ",") {
                    expectKey = isObject
                    break
                }
                if next == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    depth -= 1
                    kinds >>= 1
                    if depth >= 64, scratch.pointee.skipStack.removeLastElement() { kinds |= UInt64(1) << 63 }
                    continue
                }
                position = index - 1
                throw failure(isObject ? "Expected a comma to separate object entries" : "Expected a comma to separate array entries")
            }
            if depth == 0 && !expectKey {
                position = index
                return
            }
        }
    }

    /// Throws the error for the malformed string at the current position.
    mutating func stringFailure() throws(EventPatternError) {
        if case .failure(let reason, let at) = JSONStringDecoder.scan(bytes, openingQuote: position) {
            position = at
            throw failure(reason)
        }
        throw failure("Malformed string")
    }

    /// Throws the error for the malformed number at the current position.
    mutating func numberFailure() throws(EventPatternError) {
        if case .failure(let reason, let at) = JSONNumberScanner.scan(bytes, from: position) {
            position = at
            throw failure(reason)
        }
        throw failure("Malformed number")
    }
}
