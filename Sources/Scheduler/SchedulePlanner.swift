import CairnCore
import Foundation
import Schedules
import Storage

/// When schedules are due and what a due schedule does: pure, tested with fixed times.
enum SchedulePlanner {
    /// The first due time after `after` (epoch ms) within StartDate/EndDate; nil when the schedule never fires again.
    /// Rates count from StartDate, or from the schedule's creation; cron fields match wall time in the schedule's
    /// zone; `at` fires once at its wall time there (StartDate does not apply to it, as AWS documents).
    static func nextDue(_ d: ScheduleDefinition, after: Int64, createdAt: Int64) -> Int64? {
        let start: Int64?
        switch d.expression {
        case .rate: start = d.startDate ?? createdAt
        case .cron: start = d.startDate
        case .at: start = nil
        }
        guard let next = d.expression.nextFire(after: date(after), in: d.timeZone, start: start.map(date)) else { return nil }
        let ms = Int64((next.timeIntervalSince1970 * 1000).rounded())
        if let end = d.endDate, ms > end { return nil }
        return ms
    }

    /// When a newly defined (or redefined) schedule is first due: never while it is disabled. A rate without
    /// StartDate first fires one interval after creation; a StartDate or cron time equal to now is still to come.
    static func firstDue(_ d: ScheduleDefinition, now: Int64, createdAt: Int64) -> Int64? {
        guard d.state == "ENABLED" else { return nil }
        if case .rate = d.expression, d.startDate == nil { return nextDue(d, after: now, createdAt: createdAt) }
        return nextDue(d, after: now - 1, createdAt: createdAt)
    }

    /// What a schedule due at `record.nextFireAt` does at `now`: its firing (skipped when the due time is older
    /// than the target's MaximumEventAgeInSeconds, which only happens after Cairn was down), its next due time
    /// (after now: due times missed while down fire at most once), and whether it is deleted
    /// (ActionAfterCompletion DELETE, once nothing is left to fire). `offset` picks the moment within a flexible
    /// window, in milliseconds from 0 to the window's length.
    static func step(_ record: ScheduleRecord, now: Int64, executionId: String,
                     offset: (ClosedRange<Int64>) -> Int64) -> ScheduleStep {
        guard let d = try? ScheduleDefinition(stored: record.definition), let due = record.nextFireAt, d.state == "ENABLED" else {
            return ScheduleStep(firing: nil, next: nil, delete: false)
        }
        let next = nextDue(d, after: max(due, now), createdAt: record.createdAt)
        let window = Int64(d.flexibleWindowMinutes ?? 0) * 60_000
        var firing: ScheduleFiring?
        if now - due <= Int64(d.target.maximumEventAgeSeconds) * 1000 + window {
            firing = ScheduleFiring(
                accountId: record.accountId, region: record.region, groupName: record.groupName, scheduleArn: record.arn,
                executionId: executionId, scheduledTime: due, target: d.target.json.jsonString(),
                nextAttemptAt: due + (window > 0 ? offset(0...window) : 0))
        }
        return ScheduleStep(firing: firing, next: next, delete: next == nil && d.actionAfterCompletion == "DELETE")
    }

    static func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }
}
