import Foundation

/// A UTC civil time at second precision, and the renderings trail files use.
///
/// The calendar math is done here (proleptic Gregorian, Howard Hinnant's `civil_from_days`) so the
/// result never depends on a process time zone or locale.
struct UTCTime: Equatable, Sendable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int

    /// The UTC fields of `date`, truncated (floored) to the whole second.
    init(_ date: Date) {
        self.init(epochSeconds: Int64(date.timeIntervalSince1970.rounded(.down)))
    }

    init(epochSeconds: Int64) {
        let days = epochSeconds.floorDivided(by: 86_400)
        let secondOfDay = Int(epochSeconds - days * 86_400)
        hour = secondOfDay / 3600
        minute = secondOfDay % 3600 / 60
        second = secondOfDay % 60

        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let dayOfEra = z - era * 146_097  // [0, 146096]
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365  // [0, 399]
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)  // [0, 365], from March 1
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // [0, 11], March = 0
        day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
        year = Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, the form of every time inside log and digest files.
    var iso8601: String {
        "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))Z"
    }

    /// `YYYY/MM/DD`, the date folders of object keys.
    var datePath: String { "\(pad(year, 4))/\(pad(month, 2))/\(pad(day, 2))" }

    /// `YYYYMMDDTHHMMZ`, log file names (minute precision).
    var compactMinute: String { "\(pad(year, 4))\(pad(month, 2))\(pad(day, 2))T\(pad(hour, 2))\(pad(minute, 2))Z" }

    /// `YYYYMMDDTHHMMSSZ`, digest file names (second precision; what `validate-logs` reads back).
    var compactSecond: String {
        "\(pad(year, 4))\(pad(month, 2))\(pad(day, 2))T\(pad(hour, 2))\(pad(minute, 2))\(pad(second, 2))Z"
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

extension Int64 {
    /// Division rounding toward negative infinity (times before 1970 still land on the right day).
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}
