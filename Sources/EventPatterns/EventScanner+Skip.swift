/// Skipping the parts of an event no rule names: validated, never decoded, and
/// iterative so that deep nesting costs no stack.
extension EventScanner {
    @inline(__always)
    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// Skips one value (of any kind) starting at the current position.
    mutating func skipValue() throws(EventPatternError) {
        let text = bytes
        let count = text.count
        var index = position
        // Open containers, innermost last: true for an object. Depth is tracked in
        // `depth`; the stack only needs to know object versus array.
        scratch.skipStack.removeAll(keepingCapacity: true)
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
                let end = JSONStringDecoder.end(text, openingQuote: index, hasEscapes: &escapes)
                guard end >= 0 else {
                    position = index
                    return try stringFailure()
                }
                index = end
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
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = byte == UInt8(ascii: "{")
                index += 1
                while index < count, Self.isWhitespace(text[index]) { index += 1 }
                if index < count, text[index] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    index += 1
                } else {
                    guard scratch.skipStack.count < Self.maxDepth else {
                        position = index
                        throw failure("Event nesting is deeper than \(Self.maxDepth) levels")
                    }
                    scratch.skipStack.append(isObject)
                    expectKey = isObject
                    continue
                }
            case UInt8(ascii: "\""):
                var escapes = false
                let end = JSONStringDecoder.end(text, openingQuote: index, hasEscapes: &escapes)
                guard end >= 0 else {
                    position = index
                    return try stringFailure()
                }
                index = end
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let end = JSONNumberScanner.end(text, from: index)
                guard end >= 0 else {
                    position = index
                    return try numberFailure()
                }
                index = end
            default:
                position = index
                let length = literalLength()
                guard length > 0 else { throw failure("Unrecognized token: was expecting a JSON value") }
                index += length
            }
            // After a complete value: close containers or move to the next element.
            while let isObject = scratch.skipStack.last {
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
                    scratch.skipStack.removeLast()
                    continue
                }
                position = index - 1
                throw failure(isObject ? "Expected a comma to separate object entries" : "Expected a comma to separate array entries")
            }
            if scratch.skipStack.isEmpty && !expectKey {
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
