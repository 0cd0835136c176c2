import CairnCore
import EventPatterns
import Foundation
import Storage
import Wire

/// Archives: the events of a bus that match a pattern, kept for a number of days. The router gives each enabled
/// archive a route whose one target keeps what it receives, so an event is archived through the same outbox, committed
/// with the call that put it on the bus.
extension EventBridgeService {
    static let archiveOperations: Set<String> = [
        "CreateArchive", "DescribeArchive", "ListArchives", "UpdateArchive", "DeleteArchive",
    ]

    func archiveOperation(_ operation: String, _ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        switch operation {
        case "CreateArchive": return try await createArchive(body, ctx)
        case "DescribeArchive": return try await describeArchive(body, ctx)
        case "ListArchives": return try await listArchives(body, ctx)
        case "UpdateArchive": return try await updateArchive(body, ctx)
        default: return try await deleteArchive(body, ctx)
        }
    }

    static func archiveResource(_ a: EventArchiveRecord) -> [CloudTrailRecord.Resource] {
        [.init(type: "AWS::Events::Archive", name: a.name, arn: a.arn)]
    }

    func existingArchive(_ body: JSONValue, _ ctx: CallContext) async throws -> EventArchiveRecord {
        let name = try Self.required(body, "ArchiveName")
        guard let archive = try await store.archive(accountId: ctx.accountId, region: ctx.region, name: name) else {
            throw Self.notFound("Archive \(name) does not exist.")
        }
        return archive
    }

    /// A pattern given to an archive, checked as PutRule checks one.
    static func archivePattern(_ body: JSONValue) throws -> String? {
        guard let pattern = body["EventPattern"]?.stringValue, !pattern.isEmpty else { return nil }
        guard pattern.utf8.count <= 4096 else {
            throw validation("1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to 4096")
        }
        do { _ = try EventPattern(json: pattern) } catch {
            throw AWSError(code: "InvalidEventPatternException", message: error.message)
        }
        return pattern
    }

    static func retentionDays(_ body: JSONValue) throws(AWSError) -> Int? {
        guard let v = body["RetentionDays"], !v.isNull else { return nil }
        guard let days = v.intValue, days >= 0 else {
            throw validation("1 validation error detected: Value at 'retentionDays' failed to satisfy constraint: Member must have value greater than or equal to 0")
        }
        // An Integer in AWS's model: 32 bits (and days in milliseconds must fit the sweep's arithmetic).
        guard days <= Int64(Int32.max) else {
            throw validation("1 validation error detected: Value at 'retentionDays' failed to satisfy constraint: Member must have value less than or equal to \(Int32.max)")
        }
        return Int(days)
    }

    static func archiveDescription(_ body: JSONValue) throws(AWSError) -> String? {
        guard let d = body["Description"]?.stringValue else { return nil }
        guard d.count <= 512 else { throw validation("Description is longer than 512 characters.") }
        return d
    }

    func createArchive(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let name = try Self.required(body, "ArchiveName")
        guard (1...48).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
            throw Self.validation("1 validation error detected: Value '\(name)' at 'archiveName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length less than or equal to 48")
        }
        let source = try Self.required(body, "EventSourceArn")
        guard let arn = ARN(source), arn.service == "events", arn.resource.hasPrefix("event-bus/"),
              arn.accountId == ctx.accountId, arn.region == ctx.region else {
            throw Self.validation("Parameter EventSourceArn is not valid: it must be the ARN of an event bus in this account and region.")
        }
        let bus = try await existingBus(String(arn.resource.dropFirst("event-bus/".count)), ctx)
        let archive = EventArchiveRecord(
            accountId: ctx.accountId, region: ctx.region, name: name, busName: bus.name,
            eventPattern: try Self.archivePattern(body), description: try Self.archiveDescription(body),
            retentionDays: try Self.retentionDays(body) ?? 0, state: "ENABLED", createdAt: clock.nowMs())
        do {
            try await store.createArchive(archive)
        } catch let e as StoreError where e.isDuplicate {
            throw OperationFailure(AWSError(code: "ResourceAlreadyExistsException", message: "Archive \(name) already exists."),
                                   resources: Self.archiveResource(archive))
        }
        router.forget(accountId: ctx.accountId, region: ctx.region, bus: bus.name)
        return OperationResult(output: Self.archiveSummary(archive),
                               audit: AuditDetails(responseElements: ["archiveArn": .string(archive.arn)],
                                                   resources: Self.archiveResource(archive)))
    }

    /// What CreateArchive and UpdateArchive answer.
    static func archiveSummary(_ a: EventArchiveRecord) -> JSONValue {
        ["ArchiveArn": .string(a.arn), "State": .string(a.state),
         "CreationTime": .timestamp(Date(timeIntervalSince1970: Double(a.createdAt) / 1000))]
    }

    /// An archive as DescribeArchive and ListArchives show it.
    func archiveShape(_ a: EventArchiveRecord, full: Bool) async throws -> JSONValue {
        let contents = try await store.archiveContents(arn: a.arn)
        var members: [(String, JSONValue?)] = [("ArchiveName", .string(a.name)), ("EventSourceArn", .string(a.busArn))]
        if full {
            members = [("ArchiveArn", .string(a.arn))] + members + [
                ("Description", a.description.map(JSONValue.string)), ("EventPattern", a.eventPattern.map(JSONValue.string)),
            ]
        }
        members += [
            ("State", .string(a.state)), ("RetentionDays", .int(Int64(a.retentionDays))),
            ("SizeBytes", .int(contents.sizeBytes)), ("EventCount", .int(contents.eventCount)),
            ("CreationTime", .timestamp(Date(timeIntervalSince1970: Double(a.createdAt) / 1000))),
        ]
        return .compact(members)
    }

    func describeArchive(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let archive = try await existingArchive(body, ctx)
        return OperationResult(output: try await archiveShape(archive, full: true),
                               audit: AuditDetails(resources: Self.archiveResource(archive)))
    }

    func listArchives(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let prefix = body["NamePrefix"]?.stringValue ?? ""
        var bus: String?
        if let source = body["EventSourceArn"]?.stringValue {
            guard let arn = ARN(source), arn.service == "events", arn.resource.hasPrefix("event-bus/") else {
                throw Self.validation("Parameter EventSourceArn is not valid: it must be the ARN of an event bus.")
            }
            guard arn.accountId == ctx.accountId, arn.region == ctx.region else { return OperationResult(output: ["Archives": []]) }
            bus = String(arn.resource.dropFirst("event-bus/".count))
        }
        let states: Set<String> = ["ENABLED", "DISABLED", "CREATING", "UPDATING", "CREATE_FAILED", "UPDATE_FAILED"]
        let state = body["State"]?.stringValue
        if let state, !states.contains(state) {
            throw Self.validation("1 validation error detected: Value '\(state)' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, CREATING, UPDATING, CREATE_FAILED, UPDATE_FAILED]")
        }
        if (prefix.isEmpty ? 0 : 1) + (bus == nil ? 0 : 1) + (state == nil ? 0 : 1) > 1 {
            throw Self.validation("At most one filter is allowed for ListArchives. Use either : State, EventSourceArn, or NamePrefix.")
        }
        let limit = try Self.limit(body)
        let page = try await store.archives(accountId: ctx.accountId, region: ctx.region, prefix: prefix, bus: bus, state: state,
                                            after: try Self.token(body), limit: limit + 1)
        let shown = page.prefix(limit)
        var archives: [JSONValue] = []
        for archive in shown { archives.append(try await archiveShape(archive, full: false)) }
        var out: [(String, JSONValue)] = [("Archives", .array(archives))]
        if page.count > limit, let last = shown.last { out.append(("NextToken", .string(Self.nextToken(last.name)))) }
        return OperationResult(output: .object(out))
    }

    func updateArchive(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        var archive = try await existingArchive(body, ctx)
        if body["EventPattern"] != nil { archive.eventPattern = try Self.archivePattern(body) }
        if let description = try Self.archiveDescription(body) { archive.description = description }
        if let days = try Self.retentionDays(body) { archive.retentionDays = days }
        try await store.updateArchive(archive)
        router.forget(accountId: ctx.accountId, region: ctx.region, bus: archive.busName)
        return OperationResult(output: Self.archiveSummary(archive),
                               audit: AuditDetails(resources: Self.archiveResource(archive)))
    }

    func deleteArchive(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let archive = try await existingArchive(body, ctx)
        try await store.deleteArchive(accountId: ctx.accountId, region: ctx.region, name: archive.name)
        router.forget(accountId: ctx.accountId, region: ctx.region, bus: archive.busName)
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.archiveResource(archive)))
    }
}
