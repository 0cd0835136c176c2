#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Skipping an object or array of an event whose caller vouches it is valid JSON
/// (``EventValidation/assumeValid``): 64 bytes at a time, following only what decides
/// where the container ends — quotes, the backslashes that escape them, and brackets
/// outside strings — the way simdjson's first stage finds a document's structure.
///
/// Nothing else is checked, so malformed input is not reported here; but every read is
/// in bounds and every step moves forward, so no input crashes or hangs it.
enum StructuralSkipper {
    /// One bit per byte of a 64-byte block, the first byte in bit 0.
    struct Masks {
        var quotes: UInt64 = 0
        var backslashes: UInt64 = 0
        var opens: UInt64 = 0
        var closes: UInt64 = 0
    }

    /// The index just past the object or array whose opening bracket is at `start`, or
    /// -1 when the input ends first.
    static func skipContainer(_ text: UnsafePointer<UInt8>, count: Int, from start: Int) -> Int {
        var index = start
        var depth = 0
        // All ones when the previous block ended inside a string.
        var inString: UInt64 = 0
        // 1 when the previous block ended with a backslash that escapes this block's first byte.
        var escapeCarry: UInt64 = 0
        while index < count {
            let masks = index + 64 <= count ? blockMasks(text + index) : tailMasks(text, from: index, count: count)
            var quotes = masks.quotes
            if masks.backslashes | escapeCarry != 0 {
                quotes &= ~escaped(masks.backslashes, carry: &escapeCarry)
            }
            // From each opening quote up to (not including) its closing quote.
            let strings = prefixXor(quotes) ^ inString
            inString = UInt64(bitPattern: Int64(bitPattern: strings) >> 63)
            let opens = masks.opens & ~strings
            let closes = masks.closes & ~strings
            if opens | closes != 0 {
                if depth > closes.nonzeroBitCount {
                    // The container cannot end in this block.
                    depth += opens.nonzeroBitCount - closes.nonzeroBitCount
                } else {
                    var brackets = opens | closes
                    while brackets != 0 {
                        let offset = brackets.trailingZeroBitCount
                        if (opens >> UInt64(offset)) & 1 == 1 {
                            depth += 1
                        } else {
                            depth -= 1
                            if depth <= 0 { return index + offset + 1 }
                        }
                        brackets &= brackets &- 1
                    }
                }
            }
            index += 64
        }
        return -1
    }

    /// The bits of the bytes escaped by a backslash; `carry` says whether bit 0 is
    /// escaped by the previous block and receives the same for the next block.
    @inline(__always)
    static func escaped(_ backslashes: UInt64, carry: inout UInt64) -> UInt64 {
        var escaped = carry
        carry = 0
        var remaining = backslashes
        while remaining != 0 {
            let offset = UInt64(remaining.trailingZeroBitCount)
            remaining &= remaining &- 1
            // A backslash that is itself escaped escapes nothing.
            if (escaped >> offset) & 1 == 1 { continue }
            if offset == 63 {
                carry = 1
            } else {
                escaped |= 1 << (offset + 1)
            }
        }
        return escaped
    }

    /// Bit i set when an odd number of bits at or below i are set in `bits`.
    @inline(__always)
    static func prefixXor(_ bits: UInt64) -> UInt64 {
        var value = bits
        value ^= value << 1
        value ^= value << 2
        value ^= value << 4
        value ^= value << 8
        value ^= value << 16
        value ^= value << 32
        return value
    }

    /// The masks of the last, partial block (the bytes from `index` to `count`): those of
    /// the 64 bytes that end the input, shifted, when there are 64; otherwise missing
    /// bytes count as spaces.
    @inline(__always)
    static func tailMasks(_ text: UnsafePointer<UInt8>, from index: Int, count: Int) -> Masks {
        guard count >= 64 else { return copiedMasks(text + index, count: count - index) }
        let shift = UInt64(index - (count - 64))
        var masks = blockMasks(text + (count - 64))
        masks.quotes >>= shift
        masks.backslashes >>= shift
        masks.opens >>= shift
        masks.closes >>= shift
        return masks
    }

    /// The masks of fewer than 64 bytes, copied into a block of spaces.
    static func copiedMasks(_ text: UnsafePointer<UInt8>, count: Int) -> Masks {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { block in
            let base = block.baseAddress!
            base.initialize(repeating: UInt8(ascii: " "), count: 64)
            base.update(from: text, count: count)
            let masks = blockMasks(UnsafePointer(base))
            base.deinitialize(count: 64)
            return masks
        }
    }

    #if arch(x86_64)
    /// The masks of the 64 bytes at `text`, with SSE2 (every x86-64 processor has it).
    @inline(__always)
    static func blockMasks(_ text: UnsafePointer<UInt8>) -> Masks {
        let quote = _mm_set1_epi8(0x22)
        let backslash = _mm_set1_epi8(0x5C)
        // `[` and `{` differ only in bit 5, as do `]` and `}`.
        let fold = _mm_set1_epi8(Int8(bitPattern: 0xDF))
        let open = _mm_set1_epi8(0x5B)
        let close = _mm_set1_epi8(0x5D)
        var masks = Masks()
        let raw = UnsafeRawPointer(text)
        for part in 0..<4 {
            let bytes = unsafeBitCast(raw.loadUnaligned(fromByteOffset: part * 16, as: SIMD16<UInt8>.self), to: __m128i.self)
            let folded = _mm_and_si128(bytes, fold)
            let shift = UInt64(part * 16)
            masks.quotes |= bits(_mm_cmpeq_epi8(bytes, quote)) << shift
            masks.backslashes |= bits(_mm_cmpeq_epi8(bytes, backslash)) << shift
            masks.opens |= bits(_mm_cmpeq_epi8(folded, open)) << shift
            masks.closes |= bits(_mm_cmpeq_epi8(folded, close)) << shift
        }
        return masks
    }

    @inline(__always)
    private static func bits(_ comparison: __m128i) -> UInt64 {
        UInt64(UInt16(truncatingIfNeeded: _mm_movemask_epi8(comparison)))
    }
    #else
    /// The masks of the 64 bytes at `text`, a byte at a time.
    @inline(__always)
    static func blockMasks(_ text: UnsafePointer<UInt8>) -> Masks {
        var masks = Masks()
        for offset in 0..<64 {
            let byte = text[offset]
            let bit = UInt64(1) << UInt64(offset)
            if byte == UInt8(ascii: "\"") { masks.quotes |= bit }
            if byte == UInt8(ascii: "\\") { masks.backslashes |= bit }
            if byte & 0xDF == 0x5B { masks.opens |= bit }
            if byte & 0xDF == 0x5D { masks.closes |= bit }
        }
        return masks
    }
    #endif
}
