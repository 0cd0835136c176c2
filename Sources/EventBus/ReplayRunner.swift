import CairnCore
import Foundation
import Logging
import ServiceLifecycle
import Storage

/// Runs replays: a hundred archived events at a time, in the order the bus accepted them, each put back on its
/// bus with `replay-name` and matched against the bus's rules (or only the replay's `FilterArns`), its deliveries
/// committed with the replay's progress in one transaction. A replay resumes where it was after a restart, on
/// whichever node takes it.
public final class ReplayRunner: Service, Sendable {
    let store: any EventBusStore
    let router: EventRouter
    let clock: any WallClock
    let logger: Logger
    /// Tells the delivery workers there is work.
    let delivered: @Sendable () -> Void
    private let wakeups = Wakeups()
    /// Archived events per transaction.
    static let batch = 100
    /// The longest this waits without looking (replays started on other nodes do not wake this one).
    static let recheck: Duration = .seconds(1)

    public init(store: any EventBusStore, router: EventRouter, clock: any WallClock, logger: Logger,
                delivered: @escaping @Sendable () -> Void) {
        self.store = store
        self.router = router
        self.clock = clock
        self.logger = logger
        self.delivered = delivered
    }

    /// A replay was started or cancelled here.
    public func wake() { wakeups.wake() }

    public func run() async throws {
        await withGracefulShutdownHandler {
            var iterator = wakeups.makeIterator()
            while !Task.isCancelled {
                var advanced = false
                do {
                    advanced = try await store.advanceReplay(limit: Self.batch) { replay, events in
                        try await self.step(replay, events)
                    }
                } catch {
                    logger.passFailed("a replay step", error)
                }
                if advanced {
                    delivered()
                    continue
                }
                guard await wakeups.wait(upTo: Self.recheck, &iterator) else { return }
            }
        } onGracefulShutdown: {
            self.wakeups.finish()
        }
    }

    /// One transaction's worth of a replay: its next events' deliveries and where it stands after them.
    func step(_ replay: EventReplayRecord, _ events: [ArchivedEvent]) async throws -> (EventReplayRecord, [EventDelivery]) {
        var next = replay
        let now = clock.nowMs()
        if replay.state == "CANCELLING" || events.isEmpty {
            next.state = replay.state == "CANCELLING" ? "CANCELLED" : "COMPLETED"
            next.endedAt = now
            return (next, [])
        }
        next.state = "RUNNING"
        let destination = (try? JSONValue.parse(replay.destination)) ?? .object([])
        let filter = destination["FilterArns"]?.arrayValue.map { Set($0.compactMap(\.stringValue)) }
        let bus = destination["Arn"]?.stringValue.flatMap(ARN.init).map { String($0.resource.dropFirst("event-bus/".count)) } ?? "default"
        var deliveries: [EventDelivery] = []
        for archived in events {
            guard case .object(var members) = (try? JSONValue.parse(archived.body)) ?? .null else { continue }
            members.removeAll { $0.0 == "replay-name" }
            members.append(("replay-name", .string(replay.name)))
            let event = JSONValue.object(members)
            deliveries += try await router.deliveries(
                accountId: replay.accountId, region: replay.region, bus: bus, event: event, eventJSON: event.jsonString(),
                eventId: archived.eventId, replay: true, onlyRules: filter.flatMap { $0.isEmpty ? nil : $0 })
        }
        next.lastSeq = events[events.count - 1].origin
        next.lastReplayed = events[events.count - 1].eventTime
        return (next, deliveries)
    }
}
