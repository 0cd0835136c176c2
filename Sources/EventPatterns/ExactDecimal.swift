/// Correctly rounded conversion of decimals with up to 19 significant digits and a
/// small exponent to doubles, and the test of whether such a decimal is the shortest
/// form of its double, in 128-bit integer arithmetic without allocating. Returns nil
/// outside its range; callers then take the standard library's path.
enum ExactDecimal {
    /// Powers of ten that fit in 64 bits.
    private static let powers: [UInt64] = (0...19).map { exponent in
        var value: UInt64 = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// The double nearest to `significand × 10^exponent` (ties to even), or nil when the
    /// exponent is outside [-19, 19].
    static func double(significand: UInt64, exponent: Int) -> Double? {
        if significand == 0 { return 0 }
        if exponent >= 0 {
            guard exponent <= 19 else { return nil }
            let product = significand.multipliedFullWidth(by: powers[exponent])
            return round(high: product.high, low: product.low, sticky: false, binaryExponent: 0)
        }
        guard exponent >= -19 else { return nil }
        let divisor = powers[-exponent]
        // Shift the significand so the quotient has exactly 64 significant bits.
        var shift = 64 + significand.leadingZeroBitCount - divisor.leadingZeroBitCount
        for _ in 0..<4 {
            guard shift >= 0, let (high, low) = shifted(significand, by: shift) else { return nil }
            if high >= divisor {
                shift -= 1
                continue
            }
            let division = divisor.dividingFullWidth((high, low))
            if division.quotient.leadingZeroBitCount > 0 {
                shift += division.quotient.leadingZeroBitCount
                continue
            }
            return round(high: 0, low: division.quotient, sticky: division.remainder != 0, binaryExponent: -shift)
        }
        return nil
    }

    /// `value << shift` as 128 bits, or nil if it does not fit.
    private static func shifted(_ value: UInt64, by shift: Int) -> (UInt64, UInt64)? {
        if shift == 0 { return (0, value) }
        if shift >= 128 { return nil }
        if shift >= 64 {
            let high = value << UInt64(shift - 64)
            guard high >> UInt64(shift - 64) == value else { return nil }
            return (high, 0)
        }
        let high = value >> UInt64(64 - shift)
        return (high, value << UInt64(shift))
    }

    /// Rounds the 128-bit integer `high:low` (plus a sticky bit) times `2^binaryExponent`
    /// to a double, ties to even.
    private static func round(high: UInt64, low: UInt64, sticky: Bool, binaryExponent: Int) -> Double? {
        let bits = high != 0 ? 128 - high.leadingZeroBitCount : 64 - low.leadingZeroBitCount
        guard bits > 0 else { return 0 }
        let drop = max(bits - 53, 0)
        var mantissa: UInt64
        var roundBit = false
        var restSticky = sticky
        if drop == 0 {
            mantissa = low
        } else {
            // mantissa = (high:low) >> drop; the bit below it rounds, the rest are sticky.
            if drop >= 64 {
                mantissa = high >> UInt64(drop - 64)
            } else {
                mantissa = (low >> UInt64(drop)) | (drop == 0 ? 0 : high << UInt64(64 - drop))
            }
            let roundPosition = drop - 1
            roundBit = bit(high, low, roundPosition)
            if roundPosition > 0 {
                restSticky = restSticky || lowBitsNonZero(high, low, roundPosition)
            }
        }
        if roundBit && (restSticky || mantissa & 1 == 1) {
            mantissa += 1
        }
        let exponent = binaryExponent + drop
        guard exponent > -1000, exponent < 1000 else { return nil }
        return Double(sign: .plus, exponent: exponent, significand: Double(mantissa))
    }

    private static func bit(_ high: UInt64, _ low: UInt64, _ position: Int) -> Bool {
        position >= 64 ? (high >> UInt64(position - 64)) & 1 == 1 : (low >> UInt64(position)) & 1 == 1
    }

    private static func lowBitsNonZero(_ high: UInt64, _ low: UInt64, _ count: Int) -> Bool {
        if count >= 64 {
            let highBits = count - 64
            let highMask: UInt64 = highBits == 0 ? 0 : (highBits >= 64 ? .max : (UInt64(1) << UInt64(highBits)) - 1)
            return low != 0 || high & highMask != 0
        }
        return low & ((UInt64(1) << UInt64(count)) - 1) != 0
    }

    /// Whether `significand × 10^exponent` (16 or 17 digits, no trailing zeros) is the
    /// shortest decimal that reads back as `value` — the form `description` prints — or
    /// nil when that cannot be decided here.
    static func isShortest(significand: UInt64, digits: Int, exponent: Int, value: Double) -> Bool? {
        // A shorter decimal reads back as the same double: then this is not the shortest.
        let down = significand / 10
        guard let lower = double(significand: down, exponent: exponent + 1),
              let upper = double(significand: down + 1, exponent: exponent + 1) else { return nil }
        if lower == value || upper == value { return false }
        // Among decimals of this length, the shortest form is the one nearest the double:
        // the double must lie within half a unit of the last digit of this one.
        guard let below = compare(value, toHalfUnitsOf: 2 * significand - 1, exponent: exponent),
              let above = compare(value, toHalfUnitsOf: 2 * significand + 1, exponent: exponent) else { return nil }
        if below < 0 || above > 0 { return false }
        if below == 0 || above == 0 { return nil }
        return true
    }

    /// The sign of `value − halfUnits × 10^exponent / 2`, or nil when out of range.
    private static func compare(_ value: Double, toHalfUnitsOf halfUnits: UInt64, exponent: Int) -> Int? {
        guard value > 0, value.isNormal, exponent < 0, exponent >= -19 else { return nil }
        // value = m × 2^e; compare m × 2^e × 2 × 10^-exponent with halfUnits.
        let m = value.significandBitPattern | (UInt64(1) << 52)
        let e = Int(value.exponent) - 52 + 1
        let scaled = m.multipliedFullWidth(by: powers[-exponent])
        // Compare (scaled × 2^e) with halfUnits.
        if e >= 0 {
            guard e < 64, scaled.high == 0, scaled.low.leadingZeroBitCount >= e else {
                return 1
            }
            let left = scaled.low << UInt64(e)
            return left == halfUnits ? 0 : (left < halfUnits ? -1 : 1)
        }
        let shift = -e
        guard shift < 128 else { return nil }
        // Compare scaled with halfUnits × 2^shift.
        guard let right = shifted(halfUnits, by: shift) else { return -1 }
        if scaled.high != right.0 { return scaled.high < right.0 ? -1 : 1 }
        if scaled.low != right.1 { return scaled.low < right.1 ? -1 : 1 }
        return 0
    }
}
