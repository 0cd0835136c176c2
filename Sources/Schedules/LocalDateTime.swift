/// The wall-clock date and time of an `at(yyyy-mm-ddThh:mm:ss)` expression, without a zone.
///
/// The zone comes with the schedule (`ScheduleExpressionTimezone`) and is applied when evaluating.
public struct LocalDateTime: Sendable, Equatable, CustomStringConvertible {
    /// The year, four digits.
    public let year: Int
    /// The month, 1–12.
    public let month: Int
    /// The day of the month, valid for the month.
    public let day: Int
    /// The hour, 0–23.
    public let hour: Int
    /// The minute, 0–59.
    public let minute: Int
    /// The second, 0–59.
    public let second: Int

    /// Parses `yyyy-mm-ddThh:mm:ss`, rejecting dates the calendar lacks (`2026-02-30`).
    init(parsing text: String, expression: String) throws(ScheduleError) {
        let bytes = Array(text.utf8)
        let shape = Array("dddd-dd-ddTdd:dd:dd".utf8)
        let wellFormed = bytes.count == shape.count && zip(bytes, shape).allSatisfy { byte, expected in
            expected == UInt8(ascii: "d") ? (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) : byte == expected
        }
        guard wellFormed else {
            throw ScheduleError(.malformed, "an at expression is at(yyyy-mm-ddThh:mm:ss)", expression: expression)
        }
        func field(_ start: Int, _ length: Int) -> Int {
            bytes[start..<start + length].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        }
        year = field(0, 4)
        month = field(5, 2)
        day = field(8, 2)
        hour = field(11, 2)
        minute = field(14, 2)
        second = field(17, 2)
        guard (1...12).contains(month), (1...CivilDate.daysInMonth(year: year, month: month)).contains(day) else {
            throw ScheduleError(.invalidDate, "\(text) is not a date in the calendar", expression: expression)
        }
        guard hour < 24, minute < 60, second < 60 else {
            throw ScheduleError(.invalidDate, "\(text) is not a time of day", expression: expression)
        }
    }

    /// `yyyy-mm-ddThh:mm:ss`.
    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
    }

    /// The wall time in seconds, as ``WallClock`` counts it.
    var wall: Int {
        WallClock.wall(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }
}
