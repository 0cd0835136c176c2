import Foundation
import Logging
import ServiceLifecycle
import Storage
import CairnCore

/// Deletes event history older than the retention period (90 days by default), in the background.
public struct RetentionService: Service {
    let store: any AuditEventStore
    let retention: TimeInterval
    let interval: Duration
    let clock: any WallClock
    let logger: Logger

    public init(store: any AuditEventStore, retentionDays: Int, interval: Duration = .seconds(3600),
                clock: any WallClock, logger: Logger) {
        self.store = store
        self.retention = TimeInterval(retentionDays) * 86400
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    /// Prunes once; returns how many records were deleted.
    @discardableResult
    public func pruneOnce() async throws -> Int {
        let cutoff = Int64((clock.now().timeIntervalSince1970 - retention) * 1000)
        var total = 0
        while true {
            let n = try await store.prune(olderThan: cutoff, batch: 5000)
            total += n
            if n == 0 { break }
            try await Task.sleep(for: .milliseconds(10))  // leave the writer to requests between batches
        }
        if total > 0 { logger.info("pruned \(total) records older than the retention period") }
        return total
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await pruneOnce() } catch is CancellationError { return } catch {
                    logger.error("retention pruning failed: \(error)")
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
