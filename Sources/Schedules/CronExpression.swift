import Foundation

/// An AWS cron expression: `cron(Minutes Hours Day-of-month Month Day-of-week Year)`.
///
/// Fields follow EventBridge's syntax
/// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html): `,` lists,
/// `-` ranges (a range that runs past the field's end wraps, `FRI-MON`), `*`, `/` increments, `?`, `L`, `W` and
/// `#`; months `JAN`–`DEC` and weekdays `SUN`–`SAT` in any case; day-of-week 1–7 with 1 = Sunday; years
/// 1970–2199. Exactly one of day-of-month and day-of-week is `?`.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    /// The six fields as written inside `cron(...)`.
    public let fields: String
    /// Minutes 0–59.
    let minutes: CronValues
    /// Hours 0–23.
    let hours: CronValues
    /// The day rule, from day-of-month or day-of-week (whichever is not `?`).
    let days: CronDayRule
    /// Months 1–12.
    let months: CronValues
    /// The years allowed, ascending, all within 1970–2199.
    let years: [Int]

    /// `cron(<fields>)`.
    public var description: String { "cron(\(fields))" }

    /// The first firing strictly after `date`, with the fields read as wall-clock time in `timeZone`; `nil` when
    /// there is none before the end of 2199.
    ///
    /// See ``ScheduleExpression/nextFire(after:in:start:)`` for the daylight-saving rule.
    public func nextFire(after date: Date, in timeZone: TimeZone) -> Date? {
        nextFire(from: date, inclusive: false, in: timeZone)
    }

    /// The first firing at or after (`inclusive`) or strictly after `lower`.
    ///
    /// Walks wall-clock minutes that match the fields, in order, and takes the first whose instant qualifies. A wall
    /// time skipped by spring-forward has no instant and is passed over; a repeated one counts only at its first
    /// occurrence, so a match in the second pass of a fall-back hour has already fired.
    func nextFire(from lower: Date, inclusive: Bool, in timeZone: TimeZone) -> Date? {
        let clock = WallClock(timeZone: timeZone)
        let bound = lower.timeIntervalSince1970
        var wall = WallClock.floorDivide(clock.wallSeconds(of: lower), 60) * 60
        while let match = nextMatch(atOrAfter: wall) {
            if let first = clock.instants(of: match).first {
                let instant = TimeInterval(first)
                if (inclusive ? instant >= bound : instant > bound) {
                    return Date(timeIntervalSince1970: instant)
                }
            }
            wall = match + 60
        }
        return nil
    }

    /// The first wall-clock minute at or after `wall` that matches every field.
    ///
    /// Steps field by field, coarsest first: a field with no value left resets the finer ones and carries into the
    /// next coarser one, so a search crosses years in a handful of steps (`cron(0 0 29 2 ? *)` visits only
    /// Februaries) and ends once the years run out.
    func nextMatch(atOrAfter wall: Int) -> Int? {
        var (year, month, day, hour, minute) = WallClock.fields(of: wall)
        while true {
            guard let nextYear = years.first(where: { $0 >= year }) else { return nil }
            if nextYear != year { (year, month, day, hour, minute) = (nextYear, 1, 1, 0, 0) }

            guard let nextMonth = months.next(atOrAfter: month) else {
                (year, month, day, hour, minute) = (year + 1, 1, 1, 0, 0)
                continue
            }
            if nextMonth != month { (month, day, hour, minute) = (nextMonth, 1, 0, 0) }

            guard let nextDay = days.days(year: year, month: month).next(atOrAfter: day) else {
                (month, day, hour, minute) = (month + 1, 1, 0, 0)
                continue
            }
            if nextDay != day { (day, hour, minute) = (nextDay, 0, 0) }

            guard let nextHour = hours.next(atOrAfter: hour) else {
                (day, hour, minute) = (day + 1, 0, 0)
                continue
            }
            if nextHour != hour { (hour, minute) = (nextHour, 0) }

            guard let nextMinute = minutes.next(atOrAfter: minute) else {
                (hour, minute) = (hour + 1, 0)
                continue
            }
            return WallClock.wall(year: year, month: month, day: day, hour: hour, minute: nextMinute)
        }
    }
}

extension CronExpression {
    /// Parses the six fields written inside `cron(...)`, e.g. `0 8 ? * MON-FRI *`.
    public init(parsing fields: String) throws(ScheduleError) {
        self = try CronParser(expression: "cron(\(fields))").parse(fields)
    }
}
