import Foundation
import Logging
import PostgresKit
import SQLKit

/// PostgreSQL through PostgresNIO's connection pool. Write transactions are SERIALIZABLE, so several Cairn nodes
/// sharing the database keep every rule the stores rely on; a transaction that lost to another node's is retried.
final class PostgresSessions: StoreSessions {
    var engine: SQLStore.Engine { .postgres }
    private let client: PostgresClient
    /// The pool for claims from queue tables (`SQLStore.Isolation.claim`): its sessions plan with `enable_sort` off, so
    /// they read a queue's first rows through its ordered index. Such a table fills in seconds, faster than its
    /// statistics follow, and with stale ones the planner fetched and sorted every due message of a queue (20,000 of
    /// them, 9-10 ms) to return the first twenty, where the index reads twenty (0.05 ms). Setting it for the session
    /// saves a claim the `SET LOCAL` round trip it cost in each transaction. A sort these sessions cannot avoid (of a
    /// page already read) is priced as if forbidden, which made PostgreSQL compile the statement with LLVM first (280
    /// ms for a 20-row receive), so they also plan without JIT. Half as many connections as the main pool (at least
    /// two).
    private let claimClient: PostgresClient
    /// For sessions of its own outside the pool (the node coordinator's).
    let connectionConfiguration: PostgresConnection.Configuration
    /// The pool's background work. It must run before the first query, and the store opens (and migrates) before
    /// the service group starts, so the store owns it and ends it in `close()`.
    private let runner: Task<Void, Never>
    private let logger: Logger
    /// Attempts of a transaction that keeps losing serialisation to other nodes before the caller gets an error.
    private static let attempts = 12

    private init(client: PostgresClient, claimClient: PostgresClient, connectionConfiguration: PostgresConnection.Configuration,
                 runner: Task<Void, Never>, logger: Logger) {
        self.client = client
        self.claimClient = claimClient
        self.connectionConfiguration = connectionConfiguration
        self.runner = runner
        self.logger = logger
    }

    static func open(url: String, poolSize: Int, logger: Logger) async throws -> PostgresSessions {
        let parsed: SQLPostgresConfiguration
        do {
            parsed = try SQLPostgresConfiguration(url: url)
        } catch {
            throw StoreError.unavailable("Cannot read the database URL (expected postgres://USER:PASSWORD@HOST:PORT/DATABASE): \(error)")
        }
        let core = parsed.coreConfiguration
        let tls: PostgresClient.Configuration.TLS =
            switch (core.tls.isEnforced, core.tls.isAllowed, core.tls.sslContext?.configuration) {
            case (true, _, let context?): .require(context)
            case (false, true, let context?): .prefer(context)
            default: .disable
            }
        guard let host = core.host else {
            throw StoreError.unavailable("The database URL must name a host: postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: core.port ?? 5432, username: core.username, password: core.password,
            database: core.database, tls: tls)
        configuration.options.maximumConnections = max(2, poolSize)
        configuration.options.minimumConnections = 1
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        configuration.options.additionalStartupParameters = [("enable_sort", "off"), ("jit", "off")]
        configuration.options.maximumConnections = max(2, poolSize / 2)
        let claimClient = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let runner = Task {
            async let claims: Void = claimClient.run()
            await client.run()
            await claims
        }
        // Let the pools start before the first lease (which would otherwise log that they have not).
        for _ in 0..<8 { await Task.yield() }
        let sessions = PostgresSessions(client: client, claimClient: claimClient, connectionConfiguration: core, runner: runner,
                                        logger: logger)
        do {
            // Fail at start, with the server's reason, rather than on the first request.
            _ = try await sessions.session { db in try await db.raw("SELECT 1 AS one").first() }
        } catch {
            await sessions.close()
            throw StoreError.unavailable("Cannot connect to PostgreSQL at \(host):\(core.port ?? 5432): \(String(reflecting: error))")
        }
        return sessions
    }

    func transaction<T: Sendable>(_ isolation: SQLStore.Isolation,
                                  _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let begin: SQLQueryString = switch isolation {
        case .serializable: "BEGIN ISOLATION LEVEL SERIALIZABLE"
        case .readCommitted, .claim: "BEGIN ISOLATION LEVEL READ COMMITTED"
        }
        var attempt = 1
        while true {
            do {
                return try await onConnection(isolation == .claim ? claimClient : client) { connection in
                    let db = connection.sql(queryLogLevel: nil)
                    try await db.raw(begin).run()
                    do {
                        let result = try await body(db)
                        try await db.raw("COMMIT").run()
                        return result
                    } catch {
                        try? await db.raw("ROLLBACK").run()
                        throw error
                    }
                }
            } catch where Self.isSerializationFailure(error) && attempt < Self.attempts {
                // Another node's transaction won: wait a little (more each time, with jitter) and run again.
                attempt += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(5 << min(attempt, 7)))))
            }
        }
    }

    func session<T: Sendable>(claim: Bool, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await onConnection(claim ? claimClient : client) { connection in try await body(PostgresConnectionDatabase(connection)) }
    }

    /// A connection of `pool`, with `body` running on the connection's event loop (`ConnectionEventLoop`).
    private func onConnection<T: Sendable>(_ pool: PostgresClient,
                                           _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await pool.withConnection { connection in
            try await withTaskExecutorPreference(ConnectionEventLoop(connection.eventLoop)) { try await body(connection) }
        }
    }

    func exclusively<T: Sendable>(_ key: Int64, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        // A session lock on a connection leased for the duration: released by the unlock, or by PostgreSQL when
        // the session ends (the node died).
        try await client.withConnection { connection in
            let db = connection.sql(queryLogLevel: nil)
            try await db.raw("SELECT pg_advisory_lock(\(bind: key))").run()
            do {
                let result = try await body()
                try await db.raw("SELECT pg_advisory_unlock(\(bind: key))").run()
                return result
            } catch {
                try? await db.raw("SELECT pg_advisory_unlock(\(bind: key))").run()
                throw error
            }
        }
    }

    /// Deleted rows a queue table holds before `checkpoint` vacuums it.
    static let deadRowsToVacuum = 5_000

    /// Vacuums each queue table (`Migrations.queueTables`) that holds `deadRowsToVacuum` deleted rows. A claim reads
    /// such a table from the low end of an index, past the entries of every row deleted since the last vacuum, and
    /// autovacuum looks at a database once a minute: after a burst of 128,000 deliveries each claim of the next ones
    /// took 1.1 ms instead of 0.03 ms. Another node vacuuming a table already is enough (`SKIP_LOCKED`). The emptied
    /// pages at the table's end stay (`TRUNCATE false`): cutting them off takes the table's exclusive lock, and every
    /// claim and insert waited behind it, for a table that fills again within seconds. Runs once a second
    /// (`StoreService`).
    func checkpoint() async throws {
        let tables = SQLList(Migrations.queueTables.map { SQLBind($0) })
        try await session { db in
            let due = try await db.raw("""
                SELECT relname::text AS name FROM pg_stat_user_tables
                WHERE relname IN (\(tables)) AND n_dead_tup >= \(bind: Self.deadRowsToVacuum) ORDER BY relname
                """).all().map { try $0.decode(column: "name", as: String.self) }
            for table in due { try await db.raw("VACUUM (SKIP_LOCKED, TRUNCATE false) \(ident: table)").run() }
        }
    }

    func close() async {
        runner.cancel()
        await runner.value
    }

    func translate(_ error: any Error) -> any Error {
        if error is StoreError { return error }
        guard let e = error as? PSQLError else { return error }
        switch Self.sqlState(e) {
        case "23505": return StoreError.duplicate(Self.describe(e))
        // Values PostgreSQL will not store: a character its text type refuses (22021, 22P05), a number out of
        // range (22003), a value too long for an index (54000).
        case "22021", "22P05", "22003", "54000":
            let reason = Self.sqlState(e) == "22021" ? "it contains the character U+0000" : (e.serverInfo?[.message] ?? "invalid value")
            return StoreError.invalidInput("A value in the request cannot be stored: \(reason).")
        default: return StoreError.unavailable(Self.describe(e))
        }
    }

    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// 40001 serialization_failure, 40P01 deadlock_detected: the transaction can simply run again.
    static func isSerializationFailure(_ error: any Error) -> Bool {
        let state = sqlState(error)
        return state == "40001" || state == "40P01"
    }

    private static func describe(_ e: PSQLError) -> String {
        if let message = e.serverInfo?[.message] {
            return "\(e.serverInfo?[.sqlState] ?? "?"): \(message)"
        }
        return String(reflecting: e)
    }
}

extension SQLStore {
    /// Connects to PostgreSQL at `url` (`postgres://USER:PASSWORD@HOST:PORT/DATABASE`, `?sslmode=require` for TLS)
    /// with a pool of `poolSize` connections and applies migrations; several nodes may do this at once.
    public static func openPostgres(url: String, poolSize: Int = 10, logger: Logger) async throws -> SQLStore {
        try await migrated(PostgresSessions.open(url: url, poolSize: poolSize, logger: logger), logger: logger)
    }
}
