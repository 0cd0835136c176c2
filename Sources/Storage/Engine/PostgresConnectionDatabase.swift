import Logging
import NIOCore
import PostgresKit
import SQLKit

/// A pooled connection's SQLKit database that also hands out the connection itself, for the few reads whose rows
/// are decoded by position through PostgresNIO (`PostgresConnectionDatabase.rows`): PostgresKit's `SQLRow` decodes
/// every cell through a generic translation (a coding path, a dynamic cast), which was 40% of the CPU of reading
/// event history.
struct PostgresConnectionDatabase: SQLDatabase {
    let connection: PostgresConnection
    let database: any SQLDatabase

    init(_ connection: PostgresConnection) {
        self.connection = connection
        self.database = connection.sql(queryLogLevel: nil)
    }

    var logger: Logger { database.logger }
    var eventLoop: any EventLoop { database.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { database.version }
    var dialect: any SQLDialect { database.dialect }
    var queryLogLevel: Logger.Level? { database.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        database.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try await database.execute(sql: query, onRow)
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }

    /// Runs `query` and decodes each row with `decode`, by position; nil when a bind is of a type this path does not
    /// encode (the caller then reads through SQLKit).
    func rows<Row>(_ query: any SQLExpression, _ decode: (PostgresRow) throws -> Row) async throws -> [Row]? {
        let (sql, binds) = serialize(query)
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds {
            switch bind {
            case let value as String: bindings.append(value)
            case let value as Int64: bindings.append(value)
            case let value as Int: bindings.append(value)
            case let value as Int32: bindings.append(value)
            case let value as Bool: bindings.append(value)
            default: return nil
            }
        }
        var out: [Row] = []
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger) {
            out.append(try decode(row))
        }
        return out
    }
}

extension SQLDatabase {
    /// `query`'s rows: by position through PostgresNIO on a pooled PostgreSQL connection, by name through SQLKit
    /// elsewhere (SQLite, or a bind the positional path does not encode). `byPosition` reads the columns in the
    /// order `query` selects them.
    func rows<Row>(_ query: SQLQueryString, byPosition: (PostgresRow) throws -> Row,
                   byName: (any SQLRow) throws -> Row) async throws -> [Row] {
        if let postgres = self as? PostgresConnectionDatabase, let read = try await postgres.rows(query, byPosition) {
            return read
        }
        return try await raw(query).all().map(byName)
    }
}
