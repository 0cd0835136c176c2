import Foundation

/// A user, group or role that policies are put on or attached to.
public struct PolicyOwner: Sendable, Hashable {
    public enum Kind: String, Sendable { case user, group, role }
    public var kind: Kind
    public var name: String
    public init(_ kind: Kind, _ name: String) {
        self.kind = kind
        self.name = name
    }
    var key: String { name.lowercased() }
}

/// An IAM group as stored.
public struct IAMGroupRecord: Sendable, Equatable {
    public var accountId: String
    public var groupName: String
    public var groupId: String
    public var path: String
    public var createdAt: Date
    public init(accountId: String, groupName: String, groupId: String, path: String, createdAt: Date) {
        self.accountId = accountId
        self.groupName = groupName
        self.groupId = groupId
        self.path = path
        self.createdAt = createdAt
    }
    public var arn: String { "arn:aws:iam::\(accountId):group\(path)\(groupName)" }
}

/// A customer managed policy as stored (AWS managed policies are data files, not rows).
public struct ManagedPolicyRecord: Sendable, Equatable {
    public var accountId: String
    public var policyName: String
    public var policyId: String
    public var path: String
    public var description: String?
    public var defaultVersion: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var attachmentCount: Int
    public init(accountId: String, policyName: String, policyId: String, path: String, description: String?,
                defaultVersion: Int = 1, createdAt: Date, updatedAt: Date, attachmentCount: Int = 0) {
        self.accountId = accountId
        self.policyName = policyName
        self.policyId = policyId
        self.path = path
        self.description = description
        self.defaultVersion = defaultVersion
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.attachmentCount = attachmentCount
    }
    public var arn: String { "arn:aws:iam::\(accountId):policy\(path)\(policyName)" }
}

/// One version of a managed policy.
public struct PolicyVersionRecord: Sendable, Equatable {
    public var version: Int
    public var document: String
    public var createdAt: Date
    public init(version: Int, document: String, createdAt: Date) {
        self.version = version
        self.document = document
        self.createdAt = createdAt
    }
}

/// The identity policies that apply to a user (with its groups') or a role, as stored.
public struct StoredIdentityPolicies: Sendable {
    /// An inline policy: its owner (the user, one of its groups, or the role), name and document.
    public struct Inline: Sendable {
        public var owner: PolicyOwner
        public var name: String
        public var document: String
    }
    public var inline: [Inline] = []
    /// Attached managed policy ARNs; customer managed ones come with their default version's document.
    public var attached: [(arn: String, document: String?)] = []
    public init() {}
}

/// Groups, inline and managed policies, attachments, and the generation that tells caches a policy changed.
public protocol PolicyStore: Sendable {
    /// Bumped by every change that can alter a decision; any node compares it to decide whether its cache is stale.
    func policyGeneration(accountId: String) async throws -> Int64
    /// The policies that apply to `owner` (a user or a role): its own and, for a user, its groups'.
    func identityPolicies(accountId: String, owner: PolicyOwner) async throws -> StoredIdentityPolicies

    func putInlinePolicy(accountId: String, owner: PolicyOwner, name: String, document: String) async throws
    func inlinePolicy(accountId: String, owner: PolicyOwner, name: String) async throws -> (name: String, document: String)?
    func inlinePolicyNames(accountId: String, owner: PolicyOwner) async throws -> [String]
    func deleteInlinePolicy(accountId: String, owner: PolicyOwner, name: String) async throws

    func createGroup(_ group: IAMGroupRecord) async throws
    func group(accountId: String, groupName: String) async throws -> IAMGroupRecord?
    func groups(accountId: String, pathPrefix: String, after marker: String?, limit: Int) async throws -> [IAMGroupRecord]
    func deleteGroup(accountId: String, groupName: String) async throws
    func addUserToGroup(accountId: String, groupName: String, userName: String) async throws
    func removeUserFromGroup(accountId: String, groupName: String, userName: String) async throws
    func groupMembers(accountId: String, groupName: String) async throws -> [IAMUserRecord]
    func groupsForUser(accountId: String, userName: String) async throws -> [IAMGroupRecord]

    func createManagedPolicy(_ policy: ManagedPolicyRecord, document: String) async throws
    func managedPolicy(accountId: String, policyName: String) async throws -> ManagedPolicyRecord?
    func managedPolicies(accountId: String, pathPrefix: String, after marker: String?, limit: Int) async throws -> [ManagedPolicyRecord]
    func deleteManagedPolicy(accountId: String, policyName: String) async throws
    /// Adds a version (at most five are kept: `StoreError.limit` beyond); returns its number.
    func createPolicyVersion(accountId: String, policyName: String, document: String, setDefault: Bool, at: Date) async throws -> Int
    func policyVersions(accountId: String, policyName: String) async throws -> [PolicyVersionRecord]
    func deletePolicyVersion(accountId: String, policyName: String, version: Int) async throws
    func setDefaultPolicyVersion(accountId: String, policyName: String, version: Int, at: Date) async throws

    /// Attaches a managed policy (at most `limit` per owner: `StoreError.limit` beyond). Attaching twice is a no-op.
    func attachPolicy(accountId: String, owner: PolicyOwner, policyArn: String, limit: Int) async throws
    func detachPolicy(accountId: String, owner: PolicyOwner, policyArn: String) async throws
    func attachedPolicies(accountId: String, owner: PolicyOwner) async throws -> [String]
    /// Every owner a policy is attached to.
    func policyEntities(accountId: String, policyArn: String) async throws -> [PolicyOwner]
    /// How many owners each of these policies is attached to.
    func attachmentCounts(accountId: String) async throws -> [String: Int]

    func setUserTags(accountId: String, userName: String, tags: [IAMTag]) async throws
    func setRoleTags(accountId: String, roleName: String, tags: [IAMTag]) async throws
    func updateAssumeRolePolicy(accountId: String, roleName: String, document: String) async throws
}
