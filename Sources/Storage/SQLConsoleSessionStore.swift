import Foundation
import SQLKit

/// `ConsoleSessionStore` over SQL.
public struct SQLConsoleSessionStore: ConsoleSessionStore {
    let store: SQLStore

    public init(store: SQLStore) { self.store = store }

    private struct Columns: Decodable {
        var tokenHash: String
        var accessKeyId: String
        var region: String
        var csrfToken: String
        var createdAt: Int64
        var lastSeenAt: Int64
    }

    public func create(_ s: ConsoleSessionRecord) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO console_session (token_hash, access_key_id, region, csrf_token, created_at, last_seen_at)
                VALUES (\(bind: s.tokenHash), \(bind: s.accessKeyId), \(bind: s.region), \(bind: s.csrfToken), \(bind: s.createdAt), \(bind: s.lastSeenAt))
                """).run()
        }
    }

    public func session(tokenHash: String, idleSince: Int64) async throws -> ConsoleSessionRecord? {
        try await store.read { db in
            try await db.raw("""
                SELECT token_hash, access_key_id, region, csrf_token, created_at, last_seen_at FROM console_session
                WHERE token_hash = \(bind: tokenHash) AND last_seen_at >= \(bind: idleSince)
                """).first()?.decodeColumns(Columns.self)
        }.map {
            ConsoleSessionRecord(tokenHash: $0.tokenHash, accessKeyId: $0.accessKeyId, region: $0.region,
                                 csrfToken: $0.csrfToken, createdAt: $0.createdAt, lastSeenAt: $0.lastSeenAt)
        }
    }

    public func touch(tokenHash: String, at: Int64) async throws {
        try await store.autocommit { db in
            try await db.raw("UPDATE console_session SET last_seen_at = \(bind: at) WHERE token_hash = \(bind: tokenHash)").run()
        }
    }

    public func delete(tokenHash: String) async throws {
        try await store.autocommit { db in
            try await db.raw("DELETE FROM console_session WHERE token_hash = \(bind: tokenHash)").run()
        }
    }

    public func prune(idleSince: Int64) async throws -> Int {
        try await store.autocommit { db in
            try await db.raw("DELETE FROM console_session WHERE last_seen_at < \(bind: idleSince) RETURNING token_hash").all().count
        }
    }
}
