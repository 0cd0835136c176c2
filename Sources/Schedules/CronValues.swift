/// The values a cron field allows, as bits 0…63 (minutes 0–59, hours 0–23, days 1–31, months 1–12,
/// weekdays 1–7).
struct CronValues: Sendable, Equatable {
    /// Bit `n` is set when value `n` is allowed.
    var bits: UInt64

    /// No values.
    static let empty = CronValues(bits: 0)

    /// Exactly `values`; each must be in 0…63.
    init(_ values: some Sequence<Int>) {
        var bits: UInt64 = 0
        for value in values { bits |= 1 << UInt64(value) }
        self.bits = bits
    }

    /// A set with the given bits.
    init(bits: UInt64) { self.bits = bits }

    /// Whether `value` is allowed.
    func contains(_ value: Int) -> Bool {
        value >= 0 && value < 64 && bits & (1 << UInt64(value)) != 0
    }

    /// The smallest allowed value at or above `value`, if any.
    func next(atOrAfter value: Int) -> Int? {
        let from = max(value, 0)
        guard from < 64 else { return nil }
        let rest = bits >> UInt64(from)
        return rest == 0 ? nil : from + rest.trailingZeroBitCount
    }
}
