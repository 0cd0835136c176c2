import CairnCore
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Storage
import Synchronization

/// Why a delivery attempt failed.
public struct DeliveryError: Error, Sendable {
    /// Code written to the dead-letter message's ERROR_CODE attribute.
    public var code: String
    public var message: String
    /// False for failures a retry cannot fix (e.g. an HTTP 400): they go to the dead-letter queue at once.
    public var retryable: Bool
    public init(code: String, message: String, retryable: Bool = true) {
        self.code = code
        self.message = message
        self.retryable = retryable
    }
}

/// Sends a payload to an SQS queue; implemented by the application over the queue store.
public protocol QueueSink: Sendable {
    /// Messages to one queue in one transaction: per message, nil or why it failed.
    func send(queueArn: String, messages: [OutboundMessage]) async -> [DeliveryError?]
    /// Messages to one queue, checked: a standard queue's are left for the delivery pass to write in the transaction
    /// that completes it; a FIFO queue's are written at once, in a transaction of their own (its deduplication reads
    /// what it writes), and `write` is nil.
    func prepare(queueArn: String, messages: [OutboundMessage]) async -> PreparedQueueSend
}

/// Messages for a queue, checked; a standard queue's to be written by the transaction that completes a delivery pass.
public struct PreparedQueueSend: Sendable {
    /// Per message: nil, or why it failed (and is not written).
    public var results: [DeliveryError?]
    /// The accepted messages' statements; nil when none is accepted or they are already written (a FIFO queue).
    public var write: StoreWrite?
    /// Called once `write` is committed (wakes the queue's long polls).
    public var committed: @Sendable () -> Void

    public init(results: [DeliveryError?], write: StoreWrite?, committed: @escaping @Sendable () -> Void = {}) {
        self.results = results
        self.write = write
        self.committed = committed
    }
}

/// Publishes a payload to an SNS topic; implemented by the application over the topic publisher.
public protocol TopicSink: Sendable {
    func publish(topicArn: String, message: String, messageId: String) async throws(DeliveryError)
}

/// Whether a resource policy lets an AWS service principal act on a resource, as each delivery needs: EventBridge
/// (`events.amazonaws.com`) sending to a queue or publishing to a topic, SNS (`sns.amazonaws.com`) sending to a queue.
public protocol DeliveryPermissions: Sendable {
    /// Nil when allowed; else the `NO_PERMISSIONS` failure, which is not retried.
    func check(principal: String, action: String, resource: String, sourceArn: String, sourceAccount: String) async -> DeliveryError?
}

/// Where Batch job-queue targets submit jobs. `input` is the target's input: its `Parameters` and
/// `ContainerOverrides` members go into the SubmitJob.
public protocol BatchJobSink: Sendable {
    func submitJob(queueArn: String, batchParameters: JSONValue, input: String) async throws(DeliveryError)
}

/// How a node leases deliveries from the outbox it may share with other nodes.
public struct DeliveryLeases: Sendable {
    /// The node the leases name.
    public var owner: String
    /// How long a claimed delivery stays this node's: after that, a node that died with it is presumed dead and any
    /// node delivers it. Longer than any one attempt takes.
    public var duration: Duration
    /// The longest an idle worker goes without looking for due work: other nodes add work without waking this one.
    public var recheck: Duration

    public init(owner: String = "local", duration: Duration = .seconds(30), recheck: Duration = .seconds(60)) {
        self.owner = owner
        self.duration = duration
        self.recheck = recheck
    }

    var durationMs: Int64 { duration.milliseconds }
    var recheckMs: Int64 { recheck.milliseconds }
}

/// Delivers the outbox: claims due deliveries, sends them, retries with exponential backoff and jitter under each
/// target's RetryPolicy, then dead-letters or drops them. Survives restarts: claims are leases in the store.
public final class DeliveryService: Service, Sendable {
    let store: any EventBusStore
    let router: EventRouter
    let queues: any QueueSink
    let topics: any TopicSink
    let batch: (any BatchJobSink)?
    /// Nil when authorization is off.
    let permissions: (any DeliveryPermissions)?
    let clock: any WallClock
    let logger: Logger
    let retryBase: Duration
    let maxBackoff: Duration
    let concurrency: Int
    let leases: DeliveryLeases
    private let http: APIDestinationInvoker
    private let wakeups = Wakeups()
    private let delivered = Counter(label: "cairn_event_deliveries_total", dimensions: [("result", "delivered")])
    private let retried = Counter(label: "cairn_event_deliveries_total", dimensions: [("result", "retried")])
    private let deadLettered = Counter(label: "cairn_event_deliveries_total", dimensions: [("result", "dead_lettered")])
    private let dropped = Counter(label: "cairn_event_deliveries_total", dimensions: [("result", "dropped")])

    public init(store: any EventBusStore, router: EventRouter, queues: any QueueSink, topics: any TopicSink,
                batch: (any BatchJobSink)? = nil, permissions: (any DeliveryPermissions)? = nil, clock: any WallClock, logger: Logger,
                retryBase: Duration = .seconds(1), maxBackoff: Duration = .seconds(300), concurrency: Int = 32,
                leases: DeliveryLeases = DeliveryLeases(), outboundPolicy: OutboundPolicy = OutboundPolicy(), resolver: any HostResolver = SystemResolver()) {
        self.store = store
        self.router = router
        self.queues = queues
        self.topics = topics
        self.batch = batch
        self.permissions = permissions
        self.clock = clock
        self.logger = logger
        self.retryBase = retryBase
        self.maxBackoff = maxBackoff
        self.concurrency = concurrency
        self.leases = leases
        self.http = APIDestinationInvoker(store: store, outbound: OutboundHTTP(policy: outboundPolicy, resolver: resolver))
    }

    /// Wakes the workers (new deliveries were committed).
    public func wake() { wakeups.wake() }

    public func run() async throws {
        // Attempts in flight when this node last stopped never finished: make them due now.
        if let released = try? await store.releaseLeases(now: clock.nowMs(), owner: leases.owner), released > 0 {
            logger.info("resuming \(released) deliveries that were in flight at the last stop")
        }
        await withGracefulShutdownHandler {
            var iterator = wakeups.makeIterator()
            // Deliveries the last pass claimed as it completed its own.
            var claimed: [EventDelivery]?
            while !Task.isCancelled {
                let worked: Int
                do { (worked, claimed) = try await drainOnce(claimed) } catch {
                    logger.passFailed("event delivery pass", error)
                    (worked, claimed) = (0, nil)
                }
                if worked > 0 { continue }
                let next = (try? await store.nextDueAt()) ?? nil
                let delay = min(next.map { max(1, $0 - clock.nowMs()) } ?? Int64.max, leases.recheckMs)
                guard await wakeups.wait(upTo: .milliseconds(delay), &iterator) else { return }
            }
        } onGracefulShutdown: {
            self.wakeups.finish()
        }
    }

    /// Claims (unless `claimed` holds the deliveries to attempt) and attempts one batch; returns how many deliveries
    /// it handled, and the next batch, claimed in the transaction that completed this one.
    func drainOnce(_ claimed: [EventDelivery]? = nil) async throws -> (handled: Int, next: [EventDelivery]?) {
        let batch: [EventDelivery]
        if let claimed { batch = claimed } else { batch = try await store.claimDue(claim(at: clock.nowMs())) }
        guard !batch.isEmpty else { return (0, nil) }
        // Deliveries to the same SQS queue go in one transaction (a standard queue's in the one that completes the
        // pass); the rest one by one, concurrently.
        typealias Outcome = (EventDelivery, CompiledTarget?, DeliveryError?)
        var byQueue: [String: [(EventDelivery, CompiledTarget)]] = [:]
        var others: [(EventDelivery, CompiledTarget)] = []
        var outcomes: [Outcome] = []
        // A pass's deliveries mostly share a few targets: each stored definition is parsed once.
        var compiled: [String: CompiledTarget?] = [:]
        for d in batch {
            if compiled.index(forKey: d.target) == nil { compiled[d.target] = .some(Self.target(of: d)) }
            guard let target = compiled[d.target] ?? nil else {
                outcomes.append((d, nil, DeliveryError(code: "INVALID_PARAMETER", message: "The stored target definition cannot be used.",
                                                        retryable: false)))
                continue
            }
            if case .sqsQueue(let arn) = target.kind { byQueue[arn, default: []].append((d, target)) } else { others.append((d, target)) }
        }
        var decisions: [String: DeliveryError?] = [:]
        var alongside: [StoreWrite] = []
        var committed: [@Sendable () -> Void] = []
        for (arn, queued) in byQueue {
            var items: [(EventDelivery, CompiledTarget)] = []
            for (d, target) in queued {
                if let refusal = await refusal(d, action: "sqs:SendMessage", resource: arn, cache: &decisions) {
                    outcomes.append((d, target, refusal))
                } else {
                    items.append((d, target))
                }
            }
            guard !items.isEmpty else { continue }
            let fifo = arn.hasSuffix(".fifo")
            let messages = items.map { d, target in target.queueMessage(d, fifo: fifo) }
            let prepared = await queues.prepare(queueArn: arn, messages: messages)
            if let write = prepared.write {
                alongside.append(write)
                committed.append(prepared.committed)
            }
            outcomes += zip(items, prepared.results).map { ($0.0, $0.1, $1) }
        }
        outcomes += await withTaskGroup(of: Outcome.self) { group in
            var results: [Outcome] = []
            var running = 0
            for (d, target) in others {
                if running >= concurrency, let r = await group.next() { results.append(r); running -= 1 }
                group.addTask { (d, target, await self.attempt(d, target)) }
                running += 1
            }
            for await r in group { results.append(r) }
            return results
        }
        var done: [Int64] = []
        // What this pass did to each target, added to its counts as the finished deliveries are deleted.
        var counts: [String: TargetDeliveryCounts] = [:]
        for (d, target, error) in outcomes {
            let key = d.ruleArn + "\u{1}" + d.targetId
            var c = counts[key] ?? TargetDeliveryCounts(ruleArn: d.ruleArn, targetId: d.targetId)
            defer { counts[key] = c }
            guard let error else {
                done.append(d.deliveryId)
                delivered.increment()
                c.delivered += 1
                continue
            }
            c.lastError = "\(error.code): \(error.message)"
            switch try await retryOrGiveUp(d, target, error) {
            case .retried: c.retried += 1
            case .deadLettered: c.deadLettered += 1; done.append(d.deliveryId)
            case .dropped: c.dropped += 1; done.append(d.deliveryId)
            }
        }
        // What fell due during this pass is claimed by the commit that completes it: one commit fewer a pass.
        let next = try await store.complete(done, counts: Array(counts.values), claim: claim(at: clock.nowMs()), alongside: alongside)
        for wake in committed { wake() }
        return (batch.count, next)
    }

    /// This node's claim of up to 256 due deliveries, leased for the lease duration.
    func claim(at now: Int64) -> DeliveryClaim {
        DeliveryClaim(now: now, leaseUntil: now + leases.durationMs, limit: 256, owner: leases.owner)
    }

    /// The target a stored delivery names (its definition was validated when it was stored).
    static func target(of d: EventDelivery) -> CompiledTarget? {
        guard let def = try? JSONValue.parse(d.target) else { return nil }
        return try? CompiledTarget(def, internal: true)
    }

    /// One attempt at one delivery that is not to an SQS queue (those go in batches, above).
    func attempt(_ d: EventDelivery, _ target: CompiledTarget) async -> DeliveryError? {
        do {
            switch target.kind {
            case .sqsQueue(let arn):
                let fifo = arn.hasSuffix(".fifo")
                if let error = await queues.send(queueArn: arn, messages: [target.queueMessage(d, fifo: fifo)]).first ?? nil {
                    throw error
                }
            case .snsTopic(let arn):
                if let refusal = await refusal(d, action: "sns:Publish", resource: arn) { throw refusal }
                try await topics.publish(topicArn: arn, message: d.payload, messageId: Identifiers.uuid())
            case .eventBus(let arn):
                try await forward(d, toBus: arn)
            case .apiDestination(let arn):
                try await http.invoke(destinationArn: arn, payload: d.payload, parameters: target.httpParameters)
            case .snsHTTP(let url):
                try await http.postSNS(url: url, payload: d.payload, subscriptionArn: target.arn)
            case .archive(let arn):
                try await store.archiveEvent(arn: arn, eventId: d.eventId, eventTime: d.eventTime, origin: d.deliveryId, body: d.payload)
            case .batchJobQueue(let arn):
                guard let batch else {
                    throw DeliveryError(code: "NO_RESOURCE", message: "AWS Batch is not served.", retryable: false)
                }
                try await batch.submitJob(queueArn: arn, batchParameters: target.batchParameters ?? .object([]), input: d.payload)
            }
            return nil
        } catch let e as DeliveryError {
            return e
        } catch {
            return DeliveryError(code: "INTERNAL_ERROR", message: "\(error)")
        }
    }

    /// An event-bus target: the event goes through the other bus's rules.
    func forward(_ d: EventDelivery, toBus arnText: String) async throws {
        guard let arn = ARN(arnText), arn.resource.hasPrefix("event-bus/") else {
            throw DeliveryError(code: "NO_RESOURCE", message: "\(arnText) is not an event bus.", retryable: false)
        }
        let bus = String(arn.resource.dropFirst("event-bus/".count))
        guard try await store.bus(accountId: arn.accountId, region: arn.region, name: bus) != nil else {
            throw DeliveryError(code: "NO_RESOURCE", message: "Event bus \(arnText) does not exist.", retryable: false)
        }
        guard let event = try? JSONValue.parse(d.payload) else {
            throw DeliveryError(code: "INVALID_JSON", message: "The event sent to \(arnText) is not JSON.")
        }
        let deliveries = try await router.deliveries(accountId: arn.accountId, region: arn.region, bus: bus, event: event,
                                                     eventJSON: d.payload, eventId: event["id"]?.stringValue ?? d.eventId)
        try await store.enqueue(deliveries)
    }

    /// Schedules a retry, or dead-letters/drops the delivery; true when the delivery is finished with.
    /// What became of a failed attempt.
    enum Disposition { case retried, deadLettered, dropped }

    func retryOrGiveUp(_ d: EventDelivery, _ target: CompiledTarget?, _ error: DeliveryError) async throws -> Disposition {
        let attempts = d.attempts + 1
        let maxRetries = target?.maximumRetryAttempts ?? 185
        let maxAgeMs = Int64(target?.maximumEventAgeSeconds ?? 86400) * 1000
        let now = clock.nowMs()
        let backoffMs = backoff(attempt: attempts)
        if error.retryable, attempts <= maxRetries, now + backoffMs - d.eventTime <= maxAgeMs {
            retried.increment()
            logger.warning("delivery to \(target?.arn ?? "?") failed (\(error.code): \(error.message)); retry \(attempts) of \(maxRetries)")
            try await store.reschedule(d.deliveryId, attempts: attempts, nextAttemptAt: now + backoffMs, error: "\(error.code): \(error.message)")
            return .retried
        }
        if let dlq = target?.deadLetterArn, let refusal = await refusal(d, action: "sqs:SendMessage", resource: dlq) {
            logger.error("dead-letter queue \(dlq) refused a failed event: \(refusal.message)")
        } else if let dlq = target?.deadLetterArn {
            let attributes = [("ERROR_CODE", error.code), ("ERROR_MESSAGE", error.message), ("RULE_ARN", d.ruleArn),
                              ("TARGET_ARN", target?.arn ?? "")]
            let message = OutboundMessage(body: d.payload, attributes: attributes.map { MessageAttribute(name: $0, dataType: "String", value: $1) })
            if let refusal = await queues.send(queueArn: dlq, messages: [message]).first ?? nil {
                logger.error("dead-letter queue \(dlq) refused a failed event: \(refusal.message)")
            } else {
                deadLettered.increment()
                logger.warning("delivery to \(target?.arn ?? "?") dead-lettered to \(dlq) after \(attempts) attempts: \(error.message)")
                return .deadLettered
            }
        }
        dropped.increment()
        logger.error("dropped an event for \(target?.arn ?? "?") after \(attempts) attempts: \(error.code): \(error.message)")
        return .dropped
    }

    /// Who delivers `d`, as resource policies name it: SNS for a subscription's delivery (its source the topic),
    /// EventBridge for a rule's (its source the rule).
    static func servicePrincipal(of d: EventDelivery) -> (principal: String, sourceArn: String) {
        if d.ruleArn.hasPrefix("arn:aws:sns:"), let cut = d.ruleArn.lastIndex(of: ":") {
            return ("sns.amazonaws.com", String(d.ruleArn[..<cut]))
        }
        return ("events.amazonaws.com", d.ruleArn)
    }

    /// Why the resource policy of `resource` refuses this delivery, if it does.
    func refusal(_ d: EventDelivery, action: String, resource: String) async -> DeliveryError? {
        guard let permissions else { return nil }
        let (principal, source) = Self.servicePrincipal(of: d)
        return await permissions.check(principal: principal, action: action, resource: resource, sourceArn: source,
                                       sourceAccount: d.accountId)
    }

    /// `refusal`, decided once per pass for each principal, action, resource and source (`cache`).
    func refusal(_ d: EventDelivery, action: String, resource: String, cache: inout [String: DeliveryError?]) async -> DeliveryError? {
        let (principal, source) = Self.servicePrincipal(of: d)
        let key = "\(principal)|\(action)|\(resource)|\(source)"
        if let known = cache[key] { return known }
        let decision = await refusal(d, action: action, resource: resource)
        cache[key] = decision
        return decision
    }

    /// Exponential backoff with full jitter, capped.
    func backoff(attempt: Int) -> Int64 {
        let base = Double(retryBase.milliseconds)
        let cap = Double(maxBackoff.milliseconds)
        let exp = min(cap, base * pow(2, Double(min(attempt - 1, 30))))
        return Int64(max(1, Double.random(in: exp / 2...exp)))
    }
}
