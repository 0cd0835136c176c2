import CairnCore
import Storage
import Wire

/// What IAM must allow for each EventBridge Scheduler operation (`scheduler:` actions on schedules and groups), and
/// the tags of groups.
extension SchedulerService {
    public var operations: Set<String> { Set(Self.permissionTable.keys) }

    public var permissions: [String: PermissionRule] { Self.permissionTable }

    static let permissionTable: [String: PermissionRule] = [
        // A schedule passes its execution role to the scheduler.
        "CreateSchedule": PermissionRule.all([PermissionRule("scheduler:CreateSchedule", resource: schedule), rolePass]),
        "UpdateSchedule": PermissionRule.all([PermissionRule("scheduler:UpdateSchedule", resource: schedule), rolePass]),
        "GetSchedule": PermissionRule("scheduler:GetSchedule", resource: schedule),
        "DeleteSchedule": PermissionRule("scheduler:DeleteSchedule", resource: schedule),
        "ListSchedules": PermissionRule("scheduler:ListSchedules"),
        "CreateScheduleGroup": PermissionRule("scheduler:CreateScheduleGroup", resource: group, keys: bodyTagKeys),
        "GetScheduleGroup": PermissionRule("scheduler:GetScheduleGroup", resource: group),
        "DeleteScheduleGroup": PermissionRule("scheduler:DeleteScheduleGroup", resource: group),
        "ListScheduleGroups": PermissionRule("scheduler:ListScheduleGroups"),
        "TagResource": PermissionRule("scheduler:TagResource", resource: tagged, keys: bodyTagKeys),
        "UntagResource": PermissionRule("scheduler:UntagResource", resource: tagged) { r in
            let keys = r.query.fields.filter { $0.0 == "TagKeys" }.map(\.1)
            return keys.isEmpty ? [:] : ["aws:TagKeys": keys]
        },
        "ListTagsForResource": PermissionRule("scheduler:ListTagsForResource", resource: tagged),
    ]

    /// `schedule/<group>/<name>`: the group from the body (create, update) or the query (get, delete).
    @Sendable static func schedule(_ r: PermissionRequest) -> String {
        guard let name = r.path("name") else { return "*" }
        let group = r.string("GroupName") ?? r.query["groupName"] ?? "default"
        return r.arn("scheduler", "schedule/\(group)/\(name)")
    }

    @Sendable static func group(_ r: PermissionRequest) -> String {
        guard let name = r.path("name") else { return "*" }
        return r.arn("scheduler", "schedule-group/\(name)")
    }

    @Sendable static func tagged(_ r: PermissionRequest) -> String {
        guard let arn = r.path("name"), !arn.isEmpty else { return "*" }
        return arn
    }

    @Sendable static func bodyTagKeys(_ r: PermissionRequest) -> [String: [String]] {
        guard case .json(let body) = r.input, let items = body["Tags"]?.arrayValue else { return [:] }
        return requestTagKeys(items.compactMap { t in t["Key"]?.stringValue.map { ($0, t["Value"]?.stringValue ?? "") } })
    }

    /// `iam:PassRole` on the target's execution role, passed to `scheduler.amazonaws.com`.
    static let rolePass = PermissionRule { r in
        guard case .json(let body) = r.input, let role = body["Target"]?["RoleArn"]?.stringValue, !role.isEmpty else { return [] }
        return [Permission(action: "iam:PassRole", resource: role, keys: ["iam:PassedToService": ["scheduler.amazonaws.com"]])]
    }

    /// The tags of a schedule group, for `aws:ResourceTag` conditions; nil for anything else or a group that does
    /// not exist.
    public func resourceFacts(arn: String, context: CallContext) async throws -> ResourceFacts? {
        guard let parsed = ARN(arn), parsed.service == "scheduler", parsed.resource.hasPrefix("schedule-group/") else { return nil }
        let name = String(parsed.resource.dropFirst("schedule-group/".count))
        guard let group = try await store.group(accountId: parsed.accountId, region: parsed.region, name: name) else { return nil }
        return ResourceFacts(policy: nil, tags: group.tags)
    }
}
