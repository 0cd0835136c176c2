import Queues
import Storage
import Testing

/// SQS's receive rules without a database: the steps for a page of visible messages.
struct ReceivePlannerTests {
    static let day: Int64 = 86_400_000

    static func request(fifo: Bool = false, max: Int = 10, now: Int64 = 10 * day, retention: Int64 = 4 * day,
                        redrive: RedriveRule? = nil) -> ReceiveRequest {
        ReceiveRequest(queueId: 1, fifo: fifo, maxMessages: max, now: now, visibilityMs: 30_000, retentionMs: retention,
                       redrive: redrive)
    }

    static func message(_ seq: Int64, sentAt: Int64 = 9 * day, received: Int = 0, group: String? = nil,
                        system: String? = nil) -> QueueMessage {
        QueueMessage(seq: seq, messageId: "m\(seq)", body: "b\(seq)", systemAttributes: system, md5Body: "x", senderId: "s",
                     sentAt: sentAt, receiveCount: received, groupId: group)
    }

    @Test func takesVisibleMessagesInPageOrderUpToTheMaximum() {
        var planner = ReceivePlanner(Self.request(max: 2))
        let steps = planner.plan(page: [Self.message(1), Self.message(2), Self.message(3)], groupsInFlight: [])
        #expect(steps == [.take(seq: 1), .take(seq: 2)])
        #expect(planner.isDone)
    }

    @Test func dropsMessagesOlderThanTheRetentionPeriodInsteadOfHandingThemOut() {
        var planner = ReceivePlanner(Self.request(now: 10 * Self.day, retention: Self.day))
        let steps = planner.plan(page: [Self.message(1, sentAt: 8 * Self.day), Self.message(2, sentAt: 9 * Self.day + 1)],
                                 groupsInFlight: [])
        #expect(steps == [.drop(seq: 1), .take(seq: 2)])
        #expect(!planner.isDone)
    }

    @Test func movesAMessageReceivedMaxReceiveCountTimesToTheDeadLetterQueueMarkedWithItsSource() throws {
        let rule = RedriveRule(deadLetterQueueId: 7, maxReceiveCount: 3, sourceArn: "arn:aws:sqs:us-east-1:000000000000:src")
        var planner = ReceivePlanner(Self.request(redrive: rule))
        let steps = planner.plan(page: [Self.message(1, received: 3), Self.message(2, received: 2)], groupsInFlight: [])
        #expect(steps.count == 2)
        guard case .redrive(let seq, let queueId, let system) = steps[0] else {
            Issue.record("expected a redrive, got \(steps[0])")
            return
        }
        #expect(seq == 1 && queueId == 7)
        #expect(try #require(system).contains(#""DeadLetterQueueSourceArn":{"DataType":"String","StringValue":"arn:aws:sqs:us-east-1:000000000000:src"}"#))
        #expect(steps[1] == .take(seq: 2))
    }

    @Test func redriveKeepsTheMessagesOtherSystemAttributes() throws {
        let rule = RedriveRule(deadLetterQueueId: 7, maxReceiveCount: 1, sourceArn: "arn:src")
        var planner = ReceivePlanner(Self.request(redrive: rule))
        let steps = planner.plan(page: [Self.message(1, received: 1, system: #"{"AWSTraceHeader":{"DataType":"String","StringValue":"t"}}"#)],
                                 groupsInFlight: [])
        guard case .redrive(_, _, let system) = steps.first else { Issue.record("expected a redrive"); return }
        #expect(try #require(system).contains("AWSTraceHeader"))
    }

    @Test func aFifoGroupWithAMessageInFlightHandsOutNothing() {
        var planner = ReceivePlanner(Self.request(fifo: true))
        let page = [Self.message(1, group: "a"), Self.message(2, group: "b"), Self.message(3, group: "a")]
        #expect(planner.plan(page: page, groupsInFlight: ["a"]) == [.take(seq: 2)])
    }

    @Test func aFifoReceiveTakesSeveralMessagesOfOneGroupInOrder() {
        var planner = ReceivePlanner(Self.request(fifo: true, max: 3))
        let page = [Self.message(1, group: "a"), Self.message(2, group: "a"), Self.message(3, group: "b")]
        #expect(planner.plan(page: page, groupsInFlight: []) == [.take(seq: 1), .take(seq: 2), .take(seq: 3)])
    }

    @Test func aGroupTakenOnAnEarlierPageIsNotBlockedByItsOwnMessagesNowInFlight() {
        var planner = ReceivePlanner(Self.request(fifo: true, max: 4))
        #expect(planner.plan(page: [Self.message(1, group: "a")], groupsInFlight: []) == [.take(seq: 1)])
        // The store marked seq 1 in flight before reading the next page: group a is this receive's own.
        #expect(planner.plan(page: [Self.message(2, group: "a")], groupsInFlight: ["a"]) == [.take(seq: 2)])
    }

    @Test func aBlockedGroupStaysBlockedOnLaterPagesOfTheSameReceive() {
        var planner = ReceivePlanner(Self.request(fifo: true))
        #expect(planner.plan(page: [Self.message(1, group: "a")], groupsInFlight: ["a"]).isEmpty)
        #expect(planner.plan(page: [Self.message(2, group: "a")], groupsInFlight: []).isEmpty)
    }

    @Test func standardQueuesIgnoreGroups() {
        var planner = ReceivePlanner(Self.request(fifo: false))
        #expect(planner.plan(page: [Self.message(1, group: "a")], groupsInFlight: ["a"]) == [.take(seq: 1)])
    }
}
