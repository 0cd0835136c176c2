import CairnCore
import Foundation
import Policies
import Storage
import Wire

/// STS (query protocol): GetCallerIdentity and AssumeRole.
public struct STSService: AWSService {
    let store: any IdentityStore & PolicyStore
    let catalog: AWSManagedPolicies
    let clock: any WallClock

    public init(store: any IdentityStore & PolicyStore, catalog: AWSManagedPolicies, clock: any WallClock) {
        self.store = store
        self.catalog = catalog
        self.clock = clock
    }

    public let descriptor = ServiceDescriptor(
        signingName: "sts", eventSource: "sts.amazonaws.com",
        wireProtocol: .query(apiVersion: "2011-06-15", xmlNamespace: "https://sts.amazonaws.com/doc/2011-06-15/"))

    public let operations: Set<String> = ["GetCallerIdentity", "AssumeRole"]

    public func handle(operation: String, input: OperationInput, context: CallContext) async throws -> OperationResult {
        switch operation {
        case "GetCallerIdentity":
            let p = context.principal
            return OperationResult(output: .compact([
                ("UserId", p.principalId.map(JSONValue.string)), ("Account", .string(context.accountId)),
                ("Arn", p.arn.map(JSONValue.string)),
            ]))
        case "AssumeRole":
            return try await assumeRole(input.form, context)
        default:
            throw AWSError.unknownOperation(operation)
        }
    }

    /// AssumeRole's session policies: `Policy` (an inline document) and `PolicyArns` (managed policies, at most 10),
    /// as documents. They narrow what the role's policies allow the session.
    func sessionPolicies(_ form: QueryForm, _ ctx: CallContext) async throws -> [String] {
        var documents: [String] = []
        if let text = form["Policy"] {
            guard (1...2048).contains(text.count) else {
                throw AWSError(code: "ValidationError", status: 400,
                               message: "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048")
            }
            do {
                _ = try PolicyDocument(json: text, kind: .identity)
            } catch {
                throw AWSError(code: "MalformedPolicyDocument", status: 400, message: error.message)
            }
            documents.append(text)
        }
        let arns = form.structList("PolicyArns").compactMap { $0["arn"] }
        guard arns.count <= 10 else {
            throw AWSError(code: "ValidationError", status: 400,
                           message: "1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10")
        }
        for arn in arns {
            if let entry = catalog[arn] {
                documents.append(entry.text)
                continue
            }
            let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6, parts[2] == "iam", parts[4] == Substring(ctx.accountId), parts[5].hasPrefix("policy/"),
                  let name = parts[5].split(separator: "/").last,
                  let policy = try await store.managedPolicy(accountId: ctx.accountId, policyName: String(name)), policy.arn == arn,
                  let version = try await store.policyVersions(accountId: ctx.accountId, policyName: policy.policyName)
                      .first(where: { $0.version == policy.defaultVersion })
            else {
                throw AWSError(code: "InvalidParameterValue", status: 400, message: "Policy \(arn) does not exist or is not attachable.")
            }
            documents.append(version.document)
        }
        return documents
    }

    /// `sts:AssumeRole` on the role, with the call's condition keys, for the trust policy.
    static func assumeRequest(_ principal: PolicyPrincipal, role: IAMRoleRecord, form: QueryForm, _ ctx: CallContext) -> AuthorizationRequest {
        var context = Authorizer.context(call: ctx, tags: [])
        for (k, v) in assumeRoleKeys(form) { context[k] = v }
        return AuthorizationRequest(principal: principal, action: "sts:AssumeRole", resource: role.arn, context: context)
    }

    /// AssumeRole's own condition keys.
    static func assumeRoleKeys(_ form: QueryForm) -> [String: [String]] {
        var keys: [String: [String]] = [:]
        if let id = form["ExternalId"] { keys["sts:ExternalId"] = [id] }
        if let name = form["RoleSessionName"] { keys["sts:RoleSessionName"] = [name] }
        let tags = form.structList("Tags").compactMap { t in t["Key"].map { ($0, t["Value"] ?? "") } }
        for (k, v) in requestTagKeys(tags) { keys[k] = v }
        return keys
    }

    static func accessDenied(_ caller: Principal, _ roleArn: String) -> AWSError {
        AWSError(code: "AccessDenied", status: 403,
                 message: "User: \(caller.arn ?? "anonymous") is not authorized to perform: sts:AssumeRole on resource: \(roleArn)")
    }

    func assumeRole(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let roleArn = try form.required("RoleArn")
        let sessionName = try form.required("RoleSessionName")
        guard (2...64).contains(sessionName.count),
              sessionName.unicodeScalars.allSatisfy({ $0.value < 128 && (CharacterSetASCII.isAlnum(UInt8($0.value)) || "_=,.@-".unicodeScalars.contains($0)) })
        else {
            throw AWSError(code: "ValidationError", status: 400,
                           message: "1 validation error detected: Value '\(sessionName)' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*")
        }
        let sessionTags = form.structList("Tags")
        guard sessionTags.count <= 50 else {
            throw AWSError(code: "ValidationError", status: 400,
                           message: "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
        }
        guard let arn = ARN(roleArn), arn.service == "iam", arn.resource.hasPrefix("role/"), arn.accountId.count == 12 else {
            throw AWSError(code: "ValidationError", status: 400, message: "\(roleArn) is invalid")
        }
        let roleName = String(arn.resource.split(separator: "/").last ?? "")
        let resources = [CloudTrailRecord.Resource(type: "AWS::IAM::Role", name: roleArn, arn: roleArn)]
        if case .root = ctx.principal {
            throw OperationFailure(AWSError(code: "AccessDenied", status: 403, message: "Roles may not be assumed by root accounts."),
                                   resources: resources)
        }
        guard let role = try await store.role(accountId: arn.accountId, roleName: roleName), role.arn == roleArn || role.roleName == roleName,
              let trust = try? PolicyDocument(json: role.assumeRolePolicy, kind: .trust),
              let principal = Authorizer.policyPrincipal(ctx.principal),
              PolicyEvaluator.trustAllows(Self.assumeRequest(principal, role: role, form: form, ctx), trust: trust)
        else {
            throw OperationFailure(Self.accessDenied(ctx.principal, roleArn), resources: resources)
        }
        // Role chaining is limited to one hour, as in AWS.
        var maxDuration = role.maxSessionDuration
        if case .assumedRole = ctx.principal { maxDuration = min(maxDuration, 3600) }
        let duration = try form.int("DurationSeconds", in: 900...43200) ?? 3600
        guard duration <= maxDuration else {
            throw AWSError(code: "ValidationError", status: 400,
                           message: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        }
        let sessionPolicies = try await sessionPolicies(form, ctx)
        let now = clock.now()
        let expires = now.addingTimeInterval(TimeInterval(duration))
        let credential = CredentialRecord(
            accessKeyId: Identifiers.awsId(prefix: "ASIA"), secret: Identifiers.secretAccessKey(),
            accountId: role.accountId, kind: .session, createdAt: now, sessionToken: Identifiers.sessionToken(),
            expiresAt: expires, roleName: role.roleName, roleId: role.roleId, rolePath: role.path, sessionName: sessionName,
            sessionPolicies: sessionPolicies)
        try await store.createCredential(credential)
        let assumedArn = "arn:aws:sts::\(role.accountId):assumed-role/\(role.roleName)/\(sessionName)"
        let credentials: JSONValue = [
            "AccessKeyId": .string(credential.accessKeyId), "SecretAccessKey": .string(credential.secret),
            "SessionToken": .string(credential.sessionToken ?? ""), "Expiration": .timestamp(expires),
        ]
        let assumedUser: JSONValue = ["AssumedRoleId": .string("\(role.roleId):\(sessionName)"), "Arn": .string(assumedArn)]
        let elements: JSONValue = [
            "credentials": [
                "accessKeyId": .string(credential.accessKeyId), "sessionToken": .string(credential.sessionToken ?? ""),
                "expiration": .timestamp(expires),
            ],
            "assumedRoleUser": assumedUser.lowerCamelKeys,
        ]
        return OperationResult(output: ["Credentials": credentials, "AssumedRoleUser": assumedUser],
                               audit: AuditDetails(responseElements: elements, resources: resources,
                                                   additionalEventData: nil))
    }
}
