import CairnCore
import Foundation
import Policies
import Storage
import Wire

/// Put/Get/List/Delete User, Group and Role Policy.
extension IAMService {
    /// The owner an inline-policy operation names: `PutUserPolicy` → the user in `UserName`.
    static func owner(of operation: String, _ form: QueryForm) throws(AWSError) -> PolicyOwner {
        for kind in [PolicyOwner.Kind.user, .group, .role] {
            let title = kind.rawValue.prefix(1).uppercased() + kind.rawValue.dropFirst()
            if operation.contains(title) { return PolicyOwner(kind, try form.required("\(title)Name")) }
        }
        throw AWSError.unknownOperation(operation)
    }

    static func ownerResource(_ owner: PolicyOwner) -> [CloudTrailRecord.Resource] {
        let title = owner.kind.rawValue.prefix(1).uppercased() + owner.kind.rawValue.dropFirst()
        return [.init(type: "AWS::IAM::\(title)", name: owner.name)]
    }

    /// IAM's size quotas for inline policies, in characters without whitespace.
    static func inlineLimit(_ kind: PolicyOwner.Kind) -> Int {
        switch kind {
        case .user: return 2048
        case .group: return 5120
        case .role: return 10240
        }
    }

    /// A policy document from `PolicyDocument`, validated as IAM validates identity policies.
    static func identityDocument(_ form: QueryForm, tooLarge: (Int) -> AWSError?) throws(AWSError) -> String {
        let text = try form.required("PolicyDocument")
        guard (1...131072).contains(text.count) else {
            throw AWSError(code: "ValidationError", status: 400,
                           message: "1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member must have length less than or equal to 131072")
        }
        if let e = tooLarge(PolicyDocument.quotaSize(text)) { throw e }
        do {
            _ = try PolicyDocument(json: text, kind: .identity)
        } catch {
            throw AWSError(code: "MalformedPolicyDocument", status: 400, message: error.message)
        }
        return text
    }

    static func storeFailure(_ error: any Error, resources: [CloudTrailRecord.Resource]) -> any Error {
        guard let e = error as? StoreError else { return error }
        if e.isNotFound { return OperationFailure(AWSError(code: "NoSuchEntity", status: 404, message: e.message), resources: resources) }
        if e.isLimit { return OperationFailure(AWSError(code: "LimitExceeded", status: 409, message: e.message), resources: resources) }
        if e.isConflict { return OperationFailure(AWSError(code: "DeleteConflict", status: 409, message: e.message), resources: resources) }
        if e.isDuplicate { return OperationFailure(AWSError(code: "EntityAlreadyExists", status: 409, message: e.message), resources: resources) }
        return error
    }

    func putInlinePolicy(_ operation: String, _ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let owner = try Self.owner(of: operation, form)
        let name = try form.required("PolicyName")
        try IAMNames.validateName(name, member: "policyName", max: 128)
        let document = try Self.identityDocument(form) { size in
            let limit = Self.inlineLimit(owner.kind)
            return size > limit ? AWSError(code: "LimitExceeded", status: 409,
                                           message: "Maximum policy size of \(limit) bytes exceeded for \(owner.kind.rawValue) \(owner.name)") : nil
        }
        do {
            try await policies.putInlinePolicy(accountId: ctx.accountId, owner: owner, name: name, document: document)
        } catch {
            throw Self.storeFailure(error, resources: Self.ownerResource(owner))
        }
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.ownerResource(owner)))
    }

    func getInlinePolicy(_ operation: String, _ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let owner = try Self.owner(of: operation, form)
        let name = try form.required("PolicyName")
        let title = owner.kind.rawValue.prefix(1).uppercased() + owner.kind.rawValue.dropFirst()
        guard let found = try await policies.inlinePolicy(accountId: ctx.accountId, owner: owner, name: name) else {
            throw OperationFailure(AWSError(code: "NoSuchEntity", status: 404,
                                            message: "The \(owner.kind.rawValue) policy with name \(name) cannot be found."),
                                   resources: Self.ownerResource(owner))
        }
        return OperationResult(
            output: .object([("\(title)Name", .string(owner.name)), ("PolicyName", .string(found.name)),
                             ("PolicyDocument", .string(SigV4.percentEncode(found.document, keepSlash: false)))]),
            audit: AuditDetails(resources: Self.ownerResource(owner)))
    }

    func listInlinePolicies(_ operation: String, _ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let owner = try Self.owner(of: operation, form)
        let names: [String]
        do {
            names = try await policies.inlinePolicyNames(accountId: ctx.accountId, owner: owner)
        } catch {
            throw Self.storeFailure(error, resources: Self.ownerResource(owner))
        }
        let (page, output) = try Self.page(names, form, key: { $0 })
        return OperationResult(output: .object([("PolicyNames", .array(page.map(JSONValue.string)))] + output),
                               audit: AuditDetails(resources: Self.ownerResource(owner)))
    }

    func deleteInlinePolicy(_ operation: String, _ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let owner = try Self.owner(of: operation, form)
        let name = try form.required("PolicyName")
        do {
            try await policies.deleteInlinePolicy(accountId: ctx.accountId, owner: owner, name: name)
        } catch {
            throw Self.storeFailure(error, resources: Self.ownerResource(owner))
        }
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.ownerResource(owner)))
    }

    /// One page of an in-memory listing, by `Marker` and `MaxItems`, with `IsTruncated` and the next `Marker`.
    static func page<T>(_ items: [T], _ form: QueryForm, key: (T) -> String) throws(AWSError) -> (ArraySlice<T>, [(String, JSONValue)]) {
        let limit = try form.int("MaxItems", in: 1...1000) ?? 100
        let after = try marker(form)
        let rest = after.map { m in items.drop(while: { key($0).lowercased() <= m.lowercased() }) } ?? items[...]
        let page = rest.prefix(limit)
        var output: [(String, JSONValue)] = [("IsTruncated", .bool(rest.count > limit))]
        if rest.count > limit, let last = page.last { output.append(("Marker", .string(marker(after: key(last))))) }
        return (page, output)
    }
}
