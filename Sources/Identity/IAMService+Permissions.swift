import CairnCore
import Foundation
import Storage
import Wire

/// What IAM must allow for each IAM and STS operation (the Service Authorization Reference's IAM and STS tables).
extension IAMService {
    /// `arn:aws:iam::<account>:<type>/<name>` (IAM ARNs have no region).
    static func iamArn(_ r: PermissionRequest, _ type: String, _ name: String?) -> String {
        guard let name else { return "*" }
        return "arn:aws:iam::\(r.context.accountId):\(type)/\(name)"
    }

    /// The user a call names, or the caller itself (GetUser, CreateAccessKey without UserName).
    static func userArn(_ r: PermissionRequest) -> String {
        if let name = r.string("UserName") { return iamArn(r, "user", name) }
        return r.context.principal.arn ?? "*"
    }

    static func on(_ action: String, _ type: String, _ member: String) -> PermissionRule {
        PermissionRule("iam:\(action)", resource: { iamArn($0, type, $0.string(member)) })
    }

    static func policyArn(_ r: PermissionRequest) -> String { r.string("PolicyArn") ?? "*" }

    static func tagKeys(_ r: PermissionRequest) -> [String: [String]] {
        requestTagKeys(r.input.form.structList("Tags").compactMap { t in t["Key"].map { ($0, t["Value"] ?? "") } })
    }

    static let permissionTable: [String: PermissionRule] = {
        var t: [String: PermissionRule] = [:]
        for op in ["GetUser", "CreateAccessKey", "ListAccessKeys", "DeleteAccessKey"] {
            t[op] = PermissionRule("iam:\(op)", resource: userArn)
        }
        t["CreateUser"] = PermissionRule("iam:CreateUser", resource: { iamArn($0, "user", $0.string("UserName")) }, keys: tagKeys)
        t["CreateRole"] = PermissionRule("iam:CreateRole", resource: { iamArn($0, "role", $0.string("RoleName")) }, keys: tagKeys)
        for op in ["DeleteUser", "PutUserPolicy", "GetUserPolicy", "ListUserPolicies", "DeleteUserPolicy", "ListAttachedUserPolicies",
                   "ListGroupsForUser", "ListUserTags"] {
            t[op] = on(op, "user", "UserName")
        }
        t["TagUser"] = PermissionRule("iam:TagUser", resource: { iamArn($0, "user", $0.string("UserName")) }, keys: tagKeys)
        t["UntagUser"] = PermissionRule("iam:UntagUser", resource: { iamArn($0, "user", $0.string("UserName")) },
                                        keys: { ["aws:TagKeys": $0.input.form.list("TagKeys")] })
        for op in ["GetRole", "DeleteRole", "UpdateAssumeRolePolicy", "PutRolePolicy", "GetRolePolicy", "ListRolePolicies",
                   "DeleteRolePolicy", "ListAttachedRolePolicies", "ListRoleTags"] {
            t[op] = on(op, "role", "RoleName")
        }
        t["TagRole"] = PermissionRule("iam:TagRole", resource: { iamArn($0, "role", $0.string("RoleName")) }, keys: tagKeys)
        t["UntagRole"] = PermissionRule("iam:UntagRole", resource: { iamArn($0, "role", $0.string("RoleName")) },
                                        keys: { ["aws:TagKeys": $0.input.form.list("TagKeys")] })
        for op in ["CreateGroup", "GetGroup", "DeleteGroup", "PutGroupPolicy", "GetGroupPolicy", "ListGroupPolicies",
                   "DeleteGroupPolicy", "ListAttachedGroupPolicies", "AddUserToGroup", "RemoveUserFromGroup"] {
            t[op] = on(op, "group", "GroupName")
        }
        // Attaching is authorized on the identity, with the policy in `iam:PolicyARN`.
        for (op, type, member) in [("AttachUserPolicy", "user", "UserName"), ("DetachUserPolicy", "user", "UserName"),
                                   ("AttachGroupPolicy", "group", "GroupName"), ("DetachGroupPolicy", "group", "GroupName"),
                                   ("AttachRolePolicy", "role", "RoleName"), ("DetachRolePolicy", "role", "RoleName")] {
            t[op] = PermissionRule("iam:\(op)", resource: { iamArn($0, type, $0.string(member)) },
                                   keys: { r in r.string("PolicyArn").map { ["iam:PolicyARN": [$0]] } ?? [:] })
        }
        t["CreatePolicy"] = PermissionRule("iam:CreatePolicy", resource: { r in
            guard let name = r.string("PolicyName") else { return "*" }
            return "arn:aws:iam::\(r.context.accountId):policy\(r.string("Path") ?? "/")\(name)"
        })
        for op in ["GetPolicy", "DeletePolicy", "CreatePolicyVersion", "GetPolicyVersion", "ListPolicyVersions", "DeletePolicyVersion",
                   "SetDefaultPolicyVersion", "ListEntitiesForPolicy"] {
            t[op] = PermissionRule("iam:\(op)", resource: policyArn)
        }
        for op in ["ListUsers", "ListRoles", "ListGroups", "ListPolicies", "SimulateCustomPolicy"] {
            t[op] = PermissionRule("iam:\(op)")
        }
        t["SimulatePrincipalPolicy"] = PermissionRule("iam:SimulatePrincipalPolicy", resource: { $0.string("PolicySourceArn") ?? "*" })
        return t
    }()

    public var permissions: [String: PermissionRule] { Self.permissionTable }

    /// Users' and roles' tags, for `aws:ResourceTag/*` on IAM calls.
    public func resourceFacts(arn: String, context: CallContext) async throws -> ResourceFacts? {
        guard let parsed = ARN(arn), parsed.service == "iam", parsed.accountId == context.accountId else { return nil }
        let name = String(parsed.resource.split(separator: "/").last ?? "")
        if parsed.resource.hasPrefix("user/"), let u = try await store.user(accountId: context.accountId, userName: name) {
            return ResourceFacts(tags: Dictionary(u.tags.map { ($0.key, $0.value) }, uniquingKeysWith: { _, b in b }))
        }
        if parsed.resource.hasPrefix("role/"), let r = try await store.role(accountId: context.accountId, roleName: name) {
            return ResourceFacts(tags: Dictionary(r.tags.map { ($0.key, $0.value) }, uniquingKeysWith: { _, b in b }))
        }
        return nil
    }
}

extension STSService {
    static let permissionTable: [String: PermissionRule] = [
        // No permission is needed to ask who you are.
        "GetCallerIdentity": PermissionRule { _ in [] },
        "AssumeRole": PermissionRule("sts:AssumeRole", resource: { $0.string("RoleArn") ?? "*" },
                                     keys: { assumeRoleKeys($0.input.form) }),
    ]

    public var permissions: [String: PermissionRule] { Self.permissionTable }

    /// A role's trust policy (which must allow the call) and tags, for AssumeRole.
    public func resourceFacts(arn: String, context: CallContext) async throws -> ResourceFacts? {
        guard let parsed = ARN(arn), parsed.service == "iam", parsed.resource.hasPrefix("role/"),
              let role = try await store.role(accountId: parsed.accountId, roleName: String(parsed.resource.split(separator: "/").last ?? ""))
        else { return nil }
        return ResourceFacts(policy: role.assumeRolePolicy,
                             tags: Dictionary(role.tags.map { ($0.key, $0.value) }, uniquingKeysWith: { _, b in b }),
                             policyMustAllow: true)
    }
}
