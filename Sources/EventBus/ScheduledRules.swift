import CairnCore
import Foundation
import Logging
import Schedules
import ServiceLifecycle
import Storage

/// Fires scheduled rules (`ScheduleExpression`): at each due time, one "Scheduled Event" from `aws.events` to each of
/// the rule's targets, put in the delivery outbox in the same transaction that moves the rule to its next due time,
/// so a due time fires once across restarts and across nodes sharing a database. Also sweeps archived events past
/// their archive's retention, every few minutes.
public final class ScheduledRules: Service, Sendable {
    let store: any EventBusStore
    let clock: any WallClock
    let logger: Logger
    /// Tells the delivery workers there is work.
    let delivered: @Sendable () -> Void
    /// The longest this waits without looking: rules another node adds or reschedules do not wake this one.
    static let recheck: Int64 = 1000
    /// How often archives are swept.
    static let archiveSweep: Int64 = 5 * 60 * 1000

    public init(store: any EventBusStore, clock: any WallClock, logger: Logger, delivered: @escaping @Sendable () -> Void) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.delivered = delivered
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var swept: Int64 = 0
            while !Task.isCancelled {
                let now = self.clock.nowMs()
                if now - swept >= Self.archiveSweep {
                    swept = now
                    do {
                        let pruned = try await self.store.pruneArchives(now: swept)
                        if pruned > 0 { self.logger.info("deleted \(pruned) archived events past their archive's retention") }
                    } catch {
                        self.logger.passFailed("sweeping archives", error)
                    }
                }
                // A read first: the write transaction that fires runs only when a rule is due.
                let next = (try? await self.store.nextScheduledAt()) ?? nil
                if let next, next <= self.clock.nowMs() {
                    do {
                        if try await self.fireDue() > 0 { continue }
                    } catch {
                        self.logger.passFailed("firing scheduled rules", error)
                    }
                }
                let delay = min(next.map { max(1, $0 - self.clock.nowMs()) } ?? Self.recheck, Self.recheck)
                try? await Task.sleep(for: .milliseconds(delay))
            }
        }
    }

    /// Fires the rules due now; returns how many fired.
    func fireDue() async throws -> Int {
        let now = clock.nowMs()
        let fired = try await store.fireScheduled(now: now, limit: 100) { rule, targets in
            Self.firing(rule, targets: targets, now: now)
        }
        if fired > 0 { delivered() }
        return fired
    }

    /// What one due rule does: its deliveries (none while it is disabled) and when it is due next. Due times that
    /// passed while Cairn was down fire once, now, and the schedule goes on from now.
    static func firing(_ rule: EventRuleRecord, targets: [EventTargetRecord], now: Int64)
        -> (deliveries: [EventDelivery], next: Int64?) {
        guard let text = rule.scheduleExpression, let expression = try? ScheduleExpression(parsing: text) else {
            return ([], nil)
        }
        let due = rule.nextFireAt ?? now
        let next = nextFire(expression, after: now, start: rule.createdAt)
        guard rule.state != "DISABLED", !targets.isEmpty else { return ([], next) }
        let id = Identifiers.uuid()
        let event = EventRouter.envelope(
            id: id, detailType: "Scheduled Event", source: "aws.events", account: rule.accountId,
            time: Date(timeIntervalSince1970: Double(due / 1000)), region: rule.region, resources: [rule.arn], detail: .object([]))
        let eventJSON = event.jsonString()
        var deliveries: [EventDelivery] = []
        for target in targets {
            guard let value = try? JSONValue.parse(target.definition), let compiled = try? CompiledTarget(value) else { continue }
            deliveries.append(EventDelivery(
                accountId: rule.accountId, region: rule.region, ruleArn: rule.arn, targetId: compiled.id,
                target: compiled.definition,
                payload: compiled.payload(eventJSON: eventJSON, event: event, ruleArn: rule.arn, ruleName: rule.name),
                eventId: id, eventTime: now, nextAttemptAt: now))
        }
        return (deliveries, next)
    }

    /// The first due time of a rule's schedule after `after` (epoch ms), in UTC as rules' schedules are; rates count
    /// from `start`.
    static func nextFire(_ expression: ScheduleExpression, after: Int64, start: Int64) -> Int64? {
        expression.nextFire(after: Date(timeIntervalSince1970: Double(after) / 1000), in: utc,
                            start: Date(timeIntervalSince1970: Double(start) / 1000))
            .map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
    }

    static let utc = TimeZone(identifier: "UTC")!
}
