import CairnCore
import Foundation
import Storage
import Wire

/// Schedule groups and their tags.
extension SchedulerService {
    static func groupArn(_ name: String, _ ctx: CallContext) -> String {
        "arn:aws:scheduler:\(ctx.region):\(ctx.accountId):schedule-group/\(name)"
    }

    /// Every account has a `default` group, made the first time it is needed (a read first: it is never deleted, so
    /// only the first call of an account writes).
    func ensureDefaultGroup(_ ctx: CallContext) async throws {
        if try await store.group(accountId: ctx.accountId, region: ctx.region, name: "default") != nil { return }
        let now = clock.nowMs()
        try await store.ensureGroup(ScheduleGroupRecord(accountId: ctx.accountId, region: ctx.region, name: "default",
                                                        arn: Self.groupArn("default", ctx), createdAt: now, updatedAt: now))
    }

    static func tags(_ body: JSONValue) throws(AWSError) -> [String: String] {
        guard let list = body["Tags"], !list.isNull else { return [:] }
        guard let items = list.arrayValue, items.count <= 200 else { throw validation("Tags must be a list of at most 200 tags.") }
        var tags: [String: String] = [:]
        for item in items {
            guard let key = item["Key"]?.stringValue, let value = item["Value"]?.stringValue,
                  (1...128).contains(key.count), (1...256).contains(value.count) else {
                throw validation("Each tag needs a Key of 1 to 128 characters and a Value of 1 to 256 characters.")
            }
            tags[key] = value
        }
        return tags
    }

    func createGroup(_ name: String, _ body: JSONValue, _ ctx: CallContext) async throws -> JSONValue {
        try Self.validName(name, member: "name")
        let tags = try Self.tags(body)
        try await ensureDefaultGroup(ctx)
        let now = clock.nowMs()
        let arn = Self.groupArn(name, ctx)
        do {
            try await store.createGroup(ScheduleGroupRecord(accountId: ctx.accountId, region: ctx.region, name: name, arn: arn,
                                                            createdAt: now, updatedAt: now, tags: tags))
        } catch let e as StoreError where e.isDuplicate {
            throw Self.conflict("Schedule group \(name) already exists.")
        }
        return ["ScheduleGroupArn": .string(arn)]
    }

    func group(_ name: String, _ ctx: CallContext) async throws -> ScheduleGroupRecord {
        try Self.validName(name, member: "name")
        try await ensureDefaultGroup(ctx)
        guard let group = try await store.group(accountId: ctx.accountId, region: ctx.region, name: name) else {
            throw Self.notFound("Schedule group \(name) does not exist.")
        }
        return group
    }

    static func describe(_ g: ScheduleGroupRecord) -> JSONValue {
        [
            "Arn": .string(g.arn), "CreationDate": date(g.createdAt), "LastModificationDate": date(g.updatedAt),
            "Name": .string(g.name), "State": "ACTIVE",
        ]
    }

    func getGroup(_ name: String, _ ctx: CallContext) async throws -> JSONValue {
        Self.describe(try await group(name, ctx))
    }

    /// Deletes the group and its schedules at once (AWS shows the group DELETING for a while first).
    func deleteGroup(_ name: String, _ ctx: CallContext) async throws -> JSONValue {
        try Self.validName(name, member: "name")
        guard name != "default" else { throw Self.validation("You cannot delete the default group.") }
        guard try await store.deleteGroup(accountId: ctx.accountId, region: ctx.region, name: name) else {
            throw Self.notFound("Schedule group \(name) does not exist.")
        }
        return .object([])
    }

    func listGroups(_ query: QueryForm, _ ctx: CallContext) async throws -> JSONValue {
        let (limit, after) = try Self.page(query)
        let prefix = query["NamePrefix"] ?? ""
        if !prefix.isEmpty { try Self.validName(prefix, member: "namePrefix") }
        try await ensureDefaultGroup(ctx)
        let rows = try await store.groups(accountId: ctx.accountId, region: ctx.region, prefix: prefix, after: after, limit: limit + 1)
        let page = rows.prefix(limit)
        return .compact([
            ("NextToken", rows.count > limit ? page.last.map { .string(Self.token(after: $0.name)) } : nil),
            ("ScheduleGroups", .array(page.map(Self.describe))),
        ])
    }

    /// The group a tag operation's ARN names, in the caller's account and region.
    func taggedGroup(_ arn: String, _ ctx: CallContext) async throws -> ScheduleGroupRecord {
        let prefix = "arn:aws:scheduler:\(ctx.region):\(ctx.accountId):schedule-group/"
        guard arn.hasPrefix(prefix), arn.count <= 1011 else {
            throw Self.validation("1 validation error detected: Value '\(arn.prefix(200))' at 'resourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ^arn:aws(-[a-z]+)?:scheduler:[a-z0-9\\-]+:\\d{12}:schedule-group\\/[0-9a-zA-Z-_.]+$")
        }
        return try await group(String(arn.dropFirst(prefix.count)), ctx)
    }

    func tagResource(_ arn: String, _ body: JSONValue, _ ctx: CallContext) async throws -> JSONValue {
        guard body["Tags"]?.arrayValue != nil else { throw Self.missing("tags") }
        let adding = try Self.tags(body)
        let group = try await taggedGroup(arn, ctx)
        let merged = group.tags.merging(adding) { _, new in new }
        guard merged.count <= 200 else { throw Self.validation("A schedule group has at most 200 tags.") }
        guard try await store.setGroupTags(accountId: ctx.accountId, region: ctx.region, name: group.name, tags: merged) else {
            throw Self.notFound("Schedule group \(group.name) does not exist.")
        }
        return .object([])
    }

    func untagResource(_ arn: String, keys: [String], _ ctx: CallContext) async throws -> JSONValue {
        let group = try await taggedGroup(arn, ctx)
        let kept = group.tags.filter { !keys.contains($0.key) }
        guard try await store.setGroupTags(accountId: ctx.accountId, region: ctx.region, name: group.name, tags: kept) else {
            throw Self.notFound("Schedule group \(group.name) does not exist.")
        }
        return .object([])
    }

    func listTags(_ arn: String, _ ctx: CallContext) async throws -> JSONValue {
        let group = try await taggedGroup(arn, ctx)
        return ["Tags": .array(group.tags.sorted { $0.key < $1.key }.map { ["Key": .string($0.key), "Value": .string($0.value)] })]
    }
}
