/// A streaming JSON tokenizer for patterns. It reports syntax errors with the texts
/// of the JSON parser EventBridge uses, and tracks the location after each token.
struct PatternTokenizer {
    /// The deepest nesting of objects and arrays a pattern may have.
    static let maxDepth = 64

    let source: [UInt8]
    /// The offset just after the last token read.
    private(set) var offset = 0
    private var position = 0
    /// For each open container: true for an object.
    private var containers: [Bool] = []
    /// Whether the current container already holds an element (so a comma is due).
    private var needsComma = false
    /// In an object, whether the next token is a value (after a field name).
    private var expectingValue = false

    init(source: [UInt8]) {
        self.source = source
    }

    /// A pattern error located at the current position.
    func error(_ reason: String) -> EventPatternError {
        EventPatternError.pattern(reason, source: source, offset: offset)
    }

    private mutating func syntaxError(_ reason: String, at index: Int) -> EventPatternError {
        offset = min(index + 1, source.count)
        return error(reason)
    }

    private mutating func skipWhitespace() {
        while position < source.count {
            switch source[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// The next token, or nil at the end of the input once every container is closed.
    mutating func next() throws(EventPatternError) -> PatternToken? {
        skipWhitespace()
        guard position < source.count else {
            if let isObject = containers.last {
                offset = source.count
                let kind = isObject ? "Object" : "Array"
                throw error("Unexpected end-of-input: expected close marker for \(kind)")
            }
            return nil
        }
        let byte = source[position]
        if let isObject = containers.last {
            if isObject && !expectingValue {
                if byte == UInt8(ascii: "}") { return close() }
                if needsComma {
                    guard byte == UInt8(ascii: ",") else {
                        throw syntaxError("Unexpected character (\(describeJSONByte(byte))): was expecting comma to separate Object entries", at: position)
                    }
                    position += 1
                    skipWhitespace()
                }
                guard position < source.count else {
                    offset = source.count
                    throw error("Unexpected end-of-input: expected close marker for Object")
                }
                guard source[position] == UInt8(ascii: "\"") else {
                    throw syntaxError("Unexpected character (\(describeJSONByte(source[position]))): was expecting double-quote to start field name", at: position)
                }
                let name = try readString()
                skipWhitespace()
                guard position < source.count, source[position] == UInt8(ascii: ":") else {
                    if position >= source.count {
                        offset = source.count
                        throw error("Unexpected end-of-input: expected close marker for Object")
                    }
                    throw syntaxError("Unexpected character (\(describeJSONByte(source[position]))): was expecting a colon to separate field name and value", at: position)
                }
                position += 1
                offset = position
                expectingValue = true
                needsComma = true
                return .fieldName(name)
            }
            if !isObject {
                if byte == UInt8(ascii: "]") { return close() }
                if needsComma {
                    guard byte == UInt8(ascii: ",") else {
                        throw syntaxError("Unexpected character (\(describeJSONByte(byte))): was expecting comma to separate Array entries", at: position)
                    }
                    position += 1
                    skipWhitespace()
                }
                needsComma = true
            }
        }
        expectingValue = false
        return try readValue()
    }

    private mutating func close() -> PatternToken {
        let wasObject = containers.removeLast()
        position += 1
        offset = position
        needsComma = true
        expectingValue = false
        return wasObject ? .endObject : .endArray
    }

    private mutating func open(object: Bool) throws(EventPatternError) -> PatternToken {
        guard containers.count < Self.maxDepth else {
            throw syntaxError("Pattern nesting is deeper than \(Self.maxDepth) levels", at: position)
        }
        containers.append(object)
        position += 1
        offset = position
        needsComma = false
        expectingValue = false
        return object ? .startObject : .startArray
    }

    private mutating func readValue() throws(EventPatternError) -> PatternToken {
        guard position < source.count else {
            offset = source.count
            throw error("Unexpected end-of-input: expected a value")
        }
        let byte = source[position]
        switch byte {
        case UInt8(ascii: "{"): return try open(object: true)
        case UInt8(ascii: "["): return try open(object: false)
        case UInt8(ascii: "\""):
            let value = try readString()
            offset = position
            return .string(value)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try readNumber()
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return try readKeyword()
        default:
            throw syntaxError("Unexpected character (\(describeJSONByte(byte))): expected a value", at: position)
        }
    }

    private mutating func readKeyword() throws(EventPatternError) -> PatternToken {
        let start = position
        while position < source.count, Self.isWordByte(source[position]) { position += 1 }
        let word = String(decoding: source[start..<position], as: UTF8.self)
        offset = position
        switch word {
        case "true": return .trueValue
        case "false": return .falseValue
        case "null": return .null
        default:
            throw error("Unrecognized token '\(word)': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')")
        }
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
            return true
        default:
            return byte >= 0x80
        }
    }

    private mutating func readNumber() throws(EventPatternError) -> PatternToken {
        switch source.withUnsafeBufferPointer({ JSONNumberScanner.scan($0, from: position) }) {
        case .success(let end, let isInteger):
            let text = String(decoding: source[position..<end], as: UTF8.self)
            position = end
            offset = end
            return .number(text: text, isInteger: isInteger)
        case .failure(let reason, let at):
            throw syntaxError(reason, at: at)
        }
    }

    /// Reads a string starting at the opening quote; leaves `position` after the closing quote.
    private mutating func readString() throws(EventPatternError) -> String {
        switch source.withUnsafeBufferPointer({ JSONStringDecoder.decode($0, openingQuote: position) }) {
        case .success(let bytes, let end):
            position = end
            return String(decoding: bytes, as: UTF8.self)
        case .failure(let reason, let at):
            throw syntaxError(reason, at: at)
        }
    }
}
