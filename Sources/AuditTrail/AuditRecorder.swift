import CairnCore
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Storage
import Synchronization

/// The only writer of CloudTrail records. Every API call and every service event passes through here.
///
/// Records are committed in groups: callers wait while the writer commits everything that arrived since the
/// last commit in one transaction, so throughput grows with concurrency while each caller still hears back
/// only after its record is durable.
public final class AuditRecorder: Service, Sendable {
    struct Pending {
        var event: StoredAuditEvent
        var deliveries: [EventDelivery]
        var continuation: CheckedContinuation<Void, any Error>
    }

    struct State {
        var queue: [Pending] = []
        var stopped = false
    }

    let store: any AuditEventStore
    let logger: Logger
    let maxBatch: Int
    private let state = Mutex(State())
    private let router = Mutex<(any AuditRecordRouter)?>(nil)
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let recorded = Counter(label: "cairn_audit_records_total")
    private let batches = Counter(label: "cairn_audit_commits_total")

    public init(store: any AuditEventStore, logger: Logger, maxBatch: Int = 2000) {
        self.store = store
        self.logger = logger
        self.maxBatch = maxBatch
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Connects the CloudTrail → EventBridge bridge: its deliveries are committed with the records.
    public func setRouter(_ router: any AuditRecordRouter) {
        self.router.withLock { $0 = router }
    }

    /// Records one CloudTrail record; returns once it is committed, with the deliveries it causes (the record's own,
    /// through the CloudTrail bridge, and `deliveries`, those of the call it records).
    public func record(_ record: CloudTrailRecord, deliveries: [EventDelivery] = []) async throws {
        let event = Self.prepare(record)
        var deliveries = deliveries
        if let router = router.withLock({ $0 }) {
            deliveries += try await router.deliveries(for: record, recordJSON: event.record)
        }
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let accepted = state.withLock { s -> Bool in
                if s.stopped { return false }
                s.queue.append(Pending(event: event, deliveries: deliveries, continuation: c))
                return true
            }
            if accepted {
                wake.yield()
            } else {
                c.resume(throwing: StoreError.unavailable("The audit recorder is shut down."))
            }
        }
    }

    /// Serializes and indexes a record. Runs on the caller's task, not the writer's.
    public static func prepare(_ r: CloudTrailRecord) -> StoredAuditEvent {
        var redacted = r
        redacted.requestParameters = SecretRedaction.redact(r.requestParameters)
        redacted.responseElements = SecretRedaction.redact(r.responseElements)
        let json = redacted.json.jsonString(timestamps: .cloudTrail)
        return StoredAuditEvent(
            eventId: r.eventID, accountId: r.recipientAccountId, region: r.awsRegion,
            eventTime: Int64((r.eventTime.timeIntervalSince1970 * 1000).rounded(.down)), eventName: r.eventName,
            eventSource: r.eventSource, readOnly: r.readOnly, username: r.principal.lookupUsername,
            accessKeyId: r.principal.accessKeyId, management: r.isManagementEvent, record: json,
            resources: r.resources.map { ($0.type, $0.name) }, errorCode: r.errorCode)
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in wakeups {
                await drain()
            }
            await drain()
        } onGracefulShutdown: {
            self.wake.finish()
        }
        // Anything that arrives after shutdown is refused rather than left waiting.
        let leftovers = state.withLock { s -> [Pending] in
            s.stopped = true
            defer { s.queue.removeAll() }
            return s.queue
        }
        for p in leftovers { p.continuation.resume(throwing: StoreError.unavailable("The audit recorder is shut down.")) }
    }

    /// Commits everything queued, a batch at a time.
    func drain() async {
        while true {
            let batch = state.withLock { s -> [Pending] in
                let n = min(s.queue.count, maxBatch)
                defer { s.queue.removeFirst(n) }
                return Array(s.queue.prefix(n))
            }
            if batch.isEmpty { return }
            do {
                let deliveries = batch.flatMap(\.deliveries)
                try await store.append(batch.map(\.event), deliveries: deliveries)
                recorded.increment(by: batch.count)
                batches.increment()
                for p in batch { p.continuation.resume() }
                if !deliveries.isEmpty { router.withLock { $0 }?.didEnqueue() }
            } catch {
                logger.error("audit commit failed for \(batch.count) records: \(error)")
                for p in batch { p.continuation.resume(throwing: error) }
            }
        }
    }
}
