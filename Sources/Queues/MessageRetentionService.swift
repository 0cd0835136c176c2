import CairnCore
import Foundation
import Logging
import ServiceLifecycle
import Storage

/// Drops messages older than their queue's MessageRetentionPeriod, once a minute.
public struct MessageRetentionService: Service {
    let store: any QueueStore
    let clock: any WallClock
    let logger: Logger
    let interval: Duration

    public init(store: any QueueStore, clock: any WallClock, logger: Logger, interval: Duration = .seconds(60)) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.interval = interval
    }

    /// One sweep over every queue; returns how many messages were dropped.
    @discardableResult
    public func sweep() async throws -> Int {
        let now = Int64(clock.now().timeIntervalSince1970 * 1000)
        var dropped = 0
        for q in try await store.allQueues() {
            let retention = Int64(QueueAttributes.int(q.attributes, "MessageRetentionPeriod")) * 1000
            dropped += try await store.dropExpired(queueId: q.queueId, before: now - retention)
        }
        return dropped
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await sweep() } catch { logger.passFailed("message retention sweep", error) }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
