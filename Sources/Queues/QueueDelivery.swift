import CairnCore
import Foundation
import Storage
import Wire

/// Sends messages on Cairn's own behalf (EventBridge targets, dead-letter queues), with the same validation and
/// digests as SendMessage.
public struct QueueDelivery: Sendable {
    /// One message: its body, FIFO group and deduplication ids, and string attributes.
    public struct Message: Sendable {
        public var body: String
        public var groupId: String?
        public var dedupId: String?
        public var attributes: [String: String]
        public init(body: String, groupId: String? = nil, dedupId: String? = nil, attributes: [String: String] = [:]) {
            self.body = body
            self.groupId = groupId
            self.dedupId = dedupId
            self.attributes = attributes
        }
    }

    let store: any QueueStore
    let waiters: QueueWaiters
    let clock: any WallClock

    public init(store: any QueueStore, waiters: QueueWaiters, clock: any WallClock) {
        self.store = store
        self.waiters = waiters
        self.clock = clock
    }

    /// Sends messages to the queue an ARN names, in one transaction; returns, per message, nil or why it was refused.
    public func send(queueArn: String, _ items: [Message], senderId: String) async throws -> [AWSError?] {
        guard let arn = ARN(queueArn), arn.service == "sqs",
              let q = try await store.queue(accountId: arn.accountId, region: arn.region, name: arn.resource)
        else { throw SQSError.queueDoesNotExist() }
        let service = SQSService(store: store, waiters: waiters, clock: clock)
        let ctx = CallContext(requestId: Identifiers.uuid(), principal: .awsService("events.amazonaws.com"),
                              accountId: q.accountId, region: q.region, sourceIPAddress: "events.amazonaws.com",
                              userAgent: "events.amazonaws.com", host: "localhost", receivedAt: clock.now())
        var results: [AWSError?] = []
        var messages: [NewQueueMessage] = []
        for item in items {
            var entry: [(String, JSONValue)] = [("MessageBody", .string(item.body))]
            if !item.attributes.isEmpty {
                entry.append(("MessageAttributes", .object(item.attributes.keys.sorted().map {
                    ($0, ["DataType": "String", "StringValue": .string(item.attributes[$0]!)])
                })))
            }
            if q.fifo {
                entry.append(("MessageGroupId", .string(item.groupId ?? "default")))
                entry.append(("MessageDeduplicationId", .string(item.dedupId ?? Identifiers.uuid())))
            }
            do {
                var (m, _) = try service.prepare(.object(entry), queue: q, ctx: ctx)
                m.senderId = senderId
                messages.append(m)
                results.append(nil)
            } catch {
                results.append(error)
            }
        }
        if !messages.isEmpty {
            _ = try await store.send(queueId: q.queueId, messages: messages, now: service.nowMs(), dedupWindowMs: 300_000)
            waiters.notify(q.queueId)
        }
        return results
    }
}
