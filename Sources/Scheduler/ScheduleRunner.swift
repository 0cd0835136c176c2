import CairnCore
import Foundation
import Logging
import ServiceLifecycle
import Storage

/// Fires EventBridge Scheduler schedules on every node. A due schedule's firing is committed (with the schedule's
/// move to its next due time, or its deletion) before it is invoked, so a crash neither loses nor repeats a due
/// time; firings are then leased to one node at a time, invoked as the schedule's role, retried with backoff per
/// the target's RetryPolicy, and dead-lettered when they fail for good.
public final class ScheduleRunner: Service, Sendable {
    let store: any ScheduleStore
    let invoker: any ScheduleInvoker
    let clock: any WallClock
    let logger: Logger
    let owner: String
    let lease: Duration
    let retryBase: Duration
    let signal = WakeSignal()
    /// The longest this waits without looking: schedules another node changes do not wake this one.
    static let recheck: Int64 = 1000
    /// Firings invoked at once per pass.
    static let batch = 64

    public init(store: any ScheduleStore, invoker: any ScheduleInvoker, clock: any WallClock, logger: Logger,
                owner: String, lease: Duration, retryBase: Duration) {
        self.store = store
        self.invoker = invoker
        self.clock = clock
        self.logger = logger
        self.owner = owner
        self.lease = lease
        self.retryBase = retryBase
    }

    /// A schedule was created or changed here: look again now.
    public func wake() { signal.wake() }

    public func run() async throws {
        let released = (try? await store.releaseFiringLeases(owner: owner, now: clock.nowMs())) ?? 0
        if released > 0 { logger.notice("\(released) schedule firings this node had started are due again") }
        // Waits until the earliest of: the next due schedule or firing, a wake, the recheck.
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                // The loop below looks every second already; this tick only covers a wake it missed.
                await signal.run(every: .seconds(60)) { await self.pass() }
            }
            group.addTask { [self] in
                while !Task.isCancelled, !Task.isShuttingDownGracefully {
                    let next = await nextWake()
                    let delay = max(1, min(next - clock.nowMs(), Self.recheck))
                    try? await Task.sleep(for: .milliseconds(delay))
                    if clock.nowMs() >= next { signal.wake() }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// When something is next due (a read: idle nodes open no write transaction).
    func nextWake() async -> Int64 {
        let schedules = (try? await store.nextScheduleDue()) ?? nil
        let firings = (try? await store.nextFiringDue()) ?? nil
        return [schedules, firings].compactMap { $0 }.min() ?? clock.nowMs() + Self.recheck
    }

    /// Fires what is due, then invokes what is due, until neither is.
    func pass() async {
        var busy = true
        while busy, !Task.isCancelled {
            busy = false
            do {
                let now = clock.nowMs()
                if let due = try await store.nextScheduleDue(), due <= now {
                    busy = try await store.fireSchedules(now: now, limit: 500) { record in
                        SchedulePlanner.step(record, now: now, executionId: Identifiers.uuid()) { Int64.random(in: $0) }
                    } > 0
                }
                let claimAt = clock.nowMs()
                if let due = try await store.nextFiringDue(), due <= claimAt {
                    let claimed = try await store.claimFirings(now: claimAt, leaseUntil: claimAt + lease.milliseconds,
                                                               owner: owner, limit: Self.batch)
                    // One transaction ends every firing of the batch that is done (each on its own costs a commit).
                    let done = await withTaskGroup(of: Int64?.self) { group in
                        for firing in claimed { group.addTask { await self.invoke(firing) ? firing.firingId : nil } }
                        return await group.reduce(into: [Int64]()) { if let id = $1 { $0.append(id) } }
                    }
                    try await store.finishFirings(ids: done)
                    busy = busy || !claimed.isEmpty
                }
            } catch {
                logger.passFailed("firing schedules", error)
                return
            }
        }
    }

    /// One attempt of a firing, and what follows it: retried later (false), or done, dead-lettered or dropped (true:
    /// the caller deletes it).
    func invoke(_ firing: ScheduleFiring) async -> Bool {
        guard let value = try? JSONValue.parse(Array(firing.target.utf8)), let target = try? ScheduleTarget(value) else {
            logger.error("schedule \(firing.scheduleArn): its stored target could not be read; the firing is dropped")
            return true
        }
        let context = FiringContext(scheduleArn: firing.scheduleArn, scheduledTime: firing.scheduledTime,
                                    executionId: firing.executionId, attempt: firing.attempts + 1)
        let step = await attempt(target, context, firing)
        do {
            switch step {
            case .done:
                return true
            case .retry(let error):
                let delay = FiringRetry.delay(afterAttempt: context.attempt, base: retryBase)
                try await store.retryFiring(id: firing.firingId, attempts: context.attempt, nextAttemptAt: clock.nowMs() + delay,
                                            lastError: "\(error.code): \(error.message)")
                return false
            case .failed(let error, let exhausted):
                if let letter = target.deadLetter(context, error: error, exhausted: exhausted) {
                    do {
                        try await invoker.invoke(letter, roleArn: target.roleArn, accountId: firing.accountId)
                    } catch {
                        logger.warning("schedule \(firing.scheduleArn): its dead-letter queue refused the failed firing: \(error.code): \(error.message)")
                    }
                } else {
                    logger.warning("schedule \(firing.scheduleArn): firing \(firing.executionId) failed (\(error.code): \(error.message)) and has no dead-letter queue")
                }
                return true
            }
        } catch {
            // The lease runs out and the firing is tried again.
            logger.error("schedule \(firing.scheduleArn): could not record the outcome of firing \(firing.executionId): \(error)")
            return false
        }
    }

    func attempt(_ target: ScheduleTarget, _ context: FiringContext, _ firing: ScheduleFiring) async -> FiringRetry.Outcome {
        let age = clock.nowMs() - firing.scheduledTime
        do {
            let invocation = try target.invocation(context)
            try await invoker.invoke(invocation, roleArn: target.roleArn, accountId: firing.accountId)
            return .done
        } catch {
            return FiringRetry.outcome(error, attempt: context.attempt, ageMs: age, target: target)
        }
    }
}

/// What follows a failed attempt (pure).
enum FiringRetry {
    enum Outcome: Equatable {
        case done
        case retry(ScheduleInvocationError)
        /// Dead-lettered; `exhausted` names the retry limit that ran out (nil: the error was not retryable).
        case failed(ScheduleInvocationError, exhausted: String?)
    }

    static func outcome(_ error: ScheduleInvocationError, attempt: Int, ageMs: Int64, target: ScheduleTarget) -> Outcome {
        guard error.retryable else { return .failed(error, exhausted: nil) }
        if attempt > target.maximumRetryAttempts { return .failed(error, exhausted: "MaximumRetryAttempts") }
        if ageMs >= Int64(target.maximumEventAgeSeconds) * 1000 { return .failed(error, exhausted: "MaximumEventAgeInSeconds") }
        return .retry(error)
    }

    /// Exponential backoff from `base`, at most five minutes.
    static func delay(afterAttempt attempt: Int, base: Duration) -> Int64 {
        let baseMs = max(1, base.milliseconds)
        return min(baseMs << Int64(min(attempt - 1, 20)), 300_000)
    }
}
