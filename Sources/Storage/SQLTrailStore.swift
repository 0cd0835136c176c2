import Foundation
import SQLKit

/// `TrailStore` over SQL.
public struct SQLTrailStore: TrailStore {
    let store: SQLStore

    public init(store: SQLStore) { self.store = store }

    static func decodeTrail(_ row: any SQLRow) throws -> TrailRow {
        TrailRow(arn: try row.decode(column: "arn", as: String.self),
                 accountId: try row.decode(column: "account_id", as: String.self),
                 homeRegion: try row.decode(column: "home_region", as: String.self),
                 name: try row.decode(column: "name", as: String.self),
                 definition: try row.decode(column: "definition", as: String.self),
                 tags: StringMapColumn.decode(try row.decode(column: "tags", as: String.self)),
                 isLogging: try row.decode(column: "is_logging", as: Int.self) != 0,
                 cursorSeq: try row.decode(column: "cursor_seq", as: Int64.self),
                 status: try row.decode(column: "status", as: String.self),
                 createdAt: try row.decode(column: "created_at", as: Int64.self))
    }

    static func decodeLogFile(_ row: any SQLRow) throws -> TrailLogFile {
        TrailLogFile(trailArn: try row.decode(column: "trail_arn", as: String.self),
                     region: try row.decode(column: "region", as: String.self),
                     bucket: try row.decode(column: "bucket", as: String.self),
                     key: try row.decode(column: "object_key", as: String.self),
                     firstSeq: try row.decode(column: "first_seq", as: Int64.self),
                     lastSeq: try row.decode(column: "last_seq", as: Int64.self),
                     sha256: try row.decode(column: "sha256", as: String?.self),
                     oldestEvent: try row.decode(column: "oldest_event", as: Int64?.self),
                     newestEvent: try row.decode(column: "newest_event", as: Int64?.self),
                     deliveredAt: try row.decode(column: "delivered_at", as: Int64?.self))
    }

    public func createTrail(_ t: TrailRow) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO trail (arn, account_id, home_region, name, definition, tags, is_logging, cursor_seq, status, created_at)
                VALUES (\(bind: t.arn), \(bind: t.accountId), \(bind: t.homeRegion), \(bind: t.name), \(bind: t.definition),
                        \(bind: StringMapColumn.encode(t.tags)), \(bind: t.isLogging ? 1 : 0), \(bind: t.cursorSeq), \(bind: t.status),
                        \(bind: t.createdAt))
                """).run()
        }
    }

    public func trail(arn: String) async throws -> TrailRow? {
        try await store.read { db in try await db.raw("SELECT * FROM trail WHERE arn = \(bind: arn)").first().map(Self.decodeTrail) }
    }

    public func trails(accountId: String) async throws -> [TrailRow] {
        try await store.read { db in
            try await db.raw("SELECT * FROM trail WHERE account_id = \(bind: accountId) ORDER BY arn").all().map(Self.decodeTrail)
        }
    }

    public func allTrails() async throws -> [TrailRow] {
        try await store.read { db in try await db.raw("SELECT * FROM trail ORDER BY arn").all().map(Self.decodeTrail) }
    }

    public func updateTrail(arn: String, definition: String, tags: [String: String]) async throws {
        try await store.write { db in
            try await db.raw("""
                UPDATE trail SET definition = \(bind: definition), tags = \(bind: StringMapColumn.encode(tags)) WHERE arn = \(bind: arn)
                """).run()
        }
    }

    public func setLogging(arn: String, isLogging: Bool, cursorSeq: Int64?, status: String) async throws {
        try await store.write { db in
            if let cursorSeq {
                try await db.raw("""
                    UPDATE trail SET is_logging = \(bind: isLogging ? 1 : 0), cursor_seq = \(bind: cursorSeq), status = \(bind: status)
                    WHERE arn = \(bind: arn)
                    """).run()
            } else {
                try await db.raw("""
                    UPDATE trail SET is_logging = \(bind: isLogging ? 1 : 0), status = \(bind: status) WHERE arn = \(bind: arn)
                    """).run()
            }
        }
    }

    public func updateStatus(arn: String, merge: @escaping @Sendable (String) -> String) async throws {
        try await store.write { db in
            guard let row = try await db.raw("SELECT status FROM trail WHERE arn = \(bind: arn)").first() else { return }
            let status = merge(try row.decode(column: "status", as: String.self))
            try await db.raw("UPDATE trail SET status = \(bind: status) WHERE arn = \(bind: arn)").run()
        }
    }

    public func deleteTrail(arn: String) async throws {
        try await store.write { db in
            try await db.raw("DELETE FROM trail_log_file WHERE trail_arn = \(bind: arn)").run()
            try await db.raw("DELETE FROM trail_digest_chain WHERE trail_arn = \(bind: arn)").run()
            try await db.raw("DELETE FROM trail WHERE arn = \(bind: arn)").run()
        }
    }

    public func latestEventSeq() async throws -> Int64 {
        try await store.read { db in
            try await db.raw("SELECT COALESCE(MAX(seq), 0) AS seq FROM audit_event").first()?.decode(column: "seq", as: Int64.self) ?? 0
        }
    }

    public func events(after: Int64, through: Int64?, limit: Int) async throws -> [TrailSourceEvent] {
        try await store.read { db in
            let upper = through ?? Int64.max
            let rows = try await db.raw("""
                SELECT seq, account_id, region, management, read_only, event_source, event_name, event_time, record
                FROM audit_event e WHERE seq > \(bind: after) AND seq <= \(bind: upper) ORDER BY seq LIMIT \(bind: limit)
                """).all()
            return try rows.map { row in
                TrailSourceEvent(
                    seq: try row.decode(column: "seq", as: Int64.self),
                    accountId: try row.decode(column: "account_id", as: String.self),
                    region: try row.decode(column: "region", as: String.self),
                    management: try row.decode(column: "management", as: Int.self) != 0,
                    readOnly: try row.decode(column: "read_only", as: Int.self) != 0,
                    eventSource: try row.decode(column: "event_source", as: String.self),
                    eventName: try row.decode(column: "event_name", as: String.self),
                    eventTime: try row.decode(column: "event_time", as: Int64.self),
                    record: try row.decode(column: "record", as: String.self))
            }
        }
    }

    public func planLogFiles(_ files: [TrailLogFile], trailArn: String, cursorSeq: Int64) async throws {
        try await store.write { db in
            for f in files {
                try await db.raw("""
                    INSERT INTO trail_log_file (trail_arn, region, object_key, bucket, first_seq, last_seq, digested)
                    VALUES (\(bind: f.trailArn), \(bind: f.region), \(bind: f.key), \(bind: f.bucket), \(bind: f.firstSeq),
                            \(bind: f.lastSeq), 0)
                    """).run()
            }
            try await db.raw("UPDATE trail SET cursor_seq = \(bind: cursorSeq) WHERE arn = \(bind: trailArn)").run()
        }
    }

    public func undeliveredLogFiles(trailArn: String) async throws -> [TrailLogFile] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM trail_log_file WHERE trail_arn = \(bind: trailArn) AND delivered_at IS NULL ORDER BY first_seq
                """).all().map(Self.decodeLogFile)
        }
    }

    public func markDelivered(_ f: TrailLogFile) async throws {
        try await store.write { db in
            try await db.raw("""
                UPDATE trail_log_file SET sha256 = \(bind: f.sha256), oldest_event = \(bind: f.oldestEvent),
                    newest_event = \(bind: f.newestEvent), delivered_at = \(bind: f.deliveredAt)
                WHERE trail_arn = \(bind: f.trailArn) AND object_key = \(bind: f.key)
                """).run()
        }
    }

    public func undigestedLogFiles(trailArn: String, region: String, through: Int64) async throws -> [TrailLogFile] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM trail_log_file WHERE trail_arn = \(bind: trailArn) AND digested = 0 AND region = \(bind: region)
                AND delivered_at IS NOT NULL AND delivered_at <= \(bind: through) ORDER BY first_seq
                """).all().map(Self.decodeLogFile)
        }
    }

    public func digestRegions(trailArn: String) async throws -> [String] {
        try await store.read { db in
            try await db.raw("""
                SELECT region FROM trail_digest_chain WHERE trail_arn = \(bind: trailArn)
                UNION SELECT DISTINCT region FROM trail_log_file WHERE trail_arn = \(bind: trailArn)
                """).all().map { try $0.decode(column: "region", as: String.self) }.sorted()
        }
    }

    public func digestChain(trailArn: String, region: String) async throws -> TrailDigestChain? {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM trail_digest_chain WHERE trail_arn = \(bind: trailArn) AND region = \(bind: region)
                """).first().map { row in
                TrailDigestChain(trailArn: try row.decode(column: "trail_arn", as: String.self),
                                 region: try row.decode(column: "region", as: String.self),
                                 lastEnd: try row.decode(column: "last_end", as: Int64?.self),
                                 lastBucket: try row.decode(column: "last_bucket", as: String?.self),
                                 lastKey: try row.decode(column: "last_key", as: String?.self),
                                 lastSignature: try row.decode(column: "last_signature", as: String?.self),
                                 lastHash: try row.decode(column: "last_hash", as: String?.self),
                                 pendingEnd: try row.decode(column: "pending_end", as: Int64?.self))
            }
        }
    }

    public func saveDigestChain(_ c: TrailDigestChain, digestedKeys: [String]) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO trail_digest_chain (trail_arn, region, last_end, last_bucket, last_key, last_signature, last_hash, pending_end)
                VALUES (\(bind: c.trailArn), \(bind: c.region), \(bind: c.lastEnd), \(bind: c.lastBucket), \(bind: c.lastKey),
                        \(bind: c.lastSignature), \(bind: c.lastHash), \(bind: c.pendingEnd))
                ON CONFLICT (trail_arn, region) DO UPDATE SET last_end = excluded.last_end, last_bucket = excluded.last_bucket,
                    last_key = excluded.last_key, last_signature = excluded.last_signature, last_hash = excluded.last_hash,
                    pending_end = excluded.pending_end
                """).run()
            for key in digestedKeys {
                try await db.raw("""
                    UPDATE trail_log_file SET digested = 1 WHERE trail_arn = \(bind: c.trailArn) AND object_key = \(bind: key)
                    """).run()
            }
        }
    }

    public func signingKeys(accountId: String, region: String) async throws -> [TrailSigningKeyRow] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM trail_signing_key WHERE account_id = \(bind: accountId) AND region = \(bind: region) ORDER BY valid_from
                """).all().map { row in
                TrailSigningKeyRow(accountId: try row.decode(column: "account_id", as: String.self),
                                   region: try row.decode(column: "region", as: String.self),
                                   fingerprint: try row.decode(column: "fingerprint", as: String.self),
                                   privateKey: Array(try row.decode(column: "private_key", as: Data.self)),
                                   publicKey: Array(try row.decode(column: "public_key", as: Data.self)),
                                   validFrom: try row.decode(column: "valid_from", as: Int64.self),
                                   validTo: try row.decode(column: "valid_to", as: Int64.self))
            }
        }
    }

    public func addSigningKey(_ k: TrailSigningKeyRow) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO trail_signing_key (account_id, region, fingerprint, private_key, public_key, valid_from, valid_to)
                VALUES (\(bind: k.accountId), \(bind: k.region), \(bind: k.fingerprint), \(bind: Data(k.privateKey)),
                        \(bind: Data(k.publicKey)), \(bind: k.validFrom), \(bind: k.validTo))
                """).run()
        }
    }
}
