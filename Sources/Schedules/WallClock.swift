import Foundation

/// Local wall-clock time in a time zone, as whole seconds counted as if the zone were UTC.
///
/// Going from an instant to wall time is a function; going back is not: a wall time skipped by a spring-forward
/// transition has no instant, and one repeated by a fall-back transition has two. ``instants(of:)`` returns them all
/// and leaves the choice to the caller, so the DST rule lives in one visible place (``ScheduleExpression``).
struct WallClock: Sendable {
    /// The zone the wall clock hangs in.
    let timeZone: TimeZone

    /// Seconds in a day.
    static let day = 86_400

    /// The wall time of `date`, in whole seconds (fractions dropped).
    func wallSeconds(of date: Date) -> Int {
        // Clamped to about ±31 million years so that no `Date` can trap the conversion to `Int`.
        let seconds = Int(max(-1e15, min(1e15, date.timeIntervalSince1970.rounded(.down))))
        return seconds + timeZone.secondsFromGMT(for: date)
    }

    /// Every instant (Unix seconds, ascending) whose wall time is `wall`: none in a spring-forward gap, two in a
    /// fall-back repeat, otherwise one.
    func instants(of wall: Int) -> [Int] {
        // The offsets in force around `wall`: two days either side brackets any transition, whatever the zone's
        // offset, and the offset at each first guess catches a second transition close by.
        var offsets: [Int] = []
        for probe in [wall - 2 * Self.day, wall + 2 * Self.day] {
            let offset = utcOffset(at: probe)
            if !offsets.contains(offset) { offsets.append(offset) }
        }
        for guess in offsets {
            let offset = utcOffset(at: wall - guess)
            if !offsets.contains(offset) { offsets.append(offset) }
        }
        var result: [Int] = []
        for offset in offsets {
            let instant = wall - offset
            if utcOffset(at: instant) == offset, !result.contains(instant) { result.append(instant) }
        }
        return result.sorted()
    }

    /// The zone's offset from UTC, in seconds, at Unix second `instant`.
    private func utcOffset(at instant: Int) -> Int {
        timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
    }

    /// `wall` split into calendar fields.
    static func fields(of wall: Int) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int) {
        let days = floorDivide(wall, Self.day)
        let secondOfDay = wall - days * Self.day
        let date = CivilDate.date(days: days)
        return (date.year, date.month, date.day, secondOfDay / 3600, secondOfDay % 3600 / 60)
    }

    /// The wall time at the given fields.
    static func wall(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int = 0) -> Int {
        CivilDate.days(year: year, month: month, day: day) * Self.day + hour * 3600 + minute * 60 + second
    }

    /// `value / divisor`, rounded towards negative infinity.
    static func floorDivide(_ value: Int, _ divisor: Int) -> Int {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
