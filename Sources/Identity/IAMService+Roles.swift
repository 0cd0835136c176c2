import CairnCore
import Foundation
import Policies
import Storage
import Wire

extension IAMService {
    /// A role as IAM shows it; `withTags` for CreateRole and GetRole (ListRoles leaves tags out).
    static func roleShape(_ r: IAMRoleRecord, withTags: Bool = false) -> JSONValue {
        .compact([
            ("Path", .string(r.path)), ("RoleName", .string(r.roleName)), ("RoleId", .string(r.roleId)),
            ("Arn", .string(r.arn)), ("CreateDate", .timestamp(r.createdAt)),
            // IAM returns policy documents URL-encoded; botocore decodes them.
            ("AssumeRolePolicyDocument", .string(SigV4.percentEncode(r.assumeRolePolicy, keepSlash: false))),
            ("Description", r.description.map(JSONValue.string)),
            ("MaxSessionDuration", .int(Int64(r.maxSessionDuration))),
            ("Tags", withTags ? tagsShape(r.tags) : nil),
        ])
    }

    func createRole(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let name = try form.required("RoleName")
        try IAMNames.validateName(name, member: "roleName")
        let path = form["Path"] ?? "/"
        try IAMNames.validatePath(path)
        let document = try form.required("AssumeRolePolicyDocument")
        do {
            _ = try PolicyDocument(json: document, kind: .trust)
        } catch {
            throw OperationFailure(AWSError(code: "MalformedPolicyDocument", status: 400, message: error.message),
                                   resources: Self.roleResource(name))
        }
        let maxDuration = try form.int("MaxSessionDuration", in: 3600...43200) ?? 3600
        if let d = form["Description"], d.count > 1000 {
            throw AWSError(code: "ValidationError", status: 400,
                           message: "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000")
        }
        let role = IAMRoleRecord(accountId: ctx.accountId, roleName: name, roleId: Identifiers.awsId(prefix: "AROA"),
                                 path: path, assumeRolePolicy: document, description: form["Description"],
                                 maxSessionDuration: maxDuration, createdAt: clock.now(),
                                 tags: try Self.tags(form, entity: "Role"))
        do {
            try await store.createRole(role)
        } catch let e as StoreError where e.isDuplicate {
            throw OperationFailure(AWSError(code: "EntityAlreadyExists", status: 409,
                                            message: "Role with name \(name) already exists."),
                                   resources: Self.roleResource(name))
        }
        let shape = Self.roleShape(role, withTags: true)
        var elements = shape.lowerCamelKeys
        if case .object(var m) = elements {
            // Records carry the policy document as sent, not URL-encoded.
            if let i = m.firstIndex(where: { $0.0 == "assumeRolePolicyDocument" }) { m[i].1 = .string(document) }
            elements = .object(m)
        }
        return OperationResult(output: ["Role": shape],
                               audit: AuditDetails(responseElements: ["role": elements], resources: Self.roleResource(name)))
    }

    func getRole(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let name = try form.required("RoleName")
        guard let role = try await store.role(accountId: ctx.accountId, roleName: name) else {
            throw OperationFailure(Self.noSuchRole(name), resources: Self.roleResource(name))
        }
        return OperationResult(output: ["Role": Self.roleShape(role, withTags: true)],
                               audit: AuditDetails(resources: Self.roleResource(role.roleName)))
    }

    func listRoles(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let limit = try form.int("MaxItems", in: 1...1000) ?? 100
        let prefix = form["PathPrefix"] ?? "/"
        let page = try await store.roles(accountId: ctx.accountId, pathPrefix: prefix, after: try Self.marker(form), limit: limit + 1)
        let roles = page.prefix(limit)
        var output: [(String, JSONValue)] = [("Roles", .array(roles.map { Self.roleShape($0) })),
                                             ("IsTruncated", .bool(page.count > limit))]
        if page.count > limit, let last = roles.last { output.append(("Marker", .string(Self.marker(after: last.roleName)))) }
        return OperationResult(output: .object(output))
    }

    func deleteRole(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let name = try form.required("RoleName")
        do {
            try await store.deleteRole(accountId: ctx.accountId, roleName: name)
        } catch let e as StoreError where e.isNotFound {
            throw OperationFailure(Self.noSuchRole(name), resources: Self.roleResource(name))
        } catch {
            throw Self.storeFailure(error, resources: Self.roleResource(name))
        }
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.roleResource(name)))
    }
}
