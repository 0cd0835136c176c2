/// The fast path of skipping a JSON value: one tight loop over the bytes that accepts
/// only valid JSON without escapes and at most 64 levels deep, and gives up (-1) on
/// anything else so that the validating skipper decides and explains.
enum JSONSkipper {
    /// Space, tab, line feed and carriage return, as bits.
    private static let whitespaceBits: UInt64 = 1 << 0x20 | 1 << 0x09 | 1 << 0x0A | 1 << 0x0D

    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte <= 0x20 && (whitespaceBits >> UInt64(byte)) & 1 == 1
    }

    /// The index just past the value starting at `start` (after whitespace), or -1.
    static func skip(_ text: UnsafePointer<UInt8>, count: Int, from start: Int) -> Int {
        var index = start
        // Open containers, innermost in bit 0 (set for an object).
        var kinds: UInt64 = 0
        var depth = 0
        while true {
            // A value.
            while index < count, isWhitespace(text[index]) { index &+= 1 }
            guard index < count else { return -1 }
            let byte = text[index]
            if byte &- 0x30 < 10 || byte == UInt8(ascii: "-") {
                // Most skipped values are numbers.
                index = numberEnd(text, count: count, from: index)
                if index < 0 { return -1 }
            } else if byte == UInt8(ascii: "\"") {
                index = stringEnd(text, count: count, from: index &+ 1)
                if index < 0 { return -1 }
            } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                let isObject = byte == UInt8(ascii: "{")
                index &+= 1
                while index < count, isWhitespace(text[index]) { index &+= 1 }
                guard index < count else { return -1 }
                if text[index] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    index &+= 1
                } else {
                    guard depth < 64 else { return -1 }
                    kinds = kinds << 1 | (isObject ? 1 : 0)
                    depth &+= 1
                    if isObject {
                        index = keyEnd(text, count: count, from: index)
                        if index < 0 { return -1 }
                    }
                    continue
                }
            } else {
                index = literalEnd(text, count: count, from: index)
                if index < 0 { return -1 }
            }
            // After a value: close containers, or move on to the next element.
            while true {
                if depth == 0 { return index }
                while index < count, isWhitespace(text[index]) { index &+= 1 }
                guard index < count else { return -1 }
                let next = text[index]
                index &+= 1
                let isObject = kinds & 1 == 1
                if next == UInt8(ascii: ",") {
                    if isObject {
                        while index < count, isWhitespace(text[index]) { index += 1 }
                        index = keyEnd(text, count: count, from: index)
                        if index < 0 { return -1 }
                    }
                    break
                }
                guard next == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return -1 }
                kinds >>= 1
                depth -= 1
            }
        }
    }

    /// The end of the valid number starting at `start` (a minus sign or a digit), or -1:
    /// the integer digits, the point and the first fraction digits in one 8-byte load.
    ///
    /// `@_transparent` rather than `@inline(__always)`: with the latter the optimizer still
    /// called it from `skip`'s loop, and inlining it there makes checking every byte 3–6%
    /// faster on CityLots2.
    @_transparent
    static func numberEnd(_ text: UnsafePointer<UInt8>, count: Int, from start: Int) -> Int {
        var index = start
        if text[index] == UInt8(ascii: "-") {
            index &+= 1
            guard index < count, text[index] &- 0x30 < 10 else { return -1 }
        }
        var fractionRead = false
        if text[index] == UInt8(ascii: "0") {
            index &+= 1
            if index < count, text[index] &- 0x30 < 10 { return -1 }
        } else if index &+ 8 <= count {
            let marks = JSONWords.nonDigits(JSONWords.load(text, index))
            if marks == 0 {
                index = JSONWords.digitsEnd(text, from: index &+ 8, count: count)
            } else {
                let point = marks.trailingZeroBitCount >> 3
                index &+= point
                if text[index] == UInt8(ascii: "."), point < 6 {
                    // The rest of the word after the point: a digit must follow it.
                    let after = marks >> UInt64((point &+ 1) << 3)
                    if after & 0x80 != 0 { return -1 }
                    fractionRead = true
                    if after != 0 {
                        index &+= 1 &+ after.trailingZeroBitCount >> 3
                    } else {
                        index = JSONWords.digitsEnd(text, from: index &- point &+ 8, count: count)
                    }
                }
            }
        } else {
            index = JSONWords.digitsEnd(text, from: index &+ 1, count: count)
        }
        if !fractionRead, index < count, text[index] == UInt8(ascii: ".") {
            index &+= 1
            guard index < count, text[index] &- 0x30 < 10 else { return -1 }
            index = JSONWords.digitsEnd(text, from: index &+ 1, count: count)
        }
        if index < count, text[index] | 0x20 == UInt8(ascii: "e") {
            index = exponentEnd(text, count: count, from: index &+ 1)
        }
        return index
    }

    /// Past `"name" :` starting at the quote at `start` (whitespace before the colon
    /// allowed), or -1.
    @inline(__always)
    private static func keyEnd(_ text: UnsafePointer<UInt8>, count: Int, from start: Int) -> Int {
        guard start < count, text[start] == UInt8(ascii: "\"") else { return -1 }
        var index = stringEnd(text, count: count, from: start + 1)
        if index < 0 { return -1 }
        while index < count, isWhitespace(text[index]) { index += 1 }
        guard index < count, text[index] == UInt8(ascii: ":") else { return -1 }
        return index + 1
    }

    /// Past the closing quote of a string whose content starts at `start`, or -1 for an
    /// escape, a control character or the end of the input.
    @inline(__always)
    private static func stringEnd(_ text: UnsafePointer<UInt8>, count: Int, from start: Int) -> Int {
        let index = JSONWords.stringSpecial(text, from: start, count: count)
        guard index < count, text[index] == UInt8(ascii: "\"") else { return -1 }
        return index + 1
    }

    /// Past the exponent digits after an `e` or `E` at `start - 1`, or -1.
    private static func exponentEnd(_ text: UnsafePointer<UInt8>, count: Int, from start: Int) -> Int {
        var index = start
        if index < count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") { index += 1 }
        guard index < count, text[index] &- 0x30 < 10 else { return -1 }
        return JSONWords.digitsEnd(text, from: index + 1, count: count)
    }

    /// Past the `true`, `false` or `null` at `start` (not followed by a letter or
    /// digit), or -1.
    @inline(__always)
    static func literalEnd(_ text: UnsafePointer<UInt8>, count: Int, from start: Int) -> Int {
        let remaining = count - start
        let length: Int
        if remaining >= 4, text[start] == UInt8(ascii: "t"), text[start + 1] == UInt8(ascii: "r"),
           text[start + 2] == UInt8(ascii: "u"), text[start + 3] == UInt8(ascii: "e") {
            length = 4
        } else if remaining >= 4, text[start] == UInt8(ascii: "n"), text[start + 1] == UInt8(ascii: "u"),
                  text[start + 2] == UInt8(ascii: "l"), text[start + 3] == UInt8(ascii: "l") {
            length = 4
        } else if remaining >= 5, text[start] == UInt8(ascii: "f"), text[start + 1] == UInt8(ascii: "a"),
                  text[start + 2] == UInt8(ascii: "l"), text[start + 3] == UInt8(ascii: "s"),
                  text[start + 4] == UInt8(ascii: "e") {
            length = 5
        } else {
            return -1
        }
        let end = start + length
        if end < count {
            let after = text[end]
            if after &- 0x30 < 10 || (after | 0x20) &- 0x61 < 26 { return -1 }
        }
        return end
    }
}
