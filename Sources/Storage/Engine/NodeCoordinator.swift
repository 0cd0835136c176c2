import Foundation
import Logging

/// How the nodes sharing one database divide work: which node runs each singleton (the trail writer, the job
/// runners, retention sweeps), and the signals they send each other (a message arrived in a queue, rules
/// changed, a job was submitted) so that a node acts on another node's change at once.
public protocol NodeCoordinator: Sendable {
    /// This node's name, stable across its restarts.
    var nodeId: String { get }
    /// Returns once this node runs `singleton`; it keeps it until the process ends. Throws when cancelled.
    func lead(_ singleton: String) async throws
    /// Whether this node runs `singleton` now, and so until its process ends.
    func runs(_ singleton: String) -> Bool
    /// Tells the other nodes, after the change it names has committed. Never blocks.
    func broadcast(_ signal: String)
    /// Keeps the coordination going, handing every signal from another node to `receive`, until cancelled.
    /// Throws when the node can no longer be sure it alone runs its singletons (its database session was lost).
    func run(receive: @escaping @Sendable (String) async -> Void) async throws
}

/// One node on its own (SQLite): it runs every singleton and has nobody to tell.
public struct SoloCoordinator: NodeCoordinator {
    public let nodeId: String

    public init(nodeId: String) { self.nodeId = nodeId }

    public func lead(_ singleton: String) async throws {}
    public func runs(_ singleton: String) -> Bool { true }
    public func broadcast(_ signal: String) {}
    public func run(receive: @escaping @Sendable (String) async -> Void) async throws {
        // Nothing to coordinate: wait for the end.
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }
}

extension SQLStore {
    /// The coordinator for this engine: solo on SQLite, advisory locks and LISTEN/NOTIFY on PostgreSQL.
    public func coordinator(nodeId: String, logger: Logger) -> any NodeCoordinator {
        if let postgres = sessions as? PostgresSessions {
            return PostgresCoordinator(nodeId: nodeId, configuration: postgres.connectionConfiguration, logger: logger)
        }
        return SoloCoordinator(nodeId: nodeId)
    }
}
