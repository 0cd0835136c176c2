import Foundation

/// A tag on an IAM user or role, in the order it was given.
public struct IAMTag: Sendable, Equatable, Codable {
    public var key: String
    public var value: String
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// An IAM user as stored.
public struct IAMUserRecord: Sendable, Equatable {
    public var accountId: String
    public var userName: String
    public var userId: String
    public var path: String
    public var createdAt: Date
    public var tags: [IAMTag]
    public init(accountId: String, userName: String, userId: String, path: String, createdAt: Date, tags: [IAMTag] = []) {
        self.accountId = accountId
        self.userName = userName
        self.userId = userId
        self.path = path
        self.createdAt = createdAt
        self.tags = tags
    }
    public var arn: String { "arn:aws:iam::\(accountId):user\(path)\(userName)" }
}

/// An IAM role as stored.
public struct IAMRoleRecord: Sendable, Equatable {
    public var accountId: String
    public var roleName: String
    public var roleId: String
    public var path: String
    public var assumeRolePolicy: String
    public var description: String?
    public var maxSessionDuration: Int
    public var createdAt: Date
    public var tags: [IAMTag]
    public init(accountId: String, roleName: String, roleId: String, path: String, assumeRolePolicy: String,
                description: String?, maxSessionDuration: Int, createdAt: Date, tags: [IAMTag] = []) {
        self.accountId = accountId
        self.roleName = roleName
        self.roleId = roleId
        self.path = path
        self.assumeRolePolicy = assumeRolePolicy
        self.description = description
        self.maxSessionDuration = maxSessionDuration
        self.createdAt = createdAt
        self.tags = tags
    }
    public var arn: String { "arn:aws:iam::\(accountId):role\(path)\(roleName)" }
}

/// A credential: a root or user access key, or a temporary role session.
public struct CredentialRecord: Sendable, Equatable {
    public enum Kind: String, Sendable { case root, user, session }
    public var accessKeyId: String
    public var secret: String
    public var accountId: String
    public var kind: Kind
    public var userName: String?
    public var status: String
    public var createdAt: Date
    public var sessionToken: String?
    public var expiresAt: Date?
    public var roleName: String?
    public var roleId: String?
    public var rolePath: String?
    public var sessionName: String?
    /// A session's session policies (AssumeRole's `Policy` and `PolicyArns`, as documents): they narrow the role's.
    public var sessionPolicies: [String]

    public init(accessKeyId: String, secret: String, accountId: String, kind: Kind, userName: String? = nil,
                status: String = "Active", createdAt: Date, sessionToken: String? = nil, expiresAt: Date? = nil,
                roleName: String? = nil, roleId: String? = nil, rolePath: String? = nil, sessionName: String? = nil,
                sessionPolicies: [String] = []) {
        self.accessKeyId = accessKeyId
        self.secret = secret
        self.accountId = accountId
        self.kind = kind
        self.userName = userName
        self.status = status
        self.createdAt = createdAt
        self.sessionToken = sessionToken
        self.expiresAt = expiresAt
        self.roleName = roleName
        self.roleId = roleId
        self.rolePath = rolePath
        self.sessionName = sessionName
        self.sessionPolicies = sessionPolicies
    }
}

/// Accounts, IAM users and roles, and every credential that can sign a request.
public protocol IdentityStore: Sendable {
    /// Creates the account if it does not exist; true when it was created.
    func ensureAccount(_ accountId: String, at: Date) async throws -> Bool
    func accountExists(_ accountId: String) async throws -> Bool
    /// Every account the store holds.
    func accountIds() async throws -> [String]

    func createUser(_ user: IAMUserRecord) async throws
    func user(accountId: String, userName: String) async throws -> IAMUserRecord?
    func users(accountId: String, pathPrefix: String, after marker: String?, limit: Int) async throws -> [IAMUserRecord]
    /// Deletes a user that has no access keys left; `StoreError.conflict` otherwise.
    func deleteUser(accountId: String, userName: String) async throws

    func createRole(_ role: IAMRoleRecord) async throws
    func role(accountId: String, roleName: String) async throws -> IAMRoleRecord?
    func roles(accountId: String, pathPrefix: String, after marker: String?, limit: Int) async throws -> [IAMRoleRecord]
    func deleteRole(accountId: String, roleName: String) async throws

    func createCredential(_ credential: CredentialRecord) async throws
    func credential(accessKeyId: String) async throws -> CredentialRecord?
    func credentials(accountId: String, userName: String) async throws -> [CredentialRecord]
    /// The account root's own access keys.
    func rootCredentials(accountId: String) async throws -> [CredentialRecord]
    func deleteCredential(accessKeyId: String) async throws
    /// Removes temporary credentials that expired before `date`.
    func deleteExpiredSessions(before date: Date) async throws -> Int
}
