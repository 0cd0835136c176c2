import CairnCore
import Foundation
import SQLKit

/// IAM groups and their members over SQL.
extension SQLIdentityStore {
    /// An `iam_group` row as stored.
    private struct GroupColumns: Decodable {
        var accountId: String
        var groupName: String
        var groupId: String
        var path: String
        var createdAt: Int64
    }

    static func decodeGroup(_ row: any SQLRow) throws -> IAMGroupRecord {
        let c = try row.decodeColumns(GroupColumns.self)
        return IAMGroupRecord(accountId: c.accountId, groupName: c.groupName, groupId: c.groupId, path: c.path,
                              createdAt: date(c.createdAt))
    }

    public func createGroup(_ g: IAMGroupRecord) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO iam_group (account_id, group_name, group_name_key, group_id, path, created_at)
                VALUES (\(bind: g.accountId), \(bind: g.groupName), \(bind: g.groupName.lowercased()), \(bind: g.groupId),
                        \(bind: g.path), \(bind: Self.ms(g.createdAt)))
                """).run()
        }
    }

    public func group(accountId: String, groupName: String) async throws -> IAMGroupRecord? {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM iam_group WHERE account_id = \(bind: accountId) AND group_name_key = \(bind: groupName.lowercased())
                """).first().map(Self.decodeGroup)
        }
    }

    public func groups(accountId: String, pathPrefix: String, after marker: String?, limit: Int) async throws -> [IAMGroupRecord] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM iam_group WHERE account_id = \(bind: accountId) AND group_name_key > \(bind: marker?.lowercased() ?? "")
                AND \(store.dialect.hasPrefix("path", pathPrefix))
                ORDER BY group_name_key LIMIT \(bind: limit)
                """).all().map(Self.decodeGroup)
        }
    }

    public func deleteGroup(accountId: String, groupName: String) async throws {
        let owner = PolicyOwner(.group, groupName)
        try await store.write { db in
            guard try await Self.ownerExists(db, accountId, owner) else { throw Self.noSuchOwner(owner) }
            try await Self.requireDetached(db, accountId, owner)
            try await db.raw("""
                DELETE FROM iam_group WHERE account_id = \(bind: accountId) AND group_name_key = \(bind: owner.key)
                """).run()
            try await Self.bumpGeneration(db, accountId)
        }
    }

    public func addUserToGroup(accountId: String, groupName: String, userName: String) async throws {
        try await changeMembership(accountId, groupName, userName, add: true)
    }

    public func removeUserFromGroup(accountId: String, groupName: String, userName: String) async throws {
        try await changeMembership(accountId, groupName, userName, add: false)
    }

    func changeMembership(_ accountId: String, _ groupName: String, _ userName: String, add: Bool) async throws {
        let group = PolicyOwner(.group, groupName)
        let user = PolicyOwner(.user, userName)
        try await store.write { db in
            guard try await Self.ownerExists(db, accountId, group) else { throw Self.noSuchOwner(group) }
            guard try await Self.ownerExists(db, accountId, user) else { throw Self.noSuchOwner(user) }
            if add {
                try await db.raw("""
                    INSERT INTO iam_group_member (account_id, group_name_key, user_name_key)
                    VALUES (\(bind: accountId), \(bind: group.key), \(bind: user.key))
                    ON CONFLICT (account_id, group_name_key, user_name_key) DO NOTHING
                    """).run()
            } else {
                try await db.raw("""
                    DELETE FROM iam_group_member WHERE account_id = \(bind: accountId) AND group_name_key = \(bind: group.key)
                    AND user_name_key = \(bind: user.key)
                    """).run()
            }
            try await Self.bumpGeneration(db, accountId)
        }
    }

    public func groupMembers(accountId: String, groupName: String) async throws -> [IAMUserRecord] {
        try await store.read { db in
            try await db.raw("""
                SELECT u.* FROM iam_group_member m JOIN iam_user u ON u.account_id = m.account_id AND u.user_name_key = m.user_name_key
                WHERE m.account_id = \(bind: accountId) AND m.group_name_key = \(bind: groupName.lowercased()) ORDER BY u.user_name_key
                """).all().map(Self.decodeUser)
        }
    }

    public func groupsForUser(accountId: String, userName: String) async throws -> [IAMGroupRecord] {
        let user = PolicyOwner(.user, userName)
        return try await store.read { db in
            guard try await Self.ownerExists(db, accountId, user) else { throw Self.noSuchOwner(user) }
            return try await db.raw("""
                SELECT g.* FROM iam_group_member m JOIN iam_group g ON g.account_id = m.account_id AND g.group_name_key = m.group_name_key
                WHERE m.account_id = \(bind: accountId) AND m.user_name_key = \(bind: user.key) ORDER BY g.group_name_key
                """).all().map(Self.decodeGroup)
        }
    }
}
