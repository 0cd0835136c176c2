import Logging
import ServiceLifecycle
import Storage

/// Keeps this node in touch with the others sharing its database, handing their signals to `receive`. When the
/// coordination session is lost the error ends the service group: the node stops rather than risk running a
/// singleton another node has taken over.
struct CoordinationService: Service {
    let coordinator: any NodeCoordinator
    let receive: @Sendable (String) async -> Void

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await coordinator.run(receive: receive) }
        } catch is CancellationError {}
    }
}

/// Runs `service` on one node only: it waits until this node is the one that runs `name` (at once on a node of
/// its own; on a shared database, when no other node does — including when the one that did has died).
struct Singleton: Service {
    let name: String
    let coordinator: any NodeCoordinator
    let service: any Service

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await coordinator.lead(name) }
        } catch is CancellationError {
            return
        }
        try await service.run()
    }
}

extension NodeCoordinator {
    /// Wakes the singleton `name` where it runs: `here` wakes this node's own, and the other nodes are told unless
    /// this node is the one that runs it (a node keeps a singleton until its process ends).
    func wake(_ name: String, here: () -> Void) {
        here()
        if !runs(name) { broadcast(ClusterSignal.wake(name)) }
    }
}

/// The signals nodes send each other: a kind, a space, then what it is about.
enum ClusterSignal {
    static func queue(_ id: Int64) -> String { "sqs \(id)" }
    static func credential(_ accessKeyId: String) -> String { "credential " + accessKeyId }
    static func routing(_ change: String) -> String { "events " + change }
    static func wake(_ singleton: String) -> String { "wake " + singleton }
}

/// The work one node at a time does.
enum Singletons {
    static let eventRetention = "event-history-retention"
    static let messageRetention = "sqs-message-retention"
    static let trailWriter = "trail-writer"
    static let jobRunner = "s3-batch-operations-runner"
    static let batchScheduler = "batch-scheduler"
}
