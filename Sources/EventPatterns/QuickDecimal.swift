/// The common case of reading a number, without division: a decimal of up to 19
/// digits with 1 to 19 digits after the point (`-122.42916360922355`). A floating-point
/// guess is checked, and the shortest-form test made, by comparing 128-bit products
/// exactly; the rare cases this cannot decide (a decimal exactly halfway between two
/// doubles) go to ``ExactDecimal``.
enum QuickDecimal {
    enum Outcome {
        /// The magnitude, and whether the decimal is the double's shortest form.
        case value(Double, shortest: Bool)
        case undecided
    }

    private static let powers: [UInt64] = (0...19).map { exponent in
        var value: UInt64 = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// `significand × 10^-scale` (no trailing zeros, `digits` digits), with the shortest
    /// form decided when `digits` is 16 or more.
    @inline(__always)
    static func read(significand: UInt64, digits: Int, scale: Int) -> Outcome {
        guard scale >= 1, scale <= 19, significand != 0 else { return .undecided }
        let power = powers.withUnsafeBufferPointer { $0[scale] }
        var guess = Double(significand) * ComparableNumber.reciprocalPowers.withUnsafeBufferPointer { $0[scale] }
        // The guess is within two ulps or so: step to the double whose rounding interval
        // holds the decimal. Scaled by 2^shift × 10^scale, the decimal is significand << shift
        // and the double's midpoints are (2m ± 1) × 10^scale.
        var attempts = 0
        while true {
            attempts += 1
            guard attempts <= 4, guess.isNormal else { return .undecided }
            let mantissa = guess.significandBitPattern | (UInt64(1) << 52)
            let shift = 1 - (Int(guess.exponent) - 52)
            guard shift >= 2, shift + (64 - significand.leadingZeroBitCount) <= 126 else { return .undecided }
            let decimal = shifted(significand, shift)
            let upper = compare(decimal, mantissa * 2 + 1, power)
            if upper == 0 { return .undecided }
            if upper > 0 {
                guess = guess.nextUp
                continue
            }
            let powerOfTwo = mantissa == UInt64(1) << 52
            let lower = powerOfTwo ? compare(shifted(significand, shift + 1), mantissa * 4 - 1, power)
                                   : compare(decimal, mantissa * 2 - 1, power)
            if lower == 0 { return .undecided }
            if lower < 0 {
                guess = guess.nextDown
                continue
            }
            if digits <= 15 { return .value(guess, shortest: true) }
            // A decimal one digit shorter (all shorter ones are among these two) that reads
            // back as the same double: then this one is not the shortest form.
            let down = significand / 10 * 10
            let lowerShort = powerOfTwo ? compare(shifted(down, shift + 1), mantissa * 4 - 1, power)
                                        : compare(shifted(down, shift), mantissa * 2 - 1, power)
            if lowerShort == 0 { return .undecided }
            if lowerShort > 0 { return .value(guess, shortest: false) }
            let upShort = compare(shifted(down + 10, shift), mantissa * 2 + 1, power)
            if upShort == 0 { return .undecided }
            if upShort < 0 { return .value(guess, shortest: false) }
            // Among decimals of this length the shortest form is the one nearest the double:
            // 2·significand − 1 ≤ 2·guess·10^scale ≤ 2·significand + 1.
            let doubled = mantissa.multipliedFullWidth(by: power)
            let below = compareWide(doubled, shifted(2 * significand - 1, shift - 2))
            let above = compareWide(doubled, shifted(2 * significand + 1, shift - 2))
            if below == 0 || above == 0 { return .undecided }
            return .value(guess, shortest: below > 0 && above < 0)
        }
    }

    @inline(__always)
    private static func shifted(_ value: UInt64, _ shift: Int) -> (high: UInt64, low: UInt64) {
        if shift == 0 { return (0, value) }
        if shift >= 64 { return (value << UInt64(shift - 64), 0) }
        return (value >> UInt64(64 - shift), value << UInt64(shift))
    }

    /// The sign of `decimal − half × power`.
    @inline(__always)
    private static func compare(_ decimal: (high: UInt64, low: UInt64), _ half: UInt64, _ power: UInt64) -> Int {
        compareWide(decimal, half.multipliedFullWidth(by: power))
    }

    @inline(__always)
    private static func compareWide(_ left: (high: UInt64, low: UInt64), _ right: (high: UInt64, low: UInt64.Magnitude)) -> Int {
        if left.high != right.high { return left.high < right.high ? -1 : 1 }
        if left.low != right.low { return left.low < right.low ? -1 : 1 }
        return 0
    }
}
