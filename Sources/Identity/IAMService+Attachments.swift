import CairnCore
import Foundation
import Storage
import Wire

/// Attach/Detach User, Group and Role Policy; the listings of what is attached where.
extension IAMService {
    /// Checks that a policy ARN names an existing policy (AWS or this account's).
    func requireAttachable(_ arn: String, _ ctx: CallContext) async throws {
        if case .customer = try policyRef(arn, ctx) { _ = try await customerPolicy(arn, ctx) }
    }

    func changeAttachment(_ operation: String, _ form: QueryForm, _ ctx: CallContext, attach: Bool) async throws -> OperationResult {
        let owner = try Self.owner(of: operation, form)
        let arn = try form.required("PolicyArn")
        let resources = Self.ownerResource(owner) + Self.policyResource(arn)
        do {
            if attach {
                try await requireAttachable(arn, ctx)
                try await policies.attachPolicy(accountId: ctx.accountId, owner: owner, policyArn: arn, limit: Self.maxManagedPerIdentity)
            } else {
                _ = try policyRef(arn, ctx)
                try await policies.detachPolicy(accountId: ctx.accountId, owner: owner, policyArn: arn)
            }
        } catch let f as OperationFailure {
            throw OperationFailure(f.error, resources: resources)
        } catch let e as AWSError {
            throw OperationFailure(e, resources: resources)
        } catch {
            throw Self.storeFailure(error, resources: resources)
        }
        return OperationResult(output: .object([]), audit: AuditDetails(resources: resources))
    }

    func listAttachedPolicies(_ operation: String, _ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let owner = try Self.owner(of: operation, form)
        let prefix = form["PathPrefix"] ?? "/"
        let arns: [String]
        do {
            arns = try await policies.attachedPolicies(accountId: ctx.accountId, owner: owner)
        } catch {
            throw Self.storeFailure(error, resources: Self.ownerResource(owner))
        }
        let attached: [(name: String, arn: String)] = arns.compactMap { arn in
            let resource = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).last ?? ""
            let path = resource.dropFirst("policy".count)
            guard path.hasPrefix(prefix), let name = path.split(separator: "/").last else { return nil }
            return (String(name), arn)
        }.sorted { $0.name.lowercased() < $1.name.lowercased() }
        let (page, paging) = try Self.page(attached, form, key: \.name)
        let shapes: [JSONValue] = page.map { ["PolicyName": .string($0.name), "PolicyArn": .string($0.arn)] }
        return OperationResult(output: .object([("AttachedPolicies", .array(shapes))] + paging),
                               audit: AuditDetails(resources: Self.ownerResource(owner)))
    }

    func listEntitiesForPolicy(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let arn = try form.required("PolicyArn")
        try await requireAttachable(arn, ctx)
        let filter = form["EntityFilter"]
        if let filter, !["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"].contains(filter) {
            throw AWSError(code: "ValidationError", status: 400,
                           message: "1 validation error detected: Value '\(filter)' at 'entityFilter' failed to satisfy constraint: Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]")
        }
        let prefix = form["PathPrefix"] ?? "/"
        var users: [JSONValue] = []
        var groups: [JSONValue] = []
        var roles: [JSONValue] = []
        for owner in try await policies.policyEntities(accountId: ctx.accountId, policyArn: arn) {
            switch owner.kind {
            case .user where filter == nil || filter == "User":
                if let u = try await store.user(accountId: ctx.accountId, userName: owner.name), u.path.hasPrefix(prefix) {
                    users.append(["UserName": .string(u.userName), "UserId": .string(u.userId)])
                }
            case .group where filter == nil || filter == "Group":
                if let g = try await policies.group(accountId: ctx.accountId, groupName: owner.name), g.path.hasPrefix(prefix) {
                    groups.append(["GroupName": .string(g.groupName), "GroupId": .string(g.groupId)])
                }
            case .role where filter == nil || filter == "Role":
                if let r = try await store.role(accountId: ctx.accountId, roleName: owner.name), r.path.hasPrefix(prefix) {
                    roles.append(["RoleName": .string(r.roleName), "RoleId": .string(r.roleId)])
                }
            default:
                break
            }
        }
        return OperationResult(output: ["PolicyGroups": .array(groups), "PolicyUsers": .array(users), "PolicyRoles": .array(roles),
                                        "IsTruncated": false],
                               audit: AuditDetails(resources: Self.policyResource(arn)))
    }
}
