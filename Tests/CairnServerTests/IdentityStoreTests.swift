import Crypto
import Foundation
import SQLKit
import Testing
@testable import Identity
import Policies
@testable import Storage
import CairnCore

struct IdentityStoreTests {
    @Test(arguments: TestEngine.allCases)
    func usersAreUniqueCaseInsensitivelyAndNeedKeysGoneBeforeDelete(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let ids = SQLIdentityStore(store: store, secrets: SecretBox(key: .init(size: .bits256)))
            #expect(try await ids.ensureAccount("000000000000", at: Date()))
            #expect(try await !ids.ensureAccount("000000000000", at: Date()))
            let alice = IAMUserRecord(accountId: "000000000000", userName: "Alice", userId: "AIDA1", path: "/", createdAt: Date())
            try await ids.createUser(alice)
            await #expect(throws: StoreError.self) {
                try await ids.createUser(IAMUserRecord(accountId: "000000000000", userName: "alice", userId: "AIDA2", path: "/", createdAt: Date()))
            }
            #expect(try await ids.user(accountId: "000000000000", userName: "ALICE")?.userId == "AIDA1")
            try await ids.createCredential(CredentialRecord(accessKeyId: "AKIA1", secret: "s", accountId: "000000000000",
                                                            kind: .user, userName: "Alice", createdAt: Date()))
            do {
                try await ids.deleteUser(accountId: "000000000000", userName: "Alice")
                Issue.record("deleting a user with keys must fail")
            } catch let e as StoreError {
                #expect(e.isConflict)
            }
            try await ids.deleteCredential(accessKeyId: "AKIA1")
            try await ids.deleteUser(accountId: "000000000000", userName: "Alice")
            #expect(try await ids.user(accountId: "000000000000", userName: "Alice") == nil)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func directoryResolvesEachKindOfCaller(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let ids = SQLIdentityStore(store: store, secrets: SecretBox(key: .init(size: .bits256)))
            let now = Date()
            try await ids.createUser(IAMUserRecord(accountId: "111122223333", userName: "dev", userId: "AIDADEV", path: "/", createdAt: now))
            try await ids.createCredential(CredentialRecord(accessKeyId: "AKIADEV", secret: "s1", accountId: "111122223333",
                                                            kind: .user, userName: "dev", createdAt: now))
            try await ids.createCredential(CredentialRecord(accessKeyId: "ASIATMP", secret: "s2", accountId: "111122223333",
                                                            kind: .session, createdAt: now, sessionToken: "tok",
                                                            expiresAt: now + 900, roleName: "r", roleId: "AROAR", rolePath: "/",
                                                            sessionName: "sess"))
            let directory = CredentialDirectory(store: ids, defaultAccountId: "000000000000", acceptAnyCredentials: false)
            let user = try #require(try await directory.resolve(accessKeyId: "AKIADEV", now: now))
            #expect(user.principal == .iamUser(accountId: "111122223333", userName: "dev", userId: "AIDADEV", accessKeyId: "AKIADEV"))
            let session = try #require(try await directory.resolve(accessKeyId: "ASIATMP", now: now))
            guard case .assumedRole(let s) = session.principal else { Issue.record("not a role session"); return }
            #expect(s.arn == "arn:aws:sts::111122223333:assumed-role/r/sess")
            #expect(session.sessionToken == "tok")
            #expect(try await directory.resolve(accessKeyId: "AKIANOPE", now: now) == nil)
            let lenient = CredentialDirectory(store: ids, defaultAccountId: "000000000000", acceptAnyCredentials: true)
            let any = try #require(try await lenient.resolve(accessKeyId: "test", now: now))
            #expect(any.unverified)
            #expect(any.principal == .root(accountId: "000000000000", accessKeyId: "test"))
        }
    }
}

struct SecretSealingTests {
    @Test(arguments: TestEngine.allCases)
    func secretsAndTokensAreStoredSealedAndOpenOnlyWithTheirKey(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let box = SecretBox(key: .init(size: .bits256))
            let ids = SQLIdentityStore(store: store, secrets: box)
            try await ids.createCredential(CredentialRecord(accessKeyId: "ASIATMP", secret: "the-secret", accountId: "111122223333",
                                                            kind: .session, createdAt: Date(), sessionToken: "the-token",
                                                            expiresAt: Date() + 900, roleName: "r", roleId: "AROAR", rolePath: "/",
                                                            sessionName: "sess"))
            let raw = try await store.read { db in try await db.raw("SELECT secret, session_token FROM access_key").all() }
            let secret = try raw[0].decode(column: "secret", as: String.self)
            let token = try raw[0].decode(column: "session_token", as: String.self)
            #expect(secret.hasPrefix(SecretBox.prefix) && !secret.contains("the-secret"))
            #expect(token.hasPrefix(SecretBox.prefix) && !token.contains("the-token"))
            let read = try #require(try await ids.credential(accessKeyId: "ASIATMP"))
            #expect(read.secret == "the-secret" && read.sessionToken == "the-token")
            // Another key opens nothing, and says so at start.
            let other = SQLIdentityStore(store: store, secrets: SecretBox(key: .init(size: .bits256)))
            await #expect(throws: SecretBox.WrongKey.self) { try await other.credential(accessKeyId: "ASIATMP") }
            await #expect(throws: SecretBox.WrongKey.self) { try await other.sealStoredSecrets() }
        }
    }

    @Test(arguments: TestEngine.allCases)
    func plaintextSecretsOfAnEarlierVersionAreSealedAtStart(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            try await store.write { db in
                try await db.raw("""
                    INSERT INTO access_key (access_key_id, secret, account_id, kind, user_name, status, created_at)
                    VALUES ('AKIAOLD', 'old-plain', '000000000000', 'root', NULL, 'Active', 0)
                    """).run()
            }
            let ids = SQLIdentityStore(store: store, secrets: SecretBox(key: .init(size: .bits256)))
            #expect(try await ids.sealStoredSecrets() == 1)
            #expect(try await ids.sealStoredSecrets() == 0)
            let stored = try await store.read { db in try await db.raw("SELECT secret FROM access_key").first()! }
            #expect(try stored.decode(column: "secret", as: String.self).hasPrefix(SecretBox.prefix))
            #expect(try await ids.credential(accessKeyId: "AKIAOLD")?.secret == "old-plain")
        }
    }
}

/// Trust policies through the one evaluator: who may assume a role.
struct TrustPolicyTests {
    static let user = Principal.iamUser(accountId: "111122223333", userName: "dev", userId: "AIDA", accessKeyId: "AKIA")
    static let other = Principal.iamUser(accountId: "444455556666", userName: "dev", userId: "AIDB", accessKeyId: "AKIB")

    static func policy(_ principal: String, effect: String = "Allow", action: String = "\"sts:AssumeRole\"") -> String {
        #"{"Version":"2012-10-17","Statement":[{"Effect":"\#(effect)","Principal":\#(principal),"Action":\#(action)}]}"#
    }

    static func allows(_ json: String, _ principal: Principal) throws -> Bool {
        let trust = try PolicyDocument(json: json, kind: .trust)
        let request = AuthorizationRequest(principal: try #require(Authorizer.policyPrincipal(principal)), action: "sts:AssumeRole",
                                           resource: "arn:aws:iam::111122223333:role/r", context: RequestContext())
        return PolicyEvaluator.trustAllows(request, trust: trust)
    }

    @Test func accountRootAndBareAccountTrustEveryoneInTheAccount() throws {
        #expect(try Self.allows(Self.policy(#"{"AWS":"arn:aws:iam::111122223333:root"}"#), Self.user))
        #expect(try Self.allows(Self.policy(#"{"AWS":"111122223333"}"#), Self.user))
        #expect(try !Self.allows(Self.policy(#"{"AWS":"111122223333"}"#), Self.other))
    }

    @Test func userArnsMatchExactly() throws {
        #expect(try Self.allows(Self.policy(#"{"AWS":["arn:aws:iam::111122223333:user/dev"]}"#), Self.user))
        #expect(try !Self.allows(Self.policy(#"{"AWS":"arn:aws:iam::111122223333:user/ops"}"#), Self.user))
    }

    @Test func denyWinsAndActionsMustMatch() throws {
        let both = #"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:*"},{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}"#
        #expect(try !Self.allows(both, Self.user))
        #expect(try Self.allows(both, Self.other))
        #expect(try !Self.allows(Self.policy(#""*""#, action: #""sts:TagSession""#), Self.user))
    }

    @Test func usersWithAPathMatchTheirFullArn() throws {
        let eng = Principal.iamUser(accountId: "111122223333", userName: "dev", userId: "AIDA", accessKeyId: "AKIA", path: "/eng/")
        #expect(eng.arn == "arn:aws:iam::111122223333:user/eng/dev")
        #expect(try Self.allows(Self.policy(#"{"AWS":"arn:aws:iam::111122223333:user/eng/dev"}"#), eng))
        #expect(try !Self.allows(Self.policy(#"{"AWS":"arn:aws:iam::111122223333:user/dev"}"#), eng))
    }

    @Test func servicePrincipals() throws {
        let p = Self.policy(#"{"Service":"batch.amazonaws.com"}"#)
        #expect(try Self.allows(p, .awsService("batch.amazonaws.com")))
        #expect(try !Self.allows(p, .awsService("events.amazonaws.com")))
        #expect(try !Self.allows(p, Self.user))
    }

    @Test(arguments: ["not json", "[]", #"{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"sts:AssumeRole"}]}"#,
                      #"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#,
                      #"{"Statement":[{"Effect":"Allow","Principal":"*"}]}"#, #"{"Version":"2012-10-17"}"#])
    func malformedPoliciesAreRejected(_ json: String) {
        #expect(throws: PolicyError.self) { try PolicyDocument(json: json, kind: .trust) }
    }
}
