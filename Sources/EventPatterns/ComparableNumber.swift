/// Reads JSON number text as a value for numeric comparison.
///
/// Like EventBridge, numeric matching covers -5.0e9 to 5.0e9 inclusive: numbers outside
/// take part only in exact matching, and a pattern's `numeric` bounds must lie inside.
/// A number takes part in numeric matching only when its decimal value is exactly the
/// shortest decimal form of the nearest double: `300`, `3.0e2` and `300.0` are the same
/// number, while `0.30000000000000001` (more digits than a double keeps) is not
/// numerically comparable and can only match exactly. Comparisons use the whole double,
/// which keeps (at least) the six decimal places EventBridge promises; the CityLots2
/// reference counts need the full precision.
enum ComparableNumber {
    /// The largest magnitude numeric matching covers.
    static let limit = 5e9

    /// The reason a pattern's number outside the numeric range is refused.
    static let rangeMessage = "Value must be between -5.0E9 and 5.0E9, inclusive"

    /// Powers of ten that are exact doubles.
    static let exactPowers: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// 10^-k, correctly rounded: multiplying by one is within 2 ulp of dividing by 10^k,
    /// and several times faster.
    static let reciprocalPowers: [Double] = exactPowers.map { 1 / $0 }

    /// A decimal significand (without leading or trailing zeros) and the exponent of its last digit.
    struct Decimal: Equatable {
        var negative = false
        var significand: UInt64 = 0
        var digits = 0
        var exponent = 0
        /// False when the text has more significant digits than fit in the significand.
        var exact = true
        /// Digits dropped past the 19th, which raise the exponent.
        var overflowDigits = 0
    }

    /// Splits JSON-like number text into a normalized decimal.
    static func decimal(_ text: UnsafeBufferPointer<UInt8>) -> Decimal? {
        if let quick = plainDecimal(text) { return quick }
        var result = Decimal()
        var index = text.startIndex
        let end = text.endIndex
        if index < end, text[index] == UInt8(ascii: "-") {
            result.negative = true
            index += 1
        }
        var pendingZeros = 0
        var sawDigit = false
        var fractionDigits = 0
        var inFraction = false
        while index < end {
            let byte = text[index]
            if byte == UInt8(ascii: ".") {
                inFraction = true
            } else if JSONNumberScanner.isDigit(byte) {
                sawDigit = true
                let digit = UInt64(byte &- 0x30)
                if inFraction { fractionDigits += 1 }
                if digit == 0 {
                    if result.digits > 0 { pendingZeros += 1 }
                } else {
                    for _ in 0..<pendingZeros { appendDigit(0, to: &result) }
                    pendingZeros = 0
                    appendDigit(digit, to: &result)
                }
            } else {
                break
            }
            index += 1
        }
        guard sawDigit else { return nil }
        var exponent = 0
        if index < end, text[index] == UInt8(ascii: "e") || text[index] == UInt8(ascii: "E") {
            index += 1
            var negativeExponent = false
            if index < end, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") {
                negativeExponent = text[index] == UInt8(ascii: "-")
                index += 1
            }
            while index < end, JSONNumberScanner.isDigit(text[index]) {
                if exponent < 100_000 { exponent = exponent * 10 + Int(text[index] &- 0x30) }
                index += 1
            }
            if negativeExponent { exponent = -exponent }
        }
        guard index == end else { return nil }
        if result.digits == 0 {
            return Decimal()
        }
        result.exponent = exponent - fractionDigits + pendingZeros + result.overflowDigits
        return result
    }

    /// `decimal` for numbers without an exponent and with at most 19 significant digits,
    /// eight digits at a time; nil for anything else.
    @inline(__always)
    private static func plainDecimal(_ text: UnsafeBufferPointer<UInt8>) -> Decimal? {
        guard let base = text.baseAddress else { return nil }
        let end = text.count
        var result = Decimal()
        var index = 0
        if base[0] == UInt8(ascii: "-") {
            result.negative = true
            index = 1
        }
        let integerStart = index
        let integerEnd = JSONWords.digitsEnd(base, from: index, count: end)
        guard integerEnd > integerStart else { return nil }
        var fractionStart = integerEnd
        var fractionEnd = integerEnd
        if integerEnd < end {
            guard base[integerEnd] == UInt8(ascii: "."), integerEnd + 1 < end else { return nil }
            fractionStart = integerEnd + 1
            fractionEnd = JSONWords.digitsEnd(base, from: fractionStart, count: end)
            guard fractionEnd == end, fractionEnd > fractionStart else { return nil }
        }
        var first = integerStart
        while first < integerEnd && base[first] == UInt8(ascii: "0") { first += 1 }
        var fractionLast = fractionEnd
        while fractionLast > fractionStart && base[fractionLast - 1] == UInt8(ascii: "0") { fractionLast -= 1 }
        if first == integerEnd {
            // No integer digits: the significant ones are all in the fraction.
            first = fractionStart
            while first < fractionLast && base[first] == UInt8(ascii: "0") { first += 1 }
            if first == fractionLast { return Decimal() }
            result.digits = fractionLast - first
            guard result.digits <= 19 else { return nil }
            result.significand = accumulate(base, first, fractionLast, 0)
            result.exponent = -(fractionLast - fractionStart)
            return result
        }
        if fractionLast > fractionStart {
            result.digits = (integerEnd - first) + (fractionLast - fractionStart)
            guard result.digits <= 19 else { return nil }
            result.significand = accumulate(base, fractionStart, fractionLast, accumulate(base, first, integerEnd, 0))
            result.exponent = -(fractionLast - fractionStart)
            return result
        }
        var integerLast = integerEnd
        while integerLast > first && base[integerLast - 1] == UInt8(ascii: "0") { integerLast -= 1 }
        result.digits = integerLast - first
        guard result.digits <= 19 else { return nil }
        result.significand = accumulate(base, first, integerLast, 0)
        result.exponent = integerEnd - integerLast
        return result
    }

    /// `value` followed by the digits `base[start..<end]`.
    @inline(__always)
    private static func accumulate(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ value: UInt64) -> UInt64 {
        var result = value
        var index = start
        while end - index >= 8 {
            var lanes = JSONWords.load(base, index) &- 0x3030_3030_3030_3030
            lanes = (lanes &* 10 &+ (lanes >> 8)) & 0x00FF_00FF_00FF_00FF
            lanes = (lanes &* 100 &+ (lanes >> 16)) & 0x0000_FFFF_0000_FFFF
            lanes = (lanes &* 10_000 &+ (lanes >> 32)) & 0x0000_0000_FFFF_FFFF
            result = result &* 100_000_000 &+ lanes
            index += 8
        }
        while index < end {
            result = result &* 10 &+ UInt64(base[index] &- 0x30)
            index += 1
        }
        return result
    }

    @inline(__always)
    private static func appendDigit(_ digit: UInt64, to result: inout Decimal) {
        if result.digits < 19 {
            result.significand = result.significand &* 10 &+ digit
            result.digits += 1
        } else {
            result.exact = false
            result.overflowDigits += 1
        }
    }

    /// The value of a JSON number for numeric matching, or nil when it is not comparable
    /// (not a double's shortest form, or outside ±5.0e9). Allocates nothing.
    static func value(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        guard let decimal = decimal(text) else { return nil }
        return value(decimal)
    }

    /// Within 1e-15 (relative) of the number's value, cheaply, or nil when that is not
    /// cheap: for deciding that no numeric condition can be met without reading the
    /// number exactly.
    @inline(__always)
    static func estimate(_ decimal: Decimal) -> Double? {
        guard decimal.exact, decimal.exponent >= -22, decimal.exponent <= 22 else { return nil }
        let magnitude = Double(decimal.significand)
        // Each factor and the product are within half an ulp (1.1e-16 relative) of exact.
        let scaled = decimal.exponent >= 0 ? magnitude * exactPowers[decimal.exponent] : magnitude * reciprocalPowers[-decimal.exponent]
        return decimal.negative ? -scaled : scaled
    }

    /// `value(_:)` for an already split number.
    static func value(_ decimal: Decimal) -> Double? {
        guard decimal.exact else { return nil }
        if decimal.digits == 0 { return 0 }
        // At least 10^(digits + exponent - 1) ≥ 1e10: outside the range.
        if decimal.digits + decimal.exponent > 10 { return nil }
        guard let result = unboundedValue(decimal), abs(result) <= limit else { return nil }
        return result
    }

    private static func unboundedValue(_ decimal: Decimal) -> Double? {
        if decimal.digits <= 15 {
            let magnitude = Double(decimal.significand)
            var result: Double?
            if decimal.exponent >= 0 && decimal.exponent <= 22 {
                result = magnitude * exactPowers[decimal.exponent]
            } else if decimal.exponent < 0 && decimal.exponent >= -22 {
                result = magnitude / exactPowers[-decimal.exponent]
            }
            if let result {
                return decimal.negative ? -result : result
            }
        }
        if decimal.digits > 17 { return nil }
        if decimal.exponent < 0, case .value(let magnitude, let shortest) =
            QuickDecimal.read(significand: decimal.significand, digits: decimal.digits, scale: -decimal.exponent) {
            guard shortest else { return nil }
            return decimal.negative ? -magnitude : magnitude
        }
        if let magnitude = ExactDecimal.double(significand: decimal.significand, exponent: decimal.exponent),
           magnitude.isFinite {
            let signed = decimal.negative ? -magnitude : magnitude
            if decimal.digits <= 15 { return signed }
            if let shortest = ExactDecimal.isShortest(significand: decimal.significand, digits: decimal.digits,
                                                      exponent: decimal.exponent, value: magnitude) {
                return shortest ? signed : nil
            }
        }
        // Exponents beyond the 128-bit path (tiny magnitudes): exact big-integer arithmetic.
        guard let magnitude = WideDecimal.double(significand: decimal.significand, exponent: decimal.exponent),
              magnitude > 0 else {
            return nil
        }
        // Up to 15 digits always read back from a normal double; subnormals keep fewer.
        if decimal.digits <= 15 && magnitude.isNormal { return decimal.negative ? -magnitude : magnitude }
        guard WideDecimal.isShortest(significand: decimal.significand, exponent: decimal.exponent, value: magnitude) else {
            return nil
        }
        return decimal.negative ? -magnitude : magnitude
    }

    /// The value of a pattern's number: any finite double (callers check the range).
    static func patternValue(_ text: String) -> Double? {
        guard let parsed = Double(text), parsed.isFinite else { return nil }
        return parsed == 0 ? 0 : parsed
    }

    /// Whether numeric matching covers `value`.
    static func inRange(_ value: Double) -> Bool {
        abs(value) <= limit
    }
}


