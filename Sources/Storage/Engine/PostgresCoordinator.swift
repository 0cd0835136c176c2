import Foundation
import Logging
import NIOPosix
import PostgresKit
import Synchronization

/// Coordination over one dedicated PostgreSQL session per node.
///
/// Singletons are session advisory locks: PostgreSQL releases them the moment the session ends, which is when
/// the node's process dies (its socket closes), so another node takes over within one poll. Signals are
/// NOTIFY on one channel, delivered to every listening node after the sender's commit.
final class PostgresCoordinator: NodeCoordinator {
    let nodeId: String
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private struct State {
        var wanted: Set<String> = []
        var held: Set<String> = []
        /// Wanted singletons not tried yet: tried at once, not at the next poll, so a node starting alone takes
        /// its singletons before it serves requests for long.
        var untried: Set<String> = []
    }
    private let state = Mutex(State())
    private let outgoing: AsyncStream<String>
    private let outgoingContinuation: AsyncStream<String>.Continuation
    static let channel = "cairn"
    /// How often a node that does not run a singleton tries to take it over.
    static let poll: Duration = .milliseconds(500)

    init(nodeId: String, configuration: PostgresConnection.Configuration, logger: Logger) {
        self.nodeId = nodeId
        self.configuration = configuration
        self.logger = logger
        (outgoing, outgoingContinuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    func lead(_ singleton: String) async throws {
        state.withLock {
            $0.wanted.insert(singleton)
            $0.untried.insert(singleton)
        }
        while !state.withLock({ $0.held.contains(singleton) }) {
            try await Task.sleep(for: Self.poll)
        }
    }

    func runs(_ singleton: String) -> Bool {
        state.withLock { $0.held.contains(singleton) }
    }

    func broadcast(_ signal: String) {
        outgoingContinuation.yield(signal)
    }

    func run(receive: @escaping @Sendable (String) async -> Void) async throws {
        let connection = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 0, logger: logger)
        do {
            try await coordinate(over: connection, receive: receive)
        } catch {
            // Closed before it goes: PostgresNIO requires it, and the server then releases the locks at once.
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }

    private func coordinate(over connection: PostgresConnection, receive: @escaping @Sendable (String) async -> Void) async throws {
        let me = nodeId
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await connection.listen(on: Self.channel) { notifications in
                    for try await n in notifications {
                        // "<node> <signal>": a node's own signals were handled where they happened.
                        guard let space = n.payload.firstIndex(of: " "), n.payload[..<space] != me else { continue }
                        await receive(String(n.payload[n.payload.index(after: space)...]))
                    }
                }
            }
            group.addTask { [outgoing] in
                for await signal in outgoing {
                    let rows = try await connection.query("SELECT pg_notify(\(Self.channel), \(me + " " + signal))", logger: self.logger)
                    for try await _ in rows {}
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    let wanted = self.state.withLock { s in
                        s.untried.removeAll()
                        return s.wanted.subtracting(s.held)
                    }
                    for name in wanted {
                        let rows = try await connection.query(
                            "SELECT pg_try_advisory_lock(\(SQLStore.lockKey("singleton:" + name))) AS taken", logger: self.logger)
                        for try await taken in rows.decode(Bool.self) where taken {
                            self.state.withLock { _ = $0.held.insert(name) }
                            self.logger.info("this node (\(me)) now runs the \(name)")
                        }
                    }
                    // A query each round also proves the session (and so the locks) is still there.
                    if wanted.isEmpty {
                        for try await _ in try await connection.query("SELECT 1", logger: self.logger) {}
                    }
                    // Until the next poll, or at once when a singleton is newly wanted.
                    for _ in 0..<10 where self.state.withLock({ $0.untried.isEmpty }) {
                        try await Task.sleep(for: Self.poll / 10)
                    }
                }
            }
            // Every task runs until cancelled: one that ends means the session is gone.
            var failure: (any Error)?
            do { try await group.next() } catch { failure = error }
            group.cancelAll()
            if Task.isCancelled { return }
            throw StoreError.unavailable(
                "Lost the coordination session with PostgreSQL (\(failure.map { String(reflecting: $0) } ?? "closed")): this node "
                + "stops, so that no singleton runs on two nodes. Start it again once the database is reachable.")
        }
    }
}
