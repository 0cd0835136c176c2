import Foundation

/// A signed-in console session as stored: found by the hash of its cookie token, never by the token itself, so
/// whoever can read the database cannot take over a session.
public struct ConsoleSessionRecord: Sendable, Equatable {
    /// SHA-256 of the cookie token, hex.
    public var tokenHash: String
    /// The access key the person signed in with: every request resolves it again, so a deleted or deactivated key
    /// ends its sessions.
    public var accessKeyId: String
    public var region: String
    /// The token every POST must carry (CSRF).
    public var csrfToken: String
    public var createdAt: Int64
    public var lastSeenAt: Int64

    public init(tokenHash: String, accessKeyId: String, region: String, csrfToken: String, createdAt: Int64,
                lastSeenAt: Int64) {
        self.tokenHash = tokenHash
        self.accessKeyId = accessKeyId
        self.region = region
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
    }
}

/// Console sessions, in the store so every node sharing a database honours them.
public protocol ConsoleSessionStore: Sendable {
    func create(_ session: ConsoleSessionRecord) async throws
    /// The session, when it was seen at or after `idleSince`.
    func session(tokenHash: String, idleSince: Int64) async throws -> ConsoleSessionRecord?
    /// Marks the session as used at `at`.
    func touch(tokenHash: String, at: Int64) async throws
    func delete(tokenHash: String) async throws
    /// Deletes sessions idle since before `idleSince`; returns how many.
    func prune(idleSince: Int64) async throws -> Int
}
