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
                .decode(column: "sealed", as: String.self) {
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

    public func sealStoredSecrets() async throws -> Int {
        try await store.write { db in
            let rows = try await db.raw("SELECT access_key_id, secret, session_token FROM access_key").all()
            var sealed = 0
            for row in rows {
                let id = try row.decode(column: "access_key_id", as: String.self)
                let secret = try row.decode(column: "secret", as: String.self)
                let token = try row.decode(column: "session_token", as: String?.self)
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
                try $0.decode(column: "account_id", as: String.self)
            }
        }
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

    static func decodeUser(_ row: any SQLRow) throws -> IAMUserRecord {
        IAMUserRecord(
            accountId: try row.decode(column: "account_id", as: String.self),
            userName: try row.decode(column: "user_name", as: String.self),
            userId: try row.decode(column: "user_id", as: String.self),
            path: try row.decode(column: "path", as: String.self),
            createdAt: date(try row.decode(column: "created_at", as: Int64.self)),
            tags: try decodeTags(row))
    }

    static func encode(_ tags: [IAMTag]) throws -> String {
        String(decoding: try JSONEncoder().encode(tags), as: UTF8.self)
    }

    static func decodeTags(_ row: any SQLRow) throws -> [IAMTag] {
        try JSONDecoder().decode([IAMTag].self, from: Data(try row.decode(column: "tags", as: String.self).utf8))
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

    static func decodeRole(_ row: any SQLRow) throws -> IAMRoleRecord {
        IAMRoleRecord(
            accountId: try row.decode(column: "account_id", as: String.self),
            roleName: try row.decode(column: "role_name", as: String.self),
            roleId: try row.decode(column: "role_id", as: String.self),
            path: try row.decode(column: "path", as: String.self),
            assumeRolePolicy: try row.decode(column: "assume_role_policy", as: String.self),
            description: try row.decode(column: "description", as: String?.self),
            maxSessionDuration: try row.decode(column: "max_session_duration", as: Int.self),
            createdAt: date(try row.decode(column: "created_at", as: Int64.self)),
            tags: try decodeTags(row))
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

    func decodeCredential(_ row: any SQLRow) throws -> CredentialRecord {
        CredentialRecord(
            accessKeyId: try row.decode(column: "access_key_id", as: String.self),
            secret: try secrets.open(row.decode(column: "secret", as: String.self)),
            accountId: try row.decode(column: "account_id", as: String.self),
            kind: CredentialRecord.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .user,
            userName: try row.decode(column: "user_name", as: String?.self),
            status: try row.decode(column: "status", as: String.self),
            createdAt: Self.date(try row.decode(column: "created_at", as: Int64.self)),
            sessionToken: try row.decode(column: "session_token", as: String?.self).map { try secrets.open($0) },
            expiresAt: try row.decode(column: "expires_at", as: Int64?.self).map(Self.date),
            roleName: try row.decode(column: "role_name", as: String?.self),
            roleId: try row.decode(column: "role_id", as: String?.self),
            rolePath: try row.decode(column: "role_path", as: String?.self),
            sessionName: try row.decode(column: "session_name", as: String?.self),
            sessionPolicies: try row.decode(column: "session_policies", as: String?.self).map(Self.decodeStrings) ?? [])
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
