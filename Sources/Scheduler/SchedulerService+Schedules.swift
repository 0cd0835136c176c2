import CairnCore
import Foundation
import Storage
import Wire

/// CreateSchedule, GetSchedule, UpdateSchedule, DeleteSchedule and ListSchedules.
extension SchedulerService {
    static func scheduleArn(_ group: String, _ name: String, _ ctx: CallContext) -> String {
        "arn:aws:scheduler:\(ctx.region):\(ctx.accountId):schedule/\(group)/\(name)"
    }

    /// The group a request names (`default` when none), which must exist.
    func existingGroup(_ name: String?, _ ctx: CallContext) async throws -> String {
        let group = name ?? "default"
        try Self.validName(group, member: "groupName")
        try await ensureDefaultGroup(ctx)
        guard try await store.group(accountId: ctx.accountId, region: ctx.region, name: group) != nil else {
            throw Self.notFound("Schedule group \(group) does not exist.")
        }
        return group
    }

    func createSchedule(_ name: String, _ body: JSONValue, _ ctx: CallContext) async throws -> JSONValue {
        try Self.validName(name, member: "name")
        let definition = try ScheduleDefinition(body: body)
        let group = try await existingGroup(try Self.string(body, "GroupName", max: 64), ctx)
        let now = clock.nowMs()
        let arn = Self.scheduleArn(group, name, ctx)
        let record = ScheduleRecord(accountId: ctx.accountId, region: ctx.region, groupName: group, name: name, arn: arn,
                                    state: definition.state, definition: definition.json.jsonString(), createdAt: now, updatedAt: now,
                                    nextFireAt: SchedulePlanner.firstDue(definition, now: now, createdAt: now))
        do {
            try await store.createSchedule(record)
        } catch let e as StoreError where e.isDuplicate {
            throw Self.conflict("Schedule \(name) already exists.")
        } catch let e as StoreError where e.isNotFound {
            throw Self.notFound("Schedule group \(group) does not exist.")
        }
        changed()
        return ["ScheduleArn": .string(arn)]
    }

    func getSchedule(_ name: String, group: String?, _ ctx: CallContext) async throws -> JSONValue {
        let record = try await schedule(name, group: group, ctx)
        let definition = try ScheduleDefinition(stored: record.definition)
        guard case .object(let members) = definition.json else { return .object([]) }
        return .object([
            ("Arn", .string(record.arn)), ("CreationDate", Self.date(record.createdAt)), ("GroupName", .string(record.groupName)),
            ("LastModificationDate", Self.date(record.updatedAt)), ("Name", .string(record.name)),
        ] + members)
    }

    /// A schedule that must exist.
    func schedule(_ name: String, group: String?, _ ctx: CallContext) async throws -> ScheduleRecord {
        try Self.validName(name, member: "name")
        let groupName = group ?? "default"
        try Self.validName(groupName, member: "groupName")
        guard let record = try await store.schedule(accountId: ctx.accountId, region: ctx.region, groupName: groupName, name: name) else {
            throw Self.notFound("Schedule \(name) does not exist.")
        }
        return record
    }

    /// Replaces the whole definition, as AWS does: members left out return to their defaults.
    func updateSchedule(_ name: String, _ body: JSONValue, _ ctx: CallContext) async throws -> JSONValue {
        try Self.validName(name, member: "name")
        let definition = try ScheduleDefinition(body: body)
        var record = try await schedule(name, group: try Self.string(body, "GroupName", max: 64), ctx)
        let now = clock.nowMs()
        record.state = definition.state
        record.definition = definition.json.jsonString()
        record.updatedAt = now
        record.nextFireAt = SchedulePlanner.firstDue(definition, now: now, createdAt: record.createdAt)
        guard try await store.updateSchedule(record) else { throw Self.notFound("Schedule \(name) does not exist.") }
        changed()
        return ["ScheduleArn": .string(record.arn)]
    }

    func deleteSchedule(_ name: String, group: String?, _ ctx: CallContext) async throws -> JSONValue {
        let record = try await schedule(name, group: group, ctx)
        guard try await store.deleteSchedule(accountId: ctx.accountId, region: ctx.region, groupName: record.groupName, name: name) else {
            throw Self.notFound("Schedule \(name) does not exist.")
        }
        return .object([])
    }

    func listSchedules(_ query: QueryForm, _ ctx: CallContext) async throws -> JSONValue {
        let (limit, after) = try Self.page(query)
        let group = query["ScheduleGroup"]
        if let group {
            try Self.validName(group, member: "groupName")
            try await ensureDefaultGroup(ctx)
            guard try await store.group(accountId: ctx.accountId, region: ctx.region, name: group) != nil else {
                throw Self.notFound("Schedule group \(group) does not exist.")
            }
        }
        let prefix = query["NamePrefix"] ?? ""
        if !prefix.isEmpty { try Self.validName(prefix, member: "namePrefix") }
        let state = query["State"]
        if let state, !["ENABLED", "DISABLED"].contains(state) {
            throw Self.enumeration("state", state, ["ENABLED", "DISABLED"])
        }
        let rows = try await store.schedules(accountId: ctx.accountId, region: ctx.region, groupName: group, prefix: prefix,
                                             state: state, after: after, limit: limit + 1)
        let page = rows.prefix(limit)
        let items: [JSONValue] = page.map { r in
            let target = (try? JSONValue.parse(Array(r.definition.utf8)))?["Target"]?["Arn"] ?? .string("")
            return [
                "Arn": .string(r.arn), "CreationDate": Self.date(r.createdAt), "GroupName": .string(r.groupName),
                "LastModificationDate": Self.date(r.updatedAt), "Name": .string(r.name), "State": .string(r.state),
                "Target": ["Arn": target],
            ]
        }
        return .compact([
            ("NextToken", rows.count > limit ? page.last.map { .string(Self.token(after: $0.arn)) } : nil),
            ("Schedules", .array(items)),
        ])
    }
}
