import Foundation
import Schedules
import Testing

/// An expression AWS rejects, the code it fails with and words its reason must contain.
struct InvalidCase: Sendable, CustomTestStringConvertible {
    let text: String
    let code: ScheduleError.Code
    let reason: String

    init(_ text: String, _ code: ScheduleError.Code, _ reason: String) {
        self.text = text
        self.code = code
        self.reason = reason
    }

    var testDescription: String { "\(text) → \(code)" }
}

@Suite("Parsing schedule expressions")
struct ScheduleExpressionTests {
    static let valid = [
        "rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(12 hours)", "rate(1 day)", "rate(7 days)",
        "cron(0 20 * * ? *)", "cron(0/15 * * * ? *)", "cron(*/5 * * * ? *)", "cron(5-40/5 * * * ? *)",
        "cron(0 8 ? * MON-FRI *)", "cron(0 8 ? * mon-fri *)", "cron(0/5 8-17 ? * MON-FRI *)",
        "cron(15 10 ? * 6L 2019-2022)", "cron(0 0 L * ? *)", "cron(0 0 LW * ? *)", "cron(0 0 15W * ? *)",
        "cron(0 12 ? * 3#2 *)", "cron(0 12 ? * FRI#1 *)", "cron(0 0 1 JAN,JUL ? 2026-2030)", "cron(0 0 ? * L *)",
        "cron(0 12 ? * FRI-MON *)", "cron(0 8 1 * ? *)", "at(2026-07-04T09:00:00)",
    ]

    static let invalid: [InvalidCase] = [
        InvalidCase("cron(0 8 * * ?)", .fieldCount, "not 5"),
        InvalidCase("cron(0 8 ? * ? *)", .dayFields, "can't both be ?"),
        InvalidCase("cron(0 8 * * * *)", .dayFields, "must be ?"),
        InvalidCase("cron(60 8 * * ? *)", .outOfRange, "minutes 60 is outside 0-59"),
        InvalidCase("cron(0 8 * 13 ? *)", .outOfRange, "month 13 is outside 1-12"),
        InvalidCase("cron(0 8 * * ? 2200)", .outOfRange, "year 2200 is outside 1970-2199"),
        InvalidCase("cron(0 8 * * ? 2030-2027)", .outOfRange, "runs backwards"),
        InvalidCase("cron(0/0 8 * * ? *)", .outOfRange, "increment 0"),
        InvalidCase("cron(0 8 ? * 8#6 *)", .outOfRange, "day-of-week 8 is outside 1-7"),
        InvalidCase("cron(0 8 ? * 3#6 *)", .outOfRange, "week 6 of the month"),
        InvalidCase("cron(0 L * * ? *)", .unsupportedCharacter, "L is not allowed in the hours field"),
        InvalidCase("cron(0 8 L,15 * ? *)", .unsupportedCharacter, "L is not allowed in the day-of-month field"),
        InvalidCase("cron(0 8 ? * 2,6L *)", .unsupportedCharacter, "single weekday"),
        InvalidCase("cron(0 8 * JUL-XYZ ? *)", .malformed, "'XYZ' is not a month value"),
        InvalidCase("rate(0 minutes)", .outOfRange, "rate value 0"),
        InvalidCase("rate(1 minutes)", .invalidUnit, "1 takes the singular 'minute'"),
        InvalidCase("rate(5 minute)", .invalidUnit, "5 takes the plural 'minutes'"),
        InvalidCase("rate(5 weeks)", .invalidUnit, "unknown rate unit 'weeks'"),
        InvalidCase("rate(five minutes)", .malformed, "'five' is not a whole number"),
        InvalidCase("at(2026-02-30T00:00:00)", .invalidDate, "not a date"),
        InvalidCase("at(2026-01-01 00:00:00)", .malformed, "at(yyyy-mm-ddThh:mm:ss)"),
        InvalidCase("every day at noon", .malformed, "expected rate"),
    ]

    @Test("Valid expressions parse and print back as written", arguments: valid)
    func validExpressionParses(_ text: String) throws {
        #expect(try schedule(text).description == text)
    }

    @Test("Each invalid expression fails for its own reason", arguments: invalid)
    func invalidExpressionFails(_ testCase: InvalidCase) throws {
        let error = try #require(parseError(testCase.text))
        #expect(error.code == testCase.code)
        #expect(error.reason.contains(testCase.reason), "\(error.reason)")
        #expect(error.expression == testCase.text)
    }

    @Test("Every invalid expression gets EventBridge's one message for rules")
    func invalidExpressionCarriesAWSMessage() throws {
        let error = try #require(parseError("cron(0 8 * * ?)"))
        #expect(error.message == "Parameter ScheduleExpression is not valid.")
        #expect(error.schedulerMessage == "Invalid Schedule Expression cron(0 8 * * ?).")
    }

    @Test("at(...) is refused where only rules' expressions are allowed")
    func atIsSchedulerOnly() throws {
        #expect(parseError("at(2026-07-04T09:00:00)", allowAt: false)?.code == .atNotAllowed)
        #expect(parseError("at(2026-07-04T09:00:00)", allowAt: true) == nil)
    }

    @Test("A rate parses into its value and unit, and knows its interval")
    func rateHasValueUnitAndInterval() throws {
        #expect(try schedule("rate(2 hours)") == .rate(value: 2, unit: .hour))
        #expect(try schedule("rate(2 hours)").interval == .seconds(7200))
        #expect(try schedule("rate(1 day)").interval == .seconds(86_400))
        #expect(try schedule("cron(0 8 * * ? *)").interval == nil)
    }

    @Test("An at expression keeps its wall-clock fields")
    func atKeepsFields() throws {
        guard case .at(let moment) = try schedule("at(2026-07-04T09:05:30)") else {
            Issue.record("not an at expression")
            return
        }
        #expect([moment.year, moment.month, moment.day] == [2026, 7, 4] as [Int])
        #expect([moment.hour, moment.minute, moment.second] == [9, 5, 30] as [Int])
    }

    @Test("A cron expression can be parsed on its own from its six fields")
    func cronParsesAlone() throws {
        let cron = try CronExpression(parsing: "0 8 ? * MON-FRI *")
        #expect(cron.description == "cron(0 8 ? * MON-FRI *)")
        #expect(cron.nextFire(after: utc(2026, 1, 10), in: Zone.utc) == utc(2026, 1, 12, 8))
    }
}
