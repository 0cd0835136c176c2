import CairnCore
import Storage
import Wire

/// What IAM must allow for each EventBridge operation, as the Service Authorization Reference names it, and the
/// facts (tags) authorization reads about buses and rules.
extension EventBridgeService {
    /// One row per operation.
    static let permissionTable: [String: PermissionRule] = [
        "CreateEventBus": PermissionRule("events:CreateEventBus", resource: newBusArn, keys: { requestTagKeys(tagList($0)) }),
        "DescribeEventBus": PermissionRule("events:DescribeEventBus", resource: { busArn($0.string("Name"), $0) }),
        "ListEventBuses": PermissionRule("events:ListEventBuses"),
        "DeleteEventBus": PermissionRule("events:DeleteEventBus", resource: { r in
            r.string("Name").flatMap { $0.isEmpty ? nil : busArn($0, r) } ?? "*"
        }),
        "PutRule": PermissionRule("events:PutRule", resource: { ruleArn($0, member: "Name") }, keys: { requestTagKeys(tagList($0)) }),
        "DescribeRule": PermissionRule("events:DescribeRule", resource: { ruleArn($0, member: "Name") }),
        "ListRules": PermissionRule("events:ListRules"),
        "DeleteRule": PermissionRule("events:DeleteRule", resource: { ruleArn($0, member: "Name") }),
        "EnableRule": PermissionRule("events:EnableRule", resource: { ruleArn($0, member: "Name") }),
        "DisableRule": PermissionRule("events:DisableRule", resource: { ruleArn($0, member: "Name") }),
        // A target with a RoleArn hands EventBridge that role: the caller needs iam:PassRole on it, as in AWS.
        "PutTargets": .all([PermissionRule("events:PutTargets", resource: { ruleArn($0, member: "Rule") }, keys: targetArnKeys),
                            PermissionRule(passTargetRoles)]),
        "RemoveTargets": PermissionRule("events:RemoveTargets", resource: { ruleArn($0, member: "Rule") }),
        "ListTargetsByRule": PermissionRule("events:ListTargetsByRule", resource: { ruleArn($0, member: "Rule") }),
        "ListRuleNamesByTarget": PermissionRule("events:ListRuleNamesByTarget"),
        "PutEvents": PermissionRule(putEventsPermissions),
        "TestEventPattern": PermissionRule("events:TestEventPattern"),
        "TagResource": PermissionRule("events:TagResource", resource: taggedArn, keys: { requestTagKeys(tagList($0)) }),
        "UntagResource": PermissionRule("events:UntagResource", resource: taggedArn, keys: untagKeys),
        "ListTagsForResource": PermissionRule("events:ListTagsForResource", resource: taggedArn),
        "CreateConnection": PermissionRule("events:CreateConnection", resource: { named($0, "connection") }),
        "DescribeConnection": PermissionRule("events:DescribeConnection", resource: { named($0, "connection") }),
        "ListConnections": PermissionRule("events:ListConnections"),
        "DeleteConnection": PermissionRule("events:DeleteConnection", resource: { named($0, "connection") }),
        // Two required resources: the destination being created and the connection it uses.
        "CreateApiDestination": PermissionRule.all([
            PermissionRule("events:CreateApiDestination", resource: { named($0, "api-destination") }),
            PermissionRule("events:CreateApiDestination", resource: connectionArn),
        ]),
        "DescribeApiDestination": PermissionRule("events:DescribeApiDestination", resource: { named($0, "api-destination") }),
        "ListApiDestinations": PermissionRule("events:ListApiDestinations"),
        "DeleteApiDestination": PermissionRule("events:DeleteApiDestination", resource: { named($0, "api-destination") }),
        "CreateArchive": PermissionRule("events:CreateArchive", resource: { archiveArn($0) }),
        "DescribeArchive": PermissionRule("events:DescribeArchive", resource: { archiveArn($0) }),
        "ListArchives": PermissionRule("events:ListArchives"),
        "UpdateArchive": PermissionRule("events:UpdateArchive", resource: { archiveArn($0) }),
        "DeleteArchive": PermissionRule("events:DeleteArchive", resource: { archiveArn($0) }),
        // StartReplay needs the replay and the archive it reads.
        "StartReplay": PermissionRule.all([
            PermissionRule("events:StartReplay", resource: { replayArn($0) }),
            PermissionRule("events:StartReplay", resource: { r in r.string("EventSourceArn").flatMap { $0.isEmpty ? nil : $0 } ?? "*" }),
        ]),
        "DescribeReplay": PermissionRule("events:DescribeReplay", resource: { replayArn($0) }),
        "ListReplays": PermissionRule("events:ListReplays"),
        "CancelReplay": PermissionRule("events:CancelReplay", resource: { replayArn($0) }),
    ]

    static func replayArn(_ r: PermissionRequest) -> String {
        guard let name = r.string("ReplayName"), !name.isEmpty else { return "*" }
        return r.arn("events", "replay/\(name)")
    }

    static func archiveArn(_ r: PermissionRequest) -> String {
        guard let name = r.string("ArchiveName"), !name.isEmpty else { return "*" }
        return r.arn("events", "archive/\(name)")
    }

    /// An event bus named by an `EventBusName`-style member: a name (in the caller's account and region), an ARN
    /// (whose account and region are kept, so a cross-account bus is checked as itself), or `default` when absent.
    struct BusReference: Equatable {
        var partition = "aws"
        var region: String
        var accountId: String
        var name: String

        var arn: String { "arn:\(partition):events:\(region):\(accountId):event-bus/\(name)" }

        /// `rule/<rule>` on the default bus, `rule/<bus>/<rule>` on any other.
        func ruleArn(_ rule: String) -> String {
            "arn:\(partition):events:\(region):\(accountId):rule/\(name == "default" ? rule : "\(name)/\(rule)")"
        }
    }

    /// nil for an ARN that is not an event bus's (the handler answers the error).
    static func busReference(_ text: String?, _ r: PermissionRequest) -> BusReference? {
        guard let text, !text.isEmpty else {
            return BusReference(region: r.context.region, accountId: r.context.accountId, name: "default")
        }
        guard text.hasPrefix("arn:") else { return BusReference(region: r.context.region, accountId: r.context.accountId, name: text) }
        guard let arn = ARN(text), arn.service == "events", arn.resource.hasPrefix("event-bus/") else { return nil }
        let name = String(arn.resource.dropFirst("event-bus/".count))
        guard !name.isEmpty else { return nil }
        return BusReference(partition: arn.partition, region: arn.region, accountId: arn.accountId, name: name)
    }

    static func busArn(_ text: String?, _ r: PermissionRequest) -> String {
        busReference(text, r)?.arn ?? "*"
    }

    /// CreateEventBus: the bus being created, in the caller's account.
    static func newBusArn(_ r: PermissionRequest) -> String {
        guard let name = r.string("Name"), !name.isEmpty else { return "*" }
        return r.arn("events", "event-bus/\(name)")
    }

    /// The rule `member` names (`Name`, or `Rule` for target operations) on the `EventBusName` bus.
    static func ruleArn(_ r: PermissionRequest, member: String) -> String {
        guard let name = r.string(member), !name.isEmpty, let bus = busReference(r.string("EventBusName"), r) else { return "*" }
        return bus.ruleArn(name)
    }

    /// Connections and API destinations by `Name`: `connection/<name>`, `api-destination/<name>`. (Their ARNs
    /// as created carry a generated id after the name; policies name them without it.)
    static func named(_ r: PermissionRequest, _ type: String) -> String {
        guard let name = r.string("Name"), !name.isEmpty else { return "*" }
        return r.arn("events", "\(type)/\(name)")
    }

    /// CreateApiDestination's `ConnectionArn` (`connection/<name>/<id>` as created) as policies name it:
    /// `connection/<name>`, in the ARN's own account and region.
    static func connectionArn(_ r: PermissionRequest) -> String {
        guard let text = r.string("ConnectionArn"), let arn = ARN(text), arn.service == "events" else { return "*" }
        let parts = arn.resource.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == "connection", !parts[1].isEmpty else { return "*" }
        return "arn:\(arn.partition):events:\(arn.region):\(arn.accountId):connection/\(parts[1])"
    }

    /// Tag operations act on `ResourceARN` as given.
    static func taggedArn(_ r: PermissionRequest) -> String {
        r.string("ResourceARN").flatMap { $0.isEmpty ? nil : $0 } ?? "*"
    }

    /// `Tags: [{Key, Value}]` (CreateEventBus, PutRule, TagResource); entries without a string key are left out.
    static func tagList(_ r: PermissionRequest) -> [(String, String)] {
        (r.input.json["Tags"]?.arrayValue ?? []).compactMap { t in
            t["Key"]?.stringValue.map { ($0, t["Value"]?.stringValue ?? "") }
        }
    }

    static func untagKeys(_ r: PermissionRequest) -> [String: [String]] {
        let keys = r.input.json["TagKeys"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return keys.isEmpty ? [:] : ["aws:TagKeys": keys]
    }

    /// PutTargets: `iam:PassRole` on each distinct `RoleArn` the targets name.
    static func passTargetRoles(_ r: PermissionRequest) -> [Permission] {
        var roles: [String] = []
        for target in r.input.json["Targets"]?.arrayValue ?? [] {
            if let role = target["RoleArn"]?.stringValue, !roles.contains(role) { roles.append(role) }
        }
        return roles.map { Permission(action: "iam:PassRole", resource: $0, keys: ["iam:PassedToService": ["events.amazonaws.com"]]) }
    }

    /// PutTargets: `events:TargetArn`, the ARNs of the targets being put.
    static func targetArnKeys(_ r: PermissionRequest) -> [String: [String]] {
        let arns = (r.input.json["Targets"]?.arrayValue ?? []).compactMap { $0["Arn"]?.stringValue }
        return arns.isEmpty ? [:] : ["events:TargetArn": arns]
    }

    /// PutEvents: `events:PutEvents` on each distinct bus the entries name (`default` when an entry names none), in
    /// the order first named, with `events:source` and `events:detail-type` from that bus's entries. An entry whose
    /// bus ARN is not a bus's is checked against `*` (the handler fails that entry). No entries: the default bus.
    static func putEventsPermissions(_ r: PermissionRequest) -> [Permission] {
        var order: [String] = []
        var sources: [String: [String]] = [:]
        var detailTypes: [String: [String]] = [:]
        for entry in r.input.json["Entries"]?.arrayValue ?? [] {
            let bus = busArn(entry["EventBusName"]?.stringValue, r)
            if sources[bus] == nil { order.append(bus); sources[bus] = []; detailTypes[bus] = [] }
            if let s = entry["Source"]?.stringValue, sources[bus]?.contains(s) == false { sources[bus]?.append(s) }
            if let d = entry["DetailType"]?.stringValue, detailTypes[bus]?.contains(d) == false { detailTypes[bus]?.append(d) }
        }
        if order.isEmpty { order = [busArn(nil, r)] }
        return order.map { bus in
            var keys: [String: [String]] = [:]
            if let s = sources[bus], !s.isEmpty { keys["events:source"] = s }
            if let d = detailTypes[bus], !d.isEmpty { keys["events:detail-type"] = d }
            return Permission(action: "events:PutEvents", resource: bus, keys: keys)
        }
    }
}

extension EventBridgeService {
    /// See `permissionTable`.
    public var permissions: [String: PermissionRule] { Self.permissionTable }

    /// Buses and rules: their tags (and a bus's stored policy, which Cairn never sets: it has no PutPermission).
    /// Connections and API destinations: existing, with no tags (the store keeps none for them). nil for an ARN
    /// that is not one of these or does not exist. The default bus always exists, whether or not it has been
    /// written to the store yet.
    public func resourceFacts(arn: String, context: CallContext) async throws -> ResourceFacts? {
        guard let parsed = ARN(arn), parsed.service == "events" else { return nil }
        let parts = parsed.resource.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, !parts.contains(where: \.isEmpty) else { return nil }
        let account = parsed.accountId, region = parsed.region
        switch (parts[0], parts.count) {
        case ("event-bus", 2):
            if let bus = try await bus(accountId: account, region: region, name: parts[1], context) {
                return ResourceFacts(policy: bus.policy, tags: bus.tags)
            }
            return parts[1] == "default" ? ResourceFacts() : nil
        case ("rule", 2), ("rule", 3):
            let bus = parts.count == 3 ? parts[1] : "default"
            guard let rule = try await store.rule(accountId: account, region: region, bus: bus, name: parts[parts.count - 1])
            else { return nil }
            return ResourceFacts(tags: rule.tags)
        case ("connection", 2), ("connection", 3), ("api-destination", 2), ("api-destination", 3):
            let kind: EventAPIResource.Kind = parts[0] == "connection" ? .connection : .destination
            guard try await store.apiResource(accountId: account, region: region, kind: kind, name: parts[1]) != nil
            else { return nil }
            return ResourceFacts()
        default:
            return nil
        }
    }
}
