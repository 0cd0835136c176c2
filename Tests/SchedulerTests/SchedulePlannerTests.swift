import CairnCore
import Foundation
import Storage
import Testing
import Wire
@testable import Scheduler

/// When schedules fire, what a due schedule does, and what a failed attempt leads to: pure, with fixed times.
struct SchedulePlannerTests {
    static let role = "arn:aws:iam::000000000000:role/s"
    static let queue = "arn:aws:sqs:us-east-1:000000000000:q"

    static func definition(_ expression: String, zone: String? = nil, extra: [(String, JSONValue)] = [],
                           target: [(String, JSONValue)] = []) throws -> ScheduleDefinition {
        var body: [(String, JSONValue)] = [
            ("ScheduleExpression", .string(expression)),
            ("Target", .object([("Arn", .string(queue)), ("RoleArn", .string(role))] + target)),
        ]
        if !extra.contains(where: { $0.0 == "FlexibleTimeWindow" }) { body.append(("FlexibleTimeWindow", ["Mode": "OFF"])) }
        if let zone { body.append(("ScheduleExpressionTimezone", .string(zone))) }
        return try ScheduleDefinition(body: .object(body + extra))
    }

    static func ms(_ iso: String) -> Int64 { Int64(Timestamp.parseISO8601(iso)!.timeIntervalSince1970 * 1000) }

    static func record(_ d: ScheduleDefinition, due: Int64?, createdAt: Int64 = 0) -> ScheduleRecord {
        ScheduleRecord(accountId: "000000000000", region: "us-east-1", groupName: "default", name: "s",
                       arn: "arn:aws:scheduler:us-east-1:000000000000:schedule/default/s", state: d.state,
                       definition: d.json.jsonString(), createdAt: createdAt, updatedAt: createdAt, nextFireAt: due)
    }

    @Test func cronInANewYorkZoneFollowsItsClocksAcrossTheSpringChange() throws {
        let d = try Self.definition("cron(0 9 * * ? *)", zone: "America/New_York")
        // 09:00 EST is 14:00Z; after 8 March 2026 09:00 EDT is 13:00Z.
        #expect(SchedulePlanner.nextDue(d, after: Self.ms("2026-03-07T12:00:00Z"), createdAt: 0) == Self.ms("2026-03-07T14:00:00Z"))
        #expect(SchedulePlanner.nextDue(d, after: Self.ms("2026-03-07T15:00:00Z"), createdAt: 0) == Self.ms("2026-03-08T13:00:00Z"))
    }

    @Test func rateCountsFromCreationOrStartDateAndStopsAtEndDate() throws {
        let created = Self.ms("2026-12-03T12:00:00Z")
        let d = try Self.definition("rate(1 minute)")
        #expect(SchedulePlanner.firstDue(d, now: created, createdAt: created) == created + 60_000)
        let start = Self.ms("2026-12-03T13:00:00Z")
        let bounded = try Self.definition("rate(5 minutes)", extra: [
            ("StartDate", .double(Double(start) / 1000)), ("EndDate", .double(Double(start + 600_000) / 1000)),
        ])
        #expect(SchedulePlanner.firstDue(bounded, now: created, createdAt: created) == start)
        #expect(SchedulePlanner.nextDue(bounded, after: start + 300_000, createdAt: created) == start + 600_000)
        #expect(SchedulePlanner.nextDue(bounded, after: start + 600_000, createdAt: created) == nil)
    }

    @Test func atFiresOnceInItsZoneAndDisabledSchedulesAreNeverDue() throws {
        let d = try Self.definition("at(2026-12-24T18:00:00)", zone: "Europe/Paris")
        #expect(SchedulePlanner.firstDue(d, now: Self.ms("2026-12-01T00:00:00Z"), createdAt: 0) == Self.ms("2026-12-24T17:00:00Z"))
        #expect(SchedulePlanner.nextDue(d, after: Self.ms("2026-12-24T17:00:00Z"), createdAt: 0) == nil)
        let off = try Self.definition("rate(1 minute)", extra: [("State", "DISABLED")])
        #expect(SchedulePlanner.firstDue(off, now: 0, createdAt: 0) == nil)
    }

    @Test func aLastFiringDeletesItsScheduleWhenAskedAndKeepsItOtherwise() throws {
        let due = Self.ms("2026-12-24T17:00:00Z")
        let deleting = try Self.definition("at(2026-12-24T17:00:00)", extra: [("ActionAfterCompletion", "DELETE")])
        let step = SchedulePlanner.step(Self.record(deleting, due: due), now: due + 5, executionId: "x") { $0.lowerBound }
        #expect(step.firing?.scheduledTime == due)
        #expect(step.firing?.nextAttemptAt == due)
        #expect(step.firing?.executionId == "x")
        #expect(step.next == nil && step.delete)
        let keeping = try Self.definition("at(2026-12-24T17:00:00)")
        let kept = SchedulePlanner.step(Self.record(keeping, due: due), now: due, executionId: "x") { $0.lowerBound }
        #expect(kept.firing != nil && kept.next == nil && !kept.delete)
    }

    @Test func dueTimesMissedWhileDownFireOnceWithinTheEventAgeAndAreSkippedBeyondIt() throws {
        let d = try Self.definition("rate(1 minute)", target: [("RetryPolicy", ["MaximumEventAgeInSeconds": 120])])
        let due: Int64 = 60_000
        // Ten minutes late: one firing is not enough to make up for it; the schedule goes on from now.
        let late = SchedulePlanner.step(Self.record(d, due: due), now: due + 100_000, executionId: "a") { $0.lowerBound }
        #expect(late.firing?.scheduledTime == due)
        #expect(late.next == 180_000)
        let tooLate = SchedulePlanner.step(Self.record(d, due: due), now: due + 600_000, executionId: "b") { $0.lowerBound }
        #expect(tooLate.firing == nil)
        #expect(tooLate.next == 720_000)
    }

    @Test func aFlexibleWindowMovesTheAttemptWithinTheWindow() throws {
        let d = try Self.definition("rate(1 hour)", extra: [("FlexibleTimeWindow", ["Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15])])
        let step = SchedulePlanner.step(Self.record(d, due: 3_600_000), now: 3_600_000, executionId: "x") { range in
            #expect(range == 0...900_000)
            return range.upperBound
        }
        let expected: Int64 = 3_600_000 + 900_000
        #expect(step.firing?.nextAttemptAt == expected)
    }

    @Test func retriesStopAtTheAttemptOrAgeLimitAndClientErrorsAreNotRetried() throws {
        let target = try ScheduleTarget(.object([
            ("Arn", .string(Self.queue)), ("RoleArn", .string(Self.role)),
            ("RetryPolicy", ["MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 60]),
        ]))
        let server = ScheduleInvocationError(code: "InternalFailure", message: "m", retryable: true)
        let client = ScheduleInvocationError(code: "AccessDenied", message: "m", retryable: false)
        #expect(FiringRetry.outcome(server, attempt: 1, ageMs: 0, target: target) == .retry(server))
        #expect(FiringRetry.outcome(server, attempt: 3, ageMs: 0, target: target) == .failed(server, exhausted: "MaximumRetryAttempts"))
        #expect(FiringRetry.outcome(server, attempt: 1, ageMs: 60_000, target: target) == .failed(server, exhausted: "MaximumEventAgeInSeconds"))
        #expect(FiringRetry.outcome(client, attempt: 1, ageMs: 0, target: target) == .failed(client, exhausted: nil))
        #expect(FiringRetry.delay(afterAttempt: 1, base: .milliseconds(50)) == 50)
        #expect(FiringRetry.delay(afterAttempt: 4, base: .milliseconds(50)) == 400)
        #expect(FiringRetry.delay(afterAttempt: 40, base: .seconds(1)) == 300_000)
    }

    @Test func targetsBecomeTheCallsTheirServicesTakeWithContextAttributesFilledIn() throws {
        let context = FiringContext(scheduleArn: "arn:aws:scheduler:us-east-1:000000000000:schedule/default/s",
                                    scheduledTime: Self.ms("2026-12-03T12:00:00Z"), executionId: "e-1", attempt: 2)
        let sqs = try ScheduleTarget(.object([
            ("Arn", "arn:aws:sqs:us-east-1:000000000000:jobs.fifo"), ("RoleArn", .string(Self.role)),
            ("Input", "<aws.scheduler.scheduled-time> <aws.scheduler.execution-id> #<aws.scheduler.attempt-number>"),
            ("SqsParameters", ["MessageGroupId": "g"]),
        ]))
        let call = try sqs.invocation(context)
        #expect(call.operation == "SendMessage" && call.signingName == "sqs")
        #expect(call.request["MessageBody"]?.stringValue == "2026-12-03T12:00:00Z e-1 #2")
        #expect(call.request["MessageGroupId"]?.stringValue == "g")
        #expect(call.request["MessageDeduplicationId"]?.stringValue == "e-1")
        let universal = try ScheduleTarget(.object([
            ("Arn", "arn:aws:scheduler:::aws-sdk:batch:submitJob"), ("RoleArn", .string(Self.role)),
            ("Input", #"{"JobName":"j","JobQueue":"q","JobDefinition":"d"}"#),
        ]))
        let submit = try universal.invocation(context)
        #expect(submit.signingName == "batch" && submit.operation == "SubmitJob")
        #expect(submit.request["JobQueue"]?.stringValue == "q")
        let letter = sqs.deadLetter(context, error: ScheduleInvocationError(code: "AccessDenied", message: "no", retryable: false),
                                    exhausted: nil)
        #expect(letter == nil)  // no DeadLetterConfig
    }

    @Test(arguments: [
        "arn:aws:lambda:us-east-1:000000000000:function:f", "arn:aws:scheduler:::aws-sdk:ec2:runInstances",
        "arn:aws:scheduler:::aws-sdk:sqs:SendMessage", "not-an-arn",
    ])
    func targetsCairnCannotCallAreRefusedWhenDefined(_ arn: String) {
        #expect(throws: AWSError.self) {
            try ScheduleTarget(.object([("Arn", .string(arn)), ("RoleArn", .string(Self.role))]))
        }
    }
}
