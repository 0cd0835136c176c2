import CairnCore
import Foundation
import Testing
@testable import EventBus
@testable import Storage

/// What one due scheduled rule does, without a store: its Scheduled Events and when it is due next.
struct ScheduledRulesTests {
    static let minute: Int64 = 60_000

    static func rule(_ expression: String, state: String = "ENABLED", due: Int64, createdAt: Int64 = 0) -> EventRuleRecord {
        EventRuleRecord(accountId: "000000000000", region: "us-east-1", busName: "default", name: "tick", eventPattern: nil,
                        scheduleExpression: expression, state: state, description: nil, roleArn: nil, tags: [:],
                        createdAt: createdAt, nextFireAt: due)
    }

    static let targets = [
        EventTargetRecord(targetId: "q", arn: "arn:aws:sqs:us-east-1:000000000000:q",
                          definition: #"{"Id":"q","Arn":"arn:aws:sqs:us-east-1:000000000000:q"}"#),
        EventTargetRecord(targetId: "c", arn: "arn:aws:sqs:us-east-1:000000000000:c",
                          definition: #"{"Id":"c","Arn":"arn:aws:sqs:us-east-1:000000000000:c","Input":"{\"fixed\":true}"}"#),
    ]

    @Test func aDueRuleSendsOneScheduledEventToEachTargetAndMovesToItsNextDueTime() throws {
        let due = 30 * Self.minute
        let (deliveries, next) = ScheduledRules.firing(Self.rule("cron(*/15 * * * ? *)", due: due), targets: Self.targets,
                                                        now: due + 250)
        #expect(next == 45 * Self.minute)
        #expect(deliveries.map(\.targetId) == ["q", "c"])
        #expect(Set(deliveries.map(\.eventId)).count == 1)
        let event = try JSONValue.parse(Array(deliveries[0].payload.utf8))
        #expect(event["source"]?.stringValue == "aws.events")
        #expect(event["detail-type"]?.stringValue == "Scheduled Event")
        #expect(event["resources"] == .array([.string("arn:aws:events:us-east-1:000000000000:rule/tick")]))
        #expect(event["detail"] == .object([]))
        // The event's time is the due time, not when it went out.
        #expect(event["time"]?.stringValue == "1970-01-01T00:30:00Z")
        // A target's Input replaces the event, as for any rule.
        #expect(deliveries[1].payload == #"{"fixed":true}"#)
    }

    @Test func dueTimesMissedWhileDownFireOnceAndTheScheduleGoesOnFromNow() {
        let (deliveries, next) = ScheduledRules.firing(Self.rule("rate(5 minutes)", due: 5 * Self.minute), targets: Self.targets,
                                                        now: 61 * Self.minute)
        #expect(deliveries.count == 2)  // one event, to each of the two targets
        #expect(next == 65 * Self.minute)  // rates count from the rule's creation (0)
    }

    @Test func aDisabledRuleFiresNothingButKeepsItsSchedule() {
        let (deliveries, next) = ScheduledRules.firing(Self.rule("rate(1 hour)", state: "DISABLED", due: 60 * Self.minute),
                                                        targets: Self.targets, now: 60 * Self.minute)
        #expect(deliveries.isEmpty)
        #expect(next == 120 * Self.minute)
    }

    @Test func aScheduleThatEndsIsNeverDueAgain() {
        let due = Int64(Date(timeIntervalSince1970: 1_800_000_000).timeIntervalSince1970 * 1000)
        let (deliveries, next) = ScheduledRules.firing(Self.rule("cron(0 0 1 1 ? 1970)", due: due), targets: Self.targets, now: due)
        #expect(deliveries.count == 2)
        #expect(next == nil)
    }
}
