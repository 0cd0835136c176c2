internal import CairnCore
import Foundation

/// A UTC civil time at second precision (from ``Timestamp/utcComponents(_:)``), and the renderings trail files use.
struct UTCTime: Equatable, Sendable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int

    /// The UTC fields of `date`, truncated (floored) to the whole second.
    init(_ date: Date) {
        let c = Timestamp.utcComponents(date)
        (year, month, day, hour, minute, second) = (c.year, c.month, c.day, c.hour, c.minute, c.second)
    }

    init(epochSeconds: Int64) {
        self.init(Date(timeIntervalSince1970: TimeInterval(epochSeconds)))
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
