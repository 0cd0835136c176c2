import Foundation

/// How `JSONValue.timestamp` is written.
public enum JSONTimestampStyle: Sendable {
    /// Epoch seconds as a JSON number (AWS json 1.0/1.1 protocols).
    case epochSeconds
    /// Epoch milliseconds as an integer (AWS Batch).
    case epochMilliseconds
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    case iso8601
    /// CloudTrail's rendering inside `responseElements`, e.g. `Nov 21, 2026, 11:20:05 AM`.
    case cloudTrail
}

extension JSONValue {
    /// Serializes to compact JSON bytes.
    public func serialized(timestamps: JSONTimestampStyle = .epochSeconds) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out, timestamps: timestamps)
        return out
    }

    /// Serializes to a compact JSON string.
    public func jsonString(timestamps: JSONTimestampStyle = .epochSeconds) -> String {
        String(decoding: serialized(timestamps: timestamps), as: UTF8.self)
    }

    /// Serializes for people to read: two-space indents, members in their order.
    public func prettyPrinted(timestamps: JSONTimestampStyle = .iso8601) -> String {
        var out: [UInt8] = []
        writePretty(to: &out, timestamps: timestamps, depth: 0)
        return String(decoding: out, as: UTF8.self)
    }

    func writePretty(to out: inout [UInt8], timestamps: JSONTimestampStyle, depth: Int) {
        func newline(_ depth: Int) {
            out.append(0x0A)
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: depth * 2))
        }
        switch self {
        case .array(let items) where !items.isEmpty:
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                item.writePretty(to: &out, timestamps: timestamps, depth: depth + 1)
            }
            newline(depth)
            out.append(UInt8(ascii: "]"))
        case .object(let members) where !members.isEmpty:
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                Self.writeString(key, to: &out)
                out.append(contentsOf: ": ".utf8)
                value.writePretty(to: &out, timestamps: timestamps, depth: depth + 1)
            }
            newline(depth)
            out.append(UInt8(ascii: "}"))
        default:
            write(to: &out, timestamps: timestamps)
        }
    }

    public func write(to out: inout [UInt8], timestamps: JSONTimestampStyle) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): Self.writeNumber(d, to: &out)
        case .string(let s): Self.writeString(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out, timestamps: timestamps)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                value.write(to: &out, timestamps: timestamps)
            }
            out.append(UInt8(ascii: "}"))
        case .timestamp(let date):
            switch timestamps {
            case .epochSeconds: Self.writeNumber(date.timeIntervalSince1970, to: &out)
            case .epochMilliseconds: out.append(contentsOf: String(Int64((date.timeIntervalSince1970 * 1000).rounded())).utf8)
            case .iso8601: Self.writeString(Timestamp.iso8601(date), to: &out)
            case .cloudTrail: Self.writeString(Timestamp.cloudTrailDisplay(date), to: &out)
            }
        }
    }

    static func writeNumber(_ d: Double, to out: inout [UInt8]) {
        if d.isNaN || d.isInfinite {
            out.append(contentsOf: "null".utf8)
        } else if d.rounded() == d && abs(d) < 1e15 {
            out.append(contentsOf: String(Int64(d)).utf8)
        } else {
            out.append(contentsOf: "\(d)".utf8)
        }
    }

    static func writeString(_ s: String, to out: inout [UInt8]) {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        out.append(quote)
        var text = s
        text.withUTF8 { bytes in
            // Runs of bytes that need no escape are copied whole, and an escape appends its bytes one by one: a
            // stored CloudTrail record has a quote around every key and value, so LookupEvents escapes thousands of
            // them per page. (No reserveCapacity per string: it grows the buffer to exactly that size, so a page of
            // records would be copied again for every record.)
            var start = 0
            for i in 0..<bytes.count {
                let byte = bytes[i]
                guard byte < 0x20 || byte == quote || byte == backslash else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                start = i + 1
                out.append(backslash)
                switch byte {
                case quote, backslash: out.append(byte)
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                default:
                    out.append(UInt8(ascii: "u"))
                    out.append(UInt8(ascii: "0"))
                    out.append(UInt8(ascii: "0"))
                    out.append(hexDigit(byte >> 4))
                    out.append(hexDigit(byte & 0xF))
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]))
        }
        out.append(quote)
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
