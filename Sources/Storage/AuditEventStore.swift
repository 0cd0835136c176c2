import CairnCore
import Foundation

/// A CloudTrail record ready to store: the serialized record plus the columns event history searches.
public struct StoredAuditEvent: Sendable {
    public var eventId: String
    public var accountId: String
    public var region: String
    /// Milliseconds since the epoch.
    public var eventTime: Int64
    public var eventName: String
    public var eventSource: String
    public var readOnly: Bool
    public var username: String?
    public var accessKeyId: String?
    public var management: Bool
    /// The record, as JSON text.
    public var record: String
    public var resources: [(type: String, name: String)]
    /// The failed call's `errorCode` (the dashboard counts errors and denials by it).
    public var errorCode: String?

    public init(eventId: String, accountId: String, region: String, eventTime: Int64, eventName: String,
                eventSource: String, readOnly: Bool, username: String?, accessKeyId: String?, management: Bool,
                record: String, resources: [(type: String, name: String)], errorCode: String? = nil) {
        self.errorCode = errorCode
        self.eventId = eventId
        self.accountId = accountId
        self.region = region
        self.eventTime = eventTime
        self.eventName = eventName
        self.eventSource = eventSource
        self.readOnly = readOnly
        self.username = username
        self.accessKeyId = accessKeyId
        self.management = management
        self.record = record
        self.resources = resources
    }
}

/// The attribute a lookup filters on (LookupEvents' `LookupAttributes`).
public enum AuditLookupAttribute: Sendable, Equatable {
    case eventId(String)
    case eventName(String)
    case readOnly(Bool)
    case username(String)
    case resourceType(String)
    case resourceName(String)
    case eventSource(String)
    case accessKeyId(String)
}

/// Where a page of lookups continues: after this (time, seq), newest first.
public struct AuditCursor: Sendable, Equatable {
    public var eventTime: Int64
    public var seq: Int64
    public init(eventTime: Int64, seq: Int64) {
        self.eventTime = eventTime
        self.seq = seq
    }
}

/// A management-event lookup in one account and region.
public struct AuditLookupQuery: Sendable {
    public var accountId: String
    public var region: String
    public var attribute: AuditLookupAttribute?
    /// Further attributes every event found must also have (the console's several filters at once); `attribute`
    /// is the one the lookup's index serves.
    public var filters: [AuditLookupAttribute]
    /// Inclusive bounds in milliseconds.
    public var startTime: Int64?
    public var endTime: Int64?
    public var limit: Int
    public var after: AuditCursor?
    /// Follows history instead: events committed after this sequence number, oldest first (a live tail).
    public var sinceSeq: Int64?

    public init(accountId: String, region: String, attribute: AuditLookupAttribute?, filters: [AuditLookupAttribute] = [],
                startTime: Int64?, endTime: Int64?, limit: Int, after: AuditCursor?, sinceSeq: Int64? = nil) {
        self.sinceSeq = sinceSeq
        self.accountId = accountId
        self.region = region
        self.attribute = attribute
        self.filters = filters
        self.startTime = startTime
        self.endTime = endTime
        self.limit = limit
        self.after = after
    }
}

/// One stored event found by a lookup.
public struct AuditLookupRow: Sendable {
    public var cursor: AuditCursor
    public var eventId: String
    public var eventName: String
    public var eventSource: String
    public var readOnly: Bool
    public var username: String?
    public var accessKeyId: String?
    public var record: String
    public var resources: [(type: String, name: String)]
}

/// What the console's dashboard draws: management events per minute and source, and the most frequent names and
/// users.
public struct AuditSummary: Sendable, Equatable {
    public struct Minute: Sendable, Equatable {
        /// Minutes since the epoch.
        public var minute: Int64
        public var eventSource: String
        public var calls: Int
        public var errors: Int
        public var denials: Int

        public init(minute: Int64, eventSource: String, calls: Int, errors: Int, denials: Int) {
            self.minute = minute
            self.eventSource = eventSource
            self.calls = calls
            self.errors = errors
            self.denials = denials
        }
    }

    public var minutes: [Minute]
    public var topEventNames: [(name: String, count: Int)]
    public var topUsers: [(name: String, count: Int)]

    public init(minutes: [Minute], topEventNames: [(name: String, count: Int)], topUsers: [(name: String, count: Int)]) {
        self.minutes = minutes
        self.topEventNames = topEventNames
        self.topUsers = topUsers
    }

    public static func == (a: AuditSummary, b: AuditSummary) -> Bool {
        a.minutes == b.minutes && a.topEventNames.map(\.name) == b.topEventNames.map(\.name)
            && a.topEventNames.map(\.count) == b.topEventNames.map(\.count) && a.topUsers.map(\.name) == b.topUsers.map(\.name)
            && a.topUsers.map(\.count) == b.topUsers.map(\.count)
    }
}

/// The error codes that are denials (authorization refused the call), as each protocol spells AccessDenied.
public let denialErrorCodes = ["AccessDenied", "AccessDeniedException", "AuthorizationError"]

/// The durable CloudTrail record store behind event history and trails.
public protocol AuditEventStore: Sendable {
    /// Appends records, and the event deliveries they cause, in one transaction; when it returns both are committed.
    func append(_ events: [StoredAuditEvent], deliveries: [EventDelivery]) async throws
    /// Management events matching the query, newest first (or, with `sinceSeq`, oldest first after it).
    func lookup(_ query: AuditLookupQuery) async throws -> [AuditLookupRow]
    /// The sequence number of the last record committed (0 when none): where a live tail starts.
    func latestSeq() async throws -> Int64
    /// Management events since `since` (ms) in one account and region, counted per minute and event source, and
    /// the most frequent event names and users.
    func summary(accountId: String, region: String, since: Int64, top: Int) async throws -> AuditSummary
    /// Deletes records older than `cutoff` (ms), at most `batch` at a time; returns how many were deleted.
    func prune(olderThan cutoff: Int64, batch: Int) async throws -> Int
    /// The number of stored records (all categories).
    func count() async throws -> Int
}

extension AuditEventStore {
    /// Appends records that cause no deliveries.
    public func append(_ events: [StoredAuditEvent]) async throws {
        try await append(events, deliveries: [])
    }
}
