import Foundation
import Schedules

/// The zones the tests evaluate in.
enum Zone {
    static let utc = TimeZone(identifier: "UTC")!
    static let newYork = TimeZone(identifier: "America/New_York")!
}

/// The instant of a UTC date and time, built with Foundation's calendar rather than the code under test.
func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = Zone.utc
    let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    return calendar.date(from: components)!
}

/// Parses `text`, admitting `at(...)`.
func schedule(_ text: String) throws -> ScheduleExpression {
    try ScheduleExpression(parsing: text, allowAt: true)
}

/// The error parsing `text` fails with, or `nil` when it parses.
func parseError(_ text: String, allowAt: Bool = true) -> ScheduleError? {
    do throws(ScheduleError) {
        _ = try ScheduleExpression(parsing: text, allowAt: allowAt)
        return nil
    } catch {
        return error
    }
}

/// The firings of `expression` after `date`, one after another.
func fires(
    _ expression: ScheduleExpression, after date: Date, in zone: TimeZone = Zone.utc, start: Date? = nil, count: Int
) -> [Date] {
    var result: [Date] = []
    var cursor = date
    while result.count < count, let next = expression.nextFire(after: cursor, in: zone, start: start) {
        result.append(next)
        cursor = next
    }
    return result
}
