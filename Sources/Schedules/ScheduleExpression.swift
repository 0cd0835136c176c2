import Foundation

/// An EventBridge schedule expression: `rate(value unit)`, `cron(fields)` or, for EventBridge Scheduler only,
/// `at(yyyy-mm-ddThh:mm:ss)`.
///
/// Parsing follows the EventBridge User Guide
/// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html and
/// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html) and the EventBridge Scheduler
/// User Guide (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html). Evaluation is pure: the
/// caller supplies the time zone, the start and the instant to search from.
public enum ScheduleExpression: Sendable, Equatable, CustomStringConvertible {
    /// Every `value` units from a start instant.
    case rate(value: Int, unit: RateUnit)
    /// At the wall-clock times the fields match.
    case cron(CronExpression)
    /// Once, at a wall-clock time.
    case at(LocalDateTime)

    /// The largest rate value accepted; AWS publishes no limit, and this keeps `value × unit` far from overflow.
    public static let maximumRateValue = 999_999_999

    /// Parses `text`; `allowAt` admits `at(...)`, which EventBridge Scheduler accepts and rules do not.
    ///
    /// A rate's unit agrees in number with its value, as the EventBridge rate expression reference requires:
    /// `rate(1 hour)` and `rate(5 hours)` are valid, `rate(1 hours)` and `rate(5 hour)` are not.
    public init(parsing text: String, allowAt: Bool = false) throws(ScheduleError) {
        if let inner = Self.argument(of: text, after: "rate(") {
            self = try Self.parseRate(inner, expression: text)
        } else if let inner = Self.argument(of: text, after: "cron(") {
            self = try .cron(CronParser(expression: text).parse(inner))
        } else if let inner = Self.argument(of: text, after: "at(") {
            guard allowAt else {
                throw ScheduleError(.atNotAllowed, "at(...) is for EventBridge Scheduler only", expression: text)
            }
            self = try .at(LocalDateTime(parsing: inner, expression: text))
        } else {
            throw ScheduleError(
                .malformed, "expected rate(value unit), cron(fields) or at(yyyy-mm-ddThh:mm:ss)", expression: text)
        }
    }

    /// The expression as AWS spells it, e.g. `rate(5 minutes)`.
    public var description: String {
        switch self {
        case .rate(let value, let unit): return "rate(\(value) \(unit.spelled(for: value)))"
        case .cron(let cron): return cron.description
        case .at(let moment): return "at(\(moment))"
        }
    }

    /// The time between firings of a rate; `nil` for cron and at.
    public var interval: Duration? {
        guard case .rate(let value, let unit) = self else { return nil }
        return .seconds(value * unit.seconds)
    }

    /// The first firing strictly after `date`, or `nil` when there is none.
    ///
    /// - `rate` is absolute: it fires at `start`, `start + interval`, `start + 2 × interval`, … (a day is 24 hours,
    ///   whatever the clocks do). Without `start` it counts from `date`, so the answer is `date + interval`.
    /// - `cron` matches its fields against wall-clock time in `timeZone` (rules always pass UTC), to the minute:
    ///   results have zero seconds. With `start`, nothing earlier than `start` fires. `nil` once the years run out.
    /// - `at` fires once, at its wall-clock time in `timeZone`; `nil` once that has passed. `start` does not apply,
    ///   as EventBridge Scheduler ignores `StartDate` for one-time schedules.
    ///
    /// Daylight saving time, as AWS describes it for EventBridge Scheduler in the re:Post Knowledge Center article
    /// "How can I adjust my Amazon EventBridge schedule for daylight saving?"
    /// (https://repost.aws/knowledge-center/eventbridge-scheduler-adjust-dst): when clocks spring forward, a firing
    /// whose wall time does not exist that day is skipped, not moved; when clocks fall back, a wall time that occurs
    /// twice fires only once. AWS does not say which of the two occurrences; Cairn fires at the first (the earlier
    /// instant), so `cron(30 1 * * ? *)` in New York fires at 01:30 EDT on the fall-back day and not again at
    /// 01:30 EST. An `at` on a skipped wall time never fires.
    public func nextFire(after date: Date, in timeZone: TimeZone, start: Date? = nil) -> Date? {
        switch self {
        case .rate(let value, let unit):
            let anchor = start ?? date
            if date < anchor { return anchor }
            let step = TimeInterval(value * unit.seconds)
            var count = (date.timeIntervalSince(anchor) / step).rounded(.down) + 1
            // Guards against the division rounding down a whole step too few.
            if anchor.addingTimeInterval(count * step) <= date { count += 1 }
            return anchor.addingTimeInterval(count * step)
        case .cron(let cron):
            if let start, start > date { return cron.nextFire(from: start, inclusive: true, in: timeZone) }
            return cron.nextFire(from: date, inclusive: false, in: timeZone)
        case .at(let moment):
            guard let first = WallClock(timeZone: timeZone).instants(of: moment.wall).first else { return nil }
            let instant = Date(timeIntervalSince1970: TimeInterval(first))
            return instant > date ? instant : nil
        }
    }

    /// The text between `prefix` and a final `)`, if `text` has that shape.
    private static func argument(of text: String, after prefix: String) -> String? {
        guard text.hasPrefix(prefix), text.hasSuffix(")"), text.count > prefix.count else { return nil }
        return String(text.dropFirst(prefix.count).dropLast())
    }

    /// Parses the inside of `rate(...)`.
    private static func parseRate(_ inner: String, expression: String) throws(ScheduleError) -> ScheduleExpression {
        let parts = inner.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 2 else {
            throw ScheduleError(.malformed, "a rate expression is rate(value unit)", expression: expression)
        }
        guard let value = CronParser.number(parts[0]) else {
            throw ScheduleError(.malformed, "rate value '\(parts[0])' is not a whole number", expression: expression)
        }
        guard value >= 1, value <= maximumRateValue else {
            throw ScheduleError(
                .outOfRange, "rate value \(parts[0]) is outside 1-\(maximumRateValue)", expression: expression)
        }
        let written = String(parts[1])
        let singular = written.hasSuffix("s") ? String(written.dropLast()) : written
        guard let unit = RateUnit(rawValue: singular) else {
            let reason = "unknown rate unit '\(written)'; use minute(s), hour(s) or day(s)"
            throw ScheduleError(.invalidUnit, reason, expression: expression)
        }
        guard written == unit.spelled(for: value) else {
            let number = value == 1 ? "1 takes the singular" : "\(value) takes the plural"
            throw ScheduleError(
                .invalidUnit, "a rate of \(number) '\(unit.spelled(for: value))'", expression: expression)
        }
        return .rate(value: value, unit: unit)
    }
}
