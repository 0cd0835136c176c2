import CairnCore
import Storage
import Wire

/// What IAM must allow for each CloudTrail operation, as the Service Authorization Reference names it, and the
/// facts (tags) authorization reads about a trail.
extension CloudTrailService {
    /// One row per operation, trail operations included (they are only answered when trails are configured).
    static let permissionTable: [String: PermissionRule] = [
        "LookupEvents": PermissionRule("cloudtrail:LookupEvents"),
        "CreateTrail": PermissionRule("cloudtrail:CreateTrail", resource: { trailArn($0, "Name") },
                                      keys: { requestTagKeys(tagPairs($0)) }),
        "UpdateTrail": PermissionRule("cloudtrail:UpdateTrail", resource: { trailArn($0, "Name") }),
        "DeleteTrail": PermissionRule("cloudtrail:DeleteTrail", resource: { trailArn($0, "Name") }),
        "DescribeTrails": PermissionRule("cloudtrail:DescribeTrails"),
        "GetTrail": PermissionRule("cloudtrail:GetTrail", resource: { trailArn($0, "Name") }),
        "ListTrails": PermissionRule("cloudtrail:ListTrails"),
        "GetTrailStatus": PermissionRule("cloudtrail:GetTrailStatus", resource: { trailArn($0, "Name") }),
        "StartLogging": PermissionRule("cloudtrail:StartLogging", resource: { trailArn($0, "Name") }),
        "StopLogging": PermissionRule("cloudtrail:StopLogging", resource: { trailArn($0, "Name") }),
        "PutEventSelectors": PermissionRule("cloudtrail:PutEventSelectors", resource: { trailArn($0, "TrailName") }),
        "GetEventSelectors": PermissionRule("cloudtrail:GetEventSelectors", resource: { trailArn($0, "TrailName") }),
        "AddTags": PermissionRule("cloudtrail:AddTags", resource: resourceId, keys: { requestTagKeys(tagPairs($0)) }),
        "RemoveTags": PermissionRule("cloudtrail:RemoveTags", resource: resourceId, keys: removedTagKeys),
        "ListTags": PermissionRule(listTagsPermissions),
        "ListPublicKeys": PermissionRule("cloudtrail:ListPublicKeys"),
    ]

    /// The trail a `Name` / `TrailName` member names: an ARN as given, else `trail/<name>` in the caller's account
    /// and region. `*` when missing (the handler answers the error).
    static func trailArn(_ r: PermissionRequest, _ member: String) -> String {
        guard let name = r.string(member), !name.isEmpty else { return "*" }
        return name.hasPrefix("arn:") ? name : r.arn("cloudtrail", "trail/\(name)")
    }

    /// AddTags / RemoveTags act on `ResourceId`, a trail ARN.
    static func resourceId(_ r: PermissionRequest) -> String {
        r.string("ResourceId").flatMap { $0.isEmpty ? nil : $0 } ?? "*"
    }

    /// `TagsList: [{Key, Value}]` (CreateTrail, AddTags); a missing value is the empty string, as the handler reads it.
    static func tagPairs(_ r: PermissionRequest) -> [(String, String)] {
        (r.input.json["TagsList"]?.arrayValue ?? []).compactMap { t in
            t["Key"]?.stringValue.map { ($0, t["Value"]?.stringValue ?? "") }
        }
    }

    /// RemoveTags: `aws:TagKeys` from the keys of `TagsList`.
    static func removedTagKeys(_ r: PermissionRequest) -> [String: [String]] {
        let keys = tagPairs(r).map(\.0)
        return keys.isEmpty ? [:] : ["aws:TagKeys": keys]
    }

    /// ListTags: `cloudtrail:ListTags` on each trail of `ResourceIdList`; `*` when the list is empty or missing.
    static func listTagsPermissions(_ r: PermissionRequest) -> [Permission] {
        var ids: [String] = []
        for id in (r.input.json["ResourceIdList"]?.arrayValue ?? []).compactMap(\.stringValue) where !ids.contains(id) {
            ids.append(id)
        }
        if ids.isEmpty { ids = ["*"] }
        return ids.map { Permission(action: "cloudtrail:ListTags", resource: $0) }
    }
}

extension CloudTrailService {
    /// See `permissionTable`.
    public var permissions: [String: PermissionRule] { Self.permissionTable }

    /// A trail's tags (trails have no resource policy); nil for an ARN that is not an existing trail, or when this
    /// service runs without trails.
    public func resourceFacts(arn: String, context: CallContext) async throws -> ResourceFacts? {
        guard let trails, let parsed = ARN(arn), parsed.service == "cloudtrail", parsed.resource.hasPrefix("trail/"),
              let trail = try await trails.store.trail(arn: arn)
        else { return nil }
        return ResourceFacts(tags: trail.tags)
    }
}
