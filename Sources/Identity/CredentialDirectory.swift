import CairnCore
import Foundation
import Storage
import Synchronization

/// A credential resolved for signature verification: the secret and who it belongs to.
public struct ResolvedCredential: Sendable {
    public var secret: String
    public var principal: Principal
    public var accountId: String
    public var sessionToken: String?
    public var expiresAt: Date?
    /// Accepted without verifying the signature (`--accept-any-credentials` and an unknown key).
    public var unverified: Bool
}

/// Finds the secret and principal behind an access key, with a short-lived cache in front of the store.
public final class CredentialDirectory: Sendable {
    let store: any IdentityStore
    let defaultAccountId: String
    let acceptAnyCredentials: Bool
    let cacheTTL: TimeInterval
    private let cache = Mutex<[String: (ResolvedCredential, Date)]>([:])
    /// Tells the other nodes sharing the database to forget a key (their `invalidateHere`).
    private let broadcast: @Sendable (String) -> Void

    public init(store: any IdentityStore, defaultAccountId: String, acceptAnyCredentials: Bool, cacheTTL: TimeInterval = 5,
                broadcast: @escaping @Sendable (String) -> Void = { _ in }) {
        self.store = store
        self.broadcast = broadcast
        self.defaultAccountId = defaultAccountId
        self.acceptAnyCredentials = acceptAnyCredentials
        self.cacheTTL = cacheTTL
    }

    /// The credential for `accessKeyId`, or nil when the key is unknown (and unknown keys are not accepted).
    public func resolve(accessKeyId: String, now: Date) async throws -> ResolvedCredential? {
        if let hit = cache.withLock({ $0[accessKeyId] }), now.timeIntervalSince(hit.1) < cacheTTL { return hit.0 }
        guard let record = try await store.credential(accessKeyId: accessKeyId), record.status == "Active" else {
            if acceptAnyCredentials {
                return ResolvedCredential(secret: "", principal: .root(accountId: defaultAccountId, accessKeyId: accessKeyId),
                                          accountId: defaultAccountId, sessionToken: nil, expiresAt: nil, unverified: true)
            }
            return nil
        }
        let resolved = try await Self.resolve(record, store: store)
        if let resolved { cache.withLock { $0[accessKeyId] = (resolved, now) } }
        return resolved
    }

    /// Forgets a key at once (after DeleteAccessKey or DeleteUser), on this node and the others.
    public func invalidate(accessKeyId: String) {
        invalidateHere(accessKeyId: accessKeyId)
        broadcast(accessKeyId)
    }

    /// Forgets a key on this node (another node changed it).
    public func invalidateHere(accessKeyId: String) {
        _ = cache.withLock { $0.removeValue(forKey: accessKeyId) }
    }

    static func resolve(_ r: CredentialRecord, store: any IdentityStore) async throws -> ResolvedCredential? {
        let principal: Principal
        switch r.kind {
        case .root:
            principal = .root(accountId: r.accountId, accessKeyId: r.accessKeyId)
        case .user:
            guard let name = r.userName, let user = try await store.user(accountId: r.accountId, userName: name) else {
                return nil
            }
            principal = .iamUser(accountId: r.accountId, userName: user.userName, userId: user.userId, accessKeyId: r.accessKeyId,
                                 path: user.path)
        case .session:
            guard let roleName = r.roleName, let roleId = r.roleId, let sessionName = r.sessionName,
                  let expiresAt = r.expiresAt else { return nil }
            principal = .assumedRole(AssumedRoleSession(
                accountId: r.accountId, roleName: roleName, roleId: roleId, rolePath: r.rolePath ?? "/",
                sessionName: sessionName, accessKeyId: r.accessKeyId, issuedAt: r.createdAt, expiresAt: expiresAt,
                sessionPolicies: r.sessionPolicies))
        }
        return ResolvedCredential(secret: r.secret, principal: principal, accountId: r.accountId,
                                  sessionToken: r.sessionToken, expiresAt: r.expiresAt, unverified: false)
    }
}
