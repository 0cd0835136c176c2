import CairnCore
import Foundation
import Storage
import Wire

/// Sends messages on Cairn's own behalf (EventBridge targets, dead-letter queues), with the same validation and
/// digests as SendMessage.
public struct QueueDelivery: Sendable {
    let store: any QueueStore
    let waiters: QueueWaiters
    let clock: any WallClock

    public init(store: any QueueStore, waiters: QueueWaiters, clock: any WallClock) {
        self.store = store
        self.waiters = waiters
        self.clock = clock
    }

    /// Sends many messages to one queue in one transaction; returns, per message, nil or why it was refused.
    public func sendMany(queueArn: String, bodies: [(body: String, groupId: String?, dedupId: String?)],
                         senderId: String) async throws -> [AWSError?] {
        guard let arn = ARN(queueArn), arn.service == "sqs",
              let q = try await store.queue(accountId: arn.accountId, region: arn.region, name: arn.resource)
        else { throw SQSError.queueDoesNotExist() }
        let service = SQSService(store: store, waiters: waiters, clock: clock)
        let ctx = CallContext(requestId: Identifiers.uuid(), principal: .awsService("events.amazonaws.com"),
                              accountId: q.accountId, region: q.region, sourceIPAddress: "events.amazonaws.com",
                              userAgent: "events.amazonaws.com", host: "localhost", receivedAt: clock.now())
        var results: [AWSError?] = []
        var messages: [NewQueueMessage] = []
        for item in bodies {
            var entry: [(String, JSONValue)] = [("MessageBody", .string(item.body))]
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

    /// Sends one message with string attributes to the queue an ARN names.
    public func send(queueArn: String, body: String, groupId: String?, dedupId: String?, attributes: [String: String],
                     senderId: String) async throws {
        guard let arn = ARN(queueArn), arn.service == "sqs",
              let q = try await store.queue(accountId: arn.accountId, region: arn.region, name: arn.resource)
        else { throw SQSError.queueDoesNotExist() }
        var entry: [(String, JSONValue)] = [("MessageBody", .string(body))]
        if !attributes.isEmpty {
            entry.append(("MessageAttributes", .object(attributes.keys.sorted().map {
                ($0, ["DataType": "String", "StringValue": .string(attributes[$0]!)])
            })))
        }
        if q.fifo {
            entry.append(("MessageGroupId", .string(groupId ?? "default")))
            entry.append(("MessageDeduplicationId", .string(dedupId ?? Identifiers.uuid())))
        }
        let service = SQSService(store: store, waiters: waiters, clock: clock)
        let ctx = CallContext(requestId: Identifiers.uuid(), principal: .awsService("events.amazonaws.com"),
                              accountId: q.accountId, region: q.region, sourceIPAddress: "events.amazonaws.com",
                              userAgent: "events.amazonaws.com", host: "localhost", receivedAt: clock.now())
        let (message, _) = try service.prepare(.object(entry), queue: q, ctx: ctx)
        var m = message
        m.senderId = senderId
        _ = try await store.send(queueId: q.queueId, messages: [m], now: service.nowMs(), dedupWindowMs: 300_000)
        waiters.notify(q.queueId)
    }
}
