/// A trail as stored: its definition and status are JSON the trail service owns.
public struct TrailRow: Sendable, Equatable {
    public var arn: String
    public var accountId: String
    public var homeRegion: String
    public var name: String
    public var definition: String
    public var tags: [String: String]
    public var isLogging: Bool
    /// The last audit-event sequence number this trail has taken into a log file.
    public var cursorSeq: Int64
    public var status: String
    public var createdAt: Int64

    public init(arn: String, accountId: String, homeRegion: String, name: String, definition: String, tags: [String: String],
                isLogging: Bool, cursorSeq: Int64, status: String, createdAt: Int64) {
        self.arn = arn
        self.accountId = accountId
        self.homeRegion = homeRegion
        self.name = name
        self.definition = definition
        self.tags = tags
        self.isLogging = isLogging
        self.cursorSeq = cursorSeq
        self.status = status
        self.createdAt = createdAt
    }
}

/// An audit event as the trail writer reads it, in commit order.
public struct TrailSourceEvent: Sendable {
    public var seq: Int64
    public var accountId: String
    public var region: String
    public var management: Bool
    public var readOnly: Bool
    public var eventSource: String
    public var eventName: String
    /// Milliseconds since the epoch.
    public var eventTime: Int64
    public var record: String

    public init(seq: Int64, accountId: String, region: String, management: Bool, readOnly: Bool, eventSource: String,
                eventName: String, eventTime: Int64, record: String) {
        self.seq = seq
        self.accountId = accountId
        self.region = region
        self.management = management
        self.readOnly = readOnly
        self.eventSource = eventSource
        self.eventName = eventName
        self.eventTime = eventTime
        self.record = record
    }
}

/// A log file a trail delivers: planned (its events chosen, its key fixed) before it is written, so a restart
/// rewrites exactly the same file under the same key.
public struct TrailLogFile: Sendable, Equatable {
    public var trailArn: String
    public var region: String
    public var bucket: String
    public var key: String
    public var firstSeq: Int64
    public var lastSeq: Int64
    public var sha256: String?
    public var oldestEvent: Int64?
    public var newestEvent: Int64?
    public var deliveredAt: Int64?

    public init(trailArn: String, region: String, bucket: String, key: String, firstSeq: Int64, lastSeq: Int64,
                sha256: String? = nil, oldestEvent: Int64? = nil, newestEvent: Int64? = nil, deliveredAt: Int64? = nil) {
        self.trailArn = trailArn
        self.region = region
        self.bucket = bucket
        self.key = key
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
        self.sha256 = sha256
        self.oldestEvent = oldestEvent
        self.newestEvent = newestEvent
        self.deliveredAt = deliveredAt
    }
}

/// Where a trail's digest chain in one region stands.
public struct TrailDigestChain: Sendable, Equatable {
    public var trailArn: String
    public var region: String
    /// End of the last digest written (ms), nil before the first.
    public var lastEnd: Int64?
    public var lastBucket: String?
    public var lastKey: String?
    public var lastSignature: String?
    public var lastHash: String?
    /// A digest planned with this end time but not yet confirmed written.
    public var pendingEnd: Int64?

    public init(trailArn: String, region: String, lastEnd: Int64? = nil, lastBucket: String? = nil, lastKey: String? = nil,
                lastSignature: String? = nil, lastHash: String? = nil, pendingEnd: Int64? = nil) {
        self.trailArn = trailArn
        self.region = region
        self.lastEnd = lastEnd
        self.lastBucket = lastBucket
        self.lastKey = lastKey
        self.lastSignature = lastSignature
        self.lastHash = lastHash
        self.pendingEnd = pendingEnd
    }
}

/// A digest-signing key pair of one account and region.
public struct TrailSigningKeyRow: Sendable, Equatable {
    public var accountId: String
    public var region: String
    public var fingerprint: String
    public var privateKey: [UInt8]
    public var publicKey: [UInt8]
    public var validFrom: Int64
    public var validTo: Int64

    public init(accountId: String, region: String, fingerprint: String, privateKey: [UInt8], publicKey: [UInt8],
                validFrom: Int64, validTo: Int64) {
        self.accountId = accountId
        self.region = region
        self.fingerprint = fingerprint
        self.privateKey = privateKey
        self.publicKey = publicKey
        self.validFrom = validFrom
        self.validTo = validTo
    }
}

/// Trails, their delivery progress, digest chains and signing keys.
public protocol TrailStore: Sendable {
    /// Throws `StoreError.duplicate` when the account already has a trail of this name in the region.
    func createTrail(_ trail: TrailRow) async throws
    func trail(arn: String) async throws -> TrailRow?
    /// Every trail of the account, all regions.
    func trails(accountId: String) async throws -> [TrailRow]
    /// Every trail of every account.
    func allTrails() async throws -> [TrailRow]
    func updateTrail(arn: String, definition: String, tags: [String: String]) async throws
    /// Starts or stops logging; starting moves the cursor to `cursorSeq` (events before it are not delivered).
    func setLogging(arn: String, isLogging: Bool, cursorSeq: Int64?, status: String) async throws
    /// Replaces a trail's status with `merge` of the status as committed, inside one write transaction, so two
    /// writers (StopLogging and the trail writer) never overwrite each other's fields with a stale copy.
    func updateStatus(arn: String, merge: @escaping @Sendable (String) -> String) async throws
    func deleteTrail(arn: String) async throws

    /// The newest audit-event sequence number.
    func latestEventSeq() async throws -> Int64
    /// Audit events with `seq` in `(after, through]`, in order, at most `limit`.
    func events(after: Int64, through: Int64?, limit: Int) async throws -> [TrailSourceEvent]

    /// Plans log files and moves the trail's cursor, atomically.
    func planLogFiles(_ files: [TrailLogFile], trailArn: String, cursorSeq: Int64) async throws
    /// Planned files not yet written.
    func undeliveredLogFiles(trailArn: String) async throws -> [TrailLogFile]
    func markDelivered(_ file: TrailLogFile) async throws
    /// Delivered files of a region not yet in a digest, delivered at or before `through` (ms).
    func undigestedLogFiles(trailArn: String, region: String, through: Int64) async throws -> [TrailLogFile]
    /// Regions the trail has delivered to or keeps a chain for.
    func digestRegions(trailArn: String) async throws -> [String]
    func digestChain(trailArn: String, region: String) async throws -> TrailDigestChain?
    func saveDigestChain(_ chain: TrailDigestChain, digestedKeys: [String]) async throws

    func signingKeys(accountId: String, region: String) async throws -> [TrailSigningKeyRow]
    func addSigningKey(_ key: TrailSigningKeyRow) async throws
}
