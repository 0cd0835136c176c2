import CairnCore
import Foundation
import SQLKit

/// `PolicyStore` over SQL. Every change that can alter a decision bumps the account's generation in its transaction.
extension SQLIdentityStore: PolicyStore {
    /// An account's `iam_policy_generation` counter.
    private struct GenerationColumns: Decodable {
        var generation: Int64
    }

    /// A group name from a user's memberships.
    private struct GroupNameColumns: Decodable {
        var groupName: String
    }

    /// An `iam_inline_policy` row's name and document.
    private struct InlinePolicyColumns: Decodable {
        var policyName: String
        var document: String
    }

    /// An attachment's ARN and, when it names a stored managed policy, the default version's document.
    private struct AttachedPolicyColumns: Decodable {
        var policyArn: String
        var document: String?
    }

    /// An `iam_inline_policy` row's name alone.
    private struct PolicyNameColumns: Decodable {
        var policyName: String
    }

    static func bumpGeneration(_ db: any SQLDatabase, _ accountId: String) async throws {
        try await db.raw("""
            INSERT INTO iam_policy_generation (account_id, generation) VALUES (\(bind: accountId), 1)
            ON CONFLICT (account_id) DO UPDATE SET generation = iam_policy_generation.generation + 1
            """).run()
    }

    public func policyGeneration(accountId: String) async throws -> Int64 {
        try await store.read { db in
            try await db.raw("SELECT generation FROM iam_policy_generation WHERE account_id = \(bind: accountId)")
                .first()?.decodeColumns(GenerationColumns.self).generation ?? 0
        }
    }

    /// Whether the user, group or role exists.
    static func ownerExists(_ db: any SQLDatabase, _ accountId: String, _ owner: PolicyOwner) async throws -> Bool {
        let (table, column) = Self.ownerTable(owner.kind)
        return try await db.raw("""
            SELECT 1 AS found FROM \(unsafeRaw: table) WHERE account_id = \(bind: accountId) AND \(unsafeRaw: column) = \(bind: owner.key)
            """).first() != nil
    }

    static func ownerTable(_ kind: PolicyOwner.Kind) -> (String, String) {
        switch kind {
        case .user: return ("iam_user", "user_name_key")
        case .group: return ("iam_group", "group_name_key")
        case .role: return ("iam_role", "role_name_key")
        }
    }

    static func noSuchOwner(_ owner: PolicyOwner) -> StoreError {
        .notFound("The \(owner.kind.rawValue) with name \(owner.name) cannot be found.")
    }

    public func identityPolicies(accountId: String, owner: PolicyOwner) async throws -> StoredIdentityPolicies {
        try await store.read { db in
            var owners = [owner]
            if owner.kind == .user {
                let groups = try await db.raw("""
                    SELECT g.group_name FROM iam_group_member m JOIN iam_group g
                    ON g.account_id = m.account_id AND g.group_name_key = m.group_name_key
                    WHERE m.account_id = \(bind: accountId) AND m.user_name_key = \(bind: owner.key) ORDER BY g.group_name_key
                    """).all()
                owners += try groups.map { PolicyOwner(.group, try $0.decodeColumns(GroupNameColumns.self).groupName) }
            }
            var result = StoredIdentityPolicies()
            for o in owners {
                let rows = try await db.raw("""
                    SELECT policy_name, document FROM iam_inline_policy WHERE account_id = \(bind: accountId)
                    AND owner_type = \(bind: o.kind.rawValue) AND owner_key = \(bind: o.key) ORDER BY policy_name_key
                    """).all()
                for row in rows {
                    let c = try row.decodeColumns(InlinePolicyColumns.self)
                    result.inline.append(.init(owner: o, name: c.policyName, document: c.document))
                }
                let attached = try await db.raw("""
                    SELECT a.policy_arn, v.document FROM iam_policy_attachment a
                    LEFT JOIN iam_managed_policy p ON p.account_id = a.account_id
                        AND a.policy_arn = 'arn:aws:iam::' || p.account_id || ':policy' || p.path || p.policy_name
                    LEFT JOIN iam_policy_version v ON v.account_id = p.account_id AND v.policy_name_key = p.policy_name_key
                        AND v.version = p.default_version
                    WHERE a.account_id = \(bind: accountId) AND a.owner_type = \(bind: o.kind.rawValue) AND a.owner_key = \(bind: o.key)
                    ORDER BY a.policy_arn
                    """).all()
                for row in attached {
                    let c = try row.decodeColumns(AttachedPolicyColumns.self)
                    result.attached.append((c.policyArn, c.document))
                }
            }
            return result
        }
    }

    // MARK: Inline policies

    public func putInlinePolicy(accountId: String, owner: PolicyOwner, name: String, document: String) async throws {
        try await store.write { db in
            guard try await Self.ownerExists(db, accountId, owner) else { throw Self.noSuchOwner(owner) }
            try await db.raw("""
                INSERT INTO iam_inline_policy (account_id, owner_type, owner_key, policy_name, policy_name_key, document)
                VALUES (\(bind: accountId), \(bind: owner.kind.rawValue), \(bind: owner.key), \(bind: name), \(bind: name.lowercased()),
                        \(bind: document))
                ON CONFLICT (account_id, owner_type, owner_key, policy_name_key)
                DO UPDATE SET document = excluded.document, policy_name = excluded.policy_name
                """).run()
            try await Self.bumpGeneration(db, accountId)
        }
    }

    public func inlinePolicy(accountId: String, owner: PolicyOwner, name: String) async throws -> (name: String, document: String)? {
        try await store.read { db in
            guard let row = try await db.raw("""
                SELECT policy_name, document FROM iam_inline_policy WHERE account_id = \(bind: accountId)
                AND owner_type = \(bind: owner.kind.rawValue) AND owner_key = \(bind: owner.key) AND policy_name_key = \(bind: name.lowercased())
                """).first() else { return nil }
            let c = try row.decodeColumns(InlinePolicyColumns.self)
            return (c.policyName, c.document)
        }
    }

    public func inlinePolicyNames(accountId: String, owner: PolicyOwner) async throws -> [String] {
        try await store.read { db in
            guard try await Self.ownerExists(db, accountId, owner) else { throw Self.noSuchOwner(owner) }
            return try await db.raw("""
                SELECT policy_name FROM iam_inline_policy WHERE account_id = \(bind: accountId)
                AND owner_type = \(bind: owner.kind.rawValue) AND owner_key = \(bind: owner.key) ORDER BY policy_name_key
                """).all().map { try $0.decodeColumns(PolicyNameColumns.self).policyName }
        }
    }

    public func deleteInlinePolicy(accountId: String, owner: PolicyOwner, name: String) async throws {
        try await store.write { db in
            guard try await Self.ownerExists(db, accountId, owner) else { throw Self.noSuchOwner(owner) }
            let found = try await db.raw("""
                SELECT 1 AS found FROM iam_inline_policy WHERE account_id = \(bind: accountId) AND owner_type = \(bind: owner.kind.rawValue)
                AND owner_key = \(bind: owner.key) AND policy_name_key = \(bind: name.lowercased())
                """).first()
            guard found != nil else {
                throw StoreError.notFound("The \(owner.kind.rawValue) policy with name \(name) cannot be found.")
            }
            try await db.raw("""
                DELETE FROM iam_inline_policy WHERE account_id = \(bind: accountId) AND owner_type = \(bind: owner.kind.rawValue)
                AND owner_key = \(bind: owner.key) AND policy_name_key = \(bind: name.lowercased())
                """).run()
            try await Self.bumpGeneration(db, accountId)
        }
    }

    /// Refuses to delete an owner that still has inline or attached policies (or, for a group, members).
    static func requireDetached(_ db: any SQLDatabase, _ accountId: String, _ owner: PolicyOwner) async throws {
        let inline = try await db.raw("""
            SELECT 1 AS found FROM iam_inline_policy WHERE account_id = \(bind: accountId) AND owner_type = \(bind: owner.kind.rawValue)
            AND owner_key = \(bind: owner.key) LIMIT 1
            """).first()
        if inline != nil { throw StoreError.conflict("Cannot delete entity, must delete policies first.") }
        let attached = try await db.raw("""
            SELECT 1 AS found FROM iam_policy_attachment WHERE account_id = \(bind: accountId) AND owner_type = \(bind: owner.kind.rawValue)
            AND owner_key = \(bind: owner.key) LIMIT 1
            """).first()
        if attached != nil { throw StoreError.conflict("Cannot delete entity, must detach all policies first.") }
        let column = owner.kind == .group ? "group_name_key" : "user_name_key"
        if owner.kind != .role {
            let member = try await db.raw("""
                SELECT 1 AS found FROM iam_group_member WHERE account_id = \(bind: accountId) AND \(unsafeRaw: column) = \(bind: owner.key)
                LIMIT 1
                """).first()
            if member != nil {
                throw StoreError.conflict(owner.kind == .group ? "Cannot delete entity, must remove users from group first."
                                                               : "Cannot delete entity, must remove user from all groups first.")
            }
        }
    }

    // MARK: Tags and trust

    public func setUserTags(accountId: String, userName: String, tags: [IAMTag]) async throws {
        try await setTags(accountId, PolicyOwner(.user, userName), tags)
    }

    public func setRoleTags(accountId: String, roleName: String, tags: [IAMTag]) async throws {
        try await setTags(accountId, PolicyOwner(.role, roleName), tags)
    }

    func setTags(_ accountId: String, _ owner: PolicyOwner, _ tags: [IAMTag]) async throws {
        let encoded = try Self.encode(tags)
        try await store.write { db in
            guard try await Self.ownerExists(db, accountId, owner) else { throw Self.noSuchOwner(owner) }
            let (table, column) = Self.ownerTable(owner.kind)
            try await db.raw("""
                UPDATE \(unsafeRaw: table) SET tags = \(bind: encoded) WHERE account_id = \(bind: accountId) AND \(unsafeRaw: column) = \(bind: owner.key)
                """).run()
            try await Self.bumpGeneration(db, accountId)
        }
    }

    public func updateAssumeRolePolicy(accountId: String, roleName: String, document: String) async throws {
        let owner = PolicyOwner(.role, roleName)
        try await store.write { db in
            guard try await Self.ownerExists(db, accountId, owner) else { throw Self.noSuchOwner(owner) }
            try await db.raw("""
                UPDATE iam_role SET assume_role_policy = \(bind: document) WHERE account_id = \(bind: accountId) AND role_name_key = \(bind: owner.key)
                """).run()
            try await Self.bumpGeneration(db, accountId)
        }
    }
}
