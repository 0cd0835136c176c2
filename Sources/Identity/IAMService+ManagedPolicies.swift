import CairnCore
import Foundation
import Policies
import Storage
import Wire

/// Managed policies: customer managed ones in the store, AWS managed ones from the bundled catalog.
extension IAMService {
    /// A policy ARN, resolved: an AWS managed policy, or a customer managed one of the caller's account (by name).
    enum PolicyRef {
        case aws(AWSManagedPolicies.Entry)
        case customer(name: String)
    }

    static let maxManagedPerIdentity = 10
    static let managedPolicySizeLimit = 6144

    static func policyResource(_ arn: String) -> [CloudTrailRecord.Resource] {
        [.init(type: "AWS::IAM::Policy", name: arn, arn: arn)]
    }

    func policyRef(_ arn: String, _ ctx: CallContext) throws(AWSError) -> PolicyRef {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[1] == "aws", parts[2] == "iam", parts[3].isEmpty,
              parts[5].hasPrefix("policy/"), let name = parts[5].split(separator: "/").last, !name.isEmpty else {
            throw AWSError(code: "InvalidInput", status: 400, message: "ARN \(arn) is not valid.")
        }
        let notFound = AWSError(code: "NoSuchEntity", status: 404, message: "Policy \(arn) does not exist or is not attachable.")
        if parts[4] == "aws" {
            guard let entry = catalog[arn] else { throw notFound }
            return .aws(entry)
        }
        guard parts[4] == Substring(ctx.accountId) else { throw notFound }
        return .customer(name: String(name))
    }

    /// The customer managed policy an ARN names, which must exist with exactly that ARN.
    func customerPolicy(_ arn: String, _ ctx: CallContext) async throws -> ManagedPolicyRecord {
        guard case .customer(let name) = try policyRef(arn, ctx) else {
            throw OperationFailure(AWSError(code: "AccessDenied", status: 403,
                                            message: "Policy \(arn) is an AWS managed policy: it cannot be changed or deleted."),
                                   resources: Self.policyResource(arn))
        }
        guard let p = try await policies.managedPolicy(accountId: ctx.accountId, policyName: name), p.arn == arn else {
            throw OperationFailure(AWSError(code: "NoSuchEntity", status: 404, message: "Policy \(arn) does not exist or is not attachable."),
                                   resources: Self.policyResource(arn))
        }
        return p
    }

    static func policyShape(_ p: ManagedPolicyRecord, attachments: Int, withDescription: Bool) -> JSONValue {
        .compact([
            ("PolicyName", .string(p.policyName)), ("PolicyId", .string(p.policyId)), ("Arn", .string(p.arn)),
            ("Path", .string(p.path)), ("DefaultVersionId", .string("v\(p.defaultVersion)")),
            ("AttachmentCount", .int(Int64(attachments))), ("PermissionsBoundaryUsageCount", 0), ("IsAttachable", true),
            ("Description", withDescription ? p.description.map(JSONValue.string) : nil),
            ("CreateDate", .timestamp(p.createdAt)), ("UpdateDate", .timestamp(p.updatedAt)),
        ])
    }

    static func policyShape(_ e: AWSManagedPolicies.Entry, attachments: Int) -> JSONValue {
        .object([("PolicyName", .string(e.name)), ("PolicyId", .string(e.policyId)), ("Arn", .string(e.arn)), ("Path", .string(e.path)),
                 ("DefaultVersionId", .string(e.versionId)), ("AttachmentCount", .int(Int64(attachments))),
                 ("PermissionsBoundaryUsageCount", 0), ("IsAttachable", true),
                 ("CreateDate", .timestamp(e.createdAt)), ("UpdateDate", .timestamp(e.createdAt))])
    }

    static func version(_ form: QueryForm) throws(AWSError) -> Int {
        let text = try form.required("VersionId")
        guard text.hasPrefix("v"), let n = Int(text.dropFirst()), n >= 1, !text.dropFirst().hasPrefix("0") else {
            throw AWSError(code: "ValidationError", status: 400,
                           message: "1 validation error detected: Value '\(text)' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?")
        }
        return n
    }

    func createPolicy(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let name = try form.required("PolicyName")
        try IAMNames.validateName(name, member: "policyName", max: 128)
        let path = form["Path"] ?? "/"
        try IAMNames.validatePath(path)
        if let d = form["Description"], d.count > 1000 {
            throw AWSError(code: "ValidationError", status: 400,
                           message: "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000")
        }
        if !form.structList("Tags").isEmpty {
            throw AWSError(code: "InvalidInput", status: 400, message: "Cairn does not keep tags on managed policies; create the policy without Tags.")
        }
        let document = try Self.identityDocument(form) { size in
            size > Self.managedPolicySizeLimit
                ? AWSError(code: "LimitExceeded", status: 409, message: "Cannot exceed quota for PolicySize: \(Self.managedPolicySizeLimit)") : nil
        }
        let now = clock.now()
        let policy = ManagedPolicyRecord(accountId: ctx.accountId, policyName: name, policyId: Identifiers.awsId(prefix: "ANPA"),
                                         path: path, description: form["Description"], createdAt: now, updatedAt: now)
        do {
            try await policies.createManagedPolicy(policy, document: document)
        } catch let e as StoreError where e.isDuplicate {
            throw OperationFailure(AWSError(code: "EntityAlreadyExists", status: 409,
                                            message: "A policy called \(name) already exists. Duplicate names are not allowed."),
                                   resources: Self.policyResource(policy.arn))
        }
        let shape = Self.policyShape(policy, attachments: 0, withDescription: true)
        return OperationResult(output: ["Policy": shape],
                               audit: AuditDetails(responseElements: ["policy": shape.lowerCamelKeys], resources: Self.policyResource(policy.arn)))
    }

    func getPolicy(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let arn = try form.required("PolicyArn")
        let counts = try await policies.attachmentCounts(accountId: ctx.accountId)
        switch try policyRef(arn, ctx) {
        case .aws(let entry):
            return OperationResult(output: ["Policy": Self.policyShape(entry, attachments: counts[arn] ?? 0)],
                                   audit: AuditDetails(resources: Self.policyResource(arn)))
        case .customer:
            let p = try await customerPolicy(arn, ctx)
            return OperationResult(output: ["Policy": Self.policyShape(p, attachments: counts[arn] ?? 0, withDescription: true)],
                                   audit: AuditDetails(resources: Self.policyResource(arn)))
        }
    }

    func listPolicies(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let scope = form["Scope"] ?? "All"
        guard ["All", "AWS", "Local"].contains(scope) else {
            throw AWSError(code: "ValidationError", status: 400,
                           message: "1 validation error detected: Value '\(scope)' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]")
        }
        let onlyAttached = form["OnlyAttached"]?.lowercased() == "true"
        let prefix = form["PathPrefix"] ?? "/"
        try IAMNames.validatePath(prefix.hasSuffix("/") ? prefix : prefix + "/")
        let counts = try await policies.attachmentCounts(accountId: ctx.accountId)
        var all: [(name: String, shape: JSONValue)] = []
        if scope != "Local" {
            for e in catalog.sorted where e.path.hasPrefix(prefix) && (!onlyAttached || counts[e.arn, default: 0] > 0) {
                all.append((e.name, Self.policyShape(e, attachments: counts[e.arn] ?? 0)))
            }
        }
        if scope != "AWS" {
            for p in try await policies.managedPolicies(accountId: ctx.accountId, pathPrefix: prefix, after: nil, limit: 10_000)
            where !onlyAttached || counts[p.arn, default: 0] > 0 {
                all.append((p.policyName, Self.policyShape(p, attachments: counts[p.arn] ?? 0, withDescription: false)))
            }
        }
        all.sort { $0.name.lowercased() < $1.name.lowercased() }
        let (page, paging) = try Self.page(all, form, key: \.name)
        return OperationResult(output: .object([("Policies", .array(page.map(\.shape)))] + paging))
    }

    func deletePolicy(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let arn = try form.required("PolicyArn")
        let p = try await customerPolicy(arn, ctx)
        do {
            try await policies.deleteManagedPolicy(accountId: ctx.accountId, policyName: p.policyName)
        } catch {
            throw Self.storeFailure(error, resources: Self.policyResource(arn))
        }
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.policyResource(arn)))
    }

    // MARK: Versions

    static func versionShape(_ v: PolicyVersionRecord, isDefault: Bool, withDocument: Bool) -> JSONValue {
        .compact([
            ("Document", withDocument ? .string(SigV4.percentEncode(v.document, keepSlash: false)) : nil),
            ("VersionId", .string("v\(v.version)")), ("IsDefaultVersion", .bool(isDefault)), ("CreateDate", .timestamp(v.createdAt)),
        ])
    }

    func createPolicyVersion(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let arn = try form.required("PolicyArn")
        let p = try await customerPolicy(arn, ctx)
        let document = try Self.identityDocument(form) { size in
            size > Self.managedPolicySizeLimit
                ? AWSError(code: "LimitExceeded", status: 409, message: "Cannot exceed quota for PolicySize: \(Self.managedPolicySizeLimit)") : nil
        }
        let setDefault = form["SetAsDefault"]?.lowercased() == "true"
        let now = clock.now()
        let version: Int
        do {
            version = try await policies.createPolicyVersion(accountId: ctx.accountId, policyName: p.policyName, document: document,
                                                             setDefault: setDefault, at: now)
        } catch {
            throw Self.storeFailure(error, resources: Self.policyResource(arn))
        }
        let shape = Self.versionShape(PolicyVersionRecord(version: version, document: document, createdAt: now),
                                      isDefault: setDefault, withDocument: false)
        return OperationResult(output: ["PolicyVersion": shape],
                               audit: AuditDetails(responseElements: ["policyVersion": shape.lowerCamelKeys], resources: Self.policyResource(arn)))
    }

    func getPolicyVersion(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let arn = try form.required("PolicyArn")
        let wanted = try Self.version(form)
        let missing = OperationFailure(AWSError(code: "NoSuchEntity", status: 404,
                                                message: "Policy \(arn) version v\(wanted) does not exist or is not attachable."),
                                       resources: Self.policyResource(arn))
        if case .aws(let entry) = try policyRef(arn, ctx) {
            guard entry.versionId == "v\(wanted)" else { throw missing }
            let v = PolicyVersionRecord(version: wanted, document: entry.text, createdAt: entry.createdAt)
            return OperationResult(output: ["PolicyVersion": Self.versionShape(v, isDefault: true, withDocument: true)],
                                   audit: AuditDetails(resources: Self.policyResource(arn)))
        }
        let p = try await customerPolicy(arn, ctx)
        guard let v = try await policies.policyVersions(accountId: ctx.accountId, policyName: p.policyName).first(where: { $0.version == wanted })
        else { throw missing }
        return OperationResult(output: ["PolicyVersion": Self.versionShape(v, isDefault: v.version == p.defaultVersion, withDocument: true)],
                               audit: AuditDetails(resources: Self.policyResource(arn)))
    }

    func listPolicyVersions(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let arn = try form.required("PolicyArn")
        var shapes: [JSONValue]
        if case .aws(let entry) = try policyRef(arn, ctx) {
            let v = PolicyVersionRecord(version: Int(entry.versionId.dropFirst()) ?? 1, document: entry.text, createdAt: entry.createdAt)
            shapes = [Self.versionShape(v, isDefault: true, withDocument: false)]
        } else {
            let p = try await customerPolicy(arn, ctx)
            shapes = try await policies.policyVersions(accountId: ctx.accountId, policyName: p.policyName).map {
                Self.versionShape($0, isDefault: $0.version == p.defaultVersion, withDocument: false)
            }
        }
        return OperationResult(output: ["Versions": .array(shapes), "IsTruncated": false],
                               audit: AuditDetails(resources: Self.policyResource(arn)))
    }

    func deletePolicyVersion(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let arn = try form.required("PolicyArn")
        let version = try Self.version(form)
        let p = try await customerPolicy(arn, ctx)
        do {
            try await policies.deletePolicyVersion(accountId: ctx.accountId, policyName: p.policyName, version: version)
        } catch {
            throw Self.storeFailure(error, resources: Self.policyResource(arn))
        }
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.policyResource(arn)))
    }

    func setDefaultPolicyVersion(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let arn = try form.required("PolicyArn")
        let version = try Self.version(form)
        let p = try await customerPolicy(arn, ctx)
        do {
            try await policies.setDefaultPolicyVersion(accountId: ctx.accountId, policyName: p.policyName, version: version, at: clock.now())
        } catch {
            throw Self.storeFailure(error, resources: Self.policyResource(arn))
        }
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.policyResource(arn)))
    }
}
