import CairnCore
import Foundation
import Storage
import Wire

/// IAM (query protocol): users, groups, roles, access keys, inline and managed policies, and the policy simulator.
public struct IAMService: AWSService {
    let store: any IdentityStore
    let policies: any PolicyStore
    let catalog: AWSManagedPolicies
    let authorizer: Authorizer
    let directory: CredentialDirectory
    let clock: any WallClock

    public init(store: any IdentityStore & PolicyStore, authorizer: Authorizer, directory: CredentialDirectory, clock: any WallClock) {
        self.store = store
        self.policies = store
        self.catalog = authorizer.catalog
        self.authorizer = authorizer
        self.directory = directory
        self.clock = clock
    }

    public static let xmlNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"

    public let descriptor = ServiceDescriptor(
        signingName: "iam", eventSource: "iam.amazonaws.com",
        wireProtocol: .query(apiVersion: "2010-05-08", xmlNamespace: IAMService.xmlNamespace),
        readOnlyOperations: ["SimulatePrincipalPolicy", "SimulateCustomPolicy"],
        recordRegion: "us-east-1")

    public let operations: Set<String> = [
        "CreateUser", "GetUser", "ListUsers", "DeleteUser", "CreateAccessKey", "ListAccessKeys", "DeleteAccessKey",
        "CreateRole", "GetRole", "ListRoles", "DeleteRole", "UpdateAssumeRolePolicy",
        "PutUserPolicy", "GetUserPolicy", "ListUserPolicies", "DeleteUserPolicy",
        "PutGroupPolicy", "GetGroupPolicy", "ListGroupPolicies", "DeleteGroupPolicy",
        "PutRolePolicy", "GetRolePolicy", "ListRolePolicies", "DeleteRolePolicy",
        "CreateGroup", "GetGroup", "ListGroups", "DeleteGroup", "AddUserToGroup", "RemoveUserFromGroup", "ListGroupsForUser",
        "CreatePolicy", "GetPolicy", "ListPolicies", "DeletePolicy",
        "CreatePolicyVersion", "GetPolicyVersion", "ListPolicyVersions", "DeletePolicyVersion", "SetDefaultPolicyVersion",
        "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy", "AttachRolePolicy", "DetachRolePolicy",
        "ListAttachedUserPolicies", "ListAttachedGroupPolicies", "ListAttachedRolePolicies", "ListEntitiesForPolicy",
        "TagUser", "UntagUser", "ListUserTags", "TagRole", "UntagRole", "ListRoleTags",
        "SimulatePrincipalPolicy", "SimulateCustomPolicy",
    ]

    public func handle(operation: String, input: OperationInput, context: CallContext) async throws -> OperationResult {
        let form = input.form
        switch operation {
        case "CreateUser": return try await createUser(form, context)
        case "GetUser": return try await getUser(form, context)
        case "ListUsers": return try await listUsers(form, context)
        case "DeleteUser": return try await deleteUser(form, context)
        case "CreateAccessKey": return try await createAccessKey(form, context)
        case "ListAccessKeys": return try await listAccessKeys(form, context)
        case "DeleteAccessKey": return try await deleteAccessKey(form, context)
        case "CreateRole": return try await createRole(form, context)
        case "GetRole": return try await getRole(form, context)
        case "ListRoles": return try await listRoles(form, context)
        case "DeleteRole": return try await deleteRole(form, context)
        case "UpdateAssumeRolePolicy": return try await updateAssumeRolePolicy(form, context)
        case "PutUserPolicy", "PutGroupPolicy", "PutRolePolicy": return try await putInlinePolicy(operation, form, context)
        case "GetUserPolicy", "GetGroupPolicy", "GetRolePolicy": return try await getInlinePolicy(operation, form, context)
        case "ListUserPolicies", "ListGroupPolicies", "ListRolePolicies": return try await listInlinePolicies(operation, form, context)
        case "DeleteUserPolicy", "DeleteGroupPolicy", "DeleteRolePolicy": return try await deleteInlinePolicy(operation, form, context)
        case "CreateGroup": return try await createGroup(form, context)
        case "GetGroup": return try await getGroup(form, context)
        case "ListGroups": return try await listGroups(form, context)
        case "DeleteGroup": return try await deleteGroup(form, context)
        case "AddUserToGroup": return try await changeMembership(form, context, add: true)
        case "RemoveUserFromGroup": return try await changeMembership(form, context, add: false)
        case "ListGroupsForUser": return try await listGroupsForUser(form, context)
        case "CreatePolicy": return try await createPolicy(form, context)
        case "GetPolicy": return try await getPolicy(form, context)
        case "ListPolicies": return try await listPolicies(form, context)
        case "DeletePolicy": return try await deletePolicy(form, context)
        case "CreatePolicyVersion": return try await createPolicyVersion(form, context)
        case "GetPolicyVersion": return try await getPolicyVersion(form, context)
        case "ListPolicyVersions": return try await listPolicyVersions(form, context)
        case "DeletePolicyVersion": return try await deletePolicyVersion(form, context)
        case "SetDefaultPolicyVersion": return try await setDefaultPolicyVersion(form, context)
        case "AttachUserPolicy", "AttachGroupPolicy", "AttachRolePolicy":
            return try await changeAttachment(operation, form, context, attach: true)
        case "DetachUserPolicy", "DetachGroupPolicy", "DetachRolePolicy":
            return try await changeAttachment(operation, form, context, attach: false)
        case "ListAttachedUserPolicies", "ListAttachedGroupPolicies", "ListAttachedRolePolicies":
            return try await listAttachedPolicies(operation, form, context)
        case "ListEntitiesForPolicy": return try await listEntitiesForPolicy(form, context)
        case "TagUser", "TagRole": return try await tagEntity(operation, form, context)
        case "UntagUser", "UntagRole": return try await untagEntity(operation, form, context)
        case "ListUserTags", "ListRoleTags": return try await listEntityTags(operation, form, context)
        case "SimulatePrincipalPolicy": return try await simulatePrincipalPolicy(form, context)
        case "SimulateCustomPolicy": return try await simulateCustomPolicy(form, context)
        default: throw AWSError.unknownOperation(operation)
        }
    }

    // MARK: Markers

    /// An opaque paging marker.
    static func marker(after name: String) -> String { "m1." + Data(name.utf8).base64EncodedString() }

    static func marker(_ form: QueryForm) throws(AWSError) -> String? {
        guard let text = form["Marker"] else { return nil }
        guard text.hasPrefix("m1."), let data = Data(base64Encoded: String(text.dropFirst(3))),
              let name = String(data: data, encoding: .utf8) else {
            throw AWSError(code: "ValidationError", status: 400, message: "Invalid Marker.")
        }
        return name
    }

    // MARK: Errors

    static func noSuchUser(_ name: String) -> AWSError {
        AWSError(code: "NoSuchEntity", status: 404, message: "The user with name \(name) cannot be found.")
    }

    static func noSuchRole(_ name: String) -> AWSError {
        AWSError(code: "NoSuchEntity", status: 404, message: "The role with name \(name) cannot be found.")
    }

    static func userResource(_ name: String) -> [CloudTrailRecord.Resource] {
        [.init(type: "AWS::IAM::User", name: name)]
    }

    static func roleResource(_ name: String) -> [CloudTrailRecord.Resource] {
        [.init(type: "AWS::IAM::Role", name: name)]
    }

    // MARK: Users

    /// A user as IAM shows it; `withTags` for CreateUser and GetUser (ListUsers leaves tags out).
    static func userShape(_ u: IAMUserRecord, withTags: Bool = false) -> JSONValue {
        .compact([
            ("Path", .string(u.path)), ("UserName", .string(u.userName)), ("UserId", .string(u.userId)),
            ("Arn", .string(u.arn)), ("CreateDate", .timestamp(u.createdAt)),
            ("Tags", withTags ? tagsShape(u.tags) : nil),
        ])
    }

    static func tagsShape(_ tags: [IAMTag]) -> JSONValue? {
        tags.isEmpty ? nil : .array(tags.map { ["Key": .string($0.key), "Value": .string($0.value)] })
    }

    static let maxTags = 50

    /// `Tags.member.N.Key/Value` of CreateUser and CreateRole, validated as IAM does.
    static func tags(_ form: QueryForm, entity: String) throws(AWSError) -> [IAMTag] {
        let given = form.structList("Tags")
        guard given.count <= maxTags else {
            throw AWSError(code: "LimitExceeded", status: 409, message: "Cannot exceed quota for TagsPer\(entity): \(maxTags).")
        }
        var seen = Set<String>()
        var tags: [IAMTag] = []
        for (i, t) in given.enumerated() {
            guard let key = t["Key"], (1...128).contains(key.count) else {
                throw AWSError(code: "ValidationError", status: 400,
                               message: "1 validation error detected: Value at 'tags.\(i + 1).member.key' failed to satisfy constraint: Member must have length between 1 and 128")
            }
            let value = t["Value"] ?? ""
            guard value.count <= 256 else {
                throw AWSError(code: "ValidationError", status: 400,
                               message: "1 validation error detected: Value at 'tags.\(i + 1).member.value' failed to satisfy constraint: Member must have length less than or equal to 256")
            }
            guard seen.insert(key.lowercased()).inserted else {
                throw AWSError(code: "InvalidInput", status: 400,
                               message: "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
            }
            tags.append(IAMTag(key: key, value: value))
        }
        return tags
    }

    func createUser(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let name = try form.required("UserName")
        try IAMNames.validateName(name, member: "userName")
        let path = form["Path"] ?? "/"
        try IAMNames.validatePath(path)
        let user = IAMUserRecord(accountId: ctx.accountId, userName: name, userId: Identifiers.awsId(prefix: "AIDA"),
                                 path: path, createdAt: clock.now(), tags: try Self.tags(form, entity: "User"))
        do {
            try await store.createUser(user)
        } catch let e as StoreError where e.isDuplicate {
            throw OperationFailure(AWSError(code: "EntityAlreadyExists", status: 409,
                                            message: "User with name \(name) already exists."),
                                   resources: Self.userResource(name))
        }
        let shape = Self.userShape(user, withTags: true)
        return OperationResult(output: ["User": shape],
                               audit: AuditDetails(responseElements: ["user": shape.lowerCamelKeys],
                                                   resources: Self.userResource(name)))
    }

    func getUser(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let name: String
        if let given = form["UserName"] {
            name = given
        } else if case .iamUser(_, let caller, _, _, _) = ctx.principal {
            name = caller
        } else {
            throw AWSError(code: "ValidationError", status: 400,
                           message: "Must specify userName when calling with non-User credentials")
        }
        guard let user = try await store.user(accountId: ctx.accountId, userName: name) else {
            throw OperationFailure(Self.noSuchUser(name), resources: Self.userResource(name))
        }
        return OperationResult(output: ["User": Self.userShape(user, withTags: true)],
                               audit: AuditDetails(resources: Self.userResource(user.userName)))
    }

    func listUsers(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let limit = try form.int("MaxItems", in: 1...1000) ?? 100
        let prefix = form["PathPrefix"] ?? "/"
        let page = try await store.users(accountId: ctx.accountId, pathPrefix: prefix, after: try Self.marker(form), limit: limit + 1)
        let users = page.prefix(limit)
        var output: [(String, JSONValue)] = [("Users", .array(users.map { Self.userShape($0) })),
                                             ("IsTruncated", .bool(page.count > limit))]
        if page.count > limit, let last = users.last { output.append(("Marker", .string(Self.marker(after: last.userName)))) }
        return OperationResult(output: .object(output))
    }

    func deleteUser(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let name = try form.required("UserName")
        do {
            try await store.deleteUser(accountId: ctx.accountId, userName: name)
        } catch let e as StoreError where e.isNotFound {
            throw OperationFailure(Self.noSuchUser(name), resources: Self.userResource(name))
        } catch let e as StoreError where e.isConflict {
            throw OperationFailure(AWSError(code: "DeleteConflict", status: 409, message: e.message),
                                   resources: Self.userResource(name))
        }
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.userResource(name)))
    }

    // MARK: Access keys

    /// The user an access-key call is about: the named one, else the caller; nil for the account's root.
    /// Only a user or root can mean itself: a role session (or any other principal) must name the user, as in AWS,
    /// or it could mint long-term keys nobody asked for.
    func targetUser(_ form: QueryForm, _ ctx: CallContext) async throws -> IAMUserRecord? {
        if let name = form["UserName"] {
            guard let user = try await store.user(accountId: ctx.accountId, userName: name) else {
                throw OperationFailure(Self.noSuchUser(name), resources: Self.userResource(name))
            }
            return user
        }
        switch ctx.principal {
        case .iamUser(_, let caller, _, _, _):
            return try await store.user(accountId: ctx.accountId, userName: caller)
        case .root:
            return nil
        default:
            throw AWSError(code: "ValidationError", status: 400,
                           message: "Must specify userName when calling with non-User credentials")
        }
    }

    /// The access keys of a user, or of the account's root when `user` is nil.
    func keys(of user: IAMUserRecord?, _ ctx: CallContext) async throws -> [CredentialRecord] {
        if let user { return try await store.credentials(accountId: ctx.accountId, userName: user.userName) }
        return try await store.rootCredentials(accountId: ctx.accountId)
    }

    func createAccessKey(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let user = try await targetUser(form, ctx)
        if try await keys(of: user, ctx).count >= 2 {
            throw OperationFailure(AWSError(code: "LimitExceeded", status: 409,
                                            message: "Cannot exceed quota for AccessKeysPerUser: 2"),
                                   resources: user.map { Self.userResource($0.userName) } ?? [])
        }
        let now = clock.now()
        let key = CredentialRecord(accessKeyId: Identifiers.awsId(prefix: "AKIA"), secret: Identifiers.secretAccessKey(),
                                   accountId: ctx.accountId, kind: user == nil ? .root : .user, userName: user?.userName,
                                   createdAt: now)
        try await store.createCredential(key)
        var shape: [(String, JSONValue)] = []
        if let user { shape.append(("UserName", .string(user.userName))) }
        shape += [("AccessKeyId", .string(key.accessKeyId)), ("Status", "Active"),
                  ("SecretAccessKey", .string(key.secret)), ("CreateDate", .timestamp(now))]
        return OperationResult(
            output: ["AccessKey": .object(shape)],
            audit: AuditDetails(responseElements: ["accessKey": JSONValue.object(shape).lowerCamelKeys],
                                resources: user.map { Self.userResource($0.userName) } ?? []))
    }

    func listAccessKeys(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let user = try await targetUser(form, ctx)
        let keys = try await keys(of: user, ctx)
        // Root's keys are listed without a UserName, as AWS lists them.
        let shapes: [JSONValue] = keys.map { key in
            var shape: [(String, JSONValue)] = []
            if let user { shape.append(("UserName", .string(user.userName))) }
            shape += [("AccessKeyId", .string(key.accessKeyId)), ("Status", .string(key.status)),
                      ("CreateDate", .timestamp(key.createdAt))]
            return .object(shape)
        }
        return OperationResult(output: ["AccessKeyMetadata": .array(shapes), "IsTruncated": false],
                               audit: AuditDetails(resources: user.map { Self.userResource($0.userName) } ?? []))
    }

    func deleteAccessKey(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let keyId = try form.required("AccessKeyId")
        let user = try await targetUser(form, ctx)
        guard let key = try await store.credential(accessKeyId: keyId), key.accountId == ctx.accountId, key.kind != .session,
              key.userName?.lowercased() == user?.userName.lowercased()
        else {
            throw AWSError(code: "NoSuchEntity", status: 404, message: "The Access Key with id \(keyId) cannot be found.")
        }
        try await store.deleteCredential(accessKeyId: keyId)
        directory.invalidate(accessKeyId: keyId)
        return OperationResult(output: .object([]), audit: AuditDetails(resources: user.map { Self.userResource($0.userName) } ?? []))
    }
}
