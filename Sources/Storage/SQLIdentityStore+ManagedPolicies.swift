import CairnCore
import Foundation
import SQLKit

/// Customer managed policies, their versions and every attachment over SQL.
extension SQLIdentityStore {
    /// An `iam_managed_policy` row as stored.
    private struct PolicyColumns: Decodable {
        var accountId: String
        var policyName: String
        var policyId: String
        var path: String
        var description: String?
        var defaultVersion: Int
        var createdAt: Int64
        var updatedAt: Int64
    }

    /// An `iam_policy_version` row as listed.
    private struct VersionColumns: Decodable {
        var version: Int
        var document: String
        var createdAt: Int64
    }

    /// A policy's next version number.
    private struct NextVersionColumns: Decodable {
        var nextVersion: Int
    }

    /// An attachment's policy ARN.
    private struct AttachmentColumns: Decodable {
        var policyArn: String
    }

    /// An attachment's owner: its kind and, when the owner still exists, its name as spelled.
    private struct AttachedOwnerColumns: Decodable {
        var ownerType: String
        var name: String?
    }

    /// Attachments per policy ARN.
    private struct AttachmentCountColumns: Decodable {
        var policyArn: String
        var n: Int
    }

    /// A `COUNT(*) AS n` result.
    private struct CountColumns: Decodable {
        var n: Int
    }

    static func decodePolicy(_ row: any SQLRow) throws -> ManagedPolicyRecord {
        let c = try row.decodeColumns(PolicyColumns.self)
        return ManagedPolicyRecord(
            accountId: c.accountId, policyName: c.policyName, policyId: c.policyId, path: c.path,
            description: c.description, defaultVersion: c.defaultVersion,
            createdAt: date(c.createdAt), updatedAt: date(c.updatedAt))
    }

    static func noSuchPolicy(_ accountId: String, _ name: String) -> StoreError {
        .notFound("Policy arn:aws:iam::\(accountId):policy/\(name) does not exist or is not attachable.")
    }

    public func createManagedPolicy(_ p: ManagedPolicyRecord, document: String) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO iam_managed_policy (account_id, policy_name, policy_name_key, policy_id, path, description, default_version,
                                                next_version, created_at, updated_at)
                VALUES (\(bind: p.accountId), \(bind: p.policyName), \(bind: p.policyName.lowercased()), \(bind: p.policyId), \(bind: p.path),
                        \(bind: p.description), 1, 2, \(bind: Self.ms(p.createdAt)), \(bind: Self.ms(p.updatedAt)))
                """).run()
            try await db.raw("""
                INSERT INTO iam_policy_version (account_id, policy_name_key, version, document, created_at)
                VALUES (\(bind: p.accountId), \(bind: p.policyName.lowercased()), 1, \(bind: document), \(bind: Self.ms(p.createdAt)))
                """).run()
        }
    }

    public func managedPolicy(accountId: String, policyName: String) async throws -> ManagedPolicyRecord? {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM iam_managed_policy WHERE account_id = \(bind: accountId) AND policy_name_key = \(bind: policyName.lowercased())
                """).first().map(Self.decodePolicy)
        }
    }

    public func managedPolicies(accountId: String, pathPrefix: String, after marker: String?, limit: Int) async throws -> [ManagedPolicyRecord] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM iam_managed_policy WHERE account_id = \(bind: accountId) AND policy_name_key > \(bind: marker?.lowercased() ?? "")
                AND \(store.dialect.hasPrefix("path", pathPrefix))
                ORDER BY policy_name_key LIMIT \(bind: limit)
                """).all().map(Self.decodePolicy)
        }
    }

    static func requirePolicy(_ db: any SQLDatabase, _ accountId: String, _ name: String) async throws -> ManagedPolicyRecord {
        guard let p = try await db.raw("""
            SELECT * FROM iam_managed_policy WHERE account_id = \(bind: accountId) AND policy_name_key = \(bind: name.lowercased())
            """).first().map(Self.decodePolicy) else { throw noSuchPolicy(accountId, name) }
        return p
    }

    public func deleteManagedPolicy(accountId: String, policyName: String) async throws {
        try await store.write { db in
            let p = try await Self.requirePolicy(db, accountId, policyName)
            let attached = try await db.raw("""
                SELECT 1 AS found FROM iam_policy_attachment WHERE account_id = \(bind: accountId) AND policy_arn = \(bind: p.arn) LIMIT 1
                """).first()
            if attached != nil { throw StoreError.conflict("Cannot delete a policy attached to entities.") }
            let versions = try await db.raw("""
                SELECT COUNT(*) AS n FROM iam_policy_version WHERE account_id = \(bind: accountId) AND policy_name_key = \(bind: policyName.lowercased())
                """).first()?.decodeColumns(CountColumns.self).n ?? 0
            if versions > 1 { throw StoreError.conflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.") }
            try await db.raw("""
                DELETE FROM iam_policy_version WHERE account_id = \(bind: accountId) AND policy_name_key = \(bind: policyName.lowercased())
                """).run()
            try await db.raw("""
                DELETE FROM iam_managed_policy WHERE account_id = \(bind: accountId) AND policy_name_key = \(bind: policyName.lowercased())
                """).run()
            try await Self.bumpGeneration(db, accountId)
        }
    }

    public func createPolicyVersion(accountId: String, policyName: String, document: String, setDefault: Bool, at: Date) async throws -> Int {
        try await store.write { db in
            _ = try await Self.requirePolicy(db, accountId, policyName)
            let key = policyName.lowercased()
            let count = try await db.raw("""
                SELECT COUNT(*) AS n FROM iam_policy_version WHERE account_id = \(bind: accountId) AND policy_name_key = \(bind: key)
                """).first()?.decodeColumns(CountColumns.self).n ?? 0
            if count >= 5 {
                throw StoreError.limit("A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
            }
            let version = try await db.raw("""
                SELECT next_version FROM iam_managed_policy WHERE account_id = \(bind: accountId) AND policy_name_key = \(bind: key)
                """).first()?.decodeColumns(NextVersionColumns.self).nextVersion ?? 1
            try await db.raw("""
                INSERT INTO iam_policy_version (account_id, policy_name_key, version, document, created_at)
                VALUES (\(bind: accountId), \(bind: key), \(bind: version), \(bind: document), \(bind: Self.ms(at)))
                """).run()
            try await db.raw("""
                UPDATE iam_managed_policy SET next_version = \(bind: version + 1), updated_at = \(bind: Self.ms(at))
                \(unsafeRaw: setDefault ? ", default_version = \(version)" : "")
                WHERE account_id = \(bind: accountId) AND policy_name_key = \(bind: key)
                """).run()
            if setDefault { try await Self.bumpGeneration(db, accountId) }
            return version
        }
    }

    public func policyVersions(accountId: String, policyName: String) async throws -> [PolicyVersionRecord] {
        try await store.read { db in
            _ = try await Self.requirePolicy(db, accountId, policyName)
            return try await db.raw("""
                SELECT version, document, created_at FROM iam_policy_version WHERE account_id = \(bind: accountId)
                AND policy_name_key = \(bind: policyName.lowercased()) ORDER BY version DESC
                """).all().map {
                    let c = try $0.decodeColumns(VersionColumns.self)
                    return PolicyVersionRecord(version: c.version, document: c.document, createdAt: Self.date(c.createdAt))
                }
        }
    }

    static func requireVersion(_ db: any SQLDatabase, _ p: ManagedPolicyRecord, _ version: Int) async throws {
        let found = try await db.raw("""
            SELECT 1 AS found FROM iam_policy_version WHERE account_id = \(bind: p.accountId)
            AND policy_name_key = \(bind: p.policyName.lowercased()) AND version = \(bind: version)
            """).first()
        if found == nil { throw StoreError.notFound("Policy \(p.arn) version v\(version) does not exist or is not attachable.") }
    }

    public func deletePolicyVersion(accountId: String, policyName: String, version: Int) async throws {
        try await store.write { db in
            let p = try await Self.requirePolicy(db, accountId, policyName)
            try await Self.requireVersion(db, p, version)
            if p.defaultVersion == version { throw StoreError.conflict("Cannot delete the default version of a policy.") }
            try await db.raw("""
                DELETE FROM iam_policy_version WHERE account_id = \(bind: accountId) AND policy_name_key = \(bind: policyName.lowercased())
                AND version = \(bind: version)
                """).run()
        }
    }

    public func setDefaultPolicyVersion(accountId: String, policyName: String, version: Int, at: Date) async throws {
        try await store.write { db in
            let p = try await Self.requirePolicy(db, accountId, policyName)
            try await Self.requireVersion(db, p, version)
            try await db.raw("""
                UPDATE iam_managed_policy SET default_version = \(bind: version), updated_at = \(bind: Self.ms(at))
                WHERE account_id = \(bind: accountId) AND policy_name_key = \(bind: policyName.lowercased())
                """).run()
            try await Self.bumpGeneration(db, accountId)
        }
    }

    // MARK: Attachments

    public func attachPolicy(accountId: String, owner: PolicyOwner, policyArn: String, limit: Int) async throws {
        try await store.write { db in
            guard try await Self.ownerExists(db, accountId, owner) else { throw Self.noSuchOwner(owner) }
            let current = try await db.raw("""
                SELECT policy_arn FROM iam_policy_attachment WHERE account_id = \(bind: accountId) AND owner_type = \(bind: owner.kind.rawValue)
                AND owner_key = \(bind: owner.key)
                """).all().map { try $0.decodeColumns(AttachmentColumns.self).policyArn }
            if current.contains(policyArn) { return }
            if current.count >= limit {
                let entity = owner.kind.rawValue.prefix(1).uppercased() + owner.kind.rawValue.dropFirst()
                throw StoreError.limit("Cannot exceed quota for PoliciesPer\(entity): \(limit).")
            }
            try await db.raw("""
                INSERT INTO iam_policy_attachment (account_id, owner_type, owner_key, policy_arn, attached_at)
                VALUES (\(bind: accountId), \(bind: owner.kind.rawValue), \(bind: owner.key), \(bind: policyArn),
                        \(bind: Self.ms(Date())))
                """).run()
            try await Self.bumpGeneration(db, accountId)
        }
    }

    public func detachPolicy(accountId: String, owner: PolicyOwner, policyArn: String) async throws {
        try await store.write { db in
            guard try await Self.ownerExists(db, accountId, owner) else { throw Self.noSuchOwner(owner) }
            let found = try await db.raw("""
                SELECT 1 AS found FROM iam_policy_attachment WHERE account_id = \(bind: accountId) AND owner_type = \(bind: owner.kind.rawValue)
                AND owner_key = \(bind: owner.key) AND policy_arn = \(bind: policyArn)
                """).first()
            if found == nil { throw StoreError.notFound("Policy \(policyArn) was not found.") }
            try await db.raw("""
                DELETE FROM iam_policy_attachment WHERE account_id = \(bind: accountId) AND owner_type = \(bind: owner.kind.rawValue)
                AND owner_key = \(bind: owner.key) AND policy_arn = \(bind: policyArn)
                """).run()
            try await Self.bumpGeneration(db, accountId)
        }
    }

    public func attachedPolicies(accountId: String, owner: PolicyOwner) async throws -> [String] {
        try await store.read { db in
            guard try await Self.ownerExists(db, accountId, owner) else { throw Self.noSuchOwner(owner) }
            return try await db.raw("""
                SELECT policy_arn FROM iam_policy_attachment WHERE account_id = \(bind: accountId) AND owner_type = \(bind: owner.kind.rawValue)
                AND owner_key = \(bind: owner.key) ORDER BY policy_arn
                """).all().map { try $0.decodeColumns(AttachmentColumns.self).policyArn }
        }
    }

    public func policyEntities(accountId: String, policyArn: String) async throws -> [PolicyOwner] {
        try await store.read { db in
            let rows = try await db.raw("""
                SELECT a.owner_type, COALESCE(u.user_name, g.group_name, r.role_name) AS name FROM iam_policy_attachment a
                LEFT JOIN iam_user u ON a.owner_type = 'user' AND u.account_id = a.account_id AND u.user_name_key = a.owner_key
                LEFT JOIN iam_group g ON a.owner_type = 'group' AND g.account_id = a.account_id AND g.group_name_key = a.owner_key
                LEFT JOIN iam_role r ON a.owner_type = 'role' AND r.account_id = a.account_id AND r.role_name_key = a.owner_key
                WHERE a.account_id = \(bind: accountId) AND a.policy_arn = \(bind: policyArn) ORDER BY a.owner_type, a.owner_key
                """).all()
            return try rows.compactMap { row in
                let c = try row.decodeColumns(AttachedOwnerColumns.self)
                guard let kind = PolicyOwner.Kind(rawValue: c.ownerType), let name = c.name else { return nil }
                return PolicyOwner(kind, name)
            }
        }
    }

    public func attachmentCounts(accountId: String) async throws -> [String: Int] {
        try await store.read { db in
            var counts: [String: Int] = [:]
            for row in try await db.raw("""
                SELECT policy_arn, COUNT(*) AS n FROM iam_policy_attachment WHERE account_id = \(bind: accountId) GROUP BY policy_arn
                """).all() {
                let c = try row.decodeColumns(AttachmentCountColumns.self)
                counts[c.policyArn] = c.n
            }
            return counts
        }
    }
}
