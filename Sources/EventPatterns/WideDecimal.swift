/// Correctly rounded conversion and the shortest-form test for decimals whose exponent
/// is beyond ``ExactDecimal``'s 128-bit range (tiny magnitudes such as
/// `1.2345678901234567e-30`), by exact comparison of big integers held on the stack:
/// no allocation, at the cost of a few hundred nanoseconds for such rare numbers.
enum WideDecimal {
    /// 64-bit limbs of the big integers: 1,536 bits hold 2^1130 × 2^64 and 10^360 × 2^64.
    private static let limbCount = 24
    /// The smallest decimal exponent handled (17 digits below the least subnormal).
    private static let minimumExponent = -360

    /// The double nearest to `significand × 10^exponent` (ties to even), or nil when the
    /// exponent is out of range.
    static func double(significand: UInt64, exponent: Int) -> Double? {
        if significand == 0 { return 0 }
        if exponent >= 0 { return ExactDecimal.double(significand: significand, exponent: exponent) }
        guard exponent >= minimumExponent else { return nil }
        // A guess within a few units in the last place, then exact corrections.
        var guess = Double(significand)
        var remaining = -exponent
        while remaining > 22 {
            guess /= ComparableNumber.exactPowers[22]
            remaining -= 22
        }
        guess /= ComparableNumber.exactPowers[remaining]
        for _ in 0..<64 {
            let (mantissa, binaryExponent) = parts(guess)
            let evenMantissa = mantissa & 1 == 0
            // Above the midpoint to the next double up?
            let above = compare(significand, exponent, 2 * mantissa + 1, binaryExponent - 1)
            if above > 0 || (above == 0 && !evenMantissa) {
                guess = guess.nextUp
                continue
            }
            if guess > 0 {
                let below = lowerMidpoint(guess)
                let side = compare(significand, exponent, below.mantissa, below.exponent)
                if side < 0 || (side == 0 && !evenMantissa) {
                    guess = guess.nextDown
                    continue
                }
            }
            return guess
        }
        return nil
    }

    /// Whether `significand × 10^exponent` (no trailing zeros) is the shortest decimal
    /// reading back as `value`, the one `description` prints.
    static func isShortest(significand: UInt64, exponent: Int, value: Double) -> Bool {
        guard value > 0, exponent - 1 >= minimumExponent else { return false }
        // A decimal with one digit less (all shorter ones are among them) reading back as `value`.
        let down = significand / 10
        if readsBack(down, exponent + 1, as: value) || readsBack(down + 1, exponent + 1, as: value) { return false }
        // Among decimals of this length the shortest form is the one nearest the double:
        // `value` must lie between the midpoints to this one's neighbours (ties to even).
        let (mantissa, binaryExponent) = parts(value)
        let lower = compare((2 * significand - 1) * 5, exponent - 1, mantissa, binaryExponent)
        let upper = compare((2 * significand + 1) * 5, exponent - 1, mantissa, binaryExponent)
        if lower > 0 || upper < 0 { return false }
        if lower == 0 || upper == 0 { return significand & 1 == 0 }
        return true
    }

    /// Whether the decimal `significand × 10^exponent` rounds to `value`.
    private static func readsBack(_ significand: UInt64, _ exponent: Int, as value: Double) -> Bool {
        if significand == 0 { return false }
        let (mantissa, binaryExponent) = parts(value)
        let evenMantissa = mantissa & 1 == 0
        let above = compare(significand, exponent, 2 * mantissa + 1, binaryExponent - 1)
        if above > 0 || (above == 0 && !evenMantissa) { return false }
        let below = lowerMidpoint(value)
        let side = compare(significand, exponent, below.mantissa, below.exponent)
        return side > 0 || (side == 0 && evenMantissa)
    }

    /// `value` (positive or zero, finite) as mantissa × 2^exponent.
    private static func parts(_ value: Double) -> (mantissa: UInt64, exponent: Int) {
        if value.isSubnormal || value == 0 { return (value.significandBitPattern, -1074) }
        return (value.significandBitPattern | (UInt64(1) << 52), Int(value.exponent) - 52)
    }

    /// The midpoint between `value` (positive, finite) and the next double down.
    private static func lowerMidpoint(_ value: Double) -> (mantissa: UInt64, exponent: Int) {
        let (mantissa, exponent) = parts(value)
        if mantissa == UInt64(1) << 52 && value.isNormal && value.exponent > Double.leastNormalMagnitude.exponent {
            // A power of two: the gap below is half the gap above.
            return (4 * mantissa - 1, exponent - 2)
        }
        return (2 * mantissa - 1, exponent - 1)
    }

    /// The sign of `decimal × 10^decimalExponent − binary × 2^binaryExponent`.
    private static func compare(_ decimal: UInt64, _ decimalExponent: Int, _ binary: UInt64, _ binaryExponent: Int) -> Int {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * limbCount) { storage in
            storage.initialize(repeating: 0)
            var left = Wide(limbs: UnsafeMutableBufferPointer(rebasing: storage[0..<limbCount]), value: decimal)
            var right = Wide(limbs: UnsafeMutableBufferPointer(rebasing: storage[limbCount...]), value: binary)
            if decimalExponent >= 0 {
                left.multiply(byPowerOfTen: decimalExponent)
            } else {
                right.multiply(byPowerOfTen: -decimalExponent)
            }
            if binaryExponent >= 0 {
                right.shiftLeft(binaryExponent)
            } else {
                left.shiftLeft(-binaryExponent)
            }
            return left.compare(to: right)
        }
    }

    /// An unsigned big integer in caller-provided limbs, least significant first.
    private struct Wide {
        let limbs: UnsafeMutableBufferPointer<UInt64>
        var count: Int

        init(limbs: UnsafeMutableBufferPointer<UInt64>, value: UInt64) {
            self.limbs = limbs
            limbs[0] = value
            count = value == 0 ? 0 : 1
        }

        mutating func multiply(bySmall factor: UInt64) {
            var carry: UInt64 = 0
            for index in 0..<count {
                let product = limbs[index].multipliedFullWidth(by: factor)
                let (low, overflow) = product.low.addingReportingOverflow(carry)
                limbs[index] = low
                carry = product.high &+ (overflow ? 1 : 0)
            }
            if carry != 0 && count < limbs.count {
                limbs[count] = carry
                count += 1
            }
        }

        mutating func multiply(byPowerOfTen exponent: Int) {
            var remaining = exponent
            while remaining >= 19 {
                multiply(bySmall: 10_000_000_000_000_000_000)
                remaining -= 19
            }
            var factor: UInt64 = 1
            for _ in 0..<remaining { factor *= 10 }
            if factor > 1 { multiply(bySmall: factor) }
        }

        mutating func shiftLeft(_ bits: Int) {
            guard count > 0, bits > 0 else { return }
            let whole = bits / 64
            let part = UInt64(bits % 64)
            let newCount = min(count + whole + 1, limbs.count)
            var index = newCount - 1
            while index >= 0 {
                let source = index - whole
                var limb: UInt64 = 0
                if source >= 0 && source < count { limb = limbs[source] << part }
                if part > 0 && source - 1 >= 0 && source - 1 < count { limb |= limbs[source - 1] >> (64 - part) }
                limbs[index] = limb
                index -= 1
            }
            count = newCount
            while count > 0 && limbs[count - 1] == 0 { count -= 1 }
        }

        func compare(to other: Wide) -> Int {
            if count != other.count { return count < other.count ? -1 : 1 }
            var index = count - 1
            while index >= 0 {
                if limbs[index] != other.limbs[index] { return limbs[index] < other.limbs[index] ? -1 : 1 }
                index -= 1
            }
            return 0
        }
    }
}
