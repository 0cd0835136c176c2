/// An IPv4 or IPv6 address parsed from text.
struct IPAddress: Sendable, Hashable {
    /// 128 bits as two halves; IPv4 addresses use the low 32.
    struct Value: Sendable, Hashable, Comparable {
        var high: UInt64
        var low: UInt64

        static let zero = Value(high: 0, low: 0)

        static func < (lhs: Value, rhs: Value) -> Bool {
            lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
        }

        static func | (lhs: Value, rhs: Value) -> Value {
            Value(high: lhs.high | rhs.high, low: lhs.low | rhs.low)
        }

        /// The value with the low `bits` bits set.
        static func lowBits(_ bits: Int) -> Value {
            if bits <= 0 { return .zero }
            if bits >= 128 { return Value(high: .max, low: .max) }
            if bits >= 64 {
                let highBits = bits - 64
                return Value(high: highBits == 64 ? .max : (UInt64(1) << UInt64(highBits)) &- 1, low: .max)
            }
            return Value(high: 0, low: (UInt64(1) << UInt64(bits)) &- 1)
        }
    }

    var isIPv6: Bool
    var value: Value

    /// Whether the text has the shape EventBridge treats as an IP address
    /// (four dotted decimal runs, or hex digits and colons with at least one colon).
    static func looksLikeAddress<C: Collection<UInt8>>(_ text: C) -> Bool {
        guard !text.isEmpty else { return false }
        var dots = 0
        var colons = 0
        var digitsOnlyRun = true
        var runLength = 0
        var allDecimal = true
        for byte in text {
            switch byte {
            case UInt8(ascii: "."):
                if runLength == 0 { digitsOnlyRun = false }
                dots += 1
                runLength = 0
            case UInt8(ascii: ":"):
                colons += 1
                allDecimal = false
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                runLength += 1
            case UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"):
                allDecimal = false
                runLength += 1
            default:
                return false
            }
        }
        if colons == 0 {
            return allDecimal && dots == 3 && digitsOnlyRun && runLength > 0
        }
        return dots == 0
    }

    /// Parses an IPv4 dotted quad or an IPv6 address (with `::` compression).
    static func parse<C: Collection<UInt8>>(_ text: C) -> IPAddress? {
        guard looksLikeAddress(text) else { return nil }
        if !text.contains(UInt8(ascii: ":")) {
            var value: UInt32 = 0
            var part: UInt32 = 0
            var digits = 0
            for byte in text {
                if byte == UInt8(ascii: ".") {
                    value = value << 8 | part
                    part = 0
                    digits = 0
                } else {
                    part = part * 10 + UInt32(byte - UInt8(ascii: "0"))
                    digits += 1
                    if part > 255 || digits > 3 { return nil }
                }
            }
            value = value << 8 | part
            return IPAddress(isIPv6: false, value: Value(high: 0, low: UInt64(value)))
        }
        return parseIPv6(Array(text))
    }

    private static func parseIPv6(_ bytes: [UInt8]) -> IPAddress? {
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var seenGap = false
        var index = 0
        if bytes.starts(with: [0x3A, 0x3A]) {
            seenGap = true
            index = 2
            if index == bytes.count { return IPAddress(isIPv6: true, value: .zero) }
        } else if bytes.first == 0x3A {
            return nil
        }
        while index < bytes.count {
            var group: UInt32 = 0
            var digits = 0
            while index < bytes.count, bytes[index] != 0x3A {
                guard let nibble = JSONStringDecoder.hexValue(bytes[index]) else { return nil }
                group = group << 4 | nibble
                digits += 1
                if digits > 4 { return nil }
                index += 1
            }
            if digits == 0 { return nil }
            if seenGap { tail.append(UInt16(group)) } else { head.append(UInt16(group)) }
            if index < bytes.count {
                index += 1
                if index < bytes.count, bytes[index] == 0x3A {
                    if seenGap { return nil }
                    seenGap = true
                    index += 1
                } else if index == bytes.count {
                    return nil
                }
            }
        }
        let total = head.count + tail.count
        if seenGap ? total > 7 : total != 8 { return nil }
        let groups = head + Array(repeating: 0, count: 8 - total) + tail
        var high: UInt64 = 0
        var low: UInt64 = 0
        for group in groups[0..<4] { high = high << 16 | UInt64(group) }
        for group in groups[4..<8] { low = low << 16 | UInt64(group) }
        return IPAddress(isIPv6: true, value: Value(high: high, low: low))
    }
}
