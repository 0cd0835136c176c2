import Foundation
import SQLKit

/// `TrailStore` over SQL.
public struct SQLTrailStore: TrailStore {
    let store: SQLStore

    public init(store: SQLStore) { self.store = store }

    /// A `trail` row as stored: tags as JSON text, `is_logging` as 0/1.
    private struct TrailColumns: Decodable {
        var arn: String
        var accountId: String
        var homeRegion: String
        var name: String
        var definition: String
        var tags: String
        var isLogging: Int
        var cursorSeq: Int64
        var status: String
        var createdAt: Int64
    }

    /// A `trail_log_file` row as stored.
    private struct LogFileColumns: Decodable {
        var trailArn: String
        var region: String
        var bucket: String
        var objectKey: String
        var firstSeq: Int64
        var lastSeq: Int64
        var sha256: String?
        var oldestEvent: Int64?
        var newestEvent: Int64?
        var deliveredAt: Int64?
    }

    /// The `audit_event` columns a trail reads: `management` and `read_only` as 0/1.
    private struct SourceEventColumns: Decodable {
        var seq: Int64
        var accountId: String
        var region: String
        var management: Int
        var readOnly: Int
        var eventSource: String
        var eventName: String
        var eventTime: Int64
        var record: String
    }

    /// A `trail_digest_chain` row as stored.
    private struct DigestChainColumns: Decodable {
        var trailArn: String
        var region: String
        var lastEnd: Int64?
        var lastBucket: String?
        var lastKey: String?
        var lastSignature: String?
        var lastHash: String?
        var pendingEnd: Int64?
    }

    /// A `trail_signing_key` row as stored: keys as bytes.
    private struct SigningKeyColumns: Decodable {
        var accountId: String
        var region: String
        var fingerprint: String
        var privateKey: Data
        var publicKey: Data
        var validFrom: Int64
        var validTo: Int64
    }

    /// A trail's status alone.
    private struct StatusColumns: Decodable {
        var status: String
    }

    /// A sequence number (`MAX(seq) AS seq`).
    private struct SeqColumns: Decodable {
        var seq: Int64
    }

    /// A region alone.
    private struct RegionColumns: Decodable {
        var region: String
    }

    static func decodeTrail(_ row: any SQLRow) throws -> TrailRow {
        let c = try row.decodeColumns(TrailColumns.self)
        return TrailRow(arn: c.arn, accountId: c.accountId, homeRegion: c.homeRegion, name: c.name,
                        definition: c.definition, tags: StringMapColumn.decode(c.tags), isLogging: c.isLogging != 0,
                        cursorSeq: c.cursorSeq, status: c.status, createdAt: c.createdAt)
    }

    static func decodeLogFile(_ row: any SQLRow) throws -> TrailLogFile {
        let c = try row.decodeColumns(LogFileColumns.self)
        return TrailLogFile(trailArn: c.trailArn, region: c.region, bucket: c.bucket, key: c.objectKey,
                            firstSeq: c.firstSeq, lastSeq: c.lastSeq, sha256: c.sha256, oldestEvent: c.oldestEvent,
                            newestEvent: c.newestEvent, deliveredAt: c.deliveredAt)
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
            let status = merge(try row.decodeColumns(StatusColumns.self).status)
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
            try await db.raw("SELECT COALESCE(MAX(seq), 0) AS seq FROM audit_event").first()?.decodeColumns(SeqColumns.self).seq ?? 0
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
                let c = try row.decodeColumns(SourceEventColumns.self)
                return TrailSourceEvent(
                    seq: c.seq, accountId: c.accountId, region: c.region, management: c.management != 0,
                    readOnly: c.readOnly != 0, eventSource: c.eventSource, eventName: c.eventName,
                    eventTime: c.eventTime, record: c.record)
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
                """).all().map { try $0.decodeColumns(RegionColumns.self).region }.sorted()
        }
    }

    public func digestChain(trailArn: String, region: String) async throws -> TrailDigestChain? {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM trail_digest_chain WHERE trail_arn = \(bind: trailArn) AND region = \(bind: region)
                """).first().map { row in
                let c = try row.decodeColumns(DigestChainColumns.self)
                return TrailDigestChain(trailArn: c.trailArn, region: c.region, lastEnd: c.lastEnd,
                                        lastBucket: c.lastBucket, lastKey: c.lastKey, lastSignature: c.lastSignature,
                                        lastHash: c.lastHash, pendingEnd: c.pendingEnd)
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
                let c = try row.decodeColumns(SigningKeyColumns.self)
                return TrailSigningKeyRow(accountId: c.accountId, region: c.region, fingerprint: c.fingerprint,
                                          privateKey: Array(c.privateKey), publicKey: Array(c.publicKey),
                                          validFrom: c.validFrom, validTo: c.validTo)
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
