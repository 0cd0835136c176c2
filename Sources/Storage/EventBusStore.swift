import CairnCore
import Foundation

/// An event bus as stored.
public struct EventBusRecord: Sendable, Equatable {
    public var accountId: String
    public var region: String
    public var name: String
    public var description: String?
    public var policy: String?
    public var tags: [String: String]
    public var createdAt: Int64
    public var modifiedAt: Int64

    public init(accountId: String, region: String, name: String, description: String?, policy: String?,
                tags: [String: String], createdAt: Int64, modifiedAt: Int64) {
        self.accountId = accountId
        self.region = region
        self.name = name
        self.description = description
        self.policy = policy
        self.tags = tags
        self.createdAt = createdAt
        self.modifiedAt = modifiedAt
    }

    public var arn: String { "arn:aws:events:\(region):\(accountId):event-bus/\(name)" }
}

/// A rule as stored.
public struct EventRuleRecord: Sendable, Equatable {
    public var accountId: String
    public var region: String
    public var busName: String
    public var name: String
    public var eventPattern: String?
    public var scheduleExpression: String?
    public var state: String
    public var description: String?
    public var roleArn: String?
    public var tags: [String: String]
    public var createdAt: Int64
    /// When a scheduled rule fires next (epoch milliseconds); nil without a schedule, or when it never fires again.
    public var nextFireAt: Int64?

    public init(accountId: String, region: String, busName: String, name: String, eventPattern: String?,
                scheduleExpression: String?, state: String, description: String?, roleArn: String?,
                tags: [String: String], createdAt: Int64, nextFireAt: Int64? = nil) {
        self.accountId = accountId
        self.region = region
        self.busName = busName
        self.name = name
        self.eventPattern = eventPattern
        self.scheduleExpression = scheduleExpression
        self.state = state
        self.description = description
        self.roleArn = roleArn
        self.tags = tags
        self.createdAt = createdAt
        self.nextFireAt = nextFireAt
    }

    /// `…:rule/NAME` on the default bus, `…:rule/BUS/NAME` on a custom one.
    public var arn: String {
        busName == "default" ? "arn:aws:events:\(region):\(accountId):rule/\(name)"
            : "arn:aws:events:\(region):\(accountId):rule/\(busName)/\(name)"
    }
}

/// A rule's target as stored: its id, ARN and the full definition (the PutTargets entry, JSON).
public struct EventTargetRecord: Sendable, Equatable {
    public var targetId: String
    public var arn: String
    public var definition: String
    public init(targetId: String, arn: String, definition: String) {
        self.targetId = targetId
        self.arn = arn
        self.definition = definition
    }
}

/// An EventBridge archive: the events of one bus that match its pattern (all, without one), kept for its
/// retention.
public struct EventArchiveRecord: Sendable, Equatable {
    public var accountId: String
    public var region: String
    public var name: String
    public var busName: String
    public var eventPattern: String?
    public var description: String?
    /// Days archived events are kept; 0 keeps them for ever.
    public var retentionDays: Int
    public var state: String
    public var createdAt: Int64

    public init(accountId: String, region: String, name: String, busName: String, eventPattern: String?,
                description: String?, retentionDays: Int, state: String, createdAt: Int64) {
        self.accountId = accountId
        self.region = region
        self.name = name
        self.busName = busName
        self.eventPattern = eventPattern
        self.description = description
        self.retentionDays = retentionDays
        self.state = state
        self.createdAt = createdAt
    }

    public var arn: String { "arn:aws:events:\(region):\(accountId):archive/\(name)" }
    public var busArn: String { "arn:aws:events:\(region):\(accountId):event-bus/\(busName)" }
}

/// A replay of an archive's events back onto its bus.
public struct EventReplayRecord: Sendable, Equatable {
    public var accountId: String
    public var region: String
    public var name: String
    public var archiveArn: String
    /// `Destination` as given: the bus ARN and any `FilterArns` (JSON).
    public var destination: String
    public var description: String?
    /// The window of event times replayed (epoch ms, start inclusive, end exclusive).
    public var eventStart: Int64
    public var eventEnd: Int64
    /// STARTING, RUNNING, CANCELLING, CANCELLED, COMPLETED or FAILED.
    public var state: String
    public var stateReason: String?
    /// How far the replay has put events back on the bus: the acceptance time (`lastReplayed`) and `origin`
    /// (`lastSeq`) of the last one, in the archive's order.
    public var lastSeq: Int64
    public var lastReplayed: Int64?
    public var startedAt: Int64
    public var endedAt: Int64?

    public init(accountId: String, region: String, name: String, archiveArn: String, destination: String, description: String?,
                eventStart: Int64, eventEnd: Int64, state: String, stateReason: String? = nil, lastSeq: Int64 = 0,
                lastReplayed: Int64? = nil, startedAt: Int64, endedAt: Int64? = nil) {
        self.accountId = accountId
        self.region = region
        self.name = name
        self.archiveArn = archiveArn
        self.destination = destination
        self.description = description
        self.eventStart = eventStart
        self.eventEnd = eventEnd
        self.state = state
        self.stateReason = stateReason
        self.lastSeq = lastSeq
        self.lastReplayed = lastReplayed
        self.startedAt = startedAt
        self.endedAt = endedAt
    }

    public var arn: String { "arn:aws:events:\(region):\(accountId):replay/\(name)" }
    /// Whether the replay is still to run or running.
    public var isActive: Bool { ["STARTING", "RUNNING", "CANCELLING"].contains(state) }
}

/// One event an archive keeps.
public struct ArchivedEvent: Sendable, Equatable {
    /// With `eventTime`, where the event stands in the order the bus accepted events (the outbox row's id).
    public var origin: Int64
    public var eventId: String
    public var eventTime: Int64
    public var body: String
    public init(origin: Int64, eventId: String, eventTime: Int64, body: String) {
        self.origin = origin
        self.eventId = eventId
        self.eventTime = eventTime
        self.body = body
    }
}

/// How many events an archive holds and their size.
public struct ArchiveContents: Sendable, Equatable {
    public var eventCount: Int64
    public var sizeBytes: Int64
    public init(eventCount: Int64, sizeBytes: Int64) {
        self.eventCount = eventCount
        self.sizeBytes = sizeBytes
    }
}

/// An EventBridge connection or API destination: its ARN and definition (JSON, secrets included).
public struct EventAPIResource: Sendable, Equatable {
    public enum Kind: String, Sendable { case connection, destination }
    public var accountId: String
    public var region: String
    public var kind: Kind
    public var name: String
    public var arn: String
    public var definition: String
    public var createdAt: Int64
    public var modifiedAt: Int64

    public init(accountId: String, region: String, kind: Kind, name: String, arn: String, definition: String,
                createdAt: Int64, modifiedAt: Int64) {
        self.accountId = accountId
        self.region = region
        self.kind = kind
        self.name = name
        self.arn = arn
        self.definition = definition
        self.createdAt = createdAt
        self.modifiedAt = modifiedAt
    }
}

/// Buses, rules, targets and the delivery outbox.
/// How many deliveries to one target of one rule (or subscription) were delivered, retried, dead-lettered or
/// dropped: what a pass adds, or the totals.
public struct TargetDeliveryCounts: Sendable, Equatable {
    public var ruleArn: String
    public var targetId: String
    public var delivered: Int64
    /// Attempts that failed and were scheduled again.
    public var retried: Int64
    public var deadLettered: Int64
    /// Given up on with nowhere to dead-letter them (or a dead-letter queue that refused them).
    public var dropped: Int64
    public var lastError: String?

    public init(ruleArn: String, targetId: String, delivered: Int64 = 0, retried: Int64 = 0, deadLettered: Int64 = 0,
                dropped: Int64 = 0, lastError: String? = nil) {
        self.ruleArn = ruleArn
        self.targetId = targetId
        self.delivered = delivered
        self.retried = retried
        self.deadLettered = deadLettered
        self.dropped = dropped
        self.lastError = lastError
    }
}

public protocol EventBusStore: Sendable {
    func ensureBus(_ bus: EventBusRecord) async throws
    func createBus(_ bus: EventBusRecord) async throws
    func bus(accountId: String, region: String, name: String) async throws -> EventBusRecord?
    func buses(accountId: String, region: String, prefix: String, after: String?, limit: Int) async throws -> [EventBusRecord]
    /// Deletes a custom bus with its rules and targets.
    func deleteBus(accountId: String, region: String, name: String) async throws

    func putRule(_ rule: EventRuleRecord) async throws
    func rule(accountId: String, region: String, bus: String, name: String) async throws -> EventRuleRecord?
    func rules(accountId: String, region: String, bus: String, prefix: String, after: String?, limit: Int) async throws -> [EventRuleRecord]
    func deleteRule(accountId: String, region: String, bus: String, name: String) async throws
    func setRuleState(accountId: String, region: String, bus: String, name: String, state: String) async throws
    func updateRuleTags(accountId: String, region: String, bus: String, name: String, tags: [String: String]) async throws
    func updateBusTags(accountId: String, region: String, name: String, tags: [String: String]) async throws

    func putTargets(accountId: String, region: String, bus: String, rule: String, targets: [EventTargetRecord]) async throws
    func removeTargets(accountId: String, region: String, bus: String, rule: String, ids: [String]) async throws
    func targets(accountId: String, region: String, bus: String, rule: String) async throws -> [EventTargetRecord]
    func ruleNames(accountId: String, region: String, bus: String, targetArn: String) async throws -> [String]
    /// Every rule of a bus with its targets, for building the bus's matcher.
    func routingTable(accountId: String, region: String, bus: String) async throws -> [(EventRuleRecord, [EventTargetRecord])]

    func createAPIResource(_ resource: EventAPIResource) async throws
    func apiResource(accountId: String, region: String, kind: EventAPIResource.Kind, name: String) async throws -> EventAPIResource?
    func apiResource(arn: String) async throws -> EventAPIResource?
    func apiResources(accountId: String, region: String, kind: EventAPIResource.Kind, prefix: String) async throws -> [EventAPIResource]
    func deleteAPIResource(accountId: String, region: String, kind: EventAPIResource.Kind, name: String) async throws

    /// Adds deliveries to the outbox in one transaction.
    func enqueue(_ deliveries: [EventDelivery]) async throws

    // Archives
    /// Stores a new archive; `StoreError.duplicate` when the name is taken.
    func createArchive(_ archive: EventArchiveRecord) async throws
    func archive(accountId: String, region: String, name: String) async throws -> EventArchiveRecord?
    /// Archives by name after `after`, at most `limit`; of one bus when `bus` is given, in one state when `state` is
    /// (filtered before the limit, so a page is never cut short by the filter).
    func archives(accountId: String, region: String, prefix: String, bus: String?, state: String?, after: String?, limit: Int)
        async throws -> [EventArchiveRecord]
    func updateArchive(_ archive: EventArchiveRecord) async throws
    /// Deletes the archive and every event it holds.
    func deleteArchive(accountId: String, region: String, name: String) async throws
    func archiveContents(arn: String) async throws -> ArchiveContents
    /// Keeps an event in an archive, `origin` ordering events accepted in the same millisecond; an event already there
    /// (a delivery repeated) is kept once.
    func archiveEvent(arn: String, eventId: String, eventTime: Int64, origin: Int64, body: String) async throws
    /// Deletes events older than each archive's retention; returns how many went.
    func pruneArchives(now: Int64) async throws -> Int

    // Replays
    /// Stores a new replay; `StoreError.duplicate` when the name is taken, `StoreError.limit` when `maxActive`
    /// replays of the account and region are still running.
    func createReplay(_ replay: EventReplayRecord, maxActive: Int) async throws
    func replay(accountId: String, region: String, name: String) async throws -> EventReplayRecord?
    /// Replays by name after `after`, at most `limit`, filtered (before the limit) by state and archive when given.
    func replays(accountId: String, region: String, prefix: String, state: String?, archiveArn: String?, after: String?,
                 limit: Int) async throws -> [EventReplayRecord]
    /// Moves a running replay to CANCELLING; false when it is no longer running.
    func cancelReplay(accountId: String, region: String, name: String) async throws -> Bool
    /// Advances one active replay (rows another node is advancing are skipped): `step` gets the replay and its next
    /// `limit` archived events in the window, in order, and returns the replay as it should be stored and the
    /// deliveries to enqueue; both commit in one transaction. False when no replay is active.
    func advanceReplay(limit: Int,
                       step: @escaping @Sendable (EventReplayRecord, [ArchivedEvent]) async throws -> (EventReplayRecord, [EventDelivery]))
        async throws -> Bool
    /// The earliest time a scheduled rule is due, if any rule has a schedule.
    func nextScheduledAt() async throws -> Int64?
    /// Fires the scheduled rules due at `now` (at most `limit`, earliest first; rules another node is firing are
    /// skipped): for each, `plan` gives the deliveries to enqueue and when it is due next (nil: never), and both
    /// commit in one transaction, so each due time fires once even when nodes race or one dies. Returns how many
    /// rules fired.
    func fireScheduled(now: Int64, limit: Int,
                       plan: @escaping @Sendable (EventRuleRecord, [EventTargetRecord]) -> (deliveries: [EventDelivery], next: Int64?))
        async throws -> Int
    /// Claims up to `limit` due deliveries for the node `owner`, leasing them until `leaseUntil`: no other node
    /// claims them before then, and any node may once the lease has run out (its holder died).
    func claimDue(_ claim: DeliveryClaim) async throws -> [EventDelivery]
    /// Deletes finished deliveries and adds a pass's outcomes to each target's counts, in one transaction; with
    /// `claim`, the same transaction then claims the next due deliveries (as `claimDue`) and returns them. `alongside`
    /// runs first in the same transaction (standard SQS targets' messages), so a busy outbox delivering to standard
    /// queues commits once a pass: the pass's messages, its completion and the next claim together.
    func complete(_ deliveryIds: [Int64], counts: [TargetDeliveryCounts], claim: DeliveryClaim?,
                  alongside: [StoreWrite]) async throws -> [EventDelivery]
    /// What has become of the deliveries to each target of these rules since they were created.
    func deliveryCounts(ruleArns: [String]) async throws -> [TargetDeliveryCounts]
    /// Makes the deliveries `owner` leased due at once: after that node restarts, none of its attempts is still in
    /// progress. Other nodes' leases are theirs until they run out.
    func releaseLeases(now: Int64, owner: String) async throws -> Int
    func reschedule(_ deliveryId: Int64, attempts: Int, nextAttemptAt: Int64, error: String) async throws
    func nextDueAt() async throws -> Int64?
    func pendingCount() async throws -> Int
}

/// A claim of due deliveries: those due at `now`, at most `limit`, leased to the node `owner` until `leaseUntil`.
public struct DeliveryClaim: Sendable {
    public var now: Int64
    public var leaseUntil: Int64
    public var limit: Int
    public var owner: String

    public init(now: Int64, leaseUntil: Int64, limit: Int, owner: String) {
        self.now = now
        self.leaseUntil = leaseUntil
        self.limit = limit
        self.owner = owner
    }
}

extension EventBusStore {
    /// `complete` without claiming more.
    public func complete(_ deliveryIds: [Int64], counts: [TargetDeliveryCounts]) async throws {
        _ = try await complete(deliveryIds, counts: counts, claim: nil)
    }

    /// `complete` with nothing written alongside.
    public func complete(_ deliveryIds: [Int64], counts: [TargetDeliveryCounts], claim: DeliveryClaim?) async throws -> [EventDelivery] {
        try await complete(deliveryIds, counts: counts, claim: claim, alongside: [])
    }

    /// `claimDue` for a node on its own.
    public func claimDue(now: Int64, leaseUntil: Int64, limit: Int) async throws -> [EventDelivery] {
        try await claimDue(DeliveryClaim(now: now, leaseUntil: leaseUntil, limit: limit, owner: "local"))
    }

    /// `releaseLeases` for a node on its own.
    public func releaseLeases(now: Int64) async throws -> Int {
        try await releaseLeases(now: now, owner: "local")
    }
}
