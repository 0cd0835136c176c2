import AuditTrail
import CairnCore
import EventPatterns
import Foundation
import Logging
import Storage
import Synchronization

/// The routing table: for each bus, one compiled matcher over all its rules, and each rule's targets.
/// Loaded from the store on a bus's first use and updated as rules and targets change.
public final class EventRouter: AuditRecordRouter, Sendable {
    struct BusKey: Hashable, Sendable {
        var accountId: String
        var region: String
        var bus: String
    }

    struct Route: Sendable {
        var ruleArn: String
        var ruleName: String
        var state: String
        var targets: [CompiledTarget]
    }

    final class BusTable: Sendable {
        /// Rules by name, and archives with a pattern by `archive/NAME` (no rule name holds a slash).
        let matcher = PatternMatcher<String>()
        let routes = Mutex<[String: Route]>([:])
        /// Archives without a pattern: every event of the bus.
        let archiveAll = Mutex<[Route]>([])

        /// Whether no event of this bus goes anywhere (nothing to match, nothing to archive).
        var isEmpty: Bool { matcher.ruleCount == 0 && archiveAll.withLock { $0.isEmpty } }
    }

    let store: any EventBusStore
    let clock: any WallClock
    let logger: Logger
    private let tables = Mutex<[BusKey: BusTable]>([:])
    /// Account/region pairs whose default bus is known to exist, so calls need not write to ensure it.
    private let defaultBuses = Mutex<Set<String>>([])
    private let wake: @Sendable () -> Void
    /// Tells the other nodes sharing the database that a rule or bus changed (`peerChanged` on theirs).
    private let broadcast: @Sendable (String) -> Void

    public init(store: any EventBusStore, clock: any WallClock, logger: Logger, wake: @escaping @Sendable () -> Void,
                broadcast: @escaping @Sendable (String) -> Void = { _ in }) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.wake = wake
        self.broadcast = broadcast
    }

    func table(_ key: BusKey) async throws -> BusTable {
        if let t = tables.withLock({ $0[key] }) { return t }
        let table = BusTable()
        for (rule, targets) in try await store.routingTable(accountId: key.accountId, region: key.region, bus: key.bus) {
            Self.install(rule, targets, into: table, logger: logger)
        }
        for archive in try await store.archives(accountId: key.accountId, region: key.region, prefix: "", bus: key.bus, state: nil,
                                                after: nil, limit: Int(Int32.max)) where archive.state == "ENABLED" {
            Self.install(archive, into: table)
        }
        return tables.withLock { t in
            if let existing = t[key] { return existing }
            t[key] = table
            return table
        }
    }

    static func install(_ rule: EventRuleRecord, _ targets: [EventTargetRecord], into table: BusTable, logger: Logger) {
        table.matcher.remove(id: rule.name)
        guard let text = rule.eventPattern, let pattern = try? EventPattern(json: text) else {
            _ = table.routes.withLock { $0.removeValue(forKey: rule.name) }
            return
        }
        let compiled = targets.compactMap { t -> CompiledTarget? in
            guard let value = try? JSONValue.parse(t.definition) else { return nil }
            do { return try CompiledTarget(value) } catch {
                logger.warning("ignoring stored target \(t.targetId) of rule \(rule.name): \(error)")
                return nil
            }
        }
        table.routes.withLock {
            $0[rule.name] = Route(ruleArn: rule.arn, ruleName: rule.name, state: rule.state, targets: compiled)
        }
        table.matcher.add(rule: pattern, id: rule.name)
    }

    /// An archive as a route: its one target keeps each event it receives (see `DeliveryService`).
    static func install(_ archive: EventArchiveRecord, into table: BusTable) {
        let target = try? CompiledTarget(["Id": "archive", "Arn": .string(archive.arn)], internal: true)
        let route = Route(ruleArn: archive.arn, ruleName: "archive/" + archive.name, state: "ENABLED", targets: target.map { [$0] } ?? [])
        if let text = archive.eventPattern, let pattern = try? EventPattern(json: text) {
            table.routes.withLock { $0[route.ruleName] = route }
            table.matcher.add(rule: pattern, id: route.ruleName)
        } else {
            table.archiveAll.withLock { $0.append(route) }
        }
    }

    /// Re-reads one rule and its targets after a change, here and on the other nodes.
    func reload(accountId: String, region: String, bus: String, rule name: String) async throws {
        try await reloadHere(accountId: accountId, region: region, bus: bus, rule: name)
        broadcast(["rule", accountId, region, bus, name].joined(separator: "\t"))
    }

    /// Another node changed a rule or deleted a bus (a signal `reload` or `forget` sent there).
    public func peerChanged(_ signal: String) async {
        let parts = signal.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        switch (parts.first, parts.count) {
        case ("rule", 5):
            do {
                try await reloadHere(accountId: parts[1], region: parts[2], bus: parts[3], rule: parts[4])
            } catch {
                // The table can no longer be trusted: it loads afresh on its next use.
                _ = tables.withLock { $0.removeValue(forKey: BusKey(accountId: parts[1], region: parts[2], bus: parts[3])) }
            }
        case ("bus", 4):
            _ = tables.withLock { $0.removeValue(forKey: BusKey(accountId: parts[1], region: parts[2], bus: parts[3])) }
        default:
            logger.warning("ignoring an unknown routing signal from another node: \(signal)")
        }
    }

    private func reloadHere(accountId: String, region: String, bus: String, rule name: String) async throws {
        let key = BusKey(accountId: accountId, region: region, bus: bus)
        guard let table = tables.withLock({ $0[key] }) else { return }  // not loaded yet: loads fresh on first use
        if let rule = try await store.rule(accountId: accountId, region: region, bus: bus, name: name) {
            let targets = try await store.targets(accountId: accountId, region: region, bus: bus, rule: name)
            Self.install(rule, targets, into: table, logger: logger)
        } else {
            table.matcher.remove(id: name)
            _ = table.routes.withLock { $0.removeValue(forKey: name) }
        }
    }

    /// Makes sure the account's default bus exists in the region; writes only the first time.
    func ensureDefaultBus(accountId: String, region: String, now: Int64) async throws {
        let key = accountId + "/" + region
        if defaultBuses.withLock({ $0.contains(key) }) { return }
        try await store.ensureBus(EventBusRecord(accountId: accountId, region: region, name: "default", description: nil,
                                                 policy: nil, tags: [:], createdAt: now, modifiedAt: now))
        _ = defaultBuses.withLock { $0.insert(key) }
    }

    func forget(accountId: String, region: String, bus: String) {
        _ = tables.withLock { $0.removeValue(forKey: BusKey(accountId: accountId, region: region, bus: bus)) }
        broadcast(["bus", accountId, region, bus].joined(separator: "\t"))
    }

    /// The deliveries an event on a bus causes. `readOnlyManagement` marks read-only CloudTrail management calls,
    /// which only rules in ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS receive. `eventJSON` is valid JSON — Cairn
    /// serialized it, or parsed it before — so the matcher skips what no rule names by structure alone.
    /// A replayed event (`replay`) goes to no archive and, given `onlyRules` (ARNs), to those rules alone.
    func deliveries(accountId: String, region: String, bus: String, event: @autoclosure () -> JSONValue, eventJSON: String,
                    eventId: String, readOnlyManagement: Bool = false, replay: Bool = false,
                    onlyRules: Set<String>? = nil) async throws -> [EventDelivery] {
        let table = try await table(BusKey(accountId: accountId, region: region, bus: bus))
        guard !table.isEmpty else { return [] }
        let matched = table.matcher.ruleCount > 0 ? try table.matcher.matches(eventJSON: eventJSON, validation: .assumeValid) : []
        var routes = table.routes.withLock { r in matched.compactMap { r[$0] } } + (replay ? [] : table.archiveAll.withLock { $0 })
        if replay {
            routes.removeAll { route in route.ruleName.hasPrefix("archive/") || onlyRules.map { !$0.contains(route.ruleArn) } ?? false }
        }
        guard !routes.isEmpty else { return [] }
        let event = event()
        let now = Int64(clock.now().timeIntervalSince1970 * 1000)
        var out: [EventDelivery] = []
        for route in routes {
            switch route.state {
            case "ENABLED" where !readOnlyManagement, "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS": break
            default: continue
            }
            for target in route.targets {
                out.append(EventDelivery(
                    accountId: accountId, region: region, ruleArn: route.ruleArn, targetId: target.id,
                    target: target.definition,
                    payload: target.payload(eventJSON: eventJSON, event: event, ruleArn: route.ruleArn, ruleName: route.ruleName),
                    eventId: eventId, eventTime: now, nextAttemptAt: now))
            }
        }
        return out
    }

    /// The EventBridge envelope of an event.
    static func envelope(id: String, detailType: String, source: String, account: String, time: Date, region: String,
                         resources: [String], detail: JSONValue) -> JSONValue {
        [
            "version": "0", "id": .string(id), "detail-type": .string(detailType), "source": .string(source),
            "account": .string(account), "time": .string(Timestamp.iso8601(time)), "region": .string(region),
            "resources": .array(resources.map(JSONValue.string)), "detail": detail,
        ]
    }

    // MARK: The CloudTrail bridge

    /// CloudTrail records reach the account's default bus in their region: API calls as "AWS API Call via
    /// CloudTrail", service events as "AWS Service Event via CloudTrail". Data events do not (no trail logs them).
    public func deliveries(for record: CloudTrailRecord, recordJSON: String) async throws -> [EventDelivery] {
        guard record.isManagementEvent else { return [] }
        let key = BusKey(accountId: record.recipientAccountId, region: record.awsRegion, bus: "default")
        guard try await !table(key).isEmpty else { return [] }
        let detailType = CloudTrailBridge.detailType(eventType: record.eventType.rawValue)
        let id = Identifiers.uuid()
        // The stored record text becomes `detail` as is; it is parsed only if a matching target transforms it.
        let head = Self.envelope(id: id, detailType: detailType, source: CloudTrailBridge.source(eventSource: record.eventSource),
                                 account: record.recipientAccountId,
                                 time: record.eventTime, region: record.awsRegion, resources: [], detail: .null).jsonString()
        let eventJSON = String(head.dropLast("null}".count)) + recordJSON + "}"
        return try await deliveries(accountId: record.recipientAccountId, region: record.awsRegion, bus: "default",
                                    event: (try? JSONValue.parse(eventJSON)) ?? .null, eventJSON: eventJSON, eventId: id,
                                    readOnlyManagement: record.eventType == .awsApiCall && record.readOnly)
    }

    public func didEnqueue() { wake() }

    // MARK: Events services send themselves

    /// The deliveries of an event a service emits itself (AWS Batch's "Batch Job State Change") on the account's
    /// default bus. The caller commits them to the outbox with the change the event reports, then calls
    /// `didEnqueue()`.
    public func serviceEventDeliveries(accountId: String, region: String, source: String, detailType: String,
                                       resources: [String], detail: JSONValue, time: Date) async throws -> [EventDelivery] {
        // No rule on the default bus: nothing to match, so the event is neither built nor serialized.
        guard try await !table(BusKey(accountId: accountId, region: region, bus: "default")).isEmpty else { return [] }
        let id = Identifiers.uuid()
        let event = Self.envelope(id: id, detailType: detailType, source: source, account: accountId, time: time, region: region,
                                  resources: resources, detail: detail)
        return try await deliveries(accountId: accountId, region: region, bus: "default", event: event,
                                    eventJSON: event.jsonString(), eventId: id)
    }
}
