import Foundation

/// An SQS queue as stored.
public struct QueueRecord: Sendable, Equatable {
    public var queueId: Int64
    public var accountId: String
    public var region: String
    public var name: String
    public var fifo: Bool
    /// The attributes the user set (string values, as on the wire).
    public var attributes: [String: String]
    public var tags: [String: String]
    /// Milliseconds since the epoch.
    public var createdAt: Int64
    public var modifiedAt: Int64
    public var purgedAt: Int64?

    public init(queueId: Int64 = 0, accountId: String, region: String, name: String, fifo: Bool,
                attributes: [String: String], tags: [String: String], createdAt: Int64, modifiedAt: Int64,
                purgedAt: Int64? = nil) {
        self.queueId = queueId
        self.accountId = accountId
        self.region = region
        self.name = name
        self.fifo = fifo
        self.attributes = attributes
        self.tags = tags
        self.createdAt = createdAt
        self.modifiedAt = modifiedAt
        self.purgedAt = purgedAt
    }

    public var arn: String { "arn:aws:sqs:\(region):\(accountId):\(name)" }
}

/// A message to append to a queue.
public struct NewQueueMessage: Sendable {
    public var messageId: String
    public var body: String
    /// MessageAttributes as JSON text, or nil.
    public var messageAttributes: String?
    public var systemAttributes: String?
    public var md5Body: String
    public var md5Attributes: String?
    public var senderId: String
    public var delayMs: Int64
    public var groupId: String?
    public var dedupId: String?

    public init(messageId: String, body: String, messageAttributes: String?, systemAttributes: String?, md5Body: String,
                md5Attributes: String?, senderId: String, delayMs: Int64, groupId: String?, dedupId: String?) {
        self.messageId = messageId
        self.body = body
        self.messageAttributes = messageAttributes
        self.systemAttributes = systemAttributes
        self.md5Body = md5Body
        self.md5Attributes = md5Attributes
        self.senderId = senderId
        self.delayMs = delayMs
        self.groupId = groupId
        self.dedupId = dedupId
    }
}

/// A stored message, as a receive hands it out.
public struct QueueMessage: Sendable {
    public var seq: Int64
    public var messageId: String
    public var body: String
    public var messageAttributes: String?
    public var systemAttributes: String?
    public var md5Body: String
    public var md5Attributes: String?
    public var senderId: String
    public var sentAt: Int64
    public var receiveCount: Int
    public var firstReceiveAt: Int64?
    public var receipt: String?
    public var groupId: String?
    public var dedupId: String?

    public init(seq: Int64, messageId: String, body: String, messageAttributes: String? = nil, systemAttributes: String? = nil,
                md5Body: String, md5Attributes: String? = nil, senderId: String, sentAt: Int64, receiveCount: Int = 0,
                firstReceiveAt: Int64? = nil, receipt: String? = nil, groupId: String? = nil, dedupId: String? = nil) {
        self.seq = seq
        self.messageId = messageId
        self.body = body
        self.messageAttributes = messageAttributes
        self.systemAttributes = systemAttributes
        self.md5Body = md5Body
        self.md5Attributes = md5Attributes
        self.senderId = senderId
        self.sentAt = sentAt
        self.receiveCount = receiveCount
        self.firstReceiveAt = firstReceiveAt
        self.receipt = receipt
        self.groupId = groupId
        self.dedupId = dedupId
    }
}

/// What a send did with one message.
public struct SentMessage: Sendable, Equatable {
    public var seq: Int64
    public var messageId: String
    /// True when a FIFO deduplication id matched a message sent within the last five minutes.
    public var duplicate: Bool
}

/// How a receive redrives messages received too often.
public struct RedriveRule: Sendable {
    public var deadLetterQueueId: Int64
    public var maxReceiveCount: Int
    /// The source queue's ARN, given to moved messages as `DeadLetterQueueSourceArn`.
    public var sourceArn: String
    public init(deadLetterQueueId: Int64, maxReceiveCount: Int, sourceArn: String = "") {
        self.deadLetterQueueId = deadLetterQueueId
        self.maxReceiveCount = maxReceiveCount
        self.sourceArn = sourceArn
    }
}

/// One receive request against a queue.
public struct ReceiveRequest: Sendable {
    public var queueId: Int64
    public var fifo: Bool
    public var maxMessages: Int
    public var now: Int64
    public var visibilityMs: Int64
    public var retentionMs: Int64
    public var redrive: RedriveRule?
    public init(queueId: Int64, fifo: Bool, maxMessages: Int, now: Int64, visibilityMs: Int64, retentionMs: Int64,
                redrive: RedriveRule?) {
        self.queueId = queueId
        self.fifo = fifo
        self.maxMessages = maxMessages
        self.now = now
        self.visibilityMs = visibilityMs
        self.retentionMs = retentionMs
        self.redrive = redrive
    }
}

/// What a receive does with one message it read, as the Queues service's rules decide (`ReceivePlanning`).
public enum ReceiveStep: Sendable, Equatable {
    /// Hand the message out: invisible for the visibility timeout, with the receive's receipt.
    case take(seq: Int64)
    /// Delete it: it outlived the queue's retention period.
    case drop(seq: Int64)
    /// Move it to the dead-letter queue `queueId`, visible at once, with these system attributes.
    case redrive(seq: Int64, queueId: Int64, systemAttributes: String?)
}

/// SQS's receive rules as a pure planner: given each page of visible messages (oldest first) and which of their
/// FIFO groups have a message in flight, the steps to apply. The store applies a page's steps, in one transaction
/// with every other page of the receive, and reads the next page until the planner is done.
public protocol ReceivePlanning: Sendable {
    mutating func plan(page: [QueueMessage], groupsInFlight: Set<String>) -> [ReceiveStep]
    /// Whether the receive has taken all it may.
    var isDone: Bool { get }
}

/// A received message as a receipt handle names it: its sequence number and the receipt it was received with.
public struct MessageReceipt: Sendable, Hashable {
    public var seq: Int64
    public var receipt: String

    public init(seq: Int64, receipt: String) {
        self.seq = seq
        self.receipt = receipt
    }
}

/// The outcome of ChangeMessageVisibility.
public enum VisibilityChange: Sendable, Equatable { case changed, notInFlight, unknownReceipt }

/// Approximate queue depths.
public struct QueueCounts: Sendable, Equatable {
    public var visible: Int
    public var inFlight: Int
    public var delayed: Int

    public init(visible: Int, inFlight: Int, delayed: Int) {
        self.visible = visible
        self.inFlight = inFlight
        self.delayed = delayed
    }
}

/// SQS queues and their messages. Every call's cost is independent of queue depth: receives read the
/// visibility index from its low end.
public protocol QueueStore: Sendable {
    func createQueue(_ queue: QueueRecord) async throws -> QueueRecord
    func queue(accountId: String, region: String, name: String) async throws -> QueueRecord?
    func queue(id: Int64) async throws -> QueueRecord?
    func queues(accountId: String, region: String, prefix: String, after: String?, limit: Int) async throws -> [QueueRecord]
    func deleteQueue(_ queue: QueueRecord, at: Int64) async throws
    /// When a queue of that name was last deleted, if ever.
    func deletedAt(accountId: String, region: String, name: String) async throws -> Int64?
    func updateQueue(id: Int64, attributes: [String: String], tags: [String: String], modifiedAt: Int64) async throws
    func purge(id: Int64, at: Int64) async throws
    func send(queueId: Int64, messages: [NewQueueMessage], now: Int64, dedupWindowMs: Int64) async throws -> [SentMessage]
    /// `send` to a standard queue, as statements for another store's transaction: messages inserted as given, without
    /// the deduplication a FIFO queue needs.
    func sendWrite(queueId: Int64, messages: [NewQueueMessage], now: Int64) -> StoreWrite
    /// Reads visible messages from the oldest and applies `planner`'s steps, in one transaction: the taken messages
    /// become invisible for the visibility timeout with a new receipt, expired ones are dropped and over-received
    /// ones moved to the dead-letter queue.
    func receive(_ request: ReceiveRequest, planner: some ReceivePlanning) async throws -> (received: [QueueMessage], redriven: Int)
    /// Deletes each message whose latest receipt is the one given, in one transaction; a stale receipt deletes nothing.
    func deleteMessages(queueId: Int64, _ receipts: [MessageReceipt]) async throws
    /// Makes each in-flight message visible at its `visibleAt`, in one transaction; the outcomes in the order given.
    func changeVisibility(queueId: Int64, _ changes: [(message: MessageReceipt, visibleAt: Int64)], now: Int64) async throws
        -> [VisibilityChange]
    func counts(queueId: Int64, now: Int64) async throws -> QueueCounts
    /// The earliest time after `now` a message becomes visible (with `now: .min`, the earliest visibility of all: at
    /// or before the present when a message is visible); nil when there is none.
    func nextVisibleAt(queueId: Int64, now: Int64) async throws -> Int64?
    /// Drops messages older than their queue's retention period; returns how many.
    func dropExpired(queueId: Int64, before: Int64) async throws -> Int
    func allQueues() async throws -> [QueueRecord]
}
