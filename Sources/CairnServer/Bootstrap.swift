import CairnCore
import Foundation
import Identity
import Logging
import Storage

/// First-start setup: the default account, its administrator user and the credentials file.
struct Bootstrap {
    let identities: any IdentityStore & PolicyStore
    let configuration: CairnConfiguration
    let clock: any WallClock
    let logger: Logger

    static let administratorName = "admin"
    static let administratorPolicy = "arn:aws:iam::aws:policy/AdministratorAccess"

    /// Creates what is missing. Returns the credentials path when it was written now. `shared`: other nodes use
    /// this database too, and the administrator's existing key is theirs as well.
    func run(shared: Bool = false) async throws -> String? {
        let fm = FileManager.default
        // One account per data directory: started with another id, the old account's keys would go on working
        // beside the new account's.
        if let other = try await identities.accountIds().first(where: { $0 != configuration.accountId }) {
            throw StartupError("The data directory \(configuration.dataDirectory) belongs to account \(other), but Cairn was "
                + "started with --account-id \(configuration.accountId). Start it with --account-id \(other), or give the new "
                + "account its own --data-dir.")
        }
        _ = try await identities.ensureAccount(configuration.accountId, at: clock.now())
        if try await identities.user(accountId: configuration.accountId, userName: Self.administratorName) == nil {
            try await identities.createUser(IAMUserRecord(
                accountId: configuration.accountId, userName: Self.administratorName,
                userId: Identifiers.awsId(prefix: "AIDA"), path: "/", createdAt: clock.now()))
            try await identities.attachPolicy(accountId: configuration.accountId, owner: PolicyOwner(.user, Self.administratorName),
                                              policyArn: Self.administratorPolicy, limit: 10)
        }
        if fm.fileExists(atPath: configuration.credentialsPath) { return nil }
        let existing = try await identities.credentials(accountId: configuration.accountId, userName: Self.administratorName)
        let key: CredentialRecord
        if shared, let current = existing.last(where: { $0.status == "Active" }) {
            // Another node made the administrator's key: every node's file holds that same key.
            key = current
        } else {
            // Alone, a fresh key each time the file has to be (re)written: a lost file's key stops working.
            for old in existing { try await identities.deleteCredential(accessKeyId: old.accessKeyId) }
            key = CredentialRecord(accessKeyId: Identifiers.awsId(prefix: "AKIA"), secret: Identifiers.secretAccessKey(),
                                   accountId: configuration.accountId, kind: .user, userName: Self.administratorName,
                                   createdAt: clock.now())
            try await identities.createCredential(key)
        }
        let credentials = """
            # Written by Cairn on first start: the \(Self.administratorName) user of account \(configuration.accountId).
            [default]
            aws_access_key_id = \(key.accessKeyId)
            aws_secret_access_key = \(key.secret)

            """
        try PrivateFile.write(Data(credentials.utf8), to: configuration.credentialsPath)
        if !fm.fileExists(atPath: configuration.configPath) {
            let config = """
                # Written by Cairn: use with AWS_CONFIG_FILE=\(configuration.configPath)
                [default]
                region = \(configuration.region)

                """
            try PrivateFile.write(Data(config.utf8), to: configuration.configPath)
        }
        logger.info("wrote the \(Self.administratorName) user's access key \(key.accessKeyId)")
        return configuration.credentialsPath
    }
}

/// Why Cairn cannot start with this configuration; the message says what to change.
public struct StartupError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
