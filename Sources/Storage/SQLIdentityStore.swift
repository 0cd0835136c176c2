import CairnCore
import Foundation
import SQLKit

/// `IdentityStore` over SQL. Access-key secrets and session tokens are stored sealed by `secrets`.
public struct SQLIdentityStore: IdentityStore {
    let store: SQLStore
    let secrets: SecretBox

    public init(store: SQLStore, secrets: SecretBox) {
        self.store = store
        self.secrets = secrets
    }

    /// Seals secrets stored in plaintext by an earlier version, and checks that the key opens the sealed ones
    /// (a data directory given the wrong key file must not start and turn every key away). Returns how many it sealed.
    /// Records, on first use, a value sealed with this node's key; afterwards throws `SecretBox.WrongKey` when the
    /// key cannot open it (another node's key, or a lost key file replaced by a new one).
    public func checkSecretKey() async throws {
        try await store.write { [secrets] db in
            if let sealed = try await db.raw("SELECT sealed FROM secret_key_check WHERE name = 'master'").first()?
                .decodeColumns(KeyCheckColumns.self).sealed {
                guard try secrets.open(sealed) == Self.keyCheckPlaintext else {
                    throw SecretBox.WrongKey(description: "the key check does not match")
                }
            } else {
                try await db.raw("""
                    INSERT INTO secret_key_check (name, sealed) VALUES ('master', \(bind: try secrets.seal(Self.keyCheckPlaintext)))
                    """).run()
            }
        }
    }

    static let keyCheckPlaintext = "cairn master key check"

    /// A `secret_key_check` row's sealed value.
    private struct KeyCheckColumns: Decodable {
        var sealed: String
    }

    /// The sealed (or, from an earlier version, plaintext) secrets of an `access_key` row.
    private struct StoredSecretColumns: Decodable {
        var accessKeyId: String
        var secret: String
        var sessionToken: String?
    }

    public func sealStoredSecrets() async throws -> Int {
        try await store.write { db in
            let rows = try await db.raw("SELECT access_key_id, secret, session_token FROM access_key").all()
            var sealed = 0
            for row in rows {
                let c = try row.decodeColumns(StoredSecretColumns.self)
                let (id, secret, token) = (c.accessKeyId, c.secret, c.sessionToken)
                // Opening every stored value checks the key; plaintext values open as themselves.
                let openSecret = try secrets.open(secret)
                let openToken = try token.map { try secrets.open($0) }
                let plaintext = [secret, token].contains { $0.map { !$0.hasPrefix(SecretBox.prefix) } == true }
                guard plaintext else { continue }
                try await db.raw("""
                    UPDATE access_key SET secret = \(bind: try secrets.seal(openSecret)),
                    session_token = \(bind: try openToken.map { try secrets.seal($0) })
                    WHERE access_key_id = \(bind: id)
                    """).run()
                sealed += 1
            }
            return sealed
        }
    }

    static func ms(_ d: Date) -> Int64 { Int64((d.timeIntervalSince1970 * 1000).rounded()) }
    static func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }

    public func ensureAccount(_ accountId: String, at: Date) async throws -> Bool {
        try await store.write { db in
            if try await db.raw("SELECT account_id FROM account WHERE account_id = \(bind: accountId)").first() != nil {
                return false
            }
            try await db.raw("INSERT INTO account (account_id, created_at) VALUES (\(bind: accountId), \(bind: Self.ms(at)))").run()
            return true
        }
    }

    public func accountExists(_ accountId: String) async throws -> Bool {
        try await store.read { db in
            try await db.raw("SELECT account_id FROM account WHERE account_id = \(bind: accountId)").first() != nil
        }
    }

    public func accountIds() async throws -> [String] {
        try await store.read { db in
            try await db.raw("SELECT account_id FROM account ORDER BY account_id").all().map {
                try $0.decodeColumns(AccountColumns.self).accountId
            }
        }
    }

    /// An `account` row's id.
    private struct AccountColumns: Decodable {
        var accountId: String
    }

    // MARK: Users

    public func createUser(_ u: IAMUserRecord) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO iam_user (account_id, user_name, user_name_key, user_id, path, created_at, tags)
                VALUES (\(bind: u.accountId), \(bind: u.userName), \(bind: u.userName.lowercased()), \(bind: u.userId),
                        \(bind: u.path), \(bind: Self.ms(u.createdAt)), \(bind: try Self.encode(u.tags)))
                """).run()
        }
    }

    /// An `iam_user` row as stored.
    private struct UserColumns: Decodable {
        var accountId: String
        var userName: String
        var userId: String
        var path: String
        var createdAt: Int64
        var tags: String
    }

    static func decodeUser(_ row: any SQLRow) throws -> IAMUserRecord {
        let c = try row.decodeColumns(UserColumns.self)
        return IAMUserRecord(accountId: c.accountId, userName: c.userName, userId: c.userId, path: c.path,
                             createdAt: date(c.createdAt), tags: try decodeTags(c.tags))
    }

    static func encode(_ tags: [IAMTag]) throws -> String {
        String(decoding: try JSONEncoder().encode(tags), as: UTF8.self)
    }

    static func decodeTags(_ text: String) throws -> [IAMTag] {
        try JSONDecoder().decode([IAMTag].self, from: Data(text.utf8))
    }

    public func user(accountId: String, userName: String) async throws -> IAMUserRecord? {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM iam_user WHERE account_id = \(bind: accountId) AND user_name_key = \(bind: userName.lowercased())
                """).first().map(Self.decodeUser)
        }
    }

    public func users(accountId: String, pathPrefix: String, after marker: String?, limit: Int) async throws -> [IAMUserRecord] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM iam_user WHERE account_id = \(bind: accountId) AND user_name_key > \(bind: marker?.lowercased() ?? "")
                AND \(store.dialect.hasPrefix("path", pathPrefix))
                ORDER BY user_name_key LIMIT \(bind: limit)
                """).all().map(Self.decodeUser)
        }
    }

    public func deleteUser(accountId: String, userName: String) async throws {
        try await store.write { db in
            let keys = try await db.raw("""
                SELECT access_key_id FROM access_key WHERE account_id = \(bind: accountId) AND kind = 'user'
                AND lower(user_name) = \(bind: userName.lowercased())
                """).all()
            let existing = try await db.raw("""
                SELECT user_id FROM iam_user WHERE account_id = \(bind: accountId) AND user_name_key = \(bind: userName.lowercased())
                """).first()
            if existing == nil { throw StoreError.notFound("The user with name \(userName) cannot be found.") }
            if !keys.isEmpty { throw StoreError.conflict("Cannot delete entity, must delete access keys first.") }
            try await Self.requireDetached(db, accountId, PolicyOwner(.user, userName))
            try await Self.bumpGeneration(db, accountId)
            try await db.raw("""
                DELETE FROM iam_user WHERE account_id = \(bind: accountId) AND user_name_key = \(bind: userName.lowercased())
                """).run()
        }
    }

    // MARK: Roles

    public func createRole(_ r: IAMRoleRecord) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO iam_role (account_id, role_name, role_name_key, role_id, path, assume_role_policy, description,
                                      max_session_duration, created_at, tags)
                VALUES (\(bind: r.accountId), \(bind: r.roleName), \(bind: r.roleName.lowercased()), \(bind: r.roleId),
                        \(bind: r.path), \(bind: r.assumeRolePolicy), \(bind: r.description), \(bind: r.maxSessionDuration),
                        \(bind: Self.ms(r.createdAt)), \(bind: try Self.encode(r.tags)))
                """).run()
        }
    }

    /// An `iam_role` row as stored.
    private struct RoleColumns: Decodable {
        var accountId: String
        var roleName: String
        var roleId: String
        var path: String
        var assumeRolePolicy: String
        var description: String?
        var maxSessionDuration: Int
        var createdAt: Int64
        var tags: String
    }

    static func decodeRole(_ row: any SQLRow) throws -> IAMRoleRecord {
        let c = try row.decodeColumns(RoleColumns.self)
        return IAMRoleRecord(
            accountId: c.accountId, roleName: c.roleName, roleId: c.roleId, path: c.path,
            assumeRolePolicy: c.assumeRolePolicy, description: c.description, maxSessionDuration: c.maxSessionDuration,
            createdAt: date(c.createdAt), tags: try decodeTags(c.tags))
    }

    public func role(accountId: String, roleName: String) async throws -> IAMRoleRecord? {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM iam_role WHERE account_id = \(bind: accountId) AND role_name_key = \(bind: roleName.lowercased())
                """).first().map(Self.decodeRole)
        }
    }

    public func roles(accountId: String, pathPrefix: String, after marker: String?, limit: Int) async throws -> [IAMRoleRecord] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM iam_role WHERE account_id = \(bind: accountId) AND role_name_key > \(bind: marker?.lowercased() ?? "")
                AND \(store.dialect.hasPrefix("path", pathPrefix))
                ORDER BY role_name_key LIMIT \(bind: limit)
                """).all().map(Self.decodeRole)
        }
    }

    public func deleteRole(accountId: String, roleName: String) async throws {
        try await store.write { db in
            let existing = try await db.raw("""
                SELECT role_id FROM iam_role WHERE account_id = \(bind: accountId) AND role_name_key = \(bind: roleName.lowercased())
                """).first()
            if existing == nil { throw StoreError.notFound("The role with name \(roleName) cannot be found.") }
            try await Self.requireDetached(db, accountId, PolicyOwner(.role, roleName))
            try await Self.bumpGeneration(db, accountId)
            try await db.raw("""
                DELETE FROM iam_role WHERE account_id = \(bind: accountId) AND role_name_key = \(bind: roleName.lowercased())
                """).run()
        }
    }

    // MARK: Credentials

    public func createCredential(_ c: CredentialRecord) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO access_key (access_key_id, secret, account_id, kind, user_name, status, created_at, session_token,
                                        expires_at, role_name, role_id, role_path, session_name, session_policies)
                VALUES (\(bind: c.accessKeyId), \(bind: try secrets.seal(c.secret)), \(bind: c.accountId), \(bind: c.kind.rawValue),
                        \(bind: c.userName), \(bind: c.status), \(bind: Self.ms(c.createdAt)),
                        \(bind: try c.sessionToken.map(secrets.seal)),
                        \(bind: c.expiresAt.map(Self.ms)), \(bind: c.roleName), \(bind: c.roleId), \(bind: c.rolePath),
                        \(bind: c.sessionName), \(bind: c.sessionPolicies.isEmpty ? nil : try Self.encodeStrings(c.sessionPolicies)))
                """).run()
        }
    }

    /// An `access_key` row as stored: secrets sealed, `kind` as its raw string, times in epoch milliseconds.
    private struct CredentialColumns: Decodable {
        var accessKeyId: String
        var secret: String
        var accountId: String
        var kind: String
        var userName: String?
        var status: String
        var createdAt: Int64
        var sessionToken: String?
        var expiresAt: Int64?
        var roleName: String?
        var roleId: String?
        var rolePath: String?
        var sessionName: String?
        var sessionPolicies: String?
    }

    func decodeCredential(_ row: any SQLRow) throws -> CredentialRecord {
        let c = try row.decodeColumns(CredentialColumns.self)
        return CredentialRecord(
            accessKeyId: c.accessKeyId,
            secret: try secrets.open(c.secret),
            accountId: c.accountId,
            kind: CredentialRecord.Kind(rawValue: c.kind) ?? .user,
            userName: c.userName,
            status: c.status,
            createdAt: Self.date(c.createdAt),
            sessionToken: try c.sessionToken.map { try secrets.open($0) },
            expiresAt: c.expiresAt.map(Self.date),
            roleName: c.roleName,
            roleId: c.roleId,
            rolePath: c.rolePath,
            sessionName: c.sessionName,
            sessionPolicies: try c.sessionPolicies.map(Self.decodeStrings) ?? [])
    }

    static func encodeStrings(_ list: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(list), as: UTF8.self)
    }

    static func decodeStrings(_ text: String) throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data(text.utf8))
    }

    public func credential(accessKeyId: String) async throws -> CredentialRecord? {
        try await store.read { db in
            try await db.raw("SELECT * FROM access_key WHERE access_key_id = \(bind: accessKeyId)").first()
                .map(decodeCredential)
        }
    }

    public func credentials(accountId: String, userName: String) async throws -> [CredentialRecord] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM access_key WHERE account_id = \(bind: accountId) AND kind = 'user'
                AND lower(user_name) = \(bind: userName.lowercased()) ORDER BY created_at, access_key_id
                """).all().map(decodeCredential)
        }
    }

    public func rootCredentials(accountId: String) async throws -> [CredentialRecord] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM access_key WHERE account_id = \(bind: accountId) AND kind = 'root'
                ORDER BY created_at, access_key_id
                """).all().map(decodeCredential)
        }
    }

    public func deleteCredential(accessKeyId: String) async throws {
        try await store.write { db in
            try await db.raw("DELETE FROM access_key WHERE access_key_id = \(bind: accessKeyId)").run()
        }
    }

    public func deleteExpiredSessions(before date: Date) async throws -> Int {
        try await store.write { db in
            let rows = try await db.raw("""
                DELETE FROM access_key WHERE kind = 'session' AND expires_at < \(bind: Self.ms(date)) RETURNING access_key_id
                """).all()
            return rows.count
        }
    }
}
