import CairnCore
import Foundation
import Storage
import Wire

/// Sends messages on Cairn's own behalf (EventBridge targets, dead-letter queues), with the same validation and
/// digests as SendMessage.
public struct QueueDelivery: Sendable {
    public typealias Message = OutboundMessage

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
                entry.append(("MessageAttributes", .object(item.attributes.map {
                    ($0.name, ["DataType": .string($0.dataType), ($0.baseType == "Binary" ? "BinaryValue" : "StringValue"): .string($0.value)])
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
