import CairnCore
import Foundation
import Schedules
import Wire

/// A schedule as CreateSchedule and UpdateSchedule define it, validated: what GetSchedule answers, less the name,
/// group, ARN and dates. It is stored as `json` and read back with `init(stored:)`.
struct ScheduleDefinition: Sendable {
    var expression: ScheduleExpression
    var expressionText: String
    /// As given (`ScheduleExpressionTimezone`); nil means UTC.
    var timezoneName: String?
    var timeZone: TimeZone
    /// Epoch milliseconds.
    var startDate: Int64?
    var endDate: Int64?
    var state: String
    var description: String?
    /// Minutes of the flexible window; nil for `OFF`.
    var flexibleWindowMinutes: Int?
    var actionAfterCompletion: String
    var kmsKeyArn: String?
    var target: ScheduleTarget

    /// The request members a definition is made of, in botocore's `CreateScheduleInput` order.
    init(body: JSONValue) throws(AWSError) {
        guard let text = body["ScheduleExpression"]?.stringValue else {
            throw SchedulerService.missing("scheduleExpression")
        }
        guard (1...256).contains(text.count) else { throw SchedulerService.validation("Invalid Schedule Expression \(text).") }
        do {
            expression = try ScheduleExpression(parsing: text, allowAt: true)
        } catch {
            throw SchedulerService.validation("Invalid Schedule Expression \(text). \(error.reason)")
        }
        expressionText = text
        timezoneName = try SchedulerService.string(body, "ScheduleExpressionTimezone", max: 50)
        if let zone = timezoneName {
            guard let resolved = TimeZone(identifier: zone), zone.contains("/") || zone == "UTC" || zone == "GMT" else {
                throw SchedulerService.validation("Invalid ScheduleExpressionTimezone \(zone): not an IANA time zone name.")
            }
            timeZone = resolved
        } else {
            timeZone = TimeZone(identifier: "UTC")!
        }
        startDate = try SchedulerService.time(body, "StartDate")
        endDate = try SchedulerService.time(body, "EndDate")
        if let startDate, let endDate, endDate <= startDate {
            throw SchedulerService.validation("The EndDate you specify must be after the StartDate.")
        }
        state = try SchedulerService.string(body, "State") ?? "ENABLED"
        guard ["ENABLED", "DISABLED"].contains(state) else {
            throw SchedulerService.enumeration("state", state, ["ENABLED", "DISABLED"])
        }
        description = try SchedulerService.string(body, "Description", max: 512)
        guard let window = body["FlexibleTimeWindow"], case .object = window else { throw SchedulerService.missing("flexibleTimeWindow") }
        let mode = try SchedulerService.string(window, "Mode")
        switch mode {
        case "OFF":
            guard window["MaximumWindowInMinutes"] == nil || window["MaximumWindowInMinutes"]?.isNull == true else {
                throw SchedulerService.validation("MaximumWindowInMinutes must not be set when the FlexibleTimeWindow Mode is OFF.")
            }
            flexibleWindowMinutes = nil
        case "FLEXIBLE":
            guard let minutes = window["MaximumWindowInMinutes"]?.intValue else {
                throw SchedulerService.validation("MaximumWindowInMinutes is required when the FlexibleTimeWindow Mode is FLEXIBLE.")
            }
            guard (1...1440).contains(minutes) else {
                throw SchedulerService.validation("1 validation error detected: Value '\(minutes)' at 'flexibleTimeWindow.maximumWindowInMinutes' failed to satisfy constraint: Member must have value between 1 and 1440")
            }
            flexibleWindowMinutes = Int(minutes)
        case nil:
            throw SchedulerService.missing("flexibleTimeWindow.mode")
        case let other?:
            throw SchedulerService.enumeration("flexibleTimeWindow.mode", other, ["OFF", "FLEXIBLE"])
        }
        actionAfterCompletion = try SchedulerService.string(body, "ActionAfterCompletion") ?? "NONE"
        guard ["NONE", "DELETE"].contains(actionAfterCompletion) else {
            throw SchedulerService.enumeration("actionAfterCompletion", actionAfterCompletion, ["NONE", "DELETE"])
        }
        kmsKeyArn = try SchedulerService.string(body, "KmsKeyArn", max: 2048)
        guard let target = body["Target"], case .object = target else { throw SchedulerService.missing("target") }
        self.target = try ScheduleTarget(target)
    }

    /// A stored definition (validated when it was stored).
    init(stored: String) throws(AWSError) {
        guard let body = try? JSONValue.parse(Array(stored.utf8)) else {
            throw AWSError(code: "InternalServerException", status: 500, message: "A stored schedule could not be read.")
        }
        try self.init(body: body)
    }

    /// What GetSchedule answers of it (dates as timestamps), and what is stored.
    var json: JSONValue {
        var window: [(String, JSONValue?)] = [("Mode", .string(flexibleWindowMinutes == nil ? "OFF" : "FLEXIBLE"))]
        window.append(("MaximumWindowInMinutes", flexibleWindowMinutes.map { .int(Int64($0)) }))
        return .compact([
            ("ActionAfterCompletion", .string(actionAfterCompletion)),
            ("Description", description.map(JSONValue.string)),
            ("EndDate", endDate.map(Self.timestamp)),
            ("FlexibleTimeWindow", .compact(window)),
            ("KmsKeyArn", kmsKeyArn.map(JSONValue.string)),
            ("ScheduleExpression", .string(expressionText)),
            ("ScheduleExpressionTimezone", timezoneName.map(JSONValue.string)),
            ("StartDate", startDate.map(Self.timestamp)),
            ("State", .string(state)),
            ("Target", target.json),
        ])
    }

    static func timestamp(_ ms: Int64) -> JSONValue { .timestamp(Date(timeIntervalSince1970: Double(ms) / 1000)) }
}
