#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Finding the end of digit runs and plain string content eight bytes at a time (SWAR):
/// most of an event is skipped, and most of what is skipped is digits and string text.
enum JSONWords {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Eight bytes at `offset`, the first in the lowest byte.
    @inline(__always)
    static func load(_ base: UnsafePointer<UInt8>, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self))
    }

    /// The high bit of each byte of `word` that is not an ASCII digit.
    @inline(__always)
    static func nonDigits(_ word: UInt64) -> UInt64 {
        let shifted = word ^ (0x30 &* ones)
        return (((shifted & ~highs) &+ (0x76 &* ones)) | shifted) & highs
    }

    /// The index of the first byte at or after `start` that is not an ASCII digit.
    @inline(__always)
    static func digitsEnd(_ base: UnsafePointer<UInt8>, from start: Int, count: Int) -> Int {
        var index = start
        while index + 8 <= count {
            let shifted = load(base, index) ^ (0x30 &* ones)
            // A byte is a digit when, after the XOR, it is below 10 (and below 0x80).
            let marks = (((shifted & ~highs) &+ (0x76 &* ones)) | shifted) & highs
            if marks != 0 { return index + marks.trailingZeroBitCount >> 3 }
            index += 8
        }
        while index < count, base[index] &- 0x30 < 10 { index += 1 }
        return index
    }

    /// The index of the first byte at or after `start` that is a double quote, a
    /// backslash or a control character (or `count`).
    @inline(__always)
    static func stringSpecial(_ base: UnsafePointer<UInt8>, from start: Int, count: Int) -> Int {
        var index = start
        #if arch(x86_64)
        // Sixteen bytes a step while they last: most strings end within the first.
        while index + 16 <= count {
            let marks = stringSpecials(base + index)
            if marks != 0 { return index + marks.trailingZeroBitCount }
            index += 16
        }
        #endif
        while index + 8 <= count {
            let word = load(base, index)
            let quote = word ^ (0x22 &* ones)
            let backslash = word ^ (0x5C &* ones)
            // Zero-byte tests: exact for the lowest flagged byte, which is all we use.
            let marks = (((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- (0x20 &* ones)) & ~word)) & highs
            if marks != 0 { return index + marks.trailingZeroBitCount >> 3 }
            index += 8
        }
        while index < count {
            let byte = base[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return index }
            index += 1
        }
        return count
    }

    #if arch(x86_64)
    /// One bit per byte of the 16 at `text` that is a double quote, a backslash or a
    /// control character: where a string's plain content stops.
    @inline(__always)
    static func stringSpecials(_ text: UnsafePointer<UInt8>) -> UInt32 {
        let bytes = unsafeBitCast(UnsafeRawPointer(text).loadUnaligned(as: SIMD16<UInt8>.self), to: __m128i.self)
        let controls = _mm_cmpeq_epi8(_mm_min_epu8(bytes, _mm_set1_epi8(0x1F)), bytes)
        let quotes = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(0x22))
        let backslashes = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(0x5C))
        return UInt32(UInt16(truncatingIfNeeded: _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(controls, quotes), backslashes))))
    }
    #endif
}
