import CairnCore
import Foundation
import SQLKit

/// `EventBusStore` over SQL.
public struct SQLEventBusStore: EventBusStore {
    let store: SQLStore
    /// Seals connection definitions (their API keys and passwords) at rest; nil keeps them as written.
    let secrets: SecretBox?

    public init(store: SQLStore, secrets: SecretBox? = nil) {
        self.store = store
        self.secrets = secrets
    }

    /// An `event_rule` row as stored: tags as JSON text.
    private struct RuleColumns: Decodable {
        var accountId: String
        var region: String
        var busName: String
        var name: String
        var eventPattern: String?
        var scheduleExpression: String?
        var state: String
        var description: String?
        var roleArn: String?
        var tags: String
        var createdAt: Int64
        var nextFireAt: Int64?
    }

    /// The `event_target` columns a target record holds.
    private struct TargetColumns: Decodable {
        var targetId: String
        var arn: String
        var definition: String
    }

    /// The rule an `event_target` row belongs to.
    private struct RuleNameColumns: Decodable {
        var ruleName: String
    }

    /// An `event_api_resource` row as stored: a connection's definition possibly sealed, `kind` as its raw string.
    private struct APIResourceColumns: Decodable {
        var accountId: String
        var region: String
        var kind: String
        var name: String
        var arn: String
        var definition: String
        var createdAt: Int64
        var modifiedAt: Int64
    }

    /// A connection's ARN and stored definition.
    private struct StoredConnectionColumns: Decodable {
        var arn: String
        var definition: String
    }

    /// The earliest delivery time (`MIN(next_attempt_at) AS t`), NULL when nothing is queued.
    private struct NextAttemptColumns: Decodable {
        var t: Int64?
    }

    /// A `COUNT(*) AS n` result.
    private struct CountColumns: Decodable {
        var n: Int
    }

    static func decodeBus(_ row: any SQLRow) throws -> EventBusRecord {
        // By column: every PutEvents reads its bus, and a keyed `Decodable` row was most of that read's CPU.
        EventBusRecord(
            accountId: try row.decode(column: "account_id", as: String.self), region: try row.decode(column: "region", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            description: try row.decodeOptional(column: "description", as: String.self),
            policy: try row.decodeOptional(column: "policy", as: String.self),
            tags: StringMapColumn.decode(try row.decode(column: "tags", as: String.self)),
            createdAt: try row.decode(column: "created_at", as: Int64.self), modifiedAt: try row.decode(column: "modified_at", as: Int64.self))
    }

    static func decodeRule(_ row: any SQLRow) throws -> EventRuleRecord {
        let c = try row.decodeColumns(RuleColumns.self)
        return EventRuleRecord(
            accountId: c.accountId, region: c.region, busName: c.busName, name: c.name, eventPattern: c.eventPattern,
            scheduleExpression: c.scheduleExpression, state: c.state, description: c.description, roleArn: c.roleArn,
            tags: StringMapColumn.decode(c.tags), createdAt: c.createdAt, nextFireAt: c.nextFireAt)
    }

    static func decodeTarget(_ row: any SQLRow) throws -> EventTargetRecord {
        let c = try row.decodeColumns(TargetColumns.self)
        return EventTargetRecord(targetId: c.targetId, arn: c.arn, definition: c.definition)
    }

    public func ensureBus(_ b: EventBusRecord) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO event_bus (account_id, region, name, description, policy, tags, created_at, modified_at)
                VALUES (\(bind: b.accountId), \(bind: b.region), \(bind: b.name), \(bind: b.description), \(bind: b.policy),
                        \(bind: StringMapColumn.encode(b.tags)), \(bind: b.createdAt), \(bind: b.modifiedAt))
                ON CONFLICT (account_id, region, name) DO NOTHING
                """).run()
        }
    }

    public func createBus(_ b: EventBusRecord) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO event_bus (account_id, region, name, description, policy, tags, created_at, modified_at)
                VALUES (\(bind: b.accountId), \(bind: b.region), \(bind: b.name), \(bind: b.description), \(bind: b.policy),
                        \(bind: StringMapColumn.encode(b.tags)), \(bind: b.createdAt), \(bind: b.modifiedAt))
                """).run()
        }
    }

    public func bus(accountId: String, region: String, name: String) async throws -> EventBusRecord? {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM event_bus WHERE account_id = \(bind: accountId) AND region = \(bind: region) AND name = \(bind: name)
                """).first().map(Self.decodeBus)
        }
    }

    public func buses(accountId: String, region: String, prefix: String, after: String?, limit: Int) async throws -> [EventBusRecord] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM event_bus WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                AND \(store.dialect.hasPrefix("name", prefix)) AND name > \(bind: after ?? "")
                ORDER BY name LIMIT \(bind: limit)
                """).all().map(Self.decodeBus)
        }
    }

    public func deleteBus(accountId: String, region: String, name: String) async throws {
        try await store.write { db in
            for table in ["event_target", "event_rule"] {
                try await db.raw("""
                    DELETE FROM \(unsafeRaw: table) WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                    AND bus_name = \(bind: name)
                    """).run()
            }
            try await db.raw("""
                DELETE FROM event_bus WHERE account_id = \(bind: accountId) AND region = \(bind: region) AND name = \(bind: name)
                """).run()
        }
    }

    public func putRule(_ r: EventRuleRecord) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO event_rule (account_id, region, bus_name, name, event_pattern, schedule_expression, state,
                                        description, role_arn, tags, created_at, next_fire_at)
                VALUES (\(bind: r.accountId), \(bind: r.region), \(bind: r.busName), \(bind: r.name), \(bind: r.eventPattern),
                        \(bind: r.scheduleExpression), \(bind: r.state), \(bind: r.description), \(bind: r.roleArn),
                        \(bind: StringMapColumn.encode(r.tags)), \(bind: r.createdAt), \(bind: r.nextFireAt))
                ON CONFLICT (account_id, region, bus_name, name) DO UPDATE SET event_pattern = excluded.event_pattern,
                    schedule_expression = excluded.schedule_expression, next_fire_at = excluded.next_fire_at, state = excluded.state,
                    description = excluded.description, role_arn = excluded.role_arn,
                    tags = CASE WHEN excluded.tags = '{}' THEN event_rule.tags ELSE excluded.tags END
                """).run()
        }
    }

    public func rule(accountId: String, region: String, bus: String, name: String) async throws -> EventRuleRecord? {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM event_rule WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                AND bus_name = \(bind: bus) AND name = \(bind: name)
                """).first().map(Self.decodeRule)
        }
    }

    public func rules(accountId: String, region: String, bus: String, prefix: String, after: String?, limit: Int) async throws -> [EventRuleRecord] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM event_rule WHERE account_id = \(bind: accountId) AND region = \(bind: region) AND bus_name = \(bind: bus)
                AND \(store.dialect.hasPrefix("name", prefix)) AND name > \(bind: after ?? "")
                ORDER BY name LIMIT \(bind: limit)
                """).all().map(Self.decodeRule)
        }
    }

    public func deleteRule(accountId: String, region: String, bus: String, name: String) async throws {
        try await store.write { db in
            try await db.raw("""
                DELETE FROM event_rule WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                AND bus_name = \(bind: bus) AND name = \(bind: name)
                """).run()
            // A rule made again under this name starts counting afresh.
            let arn = bus == "default" ? "arn:aws:events:\(region):\(accountId):rule/\(name)"
                : "arn:aws:events:\(region):\(accountId):rule/\(bus)/\(name)"
            try await db.raw("DELETE FROM event_target_stat WHERE rule_arn = \(bind: arn)").run()
        }
    }

    public func setRuleState(accountId: String, region: String, bus: String, name: String, state: String) async throws {
        try await store.write { db in
            try await db.raw("""
                UPDATE event_rule SET state = \(bind: state) WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                AND bus_name = \(bind: bus) AND name = \(bind: name)
                """).run()
        }
    }

    public func updateRuleTags(accountId: String, region: String, bus: String, name: String, tags: [String: String]) async throws {
        try await store.write { db in
            try await db.raw("""
                UPDATE event_rule SET tags = \(bind: StringMapColumn.encode(tags)) WHERE account_id = \(bind: accountId)
                AND region = \(bind: region) AND bus_name = \(bind: bus) AND name = \(bind: name)
                """).run()
        }
    }

    public func updateBusTags(accountId: String, region: String, name: String, tags: [String: String]) async throws {
        try await store.write { db in
            try await db.raw("""
                UPDATE event_bus SET tags = \(bind: StringMapColumn.encode(tags)) WHERE account_id = \(bind: accountId)
                AND region = \(bind: region) AND name = \(bind: name)
                """).run()
        }
    }

    public func putTargets(accountId: String, region: String, bus: String, rule: String, targets: [EventTargetRecord]) async throws {
        try await store.write { db in
            for t in targets {
                try await db.raw("""
                    INSERT INTO event_target (account_id, region, bus_name, rule_name, target_id, arn, definition)
                    VALUES (\(bind: accountId), \(bind: region), \(bind: bus), \(bind: rule), \(bind: t.targetId), \(bind: t.arn),
                            \(bind: t.definition))
                    ON CONFLICT (account_id, region, bus_name, rule_name, target_id)
                    DO UPDATE SET arn = excluded.arn, definition = excluded.definition
                    """).run()
            }
        }
    }

    public func removeTargets(accountId: String, region: String, bus: String, rule: String, ids: [String]) async throws {
        try await store.write { db in
            for id in ids {
                try await db.raw("""
                    DELETE FROM event_target WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                    AND bus_name = \(bind: bus) AND rule_name = \(bind: rule) AND target_id = \(bind: id)
                    """).run()
            }
        }
    }

    public func targets(accountId: String, region: String, bus: String, rule: String) async throws -> [EventTargetRecord] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM event_target WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                AND bus_name = \(bind: bus) AND rule_name = \(bind: rule) ORDER BY target_id
                """).all().map(Self.decodeTarget)
        }
    }

    public func ruleNames(accountId: String, region: String, bus: String, targetArn: String) async throws -> [String] {
        try await store.read { db in
            try await db.raw("""
                SELECT DISTINCT rule_name FROM event_target WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                AND bus_name = \(bind: bus) AND arn = \(bind: targetArn) ORDER BY rule_name
                """).all().map { try $0.decodeColumns(RuleNameColumns.self).ruleName }
        }
    }

    public func routingTable(accountId: String, region: String, bus: String) async throws -> [(EventRuleRecord, [EventTargetRecord])] {
        try await store.read { db in
            let rules = try await db.raw("""
                SELECT * FROM event_rule WHERE account_id = \(bind: accountId) AND region = \(bind: region) AND bus_name = \(bind: bus)
                """).all().map(Self.decodeRule)
            var targets: [String: [EventTargetRecord]] = [:]
            for row in try await db.raw("""
                SELECT * FROM event_target WHERE account_id = \(bind: accountId) AND region = \(bind: region) AND bus_name = \(bind: bus)
                ORDER BY target_id
                """).all() {
                targets[try row.decodeColumns(RuleNameColumns.self).ruleName, default: []].append(try Self.decodeTarget(row))
            }
            return rules.map { ($0, targets[$0.name] ?? []) }
        }
    }

    func decodeAPIResource(_ row: any SQLRow) throws -> EventAPIResource {
        let c = try row.decodeColumns(APIResourceColumns.self)
        return EventAPIResource(
            accountId: c.accountId, region: c.region, kind: EventAPIResource.Kind(rawValue: c.kind) ?? .connection,
            name: c.name, arn: c.arn, definition: try secrets?.open(c.definition) ?? c.definition,
            createdAt: c.createdAt, modifiedAt: c.modifiedAt)
    }

    /// A connection's definition as stored: sealed, since it holds the credentials sent to the endpoint.
    func sealed(_ r: EventAPIResource) throws -> String {
        guard r.kind == .connection, let secrets else { return r.definition }
        return try secrets.seal(r.definition)
    }

    /// Seals connection definitions an earlier version stored in plaintext; returns how many.
    public func sealStoredConnections() async throws -> Int {
        guard let secrets else { return 0 }
        return try await store.write { db in
            let rows = try await db.raw("""
                SELECT arn, definition FROM event_api_resource WHERE kind = \(bind: EventAPIResource.Kind.connection.rawValue)
                """).all()
            var sealed = 0
            for row in rows {
                let c = try row.decodeColumns(StoredConnectionColumns.self)
                let (arn, definition) = (c.arn, c.definition)
                guard !definition.hasPrefix(SecretBox.prefix) else { continue }
                try await db.raw("UPDATE event_api_resource SET definition = \(bind: try secrets.seal(definition)) WHERE arn = \(bind: arn)").run()
                sealed += 1
            }
            return sealed
        }
    }

    public func createAPIResource(_ r: EventAPIResource) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO event_api_resource (account_id, region, kind, name, arn, definition, created_at, modified_at)
                VALUES (\(bind: r.accountId), \(bind: r.region), \(bind: r.kind.rawValue), \(bind: r.name), \(bind: r.arn),
                        \(bind: try sealed(r)), \(bind: r.createdAt), \(bind: r.modifiedAt))
                """).run()
        }
    }

    public func apiResource(accountId: String, region: String, kind: EventAPIResource.Kind, name: String) async throws -> EventAPIResource? {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM event_api_resource WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                AND kind = \(bind: kind.rawValue) AND name = \(bind: name)
                """).first().map(decodeAPIResource)
        }
    }

    public func apiResource(arn: String) async throws -> EventAPIResource? {
        try await store.read { db in
            try await db.raw("SELECT * FROM event_api_resource WHERE arn = \(bind: arn)").first().map(decodeAPIResource)
        }
    }

    public func apiResources(accountId: String, region: String, kind: EventAPIResource.Kind, prefix: String) async throws -> [EventAPIResource] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM event_api_resource WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                AND kind = \(bind: kind.rawValue) AND \(store.dialect.hasPrefix("name", prefix)) ORDER BY name
                """).all().map(decodeAPIResource)
        }
    }

    public func deleteAPIResource(accountId: String, region: String, kind: EventAPIResource.Kind, name: String) async throws {
        try await store.write { db in
            try await db.raw("""
                DELETE FROM event_api_resource WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                AND kind = \(bind: kind.rawValue) AND name = \(bind: name)
                """).run()
        }
    }

    public func enqueue(_ deliveries: [EventDelivery]) async throws {
        guard !deliveries.isEmpty else { return }
        try await store.write { db in try await Self.insert(deliveries, db) }
    }

    public func nextScheduledAt() async throws -> Int64? {
        try await store.read { db in
            try await db.raw("SELECT MIN(next_fire_at) AS seq FROM event_rule WHERE next_fire_at IS NOT NULL")
                .first()?.decode(column: "seq", as: Int64?.self)
        }
    }

    public func fireScheduled(now: Int64, limit: Int,
                              plan: @escaping @Sendable (EventRuleRecord, [EventTargetRecord]) -> (deliveries: [EventDelivery], next: Int64?))
        async throws -> Int {
        let skipLocked = store.dialect.skipLocked
        return try await store.write(.readCommitted) { db in
            let due = try await db.raw("""
                SELECT * FROM event_rule WHERE next_fire_at <= \(bind: now) ORDER BY next_fire_at LIMIT \(bind: limit) \(unsafeRaw: skipLocked)
                """).all().map(Self.decodeRule)
            for rule in due {
                let targets = try await db.raw("""
                    SELECT * FROM event_target WHERE account_id = \(bind: rule.accountId) AND region = \(bind: rule.region)
                    AND bus_name = \(bind: rule.busName) AND rule_name = \(bind: rule.name) ORDER BY target_id
                    """).all().map(Self.decodeTarget)
                let (deliveries, next) = plan(rule, targets)
                try await Self.insert(deliveries, db)
                // Guarded by the time read: a PutRule that rescheduled the rule meanwhile keeps its own time.
                try await db.raw("""
                    UPDATE event_rule SET next_fire_at = \(bind: next) WHERE account_id = \(bind: rule.accountId)
                    AND region = \(bind: rule.region) AND bus_name = \(bind: rule.busName) AND name = \(bind: rule.name)
                    AND next_fire_at = \(bind: rule.nextFireAt)
                    """).run()
            }
            return due.count
        }
    }

    /// Outbox rows, written inside a caller's transaction (PutEvents, the recorder's bridge).
    static func insert(_ deliveries: [EventDelivery], _ db: any SQLDatabase) async throws {
        for chunk in stride(from: 0, to: deliveries.count, by: 500) {
            var insert = db.insert(into: "event_delivery").columns(
                "account_id", "region", "rule_arn", "target_id", "target", "payload", "event_id", "event_time", "attempts",
                "next_attempt_at")
            for d in deliveries[chunk..<min(chunk + 500, deliveries.count)] {
                insert = insert.values([d.accountId, d.region, d.ruleArn, d.targetId, d.target, d.payload, d.eventId,
                                        d.eventTime, d.attempts, d.nextAttemptAt] as [any Encodable & Sendable])
            }
            try await insert.run()
        }
    }

    /// An `event_delivery` row, read column by column: a busy pass decodes 256 of them, and through a keyed
    /// `Decodable` row struct that was 6% of Cairn's CPU while delivering.
    static func decodeDelivery(_ row: any SQLRow) throws -> EventDelivery {
        EventDelivery(
            deliveryId: try row.decode(column: "delivery_id", as: Int64.self), accountId: try row.decode(column: "account_id", as: String.self),
            region: try row.decode(column: "region", as: String.self), ruleArn: try row.decode(column: "rule_arn", as: String.self),
            targetId: try row.decode(column: "target_id", as: String.self), target: try row.decode(column: "target", as: String.self),
            payload: try row.decode(column: "payload", as: String.self), eventId: try row.decode(column: "event_id", as: String.self),
            eventTime: try row.decode(column: "event_time", as: Int64.self), attempts: try row.decode(column: "attempts", as: Int.self),
            nextAttemptAt: try row.decode(column: "next_attempt_at", as: Int64.self),
            lastError: try row.decodeOptional(column: "last_error", as: String.self))
    }

    public func claimDue(_ claim: DeliveryClaim) async throws -> [EventDelivery] {
        try await store.autocommit { [dialect = store.dialect] db in try await Self.claim(claim, db, dialect) }
    }

    /// Leases the due deliveries `c` asks for and returns them, due first, as they were before the lease. Rows another
    /// node is claiming right now are skipped, not waited for.
    private static func claim(_ c: DeliveryClaim, _ db: any SQLDatabase, _ dialect: StoreDialect) async throws -> [EventDelivery] {
        if dialect.engine == .postgres {
            // One statement (on its own, one round trip instead of five). Unlike a receive's (`SQLQueueStore`), this
            // read needs no `.claim` session: its condition and order are both the index's leading column, so no plan
            // with a sort costs less than reading the index, whatever the statistics say.
            let rows = try await db.raw("""
                UPDATE event_delivery SET next_attempt_at = \(bind: c.leaseUntil), leased = 1, lease_owner = \(bind: c.owner)
                FROM (SELECT delivery_id AS due_id, next_attempt_at AS due_at FROM event_delivery
                      WHERE next_attempt_at <= \(bind: c.now) ORDER BY next_attempt_at, delivery_id LIMIT \(bind: c.limit)
                      \(unsafeRaw: dialect.skipLocked)) AS due
                WHERE delivery_id = due.due_id RETURNING event_delivery.*, due.due_at
                """).all().map { row in
                    var delivery = try Self.decodeDelivery(row)
                    delivery.nextAttemptAt = try row.decode(column: "due_at", as: Int64.self)
                    return delivery
                }
            return rows.sorted { ($0.nextAttemptAt, $0.deliveryId) < ($1.nextAttemptAt, $1.deliveryId) }
        }
        let rows = try await db.raw("""
            SELECT * FROM event_delivery WHERE next_attempt_at <= \(bind: c.now) ORDER BY next_attempt_at, delivery_id
            LIMIT \(bind: c.limit)
            """).all().map(Self.decodeDelivery)
        guard !rows.isEmpty else { return [] }
        try await db.raw("""
            UPDATE event_delivery SET next_attempt_at = \(bind: c.leaseUntil), leased = 1, lease_owner = \(bind: c.owner)
            WHERE delivery_id IN (\(SQLList(rows.map { SQLBind($0.deliveryId) })))
            """).run()
        return rows
    }

    public func complete(_ ids: [Int64], counts: [TargetDeliveryCounts], claim: DeliveryClaim?,
                         alongside: [StoreWrite]) async throws -> [EventDelivery] {
        guard !ids.isEmpty || !counts.isEmpty || claim != nil || !alongside.isEmpty else { return [] }
        // Read committed suits what is written alongside too: standard queues' messages are inserts that read nothing.
        return try await store.write(.readCommitted) { [dialect = store.dialect] db in
            for write in alongside { try await write.run(db) }
            if !ids.isEmpty {
                try await db.raw("DELETE FROM event_delivery WHERE delivery_id IN (\(SQLList(ids.map { SQLBind($0) })))").run()
            }
            // In key order, so two nodes adding to the same targets lock their rows in one order.
            for c in counts.sorted(by: { ($0.ruleArn, $0.targetId) < ($1.ruleArn, $1.targetId) }) {
                try await db.raw("""
                    INSERT INTO event_target_stat (rule_arn, target_id, delivered, retried, dead_lettered, dropped, last_error)
                    VALUES (\(bind: c.ruleArn), \(bind: c.targetId), \(bind: c.delivered), \(bind: c.retried), \(bind: c.deadLettered), \(bind: c.dropped), \(bind: c.lastError))
                    ON CONFLICT (rule_arn, target_id) DO UPDATE SET
                    delivered = event_target_stat.delivered + excluded.delivered, retried = event_target_stat.retried + excluded.retried,
                    dead_lettered = event_target_stat.dead_lettered + excluded.dead_lettered,
                    dropped = event_target_stat.dropped + excluded.dropped,
                    last_error = COALESCE(excluded.last_error, event_target_stat.last_error)
                    """).run()
            }
            guard let claim else { return [] }
            return try await Self.claim(claim, db, dialect)
        }
    }

    /// One `event_target_stat` row.
    private struct TargetCountColumns: Decodable {
        var ruleArn: String
        var targetId: String
        var delivered: Int64
        var retried: Int64
        var deadLettered: Int64
        var dropped: Int64
        var lastError: String?
    }

    public func deliveryCounts(ruleArns: [String]) async throws -> [TargetDeliveryCounts] {
        guard !ruleArns.isEmpty else { return [] }
        return try await store.read { db in
            try await db.raw("""
                SELECT rule_arn, target_id, delivered, retried, dead_lettered, dropped, last_error FROM event_target_stat
                WHERE rule_arn IN (\(SQLList(ruleArns.map { SQLBind($0) }))) ORDER BY rule_arn, target_id
                """).all().map {
                let c = try $0.decodeColumns(TargetCountColumns.self)
                return TargetDeliveryCounts(ruleArn: c.ruleArn, targetId: c.targetId, delivered: c.delivered, retried: c.retried,
                                            deadLettered: c.deadLettered, dropped: c.dropped, lastError: c.lastError)
            }
        }
    }

    public func reschedule(_ id: Int64, attempts: Int, nextAttemptAt: Int64, error: String) async throws {
        try await store.write { db in
            try await db.raw("""
                UPDATE event_delivery SET attempts = \(bind: attempts), next_attempt_at = \(bind: nextAttemptAt),
                leased = 0, lease_owner = NULL, last_error = \(bind: error) WHERE delivery_id = \(bind: id)
                """).run()
        }
    }

    public func releaseLeases(now: Int64, owner: String) async throws -> Int {
        try await store.write { db in
            try await db.raw("""
                UPDATE event_delivery SET leased = 0, lease_owner = NULL, next_attempt_at = \(bind: now)
                WHERE leased = 1 AND lease_owner = \(bind: owner) RETURNING delivery_id
                """).all().count
        }
    }

    public func nextDueAt() async throws -> Int64? {
        try await store.read { db in
            try await db.raw("SELECT MIN(next_attempt_at) AS t FROM event_delivery").first()?.decodeColumns(NextAttemptColumns.self).t
        }
    }

    public func pendingCount() async throws -> Int {
        try await store.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM event_delivery").first()?.decodeColumns(CountColumns.self).n ?? 0
        }
    }
}
