import CairnCore
import Foundation
import Policies
import Storage
import Wire

/// Tag/Untag/List tags of users and roles; a role's trust policy.
extension IAMService {
    /// The user or role a tagging operation names, with its current tags.
    func taggable(_ operation: String, _ form: QueryForm, _ ctx: CallContext) async throws -> (PolicyOwner, [IAMTag]) {
        let owner = try Self.owner(of: operation, form)
        let tags: [IAMTag]?
        switch owner.kind {
        case .user: tags = try await store.user(accountId: ctx.accountId, userName: owner.name)?.tags
        case .role: tags = try await store.role(accountId: ctx.accountId, roleName: owner.name)?.tags
        case .group: tags = nil
        }
        guard let tags else {
            throw OperationFailure(owner.kind == .user ? Self.noSuchUser(owner.name) : Self.noSuchRole(owner.name),
                                   resources: Self.ownerResource(owner))
        }
        return (owner, tags)
    }

    func saveTags(_ owner: PolicyOwner, _ tags: [IAMTag], _ ctx: CallContext) async throws {
        do {
            if owner.kind == .user {
                try await policies.setUserTags(accountId: ctx.accountId, userName: owner.name, tags: tags)
            } else {
                try await policies.setRoleTags(accountId: ctx.accountId, roleName: owner.name, tags: tags)
            }
        } catch {
            throw Self.storeFailure(error, resources: Self.ownerResource(owner))
        }
    }

    func tagEntity(_ operation: String, _ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let (owner, current) = try await taggable(operation, form, ctx)
        let entity = owner.kind == .user ? "User" : "Role"
        let given = try Self.tags(form, entity: entity)
        guard !given.isEmpty else {
            throw AWSError(code: "ValidationError", status: 400,
                           message: "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null")
        }
        var merged = current
        for tag in given {
            if let i = merged.firstIndex(where: { $0.key.lowercased() == tag.key.lowercased() }) { merged[i] = tag } else { merged.append(tag) }
        }
        guard merged.count <= Self.maxTags else {
            throw OperationFailure(AWSError(code: "LimitExceeded", status: 409, message: "Cannot exceed quota for TagsPer\(entity): \(Self.maxTags)."),
                                   resources: Self.ownerResource(owner))
        }
        try await saveTags(owner, merged, ctx)
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.ownerResource(owner)))
    }

    func untagEntity(_ operation: String, _ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let (owner, current) = try await taggable(operation, form, ctx)
        let keys = Set(form.list("TagKeys").map { $0.lowercased() })
        guard !keys.isEmpty else {
            throw AWSError(code: "ValidationError", status: 400,
                           message: "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null")
        }
        try await saveTags(owner, current.filter { !keys.contains($0.key.lowercased()) }, ctx)
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.ownerResource(owner)))
    }

    func listEntityTags(_ operation: String, _ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let (owner, tags) = try await taggable(operation, form, ctx)
        let (page, paging) = try Self.page(tags, form, key: \.key)
        return OperationResult(
            output: .object([("Tags", .array(page.map { ["Key": .string($0.key), "Value": .string($0.value)] }))] + paging),
            audit: AuditDetails(resources: Self.ownerResource(owner)))
    }

    func updateAssumeRolePolicy(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let name = try form.required("RoleName")
        let document = try form.required("PolicyDocument")
        do {
            _ = try PolicyDocument(json: document, kind: .trust)
        } catch {
            throw OperationFailure(AWSError(code: "MalformedPolicyDocument", status: 400, message: error.message),
                                   resources: Self.roleResource(name))
        }
        do {
            try await policies.updateAssumeRolePolicy(accountId: ctx.accountId, roleName: name, document: document)
        } catch {
            throw Self.storeFailure(error, resources: Self.roleResource(name))
        }
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.roleResource(name)))
    }
}
