/// A JSON value for tests, keeping numbers as their text and objects in order.
indirect enum TestJSON: Equatable, Sendable {
    case string(String)
    case number(String)
    case bool(Bool)
    case null
    case array([TestJSON])
    case object([(String, TestJSON)])

    static func == (lhs: TestJSON, rhs: TestJSON) -> Bool {
        lhs.serialized == rhs.serialized
    }

    /// Compact JSON text.
    var serialized: String {
        switch self {
        case .string(let value): return Self.quote(value)
        case .number(let text): return text
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        case .array(let values): return "[" + values.map(\.serialized).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { Self.quote($0.0) + ":" + $0.1.serialized }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\t": output += "\\t"
            default:
                if scalar.value < 0x20 {
                    output += "\\u00" + String(scalar.value, radix: 16).leftPadded(to: 2)
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        return output + "\""
    }

    /// The member `key` of an object.
    subscript(key: String) -> TestJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// Parses JSON text (trusted test input; no error reporting beyond nil).
    static func parse(_ text: String) -> TestJSON? {
        var parser = Parser(bytes: Array(text.utf8))
        return parser.value()
    }

    private struct Parser {
        let bytes: [UInt8]
        var position = 0

        mutating func skip() {
            while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
        }

        mutating func value() -> TestJSON? {
            skip()
            guard position < bytes.count else { return nil }
            switch bytes[position] {
            case UInt8(ascii: "{"):
                position += 1
                var members: [(String, TestJSON)] = []
                skip()
                if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
                while true {
                    skip()
                    guard case .string(let key)? = value() else { return nil }
                    skip()
                    position += 1
                    guard let member = value() else { return nil }
                    members.append((key, member))
                    skip()
                    let next = bytes[position]
                    position += 1
                    if next == UInt8(ascii: "}") { return .object(members) }
                }
            case UInt8(ascii: "["):
                position += 1
                var values: [TestJSON] = []
                skip()
                if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(values) }
                while true {
                    guard let element = value() else { return nil }
                    values.append(element)
                    skip()
                    let next = bytes[position]
                    position += 1
                    if next == UInt8(ascii: "]") { return .array(values) }
                }
            case UInt8(ascii: "\""):
                position += 1
                var scalars = String.UnicodeScalarView()
                var raw: [UInt8] = []
                while bytes[position] != UInt8(ascii: "\"") {
                    if bytes[position] == UInt8(ascii: "\\") {
                        scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
                        raw = []
                        let escaped = bytes[position + 1]
                        position += 2
                        switch escaped {
                        case UInt8(ascii: "n"): scalars.append("\n")
                        case UInt8(ascii: "t"): scalars.append("\t")
                        case UInt8(ascii: "u"):
                            let hex = String(decoding: bytes[position..<(position + 4)], as: UTF8.self)
                            position += 4
                            scalars.append(Unicode.Scalar(UInt32(hex, radix: 16) ?? 0x3F) ?? "?")
                        default: scalars.append(Unicode.Scalar(escaped))
                        }
                    } else {
                        raw.append(bytes[position])
                        position += 1
                    }
                }
                scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
                position += 1
                return .string(String(scalars))
            case UInt8(ascii: "t"): position += 4; return .bool(true)
            case UInt8(ascii: "f"): position += 5; return .bool(false)
            case UInt8(ascii: "n"): position += 4; return .null
            default:
                let start = position
                while position < bytes.count, "-+.eE0123456789".utf8.contains(bytes[position]) { position += 1 }
                return .number(String(decoding: bytes[start..<position], as: UTF8.self))
            }
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
