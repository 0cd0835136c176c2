/// A schedule expression that cannot be parsed.
///
/// AWS answers every invalid expression with one fixed message (`message`); `reason` says precisely what is
/// wrong, for logs and documentation. The code is a struct around a private enum so codes can be added without
/// breaking callers. There is no `cause`: parsing is pure and never wraps another error.
public struct ScheduleError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case malformed
            case fieldCount
            case dayFields
            case outOfRange
            case invalidUnit
            case unsupportedCharacter
            case atNotAllowed
            case invalidDate
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Not `rate(...)`, `cron(...)` or `at(...)`, or a field that cannot be read at all.
        public static let malformed = Code(.malformed)
        /// A cron expression without exactly six fields.
        public static let fieldCount = Code(.fieldCount)
        /// Day-of-month and day-of-week are not exactly one `?` and one other value.
        public static let dayFields = Code(.dayFields)
        /// A number outside its field's range (minute 60, month 13, year 2200, `rate(0 minutes)`, `3#6`).
        public static let outOfRange = Code(.outOfRange)
        /// A rate unit that is unknown or does not agree in number with the value (`rate(1 minutes)`).
        public static let invalidUnit = Code(.invalidUnit)
        /// A wildcard the field does not allow (`L` in hours, `#` in day-of-month, `W` in a list).
        public static let unsupportedCharacter = Code(.unsupportedCharacter)
        /// An `at(...)` expression where only `rate` and `cron` are accepted (EventBridge rules).
        public static let atNotAllowed = Code(.atNotAllowed)
        /// An `at(...)` date that is not in the calendar (`2026-02-30`).
        public static let invalidDate = Code(.invalidDate)

        /// The code's name, e.g. `outOfRange`.
        public var description: String { base.rawValue }
    }

    /// The message EventBridge returns in a `ValidationException` from `PutRule`.
    public static let ruleMessage = "Parameter ScheduleExpression is not valid."

    /// What kind of failure this is.
    public var code: Code
    /// The expression as given.
    public var expression: String
    /// What precisely is wrong, e.g. `minute 60 is outside 0-59`.
    public var reason: String

    /// Creates an error about `expression`.
    public init(_ code: Code, _ reason: String, expression: String) {
        self.code = code
        self.reason = reason
        self.expression = expression
    }

    /// The message AWS returns for a rule: ``ruleMessage``, whatever the reason.
    public var message: String { Self.ruleMessage }

    /// The message for EventBridge Scheduler's `ValidationException`, in the shape LocalStack reproduces
    /// (`Invalid Schedule Expression <expression>.`); AWS's own wording for schedules is not published.
    public var schedulerMessage: String { "Invalid Schedule Expression \(expression)." }

    /// `code: reason (expression)`.
    public var description: String { "\(code): \(reason) (\(expression))" }
}
