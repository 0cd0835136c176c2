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

    /// Messages checked for one queue as SendMessage checks them, not yet written.
    public struct Prepared: Sendable {
        /// Per message: nil, or why it was refused.
        public var results: [AWSError?]
        let queue: QueueRecord
        let messages: [NewQueueMessage]
        let now: Int64

        /// Whether the queue is FIFO: its messages are then written by `send`, never by another store's transaction.
        public var fifo: Bool { queue.fifo }
    }

    /// Sends messages to the queue an ARN names, in one transaction; returns, per message, nil or why it was refused.
    public func send(queueArn: String, _ items: [Message], senderId: String) async throws -> [AWSError?] {
        let prepared = try await prepare(queueArn: queueArn, items, senderId: senderId)
        try await send(prepared)
        return prepared.results
    }

    /// Writes the accepted messages in a transaction of their own.
    public func send(_ prepared: Prepared) async throws {
        guard !prepared.messages.isEmpty else { return }
        _ = try await store.send(queueId: prepared.queue.queueId, messages: prepared.messages, now: prepared.now,
                                 dedupWindowMs: 300_000)
        committed(prepared)
    }

    /// The accepted messages of a standard queue as statements for another store's transaction (`committed` once it
    /// commits); nil when none was accepted, or for a FIFO queue, whose deduplication needs a transaction of its own
    /// (`send`).
    public func write(_ prepared: Prepared) -> StoreWrite? {
        guard !prepared.queue.fifo, !prepared.messages.isEmpty else { return nil }
        return store.sendWrite(queueId: prepared.queue.queueId, messages: prepared.messages, now: prepared.now)
    }

    /// Wakes the queue's long polls: its prepared messages were committed.
    public func committed(_ prepared: Prepared) {
        if !prepared.messages.isEmpty { waiters.notify(prepared.queue.queueId, arrivals: prepared.messages.count) }
    }

    /// Finds the queue an ARN names and checks each message as SendMessage would.
    public func prepare(queueArn: String, _ items: [Message], senderId: String) async throws -> Prepared {
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
        return Prepared(results: results, queue: q, messages: messages, now: clock.nowMs())
    }
}
